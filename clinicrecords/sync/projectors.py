"""Projectors: how a replica applies one event, in the clinic's (server's) order.

Every PC runs the same projector on the same events in the same order, so every replica ends
in the same state. The rules that make that true although PCs work offline:

- An event this PC wrote itself (``own``) was applied when it was made; when it comes back in
  the clinic's order only the bookkeeping below runs.
- ``patient.field_changed`` carries the value it replaced (``old``). The value the clinic's
  order had reached before the event is the chart's value, or, while this PC has edits of the
  field the server has not ordered yet, the ``sync_shadow`` value (the chart shows this PC's
  edit meanwhile, which will come later in the order and therefore win). If that value is
  neither ``old`` nor ``new``, two PCs edited the field apart: the later in the clinic's order
  wins on every replica, and both values go to ``sync_conflicts`` for a person.
- Two charts claiming one MRN (typed by hand on two PCs offline), or one imported row
  registered twice: the chart later in the clinic's order yields (its MRN gets a marked suffix,
  its import key is cleared) and a conflict is listed. When the earlier one is this PC's own
  chart not yet ordered, it is the *later* one: it yields here exactly as it will everywhere.
- A conflict's id is the id of the event it belongs to, so every replica lists it under the
  same id and a ``conflict.resolved`` event closes it everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from clinicrecords.common.errors import ServerRefused
from clinicrecords.db import patients as patients_sql
from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import types as ev
from clinicrecords.events.types import Event
from clinicrecords.sync import (
    accounts,
    audit_chain,
    clinic_settings,
    documents,
    merges,
    previous_names,
    releases,
    retention,
)
from clinicrecords.sync import corrections as document_corrections
from clinicrecords.sync.field_rule import clinic_value, settle


@dataclass
class Applied:
    """What applying a batch changed: the screens and the lookup index refresh these."""

    patients: set[int] = field(default_factory=set)
    conflicts: int = 0
    destroyed_blobs: set[str] = field(default_factory=set)  # unlinked after the commit


Projector = Callable[[Connection, SyncState, Event, Applied], None]


def apply(conn: Connection, state: SyncState, event: Event, out: Applied) -> None:
    projector = PROJECTORS.get(event.type)
    if projector is None:
        # Skipping would lose the change on this PC for ever (the cursor moves past it).
        raise ServerRefused(
            "Another workstation sent a kind of change this version of the program does not "
            "know: update this PC, then sync again."
        )
    projector(conn, state, event, out)


def yielded_mrn(mrn: str, uid: str) -> str:
    """The MRN a chart gets when another chart took its MRN first: marked, and unique."""
    return f"{mrn}-{uid.replace('-', '')[-6:].upper()}"


def _conflict(
    conn: Connection, out: Applied, conflict_id: str, kind: str, uid: str, seq: int, **values: str
) -> None:
    sync_sql.add_conflict(conn, conflict_id, kind, ev.PATIENT, uid, seq, **values)
    out.conflicts += 1


# --- patient.registered ---------------------------------------------------------------------


def _registered(conn: Connection, state: SyncState, event: Event, out: Applied) -> None:
    data = event.data
    uid = data["uid"]
    if event.own:
        sync_sql.conflict_seen_at(conn, event.id, event.seq)
        return
    if sync_sql.local_id(conn, ev.PATIENT, uid) is not None:
        return
    fields = {f: str(data["fields"].get(f, "")) for f in patients_sql.FIELDS}
    source, source_id = data.get("source"), data.get("source_id")
    holder = sync_sql.patient_id_with_mrn(conn, fields["mrn"])
    if holder is not None:
        fields["mrn"] = _one_chart_per_mrn(conn, state, event, uid, holder, fields["mrn"], out)
    if source is not None and source_id is not None:
        holder = patients_sql.id_by_source(conn, source, source_id)
        if holder is not None and not _yield_pending_source(conn, event, holder, out):
            source = source_id = None
            _conflict(conn, out, event.id, "duplicate", uid, event.seq, field="source_id")
    pid = patients_sql.insert(conn, fields, source, source_id)
    sync_sql.add_uid(conn, ev.PATIENT, uid, pid)
    survivor = data.get("merged_into")
    if survivor:
        survivor_id = sync_sql.local_id(conn, ev.PATIENT, survivor)
        if survivor_id is not None:
            sync_sql.set_merged_into(conn, pid, survivor_id)
    for alias in data.get("aliases", ()):
        sync_sql.add_alias(conn, alias, pid)
    out.patients.add(pid)


def _pending_registration(conn: Connection, patient_id: int) -> tuple[str, str] | None:
    """(uid, event id) when the chart is this PC's own, not yet in the clinic's order."""
    uid = sync_sql.uid_of(conn, ev.PATIENT, patient_id)
    if uid is None:
        return None
    event_id = sync_sql.pending_registration(conn, uid)
    return None if event_id is None else (uid, event_id)


def _one_chart_per_mrn(
    conn: Connection, state: SyncState, event: Event, uid: str, holder: int, mrn: str, out: Applied
) -> str:
    """The MRN the incoming chart gets when ``holder`` already has ``mrn`` here."""
    pending = _pending_registration(conn, holder)
    if pending is not None:  # the holder comes later in the clinic's order: it yields
        holder_uid, holder_event = pending
        patients_sql.update(conn, holder, {"mrn": yielded_mrn(mrn, holder_uid)})
        out.patients.add(holder)
        _conflict(
            conn,
            out,
            holder_event,
            "mrn",
            holder_uid,
            event.seq,
            field="mrn",
            kept=yielded_mrn(mrn, holder_uid),
            replaced=mrn,
            kept_ws=state.workstation_id,
        )
        return mrn
    if _yield_pending_mrn_edit(conn, holder, mrn, out):
        return mrn
    return _yield_mrn(conn, event, uid, mrn, out)


def _yield_mrn(conn: Connection, event: Event, uid: str, mrn: str, out: Applied) -> str:
    """The chart this event names gives up an MRN another chart holds: it keeps a marked
    number, and the clash is listed for a person. Returns the number it keeps."""
    kept = yielded_mrn(mrn, uid)
    _conflict(
        conn,
        out,
        event.id,
        "mrn",
        uid,
        event.seq,
        field="mrn",
        kept=kept,
        replaced=mrn,
        kept_ws=event.workstation_id,
    )
    return kept


def _yield_pending_mrn_edit(conn: Connection, holder: int, mrn: str, out: Applied) -> bool:
    """True when ``holder`` got ``mrn`` by an edit on this PC that the server has not ordered
    yet: that edit comes later, so the holder yields now. Its conflict is recorded when the
    edit comes back, under the edit's id, exactly as on every other PC."""
    holder_uid = sync_sql.uid_of(conn, ev.PATIENT, holder)
    if holder_uid is None or sync_sql.shadow_get(conn, ev.PATIENT, holder_uid, "mrn") is None:
        return False
    patients_sql.update(conn, holder, {"mrn": yielded_mrn(mrn, holder_uid)})
    out.patients.add(holder)
    return True


def _yield_pending_source(conn: Connection, event: Event, holder: int, out: Applied) -> bool:
    """True when ``holder`` (own, not yet ordered) gave up its import key to the incoming chart."""
    pending = _pending_registration(conn, holder)
    if pending is None:
        return False
    holder_uid, holder_event = pending
    sync_sql.clear_patient_source(conn, holder)
    _conflict(conn, out, holder_event, "duplicate", holder_uid, event.seq, field="source_id")
    return True


# --- patient.field_changed ------------------------------------------------------------------


def _field_changed(conn: Connection, state: SyncState, event: Event, out: Applied) -> None:
    data = event.data
    uid, name, old, new = data["uid"], data["field"], str(data["old"]), str(data["new"])
    pid = sync_sql.local_id(conn, ev.PATIENT, uid)
    if pid is None or name not in patients_sql.FIELDS:
        _conflict(conn, out, event.id, "unknown", uid, event.seq, field=name, kept=new)
        return
    current = sync_sql.patient_field(conn, pid, name)
    before, shadow = clinic_value(conn, ev.PATIENT, uid, name, current)
    if before not in (old, new):
        _conflict(
            conn,
            out,
            event.id,
            "field",
            uid,
            event.seq,
            field=name,
            kept=new,
            replaced=str(before),
            kept_ws=event.workstation_id,
        )
    if settle(conn, event, ev.PATIENT, uid, name, new, current, shadow):
        set_patient_field(conn, event, pid, uid, name, new, out)


def set_patient_field(
    conn: Connection, event: Event, pid: int, uid: str, name: str, value: str, out: Applied
) -> None:
    if name == "mrn":
        holder = sync_sql.patient_id_with_mrn(conn, value)
        if (
            holder is not None
            and holder != pid
            and not _yield_pending_mrn_edit(conn, holder, value, out)
        ):
            value = _yield_mrn(conn, event, uid, value, out)
    patients_sql.update(conn, pid, {name: value})
    out.patients.add(pid)


# --- patient.mrn_confirmed ------------------------------------------------------------------


def confirm_mrn(conn: Connection, patient_id: int, provisional: str, mrn: str) -> None:
    """Replace a provisional MRN by a clinic MRN; the provisional one stays as an alias."""
    if sync_sql.patient_field(conn, patient_id, "mrn") == provisional:
        patients_sql.update(conn, patient_id, {"mrn": mrn})
    sync_sql.add_alias(conn, provisional, patient_id)


def _mrn_confirmed(conn: Connection, state: SyncState, event: Event, out: Applied) -> None:
    if event.own:
        return
    data = event.data
    pid = sync_sql.local_id(conn, ev.PATIENT, data["uid"])
    if pid is None:
        _conflict(conn, out, event.id, "unknown", data["uid"], event.seq, field="mrn")
        return
    confirm_mrn(conn, pid, data["provisional"], data["mrn"])
    out.patients.add(pid)


# --- conflict.resolved ----------------------------------------------------------------------


def _conflict_resolved(conn: Connection, state: SyncState, event: Event, out: Applied) -> None:
    data = event.data
    sync_sql.resolve_conflict(conn, data["conflict"], data.get("by", ""), data.get("value", ""))


PROJECTORS: dict[str, Projector] = {
    ev.PATIENT_REGISTERED: _registered,
    ev.PATIENT_FIELD_CHANGED: _field_changed,
    ev.PATIENT_MRN_CONFIRMED: _mrn_confirmed,
    ev.CONFLICT_RESOLVED: _conflict_resolved,
    **accounts.PROJECTORS,
    **clinic_settings.PROJECTORS,
    **documents.PROJECTORS,
    **document_corrections.PROJECTORS,
    **merges.PROJECTORS,
    **releases.PROJECTORS,
    **audit_chain.PROJECTORS,
    **retention.PROJECTORS,
    **previous_names.PROJECTORS,
}
