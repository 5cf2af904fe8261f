"""Dates of birth as people type them: `3/4/67`, `03041967`, `1967-03-04`, `4 Mar 1967`, ...

Decisions (each one a trade a clerk would make):

* Day/month order comes from `order` ("MDY", the US default, or "DMY"). When the text is
  ambiguous (`3/4/67`, both parts <= 12) the reading in `order` is returned first with weight
  1.0 and the swapped reading second with weight `SWAPPED_WEIGHT`: a referral faxed from a
  DMY country is the usual cause of a swapped date, and ranking still puts the stated-order
  reading first. When only one reading is a valid date (`13/4/67`) it is returned with
  weight 1.0 whatever `order` says.
* A date of birth is never in the future, so a two-digit year is the latest century that
  keeps it on or before `today`: `67` -> 1967, `15` -> 2015 (if 2015's date has passed).
  Four-digit years in the future, or before `MIN_YEAR`, are not dates of birth.
* Compact digit runs are read as MMDDYYYY / DDMMYYYY / YYYYMMDD (8 digits) and MMDDYY /
  DDMMYY / YYMMDD (6 digits); every valid reading is returned, `order` first, year-first
  last and weaker, unless it is the only valid reading (`19670304`, `670304`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MIN_YEAR = 1880
SWAPPED_WEIGHT = 0.6
COMPACT_ISO_WEIGHT = 0.8

MONTHS: dict[str, int] = {}
for _i, _names in enumerate(
    (
        ("jan", "january"),
        ("feb", "february", "febr"),
        ("mar", "march"),
        ("apr", "april"),
        ("may",),
        ("jun", "june"),
        ("jul", "july"),
        ("aug", "august"),
        ("sep", "sept", "september"),
        ("oct", "october"),
        ("nov", "november"),
        ("dec", "december"),
    ),
    start=1,
):
    for _n in _names:
        MONTHS[_n] = _i

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_SEP = r"[\s/.,-]*"
# "4 Mar 1967", "04-mar-67", "4th March, 1967"
DAY_MONTH_YEAR = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?{_SEP}({_MONTH_RE})\.?{_SEP}(\d{{4}}|\d{{2}})\b(?![-/.]\d)",
    re.I,
)
# "March 4 1967", "Mar 4, 67", "mar-04-1967"
MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH_RE})\.?{_SEP}(\d{{1,2}})(?:st|nd|rd|th)?{_SEP}(\d{{4}}|\d{{2}})\b(?![-/.]\d)",
    re.I,
)
# "1967-03-04", "1967/3/4", "1967.03.04"
ISO_DATE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
# "3/4/67", "03-04-1967", "3.4.1967"
NUMERIC_DATE = re.compile(r"\b(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})\b")


@dataclass(frozen=True, slots=True)
class DobCandidate:
    """One reading of the typed text: `weight` 1.0 for the confident reading, less otherwise."""

    value: date
    weight: float = 1.0


def _make(year: int, month: int, day: int, today: date) -> date | None:
    if year < MIN_YEAR:
        return None
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if value <= today else None


def resolve_two_digit_year(yy: int, month: int, day: int, today: date) -> date | None:
    """The latest date with year ending in `yy` that is not after `today` (DOBs are past)."""
    century = today.year // 100 * 100
    for year in (century + yy, century - 100 + yy):
        value = _make(year, month, day, today)
        if value is not None:
            return value
    return None


def _ymd(year_text: str, month: int, day: int, today: date) -> date | None:
    if len(year_text) == 2:
        return resolve_two_digit_year(int(year_text), month, day, today)
    return _make(int(year_text), month, day, today)


def _dedupe(cands: list[DobCandidate]) -> list[DobCandidate]:
    best: dict[date, float] = {}
    for c in cands:
        if c.weight > best.get(c.value, 0.0):
            best[c.value] = c.weight
    return sorted((DobCandidate(d, w) for d, w in best.items()), key=lambda c: -c.weight)


def _two_orders(a: int, b: int, year_text: str, order: str, today: date) -> list[DobCandidate]:
    """Readings of `a/b/year`: `order` first; the other order weaker unless it is the only one."""
    first = (a, b) if order == "MDY" else (b, a)  # (month, day)
    second = (first[1], first[0])
    primary = _ymd(year_text, first[0], first[1], today)
    swapped = _ymd(year_text, second[0], second[1], today) if a != b else None
    out: list[DobCandidate] = []
    if primary is not None:
        out.append(DobCandidate(primary, 1.0))
    if swapped is not None:
        out.append(DobCandidate(swapped, SWAPPED_WEIGHT if primary is not None else 1.0))
    return out


def parse_dob(text: str, order: str = "MDY", today: date | None = None) -> list[DobCandidate]:
    """Every plausible date of birth `text` (one date, any common form) can mean, best first.

    Returns [] when `text` is not a date. `order` is "MDY" or "DMY" and only breaks ties
    between day and month when both are <= 12.
    """
    if order not in ("MDY", "DMY"):
        raise ValueError("order must be 'MDY' or 'DMY'")
    today = today or date.today()
    text = text.strip()
    if text.isdigit():
        return parse_compact(text, order, today)
    if m := ISO_DATE.fullmatch(text):
        value = _make(int(m[1]), int(m[2]), int(m[3]), today)
        return [DobCandidate(value)] if value else []
    if m := NUMERIC_DATE.fullmatch(text):
        return _dedupe(_two_orders(int(m[1]), int(m[3]), m[4], order, today))
    if m := DAY_MONTH_YEAR.fullmatch(text):
        value = _ymd(m[3], MONTHS[m[2].lower()], int(m[1]), today)
        return [DobCandidate(value)] if value else []
    if m := MONTH_DAY_YEAR.fullmatch(text):
        value = _ymd(m[3], MONTHS[m[1].lower()], int(m[2]), today)
        return [DobCandidate(value)] if value else []
    return []


def parse_compact(digits: str, order: str = "MDY", today: date | None = None) -> list[DobCandidate]:
    """Readings of a bare digit run (`03041967`, `19670304`, `030467`, `670304`)."""
    today = today or date.today()
    out: list[DobCandidate] = []
    iso: date | None = None
    if len(digits) == 8:
        out += _two_orders(int(digits[0:2]), int(digits[2:4]), digits[4:8], order, today)
        iso = _make(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]), today)
        iso_weight = COMPACT_ISO_WEIGHT
    elif len(digits) == 6:
        out += _two_orders(int(digits[0:2]), int(digits[2:4]), digits[4:6], order, today)
        iso = resolve_two_digit_year(int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), today)
        iso_weight = COMPACT_ISO_WEIGHT * SWAPPED_WEIGHT  # YYMMDD is rare in US offices
    if iso is not None:
        out.append(DobCandidate(iso, iso_weight if out else 1.0))  # the only reading: sure
    return _dedupe(out)


def is_near(a: date, b: date) -> bool:
    """Two DOBs one keying slip apart: one digit wrong, two adjacent digits swapped, or
    day and month swapped. Such a date still counts a little toward a match."""
    if a == b:
        return True
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return True
    sa = f"{a.month:02d}{a.day:02d}{a.year:04d}"
    sb = f"{b.month:02d}{b.day:02d}{b.year:04d}"
    diff = [i for i in range(8) if sa[i] != sb[i]]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and sa[diff[0]] == sb[diff[1]]
        and sa[diff[1]] == sb[diff[0]]
    )
