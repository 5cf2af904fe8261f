"""``documents file|move|edit|void|unvoid|undo-move|history|voided`` and the privacy
officer's ``documents disclosures-review|disclosure-assess|disclosure-letter``."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from clinicrecords.commands import CommandContext, add_common
from clinicrecords.common.errors import BadInput
from clinicrecords.intake.filing import file_document
from clinicrecords.intake.review import batch_pages
from clinicrecords.records import corrections as corr
from clinicrecords.records.disclosure_letter import write_letter
from clinicrecords.registry.patients import patient_id_by_mrn


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def register(sub: argparse._SubParsersAction) -> None:
    docs = sub.add_parser("documents", help="file, move, edit or void documents").add_subparsers(
        dest="documents_command", metavar="ACTION"
    )

    p = add_common(docs.add_parser("file", help="file pages of a batch into a chart"))
    p.add_argument("batch_id", type=int, metavar="BATCH_ID")
    p.add_argument(
        "--pages",
        type=corr.parse_page_list,
        metavar="1-3",
        help="the batch's pages still to file, counted from 1 (default: all of them)",
    )
    p.add_argument("--patient", required=True, metavar="MRN")
    p.add_argument("--type", dest="doc_type", required=True, metavar="T")
    p.add_argument("--date", dest="doc_date", type=_day, required=True, metavar="YYYY-MM-DD")
    p.add_argument("--author", default="", metavar="TEXT")
    p.add_argument("--facility", default="", metavar="TEXT")
    p.set_defaults(handler=run_file)

    p = add_common(docs.add_parser("move", help="move a misfiled document to another chart"))
    p.add_argument("document_id", type=int, metavar="DOC_ID")
    p.add_argument("--to", required=True, metavar="MRN")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.add_argument(
        "--pages", type=corr.parse_page_list, metavar="1-3", help="only these pages (from 1)"
    )
    p.set_defaults(handler=run_move)

    p = add_common(docs.add_parser("edit", help="correct a document's index fields"))
    p.add_argument("document_id", type=int, metavar="DOC_ID")
    p.add_argument("--type", dest="doc_type", metavar="T")
    p.add_argument("--date", dest="doc_date", type=_day, metavar="YYYY-MM-DD")
    p.add_argument("--author", metavar="TEXT")
    p.add_argument("--facility", metavar="TEXT")
    p.add_argument("--reason", default="", metavar="TEXT")
    p.set_defaults(handler=run_edit)

    p = add_common(docs.add_parser("void", help="take a document out of the chart (kept)"))
    p.add_argument("document_id", type=int, metavar="DOC_ID")
    p.add_argument("--reason", required=True, metavar="TEXT")
    p.set_defaults(handler=run_void)

    p = add_common(docs.add_parser("unvoid", help="undo a void (administrators)"))
    p.add_argument("document_id", type=int, metavar="DOC_ID")
    p.add_argument("--reason", default="", metavar="TEXT")
    p.set_defaults(handler=run_unvoid)

    p = add_common(docs.add_parser("undo-move", help="undo a move (administrators)"))
    p.add_argument("correction_id", type=int, metavar="MOVE_ID")
    p.add_argument("--reason", default="", metavar="TEXT")
    p.set_defaults(handler=run_undo_move)

    p = add_common(docs.add_parser("history", help="a document's corrections and old values"))
    p.add_argument("document_id", type=int, metavar="DOC_ID")
    p.set_defaults(handler=run_history)

    p = add_common(docs.add_parser("voided", help="a chart's voided documents (administrators)"))
    p.add_argument("mrn", metavar="MRN")
    p.set_defaults(handler=run_voided)

    p = add_common(
        docs.add_parser(
            "disclosures-review", help="releases that included misfiled pages (privacy officer)"
        )
    )
    p.add_argument("--all", action="store_true", help="also the entries already assessed")
    p.set_defaults(handler=run_reviews)

    p = add_common(docs.add_parser("disclosure-assess", help="record the assessment of one"))
    p.add_argument("review_id", type=int, metavar="REVIEW_ID")
    p.add_argument("--outcome", required=True, metavar="TEXT")
    p.set_defaults(handler=run_assess)

    p = add_common(docs.add_parser("disclosure-letter", help="the letter to the recipient (PDF)"))
    p.add_argument("review_id", type=int, metavar="REVIEW_ID")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.pdf")
    p.set_defaults(handler=run_letter)


def run_file(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    waiting = batch_pages(session, args.batch_id)
    if not waiting:
        raise BadInput("That batch has no pages left to file.")
    chosen = waiting
    if args.pages:
        if any(n > len(waiting) for n in args.pages):
            raise BadInput(f"The batch has {len(waiting)} page(s) to file; choose among those.")
        chosen = [waiting[n - 1] for n in args.pages]
    covers = [p.id for p in chosen if p.cover]  # separator sheets stay out of the chart
    page_ids = [p.id for p in chosen if not p.cover]
    if not page_ids:
        raise BadInput("Those pages are only a cover sheet; choose the pages to file.")
    patient_id = patient_id_by_mrn(session, args.patient)
    doc_id = file_document(
        session,
        page_ids,
        patient_id,
        args.doc_type,
        args.doc_date,
        author=args.author,
        facility=args.facility,
        set_aside=covers,
    )
    ctx.emit(
        {
            "document_id": doc_id,
            "patient_id": patient_id,
            "mrn": args.patient,
            "pages": len(page_ids),
            "set_aside": len(covers),
            "doc_type": args.doc_type,
            "doc_date": args.doc_date.isoformat(),
        },
        f"Filed {len(page_ids)} page(s) as document #{doc_id} in MRN {args.patient}.",
    )
    return 0


def run_move(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    to = patient_id_by_mrn(session, args.to)
    r = corr.move_document(session, args.document_id, to, args.reason, args.pages)
    releases = [
        {"request_id": h.request_id, "requester": h.requester, "date": h.date, "pages": h.pages,
         "review_id": h.review_id}
        for h in r.releases
    ]  # fmt: skip
    text = f"Moved {r.pages} page(s) to MRN {args.to} as document #{r.document_id} (move {r.correction_id})."
    if r.releases:
        text += (
            f"\nWARNING: these pages already went out in {len(r.releases)} release(s): "
            + ", ".join(f"{h.request_id} to {h.requester} on {h.date}" for h in r.releases)
            + ". Each is on the privacy officer's list (documents disclosures-review)."
        )
    ctx.emit(
        {
            "document_id": r.document_id,
            "source_document_id": r.source_document_id,
            "move_id": r.correction_id,
            "to_mrn": args.to,
            "pages": r.pages,
            "partial": r.partial,
            "releases": releases,
        },
        text,
    )
    return 0


def run_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    changed = corr.edit_document(
        ctx.session(),
        args.document_id,
        doc_type=args.doc_type,
        doc_date=args.doc_date,
        author=args.author,
        facility=args.facility,
        reason=args.reason,
    )
    ctx.emit(
        {
            "document_id": args.document_id,
            "changed": {k: {"old": o, "new": n} for k, (o, n) in changed.items()},
        },
        f"Document #{args.document_id}: "
        + (", ".join(f"{k} changed" for k in changed) if changed else "nothing to change")
        + ".",
    )
    return 0


def run_void(args: argparse.Namespace, ctx: CommandContext) -> int:
    corr.void_document(ctx.session(), args.document_id, args.reason)
    ctx.emit(
        {"document_id": args.document_id, "voided": True},
        f"Document #{args.document_id} voided: it is kept, but no longer in the chart.",
    )
    return 0


def run_unvoid(args: argparse.Namespace, ctx: CommandContext) -> int:
    corr.unvoid_document(ctx.session(), args.document_id, args.reason)
    ctx.emit(
        {"document_id": args.document_id, "voided": False},
        f"Document #{args.document_id} is back in its chart.",
    )
    return 0


def run_undo_move(args: argparse.Namespace, ctx: CommandContext) -> int:
    doc_id = corr.undo_move(ctx.session(), args.correction_id, args.reason)
    ctx.emit(
        {"move_id": args.correction_id, "document_id": doc_id, "undone": True},
        f"Move {args.correction_id} undone: document #{doc_id} is back where it was.",
    )
    return 0


def run_history(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = corr.document_history(ctx.session(), args.document_id)
    lines = [f"Document #{args.document_id}: {len(rows)} correction(s)"]
    for c in rows:
        undone = f" (undone {c.undone_at})" if c.undone_at else ""
        lines.append(f"  {c.made_at}  {c.action}  by {c.made_by}{undone}: {c.reason}")
        if c.action == "edit":
            for k, old in c.detail.get("old", {}).items():
                lines.append(f"      {k}: {old!r} -> {c.detail.get('new', {}).get(k)!r}")
    ctx.emit(
        {"document_id": args.document_id, "history": [corr.history_json(c) for c in rows]},
        "\n".join(lines),
    )
    return 0


def run_voided(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    rows = corr.voided_documents(session, patient_id_by_mrn(session, args.mrn))
    out = [
        {"document_id": r["id"], "doc_type": r["doc_type"], "doc_date": r["doc_date"],
         "pages": r["pages"], "voided_at": r["voided_at"], "reason": r["void_reason"],
         "voided_by": r["voided_by_name"]}
        for r in rows
    ]  # fmt: skip
    ctx.emit(
        {"documents": out},
        "\n".join(f"#{d['document_id']}  {d['doc_type']}  voided {d['voided_at']}: "
                  f"{d['reason']}" for d in out) or "No voided documents.",
    )  # fmt: skip
    return 0


def run_reviews(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = corr.disclosure_reviews(ctx.session(), include_assessed=args.all)
    lines = [
        f"#{r.id}  {r.request_id} to {r.requester} on {r.disclosed_on}: {r.pages} page(s) of "
        f"document #{r.document_id} now in MRN {r.to_mrn} (was MRN {r.from_mrn}) [{r.status}]"
        for r in rows
    ]
    ctx.emit(
        {"reviews": [corr.review_json(r) for r in rows]},
        "\n".join(lines) or "No possible wrong-party disclosures to review.",
    )
    return 0


def run_assess(args: argparse.Namespace, ctx: CommandContext) -> int:
    corr.assess_disclosure(ctx.session(), args.review_id, args.outcome)
    ctx.emit({"review_id": args.review_id, "status": "assessed"}, "Assessment recorded.")
    return 0


def run_letter(args: argparse.Namespace, ctx: CommandContext) -> int:
    write_letter(ctx.session(), args.review_id, args.out)
    ctx.emit({"review_id": args.review_id, "pdf": str(args.out)}, "Letter written.")
    return 0
