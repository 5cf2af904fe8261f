"""Damage and full disks, met by the real command line in real processes.

A flipped bit anywhere in clinic.db, a damaged or missing clinic.db-wal, a disk with no bytes
free: each command says what happened in one line on stderr, with its own exit status, and
never as something else (a full disk is not damage; damage is not "unexpected").
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from clinicrecords.admin import backup
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import DiskFull, StoreCorrupt, WorkLost
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.helpers import png_page

DAMAGED, LOST, FULL = StoreCorrupt.exit_code, WorkLost.exit_code, DiskFull.exit_code
# What SQLCipher's own log looks like when it reaches a terminal.
SQLCIPHER_LOG = re.compile(r"ERROR CORE|sqlcipher_|sqlite3Codec|hmac check failed", re.I)

# Runs several commands in one fresh process, capturing each one's stdout and stderr at the
# file-descriptor level (where SQLCipher's C code writes), and prints the results as JSON.
DRIVER = r"""
import json, os, sys, tempfile
from clinicrecords import cli
data, commands = sys.argv[1], json.loads(sys.argv[2])
real_stdout = os.dup(1)
results = []
for argv in commands:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush(); sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(out.fileno(), 1); os.dup2(err.fileno(), 2)
        try:
            rc = cli.main(["--data-dir", data, *argv])
        except SystemExit as exc:
            rc = exc.code
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os.dup2(saved[0], 1); os.dup2(saved[1], 2)
        out.seek(0); err.seek(0)
        results.append({"argv": argv, "rc": rc, "out": out.read().decode(errors="replace"),
                        "err": err.read().decode(errors="replace")})
os.write(real_stdout, json.dumps(results).encode())
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_PASSWORD=PASSWORD,
        CLINICRECORDS_USER=USERS["admin"],
        CLINICRECORDS_RESERVE_MB="0",
    )
    env.update(extra)
    return env


def run_commands(data: Path, commands: list[list[str]], **env: str) -> list[dict]:
    r = subprocess.run(
        [sys.executable, "-c", DRIVER, str(data), json.dumps(commands)],
        capture_output=True,
        env=_env(**env),
        timeout=300,
    )
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-2000:]
    assert not r.stderr, r.stderr.decode(errors="replace")[-2000:]  # nothing outside a command
    return json.loads(r.stdout)


def run_cli(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env=_env(**env),
        timeout=120,
    )


def assert_one_line(result: dict | subprocess.CompletedProcess, codes: set[int]) -> str:
    """Exit status in ``codes``; stderr empty on success, else exactly one line; never a
    traceback nor a line of SQLCipher's log."""
    rc = result["rc"] if isinstance(result, dict) else result.returncode
    err = result["err"] if isinstance(result, dict) else result.stderr
    what = result["argv"] if isinstance(result, dict) else result.args
    assert rc in codes, (what, rc, err)
    assert "Traceback" not in err and not SQLCIPHER_LOG.search(err), (what, err)
    lines = err.splitlines()
    assert len(lines) == (0 if rc == 0 else 1), (what, err)
    return err


@pytest.fixture(scope="module")
def filled_store(template_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with patients, documents with OCR text, and a few hundred audit rows, all in
    clinic.db (checkpointed): table pages, index pages, FTS pages and audit pages."""
    folder = tmp_path_factory.mktemp("filled") / "store"
    shutil.copytree(template_store, folder)
    from clinicrecords.clinic import auth

    store = Store.open(folder, PASSPHRASE)
    try:
        admin = auth.login(store, USERS["admin"], PASSWORD)
        for i in range(80):
            p = register_patient(
                admin,
                PatientInput(
                    family=f"Damage{chr(65 + i % 26)}{chr(65 + i // 26)}",
                    given="Test",
                    dob=date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                    phone=f"555-010-{i:04d}",
                ),
            )
            if i < 6:
                add_document(
                    admin,
                    p.id,
                    "lab",
                    date(2026, 1, 2),
                    [PageInput(png_page(f"page {i}"), ocr_text=f"potassium result {i} " * 40)],
                )
        store.db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return folder


def _first_mrn(folder: Path) -> str:
    store = Store.open(folder, PASSPHRASE)
    try:
        return store.db.connection().execute("SELECT min(mrn) FROM patients").fetchone()[0]
    finally:
        store.close()


# --- defect 3: a damaged page -------------------------------------------------------------


@pytest.mark.slow
def test_a_flipped_bit_anywhere_is_one_sentence_for_every_command(
    filled_store: Path, tmp_path: Path
) -> None:
    """30 random bit flips in clinic.db (page 1, table, index, FTS and audit pages alike):
    damage is exit 9 with one line on stderr (or, for a command that never reads the damaged
    page, success); verify always finds it and names it; SQLCipher's log never reaches the
    terminal; no command crashes. Each process runs verify and two of the other commands in
    turn (each command comes first in some processes: SQLCipher's log level is process-wide)."""
    mrn = _first_mrn(filled_store)
    others = [["audit", "verify"], ["patients", "list"], ["search", "damage"], ["chart", mrn]]
    size = (filled_store / "clinic.db").stat().st_size
    rng = random.Random(20261201)
    offsets = [200, *rng.sample(range(size), 29)]  # page 1 always among them
    named_tables: set[str] = set()
    for n, offset in enumerate(offsets):
        data = tmp_path / f"flip{n}"
        shutil.copytree(filled_store, data)
        raw = bytearray((data / "clinic.db").read_bytes())
        raw[offset] ^= 1 << rng.randrange(8)
        (data / "clinic.db").write_bytes(bytes(raw))
        picked = [others[n % 4], others[(n + 1) % 4]]
        if n == 0:
            picked = others
        commands = [["verify", "--json"], *picked]
        order = commands[n % len(commands) :] + commands[: n % len(commands)]
        results = {r["argv"][0] + " " + r["argv"][1]: r for r in run_commands(data, order)}
        for key, result in results.items():
            err = assert_one_line(result, {DAMAGED} if key.startswith("verify") else {0, DAMAGED})
            if result["rc"] == DAMAGED:
                assert "damaged" in err and "backup" in err, err
        report = json.loads(results["verify --json"]["out"])
        assert report["damaged"] and not report["ok"], (offset, report)
        assert report["restore_from"], report
        named_tables.update(d for d in report["damaged"] if d.startswith("table "))
        audit_result = results.get("audit verify")
        unreadable_trail = offset < 4096 or any(
            d.startswith("table audit_log ") for d in report["damaged"]
        )
        if audit_result and unreadable_trail:
            # the trail could not be read: audit verify must not call it intact
            assert audit_result["rc"] == DAMAGED and "intact" not in audit_result["out"]
    assert len(named_tables) >= 3, named_tables  # the flips reached several tables


def _page_of_table(folder: Path, table: str) -> int:
    """A database page that holds ``table``'s rows: flip one page after another until reading
    every row of the table fails."""
    from clinicrecords.db.connection import DatabaseError, open_connection

    store = Store.unlock(folder, PASSPHRASE)
    db = folder / "clinic.db"
    original = db.read_bytes()
    try:
        for page in range(2, len(original) // 4096 + 1):
            raw = bytearray(original)
            raw[(page - 1) * 4096 + 300] ^= 0x08
            db.write_bytes(bytes(raw))
            conn = open_connection(db, store.db.key, check=False)
            try:
                conn.execute(f"SELECT * FROM {table} NOT INDEXED").fetchall()
            except DatabaseError:
                return page
            finally:
                conn.close()
        raise AssertionError(f"no page of {table} found")
    finally:
        db.write_bytes(original)
        store.close()


def _flip_page(folder: Path, page: int, offset: int = 300) -> None:
    raw = bytearray((folder / "clinic.db").read_bytes())
    raw[(page - 1) * 4096 + offset] ^= 0x08
    (folder / "clinic.db").write_bytes(bytes(raw))


def _main(capfd: pytest.CaptureFixture, *argv: str) -> dict:
    """The command line in this process (fd-level capture), for tests that run a few."""
    from clinicrecords import cli

    rc = cli.main(list(argv))
    out, err = capfd.readouterr()
    return {"argv": list(argv), "rc": rc, "out": out, "err": err}


def test_audit_verify_does_not_call_an_unreadable_trail_intact(
    filled_store: Path, tmp_path: Path, cli_env: dict, capfd: pytest.CaptureFixture
) -> None:
    data = tmp_path / "damaged"
    shutil.copytree(filled_store, data)
    page = _page_of_table(data, "audit_log")
    _flip_page(data, page)
    r = _main(capfd, "--data-dir", str(data), "audit", "verify")
    err = assert_one_line(r, {DAMAGED})
    assert "intact" not in r["out"] and "damaged" in err
    r = _main(capfd, "--data-dir", str(data), "verify")
    err = assert_one_line(r, {DAMAGED})
    assert f"page {page}" in r["out"] and "table audit_log (the audit trail)" in r["out"]
    assert "table audit_log" in err


@pytest.mark.slow
def test_verify_names_the_newest_backup_to_restore(
    filled_store: Path, tmp_path: Path, cli_env: dict, capfd: pytest.CaptureFixture
) -> None:
    data = tmp_path / "damaged"
    shutil.copytree(filled_store, data)
    assert _main(capfd, "--data-dir", str(data), "backup", str(tmp_path / "nightly"))["rc"] == 0
    _flip_page(data, _page_of_table(data, "patients"))
    r = _main(capfd, "--data-dir", str(data), "verify")
    err = assert_one_line(r, {DAMAGED})
    assert "table patients (the patient registry)" in err
    assert f"restore from the backup in {(tmp_path / 'nightly').resolve()}" in err
    # with page 1 gone nobody can sign in: verify still reports, from the key alone
    _flip_page(data, 1, offset=200)
    r = _main(capfd, "--data-dir", str(data), "verify")
    err = assert_one_line(r, {DAMAGED})
    assert "nothing in the database can be read" in err and str(tmp_path / "nightly") in err


# --- defect 4: a damaged or missing clinic.db-wal -------------------------------------------

# Registers patients through the command line while one connection stays open (so no
# checkpoint empties the WAL), then dies by SIGKILL: clinic.db-wal is left holding every one
# of those commits, as after a power cut.
REGISTER_THEN_DIE = r"""
import os, signal, sys
from pathlib import Path
from clinicrecords import cli
from clinicrecords.clinic.store import Store
data, n = sys.argv[1], int(sys.argv[2])
holder = Store.open(Path(data))
holder.db.connection().execute("SELECT count(*) FROM patients").fetchone()
for i in range(n):
    rc = cli.main(["--data-dir", data, "patients", "add", "--family", f"Walker{chr(65 + i % 26)}",
                   "--given", f"Wal{chr(65 + i // 26)}", "--dob", "1980-01-02"])
    assert rc == 0, rc
sys.stdout.flush()
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.fixture(scope="module")
def wal_with_40_patients(template_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wal") / "store"
    shutil.copytree(template_store, folder)
    r = subprocess.run(
        [sys.executable, "-c", REGISTER_THEN_DIE, str(folder), "40"],
        capture_output=True,
        env=_env(),
        timeout=600,
    )
    assert r.returncode == -signal.SIGKILL, r.stderr.decode(errors="replace")[-2000:]
    assert (folder / "clinic.db-wal").stat().st_size > 100 * 4096  # the commits are in there
    return folder


def _patients(folder: Path) -> int:
    store = Store.open(folder, PASSPHRASE, allow_loss=True)
    try:
        return store.db.connection().execute("SELECT count(*) FROM patients").fetchone()[0]
    finally:
        store.close()


def _check_loss_is_reported(data: Path) -> None:
    with pytest.raises(WorkLost) as err:
        Store.open(data, PASSPHRASE)
    assert "clinic.db-wal" in err.value.message
    lost = int(re.search(r"The last (\d+) recorded actions", err.value.message).group(1))
    assert lost >= 3  # at least one whole registration (sign-in, patient, sign-out)
    assert _patients(data) < 40  # the loss is real: those patients are not in clinic.db
    r = run_cli(data, "patients", "list")
    err_line = assert_one_line(r, {LOST})
    assert "recorded actions" in err_line and "verify --accept-loss" in err_line
    r = run_cli(data, "verify", "--json")
    assert_one_line(r, {LOST})
    assert "recorded actions" in json.loads(r.stdout)["lost"]
    # the administrator keeps the database as it is: recorded, and work resumes
    r = run_cli(data, "verify", "--accept-loss")
    assert_one_line(r, {0})
    assert "loss was accepted" in r.stdout
    r = run_cli(data, "patients", "list")
    assert_one_line(r, {0})
    r = run_cli(data, "audit", "list", "--limit", "10")
    assert "store.loss_accepted" in r.stdout


@pytest.mark.slow
def test_an_intact_wal_keeps_every_patient(wal_with_40_patients: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(wal_with_40_patients, data)
    assert _patients(data) == 40
    Store.open(data, PASSPHRASE).close()  # no loss reported
    assert_one_line(run_cli(data, "verify"), {0})


@pytest.mark.slow
def test_a_removed_wal_is_reported_as_lost_work(wal_with_40_patients: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(wal_with_40_patients, data)
    (data / "clinic.db-wal").unlink()
    (data / "clinic.db-shm").unlink(missing_ok=True)
    assert _patients(data) == 0
    _check_loss_is_reported(data)


@pytest.mark.slow
def test_a_damaged_wal_is_reported_as_lost_work(wal_with_40_patients: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(wal_with_40_patients, data)
    wal = data / "clinic.db-wal"
    raw = bytearray(wal.read_bytes())
    rng = random.Random(4)
    for _ in range(3):  # a few flipped bytes in the second half of the journal
        raw[rng.randrange(len(raw) // 2, len(raw))] ^= 0x20
    wal.write_bytes(bytes(raw))
    _check_loss_is_reported(data)


# --- defect 5: a full disk ----------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real 32 MB tmpfs, so that the disk really fills (ENOSPC from the kernel)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {r.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path, name: str) -> None:
    """Write zeros until the kernel says ENOSPC."""
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    assert shutil.disk_usage(folder).free < 64 * 1024


@pytest.mark.slow
def test_a_full_disk_is_a_full_disk_and_reading_still_works(
    template_store: Path, small_disk: Path
) -> None:
    data = small_disk / "clinic"
    shutil.copytree(template_store, data)
    reserve = {"CLINICRECORDS_RESERVE_MB": "8"}
    r = run_cli(data, "patients", "add", "--family", "Roomy", "--given", "Ann",
                "--dob", "1970-01-01", "--json", **reserve)  # fmt: skip
    assert r.returncode == 0, r.stderr
    mrn = json.loads(r.stdout)["mrn"]
    assert (data / "reserve.bin").stat().st_size == 8 * 1024 * 1024

    _fill(small_disk, "filler")
    # sign-in, reading (audited) and verify use the reserve
    results = run_commands(
        data,
        [
            ["verify"],
            ["patients", "list"],
            ["chart", mrn],
            ["search", "roomy"],
            ["patients", "add", "--family", "Full", "--given", "Disk", "--dob", "1990-01-01"],
            ["audit", "list", "--limit", "30"],
        ],
        **reserve,
    )
    for result in results[:4] + results[5:]:
        assert_one_line(result, {0})
    assert "All good." in results[0]["out"] and "ROOMY" in results[2]["out"].upper()
    assert "chart.open" in results[5]["out"]  # the chart reading was audited
    err = assert_one_line(results[4], {FULL})
    assert "disk is full" in err and re.search(r"Free at least \d+ MB", err), err
    assert not (data / "reserve.bin").exists()  # given up to keep the store readable

    # the reserve is used up too: every command says the disk is full, none "damaged"
    _fill(small_disk, "filler2")
    results = run_commands(
        data, [["verify"], ["patients", "list"], ["chart", mrn], ["audit", "verify"]], **reserve
    )
    for result in results:
        err = assert_one_line(result, {FULL})
        assert "disk" in err and "full" in err and "damaged" not in err, err
        assert re.search(r"free at least \d+ MB", err, re.I), err

    # space returns: work resumes, the reserve is written again, nothing was damaged
    (small_disk / "filler").unlink()
    (small_disk / "filler2").unlink()
    r = run_cli(data, "patients", "add", "--family", "Later", "--given", "Bo",
                "--dob", "1971-01-01", **reserve)  # fmt: skip
    assert_one_line(r, {0})
    assert (data / "reserve.bin").exists()
    assert_one_line(run_cli(data, "verify", **reserve), {0})


# --- the record of the head, in one process ---------------------------------------------


def _register(store: Store, family: str) -> None:
    from clinicrecords.clinic import auth

    admin = auth.login(store, USERS["admin"], PASSWORD)
    register_patient(admin, PatientInput(family=family, given="Ann", dob=date(1970, 1, 1)))


def test_a_database_older_than_its_head_record_is_lost_work(store_dir: Path) -> None:
    """clinic.db put back as it was (what a lost WAL amounts to): the open says how many
    recorded actions are gone and refuses normal work; verify may still open it."""
    s = Store.open(store_dir, PASSPHRASE)
    _register(s, "Before")
    s.close()
    older = (store_dir / "clinic.db").read_bytes()
    s = Store.open(store_dir, PASSPHRASE)
    for family in ("Lost", "Gone"):
        _register(s, family)  # sign-in + registration each: 4 audit rows
    s.close()
    (store_dir / "clinic.db").write_bytes(older)
    with pytest.raises(WorkLost, match=r"The last 4 recorded actions .*clinic\.db-wal"):
        Store.open(store_dir, PASSPHRASE)
    s = Store.open(store_dir, PASSPHRASE, allow_loss=True)
    try:
        assert s.loss is not None and s.loss.lost_actions == 4
        record = (store_dir / "audit-head").read_bytes()
        _register(s, "While")  # the record is the evidence: it is not overwritten
        assert (store_dir / "audit-head").read_bytes() == record
        report = backup.verify_store(s)
        assert not report.ok and report.lost and "4 recorded actions" in report.lost
    finally:
        s.close()


def test_a_head_record_behind_the_database_is_fine(store_dir: Path) -> None:
    """The program stopped between a commit and the record's update: nothing was lost, and
    the next open brings the record up to date."""
    s = Store.open(store_dir, PASSPHRASE)
    _register(s, "One")
    behind = (store_dir / "audit-head").read_bytes()
    _register(s, "Two")
    s.close()
    (store_dir / "audit-head").write_bytes(behind)
    s = Store.open(store_dir, PASSPHRASE)
    try:
        assert s.loss is None
        assert (store_dir / "audit-head").read_bytes() != behind
        assert backup.verify_store(s).ok
    finally:
        s.close()


def test_an_edited_head_record_is_not_trusted(store_dir: Path) -> None:
    """A record edited to hide (or invent) a loss fails its signature: it is reported by
    verify and written again from the database, never believed."""
    s = Store.open(store_dir, PASSPHRASE)
    _register(s, "Signed")
    s.close()
    path = store_dir / "audit-head"
    doc = json.loads(path.read_text())
    doc["commits"] += 100
    path.write_text(json.dumps(doc))
    s = Store.open(store_dir, PASSPHRASE)  # no false alarm
    try:
        report = backup.verify_store(s)
        assert report.ok and any("audit-head" in n and "damaged" in n for n in report.notes)
        assert json.loads(path.read_text())["commits"] < doc["commits"]
    finally:
        s.close()


def test_every_committed_write_is_counted(store: Store, admin_session) -> None:
    """Also writes that append no audit row (OCR results, batch state): losing only those
    is still reported ("saved changes")."""
    from clinicrecords.clinic import audit

    before = json.loads((store.data_dir / "audit-head").read_text())
    with store.db.write() as conn:
        conn.execute("UPDATE settings SET value = value WHERE key = 'store.id'")
    after = json.loads((store.data_dir / "audit-head").read_text())
    assert after["commits"] == before["commits"] + 1
    assert after["audit_id"] == before["audit_id"]
    conn = store.db.connection()
    loss = audit.compare_head(
        conn, audit.Head(after["commits"] + 2, after["audit_id"], after["audit_hash"], "x")
    )
    assert loss is not None and loss.lost_actions == 0 and "2 saved changes" in loss.sentence(None)


def test_low_level_errors_are_said_as_what_they_are() -> None:
    from clinicrecords.common.errors import explain
    from clinicrecords.db.connection import DatabaseError

    assert isinstance(explain(OSError(errno.ENOSPC, "No space left on device")), DiskFull)
    corrupt = DatabaseError("database disk image is malformed")
    corrupt.sqlite_errorcode = 11  # what sqlcipher3 sets for SQLITE_CORRUPT
    assert isinstance(explain(corrupt), StoreCorrupt)
    wrapped = RuntimeError("while reading")
    wrapped.__cause__ = corrupt
    assert isinstance(explain(wrapped), StoreCorrupt)
    assert explain(KeyError("x")) is None
