"""An interrupted ingest (kill -9, a full disk) says what was stored and finishes later.

Real parts throughout: the command line in a subprocess killed with SIGKILL, a real tmpfs
that fills up, real Tesseract. The sentences name files by number, never by name: the
files here are named after a (synthetic) patient, as clinic scans often are.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from clinicrecords.clinic import auth
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import DiskFull
from clinicrecords.intake.batches import process_batch, unfinished_batches
from clinicrecords.intake.importing import IngestStopped, import_files
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.scanfixtures import page_pdf, rasterise

CANARY = "Albermarle"  # a patient's name in the file names; it must never reach stderr
QUINCY = PatientInput(
    family="Albermarle", given="Quincy", dob=date(1967, 3, 14), sex="M", mrn="00012344"
)
OTHER_LINES = [
    "Riverside Imaging Center",
    "RADIOLOGY REPORT",
    "Patient: Ottoline Vasquez-Brennan",
    "DOB: 11/02/1991",
    "Exam date: 2024-02-09",
]


@pytest.fixture(scope="module")
def pages() -> list[Image.Image]:
    return [rasterise(page_pdf(), dpi=150), rasterise(page_pdf(OTHER_LINES), dpi=150)]


def three_files(folder: Path, pages: list[Image.Image], big_second: bool = False) -> list[Path]:
    """A 2-page image PDF, a 1-page picture (an uncompressed 2 MB TIFF when ``big_second``),
    and a 2-page TIFF: five pages that all need OCR (no text layer)."""
    folder.mkdir(parents=True, exist_ok=True)
    a, b = pages
    first = folder / f"{CANARY}_Quincy_referral.pdf"
    a.save(first, "PDF", save_all=True, append_images=[b], resolution=150)
    second = folder / f"{CANARY}_Quincy_labs.tif"
    if big_second:
        b.save(second, "TIFF", compression=None, dpi=(150, 150))
    else:
        second = second.with_suffix(".png")
        b.save(second, "PNG", dpi=(150, 150))
    third = folder / f"{CANARY}_Quincy_letter.tif"
    b.save(third, "TIFF", save_all=True, append_images=[a], compression="tiff_lzw", dpi=(150, 150))
    return [first, second, third]


PAGES_PER_FILE = [2, 1, 2]


def cli_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_PASSWORD=PASSWORD,
        CLINICRECORDS_USER=USERS["admin"],
        # No disk reserve on the 6 MB test disk: these tests are about what ingest says; the
        # reserve has its own (tests/test_damage.py::test_a_full_disk_is_a_full_disk_...).
        CLINICRECORDS_RESERVE_MB="0",
    )
    return env


def cli(data: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(data), *args],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fresh_store(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    with Store.open(dest, PASSPHRASE) as s:
        register_patient(auth.login(s, USERS["admin"], PASSWORD), QUINCY)
    return dest


def file_states(data: Path) -> dict[str, tuple[str, int, int]]:
    """sha256 -> (file status, pages, pages with their text)."""
    with Store.open(data, PASSPHRASE) as s:
        rows = s.db.connection().execute(
            "SELECT f.sha256, f.status, count(p.id), count(p.ocr_text) FROM imported_files f "
            "LEFT JOIN pages p ON p.file_id = f.id GROUP BY f.id"
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def reported_stored(stdout: str) -> set[int]:
    """File numbers the command said were stored (one line per file, flushed as it goes)."""
    return {
        int(line.split()[1])
        for line in stdout.splitlines()
        if line.startswith("file ") and ": stored" in line
    }


def assert_all_read(data: Path, files: list[Path], numbers: set[int]) -> None:
    states = file_states(data)
    for n in numbers:
        status, count, texts = states[sha(files[n - 1])]
        assert (status, count, texts) == ("split", PAGES_PER_FILE[n - 1], count), (n, states)
    # and nothing in the store is left half-read
    assert all(s == "split" and c == t for s, c, t in states.values()), states


@pytest.mark.slow
def test_killed_ingest_is_finished_by_resume_or_by_a_rerun(template_store, tmp_path, pages):
    """kill -9 at random moments of a 3-file ingest; then ``ingest --resume`` (odd trials) or
    the same command again (even trials) reads every page of every file reported stored."""
    files = three_files(tmp_path / "inbox", pages)
    data = fresh_store(template_store, tmp_path / "calibrate")
    started = time.monotonic()
    full = cli(data, "ingest", *map(str, files))
    whole = time.monotonic() - started
    assert full.returncode == 0, full.stderr
    assert reported_stored(full.stdout) == {1, 2, 3}
    assert CANARY not in full.stdout + full.stderr  # text output names files by number
    assert_all_read(data, files, {1, 2, 3})

    rng = random.Random(int(os.environ.get("KILL_SEED", "8")))
    # Kill during the import (right after file 1 or 2 was reported, a few ms into the next
    # one) and at random moments of the page reading that follows.
    plan = [(1, rng.uniform(0, 0.08)), (2, rng.uniform(0, 0.08))]
    plan += [(3, rng.uniform(0.0, 0.8) * whole) for _ in range(3)]
    for trial, (lines_first, after) in enumerate(plan):
        data = fresh_store(template_store, tmp_path / f"trial{trial}")
        proc = subprocess.Popen(
            [sys.executable, "-m", "clinicrecords", "--data-dir", str(data), "ingest"]
            + [str(f) for f in files],
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        told = "".join(proc.stdout.readline() for _ in range(lines_first))
        time.sleep(after)
        os.kill(proc.pid, signal.SIGKILL)
        told += proc.communicate()[0]
        stored = reported_stored(told)
        assert len(stored) >= lines_first
        print(f"trial {trial}: killed {after:.2f} s after file {lines_first}; stored {stored}")
        if trial % 2:
            again = cli(data, "ingest", "--resume")
        else:
            again = cli(data, "ingest", *map(str, files))
            for n in stored:  # a file stored before is never "already imported" unread
                line = next(x for x in again.stdout.splitlines() if x.startswith(f"file {n} "))
                assert "already stored" in line, (trial, line)
        assert again.returncode == 0, (trial, after, again.stderr)
        assert CANARY not in again.stdout + again.stderr
        expect = stored if trial % 2 else {1, 2, 3}
        assert_all_read(data, files, expect)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 6 MB tmpfs: the clinic's data folder on a disk that can really fill up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here (needs root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(mount: Path, leave: int) -> Path:
    """Fill the disk until ``leave`` bytes are free; returns the filler to delete later."""
    filler = mount / "filler.bin"
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


@pytest.mark.slow
def test_disk_full_during_the_second_file_says_what_was_stored(
    template_store, tmp_path, pages, small_disk
):
    files = three_files(tmp_path / "inbox", pages, big_second=True)
    assert files[1].stat().st_size > 1_500_000 > 4 * files[0].stat().st_size
    data = fresh_store(template_store, small_disk / "data")
    filler = fill(small_disk, 700_000)

    first = cli(data, "ingest", *map(str, files))
    assert first.returncode == DiskFull.exit_code, first.stderr
    err = first.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("clinicrecords: The disk is full")
    assert "file 1 of 3 stored" in err.lower() and "files 2 and 3 of 3 not stored" in err
    assert "nothing was saved" not in err and CANARY not in err and "Quincy" not in err
    assert reported_stored(first.stdout) == {1}
    states = file_states(data)
    assert set(states) == {sha(files[0])} and states[sha(files[0])][0] == "stored"

    filler.unlink()  # space freed: the same command again finishes the job
    again = cli(data, "ingest", *map(str, files))
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0].startswith("file 1 of 3: already stored, its pages not all read yet")
    assert lines[1].startswith("file 2 of 3: stored") and lines[2].startswith("file 3 of 3: stored")
    assert CANARY not in again.stdout + again.stderr
    assert_all_read(data, files, {1, 2, 3})


@pytest.mark.slow
def test_disk_full_while_reading_pages_says_the_files_are_stored_and_resume_finishes(
    template_store, tmp_path, pages, small_disk
):
    files = three_files(tmp_path / "inbox", pages)
    data = fresh_store(template_store, small_disk / "data")
    need = sum(f.stat().st_size for f in files)
    # The files and their rows fit (~200 KB measured with the WAL); their cleaned pages and the
    # rows that name them do not (it passes with 220-500 KB left; the middle is chosen).
    filler = fill(small_disk, need + 330_000)

    first = cli(data, "ingest", *map(str, files), "--json")
    assert first.returncode == DiskFull.exit_code, first.stderr
    err = first.stderr.strip()
    assert "reading the pages of batch" in err and "Files 1-3 of 3 stored" in err
    assert "--resume" in err and CANARY not in err
    assert [f["status"] for f in json.loads(first.stdout)["files"]] == ["stored"] * 3

    filler.unlink()
    again = cli(data, "ingest", "--resume")
    assert again.returncode == 0, again.stderr
    assert "(resumed)" in again.stdout
    assert_all_read(data, files, {1, 2, 3})


def test_a_full_disk_in_the_service_lists_every_file(admin_session, tmp_path, pages, monkeypatch):
    """The service's own sentence (the screen shows it): stored, not stored, already."""
    folder = tmp_path / "in"
    files = three_files(folder, pages)
    before = import_files(admin_session, [files[0]])
    process_batch(admin_session, before.batch_id, workers=1)
    extra = folder / "Albermarle_extra.png"
    pages[0].rotate(180).save(extra, "PNG", dpi=(150, 150))
    real_put = admin_session.pages.put
    calls = []

    def put(data: bytes):  # the second new file meets a full disk (ENOSPC at fsync, for real
        calls.append(1)  # tested above; here only the sentence is under test)
        if len(calls) == 2:
            raise DiskFull("The disk is full: nothing was saved. Free some space and try again.")
        return real_put(data)

    monkeypatch.setattr(admin_session.pages, "put", put)
    with pytest.raises(IngestStopped) as caught:
        import_files(admin_session, [files[1], files[0], files[2], extra])
    msg = caught.value.message
    assert isinstance(caught.value, DiskFull)
    assert msg.startswith("The disk is full: the import stopped at file 3 of 4.")
    assert "File 1 of 4 stored (batch" in msg
    assert f"file 2 of 4 already stored (batch {before.batch_id})" in msg
    assert "files 3 and 4 of 4 not stored" in msg and CANARY not in msg
    assert [f.status for f in caught.value.report.files] == [
        "stored",
        "duplicate",
        "not_stored",
        "not_stored",
    ]


@pytest.mark.gui
@pytest.mark.slow
def test_the_index_screen_lists_interrupted_batches_and_finishes_them(
    qtbot, admin_session, tmp_path, pages
):
    """One batch stopped after its first page (a crash, a closed window), one never read
    (``--no-process``): opening the screen lists both and reads the rest of each."""
    from clinicrecords.ui.bus import ChangeBus
    from clinicrecords.ui.index.view import ScanIndexPage

    register_patient(admin_session, QUINCY)
    files = three_files(tmp_path / "in", pages)
    stopped = import_files(admin_session, files[:2])
    stop = threading.Event()
    process_batch(
        admin_session, stopped.batch_id, cancel=stop, on_page=lambda ev: stop.set(), workers=1
    )
    never = import_files(admin_session, files[2:])
    assert unfinished_batches(admin_session) == [stopped.batch_id, never.batch_id]

    view = ScanIndexPage(admin_session, ChangeBus())
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.batch_model.rowCount() == 2, timeout=10_000)
    qtbot.waitUntil(lambda: "not read to the end" in view.status.text(), timeout=10_000)
    qtbot.waitUntil(lambda: not unfinished_batches(admin_session), timeout=180_000)
    qtbot.waitUntil(lambda: view.task is None, timeout=30_000)
    states = admin_session.db.connection().execute(
        "SELECT f.status, count(p.id), count(p.ocr_text) FROM imported_files f "
        "JOIN pages p ON p.file_id = f.id GROUP BY f.id ORDER BY f.id"
    )
    assert [tuple(r) for r in states] == [("split", 2, 2), ("split", 1, 1), ("split", 2, 2)]
