"""Author and facility of a document: best effort, scored, never decisive.

Authors come from labelled lines ("Ordering physician:", "Electronically signed by:"),
"Dr. First Last" and "First Last, MD" forms. Facilities come from the letterhead (the first
lines, usually in bigger type, carrying words like Clinic, Hospital, Laboratory), from labels
("Facility:", "Performing lab:") and from a fax header's "FROM:". Both are free text the clerk
may keep or overwrite; nothing downstream relies on them, so recall matters more than
precision and scores stay modest.
"""

from __future__ import annotations

import re
from statistics import median

from clinicrecords.scan.identifiers import Line, boxes, letters_of, words_text
from clinicrecords.scan.types import Evidence, ScoredValue, Word

_CREDENTIAL = (
    r"M\.?D|D\.?O|N\.?P|PA-?C|P\.?A|FNP(?:-C)?|APRN|ARNP|CNM|CRNP|R\.?N|Ph\.?D|PsyD|LCSW|LMFT|LPC|"
    r"DPM|DDS|DMD|MBBS|FACP|FACS|FAAP|OD|DNP|RPh|PharmD"
)
# Labels naming who wrote or signed the document, and labels naming who *asked* for it: the
# ordering or referring clinician is usually one of ours (the recipient), so it ranks lower.
_AUTHOR_LABELS: tuple[tuple[re.Pattern[str], float], ...] = (
    (
        re.compile(
            r"(?:electronically\s+)?(?:signed|dictated|reviewed|authenticated|verified|approved|"
            r"interpreted|read|written)\s+by\s*:?\s*|\bauthor\s*:\s*|\bfrom\s*:\s*(?=dr\b)|"
            r"\b(?:attending|interpreting|reading|consulting|treating|rendering|discharging)\s+"
            r"(?:physician|provider|doctor|clinician|radiologist)\s*[:#-]\s*|"
            r"\b(?:radiologist|pathologist|laboratory\s+director|lab\s+director|"
            r"medical\s+director)\s*[:#-]\s*",
            re.I,
        ),
        0.85,
    ),
    (
        re.compile(
            r"\b(?:(?:ordering|referring|requesting|primary\s+care|admitting)\s+)?"
            r"(?:physician|provider|doctor|clinician|practitioner|pcp)(?:\s+name)?\s*[:#-]\s*",
            re.I,
        ),
        0.5,
    ),
)
_NOT_NAME = frozenset(
    [
        "date",
        "dob",
        "mrn",
        "npi",
        "on",
        "at",
        "radiologist",
        "physician",
        "pathologist",
        "provider",
        "attending",
        "resident",
        "fellow",
        "director",
        "nurse",
        "practitioner",
        "the",
        "and",
        "for",
        "of",
    ]
)
SIGNATURE_LINE = 0.8
_RECIPIENT_LINE = re.compile(r"\s*(dear|to\s*:|attn|attention|cc\s*:|re\s*:)", re.I)
_DR = re.compile(r"\bdr\.?\s+", re.I)
_CRED_AFTER = re.compile(rf",?\s*(?:{_CREDENTIAL})\b\.?", re.I)
_NAME_WORD = re.compile(r"^[A-Z][A-Za-z'\-]*\.?,?$|^[A-Z]\.?$")

_FACILITY_WORDS = re.compile(
    r"\b(clinic|hospital|medical\s+center|health|healthcare|laborator(y|ies)|labs?|imaging|"
    r"radiology|associates|pharmacy|center|centre|group|practice|physicians|medical|diagnostics|"
    r"university|institute|partners|medicine|pediatrics|urgent\s+care|insurance|surgical|"
    r"orthopedics|cardiology|dermatology|specialists|services|care|llc|inc|pc|pllc)\b",
    re.I,
)
_FACILITY_LABEL = re.compile(
    r"\b(facility|performing\s+(lab|laboratory|site)|location|hospital|clinic|practice|"
    r"organization|sending\s+facility|lab(oratory)?\s+name)\s*[:#-]\s*",
    re.I,
)
_FAX_FROM = re.compile(r"\bfrom\s*:\s*", re.I)
_NOT_FACILITY = re.compile(
    r"\b(dob|d\.o\.b|mrn|birth|patient|sex|age|phone|tel|fax|page|date)\b", re.I
)
_CUT = re.compile(r"\s+(?:\||-|–|•)\s+|\s{2,}|\d|\b(?:tel|ph|phone|fax)\b", re.I)


def _author_words(words: tuple[Word, ...], first: int) -> tuple[list[Word], bool]:
    """Name words from `first` on, and whether a credential (MD, NP...) closed them."""
    out: list[Word] = []
    for w in words[first : first + 5]:
        text = w.text.strip()
        if _is_credential(text):
            if out:
                out.append(w)
                return out, True
            break
        if not _NAME_WORD.match(text) or letters_of(text) in _NOT_NAME:
            break
        out.append(w)
        if text.endswith(","):
            continue
    return out, False


def _is_credential(text: str) -> bool:
    return bool(_CRED_AFTER.fullmatch(" " + text.strip(" ,;:")))


def _clean_name(ws: list[Word]) -> str:
    parts = []
    for w in ws:
        t = w.text.strip(",;:")
        if _is_credential(t):
            parts.append(t.replace(".", "").upper())
            continue
        parts.append(t)
    name = " ".join(parts)
    return re.sub(r"\s+", " ", name).strip()


def _word_at(line: Line, offset: int) -> int | None:
    for i, s in enumerate(line.starts):
        if s >= offset:
            return i
    return None


def find_authors(
    lines: list[Line], exclude: set[str] | frozenset[str] = frozenset(), limit: int = 3
) -> tuple[ScoredValue, ...]:
    """Who wrote or ordered the document, best first. `exclude`: folded patient name words."""
    found: dict[str, tuple[float, str, list[Evidence]]] = {}

    def add(ws: list[Word], score: float) -> None:
        names = [w for w in ws if not _is_credential(w.text)]
        if len(names) < 2 and not (names and score >= 0.6):
            return
        if any(letters_of(w.text) in exclude for w in names if len(letters_of(w.text)) > 2):
            return
        if _FACILITY_WORDS.search(" ".join(w.text for w in names)):
            return  # "Provider: Maple Street Family Practice" names a place, not a person
        value = _clean_name(ws)
        key = "".join(letters_of(w.text) for w in names)
        ev = Evidence("author", words_text(ws), boxes(ws))
        if key in found:
            best, shown, evs = found[key]
            found[key] = (
                max(best, score) + 0.05,
                shown if len(shown) >= len(value) else value,
                evs + [ev],
            )
        else:
            found[key] = (score, value, [ev])

    for line in lines:
        if _RECIPIENT_LINE.match(line.text):
            continue  # "Dear Dr. Lee," / "To: Dr. Lee" names who the paper is for
        for rx, base in _AUTHOR_LABELS:
            for m in rx.finditer(line.text):
                i = _word_at(line, m.end())
                if i is None:
                    continue
                if line.words[i].text.lower().rstrip(".") == "dr":
                    i += 1
                ws, cred = _author_words(line.words, i)
                add(ws, base + (0.05 if cred else 0.0))
        for m in _DR.finditer(line.text):
            i = _word_at(line, m.end())
            if i is None:
                continue
            ws, cred = _author_words(line.words, i)
            add(ws, 0.7 if cred else 0.6)
        for i, w in enumerate(line.words):
            if i and _is_credential(w.text) and line.words[i - 1].text.endswith(","):
                start = max(0, i - 3)
                while start < i and (
                    not _NAME_WORD.match(line.words[start].text)
                    or letters_of(line.words[start].text) in _NOT_NAME
                ):
                    start += 1
                ws, _ = _author_words(line.words, start)
                if ws:
                    # "Name, MD" opening its own line is a signature block.
                    add(ws, SIGNATURE_LINE if start == 0 else 0.62)
    out = [
        ScoredValue(value, round(min(0.95, score), 3), tuple(evs[:3]))
        for score, value, evs in found.values()
    ]
    out.sort(key=lambda v: (-v.score, v.value))
    return tuple(out[:limit])


def _facility_text(line: Line, start_word: int) -> tuple[str, tuple[Word, ...]]:
    text = line.text[line.starts[start_word] :]
    cut = _CUT.search(text)
    if cut:
        text = text[: cut.start()]
    # OCR speckle reads as trailing marks ("Associates ©", "Clinic |"): a name ends in a letter
    # or a digit (or a closing bracket/period of an abbreviation).
    text = text.strip(" ,;:-")[:60].rstrip()
    while text and not (text[-1].isalnum() or text[-1] in ".)"):
        text = text[:-1].rstrip(" ,;:-")
    ws = line.words_in(line.starts[start_word], line.starts[start_word] + len(text))
    return text, ws


def find_facilities(lines: list[Line], limit: int = 3) -> tuple[ScoredValue, ...]:
    """Which facility the document comes from, best first."""
    if not lines:
        return ()
    heights = [w.box.height for line in lines for w in line.words]
    typical = median(heights) if heights else 0
    found: dict[str, tuple[float, str, list[Evidence]]] = {}

    def add(text: str, ws: tuple[Word, ...], score: float) -> None:
        if len(text) < 4 or not ws or not any(ch.isalpha() for ch in text):
            return
        key = letters_of(text.replace(" ", ""))
        ev = Evidence("facility", words_text(ws), boxes(ws))
        if key in found:
            best, shown, evs = found[key]
            found[key] = (max(best, score) + 0.05, shown, evs + [ev])
        else:
            found[key] = (score, text, [ev])

    for line in lines:
        for m in _FACILITY_LABEL.finditer(line.text):
            i = _word_at(line, m.end())
            if i is not None:
                text, ws = _facility_text(line, i)
                add(text, ws, 0.75)
        for m in _FAX_FROM.finditer(line.text):
            i = _word_at(line, m.end())
            if i is not None and line.words[i].text.lower().rstrip(".") != "dr":
                text, ws = _facility_text(line, i)
                if _FACILITY_WORDS.search(text):
                    add(text, ws, 0.55)
    for line in lines[:5]:
        if _NOT_FACILITY.search(line.text) or _FAX_FROM.search(line.text):
            continue
        if not _FACILITY_WORDS.search(line.text):
            continue
        text, ws = _facility_text(line, 0)
        big = typical and median(w.box.height for w in line.words) > typical * 1.2
        add(text, ws, 0.6 + (0.1 if big else 0.0) + (0.05 if line.index < 2 else 0.0))
    out = [
        ScoredValue(value, round(min(0.95, score), 3), tuple(evs[:3]))
        for score, value, evs in found.values()
    ]
    out.sort(key=lambda v: (-v.score, v.value))
    return tuple(out[:limit])
