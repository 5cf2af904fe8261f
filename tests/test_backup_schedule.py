"""The nightly backup: the exact text each OS scheduler receives, a real crontab on this machine,
the job itself run as cron would run it, and the limits of the job's session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicrecords.admin import schedule
from clinicrecords.common.errors import AccessDenied, BadInput
from clinicrecords.db import audit_sql
from tests.conftest import PASSPHRASE

STORE_ID = "0123abcd-0000-4000-8000-000000000000"


def test_the_scheduler_is_task_scheduler_on_windows_systemd_where_it_runs_else_cron() -> None:
    assert schedule.choose_scheduler("win32") == "schtasks"
    assert schedule.choose_scheduler("linux", systemd_running=True) == "systemd"
    assert schedule.choose_scheduler("linux", systemd_running=False) == "cron"
    assert schedule.choose_scheduler("darwin", systemd_running=False) == "cron"


def test_times_are_hh_mm_on_a_24_hour_clock() -> None:
    assert schedule.parse_time("2:05") == (2, 5)
    assert schedule.parse_time("23:59") == (23, 59)
    for bad in ("24:00", "7pm", "12:60", "", "1230"):
        with pytest.raises(BadInput):
            schedule.parse_time(bad)


def test_cron_line_is_exact_and_quotes_paths_and_percent_signs() -> None:
    cmd = schedule.job_command(
        Path("/home/front desk/data"), Path("/mnt/usb/100%"), ["/opt/clinicrecords/clinicrecords"]
    )
    assert schedule.cron_line(cmd, 2, 30, STORE_ID) == (
        "30 2 * * * /opt/clinicrecords/clinicrecords --data-dir '/home/front desk/data' "
        "backup --to /mnt/usb/100\\% --scheduled # clinicrecords-backup store=" + STORE_ID
    )


def test_merging_the_crontab_replaces_only_this_stores_line() -> None:
    other_store = "ffffffff-0000-4000-8000-000000000000"
    existing = (
        "MAILTO=it@example.org\n"
        "0 * * * * /usr/local/bin/rotate-logs\n"
        f"0 1 * * * old job # clinicrecords-backup store={STORE_ID}\n"
        f"0 3 * * * other # clinicrecords-backup store={other_store}\n"
    )
    merged = schedule.merge_crontab(existing, "5 4 * * * new job", STORE_ID)
    assert merged == (
        "MAILTO=it@example.org\n"
        "0 * * * * /usr/local/bin/rotate-logs\n"
        f"0 3 * * * other # clinicrecords-backup store={other_store}\n"
        "5 4 * * * new job\n"
    )
    removed = schedule.merge_crontab(
        merged + f"x # clinicrecords-backup store={STORE_ID}\n", None, STORE_ID
    )
    assert "new job" in removed and f"store={STORE_ID}" not in removed
    assert schedule.merge_crontab("", None, STORE_ID) == ""


def test_systemd_units_are_exact() -> None:
    cmd = schedule.job_command(
        Path("/home/ada/.local/share/ClinicRecords"),
        Path("/media/ada/Backup Disk"),
        ["/usr/bin/clinicrecords"],
    )
    service, timer = schedule.systemd_units(cmd, 2, 5, "clinicrecords-backup-0123abcd")
    assert service == (
        "[Unit]\n"
        "Description=ClinicRecords nightly backup\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "ExecStart=/usr/bin/clinicrecords --data-dir /home/ada/.local/share/ClinicRecords "
        'backup --to "/media/ada/Backup Disk" --scheduled\n'
    )
    assert timer == (
        "[Unit]\n"
        "Description=ClinicRecords nightly backup\n"
        "\n"
        "[Timer]\n"
        "OnCalendar=*-*-* 02:05:00\n"
        "Persistent=true\n"
        "Unit=clinicrecords-backup-0123abcd.service\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def test_schtasks_command_line_is_exact() -> None:
    cmd = schedule.job_command(
        Path("C:\\Users\\Front Desk\\AppData\\Local\\ClinicRecords"),
        Path("E:\\backups\\clinic"),
        ["C:\\Program Files\\ClinicRecords\\clinicrecords.exe"],
    )
    args = schedule.schtasks_create(cmd, 23, 0, schedule.job_name(STORE_ID))
    assert args == [
        "schtasks",
        "/Create",
        "/F",
        "/SC",
        "DAILY",
        "/ST",
        "23:00",
        "/TN",
        "ClinicRecords\\clinicrecords-backup-0123abcd",
        "/TR",
        '"C:\\Program Files\\ClinicRecords\\clinicrecords.exe" --data-dir '
        '"C:\\Users\\Front Desk\\AppData\\Local\\ClinicRecords" backup --to '
        "E:\\backups\\clinic --scheduled",
    ]
    assert schedule.schtasks_delete(schedule.job_name(STORE_ID)) == [
        "schtasks",
        "/Delete",
        "/F",
        "/TN",
        "ClinicRecords\\clinicrecords-backup-0123abcd",
    ]


# --- a real crontab -------------------------------------------------------------------------


@pytest.fixture
def real_crontab() -> Iterator[str]:
    """This user's real crontab, with a line of someone else's; put back as it was after."""
    if shutil.which("crontab") is None:
        pytest.skip("no crontab here ('bash installer/setup.sh test' installs cron)")
    saved = subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=False)
    mine = "17 5 * * 1 /usr/local/bin/someone-elses-job --flag\n"
    subprocess.run(["crontab", "-"], input=mine, text=True, check=True)
    try:
        yield mine
    finally:
        if saved.returncode == 0:
            subprocess.run(["crontab", "-"], input=saved.stdout, text=True, check=True)
        else:
            subprocess.run(["crontab", "-r"], capture_output=True, check=False)


def _crontab() -> str:
    return subprocess.run(["crontab", "-l"], capture_output=True, text=True, check=True).stdout


def test_cron_schedule_is_registered_replaced_run_and_removed(
    real_crontab: str, store, admin_session, tmp_path: Path
) -> None:
    folder = tmp_path / "nightly"
    sched = schedule.schedule_backup(admin_session, folder, "02:30", scheduler="cron")
    assert sched.at == "02:30" and sched.folder == str(folder.resolve())
    schedule.schedule_backup(admin_session, folder, "3:45", scheduler="cron")
    table = _crontab()
    ours = [ln for ln in table.splitlines() if f"store={store.store_id}" in ln]
    assert len(ours) == 1 and ours[0].startswith("45 3 * * * ")
    assert real_crontab.strip() in table.splitlines()  # the user's own line is kept
    assert schedule.current_schedule(store) == schedule.Schedule(
        folder=str(folder.resolve()),
        at="03:45",
        scheduler="cron",
        job=f"# clinicrecords-backup store={store.store_id}",
        registered_at=schedule.current_schedule(store).registered_at,
        registered_by="admin",
    )

    # Run the job exactly as cron would: the line's command through sh, with no password.
    command = ours[0].split(" ", 5)[5]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env["CLINICRECORDS_PASSPHRASE"] = PASSPHRASE  # this machine has no keyring
    done = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""  # silent when all is well
    assert len(list((folder / "generations").iterdir())) == 1
    with store.db.read() as conn:
        rows = audit_sql.rows_with_action(conn, "backup.done")
    assert rows[-1]["username"] == schedule.SCHEDULED_USER

    removed = schedule.unschedule_backup(admin_session)
    assert removed is not None and removed.at == "03:45"
    assert _crontab() == real_crontab
    assert schedule.current_schedule(store) is None


@pytest.mark.slow
def test_the_cli_registers_and_removes_the_schedule(
    real_crontab: str, cli_env, store_dir: Path, tmp_path: Path
) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    r = cli("backup", "schedule", "--to", str(tmp_path / "b"), "--at", "01:15", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["schedule"]["at"] == "01:15"
    assert "keyring" in doc["notes"][0]  # this machine has none: the note says so
    assert any(ln.startswith("15 1 * * * ") for ln in _crontab().splitlines())
    status = json.loads(cli("status", "--json").stdout)
    assert status["backup_schedule"]["at"] == "01:15"
    assert cli("backup", "schedule", "--off").returncode == 0
    assert _crontab() == real_crontab


# --- systemd, where a user manager runs -----------------------------------------------------


def test_systemd_user_timer_on_a_machine_that_runs_systemd(store, admin_session, tmp_path):
    if not schedule.systemd_user_manager_running():
        pytest.skip("no systemd user manager runs here (a container): the unit text is tested")
    unit_dir = schedule.systemd_unit_dir()
    name = schedule.job_name(store.store_id)
    try:
        schedule.schedule_backup(admin_session, tmp_path / "bk", "04:10", scheduler="systemd")
        assert (unit_dir / f"{name}.timer").read_text().count("OnCalendar=*-*-* 04:10:00") == 1
        active = subprocess.run(
            ["systemctl", "--user", "is-enabled", f"{name}.timer"], capture_output=True, text=True
        )
        assert active.stdout.strip() == "enabled"
    finally:
        schedule.unschedule_backup(admin_session)
    assert not (unit_dir / f"{name}.timer").exists()


# --- the job's session ----------------------------------------------------------------------


def test_the_scheduled_session_backs_up_only_into_the_registered_folder(
    real_crontab: str, store, admin_session, tmp_path: Path
) -> None:
    with pytest.raises(AccessDenied):
        schedule.scheduled_session(store, tmp_path / "anywhere")  # nothing registered
    schedule.schedule_backup(admin_session, tmp_path / "bk", "02:00", scheduler="cron")
    with pytest.raises(AccessDenied):
        schedule.scheduled_session(store, tmp_path / "elsewhere")
    job = schedule.scheduled_session(store, tmp_path / "bk")
    assert job.can("backup.run")
    for permission in ("patient.read", "document.read", "settings.edit", "user.manage"):
        assert not job.can(permission)
    schedule.unschedule_backup(admin_session)


def test_scheduling_needs_an_administrator(session_for, tmp_path: Path) -> None:
    with pytest.raises(AccessDenied):
        schedule.schedule_backup(session_for("clerk"), tmp_path / "bk", "02:00", scheduler="cron")
