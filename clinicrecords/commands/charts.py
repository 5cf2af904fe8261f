"""``chart MRN``, ``merge SURVIVOR_MRN MERGED_MRN --reason`` and ``unmerge MERGE_ID``."""

from __future__ import annotations

import argparse

from clinicrecords.commands import CommandContext, add_common
from clinicrecords.commands.patients import patient_json
from clinicrecords.common.errors import BadInput
from clinicrecords.records.charts import ChartView, open_chart_by_mrn
from clinicrecords.registry.merge import merge_charts, unmerge
from clinicrecords.registry.patients import patient_id_by_mrn


def register(sub: argparse._SubParsersAction) -> None:
    p = add_common(sub.add_parser("chart", help="open a chart: demographics and documents"))
    p.add_argument("mrn", help="the chart's MRN (a former MRN of a merged chart works too)")
    p.set_defaults(handler=run_chart)

    p = add_common(sub.add_parser("merge", help="merge a duplicate chart into another"))
    p.add_argument("survivor", help="MRN of the chart that stays")
    p.add_argument("merged", help="MRN of the duplicate chart whose documents move")
    p.add_argument("--reason", required=True, help="why these charts are the same person")
    p.set_defaults(handler=run_merge)

    p = add_common(sub.add_parser("unmerge", help="undo a merge (administrators)"))
    p.add_argument("merge_id", type=int)
    p.add_argument("--reason", default="")
    p.set_defaults(handler=run_unmerge)


def chart_json(view: ChartView) -> dict:
    return {
        "patient": patient_json(view.patient),
        "documents": [
            {
                "id": d.document.id,
                "document_id": d.document.id,
                "doc_type": d.document.doc_type,
                "doc_date": d.document.doc_date.isoformat() if d.document.doc_date else None,
                "pages": len(d.pages),
                "sensitive": d.document.sensitive,
                **({"destroyed": d.destroyed} if d.destroyed else {}),  # a tombstone
            }
            for d in view.documents
        ],
    }


def run_chart(args: argparse.Namespace, ctx: CommandContext) -> int:
    view = open_chart_by_mrn(ctx.session(), args.mrn)
    p = view.patient
    lines = [f"{p.display_name}  DOB {p.dob.isoformat()}  {p.sex}  MRN {p.mrn}"]
    for g in view.groups:
        lines.append(f"{g.label}{' (sensitive)' if g.sensitive else ''}:")
        for d in g.documents:
            when = d.document.doc_date.isoformat() if d.document.doc_date else "no date"
            lines.append(f"  #{d.id}  {when}  {len(d.pages)} page(s)  {d.document.title}")
            if d.destroyed:
                lines.append(f"      {d.destroyed}")
    if not view.groups:
        lines.append("No documents.")
    ctx.emit(chart_json(view), "\n".join(lines))
    return 0


def _id_for(ctx: CommandContext, mrn: str) -> int:
    return patient_id_by_mrn(ctx.session(), mrn)


def run_merge(args: argparse.Namespace, ctx: CommandContext) -> int:
    survivor, merged = _id_for(ctx, args.survivor), _id_for(ctx, args.merged)
    if survivor == merged:
        raise BadInput("Both MRNs name the same chart.")
    r = merge_charts(ctx.session(), survivor, merged, args.reason)
    ctx.emit(
        {
            "merge_id": r.merge_id,
            "survivor": patient_json(r.survivor),
            "merged_mrn": r.merged.mrn,
            "documents_moved": r.documents_moved,
            "pages_moved": r.pages_moved,
        },
        f"Merge {r.merge_id}: {r.documents_moved} document(s), {r.pages_moved} page(s) moved "
        f"into MRN {r.survivor.mrn}; MRN {r.merged.mrn} now finds that chart.",
    )
    return 0


def run_unmerge(args: argparse.Namespace, ctx: CommandContext) -> int:
    r = unmerge(ctx.session(), args.merge_id, args.reason)
    ctx.emit(
        {
            "merge_id": r.merge_id,
            "survivor_mrn": r.survivor.mrn,
            "restored": patient_json(r.merged),
            "documents_returned": r.documents_moved,
        },
        f"Merge {r.merge_id} undone: {r.documents_moved} document(s) back in MRN {r.merged.mrn}.",
    )
    return 0
