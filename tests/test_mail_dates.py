"""Which date is the document's date on real-looking mail (issue 10, class 1).

Each test is one kind of page from the mail corpus (synthetic/mail.py), given as OCR word
boxes (fast); one slow test renders and OCRs a page for real.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clinicrecords.common.domain import Patient
from clinicrecords.common.mrn import make_mrn
from clinicrecords.scan.suggest import ocr_result_from_text, suggest
from clinicrecords.scan.types import ScoredValue
from clinicrecords.search.index import PatientIndex

TODAY = date(2025, 6, 30)
ANA = Patient(1, make_mrn(7), "Okafor", "Ana", date(1961, 2, 3), "F")
IDENT = "Patient: OKAFOR, ANA  DOB: 02/03/1961"


@pytest.fixture(scope="module")
def registry() -> PatientIndex:
    return PatientIndex([ANA])


def top(text: str, registry: PatientIndex) -> ScoredValue:
    s = suggest(ocr_result_from_text(text), registry, today=TODAY)
    assert s.doc_date, "no date suggested"
    assert "1961-02-03" not in [v.value for v in s.doc_date]  # never the DOB
    return s.doc_date[0]


def test_lab_collection_date_beats_received_reported_footer_and_fax(registry) -> None:
    text = (
        "03/20/2025 14:02  FROM: (555) 013-2222  VALLEY LABS  TO: MAPLE STREET  P.1/1\n"
        "Valley Clinical Laboratory\nLABORATORY REPORT\n"
        f"{IDENT}\n"
        "Collected: 03/04/2025 07:40\nReceived: 03/05/2025 09:12\nReported: 03/06/2025\n"
        "Verified: 03/06/2025 11:00\nGlucose 98 mg/dL\n"
        "Printed 3/19/2025 10:12"
    )
    got = top(text, registry)
    assert got.value == "2025-03-04"
    assert got.evidence[0].text.startswith("collected")


def test_lab_column_header_above_the_dates_labels_them(registry) -> None:
    # A table: labels in the header row, values on the row below.
    text = (
        "Riverbend Diagnostic Labs\n"
        f"{IDENT}\n"
        "Report Date    Received       Collection Date  Status\n"
        "04/10/2025     04/09/2025     04/08/2025       FINAL\n"
        "Hemoglobin A1c 6.1 %"
    )
    got = top(text, registry)
    assert got.value == "2025-04-08"
    assert got.evidence[0].text.startswith("collection date")


def test_a_column_header_wrapped_onto_two_lines_still_labels_its_dates(registry) -> None:
    text = f"{IDENT}\nCollection  Received  Report Date\nDate\n8/10/21     8/11/21   8/11/21\n"
    got = top(text, registry)
    assert got.value == "2021-08-10"
    assert got.evidence[0].text.startswith("collection date")


def test_a_wrapped_header_whose_halves_mean_nothing_alone_still_labels(registry) -> None:
    # "Discharge" over "Date": neither half is a discharge label, together they are.
    text = f"{IDENT}\nAdmit Date  Discharge.   Unit\n            Date\n7 Oct 2024  11 Oct 2024   4 West\nSigned: 10/16/2024"
    got = top(text, registry)
    assert got.value == "2024-10-11"
    assert got.evidence[0].text.startswith("discharge")


def test_imaging_exam_date_beats_report_and_prior_study(registry) -> None:
    text = (
        "Harborview Imaging Associates\nRADIOLOGY REPORT\n"
        f"{IDENT}\n"
        "Date of Exam: 01/14/2025\nDictated: 01/15/2025\nTranscribed: 01/15/2025\n"
        "COMPARISON: Prior study dated 03/02/2024.\n"
        "Electronically signed by Lee Park, MD on 01/16/2025"
    )
    got = top(text, registry)
    assert got.value == "2025-01-14"
    assert got.evidence[0].text.startswith("date of exam")


@pytest.mark.parametrize("label", ["DOS:", "Date of Service:", "Encounter Date:", "Visit Date:"])
def test_visit_date_of_service_beats_signature_and_follow_up(registry, label: str) -> None:
    text = (
        "Cedar Family Medicine\nOFFICE VISIT\n"
        f"{IDENT}\n"
        f"{label} 02/11/2025\nProvider: Jo Reyes, NP\n"
        "Plan: Return in 3 months. Follow-up appointment: 05/12/2025.\n"
        "Electronically signed by Jo Reyes, NP on 02/14/2025 18:18"
    )
    assert top(text, registry).value == "2025-02-11"


@pytest.mark.parametrize(
    ("admit", "out"), [("Admission Date:", "Discharge Date:"), ("Admitted:", "Discharged:")]
)
def test_discharge_summary_takes_the_discharge_date(registry, admit: str, out: str) -> None:
    text = (
        "St. Anne's Hospital of Summit\nDISCHARGE SUMMARY\n"
        f"{IDENT}\n"
        f"{admit} 05/01/2025\n{out} 05/06/2025\n"
        "Dictated by Ann Wu, MD. Electronically signed 05/09/2025."
    )
    got = top(text, registry)
    assert got.value == "2025-05-06"
    assert "discharge" in got.evidence[0].text


def test_an_ambiguous_discharge_date_still_beats_an_unambiguous_admission_date(registry) -> None:
    # "10/4/24" could be 4 October or 10 April; "9/28/24" cannot be swapped.
    text = f"{IDENT}\nAdmit Date: 9/28/24\nDischarge Date: 10/4/24\nSigned: 10/9/24"
    got = top(text, registry)
    assert got.value == "2024-10-04"


def test_letter_date_line_beats_appointment_print_footer_and_stamp(registry) -> None:
    text = (
        "Northgate Heart and Vascular\n12 Main St, Lowell, MA 01852\n"
        "Tel (555) 011-4864   Fax (555) 014-1572\n"
        "March 3, 2025\n"
        f"{IDENT}\n"
        "Dear Dr. Lee,\nThank you for referring Ms. Okafor.\n"
        "Your next appointment is on 04/21/2025.\n"
        "                                              RECEIVED\n"
        "                                              MAR 10 2025\n"
        "Printed 3/4/2025 09:00"
    )
    got = top(text, registry)
    assert got.value == "2025-03-03"
    assert got.evidence[0].text.startswith("letter date line")


def test_received_stamp_is_the_answer_only_when_nothing_else_is_there(registry) -> None:
    form = "Westfield Family Medicine\nMEDICATION LIST\n" + IDENT + "\nLisinopril 10 mg daily\n"
    stamp = "                                     RECEIVED\n                                     MAR 04 2025\n"
    alone = top(form + stamp, registry)
    assert alone.value == "2025-03-04"
    assert alone.score < 0.5  # offered, never as a confident date
    assert alone.evidence[0].text.startswith("received")
    with_visit = top(form + "Visit Date: 02/20/2025\n" + stamp, registry)
    assert with_visit.value == "2025-02-20"


def test_stamp_pressed_over_a_form_line_does_not_take_its_label(registry) -> None:
    # The stamp's date lands on the "Specimen:" line, far to the right of the label.
    text = (
        "Granite Pathology Associates\n"
        f"{IDENT}\n"
        "Specimen: Serum                                        MAR 04 2025\n"
        "Report Date: 02/27/2025\n"
    )
    got = top(text, registry)
    assert got.value == "2025-02-27"


def test_fax_header_alone_is_offered_low(registry) -> None:
    text = (
        "Fax sent 01-10-2023 09:52 by (555) 016-8445  Page 1 of 1\n"
        "Summit Pharmacy\nMEDICATION LIST\n" + IDENT + "\nMetformin 500 mg twice daily"
    )
    got = top(text, registry)
    assert got.value == "2023-01-10"
    assert got.score < 0.5


@pytest.mark.slow
def test_rendered_lab_page_with_stamp_and_fax_header_read_by_tesseract() -> None:
    """A real page: rendered, stamped, read by Tesseract, then suggested."""
    from clinicrecords.scan.ocr import OcrEngine
    from clinicrecords.synthetic.mail import MailCtx, lab_page, received_stamp, render_doc
    from clinicrecords.synthetic.patients import generate_patients

    pts = generate_patients(50, seed=3)
    ctx = MailCtx(__import__("random").Random(2), pts, 3, 0)
    doc = lab_page(ctx)
    # The hardest layout: labels in a header row above their dates (collected != reported).
    while doc.layout != "columns" or len(set(doc.content.blocks[0][2][0][:3])) < 3:
        doc = lab_page(ctx)
    sent = doc.doc_date + timedelta(days=6)
    doc.spec.fax_line = f"{sent.strftime('%b %d %Y')} 10:32  VALLEY LABS  P. 001/001"
    doc.spec.print_line = f"Printed {sent.month}/{sent.day}/{sent.year} 09:12"
    doc.stamps = [received_stamp(ctx.rng, doc.doc_date + timedelta(days=8))]
    img, _ = render_doc(doc)
    ocr = OcrEngine(1).full_pass(img)
    p = next(p for p in pts if p.mrn == doc.patient_mrn)
    reg = PatientIndex([Patient(1, p.mrn, p.family, p.given, p.dob, "U", middle=p.middle)])
    s = suggest(ocr, reg, today=TODAY)
    assert s.doc_date[0].value == doc.doc_date.isoformat()
    assert s.doc_date[0].evidence[0].text.startswith("collection date")


@pytest.mark.slow
def test_a_page_whose_only_date_is_a_rotated_stamp_gets_it_from_the_sparse_pass(
    admin_session,
) -> None:
    """Layout analysis skips a rubber stamp a few degrees off; the pipeline reads the page
    again for sparse text only when it found no date at all."""
    from PIL import Image, ImageDraw

    from clinicrecords.intake.pipeline import PagePipeline
    from clinicrecords.registry.patients import PatientInput, register_patient
    from clinicrecords.synthetic.degrade import _font
    from clinicrecords.synthetic.mail import Stamp, draw_stamp

    register_patient(
        admin_session,
        PatientInput(family="Okafor", given="Ana", dob=date(1961, 2, 3), sex="F", mrn="00012344"),
    )
    page = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(page)
    lines = [
        "Westfield Family Medicine",
        "MEDICATION LIST",
        "Patient: OKAFOR, ANA   DOB: 02/03/1961",
        "Lisinopril 10 mg tablet by mouth once daily",
        "Metformin 500 mg tablet by mouth twice daily",
    ]
    for k, text in enumerate(lines):
        draw.text((150, 120 + 70 * k), text, 0, _font(34))
    stamp = Stamp(("RECEIVED", "NOV 03 2024"), angle=7.0, ink=110, where=(0.72, 0.15))
    page = draw_stamp(page, stamp)
    page.info["dpi"] = (200, 200)
    whole, found = PagePipeline(admin_session).full_text(page, [])
    assert found.doc_date and found.doc_date[0].value == "2024-11-03"
    assert found.doc_date[0].score < 0.5
    assert "RECEIVED" in whole.text
    box = found.doc_date[0].evidence[0].boxes[-1]  # the date, mapped back onto the page
    assert abs(box.left + box.width / 2 - 0.72 * 1700) < 150
    assert abs(box.top + box.height / 2 - 0.15 * 2200) < 100


@pytest.mark.slow
def test_a_sideways_page_osd_cannot_judge_is_read_the_other_ways_up(
    admin_session, monkeypatch
) -> None:
    """Issue 10, page quality: OSD gives up on some crooked photos and photocopies; the
    header is then read the other three ways up and the best way kept."""
    from PIL import Image, ImageDraw

    from clinicrecords.intake.pipeline import PagePipeline, PageState, poor_header
    from clinicrecords.scan import cleanup
    from clinicrecords.synthetic.degrade import _font

    page = Image.new("L", (1700, 2200), 255)
    draw = ImageDraw.Draw(page)
    for k, text in enumerate(
        ["Hill Medical Group", "Patient: OKAFOR, ANA   DOB: 02/03/1961", "Date: 10/30/2024"]
    ):
        draw.text((150, 120 + 70 * k), text, 0, _font(34))
    sideways = page.rotate(90, expand=True)
    sideways.info["dpi"] = (200, 200)
    monkeypatch.setattr(cleanup, "orientation", lambda img: cleanup.Orientation(0, 0.0))
    state = PageState(sideways, bilevel=False)
    PagePipeline(admin_session).read_header(state)
    assert not poor_header(state.header)
    assert "OKAFOR" in state.header.text
    assert state.image.size == (1700, 2200)  # the page kept upright
