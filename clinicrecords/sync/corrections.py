"""Corrections of filed documents travel (the applying side; ``events/corrections.py``
captures them): a document moved, edited or voided at one desk is moved, edited or voided on
every PC, through the same SQL the correction service uses, with the same history row (made
by the account named in the event) so an administrator sees the old values on any PC.

Releases are made and recorded on the PC that sent them. So a move that arrives here is
checked against *this* PC's sent releases too: a misfiled page released from this desk and
moved at another still reaches this desk's privacy-officer list.

A document the event names was filed earlier in the clinic's order (``document.filed`` comes
first), so it is known here; the target chart likewise. Edits and voids apply in the clinic's
order: when two desks correct one document apart, the later wins on every replica.
"""

from __future__ import annotations

from clinicrecords.common.errors import ServerRefused
from clinicrecords.db import corrections_sql, documents_sql, sync_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import corrections as ce
from clinicrecords.events import types as ev
from clinicrecords.events.documents import DOCUMENT, PAGE
from clinicrecords.events.types import Event
from clinicrecords.records.corrections import record_release_hits
from clinicrecords.release.service import reselect_open_requests
from clinicrecords.sync.documents import surviving_chart

_UNKNOWN = (
    "Another workstation corrected a document this PC never heard of; sync stopped before it "
    "(update this PC, or ask the administrator to check the server)."
)


def _document(conn: Connection, uid: str) -> tuple[int, dict]:
    doc_id = sync_sql.local_id(conn, DOCUMENT, uid)
    doc = documents_sql.document(conn, doc_id) if doc_id is not None else None
    if doc_id is None or doc is None:
        raise ServerRefused(_UNKNOWN)
    return doc_id, doc


def _moved(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    if event.own:
        return
    data = event.data
    doc_id, doc = _document(conn, data["uid"])
    patient_id = sync_sql.local_id(conn, ev.PATIENT, data["patient"])
    if patient_id is None:
        raise ServerRefused(_UNKNOWN)
    patient_id = surviving_chart(conn, patient_id)
    from_patient = int(doc["patient_id"])
    detail: dict = {"from_patient": from_patient, "to_patient": patient_id, "pages": None}
    if data.get("pages") is None:
        target = doc_id
        corrections_sql.set_patient(conn, doc_id, patient_id)
        moved = corrections_sql.live_page_ids(conn, doc_id)
    else:
        moved = [
            p for p in (sync_sql.local_id(conn, PAGE, u) for u in data["pages"]) if p is not None
        ]
        found = sync_sql.local_id(conn, DOCUMENT, data["to"])
        if found is None:
            if not data.get("to_new"):
                raise ServerRefused(_UNKNOWN)
            f = data.get("fields") or {}
            if not documents_sql.doc_type_exists(conn, f.get("doc_type", "")):
                raise ServerRefused(
                    "Another workstation filed a document of a type this version of the "
                    "program does not know: update this PC, then sync again."
                )
            found = documents_sql.insert_document(
                conn, patient_id, f["doc_type"], f.get("doc_date"), f.get("title", ""),
                f.get("author", ""), f.get("facility", ""), None, None,
            )  # fmt: skip
            sync_sql.add_uid(conn, DOCUMENT, data["to"], found)
        target = found
        corrections_sql.put_pages(conn, moved, target)
        seqs = data.get("seqs")
        if seqs and len(seqs) == len(data["pages"]) == len(moved):
            corrections_sql.set_page_order(conn, list(zip(moved, seqs, strict=True)))
        detail |= {"pages": moved, "new_document_id": target}
    undo = bool(data.get("undo"))
    cid = corrections_sql.add_correction(
        conn, doc_id, "unmove" if undo else "move", data.get("reason", ""), detail, None,
        data.get("by", ""),
    )  # fmt: skip
    if from_patient != patient_id and not undo:  # an undo's releases were listed at the move
        record_release_hits(conn, cid, moved, target, from_patient, patient_id)
    for pid in (from_patient, patient_id):
        patients_sql.touch(conn, pid)
        out.patients.add(pid)
    reselect_open_requests(conn, [from_patient, patient_id])


def _edited(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    if event.own:
        return
    data = event.data
    doc_id, doc = _document(conn, data["uid"])
    fields = {k: v for k, v in data["fields"].items() if k in corrections_sql.EDITABLE_FIELDS}
    if "doc_type" in fields and not documents_sql.doc_type_exists(conn, fields["doc_type"]):
        raise ServerRefused(
            "Another workstation gave a document a type this version of the program does not "
            "know: update this PC, then sync again."
        )
    old = {k: doc[k] for k in fields}
    corrections_sql.set_fields(conn, doc_id, fields)
    corrections_sql.add_correction(
        conn, doc_id, "edit", data.get("reason", ""), {"old": old, "new": fields}, None,
        data.get("by", ""),
    )  # fmt: skip
    out.patients.add(int(doc["patient_id"]))
    reselect_open_requests(conn, [int(doc["patient_id"])])


def _voided(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    if event.own:
        return
    data = event.data
    doc_id, doc = _document(conn, data["uid"])
    voided = event.type == ce.DOCUMENT_VOIDED
    corrections_sql.set_voided(conn, doc_id, voided, None, data.get("reason", ""))
    corrections_sql.add_correction(
        conn, doc_id, "void" if voided else "unvoid", data.get("reason", ""), {}, None,
        data.get("by", ""),
    )  # fmt: skip
    out.patients.add(int(doc["patient_id"]))
    reselect_open_requests(conn, [int(doc["patient_id"])])


PROJECTORS = {
    ce.DOCUMENT_MOVED: _moved,
    ce.DOCUMENT_EDITED: _edited,
    ce.DOCUMENT_VOIDED: _voided,
    ce.DOCUMENT_UNVOIDED: _voided,
}
