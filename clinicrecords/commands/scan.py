"""``suggest FILE``, ``ingest FILE...`` and ``scan devices|acquire`` (DESIGN.md section 4)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from clinicrecords.commands import CommandContext, add_common
from clinicrecords.common.errors import BadInput
from clinicrecords.intake.batches import read_batches, unfinished_batches
from clinicrecords.intake.grouping import DocumentGroup, documents
from clinicrecords.intake.importing import FileResult, IngestReport, IngestStopped, import_files
from clinicrecords.intake.review import batch_files, batch_pages
from clinicrecords.intake.suggest import suggest_file
from clinicrecords.scan.scratch import scan_scratch_dir
from clinicrecords.scan.types import Evidence, PatientSuggestion, ScoredValue, Suggestions


def register(sub: argparse._SubParsersAction) -> None:
    p = add_common(
        sub.add_parser(
            "suggest", help="OCR a file and suggest how to file it; the store is not changed"
        )
    )
    p.add_argument("file", type=Path)
    p.set_defaults(handler=run_suggest)

    p = add_common(sub.add_parser("ingest", help="import files into a new batch and read them"))
    p.add_argument("files", type=Path, nargs="*")
    p.add_argument(
        "--resume",
        action="store_true",
        help="read the pages of every batch whose reading was interrupted (a crash, a full "
        "disk, --no-process)",
    )
    p.add_argument(
        "--remove-originals",
        action="store_true",
        default=None,
        help="delete each original once its copy is committed to the store "
        "(default: the clinic's scan.remove_originals setting)",
    )
    p.add_argument(
        "--keep-originals",
        dest="remove_originals",
        action="store_false",
        default=None,
        help="leave the originals where they are, whatever the setting says",
    )
    p.add_argument(
        "--no-process",
        action="store_true",
        help="only copy the files in; read them later (in the program)",
    )
    p.set_defaults(handler=run_ingest)

    scan = sub.add_parser("scan", help="scanners (SANE)").add_subparsers(
        dest="scan_cmd", metavar="ACTION"
    )
    p = add_common(scan.add_parser("devices", help="list the scanners SANE can see"))
    p.set_defaults(handler=run_devices)
    p = add_common(scan.add_parser("acquire", help="scan pages into a new batch"))
    p.add_argument("--device", required=True, help="SANE device name, e.g. test:0")
    p.add_argument("--dpi", type=int, default=300)
    p.add_argument("--mode", default="Gray")
    p.add_argument("--source", default=None, help="Flatbed, ADF, ... (backend's name)")
    p.add_argument("--single", action="store_true", help="one page (flatbed), not the feeder")
    p.add_argument("--option", action="append", default=[], help="backend option, repeatable")
    p.add_argument("--no-process", action="store_true")
    p.set_defaults(handler=run_acquire)
    p = add_common(sub.add_parser("coversheet", help="print barcode cover sheets for a chart"))
    p.add_argument("mrn")
    p.add_argument(
        "--type",
        dest="types",
        action="append",
        required=True,
        help="document type code (repeat for several sheets)",
    )
    p.add_argument("--out", type=Path, required=True, help="the PDF to write")
    p.set_defaults(handler=run_coversheet)


# -- JSON shapes -----------------------------------------------------------------------------


def _evidence(ev: tuple[Evidence, ...]) -> list[dict[str, Any]]:
    return [
        {
            "kind": e.kind,
            "text": e.text,
            "note": e.note,
            "boxes": [[b.left, b.top, b.width, b.height] for b in e.boxes],
        }
        for e in ev
    ]


def _patient(p: PatientSuggestion) -> dict[str, Any]:
    return {
        "patient_id": p.patient_id,
        "mrn": p.mrn,
        "name": p.name,
        "dob": p.dob,
        "score": round(p.score, 4),
        "reason": p.reason,
        "evidence": _evidence(p.evidence),
    }


def _scored(values: tuple[ScoredValue, ...], key: str) -> list[dict[str, Any]]:
    return [{key: v.value, "score": round(v.score, 4)} for v in values]


def suggestions_json(s: Suggestions) -> dict[str, Any]:
    return {
        "patient": [_patient(p) for p in s.patient],
        "doc_type": _scored(s.doc_type, "code"),
        "doc_date": _scored(s.doc_date, "value"),
        "author": _scored(s.author, "value"),
        "facility": _scored(s.facility, "value"),
        "confident": s.confident_patient is not None,
    }


def _suggestion_text(s: Suggestions) -> str:
    lines = []
    top = s.patient[0] if s.patient else None
    if top:
        mark = "" if s.confident_patient else "  (not confident: review)"
        why = f"  ({top.reason})" if top.reason else ""
        lines.append(
            f"patient   {top.name}  DOB {top.dob}  MRN {top.mrn}  {top.score:.2f}{why}{mark}"
        )
    else:
        lines.append("patient   no match (review)")
    if s.doc_type:
        lines.append(f"type      {s.doc_type[0].value}  {s.doc_type[0].score:.2f}")
    if s.doc_date:
        lines.append(f"date      {s.doc_date[0].value}  {s.doc_date[0].score:.2f}")
    return "\n".join(lines)


# -- handlers ---------------------------------------------------------------------------------


def run_suggest(args: argparse.Namespace, ctx: CommandContext) -> int:
    found = suggest_file(ctx.session(), args.file)
    out = {"pages": found.pages, **suggestions_json(found.suggestions)}
    ctx.emit(out, f"{found.pages} page(s)\n" + _suggestion_text(found.suggestions))
    return 0


def _file_line(f: FileResult) -> str:
    """One file's outcome, by number (its name may be a patient's; --json carries the path)."""
    line = f"{f.label}: {f.outcome}"
    if f.status == "stored":
        line += f", {f.pages} page(s)"
    return line + (f". {f.message}" if f.message else "")


def _document_line(n: int, of: int, d: DocumentGroup) -> str:
    """A suggested document, without the patient's name or MRN (this output reaches cron
    logs; ``--json`` and the index screen show who it is)."""
    s = d.suggestions
    who = "patient suggested" if s.confident_patient else "no confident patient: review"
    kind = f", type {s.doc_type[0].value}" if s.doc_type else ""
    unsure = f" ({len(d.unsure)} page(s) without a patient of their own)" if d.unsure else ""
    return f"Document {n} of {of}: {len(d.page_ids)} page(s), {who}{kind}{unsure}."


def _ingest_and_report(
    ctx: CommandContext,
    paths: list[Path],
    source: str,
    remove: bool | None,
    process: bool,
    resume: bool = False,
) -> int:
    session = ctx.session()

    def heard(f: FileResult) -> None:
        # Each file's outcome as soon as it is committed (flushed: a killed run still told).
        if not ctx.json:
            sys.stdout.write(_file_line(f) + "\n")
            sys.stdout.flush()

    report = IngestReport(None, ())
    try:
        if paths:
            report = import_files(
                session, paths, source=source, remove_originals=remove, on_file=heard
            )
        batches = list(report.to_read) if process else []
        if resume:
            batches += [b for b in unfinished_batches(session) if b not in batches]
        processed = read_batches(session, batches, report if paths else None)
    except IngestStopped as exc:
        if ctx.json:  # what was stored, for scripts; the sentence goes to stderr as usual
            stopped = exc.report
            ctx.emit(
                {
                    "batch_id": stopped.batch_id,
                    "files": [f.as_dict() for f in stopped.files],
                    "error": exc.message,
                }
            )
        raise
    pages: list[dict[str, Any]] = []
    docs: list[DocumentGroup] = []
    if report.batch_id is not None:
        names = {f["id"]: f["original_name"] for f in batch_files(session, report.batch_id)}
        batch = batch_pages(session, report.batch_id)
        docs = documents(batch)  # as the index screen groups them (intake/grouping.py)
        doc_of = {i: n for n, d in enumerate(docs, 1) for i in d.page_ids}
        for pg in batch:
            pages.append(
                {
                    "page_id": pg.id,
                    "file": names.get(pg.file_id or -1, ""),
                    "source_page": pg.source_page,
                    "status": pg.status,
                    "blank": pg.blank,
                    "cover": pg.cover,
                    "text": pg.has_text,
                    "document": doc_of.get(pg.id),
                    "suggestions": suggestions_json(pg.suggestion),
                }
            )
    mine = next((r for r in processed if r.batch_id == report.batch_id), None)
    others = [r for r in processed if r.batch_id != report.batch_id]
    out = {
        "batch_id": report.batch_id,
        "files": [f.as_dict() for f in report.files],
        "pages": len(pages),
        "page_list": pages,
        "documents": [
            {
                "document": n,
                "page_ids": list(d.page_ids),
                "unsure_page_ids": list(d.unsure),
                "suggestions": suggestions_json(d.suggestions),
            }
            for n, d in enumerate(docs, 1)
        ],
        "problems": mine.problems if mine else [],
        "resumed": [
            {"batch_id": r.batch_id, "pages": r.pages, "texts": r.texts, "problems": r.problems}
            for r in others
        ],
    }
    lines = []
    if report.batch_id is not None:
        review = sum(1 for p in pages if p["status"] == "review")
        lines.append(
            f"Batch {report.batch_id}: {report.summary()} {len(pages)} page(s) read, "
            f"{review} for review."
        )
        lines += [_document_line(n, len(docs), d) for n, d in enumerate(docs, 1)]
    elif report.files:
        lines.append(report.summary())
    for r in others:
        lines.append(f"Batch {r.batch_id} (resumed): {r.pages} page(s) read, {r.texts} with text.")
    if resume and not processed:
        lines.append("No batch was waiting to be read.")
    ctx.emit(out, "\n".join(lines))
    kept = report.count("stored") or report.count("duplicate") or report.count("resumed")
    return 0 if kept or (resume and not paths) else 2


def run_ingest(args: argparse.Namespace, ctx: CommandContext) -> int:
    if not args.files and not args.resume:
        raise BadInput("Name the files to import, or use --resume to finish interrupted batches.")
    return _ingest_and_report(
        ctx, list(args.files), "import", args.remove_originals, not args.no_process, args.resume
    )


def run_devices(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.scan import sane

    devices = sane.list_devices()
    ctx.emit(
        {
            "devices": [
                {"name": d.name, "vendor": d.vendor, "model": d.model, "kind": d.kind}
                for d in devices
            ]
        },
        "\n".join(f"{d.name}  {d.label}  ({d.kind})" for d in devices) or "No scanner found.",
    )
    return 0


def run_acquire(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.scan import sane

    ctx.session()  # sign in before the paper goes through the scanner
    with scan_scratch_dir() as tmp:
        pages = sane.scan(
            args.device,
            out_dir=Path(tmp),
            dpi=args.dpi,
            mode=args.mode,
            source=args.source,
            batch=not args.single,
            options=tuple(args.option),
        )
        return _ingest_and_report(ctx, pages, "scanner", True, not args.no_process)


def run_coversheet(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.common.errors import cannot_write
    from clinicrecords.common.fileio import write_atomically
    from clinicrecords.records.coversheets import cover_sheets_pdf
    from clinicrecords.registry.patients import patient_by_mrn

    session = ctx.session()
    patient = patient_by_mrn(session, args.mrn)
    data = cover_sheets_pdf(session, patient.id, args.types)
    try:
        write_atomically(args.out, data)
    except OSError as exc:
        raise cannot_write("the cover sheets", exc) from None
    ctx.emit(
        {"out": str(args.out), "sheets": len(args.types)},
        f"Wrote {len(args.types)} cover sheet(s) to {args.out}.",
    )
    return 0
