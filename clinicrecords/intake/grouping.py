"""Pages into documents, and one set of suggestions for a document's pages."""

from __future__ import annotations

from collections.abc import Sequence

from clinicrecords.scan.types import (
    PatientSuggestion,
    ScoredValue,
    Suggestions,
)


def _merge_scored(lists: Sequence[Sequence[ScoredValue]]) -> tuple[ScoredValue, ...]:
    best: dict[str, ScoredValue] = {}
    for values in lists:
        for v in values:
            if v.value not in best or v.score > best[v.value].score:
                best[v.value] = v
    return tuple(sorted(best.values(), key=lambda v: -v.score))


def merge_suggestions(pages: Sequence[Suggestions]) -> Suggestions:
    """One set for a whole file: each candidate at its best page's score, best first."""
    patients: dict[int, PatientSuggestion] = {}
    for s in pages:
        for p in s.patient:
            if p.patient_id not in patients or p.score > patients[p.patient_id].score:
                patients[p.patient_id] = p
    return Suggestions(
        patient=tuple(sorted(patients.values(), key=lambda p: -p.score)),
        doc_type=_merge_scored([s.doc_type for s in pages]),
        doc_date=_merge_scored([s.doc_date for s in pages]),
        author=_merge_scored([s.author for s in pages]),
        facility=_merge_scored([s.facility for s in pages]),
    )
