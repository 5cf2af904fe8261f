"""Retention and amendments travel (the capture side; ``sync/retention.py`` applies them).

A policy, a legal hold and a destruction are the clinic's, not one desk's: a hold placed at the
front desk must stop a disposal run on the office manager's PC, and a document destroyed on one
PC must not live on in another replica. Events (sealed like every event):

- ``retention.policy_set``     {doc_type, years, minor_years}
- ``retention.hold_placed``    {uid, patient, reason, by, at}
- ``retention.hold_released``  {patient, reason, by, at}
- ``document.destroyed``       {document, policy, date_from, date_to, pages, by, at}
- ``amendment.requested``      {uid, patient, document, text, received_on, due_on, by}
- ``amendment.extended``       {uid, on, reason, due_on}
- ``amendment.decided``        {uid, status, on, reason, notify, by}
- ``amendment.disagreement``   {uid, text, on}

Policies are last-writer-wins in the clinic's order; the rest are append-only facts. A record
the clinic never heard of (no clinic-wide id: made before this PC joined) sends nothing.
"""

from __future__ import annotations

from typing import Any

from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import types as ev
from clinicrecords.events.ids import uuid7
from clinicrecords.events.outbox import emit

HOLD = "legal_hold"  # entity names in sync_ids
AMENDMENT = "amendment"
DOCUMENT = "document"

POLICY_SET = "retention.policy_set"
HOLD_PLACED = "retention.hold_placed"
HOLD_RELEASED = "retention.hold_released"
DOCUMENT_DESTROYED = "document.destroyed"
AMENDMENT_REQUESTED = "amendment.requested"
AMENDMENT_EXTENDED = "amendment.extended"
AMENDMENT_DECIDED = "amendment.decided"
AMENDMENT_DISAGREEMENT = "amendment.disagreement"


def policy_set(conn: Connection, doc_type: str, years: int, minor_years: int) -> None:
    if sync_sql.is_attached(conn):
        emit(conn, POLICY_SET, {"doc_type": doc_type, "years": years, "minor_years": minor_years})


def _patient_uid(conn: Connection, patient_id: int) -> str | None:
    if not sync_sql.is_attached(conn):
        return None
    return sync_sql.uid_of(conn, ev.PATIENT, patient_id)


def hold_placed(
    conn: Connection, hold_id: int, patient_id: int, reason: str, by: str, at: str
) -> None:
    patient = _patient_uid(conn, patient_id)
    if patient is None:
        return
    uid = uuid7()
    sync_sql.add_uid(conn, HOLD, uid, hold_id)
    emit(
        conn,
        HOLD_PLACED,
        {"uid": uid, "patient": patient, "reason": reason, "by": by, "at": at},
    )


def hold_released(conn: Connection, patient_id: int, reason: str, by: str, at: str) -> None:
    patient = _patient_uid(conn, patient_id)
    if patient is not None:
        emit(conn, HOLD_RELEASED, {"patient": patient, "reason": reason, "by": by, "at": at})


def document_destroyed(conn: Connection, document_id: int, data: dict[str, Any]) -> None:
    if not sync_sql.is_attached(conn):
        return
    uid = sync_sql.uid_of(conn, DOCUMENT, document_id)
    if uid is not None:
        emit(conn, DOCUMENT_DESTROYED, {"document": uid, **data})


def amendment_requested(conn: Connection, amendment_id: int, data: dict[str, Any]) -> None:
    patient = _patient_uid(conn, data["patient_id"])
    if patient is None:
        return
    document = sync_sql.uid_of(conn, DOCUMENT, data["document_id"]) if data["document_id"] else None
    uid = uuid7()
    sync_sql.add_uid(conn, AMENDMENT, uid, amendment_id)
    payload = {k: v for k, v in data.items() if k not in ("patient_id", "document_id")}
    emit(
        conn,
        AMENDMENT_REQUESTED,
        {"uid": uid, "patient": patient, "document": document, **payload},
    )


def amendment_changed(
    conn: Connection, type_: str, amendment_id: int, data: dict[str, Any]
) -> None:
    """``amendment.extended`` / ``.decided`` / ``.disagreement`` for a shared request."""
    if not sync_sql.is_attached(conn):
        return
    uid = sync_sql.uid_of(conn, AMENDMENT, amendment_id)
    if uid is not None:
        emit(conn, type_, {"uid": uid, **data})
