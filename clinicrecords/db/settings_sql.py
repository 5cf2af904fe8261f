"""Settings rows: JSON values under dotted keys."""

from __future__ import annotations

import json
from typing import Any

from clinicrecords.db.connection import Connection


def get(conn: Connection, key: str, default: Any = None) -> Any:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def put(conn: Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def bump(conn: Connection, key: str) -> int:
    """Add one to an integer setting (created at 1) and return the new value."""
    row = conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value",
        (key,),
    ).fetchone()
    return int(row[0])


def all_settings(conn: Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM settings")}
