"""``server attach|init-db``, ``join``, ``sync [status]``, ``conflicts list|resolve``."""

from __future__ import annotations

import argparse
import sys

from clinicrecords.clinic.store import PASSPHRASE_ENV
from clinicrecords.commands import CommandContext, add_common
from clinicrecords.common.errors import PassphraseRequired


def register(sub: argparse._SubParsersAction) -> None:
    srv = sub.add_parser("server", help="the clinic server (PostgreSQL)").add_subparsers(
        dest="server_cmd", metavar="ACTION"
    )
    p = add_common(srv.add_parser("attach", help="make this store the clinic's first workstation"))
    p.add_argument("url", help="postgresql://USER:PASSWORD@HOST/DB?sslmode=verify-full")
    p.add_argument("--name", default=None, help="this workstation's name (default: host name)")
    p.set_defaults(handler=run_attach)
    p = add_common(srv.add_parser("init-db", help="print the SQL that sets up a clinic server"))
    p.add_argument("--database", default="clinicrecords")
    p.add_argument("--owner", default="clinicrecords_owner", help="role owning the tables")
    p.add_argument("--role", default="clinicrecords", help="role the program signs in as")
    p.add_argument(
        "--upgrade", action="store_true", help="the schema and grants only, for an older server"
    )
    p.set_defaults(handler=run_init_db)

    p = add_common(sub.add_parser("join", help="make this PC a workstation of a clinic"))
    p.add_argument("url", help="the clinic server's address")
    p.add_argument(
        "--admin",
        default=None,
        help="your clinic account (checked); only a clinic without accounts makes it its first "
        "administrator here",
    )
    p.add_argument("--admin-name", default="")
    p.add_argument("--name", default=None, help="this workstation's name (default: host name)")
    p.add_argument("--clinic", default=None, help="the clinic's id, when the server holds several")
    p.set_defaults(handler=run_join)

    p = add_common(sub.add_parser("sync", help="send and fetch changes now; 'sync status'"))
    p.add_argument("action", nargs="?", choices=("status",), help="status: show, do not sync")
    p.set_defaults(handler=run_sync)

    c = sub.add_parser("conflicts", help="changes two workstations made apart").add_subparsers(
        dest="conflicts_cmd", metavar="ACTION"
    )
    p = add_common(c.add_parser("list", help="open conflicts"))
    p.add_argument("--all", action="store_true", help="resolved ones too")
    p.set_defaults(handler=run_conflicts_list)
    p = add_common(c.add_parser("resolve", help="settle a conflict"))
    p.add_argument("id")
    p.add_argument(
        "--keep",
        required=True,
        metavar="local|server|VALUE",
        help="server: the value the clinic's order kept; local: this PC's value; or a value",
    )
    p.set_defaults(handler=run_conflicts_resolve)


def run_init_db(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.sync.server import init_db_script

    sys.stdout.write(init_db_script(args.database, args.owner, args.role, args.upgrade))
    return 0


def run_attach(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.sync.server import attach

    r = attach(ctx.session(), args.url, args.name)
    ctx.emit(
        r.as_dict(),
        f"This PC is workstation {r.workstation_no} ({r.workstation}) of the clinic network; "
        f"{r.charts_shared} chart(s) sent to the server.",
    )
    return 0


def run_join(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.sync.server import join

    phrase = ctx.passphrase("The clinic's recovery passphrase: ")
    if not phrase:
        raise PassphraseRequired(
            f"Give the clinic's recovery passphrase ({PASSPHRASE_ENV}, or run from a terminal)."
        )
    password = ctx.password(args.admin) if args.admin else None
    progress = None if ctx.json else _progress
    r = join(
        ctx.data_dir,
        args.url,
        phrase,
        args.admin,
        password,
        args.admin_name,
        args.name,
        args.clinic,
        progress,
    )
    if progress:
        sys.stderr.write("\n")
    ctx.emit(
        r.as_dict(),
        f"Joined the clinic as workstation {r.workstation_no} ({r.workstation}); "
        f"{r.pulled} change(s) applied in {r.seconds:.1f} s.",
    )
    return 0


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"\rBuilding this PC's copy: {done} of {total} changes")
    sys.stderr.flush()


def run_sync(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.sync import client

    store = ctx.store()
    if args.action == "status":
        s = client.status(store)
        state = "Online" if s["online"] else "Offline"
        ctx.emit(
            s,
            f"{state} · server {s['server']} · {s['outbox']} change(s) waiting · "
            f"last sync {s['last_sync'] or 'never'} · {s['conflicts']} open conflict(s)",
        )
        return 0
    r = client.sync_once(store)
    ctx.emit(
        r.as_dict(),
        f"Sent {r.pushed}, received {r.pulled} change(s); {r.conflicts} open conflict(s).",
    )
    return 0


def run_conflicts_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.sync.conflicts import list_conflicts

    rows = list_conflicts(ctx.session(), args.all)
    ctx.emit(
        {"conflicts": [c.as_dict() for c in rows]},
        "\n".join(
            f"{c.id}  {c.kind:9} {c.mrn:12} {c.field:8} kept {c.server!r}"
            f"{' (this PC)' if c.kept_here else ''}, replaced {c.replaced!r}"
            for c in rows
        )
        or "No open conflicts.",
    )
    return 0


def run_conflicts_resolve(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.common.errors import BadInput
    from clinicrecords.sync.conflicts import ConfirmOnly, resolve_conflict

    try:
        c = resolve_conflict(ctx.session(), args.id, args.keep)
    except ConfirmOnly as exc:  # the flag that works, in the words of the command line
        raise BadInput(
            f"This conflict can only be confirmed, with '--keep server': {exc.what}"
        ) from exc
    ctx.emit(c.as_dict(), f"Resolved: {c.field} is now {c.current!r}.")
    return 0
