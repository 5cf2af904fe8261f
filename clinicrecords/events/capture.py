"""Change capture: the events a local write owes the clinic, written in its transaction.

Called by the services (``patients.py``) inside their write transaction, after the change.
Each function is a no-op on a stand-alone PC.
"""

from __future__ import annotations

from clinicrecords.common.domain import Patient
from clinicrecords.db import patients as patients_sql
from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import types as ev
from clinicrecords.events.ids import uuid7
from clinicrecords.events.mrnblocks import is_provisional
from clinicrecords.events.outbox import emit


def field_value(patient: Patient, field: str) -> str:
    """A field as events carry it: text, dates as YYYY-MM-DD."""
    value = getattr(patient, field)
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def patient_registered(conn: Connection, patient_id: int, by: str | None = None) -> None:
    """A new chart: give it a clinic-wide id and tell the clinic everything on it. ``by``:
    the account that made it (sealed in the event; the receiving PCs' audit rows name it)."""
    state = sync_sql.state(conn)
    if state is None:
        return
    patient = patients_sql.get(conn, patient_id)
    if patient is None or sync_sql.uid_of(conn, ev.PATIENT, patient_id) is not None:
        return
    source, source_id = sync_sql.patient_source(conn, patient_id)
    uid = uuid7()
    sync_sql.add_uid(conn, ev.PATIENT, uid, patient_id)
    merged_into = (
        sync_sql.uid_of(conn, ev.PATIENT, patient.merged_into) if patient.merged_into else None
    )
    emit(
        conn,
        ev.PATIENT_REGISTERED,
        {
            "uid": uid,
            "fields": {f: field_value(patient, f) for f in patients_sql.FIELDS},
            "source": source,
            "source_id": source_id,
            "merged_into": merged_into,
            "aliases": list(patient.aliases),
        }
        | ({"by": by} if by else {}),
    )
    if is_provisional(patient.mrn, state.workstation_no):
        sync_sql.add_provisional(conn, uid, patient.mrn)
    if patient.previous_names:  # a list of its own event (``events/previous_names.py``)
        from clinicrecords.events.previous_names import previous_names_changed

        previous_names_changed(conn, patient_id, (), patient.previous_names, by=by)


def patient_fields_changed(
    conn: Connection, before: Patient, after: Patient, by: str | None = None
) -> None:
    """One ``patient.field_changed`` per changed field, carrying the value it replaced (and
    the account that changed it, ``by``)."""
    if not sync_sql.is_attached(conn):
        return
    uid = sync_sql.uid_of(conn, ev.PATIENT, after.id)
    if uid is None:  # a chart the clinic never heard of (made by a path without events)
        patient_registered(conn, after.id, by=by)
        return
    for field in patients_sql.FIELDS:
        old, new = field_value(before, field), field_value(after, field)
        if old == new:
            continue
        data = {"uid": uid, "field": field, "old": old, "new": new}
        emit(conn, ev.PATIENT_FIELD_CHANGED, data | ({"by": by} if by else {}))
        shadow = sync_sql.shadow_get(conn, ev.PATIENT, uid, field)
        if shadow is None:  # the clinic's value until the server orders this edit
            sync_sql.shadow_put(conn, ev.PATIENT, uid, field, old, 1)
        else:
            sync_sql.shadow_put(conn, ev.PATIENT, uid, field, shadow[0], shadow[1] + 1)


def share_unshared_charts(conn: Connection) -> int:
    """Register with the clinic every chart it has not heard of (attach uploads history so)."""
    ids = sync_sql.patient_ids_without_uid(conn)
    for pid in ids:
        patient_registered(conn, pid)
    return len(ids)
