"""The audit table: append and read. The chain logic lives in ``clinicrecords/clinic/audit.py``."""

from __future__ import annotations

from collections.abc import Iterator

from clinicrecords.db.connection import Connection


def last_row(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def hash_of(conn: Connection, row_id: int) -> str | None:
    row = conn.execute("SELECT hash FROM audit_log WHERE id = ?", (row_id,)).fetchone()
    return None if row is None else row[0]


def count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM audit_log").fetchone()[0])


def row_at(conn: Connection, row_id: int) -> tuple[str, str] | None:
    """(hash, ts) of one row, or None if there is no such row."""
    row = conn.execute("SELECT hash, ts FROM audit_log WHERE id = ?", (row_id,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]))


def newest_ts(conn: Connection) -> str | None:
    row = conn.execute("SELECT ts FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])


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


def _like(text: str) -> str:
    """A LIKE pattern that matches ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page(conn: Connection, limit: int, offset: int, text: str = "") -> list[dict]:
    """Newest first; ``text`` (when given) is a substring of the action, user name or object."""
    where, params = "", []
    if text:
        where = (
            "WHERE action LIKE ? ESCAPE '\\' OR username LIKE ? ESCAPE '\\' "
            "OR (object_type || ' ' || object_id) LIKE ? ESCAPE '\\' "
        )
        params = [_like(text)] * 3
    cur = conn.execute(
        "SELECT id, ts, username, action, object_type, object_id, detail FROM audit_log "
        f"{where}ORDER BY id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [dict(r) for r in cur]


def rows_with_action(conn: Connection, action: str, username: str | None = None) -> list[dict]:
    """Every row of one action (optionally one user's), oldest first."""
    cur = conn.execute(
        "SELECT id, ts, username, action, object_type, object_id, detail FROM audit_log "
        "WHERE action = ? AND (? IS NULL OR username = ?) ORDER BY id",
        (action, username, username),
    )
    return [dict(r) for r in cur]


def next_id_with_actions(
    conn: Connection, username: str, actions: tuple[str, ...], after_id: int
) -> int | None:
    """The id of the user's first row after ``after_id`` whose action is one of ``actions``."""
    marks = ", ".join("?" for _ in actions)
    row = conn.execute(
        f"SELECT min(id) FROM audit_log WHERE username = ? AND id > ? AND action IN ({marks})",
        (username, after_id, *actions),
    ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def emergency_rows(
    conn: Connection, username: str, first_id: int, last_id: int | None, limit: int
) -> list[dict]:
    """The user's rows written under emergency access between two ids (inclusive)."""
    cur = conn.execute(
        "SELECT id, ts, username, action, object_type, object_id, detail FROM audit_log "
        "WHERE username = ? AND id >= ? AND (? IS NULL OR id <= ?) "
        "AND detail LIKE '%\"emergency\":true%' ORDER BY id LIMIT ?",
        (username, first_id, last_id, last_id, limit),
    )
    return [dict(r) for r in cur]
