"""Documents in a chart and their page images (stored encrypted in the page store)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from PIL import Image

from clinicrecords.clinic import page_access
from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Document, PageRef
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import documents_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.events import documents as document_events


@dataclass(frozen=True)
class PageInput:
    data: bytes
    media_type: str = "image/png"
    ocr_text: str | None = None


def image_info(data: bytes) -> tuple[int, int, int]:
    """(width, height, dpi) read from the header only."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            dpi = im.info.get("dpi", (300, 300))[0] or 300
            return im.width, im.height, int(round(float(dpi)))
    except Exception:
        raise BadInput("A page is not an image the program can read.") from None


def add_document(
    session: Session,
    patient_id: int,
    doc_type: str,
    doc_date: date | None,
    pages: list[PageInput],
    title: str = "",
    author: str = "",
    facility: str = "",
    batch_id: int | None = None,
) -> int:
    """File a document with its pages into a chart. Page bytes are stored before the rows."""
    session.require("document.edit")
    if not pages:
        raise BadInput("A document needs at least one page.")
    stored = []
    for p in pages:
        w, h, dpi = image_info(p.data)
        blob_id, sha = session.pages.put(p.data)
        stored.append((p, blob_id, sha, w, h, dpi))
    with session.db.write() as conn:
        if patients_sql.get(conn, patient_id) is None:
            raise NotFound("That chart does not exist.")
        if not documents_sql.doc_type_exists(conn, doc_type):
            raise BadInput("That document type does not exist.")
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
        for seq, (p, blob_id, sha, w, h, dpi) in enumerate(stored):
            documents_sql.insert_page(
                conn,
                blob_id,
                sha,
                p.media_type,
                w,
                h,
                dpi,
                doc_id,
                seq,
                "filed",
                p.ocr_text,
                batch_id=batch_id,
            )
        patients_sql.touch(conn, patient_id)
        document_events.document_filed(conn, doc_id)  # the clinic hears of it in this commit
        session.audit(
            "document.create",
            "document",
            doc_id,
            conn=conn,
            patient_id=patient_id,
            doc_type=doc_type,
            pages=len(stored),
        )
    return doc_id


def _document(row: dict) -> Document:
    return Document(
        id=row["id"],
        patient_id=row["patient_id"],
        doc_type=row["doc_type"],
        doc_date=date.fromisoformat(row["doc_date"]) if row["doc_date"] else None,
        page_count=row.get("pages", 0),
        title=row["title"],
        author=row["author"],
        facility=row["facility"],
        sensitive=bool(row["sensitive"]),
        created_at=row["created_at"],
    )


def list_documents(session: Session, patient_id: int) -> list[Document]:
    session.require("document.read")
    with session.db.read() as conn:
        return [_document(r) for r in documents_sql.documents_for_patient(conn, patient_id)]


def document_pages(session: Session, document_id: int) -> list[PageRef]:
    session.require("document.read")
    with session.db.read() as conn:
        rows = documents_sql.pages_for_document(conn, document_id)
    return [page_ref(r) for r in rows]


def page_ref(row: dict) -> PageRef:
    """A PageRef from a ``pages`` row (as documents_sql returns them)."""
    return PageRef(
        row["id"],
        row["document_id"],
        row["seq"],
        row["sha256"],
        row["media_type"],
        row["width"],
        row["height"],
        row["rotation"],
    )


def read_page(session: Session, page_id: int, purpose: str = "view", **detail: Any) -> bytes:
    """A page's image bytes, checked against its recorded SHA-256. Checked and audited (as
    ``page.<purpose>``) by ``page_access.open_page``, like every other read of a page."""
    return page_access.open_page(
        session,
        page_id,
        purpose,
        lambda row: session.pages.get(row["blob_id"], row["sha256"]),
        **detail,
    )
