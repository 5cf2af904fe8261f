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

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "store_0_1.expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    """A copy: the committed fixture is never changed by a test."""
    dest = tmp_path / "data"
    shutil.copytree(FIXTURES / "store_0_1", dest)
    return dest


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLINICRECORDS_PASSPHRASE": EXPECTED["passphrase"],
        "CLINICRECORDS_USER": "admin",
        "CLINICRECORDS_PASSWORD": EXPECTED["password"],
    }
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(data), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


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

    # The automatic backup holds the store as 0.1 left it, encrypted with the store's key.
    backups = sorted((old_store / "backups").glob("before-migration-*.db"))
    if latest_version() > EXPECTED["schema_version"]:
        assert len(backups) == 1, backups
        assert backups[0].name.startswith(f"before-migration-{EXPECTED['schema_version']:04d}-")
        assert not backups[0].read_bytes().startswith(b"SQLite format 3")
        conn = open_connection(backups[0], key)
        try:
            assert schema_version(conn) == EXPECTED["schema_version"]
            assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == len(
                EXPECTED["patients"]
            )
        finally:
            conn.close()
    else:  # no migration newer than 0.1's: nothing to back up, nothing written
        assert backups == []

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
