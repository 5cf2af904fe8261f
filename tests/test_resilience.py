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

from clinicrecords.admin import backup
from clinicrecords.clinic.store import Store
from clinicrecords.common import fileio
from clinicrecords.common.errors import DiskFull
from clinicrecords.intake.importing import import_files
from clinicrecords.intake.review import open_batches
from clinicrecords.registry.patients import PatientInput, register_patient
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

    monkeypatch.setattr(fileio.os, "fsync", full_disk)
    with pytest.raises(DiskFull, match="disk is full"):  # the whole import stops: so would the rest
        import_files(admin_session, [src])
    monkeypatch.setattr(fileio.os, "fsync", real_fsync)
    assert _counts(conn)[1] == before[1]
    assert open_batches(admin_session) == []  # no empty batch left in the queue
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


# --- backups under kill -9 and a full disk (issue 8, defect 1) ---------------------------------


def _cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_PASSWORD=PASSWORD,
        CLINICRECORDS_USER=USERS["admin"],
    )
    return env


def _backup_cmd(store_dir: Path, dest: Path) -> list[str]:
    return [
        sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir), "backup", str(dest),
        "--json",
    ]  # fmt: skip


def _writing(bk: Path) -> bool:
    """A backup has started writing (a *.partial of this version or the one before)."""
    return any(".partial" in n for n in _names(bk / "generations") | _names(bk))


def _writing_window(store_dir: Path, bk: Path) -> float:
    """Seconds from a backup's first write to its exit (measured on an uninterrupted run)."""
    proc = subprocess.Popen(
        _backup_cmd(store_dir, bk), env=_cli_env(), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while proc.poll() is None and not _writing(bk):
        time.sleep(0.002)
    t = time.monotonic()
    assert proc.wait() == 0
    return max(time.monotonic() - t, 0.05)


def _names(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except FileNotFoundError:
        return set()


def _contents(store: Store) -> tuple[set, set]:
    conn = store.db.connection()
    patients = {tuple(r) for r in conn.execute("SELECT id, family, given FROM patients")}
    pages = {tuple(r) for r in conn.execute("SELECT id, document_id, sha256 FROM pages")}
    return patients, pages


def _file_a_document(session, label: str, pages: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    from clinicrecords.records.documents import PageInput, add_document

    p = register_patient(session, PatientInput(family=label, given="Kim", dob=date(1975, 5, 5)))
    add_document(session, p.id, "lab", None, [PageInput(b) for b in pages])


@pytest.mark.slow
def test_killed_backup_never_costs_the_previous_one(store_dir: Path, tmp_path: Path) -> None:
    """kill -9 of `clinicrecords backup` at random moments, 24 times, into a folder holding a
    good backup: after every kill the folder restores into a fresh folder, the restored store
    verifies, and it holds everything the first good backup held."""
    import random
    import shutil

    from clinicrecords.clinic import auth
    from tests.helpers import noise_page

    seed = int(os.environ.get("KILL_SEED", "20260308"))
    rng = random.Random(seed)
    bk = tmp_path / "bk"
    store = Store.open(store_dir, PASSPHRASE)
    session = auth.login(store, USERS["admin"], PASSWORD)
    try:
        for i in range(4):
            _file_a_document(session, f"Base{chr(65 + i)}", [noise_page(i), noise_page(100 + i)])
        t = time.monotonic()
        first = subprocess.run(_backup_cmd(store_dir, bk), env=_cli_env(), capture_output=True)
        whole = time.monotonic() - t
        assert first.returncode == 0, first.stderr
        good = _contents(store)
        window = _writing_window(store_dir, bk)  # from the first file written to the exit
        hit_partial = completed = 0
        for it in range(24):
            # new work for every backup, so each one copies pages as well as the database
            _file_a_document(
                session, "Kill" + chr(65 + it % 26) * (1 + it // 26), [noise_page(1000 + it)]
            )
            gens = bk / "generations"
            before = _names(gens)
            proc = subprocess.Popen(
                _backup_cmd(store_dir, bk),
                env=_cli_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if it % 3 == 0:  # anywhere in the run, start-up included
                time.sleep(rng.uniform(0, whole))
            else:  # inside the writing of the new generation, or its pruning
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline and proc.poll() is None:
                    if _writing(bk):
                        break
                    time.sleep(0.002)
                # early in the window: on an idle machine an incremental generation is
                # written much faster than the first one the window was measured on
                time.sleep(rng.uniform(0, window / 4))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            after = _names(gens)
            hit_partial += any(n.endswith(".partial") for n in after)
            completed += any("." not in n for n in after - before)

            target = tmp_path / f"restored{it}"
            restored, report = backup.restore(bk, target, PASSPHRASE)
            try:
                assert report.ok, (seed, it, report.problems)
                patients, pages = _contents(restored)
                assert good[0] <= patients and good[1] <= pages, (seed, it)
                assert backup.verify_store(restored).ok
            finally:
                restored.close()
            shutil.rmtree(target)
        # the kills landed where it matters, not only in start-up or after the end
        print(f"kills: {hit_partial} left an unfinished generation, {completed} came after one "
              "was complete")  # fmt: skip
        assert hit_partial >= 4 and completed >= 1, (seed, hit_partial, completed)
        final = subprocess.run(_backup_cmd(store_dir, bk), env=_cli_env(), capture_output=True)
        assert final.returncode == 0, final.stderr
        restored, report = backup.restore(bk, tmp_path / "last", PASSPHRASE)
        try:
            assert _contents(restored) == _contents(store) and report.ok
        finally:
            restored.close()
    finally:
        store.close()


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real 1 MiB file system (tmpfs) that a backup fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root (mount -t tmpfs): " + r.stderr.decode())
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.parametrize("layout", ["generations", "old single-generation layout"])
def test_a_full_backup_disk_keeps_the_previous_backup(
    admin_session, store_dir: Path, tmp_path: Path, small_disk: Path, layout: str
) -> None:
    """The backup disk fills during the second backup: a clear full-disk message (exit 7),
    and the first backup still restores whole; with room again the next backup completes."""
    from tests.helpers import make_old_layout_backup, noise_page

    bk = small_disk / "bk"
    _file_a_document(admin_session, "Small", [png_page("first page"), png_page("second")])
    if layout == "generations":
        backup.backup(admin_session, bk)
    else:
        make_old_layout_backup(admin_session, bk)
    good = _contents(admin_session.store)
    _file_a_document(admin_session, "Large", [noise_page(i) for i in range(7)])  # ~1.1 MB

    r = subprocess.run(
        _backup_cmd(store_dir, bk)[:-1], env=_cli_env(), capture_output=True, text=True
    )
    restored, report = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    try:
        assert report.ok, report.problems
        assert _contents(restored) == good
    finally:
        restored.close()
    assert r.returncode == DiskFull.exit_code, r.stderr
    assert "backup disk is full" in r.stderr and "previous backup in that folder is intact" in (
        r.stderr
    )
    assert "damaged" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "MB more is needed" in r.stderr
    # with the disk filled to the last byte, even the database copy fails: the same answer
    fd = os.open(small_disk / "ballast", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    with pytest.raises(DiskFull, match="previous backup in that folder is intact"):
        backup.backup(admin_session, bk)
    (small_disk / "ballast").unlink()
    assert not list((bk / "generations").glob("*.partial")) if (bk / "generations").exists() else 1

    subprocess.run(["mount", "-o", "remount,size=8m", str(small_disk)], check=True)
    done = backup.backup(admin_session, bk)
    assert done.pages_total == 9
    restored, report = backup.restore(bk, tmp_path / "r2", PASSPHRASE)
    try:
        assert report.ok and _contents(restored) == _contents(admin_session.store)
    finally:
        restored.close()
