"""Nothing a user did is lost: a full disk and a killed process leave the store as it was."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from clinicrecords import backup, ingest
from clinicrecords.db import pagestore
from clinicrecords.errors import DiskFull
from clinicrecords.patients import PatientInput, register_patient
from clinicrecords.store import Store
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.helpers import png_page


def _counts(conn) -> tuple[int, int, int]:
    return tuple(
        conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("patients", "imported_files", "audit_log")
    )


def test_database_full_refuses_the_action_whole(admin_session) -> None:
    """SQLITE_FULL for real: the file may not grow past its current size."""
    register_patient(
        admin_session, PatientInput(family="Before", given="Ann", dob=date(1970, 1, 1))
    )
    conn = admin_session.db.connection()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    before = _counts(conn)
    with pytest.raises(DiskFull, match="disk is full"):
        for i in range(400):  # enough rows to need a new database page
            register_patient(
                admin_session,
                PatientInput(
                    family="Filler",
                    given=f"Row{chr(65 + i % 26)}",
                    dob=date(1980, 1, 1),
                    address="x" * 200,
                ),
            )
    conn.execute("PRAGMA max_page_count = 1073741823")
    after = _counts(conn)
    assert (
        after[0] >= before[0]
        and conn.execute("SELECT count(*) FROM patients WHERE family = 'Before'").fetchone()[0] == 1
    )
    assert backup.verify(admin_session).ok


def test_page_store_full_disk_stores_nothing_and_says_so(
    admin_session, tmp_path, monkeypatch
) -> None:
    """ENOSPC while writing an imported file: a clear sentence, no row, no partial file."""
    src = tmp_path / "scan.png"
    src.write_bytes(png_page("a page that will not fit"))
    conn = admin_session.db.connection()
    before = _counts(conn)
    files_before = sorted(p.name for p in admin_session.store.pages.root.rglob("*") if p.is_file())
    real_fsync = os.fsync

    def full_disk(fd: int) -> None:  # the write reaches the disk at fsync, as on a real full disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pagestore.os, "fsync", full_disk)
    with pytest.raises(DiskFull, match="disk is full"):  # the whole import stops: so would the rest
        ingest.import_files(admin_session, [src])
    monkeypatch.setattr(pagestore.os, "fsync", real_fsync)
    assert _counts(conn)[1] == before[1]
    assert ingest.open_batches(admin_session) == []  # no empty batch left in the queue
    files_after = sorted(p.name for p in admin_session.store.pages.root.rglob("*") if p.is_file())
    assert files_after == files_before  # no half-written or temp file left behind
    assert src.exists()


@pytest.mark.slow
def test_killed_import_loses_nothing_committed(store_dir: Path, tmp_path: Path) -> None:
    """kill -9 in the middle of a 12-file import: what was committed opens, verifies and reads
    back; a second run stores the rest and reports the committed ones as duplicates."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    paths = []
    for i in range(12):
        p = inbox / f"scan{i:02d}.png"
        p.write_bytes(png_page(f"incoming page number {i} " + "text " * 200, size=(2550, 3300)))
        paths.append(p)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_PASSWORD=PASSWORD,
        CLINICRECORDS_USER=USERS["admin"],
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clinicrecords",
            "--data-dir",
            str(store_dir),
            "ingest",
            *map(str, paths),
            "--json",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    watcher = Store.open(store_dir, PASSPHRASE)
    try:
        conn = watcher.db.connection()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if conn.execute("SELECT count(*) FROM imported_files").fetchone()[0] >= 2:
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        watcher.close()

    store = Store.open(store_dir, PASSPHRASE)
    try:
        report = backup.verify_store(store)
        assert report.ok, report.problems
        conn = store.db.connection()
        committed = conn.execute("SELECT blob_id, sha256 FROM imported_files").fetchall()
        assert 2 <= len(committed) <= 12
        for blob_id, sha in committed:
            assert store.pages.get(blob_id, sha)
    finally:
        store.close()
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinicrecords",
            "--data-dir",
            str(store_dir),
            "ingest",
            *map(str, paths),
            "--json",
            "--no-process",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    store = Store.open(store_dir, PASSPHRASE)
    try:
        conn = store.db.connection()
        distinct = conn.execute("SELECT count(DISTINCT sha256) FROM imported_files").fetchone()[0]
        assert distinct == 12
    finally:
        store.close()
