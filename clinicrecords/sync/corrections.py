"""Corrections of filed documents travel (the applying side; ``events/corrections.py``
captures them): a document moved, edited or voided at one desk is moved, edited or voided on
every PC, through the same SQL the correction service uses, with the same history row (made
by the account named in the event) so an administrator sees the old values on any PC.

Releases are made and recorded on the PC that sent them. So a move that arrives here is
checked against *this* PC's sent releases too: a misfiled page released from this desk and
moved at another still reaches this desk's privacy-officer list.

A document the event names was filed earlier in the clinic's order (``document.filed`` comes
first), so it is known here; the target chart likewise. Corrections apply in the clinic's
order: when two desks correct one document apart, the later wins on every replica and the pair
is listed as a conflict on every PC under the later event's id (each edited field, a chart
reached by two moves, a page split off twice, a move and a void), decided against the value
the clinic's order had reached (``sync_shadow`` while this PC's own correction is pending), as
a chart's field edits are (``projectors.py``).
"""

from __future__ import annotations

import uuid

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
from clinicrecords.sync.field_rule import Shadow, clinic_value, settle

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


def _conflict(conn: Connection, event: Event, out, conflict_id: str, kind: str, uid: str, field: str, kept: str, replaced: str) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    sync_sql.add_conflict(
        conn, conflict_id, kind, DOCUMENT, uid, event.seq, field=field, kept=kept,
        replaced=replaced, kept_ws=event.workstation_id,
    )  # fmt: skip
    out.conflicts += 1


def _chart_id(conn: Connection, patient_uid: str | None) -> int | None:
    """The surviving chart (here) of a chart's clinic-wide id: merges move documents along."""
    pid = sync_sql.local_id(conn, ev.PATIENT, patient_uid) if patient_uid else None
    return None if pid is None else surviving_chart(conn, pid)


def _mrn(conn: Connection, patient_id: int | None) -> str:
    p = patients_sql.get(conn, patient_id) if patient_id is not None else None
    return p.mrn if p is not None else "?"


def _clinic_value(conn: Connection, uid: str, field: str, current: str) -> tuple[str, Shadow]:
    """A document's field under the rule every synced field follows (``field_rule``)."""
    return clinic_value(conn, DOCUMENT, uid, field, current)


def _settle(conn: Connection, event: Event, uid: str, field: str, value: str, current: str, shadow: Shadow) -> bool:  # fmt: skip
    return settle(conn, event, DOCUMENT, uid, field, value, current, shadow)


def _moved(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if data.get("pages") is None:
        _moved_whole(conn, event, out)
        return
    doc_id, doc = _document(conn, data["uid"])
    patient_id = sync_sql.local_id(conn, ev.PATIENT, data["patient"])
    if patient_id is None:
        raise ServerRefused(_UNKNOWN)
    patient_id = surviving_chart(conn, patient_id)
    from_patient = int(doc["patient_id"])
    detail: dict = {"from_patient": from_patient, "to_patient": patient_id, "pages": None}
    moved = _pages_to_move(conn, event, out)
    if event.own:
        return
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
    _record_move(conn, event, doc_id, from_patient, patient_id, detail, moved, target, out)


def _pages_to_move(conn: Connection, event: Event, out) -> list[int]:  # type: ignore[no-untyped-def]
    """The pages of a split this replica moves now. A page the clinic's order had already
    moved out of the document its mover saw it in was moved twice apart: listed once per
    split, and the later split wins; a page this PC itself moved later stays until the
    order reaches that move (``sync_shadow``, as for a chart's field)."""
    data = event.data
    where = corrections_sql.page_seqs(
        conn, [p for p in (sync_sql.local_id(conn, PAGE, u) for u in data["pages"]) if p]
    )
    moved: list[int] = []
    clash: int | None = None
    for page_uid in data["pages"]:
        page_id = sync_sql.local_id(conn, PAGE, page_uid)
        if page_id is None:
            continue
        doc_here = where.get(page_id, (None, 0))[0]
        current = (sync_sql.uid_of(conn, DOCUMENT, doc_here) if doc_here else None) or ""
        shadow = sync_sql.shadow_get(conn, PAGE, page_uid, ce.IN_DOCUMENT)
        before = shadow[0] if shadow is not None else current
        if before not in (data["uid"], data["to"]) and clash is None:
            clash = sync_sql.local_id(conn, DOCUMENT, before)
        if shadow is not None:
            pending = shadow[1] - (1 if event.own else 0)
            sync_sql.shadow_put(conn, PAGE, page_uid, ce.IN_DOCUMENT, data["to"], pending)
            if pending <= 0 and current != data["to"]:
                moved.append(page_id)
        elif not event.own and current != data["to"]:
            moved.append(page_id)
    if clash is not None:
        other = documents_sql.document(conn, clash)
        target = _chart_id(conn, data["patient"])
        _conflict(
            conn, event, out, event.id, "document", data["uid"], "pages",
            f"pages in chart {_mrn(conn, target)}",
            f"pages in chart {_mrn(conn, int(other['patient_id']) if other else None)}",
        )  # fmt: skip
    return moved


def _moved_whole(conn: Connection, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    """A whole document into another chart. Two moves made apart (the mover's ``from`` is
    not where the clinic's order had the document), or a move of a document the clinic's
    order had voided (movers only see live documents), are listed; the later move wins."""
    data = event.data
    uid = data["uid"]
    doc_id, doc = _document(conn, uid)
    target = _chart_id(conn, data["patient"])
    if target is None:
        raise ServerRefused(_UNKNOWN)
    current = int(doc["patient_id"])
    shadow = sync_sql.shadow_get(conn, DOCUMENT, uid, ce.CHART)
    before = (_chart_id(conn, shadow[0]) or current) if shadow is not None else current
    voided_now = "1" if doc.get("voided_at") else "0"
    voided_before, _ = _clinic_value(conn, uid, ce.VOIDED, voided_now)
    source = _chart_id(conn, data.get("from"))
    if source is not None and before not in (source, target):
        _conflict(
            conn, event, out, event.id, "document", uid, ce.CHART,
            f"in chart {_mrn(conn, target)}", f"in chart {_mrn(conn, before)}",
        )  # fmt: skip
    elif voided_before == "1":
        _conflict(
            conn, event, out, event.id, "document", uid, ce.VOIDED,
            f"moved to chart {_mrn(conn, target)}, voided", f"voided in chart {_mrn(conn, before)}",
        )  # fmt: skip
    if shadow is not None:
        pending = shadow[1] - (1 if event.own else 0)
        sync_sql.shadow_put(conn, DOCUMENT, uid, ce.CHART, data["patient"], pending)
        apply = pending <= 0 and current != target
    else:
        apply = not event.own and current != target
    if event.own:
        return
    detail: dict = {
        "from_patient": current if apply else before,
        "to_patient": target,
        "pages": None,
    }
    moved = corrections_sql.live_page_ids(conn, doc_id)
    if apply:
        corrections_sql.set_patient(conn, doc_id, target)
        _record_move(conn, event, doc_id, current, target, detail, moved, doc_id, out)
    else:  # this PC's own later move stands here until the order reaches it: history only
        corrections_sql.add_correction(
            conn, doc_id, "unmove" if data.get("undo") else "move", data.get("reason", ""),
            detail, None, data.get("by", ""),
        )  # fmt: skip


def _record_move(conn: Connection, event: Event, doc_id: int, from_patient: int, patient_id: int, detail: dict, moved: list[int], target: int, out) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    data = event.data
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


def edit_conflict_id(event: Event, field: str) -> str:
    """One conflict per field of an edit, under an id every replica derives alike: the event's
    own id for its first field (as a chart's field edit), a name-based UUID for the others."""
    if field == min(event.data["fields"]):
        return event.id
    return str(uuid.uuid5(uuid.UUID(event.id), field))


def _edited(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    uid = data["uid"]
    doc_id, doc = _document(conn, uid)
    fields = {k: v for k, v in data["fields"].items() if k in corrections_sql.EDITABLE_FIELDS}
    if "doc_type" in fields and not documents_sql.doc_type_exists(conn, fields["doc_type"]):
        raise ServerRefused(
            "Another workstation gave a document a type this version of the program does not "
            "know: update this PC, then sync again."
        )
    replaced = data.get("old") or {}
    shown: dict = {}
    for name in sorted(fields):
        new, current = ce.as_text(fields[name]), ce.as_text(doc[name])
        before, shadow = _clinic_value(conn, uid, name, current)
        if name in replaced and before not in (ce.as_text(replaced[name]), new):
            _conflict(
                conn, event, out, edit_conflict_id(event, name), "field", uid, name, new, before
            )  # fmt: skip
        if _settle(conn, event, uid, name, new, current, shadow):
            shown[name] = fields[name]
    if shown:
        corrections_sql.set_fields(conn, doc_id, shown)
    if event.own:
        return
    old = {k: doc[k] for k in fields}
    corrections_sql.add_correction(
        conn, doc_id, "edit", data.get("reason", ""), {"old": old, "new": fields}, None,
        data.get("by", ""),
    )  # fmt: skip
    out.patients.add(int(doc["patient_id"]))
    reselect_open_requests(conn, [int(doc["patient_id"])])


def _voided(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    """A void of a document the clinic's order had moved away from the chart its maker saw
    is listed (the void stands: nothing is deleted, and a person can undo it)."""
    data = event.data
    uid = data["uid"]
    doc_id, doc = _document(conn, uid)
    voided = event.type == ce.DOCUMENT_VOIDED
    value = "1" if voided else "0"
    current = "1" if doc.get("voided_at") else "0"
    _, shadow = _clinic_value(conn, uid, ce.VOIDED, current)
    here = int(doc["patient_id"])
    chart_shadow = sync_sql.shadow_get(conn, DOCUMENT, uid, ce.CHART)
    clinic_chart = (_chart_id(conn, chart_shadow[0]) or here) if chart_shadow else here
    seen = _chart_id(conn, data.get("chart"))
    if voided and seen is not None and seen != clinic_chart:
        _conflict(
            conn, event, out, event.id, "document", uid, ce.VOIDED,
            f"moved to chart {_mrn(conn, clinic_chart)}, voided",
            f"voided in chart {_mrn(conn, seen)}",
        )  # fmt: skip
    if _settle(conn, event, uid, ce.VOIDED, value, current, shadow):
        corrections_sql.set_voided(conn, doc_id, voided, None, data.get("reason", ""))
    if event.own:
        return
    corrections_sql.add_correction(
        conn, doc_id, "void" if voided else "unvoid", data.get("reason", ""), {}, None,
        data.get("by", ""),
    )  # fmt: skip
    out.patients.add(here)
    reselect_open_requests(conn, [here])


PROJECTORS = {
    ce.DOCUMENT_MOVED: _moved,
    ce.DOCUMENT_EDITED: _edited,
    ce.DOCUMENT_VOIDED: _voided,
    ce.DOCUMENT_UNVOIDED: _voided,
}
