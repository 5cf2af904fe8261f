"""``release create|authorize|show|exclude|include|status|pdf|send|list|due|accounting``."""

from __future__ import annotations

import argparse
import os
from datetime import date
from pathlib import Path

from clinicrecords.clinic.settings import get_setting
from clinicrecords.commands import CommandContext, add_common
from clinicrecords.common import oscompat
from clinicrecords.common.errors import BadInput
from clinicrecords.release import accounting as acct
from clinicrecords.release import rules, service
from clinicrecords.release.model import ReleaseRequest, SelectedPage


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _add_auth_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("signed authorization (as checked off by the release clerk)")
    g.add_argument("--auth-signed", type=_day, metavar="DATE", help="date the form was signed")
    g.add_argument("--auth-expires", type=_day, metavar="DATE", help="expiry date on the form")
    g.add_argument("--auth-event", default="", metavar="TEXT", help="expiry event on the form")
    g.add_argument("--auth-revoked", type=_day, metavar="DATE", help="date the patient revoked it")
    g.add_argument(
        "--auth-elements", default="", metavar="CODES",
        help=f"core elements present: 'all' or some of {','.join(rules.CORE_ELEMENTS)}",
    )  # fmt: skip
    g.add_argument(
        "--auth-categories", default="", metavar="CODES",
        help="sensitive categories the form names explicitly ('all' or e.g. mental_health)",
    )  # fmt: skip
    g.add_argument("--auth-document", type=int, metavar="DOC_ID",
                   help="the scanned form in the chart (an roi_authorization document)")  # fmt: skip


def _auth_input(args: argparse.Namespace) -> service.AuthorizationInput | None:
    given = (
        args.auth_signed, args.auth_expires, args.auth_event, args.auth_revoked,
        args.auth_elements, args.auth_categories, args.auth_document,
    )  # fmt: skip
    if not any(given):
        return None
    return service.AuthorizationInput(
        signed_on=args.auth_signed,
        expires_on=args.auth_expires,
        expiry_event=args.auth_event,
        revoked_on=args.auth_revoked,
        elements=frozenset(c for c in args.auth_elements.split(",") if c.strip()),
        categories=frozenset(c for c in args.auth_categories.split(",") if c.strip()),
        document_id=args.auth_document,
    )


def register(sub: argparse._SubParsersAction) -> None:
    rel = sub.add_parser("release", help="release of information").add_subparsers(
        dest="release_cmd", metavar="ACTION"
    )
    p = add_common(rel.add_parser("create", help="log a request and select its pages"))
    p.add_argument("--patient", required=True, metavar="MRN")
    p.add_argument("--requester", required=True, metavar="TEXT", help="who asks (a name)")
    p.add_argument("--purpose", required=True, metavar="TEXT")
    p.add_argument("--requester-type", default="other", choices=rules.REQUESTER_TYPES)
    p.add_argument("--organisation", "--org", default="", metavar="TEXT")
    p.add_argument("--address", default="", metavar="TEXT", help="requester's address")
    p.add_argument(
        "--basis", choices=tuple(rules.BASES), default=None,
        help="legal basis (default from the requester type: patient=individual, "
        "provider=treatment, insurer=payment, else authorization)",
    )  # fmt: skip
    p.add_argument("--received", type=_day, metavar="DATE", help="date received (default today)")
    p.add_argument("--delivery", choices=rules.DELIVERIES, default="paper")
    p.add_argument("--from", dest="date_from", type=_day, metavar="DATE")
    p.add_argument("--to", dest="date_to", type=_day, metavar="DATE")
    p.add_argument("--types", default="", metavar="CODES", help="document types, comma-separated")
    p.add_argument("--include-sensitive", action="store_true",
                   help="the request asks for sensitive records (they still need an "
                   "authorization naming their category)")  # fmt: skip
    p.add_argument("--watermark", default="", metavar="TEXT")
    _add_auth_options(p)
    p.set_defaults(handler=run_create)

    p = add_common(rel.add_parser("authorize", help="record the signed authorization"))
    p.add_argument("id", metavar="ID")
    _add_auth_options(p)
    p.set_defaults(handler=run_authorize)

    p = add_common(rel.add_parser("show", help="a request, its pages and what blocks sending"))
    p.add_argument("id", metavar="ID")
    p.set_defaults(handler=run_show)

    for name, helptext in (("exclude", "leave a page out by hand"), ("include", "put it back")):
        p = add_common(rel.add_parser(name, help=helptext))
        p.add_argument("id", metavar="ID")
        p.add_argument("page_id", type=int, metavar="PAGE_ID")
        if name == "exclude":
            p.add_argument("--note", default="", help="why it is not needed")
        p.set_defaults(handler=run_exclude, include_back=name == "include")

    p = add_common(rel.add_parser("status", help="start work on, deny or cancel a request"))
    p.add_argument("id", metavar="ID")
    p.add_argument("status", choices=("in_progress", "denied", "cancelled"))
    p.add_argument("--reason", default="")
    p.set_defaults(handler=run_status)

    p = add_common(rel.add_parser("pdf", help="write the release packet"))
    p.add_argument("id", metavar="ID")
    p.add_argument("--out", required=True, type=Path, metavar="FILE")
    p.set_defaults(handler=run_pdf)

    p = add_common(rel.add_parser("send", help="mark as sent and record the disclosure"))
    p.add_argument("id", metavar="ID")
    p.add_argument("--date", type=_day, metavar="DATE", help="date sent (default today)")
    p.set_defaults(handler=run_send)

    p = add_common(rel.add_parser("list", help="the request log"))
    p.add_argument("--status", action="append", choices=rules.STATUSES)
    p.add_argument("--patient", metavar="MRN")
    p.set_defaults(handler=run_list)

    p = add_common(rel.add_parser("due", help="open requests overdue or due soon"))
    p.set_defaults(handler=run_due)

    p = add_common(rel.add_parser("accounting", help="a patient's accounting of disclosures"))
    p.add_argument("--patient", required=True, metavar="MRN")
    p.add_argument("--all", action="store_true",
                   help="show every disclosure, not only those the law requires")  # fmt: skip
    p.add_argument("--pdf", type=Path, metavar="FILE", help="also write the report as a PDF")
    p.set_defaults(handler=run_accounting)


def _line(r: ReleaseRequest) -> str:
    due = f" [{r.due_state.replace('_', ' ')}]" if r.due_state not in ("", "on_time") else ""
    return (
        f"{r.code}  {r.status:11} due {r.due_on}{due}  MRN {r.mrn}  {r.requester_type:8} "
        f"pages {r.pages_out} out / {r.pages_held} held"
    )


def _held(selection: list[SelectedPage]) -> list[dict]:
    return [s.to_json() for s in selection if not s.included]


def run_create(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    req = service.create_request(
        session,
        service.patient_id_for_mrn(session, args.patient),
        args.requester,
        args.purpose,
        requester_type=args.requester_type,
        basis=args.basis,
        requester_org=args.organisation,
        requester_address=args.address.replace("\\n", "\n"),
        received_on=args.received,
        delivery=args.delivery,
        date_from=args.date_from,
        date_to=args.date_to,
        doc_types=args.types,
        include_sensitive=args.include_sensitive,
        watermark=args.watermark,
        authorization=_auth_input(args),
    )
    selection = service.get_selection(session, req.id)
    blockers = service.send_blockers(session, req.id)
    held = _held(selection)
    text = [
        f"Request {req.code} logged, due {req.due_on}: {req.pages_out} pages selected, "
        f"{len(held)} held back. Fee {req.fee_display}."
    ]
    text += [f"  held back page {h['page_id']}: {h['reason']}" for h in held]
    text += [f"  before sending: {b}" for b in blockers]
    ctx.emit(
        {
            "request_id": req.code,
            "pages": req.pages_out,
            "held_back": held,
            "due_on": req.due_on.isoformat(),
            "status": req.status,
            "basis": req.basis,
            "fee_cents": 0 if req.fee_waived else req.fee_cents,
            "blockers": blockers,
        },
        "\n".join(text),
    )
    return 0


def run_authorize(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    request_id = service.resolve_request(session, args.id)
    auth = _auth_input(args)
    if auth is None:
        raise BadInput("Give the authorization's details (--auth-signed, --auth-expires, ...).")
    service.record_authorization(session, request_id, auth)
    return run_show(args, ctx)


def run_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    request_id = service.resolve_request(session, args.id)
    req = service.get_request(session, request_id)
    selection = service.get_selection(session, request_id)
    blockers = service.send_blockers(session, request_id)
    auth = service.get_authorization(session, request_id)
    text = [_line(req), f"  purpose: {req.purpose}  basis: {req.basis}  fee: {req.fee_display}"]
    if auth is not None:
        text.append(
            f"  authorization: signed {auth.signed_on}, expires {auth.expires_on or auth.expiry_event}"
            f", missing elements: {', '.join(auth.missing_elements) or 'none'}"
        )
    text += [
        f"  page {s.page_id} ({s.doc_label}, {s.doc_date or 'undated'}): "
        + ("goes out" if s.included else f"held back - {s.reason}")
        for s in selection
    ]
    text += [f"  before sending: {b}" for b in blockers] or ["  ready to send"]
    ctx.emit(
        {
            **req.to_json(),
            "pages": [s.to_json() for s in selection],
            "held_back": _held(selection),
            "blockers": blockers,
            "authorization": None
            if auth is None
            else {
                "signed_on": auth.signed_on.isoformat() if auth.signed_on else None,
                "expires_on": auth.expires_on.isoformat() if auth.expires_on else None,
                "expiry_event": auth.expiry_event,
                "revoked_on": auth.revoked_on.isoformat() if auth.revoked_on else None,
                "elements": sorted(auth.elements),
                "missing_elements": list(auth.missing_elements),
                "categories": sorted(auth.categories),
                "document_id": auth.document_id,
            },
        },
        "\n".join(text),
    )
    return 0


def run_exclude(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    request_id = service.resolve_request(session, args.id)
    note = None if args.include_back else args.note
    service.exclude_page(session, request_id, args.page_id, note)
    return run_show(args, ctx)


def run_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    request_id = service.resolve_request(session, args.id)
    service.set_status(session, request_id, args.status, args.reason)
    req = service.get_request(session, request_id)
    ctx.emit({"request_id": req.code, "status": req.status}, _line(req))
    return 0


def run_pdf(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    request_id = service.resolve_request(session, args.id)
    out: Path = args.out
    tmp = out.with_name(out.name + ".part")
    # Written under a temporary name and renamed when complete: a half-written packet
    # never lies where someone might print or send it.
    try:
        with open(tmp, "wb") as fh:
            result = service.build_packet(session, request_id, fh)
            fh.flush()
            os.fsync(fh.fileno())
        oscompat.replace(tmp, out)
    except OSError as exc:
        from clinicrecords.common.errors import cannot_write

        raise cannot_write("the release packet", exc) from None
    finally:
        tmp.unlink(missing_ok=True)
    ctx.emit(
        {
            "request_id": result.first_bates.rsplit("-", 1)[0],
            "file": str(out),
            "pages": result.pages,
            "front_pages": result.front_pages,
            "first_bates": result.first_bates,
            "last_bates": result.last_bates,
        },
        f"Wrote {out}: {result.pages} pages, {result.first_bates} to {result.last_bates}.",
    )
    return 0


def run_send(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    request_id = service.resolve_request(session, args.id)
    disclosure_id = service.send_request(session, request_id, args.date)
    req = service.get_request(session, request_id)
    ctx.emit(
        {"request_id": req.code, "status": req.status, "disclosure_id": disclosure_id,
         "pages": req.pages_out},
        f"{req.code} sent ({req.pages_out} pages) and recorded in the accounting of disclosures.",
    )  # fmt: skip
    return 0


def run_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    patient_id = service.patient_id_for_mrn(session, args.patient) if args.patient else None
    rows = service.list_requests(session, args.status, patient_id)
    ctx.emit(
        {"requests": [r.to_json() for r in rows]},
        "\n".join(_line(r) for r in rows) or "No release requests.",
    )
    return 0


def run_due(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = service.due_list(ctx.session())
    ctx.emit(
        {"requests": [r.to_json() for r in rows]},
        "\n".join(_line(r) for r in rows) or "Nothing is overdue or due soon.",
    )
    return 0


def run_accounting(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    patient_id = service.patient_id_for_mrn(session, args.patient)
    report = acct.accounting(session, patient_id, include_all=args.all)
    if args.pdf:
        clinic = str(get_setting(session, "clinic.name") or "")
        try:
            acct.write_accounting_pdf(report, args.pdf, clinic)
        except OSError as exc:
            from clinicrecords.common.errors import cannot_write

            raise cannot_write("the accounting PDF", exc) from None
    text = [f"Accounting of disclosures {report.since} to {report.until}:"]
    text += [
        f"  {d.disclosed_on}  {d.request_code}  {d.recipient}  {d.purpose}  {d.pages} pages"
        + ("" if d.in_accounting else "  (not in the legal accounting)")
        for d in report.shown
    ] or ["  none"]
    ctx.emit(report.to_json(), "\n".join(text))
    return 0
