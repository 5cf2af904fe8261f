"""Accounts travel: the projectors that apply ``user.added`` / ``user.changed`` in the clinic's
order. What the events carry, and the rules, are in ``events/accounts.py`` (the capture side,
which the account service calls inside its own write transaction)."""

from __future__ import annotations

from clinicrecords.db import sync_sql, users_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events.accounts import (
    FIELDS,
    USER,
    USER_ADDED,
    USER_CHANGED,
    _shown,
    _stored,
    _text,
    share_unshared_accounts,
    user_added,
    user_changed,
)
from clinicrecords.events.types import Event
from clinicrecords.sync.field_rule import clinic_value, settle

__all__ = ["USER_ADDED", "USER_CHANGED", "share_unshared_accounts", "user_added", "user_changed"]


# --- projectors (in the clinic's order) -----------------------------------------------------


def _conflict(conn: Connection, out, conflict_id: str, kind: str, key: str, seq: int, **v) -> None:  # type: ignore[no-untyped-def]
    sync_sql.add_conflict(conn, conflict_id, kind, USER, key, seq, **v)
    out.conflicts += 1


def _added(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    key = data["key"]
    if event.own:
        sync_sql.conflict_seen_at(conn, event.id, event.seq)
        return
    fields = {f: _stored(f, str(data[f])) for f in FIELDS}
    row = users_sql.by_username(conn, data["username"])
    if row is None:
        user_id = users_sql.insert(
            conn,
            data["username"],
            str(fields["full_name"]),
            str(fields["role"]),
            str(fields["password_hash"]),
            _now(),
        )
        users_sql.update_fields(conn, user_id, {"active": fields["active"]})
        sync_sql.add_uid(conn, USER, key, user_id)
        return
    if sync_sql.uid_of(conn, USER, row["id"]) is None:
        sync_sql.add_uid(conn, USER, key, row["id"])
    pending = sync_sql.pending_user_added(conn, key)
    if pending is not None:  # this PC's own addition comes later in the order: it stays
        _conflict(conn, out, pending, "duplicate", key, event.seq, field="username")
        return
    users_sql.update_fields(conn, row["id"], fields)
    _conflict(conn, out, event.id, "duplicate", key, event.seq, field="username")


def _changed(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    key, name, old, new = data["key"], data["field"], str(data["old"]), str(data["new"])
    user_id = sync_sql.local_id(conn, USER, key)
    if user_id is None or name not in FIELDS:
        _conflict(conn, out, event.id, "unknown", key, event.seq, field=name)
        return
    row = users_sql.by_id(conn, user_id)
    current = _text(name, row[name]) if row else ""
    before, shadow = clinic_value(conn, USER, key, name, current)
    if before not in (old, new):
        _conflict(
            conn,
            out,
            event.id,
            "field",
            key,
            event.seq,
            field=name,
            kept=_shown(name, new),
            replaced=_shown(name, before),
            kept_ws=event.workstation_id,
        )
    if settle(conn, event, USER, key, name, new, current, shadow):
        users_sql.update_fields(conn, user_id, {name: _stored(name, new)})


def _now() -> str:
    from clinicrecords.common.timeutil import utc_now

    return utc_now()


PROJECTORS = {USER_ADDED: _added, USER_CHANGED: _changed}
