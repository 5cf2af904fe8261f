"""The outbox: each write that the clinic must hear about leaves its event here, in the same
SQLCipher transaction as the change itself (no change without its event, no event without its
change). ``client.push`` sends the outbox in order; a row leaves when its event comes back from
the server in its place in the clinic's order.

A stand-alone PC (not attached to a clinic server) writes no events: ``emit`` returns None.
"""

from __future__ import annotations

import json
from typing import Any

from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events.ids import uuid7


def emit(conn: Connection, type_: str, data: dict[str, Any]) -> str | None:
    """Record one event inside the caller's write transaction; returns its id (None offline-only)."""
    if not conn.in_transaction:
        raise RuntimeError("sync events are emitted inside the change's write transaction")
    if not sync_sql.is_attached(conn):
        return None
    lamport, wseq = sync_sql.next_clocks(conn)
    event_id = uuid7()
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    sync_sql.outbox_add(conn, event_id, type_, payload, lamport, wseq)
    return event_id
