"""Audit trails travel (the applying side; ``events/audit_chain.py`` shares them).

Another workstation's audit rows are stored as they arrived (``sync_audit``, append-only by
trigger), never re-hashed or re-numbered: ``clinic/audit_chains.py`` walks each of those
chains as ``audit verify`` walks this PC's own. And when a change made on another PC is applied
here, this PC's own chain gets a row saying so (``applied_here``): which PC made it, which
event; the maker's own row (who) arrives with that PC's chain.
"""

from __future__ import annotations

from clinicrecords.clinic import audit
from clinicrecords.db import sync_records_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events.audit_chain import AUDIT_APPENDED
from clinicrecords.events.types import Event

# Events whose projector writes its own, more telling audit row (who merged, who sent).
AUDITED_BY_PROJECTOR = frozenset(
    {
        AUDIT_APPENDED,
        "merge.applied",
        "merge.undone",
        "release.created",
        "release.status_changed",
        "release.sent",
    }
)


def _appended(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    if event.own:
        return
    data = event.data
    sync_records_sql.add_remote_audit_rows(conn, event.workstation_id, list(data["rows"]))
    if data.get("workstation"):
        sync_records_sql.set_workstation_name(conn, event.workstation_id, data["workstation"])


def applied_here(conn: Connection, events: list[Event]) -> None:
    """One audit row per change from another PC applied in this transaction."""
    for event in events:
        if event.own or event.type in AUDITED_BY_PROJECTOR:
            continue
        audit.append(
            conn,
            None,
            "sync",
            "sync.applied",
            "event",
            event.id,
            {
                "type": event.type,
                "workstation": event.workstation_id,
                "seq": event.seq,
                "by": event.data.get("by") or event.data.get("created_by"),
            },
        )


def batch_applied_here(conn: Connection, events: list[Event]) -> None:
    """A whole batch in one row (a PC joining replays the clinic's history: one row per
    event would only restate it)."""
    foreign = [e for e in events if not e.own and e.type != AUDIT_APPENDED]
    if not foreign:
        return
    by_ws: dict[str, int] = {}
    for e in foreign:
        by_ws[e.workstation_id] = by_ws.get(e.workstation_id, 0) + 1
    audit.append(
        conn,
        None,
        "sync",
        "sync.applied_batch",
        "event",
        foreign[0].id,
        {"events": len(foreign), "first_seq": foreign[0].seq, "last_seq": foreign[-1].seq,
         "workstations": by_ws},
    )  # fmt: skip


PROJECTORS = {AUDIT_APPENDED: _appended}
