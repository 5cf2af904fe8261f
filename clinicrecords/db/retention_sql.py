"""Retention and disposal: SQL for policies, legal holds, tombstones and certificates."""

from __future__ import annotations

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection

DESTROYED = ""  # blob_id and sha256 of a page whose bytes were destroyed (the row stays)


# --- policies ------------------------------------------------------------------------------


def policies(conn: Connection) -> dict[str, tuple[int, int]]:
    """doc_type -> (years, minor_years) for types with a policy of their own."""
    cur = conn.execute("SELECT doc_type, years, minor_years FROM retention_policies")
    return {r[0]: (int(r[1]), int(r[2])) for r in cur}


def set_policy(
    conn: Connection, doc_type: str, years: int, minor_years: int, user_id: int | None
) -> None:
    conn.execute(
        "INSERT INTO retention_policies (doc_type, years, minor_years, set_by, set_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (doc_type) DO UPDATE SET years = excluded.years, "
        "minor_years = excluded.minor_years, set_by = excluded.set_by, set_at = excluded.set_at",
        (doc_type, years, minor_years, user_id, utc_now()),
    )


# --- legal holds ---------------------------------------------------------------------------


def add_hold(
    conn: Connection, patient_id: int, reason: str, user_id: int | None, at: str | None = None
) -> int:
    cur = conn.execute(
        "INSERT INTO legal_holds (patient_id, reason, placed_by, placed_at) VALUES (?, ?, ?, ?)",
        (patient_id, reason, user_id, at or utc_now()),
    )
    return int(cur.lastrowid)


def active_holds(conn: Connection, patient_id: int | None = None) -> list[dict]:
    where = "h.released_at IS NULL" + (" AND h.patient_id = ?" if patient_id is not None else "")
    cur = conn.execute(
        "SELECT h.id, h.patient_id, h.reason, h.placed_at, p.mrn, "
        "coalesce(nullif(u.full_name, ''), u.username, '') AS placed_by "
        "FROM legal_holds h JOIN patients p ON p.id = h.patient_id "
        f"LEFT JOIN users u ON u.id = h.placed_by WHERE {where} ORDER BY h.id",
        () if patient_id is None else (patient_id,),
    )
    return [dict(r) for r in cur]


def release_holds(
    conn: Connection, patient_id: int, user_id: int | None, reason: str, at: str | None = None
) -> list[int]:
    ids = [h["id"] for h in active_holds(conn, patient_id)]
    for hold_id in ids:
        conn.execute(
            "UPDATE legal_holds SET released_by = ?, released_at = ?, release_reason = ? "
            "WHERE id = ?",
            (user_id, at or utc_now(), reason, hold_id),
        )
    return ids


# --- what may go ---------------------------------------------------------------------------


def candidates(conn: Connection) -> list[dict]:
    """Documents not yet destroyed, with what the schedule needs: the chart's DOB and MRN,
    the date of service (or the filing date when it has none), and whether the chart is on
    hold, a page of it is in a release not yet sent or closed, or its filing has not reached
    the clinic server yet (the push would look for the page files disposal removes)."""
    # Uncorrelated IN (...) sets: SQLite builds each once, so the query stays one pass over
    # the documents however many releases and holds there are.
    cur = conn.execute(
        "SELECT d.id AS document_id, d.patient_id, d.doc_type, d.doc_date, "
        "substr(d.created_at, 1, 10) AS filed_on, p.mrn, p.dob, "
        "d.patient_id IN (SELECT h.patient_id FROM legal_holds h "
        "        WHERE h.released_at IS NULL) AS on_hold, "
        "d.id IN (SELECT rp.document_id FROM release_pages rp "
        "        JOIN release_requests r ON r.id = rp.request_id "
        "        WHERE r.status IN ('new', 'in_progress')) AS in_release, "
        "d.id IN (SELECT s.local_id FROM sync_ids s JOIN sync_outbox o "
        "        ON o.type = 'document.filed' AND o.pushed_at IS NULL "
        "        AND json_extract(o.payload, '$.uid') = s.uid "
        "        WHERE s.entity = 'document') AS unshared, "
        "(SELECT count(*) FROM pages g WHERE g.document_id = d.id AND g.blob_id != '') AS pages "
        "FROM documents d JOIN patients p ON p.id = d.patient_id "
        "WHERE d.id NOT IN (SELECT document_id FROM document_disposals) "
        "ORDER BY coalesce(d.doc_date, d.created_at), d.id"
    )
    return [dict(r) for r in cur]


# --- disposal ------------------------------------------------------------------------------


def document_blobs(conn: Connection, document_id: int) -> list[tuple[int, str, int | None]]:
    """(page id, blob id, imported file id) of every page of a document still holding bytes."""
    cur = conn.execute(
        "SELECT id, blob_id, file_id FROM pages WHERE document_id = ? AND blob_id != ''",
        (document_id,),
    )
    return [(int(r[0]), r[1], None if r[2] is None else int(r[2])) for r in cur]


def destroy_pages(conn: Connection, document_id: int) -> int:
    """Forget a document's page bytes and words: the rows stay (releases name them), with no
    image, no OCR text (the FTS trigger removes it from the search index) and no words."""
    cur = conn.execute(
        "UPDATE pages SET blob_id = '', sha256 = '', ocr_text = NULL, ocr_words = NULL, "
        "suggestion = NULL, status = 'deleted' WHERE document_id = ?",
        (document_id,),
    )
    conn.execute(
        "UPDATE documents SET title = '', author = '', facility = '' WHERE id = ?", (document_id,)
    )
    return int(cur.rowcount)


def file_fully_destroyed(conn: Connection, file_id: int) -> bool:
    """True when no page cut from an imported file keeps its bytes (the original can go)."""
    row = conn.execute(
        "SELECT count(*) FROM pages WHERE file_id = ? AND blob_id != ''", (file_id,)
    ).fetchone()
    return int(row[0]) == 0


def forget_file(conn: Connection, file_id: int) -> str | None:
    row = conn.execute("SELECT blob_id FROM imported_files WHERE id = ?", (file_id,)).fetchone()
    if row is None or not row[0]:
        return None
    conn.execute(
        "UPDATE imported_files SET blob_id = '', sha256 = '', original_name = '' WHERE id = ?",
        (file_id,),
    )
    return str(row[0])


def blobs_in_use(conn: Connection, blob_ids: list[str]) -> set[str]:
    """Those of ``blob_ids`` another page or imported file still names (identical scans share
    one object). In chunks: ``blob_id`` has no index, so each chunk is one pass over pages."""
    used: set[str] = set()
    for i in range(0, len(blob_ids), 500):
        chunk = blob_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for table in ("pages", "imported_files"):
            cur = conn.execute(
                f"SELECT DISTINCT blob_id FROM {table} WHERE blob_id IN ({marks})", chunk
            )
            used.update(r[0] for r in cur)
    return used


def secure_delete(conn: Connection, on: bool) -> None:
    """While on, SQLite overwrites the content it frees with zeros (destroyed OCR text does
    not linger in free pages of the database file)."""
    conn.execute(f"PRAGMA secure_delete = {'ON' if on else 'OFF'}")


def checkpoint_truncate(conn: Connection) -> bool:
    """Copy the journal (WAL) into the database and empty it, so older page versions that
    held destroyed text leave the journal file; False when a reader kept it from finishing."""
    row = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return row is not None and int(row[0]) == 0


def optimize_text_index(conn: Connection) -> None:
    """Rewrite the full-text index so removed words leave no trace in old index segments."""
    conn.execute("INSERT INTO page_text (page_text) VALUES ('optimize')")


def add_certificate(
    conn: Connection,
    user_id: int | None,
    method: str,
    documents: int,
    pages: int,
    date_from: str | None,
    date_to: str | None,
) -> int:
    cur = conn.execute(
        "INSERT INTO disposal_certificates (disposed_at, disposed_by, method, documents, pages, "
        "date_from, date_to) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (utc_now(), user_id, method, documents, pages, date_from, date_to),
    )
    return int(cur.lastrowid)


def set_certificate_hash(conn: Connection, certificate_id: int, sha256: str) -> None:
    conn.execute(
        "UPDATE disposal_certificates SET pdf_sha256 = ? WHERE id = ?", (sha256, certificate_id)
    )


def add_tombstone(
    conn: Connection,
    document_id: int,
    patient_id: int,
    doc_type: str,
    date_from: str | None,
    date_to: str | None,
    pages: int,
    policy: str,
    certificate_id: int | None,
    user_id: int | None,
    at: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO document_disposals (document_id, patient_id, doc_type, date_from, date_to, "
        "pages, policy, certificate_id, disposed_at, disposed_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            document_id, patient_id, doc_type, date_from, date_to, pages, policy,
            certificate_id, at or utc_now(), user_id,
        ),
    )  # fmt: skip


def tombstones(conn: Connection, patient_id: int) -> dict[int, dict]:
    cur = conn.execute(
        "SELECT t.*, coalesce(nullif(u.full_name, ''), u.username, '') AS by_name "
        "FROM document_disposals t LEFT JOIN users u ON u.id = t.disposed_by "
        "WHERE t.patient_id = ?",
        (patient_id,),
    )
    return {int(r["document_id"]): dict(r) for r in cur}


def is_destroyed(conn: Connection, document_id: int) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM document_disposals WHERE document_id = ?", (document_id,)
        ).fetchone()
        is not None
    )
