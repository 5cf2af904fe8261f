"""Split what was typed into the search box into name words and identifiers.

The box takes any mix (`smyth, jon 3/4/67`, `(555) 010-2233`, `mrn 0012345`, `4 mar 1967
garcia`). Date and phone shapes are cut out first, because their punctuation (`/`, `-`, `,`)
would otherwise split them into meaningless words; what remains is split into letter words
(names) and digit runs. A bare digit run is ambiguous (MRN tail? phone tail? compact DOB?), so
it becomes one identifier item carrying every reading, and ranking takes the best one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from clinicrecords.common.dates import MIN_YEAR, DateReading, date_candidates, date_shapes

from .normalize import digits_only, fold, name_tokens, normalize_mrn, normalize_phone

# "(555) 010-2233", "555.010.2233", "+1 555 010 2233", "010-2233"
_PHONE = re.compile(
    r"(?<![\d/])(?:\+?1[\s.-]*)?(?:\(\d{3}\)\s*|\d{3}[\s.-]+)?\d{3}[\s.-]\d{4}(?![\d/])"
)
# Field labels clerks paste along with the value; they are not names.
_LABELS = frozenset({"mrn", "dob", "tel", "ph", "phone", "cell", "mob", "acct", "chart", "pt"})
MIN_ID_DIGITS = 4  # shorter digit runs say too little to look anything up
BARE_SIX_DIGIT_DOB = 0.75


@dataclass(frozen=True, slots=True)
class IdItem:
    """One typed identifier and every way it can be read.

    `dobs`: date readings; `year`: a bare 4-digit birth year; `mrn`: normalised MRN text
    (whole or tail); `phone`: digits for a phone tail. Empty/None where a reading is impossible.
    """

    raw_kind: str  # "date", "phone" or "number": the shape it was typed in
    dobs: tuple[DateReading, ...] = ()
    year: int | None = None
    mrn: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """`names`: folded words in typed order; `family_count`: words before a comma when the
    query was written "Family, Given" (else None: either order); `last_partial`: the final
    word may be unfinished (results appear while typing)."""

    names: tuple[str, ...]
    family_count: int | None
    items: tuple[IdItem, ...]
    last_partial: bool = True

    @property
    def empty(self) -> bool:
        return not self.names and not self.items


def _cut(text: str, pattern: re.Pattern[str], found: list[str]) -> str:
    def repl(m: re.Match[str]) -> str:
        found.append(m[0])
        return " "

    return pattern.sub(repl, text)


def parse_query(text: str, order: str = "MDY", today: date | None = None) -> ParsedQuery:
    """Parse a search-box string; never raises on odd input (it returns an empty query)."""
    today = today or date.today()
    text = fold(text)
    last_partial = not text.endswith((" ", ","))
    items: list[IdItem] = []

    phones: list[str] = []
    text = _cut(text, _PHONE, phones)
    for p in phones:
        digits = normalize_phone(p)
        items.append(IdItem("phone", phone=digits, mrn=digits))

    # Date shapes are cut out before the words are split (all-digit shapes first: in "Mary May
    # 5-31-1958" the month word is a family name); a DOB is never in the future.
    shapes = date_shapes(text)
    for shape in shapes:
        cands = shape.readings(order, past_only=True, today=today)
        if cands:
            items.append(IdItem("date", dobs=tuple(cands)))
    for shape in sorted(shapes, key=lambda shape: -shape.start):
        text = text[: shape.start] + " " + text[shape.end :]

    names: list[str] = []
    family_count: int | None = None
    for seg_no, segment in enumerate(text.split(",")):
        seg_names: list[str] = []
        for raw in segment.split():
            if any(ch.isdigit() for ch in raw):
                item = _number_item(raw, order, today)
                if item is not None:
                    items.append(item)
                continue
            for tok in name_tokens(raw):
                if tok not in _LABELS:
                    seg_names.append(tok)
        if seg_names:
            if seg_no > 0 and family_count is None and names:
                family_count = len(names)
            names.extend(seg_names)
    return ParsedQuery(tuple(names), family_count, tuple(items), last_partial)


def _number_item(raw: str, order: str, today: date) -> IdItem | None:
    digits = digits_only(raw)
    mrn = normalize_mrn(raw.lstrip("#"))
    if len(digits) < MIN_ID_DIGITS and len(mrn) < MIN_ID_DIGITS:
        return None
    if not mrn.isdigit():  # letters inside: only an MRN can look like that
        return IdItem("number", mrn=mrn)
    dobs: tuple[DateReading, ...] = ()
    if len(digits) in (6, 8):
        dobs = tuple(date_candidates(digits, order, past_only=True, today=today))
    if len(digits) == 6:  # as likely an MRN / phone tail: let a 6-digit tail match win
        dobs = tuple(DateReading(c.value, c.weight * BARE_SIX_DIGIT_DOB) for c in dobs)
    year = int(digits) if len(digits) == 4 and MIN_YEAR <= int(digits) <= today.year else None
    return IdItem("number", dobs=dobs, year=year, mrn=digits, phone=digits)
