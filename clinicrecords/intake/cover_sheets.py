"""Recognising a cover sheet the program printed (``clinicrecords.records.coversheets``) in a scanned
page: the patient and document type are in its barcode, so the page needs no OCR."""

from __future__ import annotations

import logging

from PIL import Image

from clinicrecords.scan import barcodes
from clinicrecords.scan.types import Evidence, PatientSuggestion, ScoredValue, Suggestions
from clinicrecords.search.index import PatientIndex

log = logging.getLogger(__name__)

COVER_SCORE = 0.99  # a cover sheet's barcode: the clerk chose the chart when printing it


def cover_sheet_suggestions(page: Image.Image, registry: PatientIndex) -> Suggestions | None:
    """A cover sheet printed by the program (patient and type in a barcode), or None.

    Its MRN must name exactly one chart in the registry (``lookup.index_for``); then its
    suggestion is confident: the clerk chose the patient when printing the sheet."""
    try:
        code = barcodes.read_cover_sheet(page)
    except Exception as exc:  # noqa: BLE001 - an unreadable barcode is just a page
        log.warning("barcode reading failed on a page: %s", type(exc).__name__)
        return None
    if code is None:
        return None
    ids = registry.by_mrn(code.mrn)
    patient = registry.get(ids[0]) if len(ids) == 1 else None
    ev = (Evidence("barcode", "cover sheet " + "+".join(code.symbologies)),)
    found = ()
    if patient is not None:
        found = (
            PatientSuggestion(
                patient.id,
                patient.mrn,
                patient.display_name,
                patient.dob.isoformat(),
                COVER_SCORE,
                ev,
            ),
        )
    return Suggestions(patient=found, doc_type=(ScoredValue(code.doc_type, 1.0, ev),))
