"""Patient suggestions: identifier forms, the two-identifier rule, outside numbers, speed."""

from __future__ import annotations

import time
from datetime import date

import pytest

from clinicrecords.common.domain import Patient
from clinicrecords.common.mrn import make_mrn
from clinicrecords.scan.identifiers import extract, page_lines
from clinicrecords.scan.suggest import ocr_result_from_text, suggest
from clinicrecords.scan.types import Box, OcrResult, Suggestions, Word
from clinicrecords.search.index import PatientIndex

TODAY = date(2025, 6, 30)

JOHN = Patient(1, make_mrn(101), "Smith", "John", date(1967, 3, 4), "M", "Allen", "(555) 201-3344")
# Twins: same family name, DOB, phone; different given names.
ANNA = Patient(2, make_mrn(102), "Okafor", "Anna", date(2001, 9, 12), "F", phone="555-777-1200")
ADA = Patient(3, make_mrn(103), "Okafor", "Ada", date(2001, 9, 12), "F", phone="555-777-1200")
# Same name as John, another DOB.
JOHN2 = Patient(4, make_mrn(104), "Smith", "John", date(1980, 11, 23), "M", phone="555-310-9999")
MARIA = Patient(
    5, make_mrn(105), "Garcia-Lopez", "María", date(1955, 12, 1), "F", phone="5554441234"
)
OTHER = Patient(6, make_mrn(106), "Nguyen", "Thanh", date(1990, 1, 2), "M")
PEG = Patient(7, make_mrn(107), "O'Brien", "Margaret", date(1948, 7, 30), "F")


@pytest.fixture(scope="module")
def registry() -> PatientIndex:
    return PatientIndex([JOHN, ANNA, ADA, JOHN2, MARIA, OTHER, PEG])


def page(text: str) -> OcrResult:
    return ocr_result_from_text(text)


def top(s: Suggestions) -> int | None:
    return s.patient[0].patient_id if s.patient else None


# -- identifier forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["SMITH, JOHN A", "John Smith", "Smith, John", "JOHN A. SMITH", "Patient: Smith, John"],
)
@pytest.mark.parametrize(
    "dob",
    ["03/04/1967", "3/4/67", "1967-03-04", "4 Mar 1967", "March 4, 1967", "03-04-1967"],
)
def test_name_and_dob_in_any_form_are_confident(
    registry: PatientIndex, name: str, dob: str
) -> None:
    s = suggest(
        page(f"Valley Labs\nPatient: {name}\nDOB: {dob}\nGlucose 99"), registry, today=TODAY
    )
    assert s.confident_patient is not None
    assert s.confident_patient.patient_id == JOHN.id
    kinds = {e.kind for e in s.confident_patient.evidence}
    assert {"name", "dob"} <= kinds


@pytest.mark.parametrize("label", ["DOB:", "D.O.B.", "Date of Birth:", "Born", "Birth Date:"])
def test_dob_labels(registry: PatientIndex, label: str) -> None:
    ids = extract(page_lines(page(f"Name: Smith, John {label} 03/04/1967").words), today=TODAY)
    assert [(d.value, d.label) for d in ids.dates] == [(date(1967, 3, 4), "dob")]


def test_mrn_with_check_digit_and_ocr_letter_confusions(registry: PatientIndex) -> None:
    mrn = JOHN.mrn  # "00001010"-like: zeros read as O, ones as l
    misread = mrn.replace("0", "O", 2).replace("1", "l", 1)
    s = suggest(page(f"MRN: {misread}\nSMITH, JOHN"), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == JOHN.id
    assert any(e.kind == "mrn" for e in s.confident_patient.evidence)


def test_mrn_misread_to_another_digit_is_rejected_by_check_digit(registry: PatientIndex) -> None:
    wrong = JOHN.mrn[:-2] + str((int(JOHN.mrn[-2]) + 1) % 10) + JOHN.mrn[-1]
    s = suggest(page(f"MRN: {wrong}\nDOB 03/04/1967"), registry, today=TODAY)
    assert s.confident_patient is None
    for p in s.patient:
        assert all(e.kind != "mrn" for e in p.evidence)


@pytest.mark.parametrize("phone", ["(555) 201-3344", "555-201-3344", "555.201.3344", "5552013344"])
def test_phone_forms(registry: PatientIndex, phone: str) -> None:
    s = suggest(page(f"Re: John Smith\nPhone: {phone}"), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == JOHN.id
    assert any(e.kind == "phone" for e in s.confident_patient.evidence)


def test_fax_number_is_not_the_patients_phone(registry: PatientIndex) -> None:
    s = suggest(page("Re: John Smith\nFax: (555) 201-3344"), registry, today=TODAY)
    assert s.confident_patient is None


def test_compound_family_name_and_accents(registry: PatientIndex) -> None:
    for name in ("GARCIA-LOPEZ, MARIA", "Maria Garcia Lopez", "Garcia Lopez, María"):
        s = suggest(page(f"Patient: {name}\nDOB: 12/01/1955"), registry, today=TODAY)
        assert top(s) == MARIA.id, name
        assert s.confident_patient is not None, name


def test_apostrophe_name_with_ocr_digit_in_it(registry: PatientIndex) -> None:
    s = suggest(page("Patient: O'BRlEN, MARGARET\nDOB: 07/30/1948"), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == PEG.id


# -- the two-identifier rule ------------------------------------------------------------------


def test_one_identifier_is_never_confident(registry: PatientIndex) -> None:
    for text in (
        "Patient: Nguyen, Thanh\nChest x-ray",  # name only
        f"MRN: {OTHER.mrn}\nChest x-ray",  # MRN only
        "DOB: 01/02/1990\nChest x-ray",  # DOB only
    ):
        s = suggest(page(text), registry, today=TODAY)
        assert top(s) == OTHER.id, text
        assert s.confident_patient is None, text
        assert s.patient[0].score < Suggestions.CONFIDENT


def test_twin_named_by_a_clearly_different_first_name_is_confident(
    registry: PatientIndex,
) -> None:
    # Issue 10: twins share family, DOB and phone; "Anna" is no typo or nickname of "Ada",
    # so the full name + DOB tells them apart (the shared identifiers alone never do).
    text = "Patient: OKAFOR, ANNA\nDOB: 09/12/2001\nPhone: 555-777-1200"
    s = suggest(page(text), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == ANNA.id
    assert ADA.id in {p.patient_id for p in s.patient}  # still listed, below confident
    shared = suggest(page("OKAFOR\nDOB: 09/12/2001\nPhone: 555-777-1200"), registry, today=TODAY)
    assert shared.confident_patient is None


def test_twins_family_and_dob_only_are_not_confident(registry: PatientIndex) -> None:
    s = suggest(page("OKAFOR\nDOB: 09/12/2001"), registry, today=TODAY)
    assert s.confident_patient is None


def test_twin_with_our_mrn_and_name_is_confident(registry: PatientIndex) -> None:
    text = f"Patient: Ada Okafor  MRN: {ADA.mrn}\nDOB: 09/12/2001"
    s = suggest(page(text), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == ADA.id


def test_same_name_other_dob(registry: PatientIndex) -> None:
    s = suggest(page("Patient: John Smith\nDOB: 11/23/1980"), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == JOHN2.id
    s = suggest(page("Patient: John Smith\nCBC"), registry, today=TODAY)
    assert s.confident_patient is None


def test_dob_on_page_that_contradicts_the_chart_blocks_confidence(registry: PatientIndex) -> None:
    # Our MRN of John, name John Smith, but a DOB that is neither John's.
    s = suggest(page(f"Smith, John  MRN {JOHN.mrn}\nDOB: 05/05/1950"), registry, today=TODAY)
    assert s.confident_patient is None


def test_outside_record_number_does_not_mislead(registry: PatientIndex) -> None:
    # An outside hospital's number that happens to pass our check digit and be Nguyen's MRN.
    text = (
        f"Mercy Hospital\nPatient: Smith, John  MRN: {OTHER.mrn}\nDOB: 03/04/1967\nAcct #: 55-1234"
    )
    s = suggest(page(text), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == JOHN.id
    nguyen = [p for p in s.patient if p.patient_id == OTHER.id]
    assert not nguyen or nguyen[0].score < 0.7


def test_outside_numbers_are_never_looked_up(registry: PatientIndex) -> None:
    class Spy(PatientIndex):
        asked: list[str] = []

        def by_mrn(self, mrn: str) -> list[int]:
            self.asked.append(mrn)
            return super().by_mrn(mrn)

    spy = Spy([JOHN])
    suggest(page("Hospital MRN: 55-1234\nAcct #: 12345674\nVisit #: 9876543"), spy, today=TODAY)
    assert spy.asked == []


def test_evidence_boxes_are_the_words_boxes() -> None:
    words = (
        Word("DOB:", Box(10, 10, 40, 20), 90, 1, 1),
        Word("03/04/1967", Box(60, 10, 100, 20), 90, 1, 1),
        Word("SMITH,", Box(10, 50, 60, 20), 90, 1, 2),
        Word("JOHN", Box(80, 50, 50, 20), 90, 1, 2),
    )
    s = suggest(OcrResult("", words), PatientIndex([JOHN, OTHER]), today=TODAY)
    p = s.confident_patient
    assert p is not None
    by_kind = {e.kind: e for e in p.evidence}
    assert by_kind["dob"].boxes == (Box(60, 10, 100, 20),)
    assert set(by_kind["name"].boxes) == {Box(10, 50, 60, 20), Box(80, 50, 50, 20)}


def test_no_identifiers_no_patient(registry: PatientIndex) -> None:
    s = suggest(page("Thank you for your visit.\nPlease call us."), registry, today=TODAY)
    assert s.patient == ()


def test_suggest_is_fast_on_a_400_word_page(registry: PatientIndex) -> None:
    body = "\n".join(
        f"Sodium {130 + i % 10} mmol/L 135-145 Potassium 4.{i % 9} mmol/L reviewed by the lab"
        for i in range(40)
    )
    text = f"Valley Labs\nPatient: SMITH, JOHN A  DOB: 03/04/1967  MRN: {JOHN.mrn}\n{body}"
    ocr = page(text)
    assert len(ocr.words) >= 400
    suggest(ocr, registry, today=TODAY)  # warm caches
    started = time.perf_counter()
    for _ in range(10):
        suggest(ocr, registry, today=TODAY)
    per_page = (time.perf_counter() - started) / 10
    assert per_page < 0.05, per_page


def test_mrn_split_by_ocr_is_rejoined_only_when_it_checks(registry: PatientIndex) -> None:
    split = f"{JOHN.mrn[:-1]} {JOHN.mrn[-1]}"
    s = suggest(page(f"Chart No. {split}\nSMITH, JOHN"), registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == JOHN.id
    bad = f"{JOHN.mrn[:-1]} {(int(JOHN.mrn[-1]) + 3) % 10}"
    s = suggest(page(f"Chart No. {bad}\nSMITH, JOHN"), registry, today=TODAY)
    assert s.confident_patient is None


def test_middle_initial_breaks_a_tie_but_is_not_an_identifier() -> None:
    kay = Patient(11, make_mrn(111), "Hernandez", "Carol", date(1970, 1, 1), "F", "Kay")
    mae = Patient(12, make_mrn(112), "Hernandez", "Carol", date(1980, 2, 2), "F", "Mae")
    s = suggest(page("Patient: HERNANDEZ, CAROL M\nCBC"), PatientIndex([kay, mae]), today=TODAY)
    assert top(s) == mae.id
    assert s.confident_patient is None


def test_pages_about_people_not_in_the_registry_are_never_confident() -> None:
    from clinicrecords.synthetic.documents import generate_documents
    from clinicrecords.synthetic.patients import REFERENCE_DATE, generate_patients

    ours = generate_patients(1500, seed=41)
    strangers = generate_patients(600, seed=42, start_mrn=50001)
    index = PatientIndex(
        Patient(i + 1, p.mrn, p.family, p.given, p.dob, "U", p.middle, p.phone)
        for i, p in enumerate(ours)
    )
    for doc in generate_documents(strangers, 80, seed=43, dpi=20):
        s = suggest(ocr_result_from_text(doc.page_texts[0]), index, today=REFERENCE_DATE)
        assert s.confident_patient is None


def test_ocr_zero_in_dob_label_and_outside_id_labels() -> None:
    ids = extract(page_lines(page("D0B: 03/04/1967").words), today=TODAY)
    assert [d.label for d in ids.dates] == ["dob"]
    text = f"Member ID: {JOHN.mrn}\nHospital MRN: {OTHER.mrn}\nChart #: {JOHN.mrn}"
    labels = [n.label for n in extract(page_lines(page(text).words), today=TODAY).numbers]
    assert labels == ["other", "other", "mrn"]


def test_running_prose_about_the_patient_is_not_a_stated_name() -> None:
    """ "The patient was admitted…" once read as a labelled name that contradicted the chart,
    sending a page with our MRN and the DOB to review (seen on a synthetic discharge summary)."""
    from clinicrecords.scan import identifiers
    from clinicrecords.scan.suggest import ocr_result_from_text

    text = (
        "Visit #: 356677164 D.O.B. 1988-04-17\n"
        "The patient was admitted to the medical floor and started on antibiotics.\n"
        "The patient tolerated a regular diet and ambulated independently.\n"
        "Patient: RODRIGUEZ, Shirley\n"
    )
    lines = identifiers.page_lines(ocr_result_from_text(text).words)
    names = identifiers.find_names(lines)
    assert {(n.family, n.given) for n in names if n.labelled} == {("rodriguez", "shirley")}
