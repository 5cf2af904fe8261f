"""Applying ``patient.previous_names_changed`` in the clinic's order; what it carries and the
rules are in ``events/previous_names.py`` (the capture side)."""

from __future__ import annotations

from typing import Any

from clinicrecords.db import patients as patients_sql
from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import types as ev
from clinicrecords.events.previous_names import (
    PREVIOUS_NAMES_CHANGED,
    SHADOW_FIELD,
    as_text,
    from_text,
)
from clinicrecords.events.types import Event
from clinicrecords.sync.field_rule import clinic_value, settle


def _changed(conn: Connection, state: SyncState, event: Event, out: Any) -> None:
    data = event.data
    uid, old, new = data["uid"], str(data["old"]), str(data["new"])
    pid = sync_sql.local_id(conn, ev.PATIENT, uid)
    if pid is None:
        sync_sql.add_conflict(
            conn, event.id, "unknown", ev.PATIENT, uid, event.seq, field=SHADOW_FIELD, kept=new
        )
        out.conflicts += 1
        return
    current = as_text(patients_sql.previous_names_of(conn, pid))
    before, shadow = clinic_value(conn, ev.PATIENT, uid, SHADOW_FIELD, current)
    if before not in (old, new):
        sync_sql.add_conflict(
            conn, event.id, "field", ev.PATIENT, uid, event.seq, field=SHADOW_FIELD, kept=new,
            replaced=before, kept_ws=event.workstation_id,
        )  # fmt: skip
        out.conflicts += 1
    if settle(conn, event, ev.PATIENT, uid, SHADOW_FIELD, new, current, shadow):
        patients_sql.replace_previous_names(conn, pid, from_text(new))
        out.patients.add(pid)


PROJECTORS = {PREVIOUS_NAMES_CHANGED: _changed}
