"""``retention policy list | policy set | due | hold | release-hold | dispose`` and
``amend request | list | show | extend | decide | disagree | letter``: the records lifecycle
(retention with legal holds and certificates of destruction; amendments under 164.526)."""

from __future__ import annotations

import argparse
from pathlib import Path

from clinicrecords.commands import CommandContext, add_common
from clinicrecords.records import amendments, retention
from clinicrecords.registry.patients import patient_id_by_mrn


def register(sub: argparse._SubParsersAction) -> None:
    ret = sub.add_parser(
        "retention", help="retention schedule, legal holds, disposal with a certificate"
    ).add_subparsers(dest="retention_cmd", metavar="ACTION", required=True)
    pol = ret.add_parser("policy", help="how long each document type is kept").add_subparsers(
        dest="policy_cmd", metavar="ACTION", required=True
    )
    p = add_common(pol.add_parser("list", help="every document type and its period"))
    p.set_defaults(handler=run_policy_list)
    p = add_common(pol.add_parser("set", help="set a type's period (administrators)"))
    p.add_argument("doc_type", metavar="TYPE")
    p.add_argument("--years", type=int, required=True, help="years after the date of service")
    p.add_argument(
        "--minor-years", type=int, default=None, metavar="N",
        help="for a patient who was a minor: years after the age of majority",
    )  # fmt: skip
    p.set_defaults(handler=run_policy_set)

    p = add_common(ret.add_parser("due", help="documents whose retention period has ended"))
    p.set_defaults(handler=run_due)

    p = add_common(ret.add_parser("hold", help="place a legal hold on a chart"))
    p.add_argument("mrn", metavar="MRN")
    p.add_argument("--reason", required=True, help="the case or matter")
    p.set_defaults(handler=run_hold)

    p = add_common(ret.add_parser("release-hold", help="release a chart's legal hold(s)"))
    p.add_argument("mrn", metavar="MRN")
    p.add_argument("--reason", default="", help="why (the matter closed, ...)")
    p.set_defaults(handler=run_release_hold)

    p = add_common(ret.add_parser("holds", help="charts under a legal hold"))
    p.set_defaults(handler=run_holds)

    p = add_common(
        ret.add_parser("dispose", help="destroy every due document and write the certificate")
    )
    p.add_argument("--certificate", required=True, type=Path, metavar="FILE.pdf")
    p.set_defaults(handler=run_dispose)

    am = sub.add_parser("amend", help="a patient's request to amend (45 CFR 164.526)")
    amc = am.add_subparsers(dest="amend_cmd", metavar="ACTION", required=True)
    p = add_common(amc.add_parser("request", help="log a request to amend"))
    p.add_argument("mrn", metavar="MRN")
    p.add_argument("--document", type=int, metavar="DOC_ID", help="the document concerned")
    p.add_argument("--text", required=True, help="what the patient asks to change")
    p.set_defaults(handler=run_request)

    p = add_common(amc.add_parser("list", help="requests with their due dates"))
    p.add_argument("--patient", metavar="MRN")
    p.add_argument("--open", action="store_true", help="only those not decided yet")
    p.set_defaults(handler=run_list)

    p = add_common(amc.add_parser("extend", help="the one 30-day extension, with a notice"))
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--reason", required=True, help="why (the patient is told)")
    p.add_argument("--letter", type=Path, metavar="FILE.pdf", help="write the notice")
    p.set_defaults(handler=run_extend)

    p = add_common(amc.add_parser("decide", help="accept or deny a request"))
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("decision", choices=("accept", "deny"))
    p.add_argument("--reason", required=True)
    p.add_argument(
        "--notify", action="append", default=[], metavar="NAME",
        help="accept: a person the patient names to be told (repeatable)",
    )  # fmt: skip
    p.add_argument("--letter", type=Path, metavar="FILE.pdf", help="deny: write the letter")
    p.set_defaults(handler=run_decide)

    p = add_common(amc.add_parser("disagree", help="store the statement of disagreement"))
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--text", required=True, help="the patient's statement")
    p.set_defaults(handler=run_disagree)

    p = add_common(amc.add_parser("letter", help="print a denied request's letter again"))
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
    p.set_defaults(handler=run_letter)


# --- retention -----------------------------------------------------------------------------


def run_policy_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = retention.list_policies(ctx.session())
    ctx.emit(
        {
            "policies": [
                {
                    "type": p.doc_type,
                    "label": p.label,
                    "years": p.years,
                    "minor_years": p.minor_years,
                    "default": not p.own,
                }
                for p in rows
            ],
            "note": retention.STATE_LAW_NOTE,
        },  # fmt: skip
        "\n".join(
            f"{p.doc_type:20} {p.years:3} years; minors {p.minor_years} years after majority"
            f"{'' if p.own else '  (default)'}"
            for p in rows
        )
        + f"\n{retention.STATE_LAW_NOTE}",
    )
    return 0


def run_policy_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    p = retention.set_policy(ctx.session(), args.doc_type, args.years, args.minor_years)
    ctx.emit(
        {"type": p.doc_type, "years": p.years, "minor_years": p.minor_years},
        f"{p.doc_type}: kept {p.years} years; minors {p.minor_years} years after majority.",
    )
    return 0


def _due_json(d: retention.DueDocument) -> dict:
    return {
        "document_id": d.document_id,
        "mrn": d.mrn,
        "type": d.doc_type,
        "date": d.doc_date.isoformat() if d.doc_date else None,
        "keep_until": d.keep_until.isoformat(),
        "pages": d.pages,
        "policy": d.policy,
    }


def run_due(args: argparse.Namespace, ctx: CommandContext) -> int:
    r = retention.due(ctx.session())
    lines = [
        f"#{d.document_id}  {d.mrn}  {d.doc_type}  {d.doc_date or 'undated'}  "
        f"kept until {d.keep_until}"
        for d in r.documents
    ]
    lines.append(
        f"{len(r.documents)} document(s) due; {r.held} more under a legal hold; "
        f"{r.in_release} in a release not yet sent; {r.unshared} not yet sent to the clinic "
        "server."
    )
    ctx.emit(
        {
            "documents": [_due_json(d) for d in r.documents],
            "held": r.held,
            "in_release": r.in_release,
            "unshared": r.unshared,
        },
        "\n".join(lines),
    )
    return 0


def run_hold(args: argparse.Namespace, ctx: CommandContext) -> int:
    h = retention.place_hold_by_mrn(ctx.session(), args.mrn, args.reason)
    ctx.emit(
        {"hold_id": h.id, "mrn": h.mrn, "since": h.placed_at, "by": h.placed_by},
        f"Legal hold {h.id} placed; nothing in the chart will be destroyed until released.",
    )
    return 0


def run_release_hold(args: argparse.Namespace, ctx: CommandContext) -> int:
    n = retention.release_hold_by_mrn(ctx.session(), args.mrn, args.reason)
    ctx.emit({"released": n}, f"{n} legal hold(s) released.")
    return 0


def run_holds(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = retention.holds(ctx.session())
    ctx.emit(
        {
            "holds": [
                {
                    "hold_id": h.id,
                    "mrn": h.mrn,
                    "reason": h.reason,
                    "by": h.placed_by,
                    "since": h.placed_at,
                }
                for h in rows
            ]
        },  # fmt: skip
        "\n".join(f"{h.id}  {h.mrn}  since {h.placed_at[:10]}  {h.reason}" for h in rows)
        or "No chart is under a legal hold.",
    )
    return 0


def run_dispose(args: argparse.Namespace, ctx: CommandContext) -> int:
    r = retention.dispose(ctx.session(), args.certificate)
    ctx.emit(
        {
            "certificate_id": r.certificate_id,
            "certificate": str(r.certificate),
            "documents": [_due_json(d) for d in r.documents],
            "pages": r.pages,
            "objects_removed": r.objects_removed,
            "originals_kept": r.originals_kept,
        },
        f"Destroyed {len(r.documents)} document(s), {r.pages} page(s); certificate of "
        f"destruction {r.certificate_id} written.",
    )
    return 0


# --- amendments ----------------------------------------------------------------------------


def _amendment_json(a: amendments.Amendment) -> dict:
    return {
        "amendment_id": a.id,
        "mrn": a.mrn,
        "document_id": a.document_id,
        "text": a.text,
        "received_on": a.received_on.isoformat(),
        "due_on": a.due_on.isoformat(),
        "extended_on": a.extended_on.isoformat() if a.extended_on else None,
        "status": a.status,
        "overdue": a.overdue,
        "decided_on": a.decided_on.isoformat() if a.decided_on else None,
        "decided_by": a.decided_by,
        "reason": a.reason,
        "notify": list(a.notify),
        "disagreement": a.disagreement,
    }


def run_request(args: argparse.Namespace, ctx: CommandContext) -> int:
    a = amendments.request_by_mrn(ctx.session(), args.mrn, args.text, args.document)
    ctx.emit(
        _amendment_json(a),
        f"Amendment request {a.id} logged; decide by {a.due_on.isoformat()}.",
    )
    return 0


def run_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    pid = patient_id_by_mrn(session, args.patient) if args.patient else None
    rows = amendments.list_amendments(session, pid, args.open)
    ctx.emit(
        {"amendments": [_amendment_json(a) for a in rows]},
        "\n".join(
            f"{a.id}  {a.mrn}  {a.status}  due {a.due_on}{' OVERDUE' if a.overdue else ''}"
            for a in rows
        )
        or "No amendment requests.",
    )
    return 0


def run_extend(args: argparse.Namespace, ctx: CommandContext) -> int:
    a = amendments.extend(ctx.session(), args.id, args.reason, args.letter)
    ctx.emit(_amendment_json(a), f"Deadline extended to {a.due_on.isoformat()}.")
    return 0


def run_decide(args: argparse.Namespace, ctx: CommandContext) -> int:
    d = amendments.decide(
        ctx.session(), args.id, args.decision, args.reason, tuple(args.notify), args.letter
    )
    out = _amendment_json(d.amendment) | {
        "recipients": [
            {"name": r.name, "request": r.request, "sent_on": r.sent_on} for r in d.recipients
        ],
        "letter": str(d.letter) if d.letter else None,
    }
    text = f"Request {d.amendment.id} {d.amendment.status}."
    if d.recipients:
        text += " Tell: " + "; ".join(
            r.name + (f" (release {r.request})" if r.request else "") for r in d.recipients
        )
    ctx.emit(out, text)
    return 0


def run_disagree(args: argparse.Namespace, ctx: CommandContext) -> int:
    a = amendments.file_disagreement(ctx.session(), args.id, args.text)
    ctx.emit(
        _amendment_json(a),
        "Statement stored; it goes out with every later release of the document.",
    )
    return 0


def run_letter(args: argparse.Namespace, ctx: CommandContext) -> int:
    path = amendments.denial_letter(ctx.session(), args.id, args.out)
    ctx.emit({"letter": str(path)}, "Denial letter written.")
    return 0
