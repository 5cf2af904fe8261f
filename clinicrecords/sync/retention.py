"""Retention and amendments applied on every PC, in the clinic's order (the capture side and
the events are in ``events/retention.py``).

A hold placed anywhere stops disposal everywhere; a document destroyed on one PC is destroyed
on every replica the same way (``records.retention.destroy_document``), its page-store
objects unlinked once the pull's transaction has committed (``Applied.destroyed_blobs``).
Amendments are append-only facts about one request: the request, its extension, its decision,
the patient's statement. An event naming a chart or document this PC does not have is listed
as a conflict for a person rather than dropped.
"""

from __future__ import annotations

from clinicrecords.db import amendments_sql, documents_sql, retention_sql, sync_sql, users_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import retention as rev
from clinicrecords.events import types as ev
from clinicrecords.events.types import Event


def _user(conn: Connection, username: str | None) -> int | None:
    row = users_sql.by_username(conn, username) if username else None
    return None if row is None else int(row["id"])


def _unknown(conn: Connection, event: Event, out, entity: str, uid: str) -> None:  # type: ignore[no-untyped-def]
    sync_sql.add_conflict(conn, event.id, "unknown", entity, uid, event.seq, field=event.type)
    out.conflicts += 1


def _policy_set(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.own or not documents_sql.doc_type_exists(conn, data["doc_type"]):
        return
    retention_sql.set_policy(
        conn, data["doc_type"], int(data["years"]), int(data["minor_years"]), None
    )


def _hold_placed(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.own or sync_sql.local_id(conn, rev.HOLD, data["uid"]) is not None:
        return
    pid = sync_sql.local_id(conn, ev.PATIENT, data["patient"])
    if pid is None:
        _unknown(conn, event, out, ev.PATIENT, data["patient"])
        return
    hold_id = retention_sql.add_hold(conn, pid, data["reason"], _user(conn, data["by"]), data["at"])
    sync_sql.add_uid(conn, rev.HOLD, data["uid"], hold_id)
    out.patients.add(pid)


def _hold_released(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.own:
        return
    pid = sync_sql.local_id(conn, ev.PATIENT, data["patient"])
    if pid is not None:
        retention_sql.release_holds(conn, pid, _user(conn, data["by"]), data["reason"], data["at"])
        out.patients.add(pid)


def _destroyed(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    from clinicrecords.records.retention import destroy_document, unused_objects

    data = event.data
    if event.own:
        return
    doc_id = sync_sql.local_id(conn, rev.DOCUMENT, data["document"])
    if doc_id is None or retention_sql.is_destroyed(conn, doc_id):
        return  # never here, or already gone
    doc = documents_sql.document(conn, doc_id)
    assert doc is not None
    named = destroy_document(
        conn, doc_id, doc["patient_id"], doc["doc_type"], data["date_from"], int(data["pages"]),
        data["policy"], None, _user(conn, data["by"]), data["at"],
    )  # fmt: skip
    unused, _kept = unused_objects(conn, named)
    out.destroyed_blobs.update(unused)
    out.patients.add(doc["patient_id"])


def _requested(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.own or sync_sql.local_id(conn, rev.AMENDMENT, data["uid"]) is not None:
        return
    pid = sync_sql.local_id(conn, ev.PATIENT, data["patient"])
    if pid is None:
        _unknown(conn, event, out, ev.PATIENT, data["patient"])
        return
    doc = sync_sql.local_id(conn, rev.DOCUMENT, data["document"]) if data["document"] else None
    aid = amendments_sql.insert(
        conn, pid, doc, data["text"], data["received_on"], data["due_on"],
        _user(conn, data["by"]),
    )  # fmt: skip
    sync_sql.add_uid(conn, rev.AMENDMENT, data["uid"], aid)
    out.patients.add(pid)


def _changed(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.own:
        return
    aid = sync_sql.local_id(conn, rev.AMENDMENT, data["uid"])
    if aid is None:
        _unknown(conn, event, out, rev.AMENDMENT, data["uid"])
        return
    if event.type == rev.AMENDMENT_EXTENDED:
        amendments_sql.extend(conn, aid, data["on"], data["reason"], data["due_on"])
    elif event.type == rev.AMENDMENT_DECIDED:
        amendments_sql.decide(
            conn, aid, data["status"], data["on"], _user(conn, data["by"]), data["reason"],
            data.get("notify", ()),
        )  # fmt: skip
    else:
        amendments_sql.set_disagreement(conn, aid, data["text"], data["on"])


PROJECTORS = {
    rev.POLICY_SET: _policy_set,
    rev.HOLD_PLACED: _hold_placed,
    rev.HOLD_RELEASED: _hold_released,
    rev.DOCUMENT_DESTROYED: _destroyed,
    rev.AMENDMENT_REQUESTED: _requested,
    rev.AMENDMENT_EXTENDED: _changed,
    rev.AMENDMENT_DECIDED: _changed,
    rev.AMENDMENT_DISAGREEMENT: _changed,
}
