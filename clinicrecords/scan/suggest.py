"""Filing suggestions for one page: patient, document type, document date, author, facility.

The entry point of the suggestion engine (DESIGN.md, "Scan-and-index"). It knows nothing of
the database or Qt: the chart index comes in as a `PatientRegistry`, the learned document-type
model as a `DocTypeClassifier` (the service keeps its JSON state in the settings table).

Order matters in one place: the patient is matched first, so that the document date can
exclude that patient's date of birth wherever it appears on the page (a DOB printed without a
label must not become the date of service).

Nothing here logs: OCR text and identifiers are patient data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from clinicrecords.scan.docdate import suggest_dates
from clinicrecords.scan.doctype import DocTypeClassifier
from clinicrecords.scan.facility import find_authors, find_facilities
from clinicrecords.scan.identifiers import extract, page_lines
from clinicrecords.scan.patient_match import PatientRegistry, match_patients
from clinicrecords.scan.types import Box, OcrResult, ScoredValue, Suggestions, Word
from clinicrecords.search.normalize import name_tokens

DOC_TYPE_LIMIT = 5
DOB_TRUST = 0.5  # a patient suggestion this good lends its DOB to the date filter

_default_classifier: DocTypeClassifier | None = None


def _keywords_only() -> DocTypeClassifier:
    global _default_classifier
    if _default_classifier is None:
        _default_classifier = DocTypeClassifier()
    return _default_classifier


def suggest(
    ocr: OcrResult,
    registry: PatientRegistry,
    classifier: DocTypeClassifier | None = None,
    date_order: str = "MDY",
    today: date | None = None,
    date_labels: Mapping[str, float] | None = None,
) -> Suggestions:
    """Everything the indexing screen proposes for a page, each list best first.

    `date_order` is the clinic's "MDY" (US) or "DMY"; it only decides dates whose day and
    month could be swapped. `today` bounds plausible dates (tests pin it). `date_labels`:
    the clinic's learned date-label adjustments (`docdate.suggest_dates`).
    """
    if date_order not in ("MDY", "DMY"):
        raise ValueError("date_order must be 'MDY' or 'DMY'")
    today = today or date.today()
    words = ocr.words or ocr_result_from_text(ocr.text).words
    lines = page_lines(words)
    ids = extract(lines, date_order, today)

    patients = match_patients(ids, registry)
    top = patients[0] if patients else None
    dob = date.fromisoformat(top.dob) if top and top.score >= DOB_TRUST else None
    doc_date = suggest_dates(ids.dates, dob, today, label_weights=date_labels)

    classifier = classifier or _keywords_only()
    text = ocr.text or "\n".join(line.text for line in lines)
    evidence = classifier.keyword_evidence(lines)
    doc_type = tuple(
        ScoredValue(code, round(p, 3), evidence.get(code, ()))
        for code, p in classifier.predict(text)[:DOC_TYPE_LIMIT]
    )

    exclude: set[str] = set()
    for p in patients[:2]:
        family, _, given = p.name.partition(",")
        exclude.update(name_tokens(family))
        exclude.update(name_tokens(given))
    return Suggestions(
        patient=patients,
        doc_type=doc_type,
        doc_date=doc_date,
        author=find_authors(lines, exclude),
        facility=find_facilities(lines),
    )


def ocr_result_from_text(
    text: str, *, left: int = 100, top: int = 100, char_width: int = 14, line_height: int = 40
) -> OcrResult:
    """An OcrResult with plausible word boxes laid out from plain text.

    For pages that already carry text (born-digital PDFs, e-faxes with a text layer) and for
    tests: the engine then treats them exactly like a Tesseract result.
    """
    words: list[Word] = []
    y = top
    line_no = 0
    for raw in text.splitlines():
        if not raw.strip():
            y += line_height
            continue
        line_no += 1
        x = left
        col = 0
        for piece in raw.split(" "):
            if piece:
                box = Box(
                    x + col * char_width, y, max(1, len(piece)) * char_width, line_height - 12
                )
                words.append(Word(piece, box, 95.0, 1, line_no))
            col += len(piece) + 1
        y += line_height
    return OcrResult(text=text, words=tuple(words))
