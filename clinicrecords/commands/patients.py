"""``patients import|list|add`` and ``search``."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from clinicrecords.clinic import settings
from clinicrecords.commands import CommandContext, add_common
from clinicrecords.common.domain import PREVIOUS_NAME_KINDS, Patient
from clinicrecords.common.errors import BadInput
from clinicrecords.registry import lookup
from clinicrecords.registry.patient_import import import_patients_csv, parse_mapping
from clinicrecords.registry.patients import (
    PatientInput,
    change_fields,
    list_patients,
    patient_by_mrn,
    register_patient,
)
from clinicrecords.registry.previous_names import (
    add_previous_name,
    parse_previous_name,
    remove_previous_name,
)


def register(sub: argparse._SubParsersAction) -> None:
    pat = sub.add_parser("patients", help="the patient registry").add_subparsers(
        dest="patients_cmd", metavar="ACTION"
    )
    p = add_common(pat.add_parser("import", help="import Synthea patients.csv or a mapped CSV"))
    p.add_argument("file", type=Path)
    p.add_argument(
        "--map",
        default=None,
        help="column mapping for a generic CSV: family=Last,given=First,dob=DOB,mrn=MRN,...",
    )
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good rows even when some are bad (default: all or nothing)",
    )
    p.add_argument(
        "--date-order",
        choices=("MDY", "DMY"),
        default=None,
        help="day/month order of the file's dates (default: the clinic's locale.date_order)",
    )
    p.set_defaults(handler=run_import)

    p = add_common(pat.add_parser("list", help="list charts"))
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--offset", type=int, default=0)
    p.set_defaults(handler=run_list)

    p = add_common(pat.add_parser("add", help="register a patient"))
    p.add_argument("--family", required=True)
    p.add_argument("--given", required=True)
    p.add_argument("--dob", required=True, help="YYYY-MM-DD")
    p.add_argument("--sex", default="U")
    p.add_argument("--middle", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--address", default="")
    p.add_argument("--mrn", default="")
    p.set_defaults(handler=run_add)

    p = add_common(pat.add_parser("edit", help="change fields of a chart (others unchanged)"))
    p.add_argument("mrn")
    for name in ("family", "given", "middle", "dob", "sex", "phone", "address", "city", "state"):
        p.add_argument(f"--{name}", default=None, help="YYYY-MM-DD" if name == "dob" else None)
    p.add_argument("--zip", default=None)
    p.add_argument(
        "--aka",
        action="append",
        default=[],
        metavar='"FAMILY, GIVEN"',
        help="add a previous name (a family name alone keeps the given name); repeatable",
    )
    p.add_argument(
        "--aka-kind",
        choices=PREVIOUS_NAME_KINDS,
        default="maiden",
        help="what the --aka names are (default: maiden)",
    )
    p.add_argument(
        "--drop-aka",
        action="append",
        default=[],
        metavar='"FAMILY[, GIVEN]"',
        help="remove a previous name typed in error; repeatable",
    )
    p.set_defaults(handler=run_edit)

    p = add_common(sub.add_parser("search", help="find a chart: name, DOB, MRN or phone, any mix"))
    p.add_argument("query", nargs="+")
    p.add_argument("--limit", type=int, default=20)
    p.set_defaults(handler=run_search)


def patient_json(p: Patient) -> dict:
    return {
        "patient_id": p.id,
        "mrn": p.mrn,
        "family": p.family,
        "given": p.given,
        "middle": p.middle,
        "dob": p.dob.isoformat(),
        "sex": p.sex,
        "phone": p.phone,
        "address": p.address,
        "city": p.city,
        "state": p.state,
        "zip": p.zip,
        "last_activity": p.last_activity,
        "aliases": list(p.aliases),
        "previous_names": [
            {"family": n.family, "given": n.given or p.given, "kind": n.kind}
            for n in p.previous_names
        ],
    }


def run_import(args: argparse.Namespace, ctx: CommandContext) -> int:
    mapping = parse_mapping(args.map) if args.map else None
    session = ctx.session()
    order = args.date_order or settings.date_order(session)
    result = import_patients_csv(session, args.file, mapping, args.skip_bad, order)
    lines = [f"line {b.line}: {b.message}" for b in result.bad_rows]
    if result.imported:
        lines.append(
            f"Added {result.added} patient(s); {result.already_present} already present "
            f"(read as {result.encoding})."
        )
    ctx.emit(result.as_dict(), "\n".join(lines))
    if not result.imported:
        # The rows are listed on stdout (or in the JSON); the refusal itself is the one line
        # on stderr and exit status 2 that every refused command gives, so a script sees it.
        raise BadInput(
            f"Nothing was imported: {result.bad_count} bad row(s), listed with their line "
            "numbers. Fix them, or use --skip-bad to import the good rows."
        )
    return 0


def run_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    rows = list_patients(ctx.session(), args.limit, args.offset)
    ctx.emit(
        {"patients": [patient_json(p) for p in rows]},
        "\n".join(f"{p.mrn}  {p.display_name:40} {p.dob.isoformat()}  {p.sex}" for p in rows),
    )
    return 0


def run_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    try:
        dob = date.fromisoformat(args.dob)
    except ValueError:
        raise BadInput("Give the date of birth as YYYY-MM-DD.") from None
    p = register_patient(
        ctx.session(),
        PatientInput(
            family=args.family,
            given=args.given,
            dob=dob,
            sex=args.sex,
            middle=args.middle,
            phone=args.phone,
            address=args.address,
            mrn=args.mrn,
        ),
    )
    ctx.emit(patient_json(p), f"Registered {p.display_name}, MRN {p.mrn}.")
    return 0


def run_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    fields = ("family", "given", "middle", "dob", "sex", "phone", "address", "city", "state", "zip")
    changes = {f: getattr(args, f) for f in fields if getattr(args, f) is not None}
    if not changes and not args.aka and not args.drop_aka:
        raise BadInput("Say what to change, e.g. --phone 555-0100.")
    akas = [parse_previous_name(text, args.aka_kind) for text in args.aka]  # all checked first
    session = ctx.session()
    p = patient_by_mrn(session, args.mrn)
    if changes:
        p = change_fields(session, p.id, changes)
    for text in args.drop_aka:
        family, _, given = text.partition(",")
        p = remove_previous_name(session, p.id, family, given)
    for name in akas:
        p = add_previous_name(session, p.id, name)
    ctx.emit(patient_json(p), f"Saved {p.display_name}, MRN {p.mrn}.")
    return 0


def run_search(args: argparse.Namespace, ctx: CommandContext) -> int:
    results = lookup.search_patients(ctx.session(), " ".join(args.query), args.limit)
    ctx.emit(
        {
            "results": [
                {
                    "patient_id": r.patient.id,
                    "mrn": r.patient.mrn,
                    "family": r.patient.family,
                    "given": r.patient.given,
                    "dob": r.patient.dob.isoformat(),
                    "sex": r.patient.sex,
                    "score": round(r.score, 4),
                }
                for r in results
            ]
        },
        "\n".join(
            f"{r.score:5.2f}  {r.patient.mrn}  {r.patient.display_name:40} "
            f"{r.patient.dob.isoformat()}  {r.patient.sex}"
            for r in results
        )
        or "No match.",
    )
    return 0
