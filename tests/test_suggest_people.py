"""Patient suggestions on mail about people (issue 10): the patient on a crowded page,
previous names, twins, Jr/Sr and look-alikes. Built from OCR word boxes laid out from the
printed text (as tests/test_suggest.py does), plus a few rendered pages read by Tesseract."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.common.domain import Patient, PreviousName
from clinicrecords.common.mrn import make_mrn
from clinicrecords.scan.suggest import ocr_result_from_text, suggest
from clinicrecords.scan.types import Box, OcrResult, Suggestions, Word
from clinicrecords.search.index import PatientIndex
from clinicrecords.synthetic.mail_people import (
    MAIL_PEOPLE_CLASSES,
    MailPage,
    charts_of,
    crowded_pages,
    look_alike_pages,
    previous_name_pages,
)

TODAY = date(2025, 6, 30)


def _p(n: int, family: str, given: str, dob: date, **kw) -> Patient:  # type: ignore[no-untyped-def]
    return Patient(n, make_mrn(500 + n), family, given, dob, **kw)


HOME = {"phone": "(555) 404-2121", "address": "18 Cedar Ln"}
MOTHER = _p(1, "Castellano", "Renata", date(1984, 2, 9), sex="F", **HOME)
CHILD = _p(2, "Castellano", "Milo", date(2016, 7, 21), sex="M", **HOME)
DOCTOR = _p(3, "Brandt", "Oskar", date(1962, 3, 3), sex="M")
# Twins: family, DOB, phone, address shared; first names clearly different / a typo apart.
ANNA = _p(4, "Okafor", "Anna", date(2001, 9, 12), sex="F", **HOME)
ADA = _p(5, "Okafor", "Ada", date(2001, 9, 12), sex="F", **HOME)
KRISTEN = _p(6, "Lindqvist", "Kristen", date(1999, 4, 4), sex="F", phone="555-300-1000")
KIRSTEN = _p(7, "Lindqvist", "Kirsten", date(1999, 4, 4), sex="F", phone="555-300-1000")
# Jr / Sr: the whole name shared; the son's chart carries the suffix, the father's does not.
SR = _p(8, "Hollis", "Warren", date(1948, 10, 1), sex="M", phone="555-600-7000")
JR = _p(9, "Hollis Jr", "Warren", date(1976, 5, 30), sex="M", phone="555-600-7000")
# Married; her maiden name is her father's family name and a namesake's current name.
WOMAN = _p(
    10, "Whitfield", "Harriet", date(1961, 8, 14), sex="F", phone="555-800-9000",
    previous_names=(PreviousName("Okonkwo"),),
)  # fmt: skip
FATHER = _p(11, "Okonkwo", "Emeka", date(1931, 1, 5), sex="M")
NAMESAKE = _p(12, "Okonkwo", "Harriet", date(1979, 11, 30), sex="F", phone="555-111-2222")

CHARTS = [MOTHER, CHILD, DOCTOR, ANNA, ADA, KRISTEN, KIRSTEN, SR, JR, WOMAN, FATHER, NAMESAKE]


@pytest.fixture(scope="module")
def registry() -> PatientIndex:
    return PatientIndex(CHARTS)


def run(registry: PatientIndex, text: str) -> Suggestions:
    return suggest(ocr_result_from_text(text), registry, today=TODAY)


def confident(s: Suggestions) -> int | None:
    c = s.confident_patient
    return c.patient_id if c else None


# -- class 2: the patient on a crowded page ---------------------------------------------------


def test_child_in_the_patient_block_not_the_parent_with_her_own_dob(registry) -> None:
    s = run(
        registry,
        "Northgate Pediatrics\nPATIENT INFORMATION\nName: Milo Castellano\nDOB: 07/21/2016\n"
        "PARENT / GUARDIAN\nName: Renata Castellano\nDOB: 02/09/1984\n"
        "Phone: (555) 404-2121\nRelationship: Mother",
    )
    assert confident(s) == CHILD.id
    assert s.patient[0].reason == "name + DOB in the patient block"
    # The mother's labelled DOB is hers, not a contradiction of the child's chart; and her
    # own name + DOB in the guardian slot are no evidence for her chart.
    assert all(p.patient_id != MOTHER.id or p.score < 0.5 for p in s.patient)


def test_parent_inline_before_the_patient(registry) -> None:
    s = run(
        registry,
        "Date of visit: 05/01/2025\nMother: Renata Castellano (DOB 02/09/1984)\n"
        "Pt name: Castellano, Milo\nDOB: 07/21/2016\nFollow up in 3 months.",
    )
    assert confident(s) == CHILD.id


def test_referring_physician_and_cc_who_are_patients_are_not_the_patient(registry) -> None:
    s = run(
        registry,
        "REFERRAL\nReferring physician: Dr. Oskar Brandt  DOB: 03/03/1962\n"
        "Re: Milo Castellano   DOB: 07/21/2016\n"
        "cc: Renata Castellano  DOB: 02/09/1984\nThank you for seeing this patient.",
    )
    assert confident(s) == CHILD.id
    assert {p.patient_id for p in s.patient}.isdisjoint({DOCTOR.id})


def test_possessive_labels_and_hyphenated_words(registry) -> None:
    s = run(
        registry,
        "Mother's name: Renata Castellano  DOB: 02/09/1984\n"
        "Patient: Milo Castellano  DOB: 07/21/2016\nVaccines up-to-date Renata Castellano",
    )
    assert confident(s) == CHILD.id  # "up-to-date" names no recipient ("to-" is no label)
    assert MOTHER.id not in {p.patient_id for p in s.patient if "name" in p.reason}


def test_a_rule_read_as_ee_is_no_cc_heading(registry) -> None:
    # A horizontal rule under a letterhead often comes out of OCR as "ee" on its own line.
    s = run(registry, "Riverside Family Medicine\nee\nName: Milo Castellano\nDOB: 07/21/2016")
    assert confident(s) == CHILD.id


def test_cc_as_ocr_misreads_it_still_names_a_recipient(registry) -> None:
    s = run(
        registry,
        "Re: Milo Castellano   DOB: 07/21/2016\nec: Renata Castellano  DOB: 02/09/1984",
    )
    assert confident(s) == CHILD.id


def test_patient_not_on_file_is_not_filed_to_the_guarantor(registry) -> None:
    s = run(
        registry,
        "PATIENT INFORMATION\nName: Castellano, Luna\nDOB: 03/03/2024\n"
        "GUARANTOR\nName: Renata Castellano\nDOB: 02/09/1984\nPhone: (555) 404-2121",
    )
    assert confident(s) is None


def _read(rows: list[list[tuple[str, float]]]) -> OcrResult:
    """Word boxes as Tesseract gave them on a degraded scan: (text, confidence) per word."""
    words = []
    for n, row in enumerate(rows, start=1):
        x = 100
        for text, conf in row:
            words.append(Word(text, Box(x, 60 * n, 14 * len(text), 28), conf, 1, n))
            x += 14 * (len(text) + 1)
    text = "\n".join(" ".join(t for t, _ in row) for row in rows)
    return OcrResult(text, tuple(words))


def test_heading_with_ocr_noise_beside_it_still_starts_the_guarantors_block(registry) -> None:
    # Read by Tesseract from a grey, noisy page (bench/mail_people.py --ocr --profile bad):
    # the specks beside "GUARANTOR" came back as a low-confidence "oe", and the heading was
    # missed, so the guarantor (on file) was filed confidently for her child (not on file).
    page = _read(
        [
            [("Summit", 95), ("Orthopedic", 97), ("Associates", 97), (":", 40)],
            [("PATIENT", 97), ("INFORMATION", 96), (":", 65)],
            [("Name:", 96), ("Luna", 95), ("Castellano", 97)],
            [("Date", 96), ("of", 96), ("Birth:", 97), ("03/03/2024", 94), ("&", 0)],
            [("GUARANTOR", 97), ("oe", 19)],
            [("Name:", 96), ("Renata", 97), ("Castellano", 96)],
            [("Date", 97), ("of", 96), ("Birth:", 97), ("2/9/1984", 97)],
            [("Phone:", 96), ("(555)", 97), ("404-2121", 91), (":", 7)],
            [("Date:", 97), ("3", 97), ("Aug", 96), ("2024", 96), ("ne", 24), ("i", 29)],
        ]
    )
    assert confident(suggest(page, registry, today=TODAY)) is None


def test_responsible_party_heading_with_a_noise_word_is_not_the_patient(registry) -> None:
    page = _read(
        [
            [("Northgate", 97), ("Pediatrics", 97)],
            [("Responsible", 96), ("Party", 96), ("Information", 96), ("Peas", 29)],
            [("Name:", 96), ("Castellano,", 97), ("Renata", 97), (":", 43)],
            [("Date", 96), ("of", 97), ("Birth:", 97), ("February", 97), ("9,", 96), ("1984", 97)],
            [("Home", 97), ("phone:", 97), ("(555)", 97), ("404-2121", 96)],
            [("Patient", 97), ("Demographics", 96)],
            [("Name:", 96), ("Milo", 97), ("Castellano", 97), (":", 63)],
            [("Date", 96), ("of", 96), ("Birth:", 97), ("21", 97), ("Jul", 96), ("2016", 96)],
            [("Home", 96), ("phone:", 97), ("(555).", 67), ("404-2121", 93)],
        ]
    )
    s = suggest(page, registry, today=TODAY)
    assert confident(s) == CHILD.id


def _columns(rows: list[tuple[str, str]]) -> str:
    width = max(len(a) for a, _ in rows) + 6
    return "\n".join(["REGISTRATION", *(a.ljust(width) + b for a, b in rows)])


def test_two_column_box_splits_the_patient_from_the_guarantor(registry) -> None:
    rows = [
        ("Patient Name: Milo Castellano", "Guarantor Name: Renata Castellano"),
        ("DOB: 07/21/2016", "DOB: 02/09/1984"),
        ("Phone: (555) 404-2121", "Relationship: Mother"),
    ]
    s = run(registry, _columns(rows))
    assert confident(s) == CHILD.id
    assert s.patient[0].reason == "name + DOB + phone in the patient block"


def test_two_column_box_with_the_patient_not_on_file_files_nobody(registry) -> None:
    # The household phone sits in the patient's column and the mother is on file: her DOB
    # under her own label and a patient name clearly not hers keep her below confident.
    rows = [
        ("Patient Name: Luna Castellano", "Guarantor Name: Renata Castellano"),
        ("DOB: 03/03/2024", "DOB: 02/09/1984"),
        ("Phone: (555) 404-2121", "Relationship: Mother"),
    ]
    assert confident(run(registry, _columns(rows))) is None
    merged = "\n".join(  # the same block read by OCR as single lines, columns lost
        ["Patient Name: Luna Castellano", "DOB: 02/09/1984", "Phone: (555) 404-2121"]
    )
    assert confident(run(registry, merged)) is None


def test_two_people_in_no_slot_is_a_tie_for_review_with_both_shown(registry) -> None:
    s = run(
        registry,
        "Family visit 05/01/2025\nRenata Castellano  02/09/1984\nMilo Castellano  07/21/2016",
    )
    assert confident(s) is None
    assert {p.patient_id for p in s.patient[:2]} == {MOTHER.id, CHILD.id}


def test_without_the_slot_rule_the_guardians_dob_would_contradict(registry) -> None:
    # The same identifiers with the guardian's lines unlabelled: the page then really does
    # name two people with name + DOB each, and nothing says which one is the patient.
    s = run(
        registry,
        "Name: Milo Castellano\nDOB: 07/21/2016\nName: Renata Castellano\nDOB: 02/09/1984",
    )
    assert confident(s) is None


def test_continuation_page_without_identifiers_suggests_nobody(registry) -> None:
    s = run(registry, "Page 2 of 2\nAssessment: stable.\nElectronically signed.")
    assert s.patient == ()


# -- class 3: previous names ------------------------------------------------------------------


def test_maiden_name_and_dob_are_confident_and_say_maiden_name(registry) -> None:
    s = run(registry, "LABORATORY REPORT\nPatient: OKONKWO, HARRIET\nDOB: 08/14/1961")
    assert confident(s) == WOMAN.id
    top = s.patient[0]
    assert "maiden name" in top.reason
    assert any(e.kind == "name" and e.note == "maiden name" for e in top.evidence)


def test_namesake_with_that_name_today_wins_on_her_own_dob(registry) -> None:
    s = run(registry, "Patient: Harriet Okonkwo\nDOB: 11/30/1979")
    assert confident(s) == NAMESAKE.id
    assert "maiden" not in s.patient[0].reason


def test_maiden_name_and_phone(registry) -> None:
    s = run(registry, "Patient: Harriet Okonkwo\nPhone: 555-800-9000")
    assert confident(s) == WOMAN.id


# -- class 4: twins, Jr/Sr, look-alikes -------------------------------------------------------


def test_twin_by_clearly_different_first_name_and_dob(registry) -> None:
    s = run(registry, "Patient: Ada Okafor\nDOB: 09/12/2001\nPhone: (555) 404-2121")
    assert confident(s) == ADA.id


@pytest.mark.parametrize(
    "text",
    [
        "Patient: OKAFOR\nDOB: 09/12/2001\nPhone: (555) 404-2121",  # shared identifiers only
        "Patient: A. Okafor\nDOB: 09/12/2001",  # an initial both twins share
        "Patient: Kristen Lindqvist\nDOB: 04/04/1999",  # a typo apart from her twin
    ],
)
def test_twins_only_shared_or_near_names_go_to_review(registry, text: str) -> None:
    assert confident(run(registry, text)) is None


def test_jr_sr_dob_decides(registry) -> None:
    assert confident(run(registry, "Patient: Warren Hollis\nDOB: 05/30/1976")) == JR.id
    assert confident(run(registry, "Patient: Warren Hollis\nDOB: 10/01/1948")) == SR.id


def test_jr_sr_suffix_decides(registry) -> None:
    jr = run(registry, "Patient: Warren Hollis Jr.\nPhone: 555-600-7000")
    assert confident(jr) == JR.id
    sr = run(registry, "Patient: Warren Hollis Sr.\nPhone: 555-600-7000")
    assert confident(sr) == SR.id


def test_jr_sr_without_dob_or_suffix_goes_to_review(registry) -> None:
    s = run(registry, "Patient: Warren Hollis\nPhone: 555-600-7000")
    assert confident(s) is None
    assert {p.patient_id for p in s.patient[:2]} == {SR.id, JR.id}


# -- the generated corpus ---------------------------------------------------------------------


def _score(pages: list[MailPage], index: PatientIndex) -> tuple[int, int, int]:
    wrong = top1 = identifiable = 0
    for page in pages:
        s = suggest(ocr_result_from_text(page.text), index, today=TODAY)
        c = s.confident_patient
        wrong += c is not None and (page.must_review or c.mrn != page.patient_mrn)
        if page.identifiable:
            identifiable += 1
            top1 += bool(s.patient) and s.patient[0].mrn == page.patient_mrn
    return wrong, top1, identifiable


@pytest.mark.parametrize("cls", sorted(MAIL_PEOPLE_CLASSES))
def test_generated_class_meets_the_targets(cls: str) -> None:
    pages = MAIL_PEOPLE_CLASSES[cls](3, 40)
    assert len({p.layout for p in pages}) >= 5  # several layouts per class
    index = PatientIndex(charts_of(pages))
    wrong, top1, identifiable = _score(pages, index)
    assert wrong == 0
    assert identifiable and top1 / identifiable >= 0.97


# -- rendered and read by Tesseract -----------------------------------------------------------


@pytest.mark.slow
def test_rendered_pages_read_by_tesseract() -> None:
    from clinicrecords.scan.ocr import OcrEngine

    pick = {
        "pediatric_form": crowded_pages(9, 8),
        "maiden_lab": previous_name_pages(9, 6),
        "twin_full_name_dob": look_alike_pages(9, 8),
    }
    pages = [next(p for p in ps if p.layout == layout) for layout, ps in pick.items()]
    pages.append(next(p for p in look_alike_pages(9, 8) if p.layout == "twin_shared_only"))
    index = PatientIndex(charts_of([p for ps in pick.values() for p in ps]))
    with OcrEngine(2) as engine:
        results = [engine.submit_full(p.render(200)).result() for p in pages]
    for page, ocr in zip(pages, results, strict=True):
        s = suggest(ocr, index, today=TODAY)
        c = s.confident_patient
        if page.must_review:
            assert c is None, page.layout
        else:
            assert c is not None and c.mrn == page.patient_mrn, page.layout
            assert page.expect_reason in c.reason, page.layout


def test_people_classes_are_listed_for_the_bench() -> None:
    from clinicrecords.synthetic.mail_people import MAIL_PEOPLE_CLASSES

    assert {"crowded", "previous_name", "look_alike"} <= set(MAIL_PEOPLE_CLASSES)
    pages = MAIL_PEOPLE_CLASSES["crowded"](1, 4)
    assert all(isinstance(p, MailPage) for p in pages)
