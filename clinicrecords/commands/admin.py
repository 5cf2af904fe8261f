"""Set-up and administration: init, demo, gui, users, key, backup, restore, verify, audit."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from clinicrecords.admin import backup
from clinicrecords.admin.recovery_sheet import (
    LOCK_AWAY,
    recovery_sheet_pdf,
    reserved_sheet,
    sheet_destination,
    write_recovery_sheet,
)
from clinicrecords.clinic import auth, keys
from clinicrecords.clinic.store import PASSPHRASE_ENV, Store, store_id_for_master
from clinicrecords.commands import PASSWORD_ENV, CommandContext, add_common
from clinicrecords.common.errors import (
    BadInput,
    ClinicError,
    PassphraseRequired,
    StoreCorrupt,
    WorkLost,
    cannot_write,
    explain,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = add_common(sub.add_parser("gui", help="start the desktop program"))
    p.set_defaults(handler=run_gui)

    p = add_common(sub.add_parser("init", help="create an encrypted clinic store"))
    p.add_argument("--admin", required=True, help="user name of the first administrator")
    p.add_argument("--admin-name", default="", help="the administrator's full name")
    p.add_argument("--clinic-name", default="Our Clinic")
    _add_sheet_option(p)
    p.set_defaults(handler=run_init)

    p = add_common(sub.add_parser("demo", help="create (or fill) a synthetic demo clinic"))
    p.add_argument("--patients", type=int, default=300)
    p.add_argument("--charts-with-documents", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(handler=run_demo)

    users = sub.add_parser("users", help="accounts").add_subparsers(
        dest="users_cmd", metavar="ACTION"
    )
    p = add_common(users.add_parser("add", help="add an account"))
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=("clerk", "release", "admin"))
    p.add_argument("--full-name", default="")
    p.add_argument(
        "--new-password-env",
        default="CLINICRECORDS_NEW_PASSWORD",
        help="environment variable holding the new account's password",
    )
    p.set_defaults(handler=run_users_add)
    p = add_common(users.add_parser("list", help="list accounts"))
    p.set_defaults(handler=run_users_list)

    key = sub.add_parser("key", help="recovery passphrase and recovery key").add_subparsers(
        dest="key_cmd", metavar="ACTION"
    )
    p = add_common(key.add_parser("recover", help="write a new key file from the recovery key"))
    p.add_argument(
        "--recovery-key",
        default=None,
        help="(better left out: a key typed here stays in the shell's history; it is asked "
        "for, or read from standard input, when omitted)",
    )
    p.set_defaults(handler=run_key_recover)
    p = add_common(key.add_parser("sheet", help="write the recovery sheet again (administrators)"))
    _add_sheet_option(p)
    p.set_defaults(handler=run_key_sheet)
    p = add_common(key.add_parser("change-passphrase", help="choose a new recovery passphrase"))
    p.set_defaults(handler=run_key_change)
    p = add_common(key.add_parser("remember", help="keep the key in this PC's keyring"))
    p.set_defaults(handler=run_key_remember)

    p = add_common(
        sub.add_parser(
            "backup",
            help="write an encrypted, self-checking backup; 'backup schedule', 'backup drill'",
            description="backup DIR (or --to DIR): write a backup now. "
            "backup schedule --to DIR --at HH:MM | backup schedule --off: the nightly backup "
            "with this PC's scheduler. backup drill DIR: restore the newest backup into a "
            "temporary folder and verify it.",
        )
    )
    p.add_argument("dest", nargs="?", default=None, help="backup folder, or 'schedule' / 'drill'")
    p.add_argument("target", nargs="?", default=None, type=Path, help="(drill) backup folder")
    p.add_argument("--to", type=Path, default=None, help="backup folder")
    p.add_argument("--at", default=None, metavar="HH:MM", help="(schedule) time of day")
    p.add_argument("--off", action="store_true", help="(schedule) remove the nightly backup")
    p.add_argument(
        "--scheduled",
        action="store_true",
        help="(used by the nightly job) act as the scheduled backup, with the keyring's key",
    )
    p.add_argument(
        "--keep",
        type=int,
        default=backup.KEEP_GENERATIONS,
        help=f"complete backups to keep in the folder (default {backup.KEEP_GENERATIONS})",
    )
    p.set_defaults(handler=run_backup)
    p = add_common(sub.add_parser("status", help="version, folders, last backup and drill"))
    p.set_defaults(handler=run_status)
    p = add_common(sub.add_parser("restore", help="restore a backup into an empty data folder"))
    p.add_argument("src", type=Path)
    p.add_argument(
        "--generation",
        default=None,
        help="restore this generation (a folder name under generations/) instead of the newest",
    )
    p.set_defaults(handler=run_restore)
    p = add_common(
        sub.add_parser("verify", help="re-read every page; check schema and audit chain")
    )
    p.add_argument(
        "--remove-orphans",
        action="store_true",
        help="also delete stored objects no row names (left by an interrupted import over a day ago)",
    )
    p.add_argument(
        "--accept-loss",
        action="store_true",
        help="after lost work that no backup holds: keep the database as it is and resume work",
    )
    p.set_defaults(handler=run_verify)

    st = sub.add_parser("settings", help="clinic settings").add_subparsers(
        dest="settings_cmd", metavar="ACTION"
    )
    p = add_common(st.add_parser("list", help="every setting and its value"))
    p.set_defaults(handler=run_settings_list)
    p = add_common(st.add_parser("set", help="change a setting (audited)"))
    p.add_argument("key")
    p.add_argument("value")
    p.set_defaults(handler=run_settings_set)

    a = sub.add_parser("audit", help="the audit trail").add_subparsers(
        dest="audit_cmd", metavar="ACTION"
    )
    p = add_common(a.add_parser("verify", help="check the hash chain"))
    p.set_defaults(handler=run_audit_verify)
    p = add_common(a.add_parser("list", help="the newest audit rows"))
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=run_audit_list)


def run_gui(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.ui.app import run

    return run(ctx.data_dir)


def _new_passphrase(ctx: CommandContext) -> str:
    phrase = os.environ.get(PASSPHRASE_ENV)
    if phrase:
        return phrase
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass("Choose the clinic's recovery passphrase: ")
        if getpass.getpass("Type it again: ") != first:
            raise BadInput("The two passphrases differ. Nothing was created.")
        return first
    raise PassphraseRequired(
        f"Set {PASSPHRASE_ENV} or run from a terminal to choose the passphrase."
    )


def _add_sheet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--recovery-sheet",
        type=Path,
        default=None,
        metavar="PATH",
        help="where to save the recovery sheet PDF, which holds the master key: a new file, or "
        "a folder such as a USB stick (required; never the data folder)",
    )


NO_SHEET_PLACE = (
    "Say where to save the recovery sheet with --recovery-sheet PATH (a new file, or a folder "
    "such as a USB stick): it holds the master key in clear, so it is never saved anywhere "
    "by default. Nothing was written."
)


def _sheet_place(args: argparse.Namespace, ctx: CommandContext) -> Path:
    """Why required: a default folder (the current one, say) would leave the key to every record
    wherever the command happened to run: a shared folder, a synced one, a backup's source."""
    if args.recovery_sheet is None:
        raise BadInput(NO_SHEET_PLACE)
    return sheet_destination(args.recovery_sheet, ctx.data_dir)


def run_init(args: argparse.Namespace, ctx: CommandContext) -> int:
    sheet = _sheet_place(args, ctx)  # before anything is asked or created
    phrase = _new_passphrase(ctx)
    password = ctx.password(args.admin)
    auth._check_new_account(args.admin, "admin", password)
    with reserved_sheet(sheet) as out:
        store, recovery_key = Store.create(ctx.data_dir, phrase, args.clinic_name)
        try:
            sheet_error: ClinicError | None = None
            try:
                out.write(recovery_sheet_pdf(args.clinic_name, store.store_id, recovery_key))
            except OSError as exc:
                sheet_error = cannot_write("the recovery sheet", exc)
            admin = auth.create_first_admin(store, args.admin, password, args.admin_name)
            if sheet_error is not None:
                sheet_error.message += (
                    " The clinic store itself was created: write the sheet with "
                    "'clinicrecords key sheet --recovery-sheet PATH'."
                )
                raise sheet_error
            ctx.emit(
                {
                    "data_dir": str(ctx.data_dir),
                    "store_id": store.store_id,
                    "admin": admin.username,
                    "recovery_sheet": str(sheet),
                    "keyring": store.in_keyring,
                },
                f"Created an encrypted clinic store in {ctx.data_dir}\n"
                f"Administrator: {admin.username}\n"
                f"The recovery sheet (it holds the master key) was saved to {sheet}\n" + LOCK_AWAY,
            )
        finally:
            store.close()
    return 0


def run_key_sheet(args: argparse.Namespace, ctx: CommandContext) -> int:
    sheet = _sheet_place(args, ctx)
    session = ctx.session()
    session.require("settings.edit")
    store = session.store
    from clinicrecords.clinic.settings import get_setting

    clinic = str(get_setting(session, "clinic.name") or "")
    write_recovery_sheet(sheet, clinic, store.store_id, store.recovery_key())
    session.audit("key.recovery_sheet", "store", store.store_id)
    ctx.emit(
        {"recovery_sheet": str(sheet)},
        f"The recovery sheet (it holds the master key) was saved to {sheet}\n" + LOCK_AWAY,
    )
    return 0


def run_demo(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.synthetic import demo

    result = demo.build_demo(
        ctx.data_dir,
        getattr(args, "user", None),
        args.patients,
        args.charts_with_documents,
        args.seed,
        progress=None if ctx.json else demo.print_progress,
    )
    ctx.emit(result, demo.describe(result))
    return 0


def run_users_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    password = os.environ.get(args.new_password_env)
    if not password:
        if sys.stdin is not None and sys.stdin.isatty():
            import getpass

            password = getpass.getpass(f"Password for the new account {args.username}: ")
        else:
            raise BadInput(f"Set {args.new_password_env} to the new account's password.")
    user = auth.add_user(ctx.session(), args.username, args.role, password, args.full_name)
    ctx.emit(
        {"id": user.id, "username": user.username, "role": user.role},
        f"Added {user.username} ({user.role}).",
    )
    return 0


def run_users_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    users = auth.list_users(ctx.session())
    ctx.emit(
        {
            "users": [
                {
                    "username": u.username,
                    "role": u.role,
                    "active": u.active,
                    "full_name": u.full_name,
                }
                for u in users
            ]
        },
        "\n".join(
            f"{u.username:20} {u.role:8} {'active' if u.active else 'inactive'}" for u in users
        ),
    )
    return 0


def run_key_recover(args: argparse.Namespace, ctx: CommandContext) -> int:
    import getpass

    text = args.recovery_key
    if not text and sys.stdin is not None:
        # Asked for, or read from standard input: never needs to sit in the shell's history.
        text = getpass.getpass("Recovery key: ") if sys.stdin.isatty() else sys.stdin.readline()
    if not text or not text.strip():
        raise BadInput(
            "Give the recovery key from the recovery sheet: type it when asked, or pass it on "
            "standard input."
        )
    master = keys.decode_recovery_key(text.strip())
    store_id = store_id_for_master(ctx.data_dir, master)  # proves the key opens this store
    phrase = _new_passphrase(ctx)
    keys.check_passphrase_strength(phrase)
    keys.write_keyfile(ctx.data_dir, master, phrase, store_id)
    store = Store.open(ctx.data_dir, phrase)
    try:
        from clinicrecords.clinic import audit

        audit.append_unattended(store, "(recovery)", "key.recover", "store", store_id)
    finally:
        store.close()
    ctx.emit(
        {"ok": True, "key_file": str(ctx.data_dir / keys.KEYFILE_NAME)},
        f"A new key file was written in the data folder ({keys.KEYFILE_NAME}). The store opens "
        "with the new passphrase. Lock the recovery sheet away again: it still opens the store.",
    )
    return 0


def run_key_change(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    session.require("settings.edit")
    new = os.environ.get("CLINICRECORDS_NEW_PASSPHRASE")
    if not new:
        new = _new_passphrase_prompt()
    from clinicrecords.sync import client

    keys.check_passphrase_strength(new)
    on_network = client.keyfile_changed(session.store)
    session.store.change_passphrase(new)
    session.audit("key.change_passphrase", "store", session.store.store_id)
    if not on_network:
        ctx.emit({"ok": True}, "The recovery passphrase was changed.")
        return 0
    sent = client.share_keyfile(session.store)
    ctx.emit(
        {"ok": True, "server_has_it": sent},
        "The recovery passphrase was changed; the clinic server has the new key file, so only "
        "the new passphrase joins a PC to the clinic."
        if sent
        else "The recovery passphrase was changed; the clinic server is out of reach and gets "
        "the new key file at this PC's next sync (until then the old passphrase still joins).",
    )
    return 0


def _new_passphrase_prompt() -> str:
    import getpass

    if not sys.stdin.isatty():
        raise BadInput("Set CLINICRECORDS_NEW_PASSPHRASE or run from a terminal.")
    first = getpass.getpass("New recovery passphrase: ")
    if getpass.getpass("Type it again: ") != first:
        raise BadInput("The two passphrases differ. Nothing was changed.")
    return first


def run_key_remember(args: argparse.Namespace, ctx: CommandContext) -> int:
    session = ctx.session()
    session.require("settings.edit")
    ok = session.store.remember_on_this_pc()
    session.audit("key.keyring", "store", session.store.store_id, saved=ok)
    if not ok:
        raise BadInput("This PC has no keyring; the passphrase stays needed at each start.")
    ctx.emit({"ok": True}, "The key is kept in this PC's keyring.")
    return 0


def run_backup(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.dest == "schedule":
        return _run_schedule(args, ctx)
    if args.dest == "drill":
        return _run_drill(args, ctx)
    if args.target is not None or args.at is not None or args.off:
        raise BadInput("Say 'backup DIR', 'backup schedule ...' or 'backup drill DIR'.")
    if (args.dest is None) == (args.to is None):
        raise BadInput("Name the backup folder once: 'backup DIR' or 'backup --to DIR'.")
    dest = Path(args.dest) if args.to is None else args.to
    if args.scheduled:
        from clinicrecords.admin.schedule import scheduled_session

        session = scheduled_session(ctx.store(), dest)
    else:
        session = ctx.session()
    result = backup.backup(session, dest, keep=args.keep)
    if args.scheduled and not result.warnings and not ctx.json:
        return 0  # the nightly job is silent when all is well (cron mails any output)
    repaired = (
        f", {result.pages_repaired} damaged cop{'y' if result.pages_repaired == 1 else 'ies'} "
        "in the folder replaced"
        if result.pages_repaired
        else ""
    )
    ctx.emit(
        {
            "backup": str(result.folder),
            "generation": result.generation,
            "generations_kept": result.generations_kept,
            "pages": result.pages_total,
            "pages_copied": result.pages_copied,
            "pages_repaired": result.pages_repaired,
            "pages_unavailable": result.pages_unavailable,
            "pages_pruned": result.pages_pruned,
            "db_bytes": result.db_bytes,
            "warnings": result.warnings,
            "notes": result.notes,
        },
        "\n".join(
            [
                f"Backup written to {result.folder}: {result.pages_total} stored objects "
                f"({result.pages_copied} copied this time{repaired}); the folder now holds "
                f"{result.generations_kept} complete backup(s), the newest {result.generation}."
            ]
            + [f"note: {n}" for n in result.notes]
            + [f"WARNING: {w}" for w in result.warnings]
        ),
    )
    return 8 if result.warnings else 0


def _run_schedule(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.admin import schedule

    if args.target is not None or args.scheduled:
        raise BadInput("Say 'backup schedule --to DIR --at HH:MM' or 'backup schedule --off'.")
    if args.off:
        if args.to is not None or args.at is not None:
            raise BadInput("'backup schedule --off' takes no folder or time.")
        removed = schedule.unschedule_backup(ctx.session())
        ctx.emit(
            {"schedule": None, "removed": removed.as_dict() if removed else None},
            "The nightly backup was removed from this PC's scheduler."
            if removed
            else "No nightly backup was registered; nothing to remove.",
        )
        return 0
    if args.to is None or args.at is None:
        raise BadInput("Say 'backup schedule --to DIR --at HH:MM' or 'backup schedule --off'.")
    session = ctx.session()
    sched = schedule.schedule_backup(session, args.to, args.at)
    notes = []
    if not session.store.in_keyring:
        notes.append(
            "This PC keeps no key in its keyring, so the nightly job cannot open the store by "
            "itself: run 'clinicrecords key remember' (or give the job CLINICRECORDS_PASSPHRASE)."
        )
    ctx.emit(
        {"schedule": sched.as_dict(), "notes": notes},
        "\n".join(
            [
                f"Nightly backup at {sched.at} into {sched.folder}, registered with "
                f"{sched.scheduler} ({sched.job})."
            ]
            + [f"note: {n}" for n in notes]
        ),
    )
    return 0


def _run_drill(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.admin.drill import drill

    folder = args.target or args.to
    if folder is None or args.at is not None or args.off or args.scheduled:
        raise BadInput("Say 'backup drill DIR'.")
    result = drill(ctx.session(), folder)
    lines = [
        f"Restore drill of {result.generation or 'the backup'} in {result.folder}: "
        + (
            f"restored and verified {result.checked_pages} stored objects and "
            f"{result.audit_rows} audit rows in {result.seconds} s. All good."
            if result.ok
            else "FAILED."
        )
    ]
    lines += [f"PROBLEM: {p}" for p in result.problems] + [f"note: {n}" for n in result.notes]
    ctx.emit(result.as_dict(), "\n".join(lines))
    if not result.ok:
        sys.stderr.write(
            "clinicrecords: the restore drill failed: the newest backup would not restore "
            "completely. Run a new backup and drill again.\n"
        )
        return 8
    return 0


def run_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.admin.status import describe, status, warnings
    from clinicrecords.sync import client

    store = ctx.store()
    info = status(store)
    try:
        info["sync"] = {"joined": True, **client.status(store)}
    except BadInput:
        info["sync"] = {"joined": False}
    info["warnings"] = warnings(info)
    ctx.emit(info, describe(info))
    return 0


def run_restore(args: argparse.Namespace, ctx: CommandContext) -> int:
    result = backup.restore(args.src, ctx.data_dir, ctx.passphrase(), generation=args.generation)
    result.store.close()
    report = result.report
    lost = result.pages_lost + len(result.lost_files)
    ctx.emit(
        {
            "restored_to": str(ctx.data_dir),
            "backup_created": result.backup_created,
            "generation": result.generation,
            "restore_notes": result.notes,
            "lost_pages": [
                {"document_id": doc, "pages": n}
                for doc, n in sorted(
                    result.lost_pages.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)
                )
            ],
            "lost_files": result.lost_files,
            **report.as_dict(),
        },
        "\n".join(
            [f"note: {n}" for n in result.notes]
            + [
                f"Restored into {ctx.data_dir}; {report.checked_pages} stored objects and "
                f"{report.audit_rows} audit rows verified."
            ]
        ),
    )
    if lost:
        # Document ids and counts only: names, MRNs and file names stay out of cron logs.
        sys.stderr.write(f"clinicrecords: {_lost_summary(result)}\n")
        return 8
    return 0


def _lost_summary(result: backup.RestoreResult) -> str:
    parts = [
        f"document {doc} ({n} page{'s' if n > 1 else ''})"
        for doc, n in sorted((d, n) for d, n in result.lost_pages.items() if d is not None)
    ]
    if len(parts) > 20:
        parts = parts[:20] + [f"{len(parts) - 20} more documents"]
    if result.lost_pages.get(None):
        parts.append(f"{result.lost_pages[None]} page(s) not filed yet")
    if result.lost_files:
        parts.append(f"{len(result.lost_files)} imported file(s)")
    return (
        f"{result.pages_lost + len(result.lost_files)} page image(s) were damaged or missing "
        f"in the backup and were not restored: {', '.join(parts)}. Everything else was "
        "restored; 'verify' lists them, and an older backup may still hold them."
    )


def run_verify(args: argparse.Namespace, ctx: CommandContext) -> int:
    try:
        session = ctx.session(allow_loss=True)
    except Exception as exc:
        # Too damaged for anyone to sign in (or to open normally): examine it with the key
        # alone, so that the clinic still learns what is damaged and what to restore.
        if not isinstance(explain(exc), StoreCorrupt) or args.accept_loss or args.remove_orphans:
            raise
        report = backup.verify_store(ctx.unlocked_store())
        report.notes.append(
            "nobody could be signed in (the database is damaged), so this check is not in "
            "the audit trail"
        )
        return _report_verify(ctx, report)
    if args.accept_loss:
        backup.accept_loss(session)
    removed = backup.remove_orphans(session) if args.remove_orphans else 0
    report = backup.verify(session)
    if args.remove_orphans:
        report.notes.insert(0, f"removed {removed} stored object(s) that belonged to no page")
    if args.accept_loss:
        report.notes.insert(0, "the loss was accepted: normal work can resume")
    return _report_verify(ctx, report)


def _report_verify(ctx: CommandContext, report: backup.VerifyReport) -> int:
    """The report on stdout; when something is wrong, one line on stderr and an exit status
    that says what kind: 9 damaged database, 10 lost work, 8 other problems."""
    lines = [f"Checked {report.checked_pages} stored objects and {report.audit_rows} audit rows."]
    lines += [f"PROBLEM: {p}" for p in report.problems] + [f"note: {n}" for n in report.notes]
    if report.ok:
        lines.append("All good.")
    elif report.restore_from:
        lines.append(report.restore_from[0].upper() + report.restore_from[1:] + ".")
    else:
        lines.append("The store has problems: restore from a backup.")
    ctx.emit(report.as_dict(), "\n".join(lines))
    if report.ok:
        return 0
    if report.damaged or report.bad_pages:
        what = "; ".join(report.damaged) or f"{len(report.bad_pages)} page(s) fail their check"
        summary, code = (
            f"The records database is damaged ({what}): {report.restore_from}.",
            StoreCorrupt.exit_code,
        )
    elif report.lost:
        summary, code = report.lost, WorkLost.exit_code
    else:
        summary, code = "The store has problems (listed above): restore from a backup.", 8
    sys.stderr.write(f"clinicrecords: {summary}\n")
    return code


def run_settings_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.clinic.settings import SETTINGS, all_settings

    values = all_settings(ctx.session())
    ctx.emit(
        {"settings": values},
        "\n".join(f"{k:28} {values[k]!r:30} {SETTINGS[k].label}" for k in SETTINGS),
    )
    return 0


def run_settings_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.clinic.settings import set_setting

    value = set_setting(ctx.session(), args.key, args.value)
    ctx.emit({args.key: value}, f"{args.key} = {value!r}")
    return 0


def run_audit_verify(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.admin.review import verify_audit

    report = verify_audit(ctx.session())
    lines = [f"{report.rows} audit rows checked."]
    for ws in report.workstations:  # a clinic network: every workstation's chain
        where = " (this PC)" if ws["this_pc"] else ""
        state = "chain intact" if ws["ok"] else f"{len(ws['problems'])} problem(s)"
        lines.append(f"Workstation {ws['name']}{where}: {ws['rows']} rows, {state}.")
    if report.server_order is not None:
        lines.append(
            "The server's order: intact." if not report.server_order else "The server's order:"
        )
    lines += [f"PROBLEM: {p}" for p in report.problems]
    if report.ok:
        lines.append("The audit chain is intact." if not report.workstations else
                     "Every workstation's audit chain is intact.")  # fmt: skip
    data: dict = {"ok": report.ok, "rows": report.rows, "problems": report.problems}
    if report.server_order is not None:
        data |= {"workstations": report.workstations, "server_order_ok": not report.server_order}
    ctx.emit(data, "\n".join(lines))
    return 0 if report.ok else 8


def run_audit_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    from clinicrecords.admin.review import newest_rows

    rows = newest_rows(ctx.session(), args.limit)
    ctx.emit(
        {"rows": rows},
        "\n".join(
            f"{r['id']:>6} {r['ts']} {r['username']:12} {r['action']:22} {r['object_type']} {r['object_id']}"
            for r in rows
        ),
    )
    return 0


__all__ = ["register", "run_gui", "PASSWORD_ENV"]
