"""Page operations of the index screen: look at, turn, set aside, reorder. Every read goes
through ``page_access`` (one check, one audit row)."""

from __future__ import annotations

from collections.abc import Sequence

from clinicrecords.clinic import page_access
from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput
from clinicrecords.db import ingest_sql
from clinicrecords.intake.codec import suggestions_from_json, words_from_json
from clinicrecords.scan.types import Word


def page_image(session: Session, page_id: int) -> bytes:
    """A page's image for the indexing screen. Checked and audited by ``page_access``: an
    unfiled page needs ``scan.ingest``, a filed one the chart's rules (sensitive types)."""
    return page_access.open_page(
        session,
        page_id,
        "view",
        lambda row: session.pages.get(row["blob_id"], row["sha256"]),
        purpose="index",
    )


def page_words(session: Session, page_id: int) -> list[Word]:
    """A page's OCR words (with their boxes); checked and audited like its image."""
    return page_access.open_page(
        session, page_id, "words", lambda row: words_from_json(row["ocr_words"])
    )


def rotate_page(session: Session, page_id: int, degrees: int) -> int:
    """Turn a page still to be filed (clockwise); returns its new rotation."""
    session.require("scan.ingest")
    if degrees % 90:
        raise BadInput("A page can only be turned by a quarter turn at a time.")
    with session.db.write() as conn:
        (row,) = page_access.batch_pages_to_change(conn, [page_id])
        new = (int(row["rotation"]) + degrees) % 360
        ingest_sql.set_page_rotation(conn, page_id, new)
        session.audit(
            "page.rotate", "page", page_id, conn=conn, batch_id=row["batch_id"], rotation=new
        )
    return new


def delete_pages(session: Session, page_ids: Sequence[int], restore: bool = False) -> None:
    """Set pages aside (status ``deleted``; the image is kept and can be restored)."""
    session.require("scan.ingest")
    with session.db.write() as conn:
        rows = page_access.batch_pages_to_change(conn, page_ids)
        for r in rows:
            if restore:
                status = (
                    "ready"
                    if suggestions_from_json(r["suggestion"]).confident_patient
                    else "review"
                )
            else:
                status = "deleted"
            ingest_sql.set_page_status(conn, [r["id"]], status)
        session.audit(
            "page.restore" if restore else "page.set_aside",
            "pages",
            ",".join(str(r["id"]) for r in rows),
            conn=conn,
        )


def reorder_pages(session: Session, batch_id: int, order: Sequence[int]) -> None:
    """Put a batch's pages (all still to be filed, all of this batch) in the given order."""
    session.require("scan.ingest")
    order = list(order)
    if len(set(order)) != len(order):
        raise BadInput("A page is listed twice in the new order.")
    with session.db.write() as conn:
        page_access.batch_pages_to_change(conn, order, batch_id)
        ingest_sql.set_page_seq(conn, order)
        session.audit("page.reorder", "batch", batch_id, conn=conn, pages=order)
