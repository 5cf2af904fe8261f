"""`backup drill`: the newest backup restored into a temporary folder, verified, recorded (audited)
and removed; a damaged backup fails the drill and says so. And `status`, which reports both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from clinicrecords.admin import backup, drill, status
from clinicrecords.db import audit_sql
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.helpers import png_page


def _fill(session) -> None:
    p = register_patient(session, PatientInput(family="Drill", given="Pat", dob=date(1970, 1, 1)))
    add_document(
        session,
        p.id,
        "lab",
        date(2026, 3, 1),
        [PageInput(png_page("p1")), PageInput(png_page("p2"))],
    )


def _newest(folder: Path) -> Path:
    return sorted(p for p in (folder / "generations").iterdir() if "." not in p.name)[-1]


def _flip(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    for i in range(offset, offset + 16):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


def test_a_good_drill_restores_verifies_records_and_leaves_nothing(
    store, admin_session, tmp_path: Path
) -> None:
    _fill(admin_session)
    backup.backup(admin_session, tmp_path / "bk")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = drill.drill(admin_session, tmp_path / "bk", scratch=scratch)
    assert result.ok, result.problems
    assert result.checked_pages == 2 and result.audit_rows > 0
    assert result.generation == _newest(tmp_path / "bk").name
    assert list(scratch.iterdir()) == []
    recorded = drill.last_drill(store)
    assert recorded["ok"] is True and recorded["generation"] == result.generation
    with store.db.read() as conn:
        row = audit_sql.rows_with_action(conn, "backup.drill")[-1]
    assert row["username"] == "admin" and json.loads(row["detail"])["ok"] is True
    info = status.status(store)
    assert info["last_drill"]["result"] == "ok"
    assert info["last_backup"]["result"] == "ok"
    assert info["last_backup"]["folder"] == str(tmp_path / "bk")
    assert info["store_bytes"] > 0 and info["free_bytes"] > 0
    assert status.warnings(info) == []


def test_a_damaged_newest_database_fails_the_drill_though_an_older_backup_is_good(
    store, admin_session, tmp_path: Path
) -> None:
    _fill(admin_session)
    backup.backup(admin_session, tmp_path / "bk")
    backup.backup(admin_session, tmp_path / "bk")
    _flip(_newest(tmp_path / "bk") / "clinic.db", 8192)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = drill.drill(admin_session, tmp_path / "bk", scratch=scratch)
    assert not result.ok
    assert result.generation == _newest(tmp_path / "bk").name  # not the older, good one
    assert "damaged" in result.problems[0]
    assert list(scratch.iterdir()) == []
    assert drill.last_drill(store)["ok"] is False
    assert "The last restore drill failed: the backup may not restore." in status.warnings(
        status.status(store)
    )


def test_a_damaged_page_in_the_backup_fails_the_drill_and_names_it(
    store, admin_session, tmp_path: Path
) -> None:
    _fill(admin_session)
    backup.backup(admin_session, tmp_path / "bk")
    page = next(p for p in (tmp_path / "bk" / "pages").rglob("*") if p.is_file())
    _flip(page, 100)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = drill.drill(admin_session, tmp_path / "bk", scratch=scratch)
    assert not result.ok
    assert len(result.problems) == 1 and result.problems[0].startswith("page ")
    assert list(scratch.iterdir()) == []


def test_warnings_for_an_old_backup_and_an_old_or_missing_drill() -> None:
    now = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)

    def ts(delta: timedelta) -> str:
        return (now - delta).strftime("%Y-%m-%dT%H:%M:%SZ")

    fresh = {
        "last_backup": {"result": "ok", "last_good": ts(timedelta(hours=25))},
        "last_drill": {"result": "ok", "time": ts(timedelta(days=29))},
    }
    assert status.warnings(fresh, now) == []
    stale = {
        "last_backup": {"result": "ok", "last_good": ts(timedelta(hours=27))},
        "last_drill": {"result": "ok", "time": ts(timedelta(days=31))},
    }
    assert status.warnings(stale, now) == [
        "The last good backup is 27 hours old: check the nightly backup.",
        "The last restore drill is 31 days old: run another.",
    ]
    never = status.warnings({"last_backup": None, "last_drill": None}, now)
    assert len(never) == 2 and "No backup" in never[0] and "No restore drill" in never[1]


@pytest.mark.slow
def test_the_cli_drill_fails_with_exit_status_8_and_leaves_no_temporary_folder(
    cli_env, admin_session, store_dir: Path, tmp_path: Path
) -> None:
    _fill(admin_session)
    backup.backup(admin_session, tmp_path / "bk")
    _flip(_newest(tmp_path / "bk") / "clinic.db", 8192)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir)]
        + ["backup", "drill", str(tmp_path / "bk"), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        timeout=120,
    )
    assert r.returncode == 8
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and "damaged" in doc["problems"][0]
    assert "restore drill failed" in r.stderr
    assert list(tmp.iterdir()) == []


def test_a_backup_that_did_not_finish_is_reported_as_failed(
    store, admin_session, tmp_path: Path
) -> None:
    backup.backup(admin_session, tmp_path / "good")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "generations").write_bytes(b"")  # a file where the generations folder goes
    with pytest.raises(OSError):
        backup.backup(admin_session, broken)
    last = status.last_backup(store)
    assert last["result"] == "failed" and last["folder"] == str(broken)
    assert last["last_good"] is not None  # the earlier one still counts as the last good
    assert "The most recent backup did not finish." in status.warnings(status.health(store))
