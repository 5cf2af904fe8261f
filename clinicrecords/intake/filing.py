"""Step 3 of intake: reviewed pages become a document in a chart (audited); the
document-type classifier learns from it. Nothing is filed without the clerk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import documents_sql, ingest_sql, settings_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.events import documents as document_events
from clinicrecords.intake.classifier import CLASSIFIER_KEY, learned, remember
from clinicrecords.intake.codec import suggestions_from_json, text_of, words_from_json
from clinicrecords.intake.date_labels import learn_date_label


def file_document(
    session: Session,
    page_ids: Sequence[int],
    patient_id: int,
    doc_type: str,
    doc_date: date | None,
    title: str = "",
    author: str = "",
    facility: str = "",
    set_aside: Sequence[int] = (),
) -> int:
    """File reviewed pages as one document in a chart; audited; teaches the type classifier.

    ``set_aside``: pages of the same document that are not part of the record (its cover
    sheet), kept in the store with status ``deleted`` in the same commit."""
    session.require("scan.file")
    page_ids = list(dict.fromkeys(page_ids))
    if not page_ids:
        raise BadInput("Choose at least one page to file.")
    with session.db.write() as conn:
        rows = ingest_sql.pages_by_id(conn, page_ids)
        if len(rows) != len(page_ids):
            raise NotFound("A page to file does not exist (any more).")
        if any(r["status"] in ("filed", "deleted") for r in rows):
            raise BadInput("A page was already filed or set aside; reload the batch.")
        batches = {r["batch_id"] for r in rows}
        patient = patients_sql.get(conn, patient_id)
        if patient is None:
            raise NotFound("That chart does not exist.")
        if patient.merged_into:
            raise BadInput("That chart was merged into another; choose the surviving chart.")
        if not documents_sql.doc_type_exists(conn, doc_type):
            raise BadInput("That document type does not exist.")
        batch_id = next(iter(batches)) if len(batches) == 1 else None
        doc_id = documents_sql.insert_document(
            conn,
            patient_id,
            doc_type,
            doc_date.isoformat() if doc_date else None,
            title,
            author,
            facility,
            batch_id,
            session.user.id,
        )
        ingest_sql.file_pages_into_document(conn, page_ids, doc_id)
        aside = [r for r in ingest_sql.pages_by_id(conn, list(set_aside)) if r["status"] != "filed"]
        ingest_sql.set_page_status(conn, [r["id"] for r in aside], "deleted")
        patients_sql.touch(conn, patient_id)
        document_events.document_filed(conn, doc_id)  # the clinic hears of it in this commit
        suggested = suggestions_from_json(rows[0]["suggestion"])
        learn_date_label(conn, suggested, doc_date)  # which label this clinic's dates carry
        top = suggested.confident_patient
        session.audit(
            "document.file",
            "document",
            doc_id,
            conn=conn,
            patient_id=patient_id,
            doc_type=doc_type,
            pages=len(page_ids),
            batch_id=batch_id,
            followed_suggestion=bool(top and top.patient_id == patient_id),
            set_aside=len(aside),
        )
        text = "\n".join(
            r["ocr_text"] if r["ocr_text"] is not None else text_of(words_from_json(r["ocr_words"]))
            for r in rows
        )
        taught = learned(session, text, doc_type) if text.strip() else None
        if taught is not None:
            settings_sql.put(conn, CLASSIFIER_KEY, taught.to_json())
        for b in batches:
            if ingest_sql.unfiled_count(conn, b) == 0:
                ingest_sql.set_batch_status(conn, b, "done")
    if taught is not None:
        remember(session, taught)
    return doc_id
