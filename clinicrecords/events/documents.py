"""Documents travel (the capture side; ``sync/documents.py`` applies them): what a clerk filed
at one desk is in the chart on every PC seconds later.

``document.filed`` {uid, patient, doc_type, doc_date, title, author, facility, created_by,
created_at, pages: [{uid, blob_id, sha256, media_type, width, height, dpi, rotation, seq,
ocr_text, ocr_words}]}: sealed like every event, so the server sees none of it. The page
images are the page store's objects, already encrypted (``blob_id`` is an HMAC name): push
uploads each before the event that names it, pull fetches and authenticates them before the
event is applied. The OCR text and words travel in the payload so the receiving PC neither
runs Tesseract again (seconds per page on a busy desk) nor shows a chart whose pages cannot
be searched until it has: the words are the filing PC's, identical everywhere.

A filing is append-only: it cannot conflict. Pages set aside at filing (a cover sheet) are
not part of the record and stay on the PC that scanned them.
"""

from __future__ import annotations

from clinicrecords.db import documents_sql, sync_sql, users_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import capture
from clinicrecords.events import types as ev
from clinicrecords.events.ids import uuid7
from clinicrecords.events.outbox import emit

DOCUMENT = "document"  # entity names in sync_ids
PAGE = "page"
DOCUMENT_FILED = "document.filed"


def document_filed(conn: Connection, document_id: int) -> None:
    """Call inside the filing's write transaction, after its document and page rows."""
    if not sync_sql.is_attached(conn):
        return
    if sync_sql.uid_of(conn, DOCUMENT, document_id) is not None:
        return
    doc = documents_sql.document(conn, document_id)
    if doc is None or doc.get("voided_at"):  # a voided one is shared if and when it is unvoided
        return
    patient_uid = sync_sql.uid_of(conn, ev.PATIENT, doc["patient_id"])
    if patient_uid is None:  # a chart the clinic never heard of: its registration goes first
        capture.patient_registered(conn, doc["patient_id"])
        patient_uid = sync_sql.uid_of(conn, ev.PATIENT, doc["patient_id"])
        if patient_uid is None:
            return
    user = users_sql.by_id(conn, doc["created_by"]) if doc["created_by"] else None
    uid = uuid7()
    sync_sql.add_uid(conn, DOCUMENT, uid, document_id)
    pages = []
    for row in documents_sql.pages_to_share(conn, document_id):
        page_uid = uuid7()
        sync_sql.add_uid(conn, PAGE, page_uid, row["id"])
        pages.append({"uid": page_uid} | {k: row[k] for k in documents_sql.SHARED_PAGE_FIELDS})
    emit(
        conn,
        DOCUMENT_FILED,
        {
            "uid": uid,
            "patient": patient_uid,
            "doc_type": doc["doc_type"],
            "doc_date": doc["doc_date"],
            "title": doc["title"],
            "author": doc["author"],
            "facility": doc["facility"],
            "created_by": user["username"].strip().lower() if user else None,
            "created_at": doc["created_at"],
            "pages": pages,
        },
    )


def share_unshared_documents(conn: Connection) -> int:
    """Tell the clinic of every document it has not heard of (attach uploads history so);
    call after ``share_unshared_charts``, so every chart's registration comes first."""
    ids = sync_sql.document_ids_without_uid(conn)
    for doc_id in ids:
        document_filed(conn, doc_id)
    return len(ids)
