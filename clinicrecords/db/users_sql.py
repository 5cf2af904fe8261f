"""Accounts table."""

from __future__ import annotations

from clinicrecords.db.connection import Connection


def by_username(conn: Connection, username: str) -> dict | None:
    row = conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    return None if row is None else dict(row)


def by_id(conn: Connection, user_id: int) -> dict | None:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else dict(row)


def insert(
    conn: Connection, username: str, full_name: str, role: str, pw_hash: str, now: str
) -> int:
    cur = conn.execute(
        "INSERT INTO users (username, full_name, role, password_hash, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (username, full_name, role, pw_hash, now),
    )
    return int(cur.lastrowid)


def set_failures(conn: Connection, user_id: int, failures: int, locked_until: str | None) -> None:
    conn.execute(
        "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
        (failures, locked_until, user_id),
    )


def set_password(conn: Connection, user_id: int, pw_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (pw_hash, user_id))


def set_active(conn: Connection, user_id: int, active: bool) -> None:
    conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))


def all_users(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM users ORDER BY username")]


def count_active(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM users WHERE active = 1").fetchone()[0])


SYNCED_FIELDS = ("full_name", "role", "password_hash", "active")


def update_fields(conn: Connection, user_id: int, fields: dict) -> None:
    """Set account fields that travel between workstations (``sync/accounts.py``)."""
    for name, value in fields.items():
        if name not in SYNCED_FIELDS:
            raise KeyError(name)
        conn.execute(f"UPDATE users SET {name} = ? WHERE id = ?", (value, user_id))  # noqa: S608
