"""The audit table: append and read. The chain logic lives in ``clinicrecords/audit.py``."""

from __future__ import annotations

from collections.abc import Iterator

from clinicrecords.db.connection import Connection


def last_row(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def sequence(conn: Connection) -> int:
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    return 0 if row is None else int(row[0])


def insert(conn: Connection, row: dict) -> None:
    conn.execute(
        "INSERT INTO audit_log (id, ts, user_id, username, action, object_type, object_id, "
        "detail, prev_hash, hash) VALUES (:id, :ts, :user_id, :username, :action, "
        ":object_type, :object_id, :detail, :prev_hash, :hash)",
        row,
    )


def iter_rows(conn: Connection) -> Iterator[dict]:
    cur = conn.execute(
        "SELECT id, ts, user_id, username, action, object_type, object_id, detail, prev_hash, "
        "hash FROM audit_log ORDER BY rowid"
    )
    for r in cur:
        yield dict(r)


def rows_for_object(conn: Connection, object_type: str, object_id: str, limit: int) -> list[dict]:
    cur = conn.execute(
        "SELECT id, ts, username, action, detail FROM audit_log WHERE object_type = ? AND "
        "object_id = ? ORDER BY id DESC LIMIT ?",
        (object_type, object_id, limit),
    )
    return [dict(r) for r in cur]


def recent(conn: Connection, limit: int) -> list[dict]:
    cur = conn.execute(
        "SELECT id, ts, username, action, object_type, object_id, detail FROM audit_log "
        "ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [dict(r) for r in cur]
