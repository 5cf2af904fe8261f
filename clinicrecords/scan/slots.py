"""Whose slot a word stands in: the patient's, or another person's (guarantor, parent,
emergency contact, referring physician, cc: recipient).

Real mail names several people, each with identifiers of their own: a child's registration
form carries the parent's name and date of birth, a referral names the referring physician, a
letter lists its cc: recipients, and some of those people are patients of the clinic too. The
matcher must judge a chart only on what the page says about *its patient*, so every word gets
a role here:

* ``PATIENT``: after a patient label ("Patient:", "Pt name", "Re:", "Patient Information"
  heading and the lines under it);
* ``OTHER``: after another person's label ("Guarantor:", "Parent/Guardian", "Emergency
  contact", "Referring physician", "cc:", "Dr.") or under such a heading;
* ``""``: neither (running text, a letter's address block): it counts as before.

A label's role reaches the rest of its line (until the next role label) and, when the label
starts a line, the few lines below it that hold that person's details ("DOB:", "Phone:", an
address); a heading's role reaches the lines below it until the next heading or role label.
Pure functions of the OCR lines; nothing here logs (every string is patient data).
"""

from __future__ import annotations

import re

from clinicrecords.scan.identifiers import Line
from clinicrecords.scan.types import Word

PATIENT = "patient"
OTHER = "other"

# What ends a label: a colon or "#", or a dash standing apart ("Re - Smith"), never the
# hyphen inside a word ("re-evaluate", "up-to-date").
_SEP = r"\s*(?::|#|-(?=\s))"
# A label naming the patient's slot. "Name:" alone names no one: it takes its section's role.
_PATIENT_LABEL = re.compile(
    r"\b(patient|pt|re|regarding|client|member|resident|student|child|minor)"
    r"(\s+(full\s+)?name|\s+information|\s+info|\s+demographics|\s+details)?" + _SEP,
    re.I,
)
# "cc" as OCR often reads it ("ec:", "ce:") is [ce][ce].
_OTHER_WORDS = (
    r"guarantor|parent(\s*/\s*guardian)?|legal\s+guardian|guardian|mother|father|"
    r"spouse|emergency(\s+contact)?|contact\s+person|next\s+of\s+kin|nok|"
    r"responsible\s+party|policy\s*holder|subscriber|insured|"
    r"referring(\s+(physician|provider|doctor|md|clinician))?|referred\s+by|"
    r"ordering(\s+(physician|provider|doctor|md))?|attending(\s+(physician|md))?|"
    r"primary\s+care(\s+(physician|provider))?|pcp|physician|provider|requested\s+by|"
    r"signed\s+by|[ce][ce]|bcc|copy\s+to|copies\s+to|attn|attention|to|from|"
    r"relationship|relative|caregiver|power\s+of\s+attorney|poa"
)
_OTHER_LABEL = re.compile(
    rf"\b({_OTHER_WORDS})('s)?(\s+(name|information|info|details|dob|phone))?" + _SEP, re.I
)
# "Dr. Alvarez" / "Dr Alvarez": a physician whatever the label.
_DOCTOR = re.compile(r"\bdr\.?\s+(?=[A-Z])")
_PATIENT_HEADING = re.compile(
    r"^\s*(patient|pt)(\s+(information|info|demographics|details|data|identification))?"
    r"\s*:?\s*$",
    re.I,
)
# Headings of another person's block. Not the short label words ("cc", "to", "from"): an
# OCR'd rule or smudge reads as "ee" or "to" on a line of its own.
_OTHER_HEADING = re.compile(
    r"^\s*(guarantor|parent(\s*/\s*guardian)?|legal\s+guardian|guardian|mother|father|"
    r"spouse|emergency(\s+contact)?|contact\s+person|next\s+of\s+kin|responsible\s+party|"
    r"policy\s*holder|subscriber|insured|insurance|referring(\s+(physician|provider))?|"
    r"primary\s+care(\s+(physician|provider))?|caregiver)"
    r"(\s+(information|info|details|contact|data|\(s\)))?s?\s*:?\s*$",
    re.I,
)
# Lines that continue a person's block: their details, not a new subject.
_DETAIL_LINE = re.compile(
    r"^\s*(d\.?o\.?b|date\s+of\s+birth|birth\s*date|phone|tel|cell|home|work|mobile|address|"
    r"addr|relationship|relation|sex|gender|age|ssn|email|city|name|employer|\d)",
    re.I,
)
_LETTER_BODY = re.compile(r"^\s*(dear|hello|hi|thank|we|i|this|the|your)\b", re.I)
# A word Tesseract was this unsure of, short or without a letter or digit, is a speck of noise
# beside a heading more often than text: on degraded scans (grey, noisy, sparse pages) a
# heading line came back as "GUARANTOR oe", "Responsible Party Information Peas" (conf
# 19-29, measured on bench/mail_people.py --ocr --profile bad), and the heading was missed:
# the guarantor's name then took the patient block's role (a confident wrong chart).
NOISE_CONF = 50.0
NOISE_LEN = 4
HEADING_REACH = 6  # lines a heading's role reaches at most
LABEL_REACH = 3  # detail lines under a line-starting role label


def _labels(text: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of every role label on a line, in order."""
    found: list[tuple[int, int, str]] = []
    for rx, role in ((_PATIENT_LABEL, PATIENT), (_OTHER_LABEL, OTHER), (_DOCTOR, OTHER)):
        for m in rx.finditer(text):
            found.append((m.start(), m.end(), role))
    found.sort()
    out: list[tuple[int, int, str]] = []
    last_end = -1
    for start, end, role in found:
        if start < last_end:  # overlapping ("patient contact:"): the first one read wins
            continue
        out.append((start, end, role))
        last_end = end
    return out


def word_roles(lines: list[Line]) -> dict[tuple[int, int], str]:
    """(line index, word position) -> PATIENT or OTHER; words with no role are left out."""
    roles: dict[tuple[int, int], str] = {}
    section, reach = "", 0  # role carried down from a heading or a line-starting label
    heading = False  # the section is a heading's: short lines (an address) belong to it too
    columns: list[tuple[int, str]] = []  # (left edge, role) of a two-column block's labels
    for line in lines:
        text = line.text
        bare = _without_noise(line)
        if _PATIENT_HEADING.match(bare):
            section, reach, heading, columns = PATIENT, HEADING_REACH, True, []
            continue
        if _OTHER_HEADING.match(bare):
            section, reach, heading, columns = OTHER, HEADING_REACH, True, []
            continue
        labels = _labels(text)
        detail = bool(_DETAIL_LINE.match(text)) or (heading and len(line.words) <= 6)
        leading = bool(labels) and not text[: labels[0][0]].strip()
        if leading:
            if not (heading and labels[0][2] == section):
                section, reach, heading = labels[0][2], LABEL_REACH, False
            columns = _columns(line, labels)
        elif reach <= 0 or not detail or _LETTER_BODY.match(text):
            section, reach, heading, columns = "", 0, False, []
        for pos, (word, start) in enumerate(zip(line.words, line.starts, strict=True)):
            role = section
            if columns and not leading:
                role = _column_role(columns, word.box.left + word.box.height, role)
            for _, end, label_role in labels:
                if end <= start:
                    role = label_role
            if role:
                roles[(line.index, pos)] = role
        reach -= 1
    return roles


def _noise(word: Word) -> bool:
    """OCR noise: no letter or digit at all, or short and read with low confidence (a
    name Tesseract read well is never dropped; text-layer words carry a high conf)."""
    text = word.text
    if not any(c.isalnum() for c in text):
        return True
    return 0 <= word.conf < NOISE_CONF and len(text) <= NOISE_LEN


def _without_noise(line: Line) -> str:
    """The line's text without noise words at either end, for matching headings only (the
    words themselves keep their positions and roles)."""
    words = list(line.words)
    while words and _noise(words[-1]):
        words.pop()
    while words and _noise(words[0]):
        words.pop(0)
    return " ".join(w.text for w in words)


def _columns(line: Line, labels: list[tuple[int, int, str]]) -> list[tuple[int, str]]:
    """A line of labels for two people side by side ("Patient Name: …   Guarantor Name: …"):
    where each column starts, so the detail lines under it ("DOB: …   DOB: …") are split."""
    if len({role for _, _, role in labels}) < 2:
        return []
    out = []
    for start, _, role in labels:
        k = max(i for i, s in enumerate(line.starts) if s <= start)
        out.append((line.words[k].box.left, role))
    return out


def _column_role(columns: list[tuple[int, str]], x: int, default: str) -> str:
    """The role of the column a word starting at `x` stands in (a little slack for a word
    printed slightly left of its label)."""
    role = default
    for left, column_role in columns:
        if left <= x:
            role = column_role
    return role
