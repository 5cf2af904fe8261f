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
    shadow = sync_sql.shadow_get(conn, SETTING, key, "value")
    before = shadow[0] if shadow is not None else current
    if before not in (old, new):
        sync_sql.add_conflict(
            conn, event.id, "field", SETTING, key, event.seq, field=key, kept=new,
            replaced=before, kept_ws=event.workstation_id,
        )  # fmt: skip
        out.conflicts += 1
    if shadow is not None:
        pending = shadow[1] - (1 if event.own else 0)
        sync_sql.shadow_put(conn, SETTING, key, "value", new, pending)
        if pending <= 0 and current != new:
            settings.apply_synced(conn, key, json.loads(new))
    elif not event.own and current != new:
        settings.apply_synced(conn, key, json.loads(new))


PROJECTORS = {SETTING_CHANGED: _changed}
