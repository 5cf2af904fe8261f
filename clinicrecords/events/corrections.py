"""Corrections of filed documents travel (the capture side; ``sync/corrections.py`` applies
them): a misfile moved at one desk leaves the wrong chart on every PC, an edit or a void
applies everywhere.

``document.moved``   {uid, patient, from, to, to_new, pages, fields, reason, by, undo}: ``pages``
                     None moves the whole document ``uid`` from chart ``from`` (the chart the
                     mover saw) into chart ``patient``; a list of page
                     uids moves those pages into document ``to``, created in that chart when
                     ``to_new`` (with ``fields``: type, date, author, facility, title).
``document.edited``  {uid, fields{name: new}, old{name: old}, reason, by}
``document.voided``  {uid, chart, reason, by} / ``document.unvoided`` {uid, chart, reason, by}:
                     ``chart`` is the chart the person saw the document in.

Corrections are rare and made by a person with a reason; the clinic's order decides between
two made apart (the later wins on every replica) and, as with a chart field, the pair is
listed for a person: each event carries what its maker saw (the value an edit replaced, the
chart a move took the document from or a void found it in), and while this PC's own
correction is not yet in the clinic's order, the clinic's value so far is kept aside in
``sync_shadow`` (fields ``chart``, ``voided`` and each edited field), exactly as for charts. A document the clinic
has not heard of yet (filed before this PC attached, not shared) is shared as it is now, so
the correction needs no event of its own.
"""

from __future__ import annotations

from typing import Any

from clinicrecords.db import documents_sql, sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import capture
from clinicrecords.events import documents as document_events
from clinicrecords.events import types as ev
from clinicrecords.events.documents import DOCUMENT, PAGE
from clinicrecords.events.ids import uuid7
from clinicrecords.events.outbox import emit

DOCUMENT_MOVED = "document.moved"
DOCUMENT_EDITED = "document.edited"
DOCUMENT_VOIDED = "document.voided"
DOCUMENT_UNVOIDED = "document.unvoided"

NEW_DOCUMENT_FIELDS = ("doc_type", "doc_date", "title", "author", "facility")
CHART = "chart"  # sync_shadow / sync_conflicts field: the chart a whole document is in
VOIDED = "voided"  # sync_shadow / sync_conflicts field: "1" voided, "0" in its chart


def as_text(value: Any) -> str:
    """A document field as shadows and conflicts hold it (no date: "")."""
    return "" if value is None else str(value)


IN_DOCUMENT = "document"  # sync_shadow field of a page: the document it is in


def keep_aside(conn: Connection, uid: str, field: str, before: str, entity: str = DOCUMENT) -> None:
    """This PC changed ``field`` of document (or page) ``uid``: until the clinic's order has
    the change, remember the clinic's value so far (the value before this PC's first pending
    change)."""
    shadow = sync_sql.shadow_get(conn, entity, uid, field)
    if shadow is None:
        sync_sql.shadow_put(conn, entity, uid, field, before, 1)
    else:
        sync_sql.shadow_put(conn, entity, uid, field, shadow[0], shadow[1] + 1)


def _known_uid(conn: Connection, document_id: int) -> str | None:
    """The document's clinic-wide id; None when it was just shared as it is now (or this PC
    is not in a clinic network): then no correction event is needed."""
    if not sync_sql.is_attached(conn):
        return None
    uid = sync_sql.uid_of(conn, DOCUMENT, document_id)
    if uid is None:
        document_events.document_filed(conn, document_id)
    return uid


def _patient_uid(conn: Connection, patient_id: int) -> str | None:
    uid = sync_sql.uid_of(conn, ev.PATIENT, patient_id)
    if uid is None:
        capture.patient_registered(conn, patient_id)
        uid = sync_sql.uid_of(conn, ev.PATIENT, patient_id)
    return uid


def document_moved(
    conn: Connection,
    document_id: int,
    patient_id: int,
    reason: str,
    by: str,
    page_ids: list[int] | None = None,
    target_document_id: int | None = None,
    target_is_new: bool = False,
    undo: bool = False,
    seqs: list[int] | None = None,
    from_patient_id: int | None = None,
) -> None:
    """Call inside the move's write transaction, after the rows changed. ``undo``: an
    administrator's undo of a move (the receiving PCs list no release for it again).
    ``from_patient_id``: the chart a whole document was in (two moves made apart are found
    by it)."""
    uid = _known_uid(conn, document_id)
    if uid is None:
        if target_document_id is not None and target_is_new:
            document_events.document_filed(conn, target_document_id)
        return
    patient = _patient_uid(conn, patient_id)
    if patient is None:
        return
    data: dict[str, Any] = {
        "uid": uid, "patient": patient, "pages": None, "to": None, "to_new": False,
        "fields": {}, "reason": reason, "by": by, "undo": undo,
    }  # fmt: skip
    if page_ids is not None and target_document_id is not None:
        page_uids = [sync_sql.uid_of(conn, PAGE, p) for p in page_ids]
        if any(u is None for u in page_uids):  # pages the clinic never had: share as is
            if target_is_new:
                document_events.document_filed(conn, target_document_id)
            return
        target_uid = sync_sql.uid_of(conn, DOCUMENT, target_document_id)
        if target_uid is None:
            if not target_is_new:
                return
            target_uid = uuid7()
            sync_sql.add_uid(conn, DOCUMENT, target_uid, target_document_id)
        doc = documents_sql.document(conn, target_document_id) or {}
        data |= {
            "pages": page_uids,
            "to": target_uid,
            "to_new": target_is_new,
            "fields": {k: doc.get(k) for k in NEW_DOCUMENT_FIELDS},
            "seqs": seqs,  # an undo puts the pages back in their places, not at the end
        }
        for page_uid in page_uids:  # they were in document ``uid`` as the mover saw them
            keep_aside(conn, str(page_uid), IN_DOCUMENT, uid, entity=PAGE)
    elif from_patient_id is not None:
        source = _patient_uid(conn, from_patient_id)
        if source is not None:
            data["from"] = source
            keep_aside(conn, uid, CHART, source)
    emit(conn, DOCUMENT_MOVED, data)


def document_edited(
    conn: Connection,
    document_id: int,
    new: dict[str, Any],
    old: dict[str, Any],
    reason: str,
    by: str,
) -> None:
    uid = _known_uid(conn, document_id)
    if uid is None:
        return
    emit(
        conn,
        DOCUMENT_EDITED,
        {"uid": uid, "fields": new, "old": old, "reason": reason, "by": by},
    )
    for name, value in old.items():
        keep_aside(conn, uid, name, as_text(value))


def document_voided(conn: Connection, document_id: int, voided: bool, reason: str, by: str) -> None:
    """A void of a document the clinic never heard of needs no event (voided documents are
    not shared); its undo shares the document as it is now."""
    uid = _known_uid(conn, document_id)
    if uid is None:
        return
    doc = documents_sql.document(conn, document_id) or {}
    chart = sync_sql.uid_of(conn, ev.PATIENT, doc["patient_id"]) if doc else None
    emit(
        conn,
        DOCUMENT_VOIDED if voided else DOCUMENT_UNVOIDED,
        {"uid": uid, "chart": chart, "reason": reason, "by": by},
    )
    keep_aside(conn, uid, VOIDED, "0" if voided else "1")
