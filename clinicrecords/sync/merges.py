"""Merges travel (the applying side; ``events/merges.py`` captures them and says what the
events carry).

Every PC judges each merge against the charts as the clinic's order left them, so every PC
decides the same way:

- A merge applies when neither chart has been merged away: the PC moves what it holds in the
  merged chart (``registry.merge.apply_merge``, the service's own code), and writes an audit
  row saying which account on which PC merged (``via: sync``).
- A merge whose merged chart went into *another* chart earlier in the order, or whose
  surviving chart was merged away, or that would merge two charts into each other, is not
  applied anywhere: it is listed as a conflict (kind ``merge``) under its own event's id, for a
  person to look at. Never a silent edit.
- This PC's own merges and undos made offline were applied when they were made. When another
  PC's merge arrives first in the order and one of this PC's unordered merges or undos touches
  its charts, this PC takes all of them back (newest first: a merge undone, an undone merge
  made again), applies the arrived one, and decides each of its own again when it comes back
  in the order: applied or listed, as on every other PC.
- An undo undoes the merge where it was applied; where the merge was never applied (a
  conflict) it changes nothing; an undo after the surviving chart was merged again is listed.
- A document filed into a chart that is merged away here lands in the surviving chart
  (``sync/documents.py``) and joins what that merge moved, so undoing the merge takes it back.
"""

from __future__ import annotations

from clinicrecords.clinic import audit
from clinicrecords.db import charts_sql, sync_records_sql, sync_sql, users_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import types as ev
from clinicrecords.events.accounts import USER
from clinicrecords.events.merges import MERGE, MERGE_APPLIED, MERGE_UNDONE
from clinicrecords.events.types import Event
from clinicrecords.registry.merge import apply_merge, undo_merge


def _conflict(conn: Connection, out, event: Event, uid: str, kept: str, replaced: str) -> None:  # type: ignore[no-untyped-def]
    sync_sql.add_conflict(
        conn,
        event.id,
        "merge",
        ev.PATIENT,
        uid,
        event.seq,
        field="merged_into",
        kept=kept,
        replaced=replaced,
        kept_ws=event.workstation_id,
    )
    out.conflicts += 1


def _user(conn: Connection, key: str | None) -> tuple[int | None, str]:
    user_id = sync_sql.local_id(conn, USER, key) if key else None
    if user_id is None:
        return sync_records_sql.first_user_id(conn), key or "another workstation"
    row = users_sql.by_id(conn, user_id)
    return user_id, row["username"] if row else key or ""


def _mrn(conn: Connection, patient_id: int | None) -> str:
    patient = patients_sql.get(conn, patient_id) if patient_id is not None else None
    return patient.mrn if patient is not None else ""


def _own_merge_rows(conn: Connection):  # type: ignore[no-untyped-def]
    """(event id, type, uid, merge row) of this PC's unordered merges and undos, newest first."""
    for event_id, type_, uid in sync_records_sql.pending_merges(conn):
        merge_id = sync_sql.local_id(conn, MERGE, uid)
        row = charts_sql.merge(conn, merge_id) if merge_id is not None else None
        if row is not None:
            yield event_id, type_, uid, row


def _yield_own_merges(conn: Connection, out) -> None:  # type: ignore[no-untyped-def]
    """Take back this PC's unordered merges and undos, newest first (a merge is undone, an
    undone merge made again), so the charts are as the clinic's order left them; each is
    decided again when its event comes back."""
    for event_id, type_, uid in sync_records_sql.pending_merges(conn):
        merge_id = sync_sql.local_id(conn, MERGE, uid)  # read now: a redo below moves it
        row = charts_sql.merge(conn, merge_id) if merge_id is not None else None
        if row is None:
            continue
        survivor_id, merged_id = int(row["survivor_id"]), int(row["merged_id"])
        if type_ == MERGE_APPLIED and not row["undone_at"]:
            _back, followers, _pages = undo_merge(conn, row, None)
        elif type_ == MERGE_UNDONE and row["undone_at"]:
            merge_id, _docs, followers, _pages = apply_merge(
                conn, survivor_id, merged_id, row["reason"], int(row["merged_by"])
            )
            sync_records_sql.set_local_id(conn, MERGE, uid, merge_id)
        else:
            continue
        sync_records_sql.add_yielded(conn, event_id, uid)
        out.patients |= {survivor_id, merged_id, *followers}


def _in_the_way(conn: Connection, charts: set[int]) -> bool:
    """Does one of this PC's unordered merges or undos touch these charts (either side, or as
    a chart that followed)? Then the order may judge them differently from what this PC did."""
    for _event_id, _type, _uid, row in _own_merge_rows(conn):
        touched = {int(row["survivor_id"]), int(row["merged_id"])}
        touched |= {int(c) for c in row["moved"].get("charts", [])}
        if touched & charts:
            return True
    return False


def _applied(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.own and not sync_records_sql.take_yielded(conn, event.id):
        return  # applied when it was made, and nothing got in its way
    survivor_id = sync_sql.local_id(conn, ev.PATIENT, data["survivor"])
    merged_id = sync_sql.local_id(conn, ev.PATIENT, data["merged"])
    if survivor_id is None or merged_id is None:
        _conflict(conn, out, event, data["merged"], "", "")
        return
    if not event.own and _in_the_way(conn, {survivor_id, merged_id}):
        _yield_own_merges(conn, out)
    survivor = patients_sql.get(conn, survivor_id)
    merged = patients_sql.get(conn, merged_id)
    assert survivor is not None and merged is not None
    if merged.merged_into == survivor_id:
        return  # already so (its registration carried the merge)
    if merged.merged_into is not None or survivor.merged_into is not None:
        taken = merged.merged_into or survivor.merged_into
        _conflict(conn, out, event, data["merged"], _mrn(conn, taken), survivor.mrn)
        return
    user_id, username = _user(conn, data.get("by"))
    merge_id, docs, followers, pages = apply_merge(
        conn, survivor_id, merged_id, str(data.get("reason", "")), user_id
    )
    sync_records_sql.set_local_id(conn, MERGE, data["uid"], merge_id)
    audit.append(
        conn,
        user_id if data.get("by") else None,
        username,
        "patient.merge",
        "patient",
        survivor_id,
        {
            "merge_id": merge_id,
            "merged_id": merged_id,
            "documents": len(docs),
            "pages": pages,
            "via": "sync",
            "workstation": event.workstation_id,
        },
    )
    out.patients |= {survivor_id, merged_id, *followers}


def _undone(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    if event.own and not sync_records_sql.take_yielded(conn, event.id):
        return  # done when it was made, and nothing got in its way
    data = event.data
    merge_id = sync_sql.local_id(conn, MERGE, data["uid"])
    row = charts_sql.merge(conn, merge_id) if merge_id is not None else None
    if row is None or row["undone_at"]:
        return  # never applied here (listed as a conflict then), or undone already
    survivor_id, merged_id = int(row["survivor_id"]), int(row["merged_id"])
    survivor = patients_sql.get(conn, survivor_id)
    merged_uid = sync_sql.uid_of(conn, ev.PATIENT, merged_id) or ""
    if survivor is not None and survivor.merged_into is not None:
        _conflict(conn, out, event, merged_uid, _mrn(conn, survivor_id), "")
        return
    user_id, username = _user(conn, data.get("by"))
    back, followers, _pages = undo_merge(conn, row, user_id)
    audit.append(
        conn,
        user_id if data.get("by") else None,
        username,
        "patient.unmerge",
        "patient",
        survivor_id,
        {
            "merge_id": merge_id,
            "merged_id": merged_id,
            "documents": len(back),
            "via": "sync",
            "workstation": event.workstation_id,
        },
    )
    out.patients |= {survivor_id, merged_id, *followers}


def document_followed(conn: Connection, filed_into: int, document_id: int) -> None:
    """A document that arrived for chart ``filed_into``, merged away here, went to the
    surviving chart: it goes back with the chart if the merge is undone."""
    merge_id = sync_records_sql.open_merge_of(conn, filed_into)
    if merge_id is not None:
        sync_records_sql.add_moved_document(conn, merge_id, document_id)


PROJECTORS = {MERGE_APPLIED: _applied, MERGE_UNDONE: _undone}
