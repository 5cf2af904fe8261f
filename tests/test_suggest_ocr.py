"""The suggestion engine on real Tesseract output and on the synthetic corpus.

Pages are drawn with ReportLab, rasterised with pdfium and read by Tesseract (OcrEngine, one
process per page, OMP_THREAD_LIMIT=1), so real OCR noise (split words, misread digits,
stray punctuation) reaches the engine.
"""

from __future__ import annotations

import io
import random
import shutil
from datetime import date

import pypdfium2 as pdfium
import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from clinicrecords.common.domain import Patient
from clinicrecords.common.mrn import make_mrn
from clinicrecords.scan.ocr import OcrEngine
from clinicrecords.scan.suggest import ocr_result_from_text, suggest
from clinicrecords.search.index import PatientIndex
from clinicrecords.synthetic.degrade import degrade
from clinicrecords.synthetic.documents import generate_documents
from clinicrecords.synthetic.patients import REFERENCE_DATE, generate_patients

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None, reason="no tesseract")

TODAY = date(2025, 6, 30)
JOHN = Patient(1, make_mrn(101), "Smith", "John", date(1967, 3, 4), "M", "A", "(555) 201-3344")
ANNA = Patient(2, make_mrn(102), "Okafor", "Anna", date(2001, 9, 12), "F", phone="555-777-1200")
ADA = Patient(3, make_mrn(103), "Okafor", "Ada", date(2001, 9, 12), "F", phone="555-777-1200")


def render(lines: list[tuple[str, float]], dpi: int = 200) -> Image.Image:
    """One letter-size page with (text, font size) lines from the top, as a scanner sees it."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    y = letter[1] - 60
    for text, size in lines:
        c.setFont("Helvetica-Bold" if size > 12 else "Helvetica", size)
        c.drawString(60, y, text)
        y -= size * 1.6
    c.showPage()
    c.save()
    pdf = pdfium.PdfDocument(buf.getvalue())
    img = pdf[0].render(scale=dpi / 72).to_pil().convert("L")
    img.info["dpi"] = (dpi, dpi)
    return img


LAB_PAGE = [
    ("11/20/2024 10:32 FROM: (555) 012-2131 MERCY LAB TO: MAPLE STREET P.1", 9),
    ("Mercy Clinical Laboratory", 18),
    ("77 Hospital Dr, Lowell, MA 01852   Tel (555) 019-5690", 9),
    ("LABORATORY REPORT", 14),
    (f"Patient: SMITH, JOHN A      DOB: 03/04/1967      MRN: {JOHN.mrn}", 10),
    ("Acct #: 55-123456      Ordering Provider: Priya Raman, MD", 10),
    ("Collected: 10/01/2024 07:13      Reported: 10/02/2024", 10),
    ("COMPREHENSIVE METABOLIC PANEL", 11),
    ("Test      Result   Flag   Units   Reference Range", 10),
    ("Sodium    141             mmol/L  135-145", 10),
    ("Glucose   85              mg/dL   70-99", 10),
    ("Creatinine 1.16           mg/dL   0.60-1.30", 10),
]


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    with OcrEngine(workers=2) as e:
        yield e


@needs_tesseract
@pytest.mark.slow
def test_real_ocr_lab_page(engine: OcrEngine) -> None:
    img = render(LAB_PAGE)
    registry = PatientIndex([JOHN, ANNA, ADA])
    full = engine.full_pass(img)
    s = suggest(full, registry, today=TODAY)
    assert s.confident_patient is not None and s.confident_patient.patient_id == JOHN.id
    assert s.doc_type[0].value == "lab"
    assert s.doc_date[0].value == "2024-10-01"  # collected: the date of service (issue 10)
    assert "2024-11-20" not in [v.value for v in s.doc_date[:2]]
    for ev in s.confident_patient.evidence:
        for box in ev.boxes:  # evidence is in page pixels, in the patient banner's band
            assert 0 <= box.left < img.width and 0 <= box.top < img.height * 0.3
    # The header pass alone (top third of the page) already names the patient.
    head = engine.header_pass(img)
    sh = suggest(head, registry, today=TODAY)
    assert sh.confident_patient is not None and sh.confident_patient.patient_id == JOHN.id


@needs_tesseract
@pytest.mark.slow
def test_real_ocr_faxed_twin_page_told_apart_by_a_clearly_different_name(
    engine: OcrEngine,
) -> None:
    """Issue 10: twins share family, DOB and phone; "Anna" is neither a typo nor a nickname
    of "Ada", so the full name + DOB is confident (a page with only the shared identifiers
    is not: tests/test_suggest_people.py)."""
    img = render(
        [
            ("Riverbend Pediatrics", 18),
            ("IMMUNIZATION RECORD", 14),
            ("Patient: OKAFOR, ANNA    DOB: 09/12/2001    Phone: (555) 777-1200", 10),
            ("Vaccine   Date Given   Dose   Lot #", 10),
            ("Tdap      05/14/2023   1      W93111", 10),
        ]
    )
    faxed = degrade(img, random.Random(3), "fax")
    s = suggest(engine.full_pass(faxed), PatientIndex([JOHN, ANNA, ADA]), today=TODAY)
    assert s.patient and s.patient[0].patient_id == ANNA.id
    assert s.confident_patient is not None and s.confident_patient.patient_id == ANNA.id
    assert s.doc_type[0].value == "immunization"
    assert s.doc_date[0].value == "2023-05-14"


def _registry(synthetic: list) -> PatientIndex:
    return PatientIndex(
        Patient(i + 1, p.mrn, p.family, p.given, p.dob, "U", p.middle, p.phone)
        for i, p in enumerate(synthetic)
    )


def test_synthetic_corpus_text_layer() -> None:
    """100 labelled documents (their exact text, no OCR): the engine's logic alone."""
    synthetic = generate_patients(1500, seed=3)
    registry = _registry(synthetic)
    n = right = confident = wrong_confident = types = dates = 0
    for doc in generate_documents(synthetic, 100, seed=5, dpi=20):
        s = suggest(ocr_result_from_text(doc.page_texts[0]), registry, today=REFERENCE_DATE)
        n += 1
        right += bool(s.patient) and s.patient[0].mrn == doc.patient_mrn
        if s.confident_patient is not None:
            confident += 1
            wrong_confident += s.confident_patient.mrn != doc.patient_mrn
        types += s.doc_type[0].value == doc.doc_type
        dates += bool(s.doc_date) and s.doc_date[0].value == doc.doc_date.isoformat()
    assert wrong_confident == 0
    assert right / n >= 0.95
    assert confident / n >= 0.7
    assert types / n >= 0.9
    assert dates / n >= 0.9


@needs_tesseract
@pytest.mark.slow
def test_synthetic_scans_real_ocr(engine: OcrEngine) -> None:
    """A handful of degraded synthetic scans through real Tesseract: no confident wrong."""
    synthetic = generate_patients(800, seed=8)
    registry = _registry(synthetic)
    docs = list(generate_documents(synthetic, 4, seed=9, dpi=150))
    profiles = ("office", "fax", "bad", "fax")
    pages = [degrade(d.pages[0], random.Random(i), profiles[i]) for i, d in enumerate(docs)]
    results = [f.result() for f in [engine.submit_full(p) for p in pages]]
    right = 0
    for doc, ocr in zip(docs, results, strict=True):
        s = suggest(ocr, registry, today=REFERENCE_DATE)
        if s.confident_patient is not None:
            assert s.confident_patient.mrn == doc.patient_mrn
        right += bool(s.patient) and s.patient[0].mrn == doc.patient_mrn
    assert right >= 3
