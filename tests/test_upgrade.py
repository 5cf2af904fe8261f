"""Upgrades: today's program opens a store written by release 0.1 (tests/fixtures/store_0_1,
made by tests/fixtures/make_store_0_1.py with 0.1's own code, schema 0001-0003), migrates it
after an automatic encrypted backup, reads what 0.1 wrote, and `verify` passes.

Nothing here names the newest migration: other work adds them, and each must upgrade 0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clinicrecords.clinic.store import Store
from clinicrecords.db.connection import open_connection
from clinicrecords.db.migrate import latest_version, schema_version

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "store_0_1.expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A copy: the committed fixture is never changed by a test."""
    dest = tmp_path / "data"
    shutil.copytree(FIXTURES / "store_0_1", dest)
    return dest


def _cli(data: Path, *args: str, program: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLINICRECORDS_PASSPHRASE": EXPECTED["passphrase"],
        "CLINICRECORDS_USER": "admin",
        "CLINICRECORDS_PASSWORD": EXPECTED["password"],
    }
    if program is not None:
        env["PYTHONPATH"] = str(program)
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(data), *args],
        env=env,
        cwd=program or Path.cwd(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _backup_before_migration(data: Path, key: bytes) -> None:
    """Exactly one automatic copy, taken before the first migration: 0.1's schema and rows,
    encrypted with the store's key."""
    backups = sorted((data / "backups").glob("before-migration-*.db"))
    assert len(backups) == 1, backups
    assert backups[0].name.startswith(f"before-migration-{EXPECTED['schema_version']:04d}-")
    assert not backups[0].read_bytes().startswith(b"SQLite format 3")
    conn = open_connection(backups[0], key)
    try:
        assert schema_version(conn) == EXPECTED["schema_version"]
        count = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
        assert count == len(EXPECTED["patients"])
    finally:
        conn.close()


@pytest.mark.slow
def test_a_store_made_by_0_1_upgrades_backs_up_first_reads_and_verifies(old_store: Path) -> None:
    assert not (old_store / "backups").exists()
    first = _cli(old_store, "verify")  # the first command of the new version migrates
    assert first.returncode == 0, first.stderr

    store = Store.open(old_store, EXPECTED["passphrase"])
    try:
        with store.db.read() as conn:
            assert schema_version(conn) == latest_version()
        key = store.db.key
    finally:
        store.close()

    if latest_version() > EXPECTED["schema_version"]:
        _backup_before_migration(old_store, key)
    else:  # no migration newer than 0.1's on this branch: nothing to back up, nothing written
        assert list((old_store / "backups").glob("before-migration-*.db")) == []

    listed = json.loads(_cli(old_store, "patients", "list", "--json").stdout)["patients"]
    fields = ("mrn", "family", "given", "dob", "phone")
    assert [{k: p[k] for k in fields} for p in listed] == EXPECTED["patients"]
    for mrn, counts in EXPECTED["charts"].items():
        if not counts["documents"]:
            continue
        chart = json.loads(_cli(old_store, "chart", mrn, "--json").stdout)
        docs = chart["documents"]
        assert len(docs) == counts["documents"]
        assert (
            sum(int(d.get("page_count", d.get("pages", 0)) or 0) for d in docs) == counts["pages"]
        )

    again = _cli(old_store, "verify")  # every page re-read, schema and audit chain checked
    assert again.returncode == 0, again.stderr
    assert "All good" in again.stdout


@pytest.mark.slow
def test_a_version_with_a_new_migration_backs_up_0_1s_store_first(
    old_store: Path, tmp_path: Path
) -> None:
    """Today's program plus one migration more (a release newer than this branch, so the
    backup-then-migrate path runs whatever migrations exist yet) upgrades 0.1's store."""
    program = tmp_path / "program"
    junk = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "clinicrecords", program / "clinicrecords", ignore=junk)
    shutil.copytree(ROOT / "resources", program / "resources", ignore=junk)
    newest = latest_version() + 1
    migration = program / "clinicrecords" / "db" / "migrations" / f"{newest:04d}_upgrade_probe.sql"
    migration.write_text("CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY);\n", "utf-8")

    first = _cli(old_store, "verify", program=program)
    assert first.returncode == 0, first.stderr
    # The database key, from another copy of the fixture (today's code would refuse, or
    # could one day refuse, a store newer than itself).
    shutil.copytree(FIXTURES / "store_0_1", tmp_path / "key-copy")
    store = Store.open(tmp_path / "key-copy", EXPECTED["passphrase"])
    key = store.db.key
    store.close()
    conn = open_connection(old_store / "clinic.db", key)
    try:
        assert schema_version(conn) == newest
        assert conn.execute("SELECT count(*) FROM upgrade_probe").fetchone()[0] == 0
    finally:
        conn.close()
    _backup_before_migration(old_store, key)
    listed = json.loads(_cli(old_store, "patients", "list", "--json", program=program).stdout)
    assert [p["mrn"] for p in listed["patients"]] == [p["mrn"] for p in EXPECTED["patients"]]
