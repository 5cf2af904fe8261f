"""Threads: connections close with their thread, one OCR executor for the whole program
(suggestions before full text), and interactive work never waits behind OCR or an import.

Real parts: the store's SQLCipher connections (counted as open file descriptors), Qt's
thread pools, real Tesseract processes (counted in /proc), the indexing screen's own
import and watched-folder paths.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clinicrecords.intake.batches import unfinished_batches
from clinicrecords.registry import lookup
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.scan import ocr
from clinicrecords.scan.ocr import OcrExecutor
from tests.scanfixtures import page_pdf, rasterise


def open_db_files(db_path: Path) -> int:
    """File descriptors of this process open on the database file (one per connection)."""
    target = str(db_path.resolve())
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                n += 1
        except OSError:
            continue
    return n


def read_something(session) -> int:
    with session.db.read() as conn:
        return conn.execute("SELECT count(*) FROM patients").fetchone()[0]


@pytest.mark.gui
def test_pool_threads_close_their_connections(qtbot, admin_session) -> None:
    """20 background tasks, each after the pool's threads expired: before, each left its
    SQLCipher connection open (21 after 20 tasks)."""
    from clinicrecords.ui.workers import pool, run_in_background

    qpool = pool()
    expiry = qpool.expiryTimeout()
    qpool.setExpiryTimeout(50)
    db = admin_session.db
    read_something(admin_session)  # the UI thread's own connection
    before = open_db_files(db.path)
    try:
        for _ in range(20):
            handle = run_in_background(read_something, admin_session)
            qtbot.waitUntil(lambda h=handle: h.finished, timeout=5000)
            time.sleep(0.15)  # idle longer than the expiry: the thread goes away
            qtbot.wait(1)
        limit = qpool.maxThreadCount()
        assert len(db._all) <= limit + 1, len(db._all)
        assert open_db_files(db.path) <= before + limit, (before, open_db_files(db.path))
    finally:
        qpool.setExpiryTimeout(expiry)


PYSIDE_REFCOUNT_PROBE = """
import sys
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
app = QCoreApplication([])
class S(QObject):
    sig = Signal(int, int)
s = S()
s.sig.connect(lambda a, b: None)
timer = QTimer()
t0, n0 = sys.getrefcount(True), sys.getrefcount(None)
for i in range(5000):
    s.sig.emit(i, i)
    timer.setInterval(5)
print(t0 - sys.getrefcount(True), n0 - sys.getrefcount(None))
"""


def test_installed_pyside_keeps_its_references() -> None:
    """PySide6-Essentials 6.12.0 on Python 3.11 drops a reference to ``True`` on every
    ``emit`` and to ``None`` on every Qt call that returns nothing: after ~1,300 progress
    signals (one batch) the interpreter aborts with "bool_dealloc". pyproject.toml keeps
    PySide below 6.12 for that; this runs the same loop in a child process, so a PySide
    that still has the fault fails here with its exit status instead of killing the suite."""
    done = subprocess.run(
        [sys.executable, "-c", PYSIDE_REFCOUNT_PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, done.stderr[-500:]
    lost_true, lost_none = (int(x) for x in done.stdout.split())
    assert abs(lost_true) < 50 and abs(lost_none) < 50, (lost_true, lost_none)


def test_python_threads_close_their_connections(admin_session) -> None:
    db = admin_session.db
    read_something(admin_session)
    before = open_db_files(db.path)
    for _ in range(20):
        t = threading.Thread(target=read_something, args=(admin_session,))
        t.start()
        t.join()
    # SQLite parks one closed connection's descriptor for reuse while another connection of
    # the process holds locks on the file (closing it would drop those POSIX locks): at most
    # one more, however many threads came and went (before: one per thread).
    assert len(db._all) == 1 and open_db_files(db.path) <= before + 1


def test_one_executor_reads_suggestions_before_full_text() -> None:
    """Whatever was queued first, a waiting person's file, then batch headers (first
    suggestions), then full pages; ``drop`` takes back only its owner's waiting jobs."""
    ex = OcrExecutor(workers=1)
    gate = threading.Event()
    ran: list[str] = []
    blocker = ex.submit(OcrExecutor.FULL, gate.wait)
    deadline = time.monotonic() + 5
    while not blocker.running() and time.monotonic() < deadline:
        time.sleep(0.01)  # the one worker is busy: everything below waits in the queue
    batch_a, batch_b = object(), object()
    jobs = [
        ex.submit(OcrExecutor.FULL, lambda: ran.append("full a1"), owner=batch_a),
        ex.submit(OcrExecutor.FULL, lambda: ran.append("full b1"), owner=batch_b),
        ex.submit(OcrExecutor.HEADER, lambda: ran.append("header a"), owner=batch_a),
        ex.submit(OcrExecutor.FULL, lambda: ran.append("full a2"), owner=batch_a),
        ex.submit(OcrExecutor.SUGGEST, lambda: ran.append("suggest")),
        ex.submit(OcrExecutor.HEADER, lambda: ran.append("header b"), owner=batch_b),
    ]
    assert ex.drop(batch_b) == 2 and jobs[1].cancelled() and jobs[5].cancelled()
    gate.set()
    for j in [blocker, jobs[0], jobs[2], jobs[3], jobs[4]]:
        j.result(timeout=5)
    assert ran == ["suggest", "header a", "full a1", "full a2"]
    assert ocr.ocr_executor() is ocr.ocr_executor()  # one for the program
    assert ocr.ocr_executor().workers == (os.cpu_count() or 1)


def tesseract_children() -> int:
    """Tesseract processes this process started, counted in /proc (not by our own code)."""
    me, n = str(os.getpid()), 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = stat[stat.rindex(")") + 2 :].split()[1]
        n += comm == "tesseract" and ppid == me
    return n


@pytest.mark.gui
@pytest.mark.slow
def test_two_batches_share_the_cores_and_a_search_starts_at_once(
    qtbot, admin_session, tmp_path
) -> None:
    """An import and a watched-folder batch on a 2-thread interactive pool (a 2-core PC):
    never more Tesseract processes than the one executor's size, and a search submitted
    meanwhile starts within 200 ms (before, both batches held the only two threads)."""
    from datetime import date

    from PySide6.QtCore import QThreadPool

    from clinicrecords.ui.bus import ChangeBus
    from clinicrecords.ui.index.view import ScanIndexPage
    from clinicrecords.ui.workers import long_pool, run_in_background

    register_patient(
        admin_session,
        PatientInput(family="Albermarle", given="Quincy", dob=date(1967, 3, 14), mrn="00012344"),
    )
    page = rasterise(page_pdf(), dpi=150)
    stacks = []
    for n in range(3):
        path = tmp_path / f"stack{n}.tif"
        copies = [page.rotate(0.3 * k + 0.1 * n, fillcolor=255) for k in range(1, 4)]
        copies[0].save(
            path, "TIFF", save_all=True, append_images=copies[1:], dpi=(150, 150),
            compression="tiff_lzw",
        )  # fmt: skip
        stacks.append(path)
    lookup.search_patients(admin_session, "alb")  # the index is built once, before timing

    global_pool = QThreadPool.globalInstance()
    threads = global_pool.maxThreadCount()
    global_pool.setMaxThreadCount(2)  # the global pool on a 2-core PC
    view = ScanIndexPage(admin_session, ChangeBus())
    qtbot.addWidget(view)
    peak = [0]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tesseract_children())
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    ocr.tesseract_gauge.reset()
    try:
        view.import_paths([str(stacks[0]), str(stacks[1])])  # the clerk's import
        view._import_watched(str(stacks[2]))  # a file dropped into the watched folder
        # both batches are running, and reading pages
        qtbot.waitUntil(lambda: long_pool().activeThreadCount() == 2, timeout=10_000)
        qtbot.waitUntil(lambda: ocr.tesseract_gauge.running > 0, timeout=30_000)
        delays = []
        for query in ("alb", "albermarle q", "quincy 3/14/67"):
            asked = time.perf_counter()
            started: list[float] = []

            def search(q=query, started=started):  # type: ignore[no-untyped-def]
                started.append(time.perf_counter())
                return lookup.search_patients(admin_session, q)

            handle = run_in_background(search)
            qtbot.waitUntil(lambda h=handle: h.finished, timeout=30_000)
            delays.append(started[0] - asked)
            qtbot.wait(300)
        assert max(delays) < 0.2, delays

        def settled() -> bool:
            conn = admin_session.db.connection()
            batches = conn.execute("SELECT count(*) FROM batches").fetchone()[0]
            return (
                long_pool().activeThreadCount() == 0
                and batches == 2
                and not unfinished_batches(admin_session)
            )

        qtbot.waitUntil(settled, timeout=240_000)
    finally:
        stop.set()
        watcher.join()
        global_pool.setMaxThreadCount(threads)
    workers = ocr.ocr_executor().workers
    assert 1 <= peak[0] <= workers, (peak[0], workers)
    assert ocr.tesseract_gauge.reset() <= workers
    pages = admin_session.db.connection().execute("SELECT count(*) FROM pages").fetchone()[0]
    assert pages == 9  # every page once: the screen's resume and the imports took turns
