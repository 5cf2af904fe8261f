"""Rows every new store starts with."""

from __future__ import annotations

from clinicrecords.common.taxonomy import DEFAULT_DOC_TYPES
from clinicrecords.db.connection import Connection


def seed_doc_types(conn: Connection) -> None:
    conn.executemany(
        "INSERT OR IGNORE INTO doc_types (code, label, sensitive, builtin) VALUES (?, ?, ?, 1)",
        [(t.code, t.label, int(t.sensitive)) for t in DEFAULT_DOC_TYPES],
    )
