"""What the clerk reviews: open batches, their files and pages still to be filed (the review
queue is the pages without a confident patient), and the index screen's saved work."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from clinicrecords.clinic.session import Session
from clinicrecords.db import documents_sql, ingest_sql
from clinicrecords.intake.codec import suggestions_from_json
from clinicrecords.scan.types import Suggestions


@dataclass(frozen=True)
class BatchInfo:
    id: int
    source: str
    label: str
    created_at: str
    files: int
    files_waiting: int
    files_failed: int
    pages: int
    filed: int
    review: int
    text_pending: int

    @property
    def unfiled(self) -> int:
        return self.pages - self.filed


@dataclass(frozen=True)
class ScanPage:
    id: int
    batch_id: int
    file_id: int | None
    source_page: int
    seq: int
    status: str
    width: int
    height: int
    rotation: int
    blank_score: float
    has_text: bool
    suggestion: Suggestions
    blank: bool = False
    problem: str = ""
    cover: bool = False

    @property
    def confident(self) -> bool:
        return self.suggestion.confident_patient is not None and not self.blank


def _scan_page(row: dict) -> ScanPage:
    raw = json.loads(row["suggestion"]) if row.get("suggestion") else {}
    return ScanPage(
        id=row["id"],
        batch_id=row["batch_id"],
        file_id=row["file_id"],
        source_page=row["source_page"],
        seq=row["seq"],
        status=row["status"],
        width=row["width"],
        height=row["height"],
        rotation=row["rotation"],
        blank_score=float(row["blank_score"] or 0.0),
        has_text=bool(row["has_text"]),
        suggestion=suggestions_from_json(row.get("suggestion")),
        blank=bool(raw.get("blank", False)),
        problem=str(raw.get("problem", "")),
        cover=bool(raw.get("cover", False)),
    )


def open_batches(session: Session) -> list[BatchInfo]:
    session.require("scan.ingest")
    with session.db.read() as conn:
        rows = ingest_sql.open_batches(conn)
    names = {f.name for f in dataclasses.fields(BatchInfo)}
    return [BatchInfo(**{k: v for k, v in r.items() if k in names}) for r in rows]


def batch_pages(session: Session, batch_id: int) -> list[ScanPage]:
    """The batch's pages still to be filed (filed and deleted pages are left out)."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        rows = ingest_sql.batch_pages(conn, batch_id)
    return [_scan_page(r) for r in rows if r["status"] != "filed"]


def review_queue(session: Session, batch_id: int | None = None) -> list[ScanPage]:
    """Pages with no confident patient, waiting for the clerk (never filed on their own)."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        ids = [b["id"] for b in ingest_sql.open_batches(conn)] if batch_id is None else [batch_id]
        rows = [r for b in ids for r in ingest_sql.batch_pages(conn, b)]
    return [_scan_page(r) for r in rows if r["status"] == "review"]


def batch_files(session: Session, batch_id: int) -> list[dict]:
    """The batch's imported files: name, status and the reason a file failed (no content)."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        rows = ingest_sql.files_for_batch(conn, batch_id)
    keep = ("id", "original_name", "size", "media_type", "status", "error", "imported_at")
    return [{k: r[k] for k in keep} for r in rows]


def load_batch_state(session: Session, batch_id: int) -> dict[str, Any]:
    session.require("scan.ingest")
    with session.db.read() as conn:
        return ingest_sql.batch_state(conn, batch_id)


def save_batch_state(session: Session, batch_id: int, state: dict[str, Any]) -> None:
    """The indexing screen's work in progress (document groups, typed fields), kept in the
    database so that a crash or a closed window loses none of it."""
    session.require("scan.ingest")
    with session.db.write() as conn:
        ingest_sql.put_batch_state(conn, batch_id, state)


def discard_batch(session: Session, batch_id: int) -> None:
    """Close a batch without filing the rest (its files and pages stay in the store)."""
    session.require("scan.ingest")
    with session.db.write() as conn:
        ingest_sql.set_batch_status(conn, batch_id, "discarded")
        session.audit("batch.discard", "batch", batch_id, conn=conn)


def doc_type_choices(session: Session) -> list[tuple[str, str]]:
    """The types a page can be filed as, ``(code, label)`` by label: the built-in ones and
    the clinic's own (for the index screen's form)."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        return [(t["code"], t["label"]) for t in documents_sql.doc_types(conn)]
