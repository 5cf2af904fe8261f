"""Barcode cover sheets a clerk prints for a chart: one per document type to be scanned.

Put in front of the paper, a sheet tells the scan pipeline whose record follows and what kind
it is, so a whole stack can go through the feeder and be split and filed without typing. The
sheet itself is never filed. Printing one shows a patient's name, so it is audited.
"""

from __future__ import annotations

from collections.abc import Sequence

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput
from clinicrecords.db import documents_sql
from clinicrecords.registry.patients import get_patient
from clinicrecords.scan.barcodes import CoverSheet, cover_sheet_pdf_bytes


def cover_sheets_pdf(session: Session, patient_id: int, doc_types: Sequence[str]) -> bytes:
    """A PDF with one cover sheet per document type, in the order given."""
    patient = get_patient(session, patient_id)
    if patient.merged_into:
        raise BadInput("That chart was merged into another: print the sheets from the other chart.")
    if not doc_types:
        raise BadInput("Choose at least one document type.")
    with session.db.read() as conn:
        labels = {r["code"]: r["label"] for r in documents_sql.doc_types(conn)}
    unknown = [t for t in doc_types if t not in labels]
    if unknown:
        raise BadInput(f"Unknown document type: {', '.join(unknown)}.")
    label = f"{patient.display_name}   DOB {patient.dob:%m/%d/%Y}"
    sheets = [CoverSheet(patient.mrn, label, code, labels[code]) for code in doc_types]
    session.audit("coversheet.print", "patient", patient.id, doc_types=list(doc_types))
    return cover_sheet_pdf_bytes(sheets)
