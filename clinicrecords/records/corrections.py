"""Documents after filing: move (a misfile), edit the index fields, void; an administrator's
undo; the history of old values; the privacy officer's list of possible wrong-party
disclosures (DESIGN.md section 6).

Nothing here deletes a document or a page: every correction changes rows in place, keeps what
it replaced in ``document_corrections`` (with who, when and why) and writes an audit row, in
the same transaction as the change and its clinic-network event. A move looks up every sent
release that included a moved page: the pages went to someone who asked for *another*
patient's records, a possible breach the privacy officer must assess (45 CFR 164.402), so each
such release goes on a list that stays until it is marked assessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import AccessDenied, BadInput, NotFound
from clinicrecords.db import corrections_sql, documents_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import corrections as correction_events
from clinicrecords.release.service import reselect_open_requests

MIN_REASON = 3
CORRECT_PERMISSION = "document.correct"
UNDO_PERMISSION = "document.correct_undo"  # administrators: undo a void or a move, see history
REVIEW_PERMISSION = "disclosure.review"  # the privacy officer (an administrator)


@dataclass(frozen=True)
class ReleaseHit:
    """A sent release that included pages now known to belong to another chart."""

    request_id: str  # the request's code, e.g. R00012
    requester: str
    date: str | None  # the day it went out (YYYY-MM-DD)
    pages: int  # moved pages that were in it
    review_id: int | None = None  # its entry on the privacy officer's list


@dataclass(frozen=True)
class MoveResult:
    document_id: int  # the document now in the target chart (new when pages were split off)
    source_document_id: int
    from_patient_id: int
    to_patient_id: int
    pages: int
    partial: bool
    correction_id: int
    releases: tuple[ReleaseHit, ...] = ()


@dataclass(frozen=True)
class Correction:
    id: int
    document_id: int
    action: str
    reason: str
    detail: dict[str, Any]
    made_by: str
    made_at: str
    undone_at: str | None


@dataclass(frozen=True)
class DisclosureReview:
    id: int
    request_id: str
    requester: str
    requester_address: str
    disclosed_on: str | None
    document_id: int
    doc_type: str
    type_label: str
    doc_date: str | None
    pages: int
    from_mrn: str
    from_name: str
    to_mrn: str
    to_name: str
    moved_by: str
    reason: str
    found_at: str
    status: str
    outcome: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --- helpers -----------------------------------------------------------------------------------

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_page_list(text: str) -> list[int]:
    """``"1-3,5"`` -> [1, 2, 3, 5]: page numbers as a person counts them (from 1)."""
    out: list[int] = []
    for part in (text or "").split(","):
        m = _RANGE.match(part)
        if not m:
            raise BadInput("Give pages as numbers and ranges, for example 1-3,5.")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if lo < 1 or hi < lo:
            raise BadInput("Give pages as numbers and ranges, for example 1-3,5.")
        out.extend(n for n in range(lo, hi + 1) if n not in out)
    return out


def _reason(reason: str, required: bool = True) -> str:
    reason = (reason or "").strip()
    if required and len(reason) < MIN_REASON:
        raise BadInput("Give a reason for the correction (a few words); it goes in the record.")
    return reason


def _live_document(conn: Connection, document_id: int) -> dict:
    doc = documents_sql.document(conn, document_id)
    if doc is None:
        raise NotFound("There is no document with that number.")
    if doc.get("voided_at"):
        raise BadInput("That document was voided; an administrator can undo the void first.")
    return doc


def _chart(conn: Connection, patient_id: int) -> None:
    patient = patients_sql.get(conn, patient_id)
    if patient is None:
        raise NotFound("That chart does not exist.")
    if patient.merged_into:
        raise BadInput("That chart was merged into another; choose the surviving chart.")


def _username(session: Session) -> str:
    return session.user.username


def record_release_hits(
    conn: Connection,
    correction_id: int | None,
    page_ids: Sequence[int],
    document_id: int,
    from_patient: int,
    to_patient: int,
) -> tuple[ReleaseHit, ...]:
    """Every sent release with one of these pages, each put on the privacy officer's list
    (inside the caller's transaction; a move that arrives from another PC calls it too, since
    releases are made, and known, on the PC that sent them)."""
    hits = []
    for r in corrections_sql.releases_of_pages(conn, page_ids):
        review_id = corrections_sql.add_disclosure_review(
            conn, correction_id, r["id"], document_id, from_patient, to_patient, r["pages"]
        )
        requester = ", ".join(p for p in (r["requester_name"], r["requester_org"]) if p)
        when = r["disclosed_on"] or (r["sent_at"] or "")[:10] or None
        hits.append(ReleaseHit(r["code"], requester, when, int(r["pages"]), review_id))
    return tuple(hits)


# --- move ----------------------------------------------------------------------------------


def move_document(
    session: Session,
    document_id: int,
    to_patient_id: int,
    reason: str,
    pages: Sequence[int] | None = None,
) -> MoveResult:
    """Move a misfiled document, or some of its pages (numbered from 1), to another chart.

    Pages split off become a new document in the target chart with the same index fields.
    Open release requests of both charts are re-selected, so a packet not yet sent loses the
    pages; every *sent* release that included them is returned and listed for review."""
    session.require(CORRECT_PERMISSION)
    reason = _reason(reason)
    with session.db.write() as conn:
        doc = _live_document(conn, document_id)
        from_patient = int(doc["patient_id"])
        _chart(conn, to_patient_id)
        if to_patient_id == from_patient:
            raise BadInput("The document is already in that chart.")
        live = corrections_sql.live_page_ids(conn, document_id)
        chosen = live
        if pages:
            if any(n < 1 or n > len(live) for n in pages):
                raise BadInput(f"The document has {len(live)} page(s); choose among those.")
            chosen = [live[n - 1] for n in pages]
        partial = len(chosen) < len(live)
        if partial:
            old_seqs = corrections_sql.page_seqs(conn, chosen)
            target = documents_sql.insert_document(
                conn,
                to_patient_id,
                doc["doc_type"],
                doc["doc_date"],
                doc["title"],
                doc["author"],
                doc["facility"],
                doc["batch_id"],
                session.user.id,
            )
            corrections_sql.put_pages(conn, chosen, target)
            detail = {
                "from_patient": from_patient,
                "to_patient": to_patient_id,
                "pages": chosen,
                "seqs": {str(p): s for p, (_d, s) in old_seqs.items()},
                "new_document_id": target,
            }
        else:
            target = document_id
            corrections_sql.set_patient(conn, document_id, to_patient_id)
            detail = {"from_patient": from_patient, "to_patient": to_patient_id, "pages": None}
        cid = corrections_sql.add_correction(
            conn, document_id, "move", reason, detail, session.user.id, _username(session)
        )
        hits = record_release_hits(conn, cid, chosen, target, from_patient, to_patient_id)
        patients_sql.touch(conn, from_patient)
        patients_sql.touch(conn, to_patient_id)
        reselect_open_requests(conn, [from_patient, to_patient_id])
        correction_events.document_moved(
            conn,
            document_id,
            to_patient_id,
            reason,
            _username(session),
            page_ids=chosen if partial else None,
            target_document_id=target if partial else None,
            target_is_new=partial,
            from_patient_id=from_patient,
        )
        session.audit(
            "document.move", "document", document_id, conn=conn,
            patient_id=from_patient, to_patient_id=to_patient_id, new_document_id=target,
            pages=len(chosen), partial=partial, reason=reason,
            releases=[h.request_id for h in hits],
        )  # fmt: skip
    return MoveResult(
        target, document_id, from_patient, to_patient_id, len(chosen), partial, cid, hits
    )


# --- edit ----------------------------------------------------------------------------------


def edit_document(
    session: Session,
    document_id: int,
    *,
    doc_type: str | None = None,
    doc_date: date | None = None,
    author: str | None = None,
    facility: str | None = None,
    reason: str = "",
) -> dict[str, tuple[Any, Any]]:
    """Change index fields; returns {field: (old, new)} of what changed. The old values are
    kept in the document's history (``document_history``)."""
    session.require(CORRECT_PERMISSION)
    reason = _reason(reason, required=False)
    asked: dict[str, Any] = {}
    if doc_type is not None:
        asked["doc_type"] = doc_type.strip()
    if doc_date is not None:
        asked["doc_date"] = doc_date.isoformat()
    if author is not None:
        asked["author"] = author.strip()
    if facility is not None:
        asked["facility"] = facility.strip()
    if not asked:
        raise BadInput("Say what to change: type, date, author or facility.")
    with session.db.write() as conn:
        doc = _live_document(conn, document_id)
        if "doc_type" in asked and not documents_sql.doc_type_exists(conn, asked["doc_type"]):
            raise BadInput("That document type does not exist.")
        changed = {k: (doc[k], v) for k, v in asked.items() if doc[k] != v}
        if not changed:
            return {}
        corrections_sql.set_fields(conn, document_id, {k: v for k, (_o, v) in changed.items()})
        old = {k: o for k, (o, _n) in changed.items()}
        new = {k: n for k, (_o, n) in changed.items()}
        corrections_sql.add_correction(
            conn, document_id, "edit", reason, {"old": old, "new": new}, session.user.id,
            _username(session),
        )  # fmt: skip
        if "doc_type" in changed or "doc_date" in changed:  # what a release selects by
            reselect_open_requests(conn, [int(doc["patient_id"])])
        correction_events.document_edited(conn, document_id, new, old, reason, _username(session))
        session.audit(
            "document.edit", "document", document_id, conn=conn,
            patient_id=doc["patient_id"], fields=sorted(changed), reason=reason,
        )  # fmt: skip
    return changed


# --- void ----------------------------------------------------------------------------------


def void_document(session: Session, document_id: int, reason: str) -> None:
    """Take a document out of the chart and out of release selection (a duplicate scan, a
    blank, the wrong document). It stays in the store for its retention period."""
    session.require(CORRECT_PERMISSION)
    reason = _reason(reason)
    with session.db.write() as conn:
        doc = _live_document(conn, document_id)
        corrections_sql.set_voided(conn, document_id, True, session.user.id, reason)
        corrections_sql.add_correction(
            conn, document_id, "void", reason, {}, session.user.id, _username(session)
        )
        reselect_open_requests(conn, [int(doc["patient_id"])])
        correction_events.document_voided(conn, document_id, True, reason, _username(session))
        session.audit(
            "document.void", "document", document_id, conn=conn,
            patient_id=doc["patient_id"], reason=reason,
        )  # fmt: skip


def unvoid_document(session: Session, document_id: int, reason: str = "") -> None:
    """An administrator puts a voided document back in its chart."""
    session.require(UNDO_PERMISSION)
    reason = _reason(reason, required=False)
    with session.db.write() as conn:
        doc = documents_sql.document(conn, document_id)
        if doc is None:
            raise NotFound("There is no document with that number.")
        if not doc.get("voided_at"):
            raise BadInput("That document is not voided.")
        if not corrections_sql.live_page_ids(conn, document_id):
            raise BadInput("That document has no pages left (its filing was undone).")
        corrections_sql.set_voided(conn, document_id, False, None, "")
        corrections_sql.add_correction(
            conn, document_id, "unvoid", reason, {"was": doc.get("void_reason", "")},
            session.user.id, _username(session),
        )  # fmt: skip
        reselect_open_requests(conn, [int(doc["patient_id"])])
        correction_events.document_voided(conn, document_id, False, reason, _username(session))
        session.audit(
            "document.unvoid", "document", document_id, conn=conn,
            patient_id=doc["patient_id"], reason=reason,
        )  # fmt: skip


# --- undo a move ---------------------------------------------------------------------------


def undo_move(session: Session, correction_id: int, reason: str = "") -> int:
    """An administrator undoes a move (the pages go back where they were). Refused when the
    document (or the pages split off) moved again since, so an undo never silently drops a
    later move; edits of type or date made since stay.
    The privacy officer's entries stay: the release went out whatever is undone."""
    session.require(UNDO_PERMISSION)
    reason = _reason(reason, required=False)
    with session.db.write() as conn:
        c = corrections_sql.correction(conn, correction_id)
        if c is None or c["action"] != "move":
            raise NotFound("There is no move with that number.")
        if c["undone_at"]:
            raise BadInput("That move was already undone.")
        doc_id = int(c["document_id"])
        d = c["detail"]
        from_patient, to_patient = int(d["from_patient"]), int(d["to_patient"])
        if corrections_sql.later_moves(conn, doc_id, correction_id):
            raise BadInput("The document was moved again after this move; undo that first.")
        _chart(conn, from_patient)
        doc = _live_document(conn, doc_id)
        if d.get("pages") is None:
            if int(doc["patient_id"]) != to_patient:
                raise BadInput("The document is no longer where the move put it.")
            corrections_sql.set_patient(conn, doc_id, from_patient)
            pages = corrections_sql.live_page_ids(conn, doc_id)
            correction_events.document_moved(
                conn, doc_id, from_patient, reason, _username(session), undo=True,
                from_patient_id=to_patient,
            )  # fmt: skip
        else:
            new_doc = int(d["new_document_id"])
            pages = [int(p) for p in d["pages"]]
            now = corrections_sql.page_seqs(conn, pages)
            if any(now.get(p, (None, 0))[0] != new_doc for p in pages):
                raise BadInput("The pages are no longer where the move put them.")
            if any(c["action"] == "move" for c in
                   corrections_sql.corrections_for_document(conn, new_doc)):  # fmt: skip
                raise BadInput("The new document was moved after the move; undo that first.")
            corrections_sql.put_pages(conn, pages, doc_id)
            corrections_sql.set_page_order(conn, [(p, int(d["seqs"][str(p)])) for p in pages])
            correction_events.document_moved(
                conn, new_doc, from_patient, reason, _username(session),
                page_ids=pages, target_document_id=doc_id, target_is_new=False, undo=True,
                seqs=[int(d["seqs"][str(p)]) for p in pages],
            )  # fmt: skip
            corrections_sql.set_voided(conn, new_doc, True, session.user.id, "move undone")
            correction_events.document_voided(
                conn, new_doc, True, "move undone", _username(session)
            )
        corrections_sql.mark_undone(conn, correction_id, session.user.id)
        corrections_sql.add_correction(
            conn, doc_id, "unmove", reason, {"correction": correction_id}, session.user.id,
            _username(session),
        )  # fmt: skip
        patients_sql.touch(conn, from_patient)
        reselect_open_requests(conn, [from_patient, to_patient])
        session.audit(
            "document.unmove", "document", doc_id, conn=conn, patient_id=from_patient,
            from_patient_id=to_patient, correction_id=correction_id, pages=len(pages),
            reason=reason,
        )  # fmt: skip
    return doc_id


# --- undo the last filing (the index screen's Ctrl+Z) ----------------------------------------


def undo_filing(session: Session, document_id: int) -> list[int]:
    """Take a just-filed document's pages back to their batch, ready to file again; the empty
    document stays, voided, in the history. Only the person who filed it (or an
    administrator), and only while nothing else has been done to it: a slip is fixed before
    it leaves the desk, not months later."""
    session.require("scan.file")
    with session.db.read() as conn:
        filed = documents_sql.document(conn, document_id)
    if filed is None:
        raise NotFound("There is no document with that number.")
    if filed["created_by"] != session.user.id and not session.can(UNDO_PERMISSION):
        session.audit("access.denied", "document", document_id, wanted="document.unfile")
        raise AccessDenied("Only the person who filed a document can undo its filing.")
    with session.db.write() as conn:
        doc = _live_document(conn, document_id)
        if corrections_sql.corrections_for_document(conn, document_id):
            raise BadInput("The document was corrected after filing; its filing cannot be undone.")
        if doc["batch_id"] is None:
            raise BadInput("That document was not filed from a batch.")
        pages = corrections_sql.live_page_ids(conn, document_id)
        if corrections_sql.releases_of_pages(conn, pages):
            raise BadInput("A page of that document already went out in a release.")
        corrections_sql.unfile_pages(conn, pages)
        corrections_sql.forget_page_uids(conn, pages)
        corrections_sql.reopen_batch(conn, int(doc["batch_id"]))
        corrections_sql.set_voided(conn, document_id, True, session.user.id, "filing undone")
        corrections_sql.add_correction(
            conn, document_id, "unfile", "filing undone", {"pages": pages},
            session.user.id, _username(session),
        )  # fmt: skip
        reselect_open_requests(conn, [int(doc["patient_id"])])
        correction_events.document_voided(
            conn, document_id, True, "filing undone", _username(session)
        )
        session.audit(
            "document.unfile", "document", document_id, conn=conn,
            patient_id=doc["patient_id"], batch_id=doc["batch_id"], pages=len(pages),
        )  # fmt: skip
    return pages


# --- history and voided documents (administrators) ------------------------------------------


def document_history(session: Session, document_id: int) -> list[Correction]:
    """Every correction of a document with the values it replaced (administrators)."""
    session.require(UNDO_PERMISSION)
    with session.db.read() as conn:
        doc = documents_sql.document(conn, document_id)
        if doc is None:
            raise NotFound("There is no document with that number.")
        rows = corrections_sql.corrections_for_document(conn, document_id)
    session.audit("document.history", "document", document_id, patient_id=doc["patient_id"])
    return [
        Correction(
            r["id"],
            r["document_id"],
            r["action"],
            r["reason"],
            r["detail"],
            r["made_by_name"],
            r["made_at"],
            r["undone_at"],
        )  # fmt: skip
        for r in rows
    ]


def voided_documents(session: Session, patient_id: int) -> list[dict]:
    """A chart's voided documents, for an administrator (the chart itself hides them)."""
    session.require(UNDO_PERMISSION)
    with session.db.read() as conn:
        rows = corrections_sql.voided_documents(conn, patient_id)
    session.audit("chart.voided", "patient", patient_id, documents=len(rows))
    return rows


# --- the privacy officer's list ------------------------------------------------------------


def _name(row: dict, side: str) -> str:
    return f"{row[f'{side}_family']}, {row[f'{side}_given']}"


def _review(r: dict) -> DisclosureReview:
    return DisclosureReview(
        id=r["id"],
        request_id=r["code"],
        requester=", ".join(p for p in (r["requester_name"], r["requester_org"]) if p),
        requester_address=r["requester_address"] or "",
        disclosed_on=r["disclosed_on"] or (r["sent_at"] or "")[:10] or None,
        document_id=r["document_id"],
        doc_type=r["doc_type"],
        type_label=r["type_label"],
        doc_date=r["doc_date"],
        pages=r["pages"],
        from_mrn=r["from_mrn"],
        from_name=_name(r, "from"),
        to_mrn=r["to_mrn"],
        to_name=_name(r, "to"),
        moved_by=r["moved_by"],
        reason=r["move_reason"],
        found_at=r["found_at"],
        status=r["status"],
        outcome=r["outcome"],
        extra={"to_dob": r["to_dob"], "requester_name": r["requester_name"]},
    )


def disclosure_reviews(session: Session, include_assessed: bool = False) -> list[DisclosureReview]:
    """Releases that included pages later moved to another chart, oldest first."""
    session.require(REVIEW_PERMISSION)
    with session.db.read() as conn:
        rows = corrections_sql.disclosure_reviews(conn, include_assessed)
    session.audit("disclosure_review.list", "disclosure_review", "", entries=len(rows))
    return [_review(r) for r in rows]


def get_disclosure_review(session: Session, review_id: int) -> DisclosureReview:
    session.require(REVIEW_PERMISSION)
    with session.db.read() as conn:
        row = corrections_sql.disclosure_review(conn, review_id)
    if row is None:
        raise NotFound("There is no entry with that number on the disclosure review list.")
    return _review(row)


def assess_disclosure(session: Session, review_id: int, outcome: str) -> None:
    """The privacy officer records the assessment (e.g. low probability of compromise, or
    notified); the entry leaves the open list but stays in the record."""
    session.require(REVIEW_PERMISSION)
    outcome = _reason(outcome)
    with session.db.write() as conn:
        row = corrections_sql.disclosure_review(conn, review_id)
        if row is None:
            raise NotFound("There is no entry with that number on the disclosure review list.")
        corrections_sql.assess_review(conn, review_id, session.user.id, outcome)
        session.audit(
            "disclosure_review.assess", "disclosure_review", review_id, conn=conn,
            patient_id=row["to_patient"], request=row["code"], outcome=outcome,
        )  # fmt: skip


def review_json(r: DisclosureReview) -> dict[str, Any]:
    return {
        "review_id": r.id,
        "request_id": r.request_id,
        "requester": r.requester,
        "date": r.disclosed_on,
        "document_id": r.document_id,
        "doc_type": r.doc_type,
        "pages": r.pages,
        "from_mrn": r.from_mrn,
        "to_mrn": r.to_mrn,
        "moved_by": r.moved_by,
        "reason": r.reason,
        "found_at": r.found_at,
        "status": r.status,
        "outcome": r.outcome,
    }


def history_json(c: Correction) -> dict[str, Any]:
    return {
        "correction_id": c.id,
        "document_id": c.document_id,
        "action": c.action,
        "reason": c.reason,
        "detail": json.loads(json.dumps(c.detail)),
        "by": c.made_by,
        "at": c.made_at,
        "undone_at": c.undone_at,
    }
