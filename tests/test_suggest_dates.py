"""Document date, author and facility suggestions."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.common.domain import Patient
from clinicrecords.common.mrn import make_mrn
from clinicrecords.scan.suggest import ocr_result_from_text, suggest
from clinicrecords.scan.types import Suggestions
from clinicrecords.search.index import PatientIndex

TODAY = date(2025, 6, 30)
JOHN = Patient(1, make_mrn(101), "Smith", "John", date(1967, 3, 4), "M")


@pytest.fixture(scope="module")
def registry() -> PatientIndex:
    return PatientIndex([JOHN])


def dates(text: str, registry: PatientIndex, order: str = "MDY") -> list[str]:
    s = suggest(ocr_result_from_text(text), registry, date_order=order, today=TODAY)
    return [v.value for v in s.doc_date]


def test_dob_is_never_the_document_date(registry: PatientIndex) -> None:
    text = "Patient: Smith, John  DOB: 03/04/1967\nDate of service: 05/06/2024"
    assert dates(text, registry)[0] == "2024-05-06"
    assert "1967-03-04" not in dates(text, registry)


def test_unlabelled_dob_of_the_suggested_patient_is_not_a_document_date(
    registry: PatientIndex,
) -> None:
    # The DOB printed bare (no label) next to the name, the visit date bare too.
    text = f"SMITH, JOHN  03/04/1967  MRN {JOHN.mrn}\nSeen 05/06/2024 for cough"
    got = dates(text, registry)
    assert got[0] == "2024-05-06"
    assert "1967-03-04" not in got


def test_page_whose_only_date_is_the_dob_has_no_document_date(registry: PatientIndex) -> None:
    assert dates("Patient: John Smith\nDOB: 03/04/1967\nImmunization record", registry) == []


def test_fax_stamp_loses_to_the_service_date(registry: PatientIndex) -> None:
    text = (
        "11/20/2024 10:32 FROM: (555) 012-2131 MERCY LAB TO: MAPLE STREET P.1\n"
        "Mercy Laboratory\nPatient: John Smith  DOB: 03/04/1967\n"
        "Collected: 10/01/2024 07:13\nReported: 10/02/2024\nPrinted 11/19/2024 09:00"
    )
    got = dates(text, registry)
    assert got[0] == "2024-10-01"  # the collection date: the date of service
    assert "2024-11-20" not in got[:3]


def test_fax_stamp_alone_is_offered_with_a_low_score(registry: PatientIndex) -> None:
    text = "Nov 20 2024 10:32 FAX (555) 012-2131 P. 001/002\nPlease call the office."
    s = suggest(ocr_result_from_text(text), registry, today=TODAY)
    assert s.doc_date and s.doc_date[0].value == "2024-11-20"
    assert s.doc_date[0].score < 0.5


def test_future_dates_and_dates_before_birth_are_implausible(registry: PatientIndex) -> None:
    text = "Patient: John Smith DOB 03/04/1967\nNext appointment: 09/01/2025\nDate: 01/01/1950"
    assert dates(text, registry) == []


@pytest.mark.parametrize(
    ("order", "expected", "other"),
    [("MDY", "2024-03-04", "2024-04-03"), ("DMY", "2024-04-03", "2024-03-04")],
)
def test_day_month_order_follows_the_clinic(
    registry: PatientIndex, order: str, expected: str, other: str
) -> None:
    got = dates("Date of service: 03/04/2024", registry, order)
    assert got[0] == expected
    assert other in got  # the swapped reading is offered, lower


def test_unambiguous_date_ignores_the_order(registry: PatientIndex) -> None:
    assert dates("Date of service: 25/03/2024", registry, "MDY")[0] == "2024-03-25"
    assert dates("Date of service: 03/25/2024", registry, "DMY")[0] == "2024-03-25"


def test_dob_in_dmy_clinic(registry: PatientIndex) -> None:
    # DMY clinic: 04/03/1967 is 4 March 1967, John's birthday.
    text = "Patient: John Smith\nDOB: 04/03/1967\nDate of visit: 15/05/2024"
    s = suggest(ocr_result_from_text(text), registry, date_order="DMY", today=TODAY)
    assert s.confident_patient is not None
    assert s.doc_date[0].value == "2024-05-15"


def test_letter_date_line_beats_dates_in_the_body(registry: PatientIndex) -> None:
    text = (
        "Hill Pediatrics\n12 Main St, Lowell, MA\nJune 2, 2025\n"
        "Re: John Smith\nDear Dr. Lee,\nYou missed your appointment on 05/20/2025."
    )
    assert dates(text, registry)[0] == "2025-06-02"


def test_collection_date_beats_report_date(registry: PatientIndex) -> None:
    # Issue 10: a lab's date of service is when the specimen was taken, not when it was read.
    text = "Collected: 1/15/25 06:25\nReported: 1/17/25"
    assert dates(text, registry)[:2] == ["2025-01-15", "2025-01-17"]


def test_author_and_facility(registry: PatientIndex) -> None:
    text = (
        "Riverbend Regional Medical Center\n400 Hospital Dr, Lowell, MA 01852\n"
        "Tel (555) 019-5690 Fax (555) 012-2131\nDISCHARGE SUMMARY\n"
        "Patient: John Smith  DOB: 03/04/1967\n"
        "Attending physician: Priya Raman, MD\n"
        "Dictated by Priya Raman, MD. Electronically signed 06/02/2025."
    )
    s: Suggestions = suggest(ocr_result_from_text(text), registry, today=TODAY)
    assert s.facility and s.facility[0].value == "Riverbend Regional Medical Center"
    assert s.author and s.author[0].value.startswith("Priya Raman")
    assert all("Smith" not in a.value for a in s.author)
    assert s.author[0].evidence and s.author[0].evidence[0].boxes


def test_dr_form_author(registry: PatientIndex) -> None:
    text = "Valley Imaging\nCT HEAD\nElectronically signed by Dr. Eva Erickson, Radiologist, on 1/17/25"
    s = suggest(ocr_result_from_text(text), registry, today=TODAY)
    assert s.author and s.author[0].value == "Eva Erickson"
