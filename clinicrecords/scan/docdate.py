"""The document's date: the date of service or report, never the patient's date of birth.

Every date on the page is a candidate; its label decides most of its score ("Date of service",
"Collected", "Signed" beat a bare "Date:", which beats an unlabelled date, which beats a fax
header or "Printed" stamp, the date the paper was *sent*, not the date of care). Dates that
cannot be the document's are dropped rather than scored low: any date labelled as a birth
date, the value of any such date and the suggested patient's DOB wherever they appear, dates
after `today`, and dates before the patient was born.

A date whose day and month could be swapped ("03/04/2024") is read in the clinic's
`date_order`; the other reading is offered too, well below, so the clerk can pick it with one
keystroke when a DMY letter arrives at an MDY clinic.
"""

from __future__ import annotations

from datetime import date

from clinicrecords.scan.identifiers import DateCandidate, boxes, words_text
from clinicrecords.scan.types import Evidence, ScoredValue

LABEL_SCORE = {
    "service": 0.85,  # date of service, reported, signed, discharged: the date of the care
    "event": 0.72,  # collected, admitted, received: a step before the document's date
    "generic": 0.65,  # a bare "Date:"
    "": 0.5,
    "admin": 0.38,  # statement, due, expires, next appointment: dates about the paper
    "stamp": 0.22,  # fax header, "Printed": the date the paper was sent
}
ALONE_BONUS = 0.2  # a date standing alone on its line near the top: a letter's date
LATEST_BONUS = 0.03  # of equally labelled dates, the latest (immunisation tables, notes)
AMBIGUOUS_FACTOR = 0.92  # the stated-order reading of a date that could be swapped
SWAPPED_FACTOR = 0.35  # the swapped reading
REPEAT_BONUS = 0.04  # the same date again elsewhere on the page (up to 3 times)
TOP_BONUS = 0.04  # an unlabelled date in the first lines: a letter's date line
MIN_YEAR = 1900


def suggest_dates(
    dates: list[DateCandidate],
    patient_dob: date | None,
    today: date,
    limit: int = 5,
) -> tuple[ScoredValue, ...]:
    """Candidate document dates, best first, scores in 0..1."""
    birth_values = {d.value for d in dates if d.label == "dob"}
    birth_values |= {d.alt for d in dates if d.label == "dob" and d.alt is not None}
    if patient_dob is not None:
        birth_values.add(patient_dob)
    floor = patient_dob or (min(birth_values) if birth_values else None)
    scores: dict[date, float] = {}
    evidence: dict[date, list[Evidence]] = {}
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
        ev = Evidence("date", words_text(cand.words), boxes(cand.words))
        evidence.setdefault(value, []).append(ev)

    for cand in dates:
        if cand.label == "dob":
            continue
        base = LABEL_SCORE[cand.label]
        if cand.label == "" and cand.line < 8:
            base += ALONE_BONUS if cand.alone else TOP_BONUS
        if cand.alt is not None:
            # The swapped reading only as a second choice to a plausible stated one: when
            # the stated reading is a DOB or a future appointment, so is the text.
            if plausible(cand.value):
                offer(cand.value, base * AMBIGUOUS_FACTOR, cand)
                offer(cand.alt, base * SWAPPED_FACTOR, cand)
        else:
            offer(cand.value, base, cand)

    latest = max((v for v, sc in scores.items() if sc > LABEL_SCORE["stamp"]), default=None)
    out = []
    for value, score in scores.items():
        bonus = REPEAT_BONUS * min(3, seen[value] - 1) + (LATEST_BONUS if value == latest else 0.0)
        if score <= LABEL_SCORE["stamp"]:
            bonus = 0.0  # a fax header repeated on every line is still a fax header
        out.append(
            ScoredValue(
                value.isoformat(),
                round(min(0.99, score + bonus), 3),
                tuple(evidence[value][:4]),
            )
        )
    out.sort(key=lambda v: (-v.score, v.value))
    return tuple(out[:limit])
