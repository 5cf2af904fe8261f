"""Clinic settings travel (the capture side; ``sync/clinic_settings.py`` applies them): the letterhead, fees, date order, idle lock… are the clinic's, so a
change on one PC reaches every PC. Settings about one PC's own folders stay on that PC.

Event (sealed): ``setting.changed`` {key, old, new}, values as JSON text. The rules are the
patients' field edits (``projectors.py``): the value replaced travels along; while this PC has
its own change not yet in the clinic's order, the clinic's value so far waits in
``sync_shadow``; two PCs that changed one setting apart end with the later value everywhere,
and a conflict is listed (confirm it, or change the setting again).
"""

from __future__ import annotations

import json
from typing import Any

from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events.outbox import emit

SETTING = "setting"  # entity name in sync_shadow / sync_conflicts
SETTING_CHANGED = "setting.changed"
# Where this PC's scanner drops files, and what happens to them there: one PC's business.
THIS_PC_ONLY = frozenset({"scan.watch_folder", "scan.remove_originals"})


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def setting_changed(conn: Connection, key: str, old: Any, new: Any, by: str | None = None) -> None:
    """Inside ``settings.set_setting``'s write transaction; ``by``: who changed it."""
    if key in THIS_PC_ONLY or not sync_sql.is_attached(conn):
        return
    old_t, new_t = _text(old), _text(new)
    if old_t == new_t:
        return
    data = {"key": key, "old": old_t, "new": new_t} | ({"by": by} if by else {})
    emit(conn, SETTING_CHANGED, data)
    shadow = sync_sql.shadow_get(conn, SETTING, key, "value")
    if shadow is None:
        sync_sql.shadow_put(conn, SETTING, key, "value", old_t, 1)
    else:
        sync_sql.shadow_put(conn, SETTING, key, "value", shadow[0], shadow[1] + 1)
