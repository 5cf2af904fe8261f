"""Accounts travel: a user signs in on any PC of the clinic, offline too.

Events (sealed like every event; the Argon2id hash travels inside, never in clear):
- ``user.added``   {key, username, full_name, role, password_hash, active}
- ``user.changed`` {key, field, old, new}, field one of full_name, role, password_hash, active

An account's clinic-wide id (``key``) is its user name in lower case: names are unique on every
PC (``COLLATE NOCASE``) and never change. What stays on each PC: failed sign-ins and lock-out
(a guess at one desk should not lock the person out at another before the network says so).

The rules are the patients' (``projectors.py``): a change carries the value it replaced;
while this PC has its own change of a field that the server has not ordered, the clinic's value
so far is kept aside in ``sync_shadow``; two PCs that changed one field apart both end with the
later value in the clinic's order and a conflict listed (values of ``password_hash`` are shown
as "(password)"). One name added on two PCs apart: the later addition wins everywhere, listed.
"""

from __future__ import annotations

from clinicrecords.db import sync_sql, users_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events.outbox import emit
from clinicrecords.events.types import Event

USER = "user"  # entity name in sync_ids / sync_shadow / sync_conflicts
USER_ADDED = "user.added"
USER_CHANGED = "user.changed"
FIELDS = users_sql.SYNCED_FIELDS
HIDDEN = "(password)"


def key_of(username: str) -> str:
    return username.strip().lower()


def _text(field: str, value: object) -> str:
    if field == "active":
        return "1" if value in (1, True, "1") else "0"
    return str(value or "")


def _stored(field: str, value: str) -> object:
    return int(value == "1") if field == "active" else value


def _shown(field: str, value: str) -> str:
    return HIDDEN if field == "password_hash" else value


# --- capture (inside the service's write transaction) ---------------------------------------


def user_added(conn: Connection, user_id: int) -> None:
    if not sync_sql.is_attached(conn):
        return
    row = users_sql.by_id(conn, user_id)
    if row is None or sync_sql.uid_of(conn, USER, user_id) is not None:
        return
    key = key_of(row["username"])
    sync_sql.add_uid(conn, USER, key, user_id)
    emit(
        conn,
        USER_ADDED,
        {"key": key, "username": row["username"]} | {f: _text(f, row[f]) for f in FIELDS},
    )


def user_changed(conn: Connection, user_id: int, field: str, old: object, new: object) -> None:
    """One changed account field, carrying the value it replaced."""
    if not sync_sql.is_attached(conn):
        return
    key = sync_sql.uid_of(conn, USER, user_id)
    if key is None:  # an account the clinic never heard of: it hears all of it now
        user_added(conn, user_id)
        return
    old_t, new_t = _text(field, old), _text(field, new)
    if old_t == new_t:
        return
    emit(conn, USER_CHANGED, {"key": key, "field": field, "old": old_t, "new": new_t})
    shadow = sync_sql.shadow_get(conn, USER, key, field)
    if shadow is None:
        sync_sql.shadow_put(conn, USER, key, field, old_t, 1)
    else:
        sync_sql.shadow_put(conn, USER, key, field, shadow[0], shadow[1] + 1)


def share_unshared_accounts(conn: Connection) -> int:
    ids = sync_sql.user_ids_without_uid(conn)
    for uid in ids:
        user_added(conn, uid)
    return len(ids)


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
    shadow = sync_sql.shadow_get(conn, USER, key, name)
    before = shadow[0] if shadow is not None else current
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
    if shadow is not None:
        pending = shadow[1] - (1 if event.own else 0)
        sync_sql.shadow_put(conn, USER, key, name, new, pending)
        if pending <= 0 and current != new:
            users_sql.update_fields(conn, user_id, {name: _stored(name, new)})
    elif not event.own and current != new:
        users_sql.update_fields(conn, user_id, {name: _stored(name, new)})


def _now() -> str:
    from clinicrecords.common.timeutil import utc_now

    return utc_now()


PROJECTORS = {USER_ADDED: _added, USER_CHANGED: _changed}
