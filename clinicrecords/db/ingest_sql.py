"""Batches, imported files and unfiled pages: SQL for the scan-and-index pipeline."""

from __future__ import annotations

import json
from typing import Any

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection

# -- batches -------------------------------------------------------------------------------


def create_batch(conn: Connection, source: str, label: str, user_id: int | None) -> int:
    cur = conn.execute(
        "INSERT INTO batches (source, label, created_by, created_at) VALUES (?, ?, ?, ?)",
        (source, label, user_id, utc_now()),
    )
    return int(cur.lastrowid)


def batch(conn: Connection, batch_id: int) -> dict | None:
    row = conn.execute("SELECT * FROM batches WHERE id = ?", (batch_id,)).fetchone()
    return None if row is None else dict(row)


def open_batches(conn: Connection) -> list[dict]:
    """Open batches, newest first, with their page counts by pipeline state."""
    cur = conn.execute(
        "SELECT b.id, b.source, b.label, b.status, b.created_at, "
        "(SELECT count(*) FROM imported_files f WHERE f.batch_id = b.id) AS files, "
        "(SELECT count(*) FROM imported_files f WHERE f.batch_id = b.id "
        "   AND f.status = 'stored') AS files_waiting, "
        "(SELECT count(*) FROM imported_files f WHERE f.batch_id = b.id "
        "   AND f.status = 'failed') AS files_failed, "
        "(SELECT count(*) FROM pages p WHERE p.batch_id = b.id AND p.status != 'deleted') "
        "   AS pages, "
        "(SELECT count(*) FROM pages p WHERE p.batch_id = b.id AND p.status = 'filed') AS filed, "
        "(SELECT count(*) FROM pages p WHERE p.batch_id = b.id AND p.status = 'review') "
        "   AS review, "
        "(SELECT count(*) FROM pages p WHERE p.batch_id = b.id AND p.status != 'deleted' "
        "   AND p.ocr_text IS NULL) AS text_pending "
        "FROM batches b WHERE b.status = 'open' ORDER BY b.id DESC"
    )
    return [dict(r) for r in cur]


# Work left in a batch: a file not split into pages yet, or a page still without its text.
_WORK_LEFT = (
    "(EXISTS (SELECT 1 FROM imported_files f WHERE f.batch_id = b.id AND f.status = 'stored') "
    "OR EXISTS (SELECT 1 FROM pages p WHERE p.batch_id = b.id AND p.status != 'deleted' "
    "AND p.ocr_text IS NULL))"
)


def unfinished_batches(conn: Connection) -> list[int]:
    """Batches (not discarded) whose reading was interrupted or never started, oldest first."""
    cur = conn.execute(
        f"SELECT b.id FROM batches b WHERE b.status != 'discarded' AND {_WORK_LEFT} ORDER BY b.id"
    )
    return [int(r[0]) for r in cur]


def file_unfinished(conn: Connection, file_id: int) -> bool:
    """A stored file whose pages are not all read (not split yet, or a page without text),
    in a batch that was not discarded."""
    row = conn.execute(
        "SELECT f.status = 'stored' OR EXISTS (SELECT 1 FROM pages p WHERE p.file_id = f.id "
        "AND p.status != 'deleted' AND p.ocr_text IS NULL) "
        "FROM imported_files f JOIN batches b ON b.id = f.batch_id "
        "WHERE f.id = ? AND b.status != 'discarded'",
        (file_id,),
    ).fetchone()
    return bool(row and row[0])


def set_batch_status(conn: Connection, batch_id: int, status: str) -> None:
    conn.execute("UPDATE batches SET status = ? WHERE id = ?", (status, batch_id))


def batch_state(conn: Connection, batch_id: int) -> dict[str, Any]:
    row = conn.execute("SELECT state FROM batches WHERE id = ?", (batch_id,)).fetchone()
    return {} if row is None else json.loads(row[0] or "{}")


def put_batch_state(conn: Connection, batch_id: int, state: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE batches SET state = ? WHERE id = ?",
        (json.dumps(state, separators=(",", ":")), batch_id),
    )


# -- imported files ------------------------------------------------------------------------


def file_by_sha(conn: Connection, sha256: str) -> dict | None:
    """An earlier import of the same bytes that was kept (a failed one does not count)."""
    row = conn.execute(
        "SELECT * FROM imported_files WHERE sha256 = ? AND status != 'failed' ORDER BY id LIMIT 1",
        (sha256,),
    ).fetchone()
    return None if row is None else dict(row)


def insert_file(
    conn: Connection,
    batch_id: int,
    original_name: str,
    sha256: str,
    size: int,
    blob_id: str,
    media_type: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO imported_files (batch_id, original_name, sha256, size, blob_id, media_type, "
        "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (batch_id, original_name, sha256, size, blob_id, media_type, utc_now()),
    )
    return int(cur.lastrowid)


def set_file_status(conn: Connection, file_id: int, status: str, error: str = "") -> None:
    conn.execute(
        "UPDATE imported_files SET status = ?, error = ? WHERE id = ?", (status, error, file_id)
    )


def files_for_batch(conn: Connection, batch_id: int) -> list[dict]:
    cur = conn.execute("SELECT * FROM imported_files WHERE batch_id = ? ORDER BY id", (batch_id,))
    return [dict(r) for r in cur]


def source_pages_done(conn: Connection, file_id: int) -> set[int]:
    cur = conn.execute("SELECT source_page FROM pages WHERE file_id = ?", (file_id,))
    return {int(r[0]) for r in cur}


# -- pages of a batch ----------------------------------------------------------------------

_PAGE_COLUMNS = (
    "id, blob_id, sha256, media_type, width, height, dpi, rotation, batch_id, file_id, "
    "source_page, document_id, seq, status, blank_score, suggestion, "
    "ocr_text IS NOT NULL AS has_text"
)


def batch_pages(conn: Connection, batch_id: int, include_deleted: bool = False) -> list[dict]:
    where = "" if include_deleted else " AND status != 'deleted'"
    cur = conn.execute(
        f"SELECT {_PAGE_COLUMNS} FROM pages WHERE batch_id = ?{where} ORDER BY seq, id",
        (batch_id,),
    )
    return [dict(r) for r in cur]


def pages_by_id(conn: Connection, page_ids: list[int]) -> list[dict]:
    if not page_ids:
        return []
    marks = ",".join("?" * len(page_ids))
    cur = conn.execute(
        f"SELECT {_PAGE_COLUMNS}, ocr_text, ocr_words FROM pages WHERE id IN ({marks})",
        tuple(page_ids),
    )
    by_id = {r["id"]: dict(r) for r in cur}
    return [by_id[i] for i in page_ids if i in by_id]


def header_words_and_suggestion(conn: Connection, page_id: int) -> tuple[str | None, str | None]:
    """A page's header-pass words and suggestion JSON, for its full-text pass."""
    row = conn.execute(
        "SELECT ocr_words, suggestion FROM pages WHERE id = ?", (page_id,)
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def pages_without_text(conn: Connection, batch_id: int) -> list[dict]:
    cur = conn.execute(
        "SELECT id, blob_id, sha256, dpi FROM pages WHERE batch_id = ? AND ocr_text IS NULL "
        "AND status != 'deleted' ORDER BY seq, id",
        (batch_id,),
    )
    return [dict(r) for r in cur]


def insert_scanned_page(
    conn: Connection,
    *,
    blob_id: str,
    sha256: str,
    media_type: str,
    width: int,
    height: int,
    dpi: int,
    batch_id: int,
    file_id: int,
    source_page: int,
    seq: int,
    status: str,
    blank_score: float,
    ocr_words: str | None,
    suggestion: str | None,
) -> int:
    cur = conn.execute(
        "INSERT INTO pages (blob_id, sha256, media_type, width, height, dpi, batch_id, file_id, "
        "source_page, seq, status, blank_score, ocr_words, suggestion, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            blob_id,
            sha256,
            media_type,
            width,
            height,
            dpi,
            batch_id,
            file_id,
            source_page,
            seq,
            status,
            blank_score,
            ocr_words,
            suggestion,
            utc_now(),
        ),
    )
    return int(cur.lastrowid)


def set_page_text(conn: Connection, page_id: int, text: str, words: str) -> None:
    conn.execute(
        "UPDATE pages SET ocr_text = ?, ocr_words = ? WHERE id = ?", (text, words, page_id)
    )


def update_unfiled_suggestion(conn: Connection, page_id: int, suggestion: str, status: str) -> None:
    """New suggestions for a page still waiting in its batch (a filed page keeps its own)."""
    conn.execute(
        "UPDATE pages SET suggestion = ?, status = ? WHERE id = ? AND status IN ('ready', 'review')",
        (suggestion, status, page_id),
    )


def set_page_status(conn: Connection, page_ids: list[int], status: str) -> None:
    conn.executemany("UPDATE pages SET status = ? WHERE id = ?", [(status, i) for i in page_ids])


def set_page_rotation(conn: Connection, page_id: int, rotation: int) -> None:
    conn.execute("UPDATE pages SET rotation = ? WHERE id = ?", (rotation % 360, page_id))


def set_page_seq(conn: Connection, order: list[int]) -> None:
    conn.executemany(
        "UPDATE pages SET seq = ? WHERE id = ?", [(n, pid) for n, pid in enumerate(order)]
    )


def file_pages_into_document(conn: Connection, page_ids: list[int], document_id: int) -> None:
    conn.executemany(
        "UPDATE pages SET document_id = ?, seq = ?, status = 'filed' WHERE id = ?",
        [(document_id, n, pid) for n, pid in enumerate(page_ids)],
    )


def unfiled_count(conn: Connection, batch_id: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pages WHERE batch_id = ? AND status NOT IN ('filed', 'deleted')",
        (batch_id,),
    ).fetchone()
    return int(row[0])
