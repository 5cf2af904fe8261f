"""Clinic settings travel: sharing them at attach and applying ``setting.changed`` in the
clinic's order. What the event carries, and the rules, are in ``events/clinic_settings.py`` (the
capture side, which ``settings.set_setting`` calls inside its own write transaction)."""

from __future__ import annotations

import json

from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events.clinic_settings import (
    SETTING,
    SETTING_CHANGED,
    THIS_PC_ONLY,
    _text,
    setting_changed,
)
from clinicrecords.events.types import Event
from clinicrecords.sync.field_rule import clinic_value, settle

__all__ = ["SETTING_CHANGED", "setting_changed"]


def share_settings(conn: Connection) -> int:
    """At attach: the first PC's clinic settings become the clinic's (those it ever set)."""
    from clinicrecords.clinic import settings

    shared = 0
    for key, spec in settings.SETTINGS.items():
        value = settings.get_setting(conn, key)
        if key not in THIS_PC_ONLY and value != spec.default:
            setting_changed(conn, key, spec.default, value)
            shared += 1
    return shared


def _changed(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    from clinicrecords.clinic import settings

    data = event.data
    key, old, new = data["key"], str(data["old"]), str(data["new"])
    if key not in settings.SETTINGS:  # a setting a newer version declared: nothing to set
        sync_sql.add_conflict(conn, event.id, "unknown", SETTING, key, event.seq, field=key)
        out.conflicts += 1
        return
    current = _text(settings.get_setting(conn, key))
    before, shadow = clinic_value(conn, SETTING, key, "value", current)
    if before not in (old, new):
        sync_sql.add_conflict(
            conn, event.id, "field", SETTING, key, event.seq, field=key, kept=new,
            replaced=before, kept_ws=event.workstation_id,
        )  # fmt: skip
        out.conflicts += 1
    if settle(conn, event, SETTING, key, "value", new, current, shadow):
        settings.apply_synced(conn, key, json.loads(new))


PROJECTORS = {SETTING_CHANGED: _changed}
