"""A chart's previous names travel (the capture side; ``sync/previous_names.py`` applies them).

Event (sealed): ``patient.previous_names_changed`` {uid, old, new}: the whole list before and
after, as canonical JSON text ([[family, given, kind], ...]). The list is one value, with the
rules of a patient field edit (``projectors.py``): the value replaced travels along, this PC's
own edits not yet in the clinic's order keep the clinic's value so far in ``sync_shadow``, and
two PCs that changed the list apart end with the later list everywhere and a listed conflict.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from clinicrecords.common.domain import PreviousName
from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import types as ev
from clinicrecords.events.outbox import emit

PREVIOUS_NAMES_CHANGED = "patient.previous_names_changed"
SHADOW_FIELD = "previous_names"  # the field name in sync_shadow / sync_conflicts


def as_text(names: Iterable[PreviousName]) -> str:
    return json.dumps(
        [[n.family, n.given, n.kind] for n in names], ensure_ascii=False, separators=(",", ":")
    )


def from_text(text: str) -> tuple[PreviousName, ...]:
    return tuple(PreviousName(str(f), str(g), str(k)) for f, g, k in json.loads(text or "[]"))


def previous_names_changed(
    conn: Connection,
    patient_id: int,
    old: Iterable[PreviousName],
    new: Iterable[PreviousName],
    by: str | None = None,
) -> None:
    """Inside the service's write transaction, after the change; a no-op stand-alone.
    ``by``: the account that changed the list."""
    if not sync_sql.is_attached(conn):
        return
    old_t, new_t = as_text(old), as_text(new)
    if old_t == new_t:
        return
    uid = sync_sql.uid_of(conn, ev.PATIENT, patient_id)
    if uid is None:  # not registered with the clinic yet: registering it carries the list
        from clinicrecords.events.capture import patient_registered

        patient_registered(conn, patient_id, by=by)
        return
    data = {"uid": uid, "old": old_t, "new": new_t} | ({"by": by} if by else {})
    emit(conn, PREVIOUS_NAMES_CHANGED, data)
    shadow = sync_sql.shadow_get(conn, ev.PATIENT, uid, SHADOW_FIELD)
    if shadow is None:
        sync_sql.shadow_put(conn, ev.PATIENT, uid, SHADOW_FIELD, old_t, 1)
    else:
        sync_sql.shadow_put(conn, ev.PATIENT, uid, SHADOW_FIELD, shadow[0], shadow[1] + 1)
