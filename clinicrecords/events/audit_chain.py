"""Audit trails travel (the capture side; ``sync/audit_chain.py`` stores them): each PC keeps
its own hash chain, and every other PC holds a copy of it, so ``audit verify`` on any PC
checks every workstation's chain, and a trail that lived only on a stolen or broken PC
survives.

``audit.appended`` {workstation, rows[...]}: this PC's audit rows as they are (id, time, who,
what, detail, previous hash, hash), up to ``BATCH`` at a time, in id order, sealed like every
event. They are shared at each sync, not in the transaction of the action they record: the
chain itself (each row's hash covers the one before) is what makes them trustworthy, and a
row per event would double the log. The arrival of audit rows is not itself audited (two PCs
would otherwise tell each other about it for ever).
"""

from __future__ import annotations

from clinicrecords.db import settings_sql, sync_records_sql, sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events.outbox import emit

AUDIT_APPENDED = "audit.appended"
SHARED_KEY = "sync.audit_shared"  # the newest own audit row already in an event
BATCH = 500


def share_audit_rows(conn: Connection) -> int:
    """Emit this PC's audit rows not shared yet (inside a write transaction); returns how many."""
    state = sync_sql.state(conn)
    if state is None:
        return 0
    after = int(settings_sql.get(conn, SHARED_KEY, 0) or 0)
    shared = 0
    while rows := sync_records_sql.audit_rows_after(conn, after, BATCH):
        emit(conn, AUDIT_APPENDED, {"workstation": state.workstation, "rows": rows})
        after = int(rows[-1]["id"])
        shared += len(rows)
    if shared:
        settings_sql.put(conn, SHARED_KEY, after)
    return shared
