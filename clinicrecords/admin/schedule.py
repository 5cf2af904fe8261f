"""The nightly backup, registered with the operating system's own scheduler.

Why the OS scheduler and not the desktop program: a backup that runs only while someone has the
program open runs only when someone remembers. Task Scheduler (Windows), a systemd user timer
(where a systemd user manager runs) or cron (everywhere else) runs it whether or not anyone is
signed in, and survives a restart of the PC.

The job runs ``clinicrecords --data-dir D backup --to DIR --scheduled``. It unlocks the store
with the key in this PC's keyring (or ``CLINICRECORDS_PASSPHRASE``): no password is written
into a crontab, unit or task. Without a signed-in user it acts as "(scheduled backup)", a
session that may only back up, and only into the folder an administrator registered here
(recorded in the store; the audit trail names both the registration and each run).

The text each scheduler receives (crontab line, systemd units, schtasks arguments) is made by
pure functions so that a test per platform checks it exactly; registering runs the scheduler's
own command through an injectable runner.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from clinicrecords.clinic import access
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.domain import User
from clinicrecords.common.errors import AccessDenied, BadInput, ClinicError
from clinicrecords.common.timeutil import utc_now
from clinicrecords.db import settings_sql

SCHEDULE_KEY = "backup.schedule"
SCHEDULED_USER = "(scheduled backup)"
CRON_TAG = "# clinicrecords-backup store="
SCHEDULERS = ("schtasks", "systemd", "cron")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Runner = Callable[[Sequence[str], str | None], subprocess.CompletedProcess]


class SchedulerError(ClinicError):
    """The operating system's scheduler refused or is missing."""

    exit_code = 8


@dataclass(frozen=True)
class Schedule:
    folder: str
    at: str  # HH:MM, local time of the PC
    scheduler: str  # one of SCHEDULERS
    job: str  # the registered entry's name (task, unit) or the crontab tag
    registered_at: str
    registered_by: str

    def as_dict(self) -> dict:
        return asdict(self)


def parse_time(text: str) -> tuple[int, int]:
    m = _TIME.match(text.strip())
    if not m:
        raise BadInput("Give the backup time as HH:MM on a 24-hour clock, for example 02:30.")
    return int(m.group(1)), int(m.group(2))


# --- which scheduler -------------------------------------------------------------------------


def systemd_user_manager_running(runner: Runner | None = None) -> bool:
    """True when ``systemctl --user`` reaches a running user manager (not in most containers,
    nor over ssh without lingering): only then does a user timer ever fire."""
    if shutil.which("systemctl") is None:
        return False
    try:
        done = (runner or _run)(["systemctl", "--user", "is-system-running"], None)
    except (OSError, subprocess.SubprocessError):
        return False
    state = (done.stdout or "").strip()
    return state in ("running", "degraded", "starting")


def choose_scheduler(platform: str | None = None, systemd_running: bool | None = None) -> str:
    platform = platform or sys.platform
    if platform.startswith("win"):
        return "schtasks"
    if systemd_running is None:
        systemd_running = systemd_user_manager_running()
    return "systemd" if systemd_running else "cron"


# --- the job and the text each scheduler receives -------------------------------------------


def program() -> list[str]:
    """How to start this program again: the bundle's executable, else this Python with
    ``-m clinicrecords`` (a venv's python finds the package without any PATH)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "clinicrecords"]


def job_command(data_dir: Path, folder: Path, prog: Sequence[str] | None = None) -> list[str]:
    return [
        *(prog or program()),
        "--data-dir",
        str(data_dir),
        "backup",
        "--to",
        str(folder),
        "--scheduled",
    ]


def job_name(store_id: str) -> str:
    """One job per clinic store on this PC (a PC may hold a demo store beside the real one)."""
    return f"clinicrecords-backup-{store_id[:8]}"


def cron_line(command: Sequence[str], hour: int, minute: int, store_id: str) -> str:
    # cron treats % as a newline: escape it; shlex.join quotes spaces and shell characters.
    # Output is left to cron (mailed where the PC can mail): it is one line, without patient
    # data, and only on failure; the result is also in the audit trail and in `status`.
    cmd = shlex.join(command).replace("%", "\\%")
    return f"{minute} {hour} * * * {cmd} {CRON_TAG}{store_id}"


def merge_crontab(existing: str, line: str | None, store_id: str) -> str:
    """The user's crontab with this store's one tagged line replaced (or removed, ``None``);
    every other line is kept as it was."""
    tag = f"{CRON_TAG}{store_id}"
    kept = [ln for ln in existing.splitlines() if not ln.rstrip().endswith(tag)]
    if line is not None:
        kept.append(line)
    return "\n".join(kept) + "\n" if kept else ""


def systemd_units(command: Sequence[str], hour: int, minute: int, name: str) -> tuple[str, str]:
    """(.service, .timer). ``Persistent=true``: a PC that was off at the hour backs up when it
    next starts, instead of skipping the night."""
    exec_line = " ".join(_systemd_quote(a) for a in command)
    service = (
        "[Unit]\n"
        "Description=ClinicRecords nightly backup\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart={exec_line}\n"
    )
    timer = (
        "[Unit]\n"
        "Description=ClinicRecords nightly backup\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar=*-*-* {hour:02d}:{minute:02d}:00\n"
        "Persistent=true\n"
        f"Unit={name}.service\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return service, timer


def _systemd_quote(arg: str) -> str:
    """systemd's ExecStart= quoting: double quotes, backslash escapes, and % doubled (specifiers)."""
    arg = arg.replace("%", "%%")
    if arg and not re.search(r"[\s\"'\\;$]", arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$") + '"'


def schtasks_create(command: Sequence[str], hour: int, minute: int, name: str) -> list[str]:
    """Task Scheduler, per user, daily at HH:MM; /F replaces this store's earlier task."""
    return [
        "schtasks",
        "/Create",
        "/F",
        "/SC",
        "DAILY",
        "/ST",
        f"{hour:02d}:{minute:02d}",
        "/TN",
        f"ClinicRecords\\{name}",
        "/TR",
        subprocess.list2cmdline(list(command)),
    ]


def schtasks_delete(name: str) -> list[str]:
    return ["schtasks", "/Delete", "/F", "/TN", f"ClinicRecords\\{name}"]


def systemd_unit_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


# --- registering ------------------------------------------------------------------------------


def _run(args: Sequence[str], stdin: str | None) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args), input=stdin, capture_output=True, text=True, timeout=60, check=False
    )


def _checked(runner: Runner, args: Sequence[str], stdin: str | None = None) -> str:
    try:
        done = runner(args, stdin)
    except FileNotFoundError:
        raise SchedulerError(
            f"This PC has no '{args[0]}' command, so the nightly backup cannot be registered."
        ) from None
    except (OSError, subprocess.SubprocessError):
        raise SchedulerError(
            f"The PC's scheduler ('{args[0]}') did not answer; nothing was registered."
        ) from None
    if done.returncode != 0:
        raise SchedulerError(
            f"The PC's scheduler ('{args[0]}') refused the nightly backup (exit status "
            f"{done.returncode}); nothing was registered."
        )
    return done.stdout or ""


def _read_crontab(runner: Runner) -> str:
    try:
        done = runner(["crontab", "-l"], None)
    except FileNotFoundError:
        raise SchedulerError(
            "This PC has no 'crontab' command, so the nightly backup cannot be registered."
        ) from None
    if done.returncode != 0:  # "no crontab for user": an empty one
        return ""
    return done.stdout or ""


def install(
    scheduler: str,
    command: Sequence[str],
    hour: int,
    minute: int,
    store_id: str,
    runner: Runner | None = None,
    unit_dir: Path | None = None,
) -> str:
    """Register (or replace) the job; returns its name."""
    runner = runner or _run
    name = job_name(store_id)
    if scheduler == "cron":
        current = _read_crontab(runner)
        new = merge_crontab(current, cron_line(command, hour, minute, store_id), store_id)
        _checked(runner, ["crontab", "-"], new)
        return f"{CRON_TAG}{store_id}"
    if scheduler == "systemd":
        folder = unit_dir or systemd_unit_dir()
        folder.mkdir(parents=True, exist_ok=True)
        service, timer = systemd_units(command, hour, minute, name)
        (folder / f"{name}.service").write_text(service, "utf-8")
        (folder / f"{name}.timer").write_text(timer, "utf-8")
        _checked(runner, ["systemctl", "--user", "daemon-reload"])
        _checked(runner, ["systemctl", "--user", "enable", "--now", f"{name}.timer"])
        return name
    if scheduler == "schtasks":
        _checked(runner, schtasks_create(command, hour, minute, name))
        return name
    raise BadInput(f"Unknown scheduler; choose one of {', '.join(SCHEDULERS)}.")


def uninstall(
    scheduler: str, store_id: str, runner: Runner | None = None, unit_dir: Path | None = None
) -> None:
    runner = runner or _run
    name = job_name(store_id)
    if scheduler == "cron":
        current = _read_crontab(runner)
        new = merge_crontab(current, None, store_id)
        if new != current:
            _checked(runner, ["crontab", "-"], new)
    elif scheduler == "systemd":
        folder = unit_dir or systemd_unit_dir()
        runner(["systemctl", "--user", "disable", "--now", f"{name}.timer"], None)
        for suffix in (".service", ".timer"):
            (folder / f"{name}{suffix}").unlink(missing_ok=True)
        runner(["systemctl", "--user", "daemon-reload"], None)
    elif scheduler == "schtasks":
        runner(schtasks_delete(name), None)


# --- the service ------------------------------------------------------------------------------


def current_schedule(store: Store) -> Schedule | None:
    """The nightly backup an administrator registered on this PC for this store, if any."""
    with store.db.read() as conn:
        doc = settings_sql.get(conn, SCHEDULE_KEY)
    if not isinstance(doc, dict):
        return None
    try:
        return Schedule(**doc)
    except TypeError:
        return None


def schedule_backup(
    session: Session,
    folder: Path,
    at: str,
    *,
    scheduler: str | None = None,
    runner: Runner | None = None,
    unit_dir: Path | None = None,
    prog: Sequence[str] | None = None,
) -> Schedule:
    """Register the nightly backup into ``folder`` at ``at`` (HH:MM) with the OS scheduler,
    replacing this store's earlier one (also when it used another scheduler); recorded in the
    store and audited."""
    session.require("backup.run")
    session.require("settings.edit")
    hour, minute = parse_time(at)
    store = session.store
    folder = Path(folder).resolve()
    if folder == store.data_dir.resolve() or store.data_dir.resolve() in folder.parents:
        raise BadInput("A backup cannot go inside the data folder it backs up.")
    scheduler = scheduler or choose_scheduler()
    previous = current_schedule(store)
    if previous is not None and previous.scheduler != scheduler:
        uninstall(previous.scheduler, store.store_id, runner, unit_dir)
    command = job_command(store.data_dir.resolve(), folder, prog)
    job = install(scheduler, command, hour, minute, store.store_id, runner, unit_dir)
    sched = Schedule(
        folder=str(folder),
        at=f"{hour:02d}:{minute:02d}",
        scheduler=scheduler,
        job=job,
        registered_at=utc_now(),
        registered_by=session.user.username,
    )
    with session.db.write() as conn:
        settings_sql.put(conn, SCHEDULE_KEY, sched.as_dict())
        session.audit(
            "backup.schedule",
            "store",
            store.store_id,
            conn=conn,
            folder=sched.folder,
            at=sched.at,
            scheduler=scheduler,
        )
    return sched


def unschedule_backup(
    session: Session, *, runner: Runner | None = None, unit_dir: Path | None = None
) -> Schedule | None:
    """Remove the nightly backup (``backup schedule --off``); returns the one removed."""
    session.require("backup.run")
    session.require("settings.edit")
    store = session.store
    previous = current_schedule(store)
    if previous is not None:
        uninstall(previous.scheduler, store.store_id, runner, unit_dir)
    with session.db.write() as conn:
        settings_sql.put(conn, SCHEDULE_KEY, None)
        session.audit(
            "backup.schedule_off",
            "store",
            store.store_id,
            conn=conn,
            was=previous.as_dict() if previous else None,
        )
    return previous


def scheduled_session(store: Store, folder: Path) -> Session:
    """The session the nightly job acts in: it may back up, only into the registered folder.

    Why no account: the job runs with nobody at the PC, and a password kept for it in a
    crontab or a task would be readable wherever the job's text is. The store is already
    unlocked with the key this PC keeps (the keyring), which opens every record anyway; what
    this session adds is a limit (backup only, one folder) and a name in the audit trail.
    """
    sched = current_schedule(store)
    if sched is None or Path(sched.folder) != Path(folder).resolve():
        raise AccessDenied(
            "No nightly backup into that folder is registered on this PC: an administrator "
            "registers one with 'clinicrecords backup schedule --to FOLDER --at HH:MM'."
        )
    user = User(id=None, username=SCHEDULED_USER, full_name="", role=access.SCHEDULED)  # type: ignore[arg-type]
    return Session(store, user)
