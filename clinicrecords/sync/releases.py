"""Release of information travels (the applying side; ``events/releases.py`` captures it and
says what each event carries).

- ``release.created`` logs the request on every PC under the same code, with its
  authorization and the pages left out by hand, and runs the selection there (the same rules,
  the same pages). A request logged before the PC attached carries its disclosure.
- ``release.changed`` follows the rules of a chart's field edits (``projectors.py``): the
  value replaced travels along; two PCs that changed one field apart end with the later value
  in the clinic's order everywhere, and a conflict is listed.
- ``release.status_changed`` and ``release.sent``: a status change is judged against the
  status the clinic's order had reached. A request already closed there (sent, denied,
  cancelled) that another PC moves on (sent from two PCs, sent after it was cancelled,
  cancelled after it was sent…) is an impossible sequence: listed as a conflict on every PC,
  never a silent edit. "Sent" is a fact, not an opinion: a packet that went out stays sent and
  its disclosure is in the accounting whatever the order says; otherwise the later change wins.
  A request sent from two PCs offline went out twice: both rows are in the accounting on every
  PC (migration 0007 lifted the one-row-per-request rule), and the conflict says so.
- The receiving PC writes an audit row for each (``via: sync``, who and which PC).
"""

from __future__ import annotations

import json

from clinicrecords.clinic import audit
from clinicrecords.common.errors import ServerRefused
from clinicrecords.db import release as release_sql
from clinicrecords.db import sync_records_sql, sync_sql, users_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import types as ev
from clinicrecords.events.accounts import USER
from clinicrecords.events.documents import DOCUMENT, PAGE
from clinicrecords.events.releases import (
    AUTHORIZATION,
    COLUMNS,
    EXCLUSIONS,
    RELEASE,
    RELEASE_CHANGED,
    RELEASE_CREATED,
    RELEASE_SENT,
    RELEASE_STATUS,
    snapshot,
)
from clinicrecords.events.types import Event
from clinicrecords.release import rules
from clinicrecords.release.service import reselect_in
from clinicrecords.sync.field_rule import clinic_value, settle

_INTS = ("include_sensitive", "fee_waived")
_NULLABLE = ("date_from", "date_to")


def _column(name: str, text: str) -> object:
    if name in _INTS:
        return int(text == "1")
    if name in _NULLABLE:
        return text or None
    return text


def _user(conn: Connection, key: str | None) -> tuple[int | None, str]:
    user_id = sync_sql.local_id(conn, USER, key) if key else None
    if user_id is None:
        return None, key or "another workstation"
    row = users_sql.by_id(conn, user_id)
    return user_id, row["username"] if row else key or ""


def _audit(conn: Connection, event: Event, action: str, code: str, key: str | None) -> None:
    user_id, username = _user(conn, key)
    audit.append(
        conn,
        user_id,
        username,
        action,
        "release_request",
        code,
        {"via": "sync", "workstation": event.workstation_id},
    )


def _conflict(conn: Connection, out, event: Event, uid: str, field: str, kept: str, replaced: str) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    kind = "release" if field == "status" else "field"
    sync_sql.add_conflict(
        conn,
        event.id,
        kind,
        RELEASE,
        uid,
        event.seq,
        field=field,
        kept=kept,
        replaced=replaced,
        kept_ws=event.workstation_id,
    )
    out.conflicts += 1


def _set_field(conn: Connection, request_id: int, field: str, value: str) -> None:
    if field in COLUMNS:
        sync_records_sql.update_request(conn, request_id, {field: _column(field, value)})
    elif field == AUTHORIZATION:
        if not value:
            sync_records_sql.delete_authorization(conn, request_id)
            return
        auth = json.loads(value)
        doc = auth.get("document")
        release_sql.put_authorization(
            conn,
            request_id,
            {
                "document_id": sync_sql.local_id(conn, DOCUMENT, doc) if doc else None,
                "signed_on": auth.get("signed_on"),
                "expires_on": auth.get("expires_on"),
                "expiry_event": auth.get("expiry_event", ""),
                "revoked_on": auth.get("revoked_on"),
                "elements": auth.get("elements", []),
                "categories": auth.get("categories", []),
                "recorded_by": None,
            },
        )
    elif field == EXCLUSIONS:
        notes = {}
        for page_uid, note in json.loads(value or "{}").items():
            page_id = sync_sql.local_id(conn, PAGE, page_uid)
            if page_id is not None:
                notes[page_id] = note
        sync_records_sql.replace_exclusions(conn, request_id, notes)


def _reselect_if_open(conn: Connection, request_id: int) -> None:
    row = release_sql.request(conn, request_id)
    if row is not None and row["status"] in rules.OPEN_STATUSES:
        reselect_in(conn, request_id)


def _insert_disclosure(conn: Connection, request_id: int, data: dict) -> None:
    """A packet another PC sent: its row of the accounting (once: its event is applied once)."""
    row = release_sql.request(conn, request_id)
    assert row is not None
    sent_by, _name = _user(conn, data.get("by"))
    release_sql.insert_disclosure(
        conn,
        {
            **{k: data[k] for k in data if k != "by"},
            "request_id": request_id,
            "patient_id": row["patient_id"],
            "sent_by": sent_by,
        },
    )


# --- release.created ------------------------------------------------------------------------


def _created(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    uid = data["uid"]
    if event.own or sync_sql.local_id(conn, RELEASE, uid) is not None:
        return
    patient_id = sync_sql.local_id(conn, ev.PATIENT, data["patient"])
    if patient_id is None:
        raise ServerRefused(
            "Another workstation logged a release request for a chart this PC never heard of; "
            "sync stopped before it (ask the administrator to check the server)."
        )
    fields = data["fields"]
    creator, _name = _user(conn, data.get("created_by"))
    code = data["code"]
    if sync_records_sql.request_id_with_code(conn, code) is not None:
        # a stand-alone code met another PC's (cannot happen with workstation codes): marked
        _conflict(conn, out, event, uid, "code", f"{code}-{uid[-6:].upper()}", code)
        code = f"{code}-{uid[-6:].upper()}"
    request_id = sync_records_sql.insert_request_as(
        conn,
        {"patient_id": patient_id, "created_by": creator}
        | {c: _column(c, fields.get(c, "")) for c in COLUMNS},
        code,
    )
    sync_sql.add_uid(conn, RELEASE, uid, request_id)
    _set_field(conn, request_id, AUTHORIZATION, fields.get(AUTHORIZATION, ""))
    _set_field(conn, request_id, EXCLUSIONS, fields.get(EXCLUSIONS, "{}"))
    reselect_in(conn, request_id)
    sync_records_sql.update_request(
        conn,
        request_id,
        {
            "status": data.get("status") or "new",
            "status_reason": data.get("status_reason") or "",
            "sent_at": data.get("sent_at"),
        },
    )
    if data.get("disclosure"):
        _insert_disclosure(conn, request_id, data["disclosure"])
    _audit(conn, event, "release.create", code, data.get("created_by"))


# --- release.changed ------------------------------------------------------------------------


def _changed(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    uid, field, old, new = data["uid"], data["field"], str(data["old"]), str(data["new"])
    request_id = sync_sql.local_id(conn, RELEASE, uid)
    if request_id is None:
        _conflict(conn, out, event, uid, field, "", "")
        return
    current = snapshot(conn, request_id).get(field, "")
    before, shadow = clinic_value(conn, RELEASE, uid, field, current)
    if before not in (old, new):
        shown = field not in (AUTHORIZATION, EXCLUSIONS)
        _conflict(
            conn,
            out,
            event,
            uid,
            field,
            new if shown else "(changed)",
            before if shown else "(changed)",
        )
    if settle(conn, event, RELEASE, uid, field, new, current, shadow):
        _set_field(conn, request_id, field, new)
        _reselect_if_open(conn, request_id)


# --- release.status_changed / release.sent --------------------------------------------------


def _status(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    uid = data["uid"]
    new = "sent" if event.type == RELEASE_SENT else str(data["new"])
    request_id = sync_sql.local_id(conn, RELEASE, uid)
    if request_id is None:
        _conflict(conn, out, event, uid, "status", new, "")
        return
    row = release_sql.request(conn, request_id)
    assert row is not None
    current = row["status"]
    shadow = sync_sql.shadow_get(conn, RELEASE, uid, "status")
    before = shadow[0] if shadow is not None else current
    value = "sent" if "sent" in (before, new) else new
    if before not in rules.OPEN_STATUSES:
        replaced = before if value == new else new
        if before == new == "sent":
            d = data.get("disclosure") or {}
            replaced = f"sent again on {d.get('disclosed_on', '?')} ({d.get('pages', '?')} pages)"
        _conflict(conn, out, event, uid, "status", value, replaced)
    if event.type == RELEASE_SENT and not event.own:
        _insert_disclosure(conn, request_id, data["disclosure"])  # it went out: accounted
    if shadow is not None:
        pending = shadow[1] - (1 if event.own else 0)
        sync_sql.shadow_put(conn, RELEASE, uid, "status", value, pending)
        apply = pending <= 0 and current != value
    else:
        apply = not event.own and current != value
    if apply:
        values: dict[str, object] = {"status": value}
        if value == new:
            values["status_reason"] = str(data.get("reason", ""))
        if value == "sent" and event.type == RELEASE_SENT:
            values["sent_at"] = data.get("sent_at")
            sync_records_sql.set_sent_by(conn, request_id, _user(conn, data.get("by"))[0])
        sync_records_sql.update_request(conn, request_id, values)
    if not event.own:
        action = "release.send" if event.type == RELEASE_SENT else "release." + new
        _audit(conn, event, action, row["code"], data.get("by"))


PROJECTORS = {
    RELEASE_CREATED: _created,
    RELEASE_CHANGED: _changed,
    RELEASE_STATUS: _status,
    RELEASE_SENT: _status,
}
