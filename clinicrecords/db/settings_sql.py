"""Settings rows: JSON values under dotted keys.

The table holds two kinds of value, each with its own functions:

* the clinic's settings (``clinicrecords.clinic.settings.SETTINGS``: clinic name, day/month order,
  fees, ...), read and written only by that registry, which knows their types and defaults:
  ``read_declared`` / ``write_declared``;
* the program's own state (``INTERNAL_KEYS``: the store's id, the next MRN, the audit chain's
  head, ...), never shown on the settings screen: ``get`` / ``put``, which refuse any other key
  so that a clinic setting cannot be read around the registry (with a default of its own).
"""

from __future__ import annotations

import json
from typing import Any

from clinicrecords.db.connection import Connection

INTERNAL_KEYS = frozenset(
    {
        "store.id",  # which store this database belongs to (checked against the key file)
        "mrn.next",  # the next MRN number to hand out
        "audit.head",  # the audit chain's newest row (id, hash)
        "emergency.pending_review",  # emergency accesses an administrator has not reviewed
        "scan.doctype_classifier",  # the learned document-type classifier
        "scan.date_labels",  # which date labels this clinic files by (intake/date_labels.py)
        "demo",  # the store was made by `demo`
        "store.commits",  # write transactions committed (the audit-head record compares it)
        "sync.keyfile_pending",  # a re-wrapped key file the clinic server has not received yet
        "backup.schedule",  # the nightly backup registered with this PC's scheduler
        "backup.last_drill",  # the newest restore drill: when, which backup, its result
        "sync.audit_shared",  # the newest own audit row already sent to the clinic (audit_chain)
    }
)


def _internal(key: str) -> None:
    if key not in INTERNAL_KEYS:
        raise KeyError(
            f"{key!r} is not internal state: clinic settings are read and written through "
            "clinicrecords.clinic.settings (get_setting / set_setting)"
        )


def get(conn: Connection, key: str, default: Any = None) -> Any:
    """Program state under one of ``INTERNAL_KEYS``."""
    _internal(key)
    return read_declared(conn, key, default)


def put(conn: Connection, key: str, value: Any) -> None:
    """Program state under one of ``INTERNAL_KEYS``."""
    _internal(key)
    write_declared(conn, key, value)


def read_declared(conn: Connection, key: str, default: Any) -> Any:
    """A clinic setting's stored value. Only ``clinicrecords.clinic.settings`` calls this."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def write_declared(conn: Connection, key: str, value: Any) -> None:
    """Store a clinic setting. Only ``clinicrecords.clinic.settings`` calls this."""
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def bump(conn: Connection, key: str) -> int:
    """Add one to an integer of the program's own state (created at 1) and return it."""
    _internal(key)
    row = conn.execute(
        "INSERT INTO settings (key, value) VALUES (?, '1') "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1 RETURNING value",
        (key,),
    ).fetchone()
    return int(row[0])


def all_settings(conn: Connection) -> dict[str, Any]:
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM settings")}
