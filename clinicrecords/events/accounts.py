"""Accounts travel (the capture side; ``sync/accounts.py`` applies them): a user signs in on
any PC of the clinic, offline too.

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
from clinicrecords.events.outbox import emit

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


def user_added(conn: Connection, user_id: int, by: str | None = None) -> None:
    """``by``: the administrator who added the account (sealed; named in the receiving PCs'
    audit rows)."""
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
        {"key": key, "username": row["username"]}
        | {f: _text(f, row[f]) for f in FIELDS}
        | ({"by": by} if by else {}),
    )


def user_changed(
    conn: Connection, user_id: int, field: str, old: object, new: object, by: str | None = None
) -> None:
    """One changed account field, carrying the value it replaced and who changed it."""
    if not sync_sql.is_attached(conn):
        return
    key = sync_sql.uid_of(conn, USER, user_id)
    if key is None:  # an account the clinic never heard of: it hears all of it now
        user_added(conn, user_id, by=by)
        return
    old_t, new_t = _text(field, old), _text(field, new)
    if old_t == new_t:
        return
    data = {"key": key, "field": field, "old": old_t, "new": new_t} | ({"by": by} if by else {})
    emit(conn, USER_CHANGED, data)
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
