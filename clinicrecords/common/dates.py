"""The one date reader: every date a person types or a page prints is read by these rules.

Dates reach the program typed into a field (registration, the index form, a release request's
scope), typed into the search box among names, in a CSV file, and printed on scanned pages. One
set of shapes and rules reads them all, so `3/4/67` means the same date on every screen.

Shapes (`date_shapes` finds them in running text; `date_candidates` reads a whole field):
ISO `1967-03-04`; numeric `3/4/67`, `03-04-1967`, `3.4.1967` (one separator, used twice);
`4 Mar 1967`, `4th March, 1967`; `March 4, 1967`, `Mar 4 67`; compact digit runs
`03041967` / `19670304` (8 digits) and `030467` / `670304` (6 digits, fields and search only).
OCR's spaces around separators (`03 / 04 / 1967`) are allowed: a date is rarely keyed that way
but often scanned that way, and reading it costs nothing.

Decisions (each one a trade a clerk would make):

* Day/month order is the clinic's `locale.date_order` ("MDY", the US default, or "DMY"). When
  both parts are <= 12 (`3/4/67`) the reading in `order` comes first with weight 1.0 and the
  swapped reading second with `SWAPPED_WEIGHT`: a referral faxed from a DMY country is the usual
  cause of a swapped date, and ranking still puts the stated-order reading first. When only one
  reading is a valid date (`13/4/67`) it is returned with weight 1.0 whatever `order` says,
  except with `strict=True` (a file's dates: one program wrote them all in one order, so a
  date that only reads the other way means the whole file was written in the other order).
* Past only is explicit. `past_only=True` for dates of birth (and the search box, which looks
  DOBs up): a future reading is no reading. Release scopes, due dates and the dates printed on
  a page (appointments, expiry dates) may be in the future: `past_only=False`.
* Two-digit years are the latest year ending in those digits that is not after `today` for
  past-only dates (`67` -> 1967; `26` -> 2026 only if that day has passed, else 1926: a DOB).
  Otherwise the latest not after the end of this year: the papers a records desk reads are about
  care given or booked within months, so a two-digit year beyond this year is last century's.
  `strict=True` refuses two-digit years (in a file there is no clerk to notice a wrong century).
* A month-first date needs something between its day and a two-digit year: "in March 2019"
  is a month (not March 20, 2019), "Mar1967" is not March 19; "Nov 231965" still reads.
* Years before `MIN_YEAR` are not dates here: no chart holds a birth or a visit before 1880,
  and the floor lets `19670304` be read year-first while `03041967` cannot be.
* Compact runs are read as MMDDYYYY / DDMMYYYY (8 digits) and MMDDYY / DDMMYY (6), `order`
  first, and year-first (YYYYMMDD / YYMMDD) last and weaker, unless it is the only valid
  reading (`19670304`, `670304`). On a page (`DateShape.page_reading`) only 8-digit runs count,
  read in `order` only or else year-first: a form prints its DOB box one way.

Nothing here logs or raises on odd text: every string it sees may be patient data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MIN_YEAR = 1880
ORDERS = ("MDY", "DMY")
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
_SP = r"[\s,.\-/]*"
# Between a month-first date's day and year something must stand, or else a four-digit year
# ("Nov 231965"): "March 2019" is a month, not March 20, 2019, and "Mar1967" is not March 19.
_SP1 = r"[\s,.\-/]+"
# In priority order: all-digit shapes claim their characters first, so in "Mary May 5-31-1958"
# the month word stays a name. The look-arounds keep a shape from starting or ending inside a
# longer run of digits or of date punctuation ("12/3/2024/5", "555-03-04-67").
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"(?<![\d/.-])(\d{4})\s?[-/.]\s?(\d{1,2})\s?[-/.]\s?(\d{1,2})(?![\d/-])")),
    (
        "numeric",
        re.compile(r"(?<![\d/.-])(\d{1,2})\s?([-/.])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?![\d/-])"),
    ),
    (
        "day_month",
        re.compile(
            rf"(?<![\d])(\d{{1,2}})(?:st|nd|rd|th)?{_SP}({_MONTH_RE})\.?{_SP}(\d{{4}}|\d{{2}})(?!\d)",
            re.I,
        ),
    ),
    (
        "month_day",
        re.compile(
            rf"\b({_MONTH_RE})\.?{_SP}(\d{{1,2}})(?:(?:st|nd|rd|th){_SP}|{_SP1}|(?=\d{{4}}(?!\d)))(\d{{4}}|\d{{2}})(?!\d)",
            re.I,
        ),
    ),
)
# A bare 8-digit run in running text; whether it is a date is the caller's call (a page reads
# one only after a date-of-birth label, where it is not an account or phone number).
_COMPACT = re.compile(r"(?<![\d-])(\d{8})(?![\d-])")


@dataclass(frozen=True, slots=True)
class DateReading:
    """One reading of some text: `weight` 1.0 for the confident reading, less otherwise."""

    value: date
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class _Rules:
    """How to turn year, month and day as written into a date (see the module docstring)."""

    order: str
    past_only: bool
    today: date
    strict: bool

    def make(self, year: int, month: int, day: int) -> date | None:
        if year < MIN_YEAR:
            return None
        try:
            value = date(year, month, day)
        except ValueError:
            return None
        return None if self.past_only and value > self.today else value

    def two_digit_year(self, yy: int, month: int, day: int) -> date | None:
        """The latest date with a year ending in `yy` that is not after today (past only) or
        not after this year (otherwise)."""
        if self.strict:
            return None
        latest = self.today if self.past_only else date(self.today.year, 12, 31)
        century = self.today.year // 100 * 100
        for year in (century + yy, century - 100 + yy):
            value = self.make(year, month, day)
            if value is not None and value <= latest:
                return value
        return None

    def ymd(self, year_text: str, month: int, day: int) -> date | None:
        if len(year_text) == 2:
            return self.two_digit_year(int(year_text), month, day)
        return self.make(int(year_text), month, day)

    def day_month(self, a: int, b: int, year_text: str) -> list[DateReading]:
        """Readings of `a/b/year`: `order` first; the other order weaker unless it is the only
        one (and never with `strict`)."""
        first = (a, b) if self.order == "MDY" else (b, a)  # (month, day)
        primary = self.ymd(year_text, *first)
        swapped = None
        if a != b and not self.strict:
            swapped = self.ymd(year_text, first[1], first[0])
        out: list[DateReading] = []
        if primary is not None:
            out.append(DateReading(primary, 1.0))
        if swapped is not None:
            out.append(DateReading(swapped, SWAPPED_WEIGHT if primary is not None else 1.0))
        return out

    def compact(self, digits: str) -> list[DateReading]:
        out: list[DateReading] = []
        iso: date | None = None
        if len(digits) == 8:
            out += self.day_month(int(digits[0:2]), int(digits[2:4]), digits[4:8])
            iso = self.make(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
            iso_weight = COMPACT_ISO_WEIGHT
        elif len(digits) == 6:
            out += self.day_month(int(digits[0:2]), int(digits[2:4]), digits[4:6])
            iso = self.two_digit_year(int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
            iso_weight = COMPACT_ISO_WEIGHT * SWAPPED_WEIGHT  # YYMMDD is rare in US offices
        if iso is not None:
            out.append(DateReading(iso, iso_weight if out else 1.0))  # the only reading: sure
        return _best_first(out)


def _rules(order: str, past_only: bool, today: date | None, strict: bool) -> _Rules:
    if order not in ORDERS:
        raise ValueError("order must be 'MDY' or 'DMY'")
    return _Rules(order, past_only, today or date.today(), strict)


def _best_first(readings: list[DateReading]) -> list[DateReading]:
    best: dict[date, float] = {}
    for r in readings:
        if r.weight > best.get(r.value, 0.0):
            best[r.value] = r.weight
    return sorted((DateReading(d, w) for d, w in best.items()), key=lambda r: -r.weight)


@dataclass(frozen=True, slots=True)
class DateShape:
    """A run of text shaped like a date, and its parts as written (the regex groups)."""

    kind: str  # "iso", "numeric", "day_month", "month_day" or "compact"
    start: int
    end: int
    parts: tuple[str, ...]

    def _read(self, rules: _Rules) -> list[DateReading]:
        """Month words are looked up case-folded: the patterns match case-insensitively, so
        "ſep" (long s) matches "sep", which .lower() would leave unfound."""
        p = self.parts
        if self.kind == "iso":
            value = rules.make(int(p[0]), int(p[1]), int(p[2]))
        elif self.kind == "numeric":
            return _best_first(rules.day_month(int(p[0]), int(p[2]), p[3]))
        elif self.kind == "day_month":
            value = rules.ymd(p[2], MONTHS[p[1].casefold()], int(p[0]))
        elif self.kind == "month_day":
            value = rules.ymd(p[2], MONTHS[p[0].casefold()], int(p[1]))
        else:
            return rules.compact(p[0])
        return [DateReading(value)] if value is not None else []

    def readings(
        self, order: str = "MDY", *, past_only: bool = False, today: date | None = None
    ) -> list[DateReading]:
        """Every date this run can mean, best first ([] when it is not a valid date)."""
        return self._read(_rules(order, past_only, today, strict=False))

    def page_reading(self, order: str, today: date) -> tuple[date | None, date | None]:
        """A printed date: (its reading in `order`, the swapped reading or None), not past
        only (pages print appointments and expiry dates). An 8-digit run is read like a file's
        date (`strict`), with no swapped reading: a form prints its DOB box one way, in
        `order` or else year-first."""
        one_way = self.kind == "compact"
        found = self._read(_rules(order, False, today, strict=one_way))
        if not found:
            return None, None
        return found[0].value, found[1].value if len(found) > 1 and not one_way else None


def date_shapes(text: str, *, compact: bool = False) -> list[DateShape]:
    """Every run of `text` shaped like a date, none overlapping, in the order they claimed
    their characters: the priority order of `_SHAPES`, then left to right.

    A shape claims its characters whether or not it is a valid date ("2/30/1967" is a garbled
    date, not three numbers); with `compact` bare 8-digit runs count too (last).
    """
    taken: list[tuple[int, int]] = []
    out: list[DateShape] = []
    patterns = _SHAPES + ((("compact", _COMPACT),) if compact else ())
    for kind, rx in patterns:
        for m in rx.finditer(text):
            s, e = m.span()
            if any(s < te and e > ts for ts, te in taken):
                continue
            taken.append((s, e))
            out.append(DateShape(kind, s, e, m.groups()))
    return out


def date_candidates(
    text: str,
    order: str = "MDY",
    *,
    past_only: bool = False,
    today: date | None = None,
    strict: bool = False,
) -> list[DateReading]:
    """Every date `text` (one date, any common form, nothing else) can mean, best first.

    Returns [] when `text` is not a date. `order` is "MDY" or "DMY" and only breaks ties
    between day and month when both are <= 12.
    """
    rules = _rules(order, past_only, today, strict)
    text = text.strip()
    if text.isdecimal():  # (not isdigit: "²" is a digit that int() refuses)
        return rules.compact(text)
    for kind, rx in _SHAPES:
        if m := rx.fullmatch(text):
            return DateShape(kind, 0, len(text), m.groups())._read(rules)
    return []


def read_date(
    text: str,
    order: str = "MDY",
    *,
    past_only: bool = False,
    today: date | None = None,
    strict: bool = False,
) -> date | None:
    """The date a field holds (its best reading), or None when it holds no date."""
    found = date_candidates(text, order, past_only=past_only, today=today, strict=strict)
    return found[0].value if found else None


def in_future(
    text: str, order: str = "MDY", *, today: date | None = None, strict: bool = False
) -> bool:
    """Whether `text` is a date, but only a future one: a date of birth refused for that
    reason is told so, not called unreadable."""
    today = today or date.today()
    if read_date(text, order, past_only=True, today=today, strict=strict) is not None:
        return False
    return read_date(text, order, today=today, strict=strict) is not None


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
