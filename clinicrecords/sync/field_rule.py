"""The rule every synced field follows (a chart's, an account's, a setting's, a release
request's, a document's): one place, so the kinds of record cannot drift apart.

An edit event carries the value it replaced. The value "the clinic's order had reached" is
this PC's shadow when it has an own change still waiting for the order, else what it shows.
When that value is neither the one the event replaced nor the one it sets, two PCs changed
the field apart: the caller lists a conflict. Then the shadow moves on, and the replica shows
the event's value unless a change of its own is still pending (it stays on screen until the
order reaches it).
"""

from __future__ import annotations

from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events.types import Event

Shadow = tuple[str, int] | None


def clinic_value(conn: Connection, kind: str, uid: str, field: str, current: str) -> tuple[str, Shadow]:  # fmt: skip
    """The value the clinic's order had reached before this event, and this PC's shadow."""
    shadow = sync_sql.shadow_get(conn, kind, uid, field)
    return (shadow[0] if shadow is not None else current), shadow


def settle(conn: Connection, event: Event, kind: str, uid: str, field: str, value: str, current: str, shadow: Shadow) -> bool:  # fmt: skip
    """Move the shadow on; True when this replica must now show ``value``."""
    if shadow is not None:
        pending = shadow[1] - (1 if event.own else 0)
        sync_sql.shadow_put(conn, kind, uid, field, value, pending)
        return pending <= 0 and current != value
    return not event.own and current != value
