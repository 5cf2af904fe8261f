"""Identifiers on a page: dates (with their labels), MRN-like numbers, phones and names.

Everything here works on *lines* of OCR words, because labels ("DOB:", "Fax", "Patient:")
and values sit on the same line and a date like "March 4, 1967" spans three words. Each line
keeps a text made of its words joined by single spaces plus each word's offset into that
text, so a regular-expression match maps straight back to the words (and so to their boxes,
which the UI highlights as evidence).

OCR tolerance: inside a run of characters that is mostly digits, the letters Tesseract
commonly confuses with digits (O/o/Q/D -> 0, l/I/|/i/! -> 1, S/s -> 5, B -> 8, Z/z -> 2,
g -> 9) are read as digits. The swap keeps every character's position, so spans stay valid. Letters are never
turned into digits in a run without real digits ("DOB" stays "DOB"). A number that still
comes out wrong is caught later by the MRN check digit or by disagreement with the registry.

Nothing here logs: every string it sees is patient data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from clinicrecords.common.dates import date_shapes
from clinicrecords.common.mrn import is_valid_mrn
from clinicrecords.scan.types import Box, Word
from clinicrecords.search.normalize import fold

# ---------------------------------------------------------------------------------------------
# Lines


@dataclass(frozen=True, slots=True)
class Line:
    """One printed line: its words left to right and the text they make."""

    index: int  # order on the page, top to bottom
    words: tuple[Word, ...]
    text: str  # words joined by single spaces
    starts: tuple[int, ...]  # offset of each word in `text`
    digits: str  # `text` with digit-like letters read as digits inside numeric runs
    lower: str  # `text` lower-cased with punctuation turned into spaces (same length)

    @property
    def top(self) -> int:
        return min(w.box.top for w in self.words)

    def words_in(self, start: int, end: int) -> tuple[Word, ...]:
        """The words that overlap the character span [start, end)."""
        out = []
        for word, s in zip(self.words, self.starts, strict=True):
            if s < end and s + len(word.text) > start:
                out.append(word)
        return tuple(out)


def boxes(words: tuple[Word, ...] | list[Word]) -> tuple[Box, ...]:
    return tuple(w.box for w in words)


def words_text(words: tuple[Word, ...] | list[Word]) -> str:
    return " ".join(w.text for w in words)


_TO_DIGIT = str.maketrans(
    {"O": "0", "o": "0", "Q": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1", "!": "1"}
    | {"S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "g": "9"}
)
_DIGIT_RUN = re.compile(r"[A-Za-z|!]*\d[A-Za-z0-9|!]*")


def digitize(text: str) -> str:
    """Read digit-like letters as digits inside runs that are at least half real digits.

    Length-preserving, so offsets computed on the result are offsets into `text`.
    """

    def fix(m: re.Match[str]) -> str:
        run = m.group(0)
        real = sum(ch.isdigit() for ch in run)
        if real == 0 or real * 2 < len(run):
            return run
        fixed = run.translate(_TO_DIGIT)
        return fixed if fixed.isdigit() else run  # a real word with digits ("B12a") stays

    if not any(ch.isdigit() for ch in text):
        return text
    return _DIGIT_RUN.sub(fix, text)


_TO_LETTER = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "b", "|": "l", "$": "s"})


_NOT_ALNUM_LOWER = re.compile(r"[^a-z0-9]")
_NOT_LETTER_LOWER = re.compile(r"[^a-z]")


def _lower_text(text: str) -> str:
    """Lower-case, punctuation as spaces; same length as `text` (for keyword spans)."""
    low = text.lower()
    if len(low) != len(text):  # a few letters lower-case to two characters ("İ")
        low = "".join(ch.lower()[:1] for ch in text)
    return _NOT_ALNUM_LOWER.sub(" ", low)


@lru_cache(maxsize=16384)
def letters_of(word: str) -> str:
    """A word's letters for name matching: OCR digit/letter slips undone, case folded.

    Only for runs that are mostly letters ("J0HN" -> "john", "5MITH" -> "smith").
    """
    raw = word.strip(".,:;()[]{}\"'")
    alpha = sum(ch.isalpha() for ch in raw)
    if alpha and alpha * 2 >= len(raw):
        raw = raw.translate(_TO_LETTER)
    if raw.isascii():
        return _NOT_LETTER_LOWER.sub("", raw.lower())
    return _NOT_LETTER_LOWER.sub("", fold(raw))


def page_lines(words: tuple[Word, ...] | list[Word]) -> list[Line]:
    """Group words into lines (Tesseract's line numbers, or by height when there are none)."""
    if not words:
        return []
    groups: dict[int, list[Word]] = {}
    if len({w.line for w in words}) > 1 or len(words) == 1:
        for w in words:
            groups.setdefault(w.line, []).append(w)
    else:
        # No line numbers: a word joins the line whose vertical middle it overlaps.
        rows: list[tuple[float, list[Word]]] = []
        for w in sorted(words, key=lambda w: (w.box.top, w.box.left)):
            mid = w.box.top + w.box.height / 2
            for mid_row, row in rows:
                if abs(mid - mid_row) <= max(4.0, w.box.height * 0.5):
                    row.append(w)
                    break
            else:
                rows.append((mid, [w]))
        groups = {i: row for i, (_, row) in enumerate(rows)}
    ordered = sorted(groups.values(), key=lambda ws: (min(w.box.top for w in ws), ws[0].box.left))
    lines = []
    for index, ws in enumerate(ordered):
        ws = sorted(ws, key=lambda w: w.box.left)
        starts, pos = [], 0
        for w in ws:
            starts.append(pos)
            pos += len(w.text) + 1
        text = " ".join(w.text for w in ws)
        lines.append(
            Line(
                index=index,
                words=tuple(ws),
                text=text,
                starts=tuple(starts),
                digits=digitize(text),
                lower=_lower_text(text),
            )
        )
    return lines


# ---------------------------------------------------------------------------------------------
# Labels: what a value is, judged from the text just before it on the same line

LABELS: dict[str, re.Pattern[str]] = {
    "dob": re.compile(
        r"d\s?\.?\s?[o0]\s?\.?\s?[b8]\b\.?|date\s+of\s+birth|birth\s*date|\bborn\b|\bbirth\b|\bb/?d\b",
        re.I,
    ),
    "stamp": re.compile(
        r"\bfax(ed)?\b|\bprinted\b|\bprint\s+date\b|\bsent\b|\btransmitted\b|\bpage\s+\d|"
        r"\bp\.\s?\d|\bfrom\s*:|\bto\s*:|\brun\s+date\b|\brun\s+time\b|"
        r"\breceived\b|\brec'?d\b",
        re.I,
    ),
    # The date of the care itself: when the specimen was taken, the exam done, the patient
    # seen, admitted or discharged (docdate ranks these first).
    "service": re.compile(
        r"date\s+of\s+(service|visit|exam|examination|procedure|study|encounter|surgery|"
        r"vaccination|immunization|admission|collection)|"
        r"\b(service|visit|exam|study|encounter|procedure|collection|specimen|vaccine|session|"
        r"admission|admit)\s+date\b|\bdos\b|\bcollected\b|\bcollection\b|\bdrawn\b|"
        r"\badministered\b|\bdate\s+given\b|\bseen(\s+on)?\b|\badmitted\b|\bperformed\b|"
        r"\bexamined\b|\bvisit\b|\bencounter\b",
        re.I,
    ),
    # The end of a stay: a discharge summary's date (just above the admission date).
    "discharge": re.compile(r"date\s+of\s+discharge|\bdischarge\s+date\b|\bdischarged\b", re.I),
    # The paper about the care: reported, resulted, verified, signed, dictated.
    "report": re.compile(
        r"date\s+of\s+(report|consult\w*|result)|"
        r"\b(report|result|results|signature|consult|verified|final)\s+date\b|\breported\b|"
        r"\bresulted\b|\bverified\b|\bsigned\b|\bdictated\b|\btranscribed\b|\bapproved\b",
        re.I,
    ),
    "letter": re.compile(r"\bletter\s+date\b|\bdated\b", re.I),
    "event": re.compile(
        r"date\s+of\s+(referral|injury|onset)|"
        r"\b(test|order|referral|request)\s+date\b|\bordered\b",
        re.I,
    ),
    "admin": re.compile(
        r"\b(statement|billing|invoice|print|run|effective|expiration|due|issue|"
        r"appointment|follow[\s-]?up)\s+date\b|\bprocessed\b|\bdue\b|\bexpires?\b|"
        r"\bexpiration\b|\beffective\b|\bvalid\s+(until|through)\b|\bappointment\b|"
        r"\bnext\s+visit\b|\breturn\b|\bfollow[\s-]?up\b|\buntil\b|\bthrough\b|"
        r"\b(prior|previous|comparison|compared\s+(to|with))\b[a-z\s]{0,24}",
        re.I,
    ),
    "generic": re.compile(r"\bdate\b|\bdt\b", re.I),
}
# When two labels end at the same place ("Birth Date:"), the more specific one wins.
_LABEL_PRIORITY = {
    "dob": 0,
    "stamp": 1,
    "discharge": 2,
    "service": 3,
    "report": 4,
    "letter": 5,
    "event": 6,
    "admin": 7,
    "generic": 8,
}
_TIME = re.compile(r"\b\d{1,2}:\d{2}(:\d{2})?\s*([ap]\.?m\.?)?\b", re.I)
_FAX_LINE = re.compile(r"\bfax\b|\bfrom\s*:|\bp\.\s?\d+\s*/\s*\d+|\bpage\s+\d+\s+of\s+\d+", re.I)


def label_match(
    text: str, start: int, floor: int = 0, window: int = 40
) -> tuple[str, int, int] | None:
    """The label closest before `start` (after `floor`) on the line: (kind, start, end) in
    `text`, or None. Of labels ending at the same place the longer one is the more specific
    ("next visit" over "visit", "birth date" over "date"), then `_LABEL_PRIORITY` decides."""
    lo = max(floor, start - window)
    segment = text[lo:start]
    best: tuple[int, int, int, str, int, int] | None = None
    for kind, rx in LABELS.items():
        for m in rx.finditer(segment):
            dist = len(segment) - m.end()
            key = (dist, -(m.end() - m.start()), _LABEL_PRIORITY[kind], kind, m.start(), m.end())
            if best is None or key < best:
                best = key
    return (best[3], lo + best[4], lo + best[5]) if best else None


def label_before(text: str, start: int, floor: int = 0, window: int = 40) -> str:
    """The kind of the label closest before `start` (after `floor`), or "" when none."""
    found = label_match(text, start, floor, window)
    return found[0] if found else ""


# ---------------------------------------------------------------------------------------------
# Dates


@dataclass(frozen=True, slots=True)
class DateCandidate:
    """A date read on the page: its reading in the clinic's order, and the swapped one."""

    value: date
    alt: date | None  # the other day/month reading when the text allows both, else None
    label: str  # a key of LABELS ("dob", "service", "stamp", ...) or ""
    words: tuple[Word, ...]
    line: int
    span: tuple[int, int]
    alone: bool = False  # the date is the whole line: a letter's date line
    label_words: tuple[Word, ...] = ()  # the label as printed (beside or above the date)
    stamp_like: bool = False  # printed the way date stamps are ("MAR 04 2025")


# A label further than this many line-heights left of its date labels something else (a
# stamp pressed over a line of the form reads as one line with it).
LABEL_GAP_HEIGHTS = 6.0
# A column header (or a stamp's "RECEIVED") this many line-heights above a date labels it.
ABOVE_GAP_HEIGHTS = 2.2
_STAMP_DATE = re.compile(r"[A-Z]{3}\.?\s+\d{1,2}\s+\d{4}")
# Above a date only these labels count: a letterhead's "Fax" line above a letter's date line
# is not that date's label, a stamp's "RECEIVED" above its date is.
_ABOVE_KINDS = ("dob", "discharge", "service", "report", "letter", "event", "admin", "generic")
_RECEIVED = re.compile(r"\breceived\b|\brec'?d\b", re.I)


def _span_x(words: tuple[Word, ...]) -> tuple[int, int]:
    return min(w.box.left for w in words), max(w.box.left + w.box.width for w in words)


def _height(words: tuple[Word, ...]) -> float:
    return max(1.0, sorted(w.box.height for w in words)[len(words) // 2])


def label_above(
    lines: list[Line], date_words: tuple[Word, ...], _wrapped: bool = False
) -> tuple[str, tuple[Word, ...]]:
    """The label printed just above a date that has none beside it: a table's column header
    ("Collection Date" over its column, or wrapped onto two lines) or a stamp's first line
    ("RECEIVED")."""
    if not date_words:
        return "", ()
    left, right = _span_x(date_words)
    top = min(w.box.top for w in date_words)
    height = _height(date_words)
    best: tuple[float, int, int, str, tuple[Word, ...]] | None = None
    for line in lines:
        bottom = max(w.box.top + w.box.height for w in line.words)
        gap = top - bottom
        if gap < -0.3 * height or gap > ABOVE_GAP_HEIGHTS * height:
            continue
        if any(w in date_words for w in line.words):
            continue
        found = [(k, m) for k in _ABOVE_KINDS for m in LABELS[k].finditer(line.text)]
        found += [("stamp", m) for m in _RECEIVED.finditer(line.text)]
        for kind, m in found:
            ws = line.words_in(*m.span())
            if not ws:
                continue
            lo, hi = _span_x(ws)
            overlap = min(hi, right) - max(lo, left)
            if overlap <= 0:
                continue
            key = (round(gap / height), -(m.end() - m.start()), _LABEL_PRIORITY[kind], kind, ws)
            if best is None or key[:4] < best[:4]:
                best = key
    if best is None:
        return "", ()
    if best[3] == "generic" and not _wrapped:
        # A header cell wrapped onto two lines: "Collection" (or "Discharge") above "Date".
        kind, words = label_above(lines, best[4], _wrapped=True)
        if kind not in ("", "generic"):
            return kind, words + best[4]
        above = _words_above(lines, best[4])
        if above:
            joined = " ".join(w.text.strip(".,:;") for w in (*above, *best[4]))
            kind = _kind_of(joined)
            if kind not in ("", "generic"):
                return kind, above + best[4]
    return best[3], best[4]


def _words_above(lines: list[Line], words: tuple[Word, ...]) -> tuple[Word, ...]:
    """The words of the nearest line just above `words` that stand over them."""
    left, right = _span_x(words)
    top = min(w.box.top for w in words)
    height = _height(words)
    best: tuple[float, tuple[Word, ...]] | None = None
    for line in lines:
        bottom = max(w.box.top + w.box.height for w in line.words)
        gap = top - bottom
        if gap < -0.3 * height or gap > ABOVE_GAP_HEIGHTS * height:
            continue
        over = tuple(
            w for w in line.words if min(w.box.left + w.box.width, right) > max(w.box.left, left)
        )
        if over and (best is None or gap < best[0]):
            best = (gap, over)
    return best[1] if best else ()


def _kind_of(text: str) -> str:
    """The kind of the longest label in `text` ("Discharge Date" -> "discharge")."""
    best: tuple[int, int, str] | None = None
    for kind, rx in LABELS.items():
        for m in rx.finditer(text):
            key = (-(m.end() - m.start()), _LABEL_PRIORITY[kind], kind)
            if best is None or key < best:
                best = key
    return best[2] if best else ""


def find_dates(
    lines: list[Line], order: str = "MDY", today: date | None = None
) -> list[DateCandidate]:
    """Every date on the page with the label it carries, in reading order.

    Read by the one date reader (`clinicrecords.common.dates`), not past only: a page prints
    appointments and expiry dates (`docdate` drops those as document dates). A bare 8-digit
    run counts only after a date-of-birth label, where it is not an account or phone number.
    A date with no label beside it takes the one printed just above it (`label_above`).
    """
    today = today or date.today()
    out: list[DateCandidate] = []
    for line in lines:
        found: list[tuple[int, int, date, date | None]] = []
        for shape in date_shapes(line.digits, compact=True):
            if shape.kind == "compact" and label_before(line.text, shape.start) != "dob":
                continue
            primary, alt = shape.page_reading(order, today)
            if primary is not None:
                found.append((shape.start, shape.end, primary, alt))
        found.sort()
        stamp_line = bool(_FAX_LINE.search(line.text)) and bool(_TIME.search(line.digits))
        floor = 0
        for s, e, primary, alt in found:
            words = line.words_in(s, e)
            stamp_like = bool(_STAMP_DATE.fullmatch(line.text[s:e].strip(" ,.")))
            match = label_match(line.text, s, floor)
            label, label_words = "", ()
            if match is not None:
                label, label_words = match[0], line.words_in(match[1], match[2])
                if label_words and words and label != "dob":
                    gap = words[0].box.left - max(w.box.left + w.box.width for w in label_words)
                    if gap > LABEL_GAP_HEIGHTS * _height(words):
                        label, label_words = "", ()  # far off: a stamp over a form line
            if stamp_line and label != "dob":
                label = "stamp"
            elif label in ("", "generic") and _TIME.match(line.digits, e + 1):
                # "11/20/2026 10:32 AM" with no other label is a machine stamp, not a visit.
                label = "stamp"
            elif label == "" and not line.text[floor:s].strip():
                label, label_words = label_above(lines, words)
            alone = not line.text[:s].strip() and not line.text[e:].strip(" .,")
            out.append(
                DateCandidate(
                    primary,
                    alt,
                    label,
                    words,
                    line.index,
                    (s, e),
                    alone,
                    label_words,
                    stamp_like,
                )
            )
            floor = e
    return out


# ---------------------------------------------------------------------------------------------
# Numbers: MRN-like runs and phone numbers

_PHONE = re.compile(
    r"(?<![\d-])(?:\+?1[\s.-]?)?\(?\s?(\d{3})\s?\)?[\s.-]?\s?(\d{3})\s?[\s.-]\s?(\d{4})(?![\d-])"
    r"|(?<![\d-])(\d{3})(\d{3})(\d{4})(?![\d-])"
)
_NUMBER = re.compile(r"(?<![\d/.])(\d[\d-]{4,14}\d)(?![\d/])")
_SPLIT_TAIL = re.compile(r" (\d{1,3})(?![\d/.-])")
_FAX_LABEL = re.compile(r"\bfax\b|\bf\s*:|\bfx\b", re.I)
_PHONE_LABEL = re.compile(r"\bph(one)?\b|\btel\b|\bcell\b|\bmobile\b|\bhome\b|\bcontact\b|#", re.I)
_OUR_MRN_LABEL = re.compile(
    r"\bmrn\b|\bm\.r\.n\b|medical\s+record|\bmed\.?\s*rec|\bchart\b|\bpatient\s+id\b|\bpt\.?\s*id\b|\bid\b",
    re.I,
)
_OTHER_NUMBER_LABEL = re.compile(
    r"\b(member|subscriber|group|policy|account|acct|visit|order|specimen|accession|encounter|"
    r"claim|hospital|facility|lab)\s*(id|#|no\.?|number|mrn|mr)\b|"
    r"\bacct\b|\baccount\b|\baccession\b|\bspecimen\b|\bnpi\b|\bpolicy\b|\bmember\b|\bgroup\b|"
    r"\bclaim\b|\binvoice\b|\border\b|\bref\b|\bfin\b|\bencounter\b|\bvisit\b|\bdea\b|\blic",
    re.I,
)


@dataclass(frozen=True, slots=True)
class NumberCandidate:
    digits: str
    label: str  # "mrn" (labelled as a record number), "other" (account, NPI...), or ""
    words: tuple[Word, ...]
    line: int


@dataclass(frozen=True, slots=True)
class PhoneCandidate:
    digits: str  # ten digits
    fax: bool  # labelled as a fax number: a facility's, never the patient's
    words: tuple[Word, ...]
    line: int


def _label_kind(text: str, start: int) -> str:
    segment = text[max(0, start - 30) : start]
    best = ""
    best_end = -1
    for kind, rx in (("other", _OTHER_NUMBER_LABEL), ("mrn", _OUR_MRN_LABEL)):
        for m in rx.finditer(segment):
            if m.end() > best_end:
                best, best_end = kind, m.end()
    return best


def find_phones(lines: list[Line]) -> list[PhoneCandidate]:
    out = []
    for line in lines:
        for m in _PHONE.finditer(line.digits):
            groups = [g for g in m.groups() if g]
            digits = "".join(groups)
            if len(digits) != 10 or digits[0] in "01":
                continue
            before = line.text[max(0, m.start() - 14) : m.start()]
            fax = bool(_FAX_LABEL.search(before)) and not _PHONE_LABEL.search(before[-6:])
            out.append(PhoneCandidate(digits, fax, line.words_in(*m.span()), line.index))
    return out


def find_numbers(
    lines: list[Line], exclude: list[tuple[int, tuple[int, int]]]
) -> list[NumberCandidate]:
    """Digit runs of 6-12 digits (hyphens or spaces inside allowed) that are not dates/phones.

    They are only *candidates*: whether one is our MRN is decided by the check digit and the
    registry in patient_match.
    """
    out = []
    for line in lines:
        spans = [sp for li, sp in exclude if li == line.index]
        for m in _NUMBER.finditer(line.digits):
            s, e = m.span(1)
            if any(s < te and e > ts for ts, te in spans):
                continue
            raw = m.group(1)
            digits = "".join(ch for ch in raw if ch.isdigit())
            if not 6 <= len(digits) <= 12:
                continue
            label = _label_kind(line.text, s)
            if "-" in raw:
                # Ours is printed "12345678" or "1234567-8" (check digit apart); any other
                # hyphenation ("55-1234", "123-456789") is another facility's format.
                body, _, check = raw.rpartition("-")
                ours = len(check) == 1 and body.isdigit()
                label = ("mrn" if label == "mrn" else "") if ours else "other"
            if label == "mrn" and not is_valid_mrn(digits):
                # OCR sometimes splits a number: "0000085 1". Rejoin a short tail when the
                # whole then passes the check digit (it still has to agree with the page).
                tail = _SPLIT_TAIL.match(line.digits, e)
                if tail and is_valid_mrn(digits + tail.group(1)):
                    digits += tail.group(1)
                    e = tail.end(1)
            out.append(NumberCandidate(digits, label, line.words_in(s, e), line.index))
    return out


# ---------------------------------------------------------------------------------------------
# Names

_NAME_LABEL = re.compile(
    r"\b(patient(\s+name)?|pt\.?(\s+name)?|name|re|regarding|client|member(\s+name)?|"
    r"patient\s+full\s+name)\s*[:#-]?\s*$",
    re.I,
)
# Last word of every name label above: only after one of these is the regex worth running.
_LABEL_ENDINGS = frozenset(("patient", "name", "pt", "re", "regarding", "client", "member"))
_NOT_PATIENT_NAME = re.compile(
    r"\b(provider|physician|doctor|facility|company|insured|subscriber|guarantor|contact|"
    r"emergency|plan|practice|clinic|hospital|employer|pharmacy|insurance|agency|requester)"
    r"\s+name\s*[:#-]?\s*$",
    re.I,
)
# Words that end a name or show a "Word, Word" pair is not one (credentials, address parts).
_STOP_WORDS = frozenset(
    [
        "dob",
        "date",
        "birth",
        "mrn",
        "sex",
        "age",
        "male",
        "female",
        "phone",
        "tel",
        "address",
        "id",
        "acct",
        "account",
        "patient",
        "name",
        "of",
        "the",
        "and",
        "for",
        "to",
        "from",
        "re",
        "dr",
        "md",
        "do",
        "np",
        "pa",
        "pac",
        "rn",
        "phd",
        "fnp",
        "aprn",
        "dds",
        "lcsw",
        "psyd",
        "facp",
        "facs",
        "way",
        "st",
        "street",
        "ave",
        "avenue",
        "rd",
        "road",
        "dr",
        "drive",
        "ln",
        "lane",
        "blvd",
        "ct",
        "pkwy",
        "suite",
        "apt",
        "ma",
        "nh",
        "ny",
        "ct",
        "ri",
        "vt",
        "me",
        "ca",
        "tx",
        "az",
        "fl",
        "il",
        "nj",
        "pa",
        "oh",
    ]
)


@dataclass(frozen=True, slots=True)
class NameCandidate:
    """A person's name as it stands on the page, split the ways it may be read."""

    family: str
    given: str
    words: tuple[Word, ...]
    line: int
    labelled: bool  # after "Patient:", "Name:", "Re:" (the page says whose it is)


def _name_words(line: Line, start_word: int, limit: int = 4) -> list[Word]:
    """Up to `limit` name-like words from `start_word`: stops at digits, labels and stop words."""
    out: list[Word] = []
    for w in line.words[start_word : start_word + limit]:
        token = letters_of(w.text)
        if not token or any(ch.isdigit() for ch in w.text) or w.text.endswith(":"):
            break
        if token in _STOP_WORDS:
            break
        out.append(w)
    return out


def _split(ws: list[Word], line: Line, labelled: bool) -> list[NameCandidate]:
    """Both readings of the words: "FAMILY, Given" or "Given [Middle] Family"."""
    tokens = [letters_of(w.text) for w in ws]
    if len(ws) < 2 or not all(tokens):
        return []
    comma = next((i for i, w in enumerate(ws[:-1]) if w.text.endswith(",")), None)
    out = []
    if comma is not None:
        family = " ".join(tokens[: comma + 1])
        out.append(NameCandidate(family, tokens[comma + 1], tuple(ws), line.index, labelled))
        return out
    out.append(NameCandidate(tokens[-1], tokens[0], tuple(ws), line.index, labelled))
    out.append(NameCandidate(tokens[0], tokens[1], tuple(ws), line.index, labelled))
    return out


def _is_name_label(prefix: str) -> bool:
    """ "Patient:" / "Name -" anywhere, or a bare "Patient" that starts the line; never running
    prose such as "The patient tolerated…" and never a provider's or insurer's name label."""
    m = _NAME_LABEL.search(prefix)
    if m is None or _NOT_PATIENT_NAME.search(prefix):
        return False
    punctuated = any(ch in m.group(0) for ch in ":#-")
    return punctuated or not prefix[: m.start()].strip()


def find_names(lines: list[Line]) -> list[NameCandidate]:
    """Person names the page states: labelled ones ("Patient: ...") and "FAMILY, Given" forms."""
    out: list[NameCandidate] = []
    for line in lines:
        for i, w in enumerate(line.words):
            after_label = i > 0 and letters_of(line.words[i - 1].text) in _LABEL_ENDINGS
            prefix = line.text[: line.starts[i]] if after_label else ""
            if after_label and _is_name_label(prefix):
                ws = _name_words(line, i)
                # A stated name is capitalised ("The patient was admitted" names nobody).
                if len(ws) >= 2 and ws[0].text[:1].isupper() and ws[-1].text[:1].isupper():
                    out.extend(_split(ws, line, True))
                    continue
            core = w.text.rstrip(",")
            if (
                w.text.endswith(",")
                and len(core) >= 2
                and core[:1].isupper()
                and letters_of(core) not in _STOP_WORDS
                and i + 1 < len(line.words)
            ):
                ws = [w, *_name_words(line, i + 1, 2)]
                if len(ws) >= 2 and ws[1].text[:1].isupper():
                    out.extend(_split(ws, line, False))
    unique: dict[tuple[str, str], NameCandidate] = {}
    for c in out:
        key = (c.family, c.given)
        if key not in unique or (c.labelled and not unique[key].labelled):
            unique[key] = c
    return list(unique.values())


# ---------------------------------------------------------------------------------------------
# Everything at once


@dataclass(frozen=True, slots=True)
class PageIdentifiers:
    lines: list[Line]
    dates: list[DateCandidate]
    phones: list[PhoneCandidate]
    numbers: list[NumberCandidate]
    names: list[NameCandidate]


def extract(lines: list[Line], order: str = "MDY", today: date | None = None) -> PageIdentifiers:
    dates = find_dates(lines, order, today)
    phones = find_phones(lines)
    exclude = [(d.line, d.span) for d in dates]
    for p in phones:
        line = lines[p.line]
        first = line.words.index(p.words[0])
        last = line.words.index(p.words[-1])
        exclude.append((p.line, (line.starts[first], line.starts[last] + len(p.words[-1].text))))
    numbers = find_numbers(lines, exclude)
    names = find_names(lines)
    return PageIdentifiers(lines, dates, phones, numbers, names)
