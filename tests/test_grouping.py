"""Pages into documents (intake/grouping.py): the rule the index screen and the CLI share."""

from __future__ import annotations

from clinicrecords.intake.grouping import documents, group_pages
from clinicrecords.intake.review import ScanPage
from clinicrecords.scan.types import PatientSuggestion, Suggestions


def _page(pid: int, file_id: int, patient: int | None = None, cover: bool = False) -> ScanPage:
    found = (
        (PatientSuggestion(patient, f"MRN{patient}", "X", "1970-01-01", 0.99),) if patient else ()
    )
    return ScanPage(
        id=pid, batch_id=1, file_id=file_id, source_page=pid, seq=pid,
        status="ready" if patient else "review", width=10, height=10, rotation=0,
        blank_score=0.0, has_text=True, suggestion=Suggestions(patient=found), cover=cover,
    )  # fmt: skip


def test_a_cover_sheet_or_a_confident_change_of_patient_starts_a_document() -> None:
    pages = [
        _page(1, 1, patient=7, cover=True),
        _page(2, 1),  # no identifiers: stays with the sheet
        _page(3, 1, patient=7),
        _page(4, 1, patient=8),  # another patient, confidently
        _page(5, 1),
        _page(6, 2),  # another file
        _page(7, 2, patient=9, cover=True),
    ]
    assert group_pages(pages) == [[1, 2, 3], [4, 5], [6], [7]]
    docs = documents(pages)
    assert docs[0].suggestions.confident_patient.patient_id == 7
    assert docs[0].unsure == (2,) and docs[1].unsure == (5,)


def test_the_clerks_groups_are_kept_and_new_pages_join_them() -> None:
    pages = [_page(1, 1, patient=7), _page(2, 1), _page(3, 1)]
    assert group_pages(pages, [[1], [2], [99]]) == [[1], [2, 3]]
