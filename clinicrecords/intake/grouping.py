"""Pages into documents, and one set of suggestions for a document's pages.

Pure functions over the pages' suggestions, used by the index screen and the command line
alike (before, the rule lived in the screen, so ``ingest`` on the command line sent the page
after a cover sheet to review with no patient): a cover sheet starts a document, so does a
confident change of patient; a document never spans two files. A page with no patient of its
own carries its document's (``merge_suggestions``); the clerk still sees that it had none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from clinicrecords.scan.types import PatientSuggestion, ScoredValue, Suggestions

if TYPE_CHECKING:
    from clinicrecords.intake.review import ScanPage


def _merge_scored(lists: Sequence[Sequence[ScoredValue]]) -> tuple[ScoredValue, ...]:
    best: dict[str, ScoredValue] = {}
    for values in lists:
        for v in values:
            if v.value not in best or v.score > best[v.value].score:
                best[v.value] = v
    return tuple(sorted(best.values(), key=lambda v: -v.score))


def merge_suggestions(pages: Sequence[Suggestions]) -> Suggestions:
    """One set for a whole document (or file): each candidate at its best page's score,
    best first."""
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


def starts_document(prev: ScanPage, page: ScanPage) -> bool:
    """A cover sheet starts a document; so does a confident change of patient."""
    if page.cover:
        return True
    a, b = prev.suggestion.confident_patient, page.suggestion.confident_patient
    return a is not None and b is not None and a.patient_id != b.patient_id


def group_pages(pages: Sequence[ScanPage], kept: Sequence[Sequence[int]] = ()) -> list[list[int]]:
    """The pages (in batch order) as documents, by page id. ``kept``: groups already made
    (the clerk's, saved with the batch): pages still there stay in them; the others join the
    last document when they come from the same file and nothing starts a new one."""
    by_id = {p.id: p for p in pages}
    groups = [[i for i in g if i in by_id] for g in kept]
    groups = [g for g in groups if g]
    placed = {i for g in groups for i in g}
    for p in pages:
        if p.id in placed:
            continue
        prev = groups[-1] if groups else None
        last = by_id.get(prev[-1]) if prev else None
        if last is not None and last.file_id == p.file_id and not starts_document(last, p):
            prev.append(p.id)
        else:
            groups.append([p.id])
    return groups


@dataclass(frozen=True)
class DocumentGroup:
    """One suggested document: its pages (in order) and their suggestions merged."""

    page_ids: tuple[int, ...]
    suggestions: Suggestions
    unsure: tuple[int, ...]  # pages with no confident patient of their own (look at them)


def documents(pages: Sequence[ScanPage], kept: Sequence[Sequence[int]] = ()) -> list[DocumentGroup]:
    by_id = {p.id: p for p in pages}
    return [
        DocumentGroup(
            tuple(g),
            merge_suggestions([by_id[i].suggestion for i in g]),
            tuple(i for i in g if by_id[i].status == "review"),
        )
        for g in group_pages(pages, kept)
    ]
