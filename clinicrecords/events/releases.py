"""Release of information travels (the capture side; ``sync/releases.py`` applies it): a request
logged at the front desk is on the office manager's screen, and the accounting of disclosures
is the clinic's, whichever PC sent the packet.

Events (sealed like every event):
- ``release.created``        {uid, code, patient, created_by, created_at, status, fields{...}}
- ``release.changed``        {uid, field, old, new}: one request field (scope, watermark, fee
  waiver, the authorization as JSON, the pages left out by hand as JSON), the value replaced
  travelling along, as for a chart's fields
- ``release.status_changed`` {uid, old, new, reason, by}: start work, deny, cancel
- ``release.sent``           {uid, old, by, sent_at, disclosure{...}}: the packet went out and
  its row of the accounting of disclosures

Requests are named by a clinic-wide id; pages, documents and charts by theirs. On a clinic
network a request's code carries the workstation's number (``R2-00007``), so two PCs logging
requests offline never print the same code on two packets.
"""

from __future__ import annotations

import json

from clinicrecords.common.domain import User
from clinicrecords.db import release as release_sql
from clinicrecords.db import sync_records_sql, sync_sql, users_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import capture
from clinicrecords.events import types as ev
from clinicrecords.events.accounts import key_of
from clinicrecords.events.documents import DOCUMENT, PAGE
from clinicrecords.events.ids import uuid7
from clinicrecords.events.outbox import emit

RELEASE = "release"  # entity name in sync_ids / sync_shadow / sync_conflicts
RELEASE_CREATED = "release.created"
RELEASE_CHANGED = "release.changed"
RELEASE_STATUS = "release.status_changed"
RELEASE_SENT = "release.sent"

# Request columns that travel as they are (text, or numbers as text).
COLUMNS = (
    "requester_name",
    "requester_org",
    "requester_address",
    "requester_type",
    "purpose",
    "basis",
    "delivery",
    "received_on",
    "due_on",
    "date_from",
    "date_to",
    "doc_types",
    "include_sensitive",
    "watermark",
    "fee_waived",
)
AUTHORIZATION = "authorization"
EXCLUSIONS = "exclusions"
FIELDS = (*COLUMNS, AUTHORIZATION, EXCLUSIONS)
DISCLOSURE_FIELDS = (
    "disclosed_on",
    "recipient",
    "recipient_address",
    "purpose",
    "basis",
    "description",
    "pages",
    "in_accounting",
)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def snapshot(conn: Connection, request_id: int) -> dict[str, str]:
    """The request's travelling fields as text, local ids replaced by clinic-wide ones."""
    row = release_sql.request(conn, request_id)
    if row is None:
        return {}
    out = {c: _text(row[c]) for c in COLUMNS}
    auth = release_sql.authorization(conn, request_id)
    if auth is None:
        out[AUTHORIZATION] = ""
    else:
        doc = auth["document_id"]
        out[AUTHORIZATION] = json.dumps(
            {
                "document": sync_sql.uid_of(conn, DOCUMENT, doc) if doc else None,
                "signed_on": auth["signed_on"],
                "expires_on": auth["expires_on"],
                "expiry_event": auth["expiry_event"],
                "revoked_on": auth["revoked_on"],
                "elements": sorted(auth["elements"]),
                "categories": sorted(auth["categories"]),
            },
            sort_keys=True,
        )
    excluded = {}
    for page_id, note in release_sql.exclusions(conn, request_id).items():
        page_uid = sync_sql.uid_of(conn, PAGE, page_id)
        if page_uid is not None:
            excluded[page_uid] = note
    out[EXCLUSIONS] = json.dumps(excluded, sort_keys=True)
    return out


def clinic_code(conn: Connection, request_id: int, code: str) -> str:
    """On a clinic network the request's code names the workstation too (unique clinic-wide);
    a stand-alone PC keeps ``R00007``. Call right after the request's row is written."""
    state = sync_sql.state(conn)
    if state is None:
        return code
    new = f"R{state.workstation_no}-{request_id:05d}"
    sync_records_sql.set_request_code(conn, request_id, new)
    return new


def request_created(conn: Connection, request_id: int) -> None:
    """Inside ``create_request``'s transaction, after the request, authorization, selection."""
    if not sync_sql.is_attached(conn):
        return
    row = release_sql.request(conn, request_id)
    if row is None or sync_sql.uid_of(conn, RELEASE, request_id) is not None:
        return
    patient = sync_sql.uid_of(conn, ev.PATIENT, row["patient_id"])
    if patient is None:
        capture.patient_registered(conn, row["patient_id"])
        patient = sync_sql.uid_of(conn, ev.PATIENT, row["patient_id"])
    creator = _account_key(conn, row["created_by"])
    uid = uuid7()
    sync_sql.add_uid(conn, RELEASE, uid, request_id)
    emit(
        conn,
        RELEASE_CREATED,
        {
            "uid": uid,
            "code": row["code"],
            "patient": patient,
            "created_by": creator,
            "created_at": row["created_at"],
            "status": row["status"],
            "status_reason": row["status_reason"],
            "sent_at": row["sent_at"],
            "fields": snapshot(conn, request_id),
            "disclosure": _disclosure(conn, request_id),
        },
    )


def _disclosure(conn: Connection, request_id: int) -> dict | None:
    """A request sent before the PC attached carries its row of the accounting."""
    disclosure_id = sync_records_sql.disclosure_id_of_request(conn, request_id)
    if disclosure_id is None:
        return None
    row = sync_records_sql.disclosure(conn, disclosure_id)
    return {f: row[f] for f in DISCLOSURE_FIELDS} | {"by": _account_key(conn, row["sent_by"])}


def _account_key(conn: Connection, user_id: int | None) -> str | None:
    row = users_sql.by_id(conn, user_id) if user_id else None
    return key_of(row["username"]) if row else None


def request_changed(conn: Connection, request_id: int, before: dict[str, str]) -> None:
    """One ``release.changed`` per field that differs from ``before`` (``snapshot`` taken at
    the start of the write)."""
    uid = sync_sql.uid_of(conn, RELEASE, request_id) if sync_sql.is_attached(conn) else None
    if uid is None:
        return
    after = snapshot(conn, request_id)
    for field in FIELDS:
        old, new = before.get(field, ""), after.get(field, "")
        if old == new:
            continue
        emit(conn, RELEASE_CHANGED, {"uid": uid, "field": field, "old": old, "new": new})
        _shadow(conn, uid, field, old)


def status_changed(
    conn: Connection, request_id: int, old: str, new: str, reason: str, user: User
) -> None:
    uid = sync_sql.uid_of(conn, RELEASE, request_id) if sync_sql.is_attached(conn) else None
    if uid is None:
        return
    emit(
        conn,
        RELEASE_STATUS,
        {"uid": uid, "old": old, "new": new, "reason": reason, "by": key_of(user.username)},
    )
    _shadow(conn, uid, "status", old)


def sent(conn: Connection, request_id: int, old: str, disclosure_id: int, user: User) -> None:
    uid = sync_sql.uid_of(conn, RELEASE, request_id) if sync_sql.is_attached(conn) else None
    if uid is None:
        return
    row = sync_records_sql.disclosure(conn, disclosure_id)
    req = release_sql.request(conn, request_id)
    emit(
        conn,
        RELEASE_SENT,
        {
            "uid": uid,
            "old": old,
            "by": key_of(user.username),
            "sent_at": req["sent_at"] if req else None,
            "disclosure": {f: row[f] for f in DISCLOSURE_FIELDS},
        },
    )
    _shadow(conn, uid, "status", old)


def _shadow(conn: Connection, uid: str, field: str, old: str) -> None:
    """The clinic's value until the server orders this PC's change (see ``projectors.py``)."""
    shadow = sync_sql.shadow_get(conn, RELEASE, uid, field)
    if shadow is None:
        sync_sql.shadow_put(conn, RELEASE, uid, field, old, 1)
    else:
        sync_sql.shadow_put(conn, RELEASE, uid, field, shadow[0], shadow[1] + 1)


def share_unshared_requests(conn: Connection) -> int:
    """Tell the clinic of requests logged before this PC attached (with their disclosures)."""
    ids = sync_records_sql.request_ids_without_uid(conn)
    for request_id in ids:
        request_created(conn, request_id)
    return len(ids)
