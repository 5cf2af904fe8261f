"""Likely duplicates of a chart about to be registered, each with the reasons it is shown.

The registration form shows these before saving and the clerk chooses: open the existing
chart, or register anyway. Three kinds of evidence (any one is enough to be shown):

* a similar name (typos, nicknames, accents, family and given swapped) and the same DOB;
* a name like one of the chart's previous names (a maiden name) and the same DOB;
* the same phone number;
* the same street address and a similar name;

and, where the form carries an MRN, a chart that already has it (or had it, before a merge).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import jellyfish

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Patient
from clinicrecords.registry import lookup
from clinicrecords.registry.patients import PatientInput
from clinicrecords.search.nicknames import equivalents
from clinicrecords.search.normalize import fold, name_tokens, normalize_phone
from clinicrecords.search.rank import term_similarity

SIMILAR_NAME = 0.75  # both family and given words at least this alike
INITIAL = 0.75  # "J" for John
NAME_POOL = 200
MAX_CANDIDATES = 20

SAME_DOB = "similar name and the same date of birth"
PREVIOUS_NAME_DOB = "like its {label} and the same date of birth"
SAME_PHONE = "the same phone number"
SAME_ADDRESS = "the same address and a similar name"
SAME_MRN = "the same MRN"


@dataclass(frozen=True)
class DuplicateCandidate:
    patient: Patient
    reasons: tuple[str, ...]
    name_similarity: float

    @property
    def score(self) -> float:
        return len(self.reasons) + self.name_similarity


def _word_alike(a: str, b: str) -> float:
    if a == b:
        return 1.0
    ea, eb = equivalents(a), equivalents(b)
    if b in ea or a in eb:
        return 0.9
    if ea.keys() & eb.keys():  # John ~ Jon ~ Jonathan
        return 0.85
    if len(a) == 1 or len(b) == 1:  # an initial
        return INITIAL if a[0] == b[0] else 0.0
    score = term_similarity(a, b, phonetic=False)
    if score >= 0.4 and jellyfish.metaphone(a) == jellyfish.metaphone(b):
        score = max(score, 0.85)  # Smith ~ Smyth, Lee ~ Li
    return score


def _field_alike(a: str, b: str) -> float:
    """Best likeness between the words of two name fields (an initial counts for a given)."""
    wa, wb = name_tokens(a), name_tokens(b)
    if not wa or not wb:
        return 0.0
    joined = "".join(wa) == "".join(wb)
    if joined:
        return 1.0
    best = 0.0
    for x in wa:
        for y in wb:
            best = max(best, _word_alike(x, y))
    return best


def name_similarity(family: str, given: str, p: Patient) -> float:
    """0..1: how alike a typed name is to a chart's, allowing family and given swapped."""
    straight = min(_field_alike(family, p.family), _field_alike(given, p.given))
    swapped = min(_field_alike(family, p.given), _field_alike(given, p.family))
    return max(straight, swapped * 0.95)


_ADDRESS_WORDS = {
    "street": "st",
    "avenue": "ave",
    "av": "ave",
    "road": "rd",
    "drive": "dr",
    "lane": "ln",
    "court": "ct",
    "boulevard": "blvd",
    "place": "pl",
    "apartment": "apt",
    "suite": "ste",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "unit": "apt",
    "no": "",
}


def normalize_address(text: str) -> str:
    """`12 Maple Street, Apt. 3` == `12 maple st apt 3`: case, punctuation, common words."""
    words = re.split(r"[^a-z0-9]+", fold(text))
    return " ".join(_ADDRESS_WORDS.get(w, w) for w in words if _ADDRESS_WORDS.get(w, w))


def likely_duplicates(session: Session, p: PatientInput) -> list[DuplicateCandidate]:
    """Charts that may be the same person as `p`, most likely first (not audited: a search)."""
    session.require("patient.read")
    index = lookup.index_for(session.store)
    reasons: dict[int, list[str]] = {}

    def add(pid: int, reason: str) -> None:
        found = reasons.setdefault(pid, [])
        if reason not in found:
            found.append(reason)

    for pid in index.by_dob(p.dob):
        chart = index.get(pid)
        if chart is not None and name_similarity(p.family, p.given, chart) >= SIMILAR_NAME:
            add(pid, SAME_DOB)
        elif chart is not None:
            # Registered again under a maiden or former name: still the same person.
            for n in chart.previous_names:
                former = replace(chart, family=n.family, given=n.given or chart.given)
                if name_similarity(p.family, p.given, former) >= SIMILAR_NAME:
                    add(pid, PREVIOUS_NAME_DOB.format(label=n.label))
                    break
    if len(normalize_phone(p.phone)) >= 7:
        for pid in index.by_phone(p.phone):
            add(pid, SAME_PHONE)
    address = normalize_address(p.address)
    if address:
        pool = {pid for pid, _ in index.by_name(p.family, p.given, NAME_POOL)}
        pool |= {pid for pid, _ in index.by_name(p.given, p.family, NAME_POOL)}
        for pid in pool:
            chart = index.get(pid)
            if (
                chart is not None
                and normalize_address(chart.address) == address
                and name_similarity(p.family, p.given, chart) >= SIMILAR_NAME
            ):
                add(pid, SAME_ADDRESS)
    if p.mrn.strip():
        for pid in index.by_mrn(p.mrn.strip()):
            add(pid, SAME_MRN)

    out = []
    for pid, why in reasons.items():
        chart = index.get(pid)
        if chart is None or chart.merged_into is not None:
            continue
        out.append(DuplicateCandidate(chart, tuple(why), name_similarity(p.family, p.given, chart)))
    out.sort(key=lambda c: (-c.score, c.patient.family, c.patient.given, c.patient.id))
    return out[:MAX_CANDIDATES]


def register_checked(session: Session, p: PatientInput, shown: list[int]) -> Patient:
    """Register after the duplicate check; when charts were shown, record that the clerk
    chose a new chart anyway (and which charts were shown) in the audit trail."""
    from clinicrecords.registry.patients import register_patient

    patient = register_patient(session, p)
    if shown:
        session.audit("patient.duplicates_overridden", "patient", patient.id, shown=sorted(shown))
    return patient
