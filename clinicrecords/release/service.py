"""Release-of-information services: the request log, selection, packet, sending.

Each function takes a Session first and checks the release permission before it reads or
changes anything: only the `release` and `admin` roles work on releases. The rules
themselves are in `rules.py`; SQL is in `clinicrecords/db/release.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from typing import BinaryIO

from clinicrecords.clinic import page_access
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import get_setting
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.common.timeutil import today
from clinicrecords.db import documents_sql
from clinicrecords.db import release as sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.patients import get as get_patient_row
from clinicrecords.db.patients import id_by_mrn
from clinicrecords.events import releases as release_events
from clinicrecords.release import letters, rules
from clinicrecords.release.letters import LetterLine
from clinicrecords.release.model import ReleaseRequest, SelectedPage
from clinicrecords.release.packet import (
    IndexEntry,
    Letterhead,
    PacketPage,
    PacketResult,
    PacketSpec,
    PacketTextPage,
    text_pages,
    write_packet,
)


# Settings (JSON values in the settings table) and their defaults.
def setting(conn: Connection, key: str):  # noqa: ANN201 - JSON value
    """A clinic setting; its type and default are declared once, in ``clinicrecords.clinic.settings``."""
    return get_setting(conn, key)


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _request(row: dict, on: date | None = None) -> ReleaseRequest:
    due = date.fromisoformat(row["due_on"])
    return ReleaseRequest(
        id=row["id"],
        code=row["code"],
        patient_id=row["patient_id"],
        mrn=row["mrn"],
        requester_name=row["requester_name"],
        requester_org=row["requester_org"],
        requester_address=row["requester_address"],
        requester_type=row["requester_type"],
        purpose=row["purpose"],
        basis=row["basis"],
        delivery=row["delivery"],
        received_on=date.fromisoformat(row["received_on"]),
        due_on=due,
        status=row["status"],
        status_reason=row["status_reason"],
        date_from=_date(row["date_from"]),
        date_to=_date(row["date_to"]),
        doc_types=tuple(json.loads(row["doc_types"])),
        include_sensitive=bool(row["include_sensitive"]),
        watermark=row["watermark"],
        fee_cents=row["fee_cents"],
        fee_note=row["fee_note"],
        fee_waived=bool(row["fee_waived"]),
        pages_out=row.get("pages_out", 0) or 0,
        pages_held=row.get("pages_held", 0) or 0,
        due_state=rules.due_state(due, row["status"], on or today()),
        sent_at=row["sent_at"],
    )


def _authorization(row: dict | None) -> rules.Authorization | None:
    if row is None:
        return None
    return rules.Authorization(
        signed_on=_date(row["signed_on"]),
        expires_on=_date(row["expires_on"]),
        expiry_event=row["expiry_event"],
        revoked_on=_date(row["revoked_on"]),
        elements=frozenset(row["elements"]),
        categories=frozenset(row["categories"]),
        document_id=row["document_id"],
    )


def resolve_request(session: Session, ref: str | int) -> int:
    """A request's database id from its code ('R00012') or its number ('12')."""
    session.require("release.read")
    text = str(ref).strip()
    with session.db.read() as conn:
        found = sql.request_id_by_code(conn, text)
        if found is None and text.isdigit() and sql.request(conn, int(text)) is not None:
            found = int(text)
    if found is None:
        raise NotFound("There is no release request with that number.")
    return found


def patient_id_for_mrn(session: Session, mrn: str) -> int:
    session.require("release.read")
    with session.db.read() as conn:
        found = id_by_mrn(conn, mrn.strip())
    if found is None:
        raise NotFound("No chart has that MRN.")
    return found


# --- the request log -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthorizationInput:
    """The authorization form as the release clerk checks it off."""

    signed_on: date | None = None
    expires_on: date | None = None
    expiry_event: str = ""
    revoked_on: date | None = None
    elements: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    document_id: int | None = None


def create_request(
    session: Session,
    patient_id: int,
    requester_name: str,
    purpose: str,
    *,
    requester_type: str = "other",
    basis: str | None = None,
    requester_org: str = "",
    requester_address: str = "",
    received_on: date | None = None,
    delivery: str = "paper",
    date_from: date | None = None,
    date_to: date | None = None,
    doc_types: Iterable[str] = (),
    include_sensitive: bool = False,
    watermark: str = "",
    authorization: AuthorizationInput | None = None,
    due_on: date | None = None,
) -> ReleaseRequest:
    """Log a request, record its authorization (if any) and make the first page selection.

    The due date comes from the `release.due_days` setting unless `due_on` overrides it (a
    state with a shorter deadline, or an extension the requester was told of in writing).
    """
    session.require("release.create")
    if not requester_name.strip():
        raise BadInput("Enter who is asking for the records.")
    if not purpose.strip():
        raise BadInput("Enter the purpose of the request.")
    rules.check_choice(requester_type, rules.REQUESTER_TYPES, "requester type")
    basis = basis or rules.default_basis(requester_type)
    rules.check_choice(basis, rules.BASES, "legal basis")
    rules.check_choice(delivery, rules.DELIVERIES, "delivery")
    if date_from and date_to and date_from > date_to:
        raise BadInput("The start of the date range is after its end.")
    received = received_on or today()
    if due_on is not None and due_on < received:
        raise BadInput("The due date is before the date the request was received.")
    with session.db.write() as conn:
        if get_patient_row(conn, patient_id) is None:
            raise NotFound("That chart does not exist.")
        types = sorted(rules.parse_codes(doc_types, sql.doc_type_codes(conn), "document type"))
        due = due_on or rules.due_date(received, int(setting(conn, "release.due_days")))
        request_id, code = sql.insert_request(
            conn,
            {
                "patient_id": patient_id,
                "requester_name": requester_name.strip(),
                "requester_org": requester_org.strip(),
                "requester_address": requester_address.strip(),
                "requester_type": requester_type,
                "purpose": purpose.strip(),
                "basis": basis,
                "delivery": delivery,
                "received_on": received.isoformat(),
                "due_on": due.isoformat(),
                "date_from": date_from.isoformat() if date_from else None,
                "date_to": date_to.isoformat() if date_to else None,
                "doc_types": json.dumps(types),
                "include_sensitive": int(include_sensitive),
                "watermark": watermark.strip(),
                "created_by": session.user.id,
            },
        )
        code = release_events.clinic_code(conn, request_id, code)
        if authorization is not None:
            _put_authorization(conn, session, request_id, authorization)
        _reselect(conn, request_id)
        release_events.request_created(conn, request_id)
        session.audit(
            "release.create", "release_request", code, conn=conn, patient_id=patient_id,
            requester_type=requester_type, basis=basis,
        )  # fmt: skip
    return get_request(session, request_id)


def _put_authorization(
    conn: Connection, session: Session, request_id: int, auth: AuthorizationInput
) -> None:
    sensitive = sql.sensitive_codes(conn)
    fields = {
        "document_id": auth.document_id,
        "signed_on": auth.signed_on.isoformat() if auth.signed_on else None,
        "expires_on": auth.expires_on.isoformat() if auth.expires_on else None,
        "expiry_event": auth.expiry_event.strip(),
        "revoked_on": auth.revoked_on.isoformat() if auth.revoked_on else None,
        "elements": rules.parse_codes(auth.elements, rules.CORE_ELEMENTS, "authorization element"),
        "categories": rules.parse_codes(auth.categories, sensitive, "sensitive category"),
        "recorded_by": session.user.id,
    }
    if auth.document_id is not None:
        owner = documents_sql.document_patient_id(conn, auth.document_id)
        req = sql.request(conn, request_id)
        if owner is None or req is None or owner != req["patient_id"]:
            raise BadInput("The authorization document must be in this patient's chart.")
        doc = documents_sql.document(conn, auth.document_id)
        if doc is not None and doc.get("voided_at"):
            raise BadInput("That authorization document was voided; choose the current one.")
    sql.put_authorization(conn, request_id, fields)


def record_authorization(session: Session, request_id: int, auth: AuthorizationInput) -> None:
    """Attach (or correct) the signed authorization, then re-run the selection under it."""
    session.require("release.create")
    with session.db.write() as conn:
        req = _open_request(conn, request_id)
        before = release_events.snapshot(conn, request_id)
        _put_authorization(conn, session, request_id, auth)
        _reselect(conn, request_id)
        release_events.request_changed(conn, request_id, before)
        session.audit(
            "release.authorization", "release_request", req["code"], conn=conn,
            elements=len(auth.elements), categories=sorted(auth.categories),
        )  # fmt: skip


def suggest_authorization_document(session: Session, patient_id: int) -> int | None:
    """The newest roi_authorization document in the chart, for the clerk to confirm.

    Only a suggestion: attaching a form silently could tie a release to the wrong signature.
    """
    session.require("release.read")
    with session.db.read() as conn:
        return sql.latest_authorization_document(conn, patient_id)


def get_authorization(session: Session, request_id: int) -> rules.Authorization | None:
    session.require("release.read")
    with session.db.read() as conn:
        return _authorization(sql.authorization(conn, request_id))


def _open_request(conn: Connection, request_id: int) -> dict:
    req = sql.request(conn, request_id)
    if req is None:
        raise NotFound("There is no release request with that number.")
    if req["status"] not in rules.OPEN_STATUSES:
        raise BadInput(f"The request is already '{req['status']}' and can no longer change.")
    return req


def get_request(session: Session, request_id: int) -> ReleaseRequest:
    session.require("release.read")
    with session.db.read() as conn:
        rows = sql.list_requests(conn, request_id=request_id)
    if not rows:
        raise NotFound("There is no release request with that number.")
    return _request(rows[0])


def list_requests(
    session: Session, statuses: Iterable[str] | None = None, patient_id: int | None = None
) -> list[ReleaseRequest]:
    """The request log, soonest due first."""
    session.require("release.read")
    with session.db.read() as conn:
        return [_request(r) for r in sql.list_requests(conn, statuses, patient_id)]


def due_list(session: Session, on: date | None = None) -> list[ReleaseRequest]:
    """Open requests that are overdue or due within `release.due_soon_days`."""
    session.require("release.read")
    on = on or today()
    with session.db.read() as conn:
        soon = int(setting(conn, "release.due_soon_days"))
        rows = sql.list_requests(conn, rules.OPEN_STATUSES)
    out = [_request(row, on) for row in rows]
    return [r for r in out if rules.due_state(r.due_on, r.status, on, soon) != "on_time"]


def set_status(session: Session, request_id: int, status: str, reason: str = "") -> None:
    """Move a request along the log (start work, deny, cancel). Sending is `send_request`."""
    session.require("release.create")
    if status == "sent":
        raise BadInput("Use 'send' to mark a release as sent: it checks the release first.")
    with session.db.write() as conn:
        req = sql.request(conn, request_id)
        if req is None:
            raise NotFound("There is no release request with that number.")
        rules.check_transition(req["status"], status, reason)
        sql.set_status(conn, request_id, status, reason.strip())
        release_events.status_changed(
            conn, request_id, req["status"], status, reason.strip(), session.user
        )
        session.audit("release." + status, "release_request", req["code"], conn=conn)


def waive_fee(session: Session, request_id: int, waived: bool = True) -> None:
    session.require("release.create")
    with session.db.write() as conn:
        req = _open_request(conn, request_id)
        before = release_events.snapshot(conn, request_id)
        sql.set_fee(conn, request_id, req["fee_cents"] or 0, req["fee_note"], waived)
        release_events.request_changed(conn, request_id, before)
        session.audit("release.fee_waived", "release_request", req["code"], conn=conn)


# --- selection -----------------------------------------------------------------------------


def reselect_open_requests(conn: Connection, patient_ids: Iterable[int]) -> int:
    """Re-run the page selection of every open request of these charts, inside the caller's
    transaction: a document moved out of a chart or voided must not stay in a packet that has
    not gone out yet (and one moved in joins it). Returns how many requests were re-selected."""
    ids = [
        r["id"]
        for pid in sorted(set(patient_ids))
        for r in sql.list_requests(conn, rules.OPEN_STATUSES, pid)
    ]
    for request_id in ids:
        _reselect(conn, request_id)
    return len(ids)


def _reselect(conn: Connection, request_id: int, on: date | None = None) -> None:
    """Recompute which pages go out and the fee; called after anything the choice rests on."""
    req = sql.request(conn, request_id)
    assert req is not None
    on = on or today()
    types = frozenset(json.loads(req["doc_types"]))
    date_from, date_to = _date(req["date_from"]), _date(req["date_to"])
    candidates = [
        rules.Candidate(
            r["page_id"],
            r["document_id"],
            r["doc_type"],
            _date(r["doc_date"]),
            bool(r["sensitive"]),
        )
        for r in sql.candidate_pages(conn, req["patient_id"])
    ]
    candidates = [
        c
        for c in candidates
        if rules.in_scope(c.doc_type, c.doc_date, date_from=date_from, date_to=date_to, types=types)
    ]
    decisions = rules.decide_pages(
        candidates,
        _authorization(sql.authorization(conn, request_id)),
        on,
        include_sensitive=bool(req["include_sensitive"]),
        excluded=sql.exclusions(conn, request_id),
    )
    sql.replace_selection(
        conn,
        request_id,
        ((d.page_id, d.document_id, d.included, d.reason, d.reason_code) for d in decisions),
    )
    schedule = rules.FeeSchedule(
        per_page_cents=int(setting(conn, "release.fee_per_page_cents")),
        base_cents=int(setting(conn, "release.fee_base_cents")),
        patient_electronic_flat_cents=int(setting(conn, "release.fee_patient_electronic_cents")),
    )
    fee = rules.compute_fee(
        schedule,
        basis=req["basis"],
        requester_type=req["requester_type"],
        delivery=req["delivery"],
        pages=sum(1 for d in decisions if d.included),
    )
    sql.set_fee(conn, request_id, fee.cents, fee.basis, bool(req["fee_waived"]))
    if req["status"] == "new" and decisions:
        sql.set_status(conn, request_id, "in_progress")


def reselect_in(conn: Connection, request_id: int) -> None:
    """Re-run the selection inside the caller's write transaction: a change to the request
    arrived from another PC of the clinic (``sync/releases.py``)."""
    _reselect(conn, request_id)


def reselect(session: Session, request_id: int) -> list[SelectedPage]:
    """Re-run the selection (e.g. after pages were filed into the chart)."""
    session.require("release.create")
    with session.db.write() as conn:
        _open_request(conn, request_id)
        _reselect(conn, request_id)
    return get_selection(session, request_id)


def set_scope(
    session: Session,
    request_id: int,
    *,
    date_from: date | None,
    date_to: date | None,
    doc_types: Iterable[str],
    include_sensitive: bool,
) -> list[SelectedPage]:
    """Change the date range and document types asked for, and re-select."""
    session.require("release.create")
    if date_from and date_to and date_from > date_to:
        raise BadInput("The start of the date range is after its end.")
    with session.db.write() as conn:
        req = _open_request(conn, request_id)
        types = sorted(rules.parse_codes(doc_types, sql.doc_type_codes(conn), "document type"))
        before = release_events.snapshot(conn, request_id)
        sql.set_scope(
            conn,
            request_id,
            date_from.isoformat() if date_from else None,
            date_to.isoformat() if date_to else None,
            types,
            include_sensitive,
        )
        _reselect(conn, request_id)
        release_events.request_changed(conn, request_id, before)
        session.audit("release.scope", "release_request", req["code"], conn=conn)
    return get_selection(session, request_id)


def exclude_page(session: Session, request_id: int, page_id: int, note: str | None) -> None:
    """Leave one page out by hand ("minimum necessary"), or put it back with note=None."""
    session.require("release.create")
    with session.db.write() as conn:
        req = _open_request(conn, request_id)
        before = release_events.snapshot(conn, request_id)
        sql.set_exclusion(conn, request_id, page_id, None if note is None else note.strip())
        _reselect(conn, request_id)
        release_events.request_changed(conn, request_id, before)
        session.audit(
            "release.exclude" if note is not None else "release.include",
            "release_request", req["code"], conn=conn, page_id=page_id,
        )  # fmt: skip


def get_selection(session: Session, request_id: int) -> list[SelectedPage]:
    session.require("release.read")
    with session.db.read() as conn:
        rows = sql.selection(conn, request_id)
    return [
        SelectedPage(
            r["position"],
            r["page_id"],
            r["document_id"],
            r["doc_type"],
            r["label"],
            _date(r["doc_date"]),
            bool(r["included"]),
            r["reason"],
            r["reason_code"],
        )
        for r in rows
    ]


def send_blockers(session: Session, request_id: int, on: date | None = None) -> list[str]:
    """Every reason the request cannot go out today (shown before the clerk presses Send)."""
    session.require("release.read")
    with session.db.read() as conn:
        return _blockers(conn, request_id, on or today())


def _blockers(conn: Connection, request_id: int, on: date) -> list[str]:
    req = sql.request(conn, request_id)
    if req is None:
        raise NotFound("There is no release request with that number.")
    chosen = [r for r in sql.selection(conn, request_id) if r["included"]]
    return rules.send_blockers(
        basis=req["basis"],
        status=req["status"],
        authorization=_authorization(sql.authorization(conn, request_id)),
        sensitive_out={r["doc_type"] for r in chosen if r["sensitive"]},
        page_count=len(chosen),
        on=on,
        always_require_authorization=bool(setting(conn, "release.require_authorization_always")),
    )


# --- the packet ----------------------------------------------------------------------------


def build_packet(
    session: Session,
    request_id: int,
    out: BinaryIO,
    progress: Callable[[int], None] | None = None,
) -> PacketResult:
    """Write the packet PDF (letter, index, Bates-stamped pages) to `out`, page by page.

    One audit entry for the packet, not one per page: the packet is one act of disclosure
    preparation, and 500 separate synchronous audit writes would dominate the time taken.
    A packet for a request that could not be sent today is watermarked as a draft.
    """
    session.require("release.create")
    with session.db.read() as conn:
        req = sql.request(conn, request_id)
        if req is None:
            raise NotFound("There is no release request with that number.")
        spec, pages, count = _packet_inputs(conn, session, req)
        spec, travelling = _with_amendments(conn, spec, pages)
        draft = req["status"] != "sent" and bool(_blockers(conn, request_id, today()))
    if draft:
        # A packet that could not be sent today is marked on every page, so a printout
        # made for review cannot pass for the real release.
        mark = "DRAFT - NOT FOR RELEASE"
        spec = replace(spec, watermark=f"{mark} {spec.watermark}".strip())
    # the page access rule for every page going out, and the packet's one audit row
    page_access.open_pages(
        session,
        [p["page_id"] for p in pages],
        "release.packet",
        "release_request",
        req["code"],
        pages=count,
        draft=draft,
    )
    store = session.pages

    packet_pages = (
        PacketPage(
            load=(lambda b=p["blob_id"], h=p["sha256"]: store.get(b, h)),
            rotation=p["rotation"],
            dpi=p["dpi"],
            part2=p["doc_type"] == "substance_use",
        )
        for p in pages
    )
    return write_packet(out, spec, _enclose_after(packet_pages, pages, travelling), progress)


def _enclose_after(
    packet_pages: Iterable[PacketPage], pages: list[dict], travelling: dict
) -> Iterator[PacketPage | PacketTextPage]:
    """The pages in order, each document's travelling text right after its last page."""
    for i, page in enumerate(packet_pages):
        yield page
        doc = pages[i]["document_id"]
        last_of_document = i + 1 == len(pages) or pages[i + 1]["document_id"] != doc
        if last_of_document and doc in travelling:
            yield PacketTextPage(travelling[doc])


def _with_amendments(
    conn: Connection, spec: PacketSpec, pages: list[dict]
) -> tuple[PacketSpec, dict[int, tuple[LetterLine, ...]]]:
    """Amendments and statements of disagreement that go out right after their document
    (45 CFR 164.526(c)(3), (d)(5)), and the index counting their pages."""
    from clinicrecords.records.amendments import travelling_text

    order = list(dict.fromkeys(p["document_id"] for p in pages))
    texts = travelling_text(conn, order)
    if not texts:
        return spec, {}
    travelling = {
        doc: tuple(
            LetterLine(t[3:], bold=True) if t.startswith("## ") else LetterLine(t) for t in lines
        )
        for doc, lines in texts.items()
    }
    index = list(spec.index)
    for n, doc in enumerate(order):
        if doc in travelling and n < len(index):
            extra = len(text_pages(travelling[doc]))
            e = index[n]
            index[n] = IndexEntry(f"{e.label} + amendment/statement", e.doc_date, e.pages + extra)
    return replace(spec, index=index), travelling


def _packet_inputs(
    conn: Connection, session: Session, req: dict
) -> tuple[PacketSpec, list[dict], int]:
    patient = get_patient_row(conn, req["patient_id"])
    assert patient is not None
    selection = sql.selection(conn, req["id"])
    chosen = [r for r in selection if r["included"]]
    held = [r for r in selection if not r["included"]]
    pages = list(sql.iter_included_pages(conn, req["id"]))
    index: list[IndexEntry] = []
    last_doc = None
    for r in chosen:
        if r["document_id"] != last_doc:
            label = r["label"] + (f": {r['title']}" if r["title"] else "")
            index.append(IndexEntry(label, r["doc_date"] or "", 0))
            last_doc = r["document_id"]
        index[-1] = IndexEntry(index[-1].label, index[-1].doc_date, index[-1].pages + 1)
    data_dir = getattr(session.store, "data_dir", None)
    part2 = any(r["doc_type"] == "substance_use" for r in chosen)
    notice = (
        letters.notice_lines(letters.template_text(letters.PART2_NOTICE, data_dir)) if part2 else []
    )
    values = {
        "today": today().isoformat(),
        "request_id": req["code"],
        "received_on": req["received_on"],
        "patient_name": patient.display_name,
        "patient_dob": patient.dob.isoformat(),
        "purpose": req["purpose"],
        "requester_name": req["requester_name"],
        "requester_organisation": req["requester_org"],
        "requester_address": req["requester_address"],
        "enclosed": _enclosed_summary(chosen),
        "enclosed_pages": str(len(chosen)),
        "withheld": letters.withheld_sentence(
            any(r["reason_code"].startswith("sensitive") for r in held),
            any(r["reason_code"] == "excluded" for r in held),
        ),
        "fee": "waived" if req["fee_waived"] else _money(req["fee_cents"] or 0),
        "fee_note": "" if req["fee_waived"] else req["fee_note"],
        "clinic_name": setting(conn, "clinic.name") or "",
        "clinic_phone": setting(conn, "clinic.phone") or "",
        "released_by": session.user.full_name or session.user.username,
    }
    letter = letters.render_letter(letters.template_text(letters.COVER_LETTER, data_dir), values)
    spec = PacketSpec(
        bates_prefix=req["code"],
        letterhead=Letterhead(
            setting(conn, "clinic.name") or "",
            setting(conn, "clinic.address") or "",
            setting(conn, "clinic.phone") or "",
        ),
        letter=letter,
        index=index,
        watermark=req["watermark"],
        title=f"Release {req['code']}",
        notice=notice,
    )
    return spec, pages, len(pages)


def _enclosed_summary(chosen: list[dict]) -> str:
    """One line per document type: how many documents and pages, over which dates."""
    groups: dict[str, dict] = {}
    for r in chosen:
        g = groups.setdefault(r["label"], {"docs": set(), "pages": 0, "dates": []})
        g["docs"].add(r["document_id"])
        g["pages"] += 1
        if r["doc_date"]:
            g["dates"].append(r["doc_date"])
    if not groups:
        return "- No pages are enclosed."
    lines = []
    for label, g in groups.items():
        docs = len(g["docs"])
        span = ""
        if g["dates"]:
            lo, hi = min(g["dates"]), max(g["dates"])
            span = f", {lo}" if lo == hi else f", {lo} to {hi}"
        lines.append(
            f"- {label}: {docs} document{'s' if docs != 1 else ''}, "
            f"{g['pages']} page{'s' if g['pages'] != 1 else ''}{span}"
        )
    return "\n".join(lines)


def _money(cents: int) -> str:
    return f"${cents // 100}.{cents % 100:02d}"


# --- sending -------------------------------------------------------------------------------


def send_request(session: Session, request_id: int, on: date | None = None) -> int:
    """Mark the release as sent and write it to the accounting of disclosures.

    The rules are checked again here, at the moment of sending: an authorization may have
    expired or been revoked since the pages were chosen. Returns the disclosure's id.
    """
    session.require("release.send")
    on = on or today()
    with session.db.write() as conn:
        req = sql.request(conn, request_id)
        if req is None:
            raise NotFound("There is no release request with that number.")
        blockers = _blockers(conn, request_id, on)
        if blockers:
            raise BadInput("This release cannot be sent yet: " + " ".join(blockers))
        chosen = [r for r in sql.selection(conn, request_id) if r["included"]]
        if req["status"] == "new":
            sql.set_status(conn, request_id, "in_progress")
        sql.set_status(conn, request_id, "sent", sent_by=session.user.id)
        recipient = ", ".join(p for p in (req["requester_name"], req["requester_org"]) if p)
        disclosure_id = sql.insert_disclosure(
            conn,
            {
                "request_id": request_id,
                "patient_id": req["patient_id"],
                "disclosed_on": on.isoformat(),
                "recipient": recipient,
                "recipient_address": req["requester_address"],
                "purpose": req["purpose"],
                "basis": req["basis"],
                "description": _enclosed_summary(chosen).replace("- ", "").replace("\n", "; "),
                "pages": len(chosen),
                "in_accounting": rules.in_legal_accounting(req["basis"]),
                "sent_by": session.user.id,
            },
        )
        release_events.sent(conn, request_id, req["status"], disclosure_id, session.user)
        session.audit(
            "release.send", "release_request", req["code"], conn=conn,
            patient_id=req["patient_id"], pages=len(chosen), disclosure_id=disclosure_id,
        )  # fmt: skip
    return disclosure_id
