"""The document's date: the date of service, never the patient's date of birth.

A page carries many dates; what each one *means* decides, not where it stands. Ranked by its
label (issue 10):

1. the date of the care: collection/specimen, exam, visit/encounter/DOS, admission and
   (a little above it, the end of the stay) discharge;
2. the paper about the care: reported, resulted, verified, signed, dictated;
3. a letter's date (a date line alone near the top, "Letter date", "Dated");
4. bare "Date:", unlabelled dates, then dates about the paper (due, expires, next visit);
5. last, the dates the paper was *handled*: print footers ("Printed 6/3/2024 10:12"), the fax
   header across the top, received stamps ("RECEIVED  MAR 4 2025", boxed and rotated). These
   win only when the page has nothing else.

A date with no label beside it takes a label printed just above it (a table's column header,
a stamp's "RECEIVED": `identifiers.label_above`). Dates that cannot be the document's are
dropped rather than scored low: any date labelled as a birth date, the value of any such date
and the suggested patient's DOB wherever they appear, dates after `today`, and dates before the
patient was born. The best evidence of each date says why, in words ("collection date: ...").

A date whose day and month could be swapped ("03/04/2024") is read in the clinic's
`date_order`; the other reading is offered too, well below, so the clerk can pick it with one
keystroke when a DMY letter arrives at an MDY clinic.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from clinicrecords.scan.identifiers import DateCandidate, boxes, words_text
from clinicrecords.scan.types import Evidence, ScoredValue

LABEL_SCORE = {
    "discharge": 0.92,  # the end of a stay: a discharge summary's date
    "service": 0.9,  # collected, exam, visit, DOS, admitted: the date of the care
    "report": 0.76,  # reported, resulted, verified, signed: the paper about the care
    "letter": 0.72,  # "Letter date", "Dated"
    "event": 0.7,  # referral, order, onset: a step around the care
    "generic": 0.62,  # a bare "Date:"
    "": 0.5,
    "admin": 0.38,  # statement, due, expires, next appointment: dates about the paper
    "stamp": 0.22,  # fax header, "Printed", "RECEIVED": the date the paper was handled
}
ALONE_BONUS = 0.2  # a date standing alone on its line near the top: a letter's date
LATEST_BONUS = 0.03  # of equally labelled dates, the latest (immunisation tables, notes)
# The stated-order reading of a date that could be swapped ("10/4/24") loses only a little:
# a factor (it was 0.92) let an unambiguous admission date outrank an ambiguous discharge date.
AMBIGUOUS_PENALTY = 0.015
SWAPPED_FACTOR = 0.35  # the swapped reading
REPEAT_BONUS = 0.04  # the same date again elsewhere on the page (up to 2 more times): a
# report date printed thrice still stays below a date of service
MAX_REPEATS = 2
TOP_BONUS = 0.04  # an unlabelled date in the first lines: a letter's date line
TOP_LINES = 8
MIN_YEAR = 1900


def reason(cand: DateCandidate) -> str:
    """Why this date, in the clerk's words: its label as printed ("collection date",
    "received", "printed"), or what it looks like."""
    if cand.label_words:
        return words_text(cand.label_words).lower().strip(" :.-#")
    if cand.label == "stamp":
        return "fax header" if cand.stamp_like is False else "date stamp"
    if cand.stamp_like:
        return "date stamp"
    if cand.alone and cand.line < TOP_LINES:
        return "letter date line"
    return "date on the page"


def reason_of(ev: Evidence) -> str:
    """The reason part of a date's evidence text ("collection date: 03/04/2025")."""
    return ev.text.partition(": ")[0]


def _base(cand: DateCandidate) -> float:
    label = cand.label
    if cand.stamp_like and label in ("", "generic"):
        label = "stamp"  # "MAR 04 2025" on its own: a rubber stamp, not a typed date line
    base = LABEL_SCORE[label]
    if label == "" and cand.line < TOP_LINES:
        base += ALONE_BONUS if cand.alone else TOP_BONUS
    return base


def suggest_dates(
    dates: list[DateCandidate],
    patient_dob: date | None,
    today: date,
    limit: int = 5,
    label_weights: Mapping[str, float] | None = None,
) -> tuple[ScoredValue, ...]:
    """Candidate document dates, best first, scores in 0..1.

    `label_weights` (reason -> adjustment) is what this clinic's filed documents taught
    (`intake/date_labels.py`): a label its clerks keep choosing over the default ranking."""
    learned = label_weights or {}
    birth_values = {d.value for d in dates if d.label == "dob"}
    birth_values |= {d.alt for d in dates if d.label == "dob" and d.alt is not None}
    if patient_dob is not None:
        birth_values.add(patient_dob)
    floor = patient_dob or (min(birth_values) if birth_values else None)
    scores: dict[date, float] = {}
    evidence: dict[date, list[tuple[float, Evidence]]] = {}
    seen: dict[date, int] = {}

    def plausible(value: date) -> bool:
        if value in birth_values or value > today or value.year < MIN_YEAR:
            return False
        return floor is None or value >= floor

    def offer(value: date, score: float, cand: DateCandidate) -> None:
        if not plausible(value):
            return
        seen[value] = seen.get(value, 0) + 1
        if score > scores.get(value, 0.0):
            scores[value] = score
        words = cand.label_words + cand.words
        ev = Evidence("date", f"{reason(cand)}: {words_text(cand.words)}", boxes(words))
        evidence.setdefault(value, []).append((score, ev))

    for cand in dates:
        if cand.label == "dob":
            continue
        base = _base(cand) + learned.get(reason(cand), 0.0)
        if cand.alt is not None:
            # The swapped reading only as a second choice to a plausible stated one: when
            # the stated reading is a DOB or a future appointment, so is the text.
            if plausible(cand.value):
                offer(cand.value, base - AMBIGUOUS_PENALTY, cand)
                offer(cand.alt, base * SWAPPED_FACTOR, cand)
        else:
            offer(cand.value, base, cand)

    latest = max((v for v, sc in scores.items() if sc > LABEL_SCORE["stamp"]), default=None)
    out = []
    for value, score in scores.items():
        repeats = min(MAX_REPEATS, seen[value] - 1)
        bonus = REPEAT_BONUS * repeats + (LATEST_BONUS if value == latest else 0.0)
        if score <= LABEL_SCORE["stamp"]:
            bonus = 0.0  # a fax header repeated on every line is still a fax header
        ranked = sorted(evidence[value], key=lambda se: -se[0])
        out.append(
            ScoredValue(
                value.isoformat(),
                round(min(0.99, score + bonus), 3),
                tuple(ev for _, ev in ranked[:4]),
            )
        )
    out.sort(key=lambda v: (-v.score, v.value))
    return tuple(out[:limit])
