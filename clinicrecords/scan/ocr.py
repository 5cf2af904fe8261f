"""Tesseract OCR: one short-lived `tesseract` process per page, one pool of them per program.

Why processes and not a library binding: a Tesseract crash or a pathological page then costs
one page, not the program, and a running page can be cancelled by killing its process.
Why ``OMP_THREAD_LIMIT=1``: Tesseract's OpenMP threads otherwise fight the pool's other
processes for the same cores and every page gets several times slower (see DESIGN.md).
Images go in on stdin as PNM (no encoding cost, no temporary file holding a patient's page),
words come back as TSV so every word keeps its box for evidence highlighting.

Why one executor (``ocr_executor()``) for the whole program: two batches (an import and a
watched folder) that each made a pool sized to the cores ran twice as many Tesseract
processes as cores, and every page of both got slower. The executor's queue is ordered by
priority, so the pages a clerk is waiting to file (header pass, first suggestions) are read
before full-page text for search. Tesseract runs at a lower CPU priority than the program,
so a search typed during a batch gets a core first.

Nothing here logs recognised text: it is patient data.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PIL import Image

from clinicrecords.common import oscompat
from clinicrecords.common.errors import ClinicError
from clinicrecords.scan import limits
from clinicrecords.scan.types import Box, OcrResult, Word

log = logging.getLogger(__name__)

# Share of the page height the header pass reads: letterheads, patient banners and
# "Name / DOB / MRN" blocks sit in the top third of nearly every clinical form.
HEADER_FRACTION = 0.35
# Page segmentation for the header pass: 6 ("one uniform block") measured 10-25 % faster
# than 4 or 3 on banner-style headers and read name, DOB, MRN and phone lines as well,
# down to 8-point print; 3 (automatic layout) is used for the full page, whose columns and
# tables psm 6 would run together.
HEADER_PSM = 6
FULL_PSM = 3
# The header pass reads a copy scaled to this resolution: about a quarter faster than 300 dpi
# and still exact on 8-point print; below ~150 dpi small digits (DOB, MRN) start to go wrong.
HEADER_DPI = 200
# Tesseract binarises with a global Otsu threshold. When a page is mostly grey, noisy paper
# with a few lines of print (a short letter on a poor scan), Otsu splits the paper itself: the
# noise comes back as hundreds of low-confidence "words" and the print is lost (measured with
# bench/mail_people.py --ocr --profile bad: one header 463 words, 15 of them good). Such a
# read is read again with Sauvola's local threshold (``thresholding_method=2``, Tesseract 5;
# 4.x warns and keeps Otsu), which read that header right (19 words, 0.4 s), and the better
# read is kept. Not Sauvola for every page: it lost faint print on low-contrast photocopies
# (mail corpus: photocopy patient top-1 100 % -> 89.5 %, date 100 % -> 81.8 %).
SAUVOLA = ("-c", "thresholding_method=2")
NOISY_MIN_WORDS = 40  # a read with fewer words is not judged noisy
NOISY_LOW_SHARE = 0.5  # ... nor one where at most this share of words is low-confidence
LOW_CONF = 50.0
GOOD_CONF = 70.0


class OcrUnavailable(ClinicError):
    """Tesseract is not installed or cannot run."""


class OcrFailed(ClinicError):
    """Tesseract could not read one page (crash, timeout, unreadable image)."""


class OcrCancelled(ClinicError):
    """The page's OCR was cancelled before it finished."""


def bundled_tesseract_dir() -> Path | None:
    """``tesseract/`` beside the installed program (the Windows installer puts Tesseract and
    its eng + osd data there), when this is a frozen bundle that has one."""
    if not getattr(sys, "frozen", False):
        return None
    folder = Path(sys.executable).resolve().parent / "tesseract"
    return folder if (folder / oscompat.executable_name("tesseract")).is_file() else None


def tesseract_path() -> str | None:
    """The tesseract binary, or None: ``CLINICRECORDS_TESSERACT``, else the copy bundled with
    the program (Windows installer), else PATH (Debian's package on Linux)."""
    override = os.environ.get("CLINICRECORDS_TESSERACT")
    if override:
        return override if os.path.exists(override) else None
    bundled = bundled_tesseract_dir()
    if bundled is not None:
        return str(bundled / oscompat.executable_name("tesseract"))
    return shutil.which("tesseract")


def tesseract_env() -> dict[str, str]:
    """Environment for every Tesseract process: one OpenMP thread (the pool is the parallelism);
    the bundled copy reads the language data shipped beside it, not another install's."""
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    bundled = bundled_tesseract_dir()
    if bundled is not None and not os.environ.get("CLINICRECORDS_TESSERACT"):
        env["TESSDATA_PREFIX"] = str(bundled / "tessdata")
    return env


def _pnm_bytes(img: Image.Image) -> bytes:
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB" if img.mode in ("RGBA", "P", "CMYK") else "L")
    buf = io.BytesIO()
    img.save(buf, format="PPM")
    return buf.getvalue()


def _dpi_of(img: Image.Image) -> int:
    dpi = img.info.get("dpi")
    try:
        value = int(round(float(dpi[0]))) if dpi else 0
    except (TypeError, ValueError, IndexError):
        value = 0
    lo, hi = limits.PLAUSIBLE_DPI
    return value if lo <= value <= hi else limits.WORKING_DPI


# Tesseract's niceness (POSIX) / priority class (Windows): below the program's own threads.
TESSERACT_NICE = 10


class OcrExecutor:
    """Worker threads taking the most urgent job first; one instance serves the program.

    Priorities (lower first): ``SUGGEST`` a person waits for one file's suggestions,
    ``HEADER`` a batch page's cleanup + header pass (its suggestions), ``FULL`` the rest of a
    page for search. Equal priorities run in the order submitted. ``owner`` groups a batch's
    jobs so that ``drop(owner)`` can take back the ones not started. Threads are started on
    first use and never expire (there are only ``workers`` of them).
    """

    SUGGEST, HEADER, FULL = 0, 1, 2

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._heap: list[tuple[int, int, Future[Any], Callable[[], Any], object]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []

    def submit(self, priority: int, fn: Callable[[], Any], owner: object = None) -> Future[Any]:
        future: Future[Any] = Future()
        with self._cond:
            heapq.heappush(self._heap, (priority, next(self._order), future, fn, owner))
            if len(self._threads) < self.workers:
                t = threading.Thread(
                    target=self._work, name=f"ocr-{len(self._threads)}", daemon=True
                )
                self._threads.append(t)
                t.start()
            self._cond.notify()
        return future

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                _, _, future, fn, _ = heapq.heappop(self._heap)
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on it
                future.set_exception(exc)
            else:
                future.set_result(result)

    def drop(self, owner: object) -> int:
        """Cancel ``owner``'s jobs that have not started; returns how many."""
        with self._cond:
            mine = [job for job in self._heap if job[4] is owner]
            if mine:
                self._heap = [job for job in self._heap if job[4] is not owner]
                heapq.heapify(self._heap)
        for job in mine:
            job[2].cancel()
        return len(mine)

    def pending(self) -> int:
        with self._cond:
            return len(self._heap)


_executor: OcrExecutor | None = None
_executor_lock = threading.Lock()


def ocr_executor() -> OcrExecutor:
    """The program's one OCR executor, sized to the cores, made on first use."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = OcrExecutor()
        return _executor


class _Gauge:
    """How many Tesseract processes run now, and the most at once since ``reset``."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.running -= 1

    def reset(self) -> int:
        with self.lock:
            peak, self.peak = self.peak, self.running
            return peak


tesseract_gauge = _Gauge()


def _lower_priority(proc: subprocess.Popen[bytes]) -> None:
    """Run Tesseract below the program: interactive work gets a core first (best effort)."""
    try:
        if hasattr(os, "setpriority"):
            os.setpriority(os.PRIO_PROCESS, proc.pid, TESSERACT_NICE)
    except OSError:
        pass  # the process may have finished already


class _ProcessSlot:
    """Holds the process a task is running so that another thread can kill it."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.cancelled = False
        self.lock = threading.Lock()

    def kill(self) -> None:
        with self.lock:
            self.cancelled = True
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()


def run_tesseract(
    img: Image.Image,
    args: list[str],
    *,
    timeout: float | None = None,
    slot: _ProcessSlot | None = None,
) -> str:
    """Run ``tesseract stdin stdout <args>`` on ``img`` and return its stdout.

    Used by OCR and by cleanup's orientation detection (``--psm 0``), so that every call
    goes through the same environment, timeout and error handling.
    """
    exe = tesseract_path()
    if exe is None:
        raise OcrUnavailable(
            "Tesseract OCR is not installed, so pages cannot be read; install it and try again."
        )
    timeout = limits.OCR_TIMEOUT_SECONDS if timeout is None else timeout
    data = _pnm_bytes(img)
    cmd = [exe, "stdin", "stdout", "--dpi", str(_dpi_of(img)), *args]
    slot = slot or _ProcessSlot()
    with tesseract_gauge:
        with slot.lock:
            if slot.cancelled:
                raise OcrCancelled("Reading the page was cancelled.")
            try:
                slot.proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=tesseract_env(),
                    creationflags=oscompat.quiet_subprocess_flags(),
                )
            except OSError as exc:
                raise OcrUnavailable(
                    "Tesseract OCR could not be started; check that it is installed correctly."
                ) from exc
            _lower_priority(slot.proc)
        proc = slot.proc
        try:
            out, err = proc.communicate(data, timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise OcrFailed("Reading one page took too long and was stopped.") from None
    if slot.cancelled:
        raise OcrCancelled("Reading the page was cancelled.")
    if proc.returncode != 0:
        # stderr carries Tesseract diagnostics (never page text); keep only its size.
        log.warning("tesseract exited with %s (%d bytes on stderr)", proc.returncode, len(err))
        raise OcrFailed("The OCR program could not read one page.")
    return out.decode("utf-8", errors="replace")


def parse_tsv(tsv: str, *, offset: tuple[int, int] = (0, 0), scale: float = 1.0) -> OcrResult:
    """Words and text from Tesseract's TSV output.

    ``offset`` and ``scale`` map boxes from the image Tesseract saw (a crop, maybe downscaled)
    back to the page, so evidence boxes are always in page pixels.
    """
    words: list[Word] = []
    line_ids: dict[tuple[int, int, int], int] = {}
    lines: dict[int, list[str]] = {}
    line_block: dict[int, int] = {}
    dx, dy = offset
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        block, par, line = int(cols[2]), int(cols[3]), int(cols[4])
        key = (block, par, line)
        line_no = line_ids.setdefault(key, len(line_ids) + 1)
        left, top, width, height = (int(c) for c in cols[6:10])
        box = Box(
            left=dx + round(left * scale),
            top=dy + round(top * scale),
            width=max(1, round(width * scale)),
            height=max(1, round(height * scale)),
        )
        try:
            conf = float(cols[10])
        except ValueError:
            conf = -1.0
        words.append(Word(text=text, box=box, conf=conf, block=block, line=line_no))
        lines.setdefault(line_no, []).append(text)
        line_block[line_no] = block
    parts: list[str] = []
    previous_block = None
    for line_no in sorted(lines):
        if previous_block is not None and line_block[line_no] != previous_block:
            parts.append("")
        parts.append(" ".join(lines[line_no]))
        previous_block = line_block[line_no]
    return OcrResult(text="\n".join(parts), words=tuple(words))


def looks_noisy(result: OcrResult) -> bool:
    """Many words, most of them read with low confidence: paper noise taken for text."""
    words = result.words
    if len(words) < NOISY_MIN_WORDS:
        return False
    low = sum(1 for w in words if 0 <= w.conf < LOW_CONF)
    return low > NOISY_LOW_SHARE * len(words)


def read_score(result: OcrResult) -> float:
    """Well-read words (3+ letters or digits), less a tenth for each low-confidence one."""
    good = sum(
        1 for w in result.words if w.conf >= GOOD_CONF and sum(c.isalnum() for c in w.text) >= 3
    )
    low = sum(1 for w in result.words if 0 <= w.conf < LOW_CONF)
    return good - low / 10


def _read(
    img: Image.Image,
    region: Box | None,
    psm: int,
    lang: str,
    max_dpi: float | None,
    slot: _ProcessSlot | None,
) -> OcrResult:
    started = time.perf_counter()
    work = img
    offset = (0, 0)
    if region is not None:
        work = img.crop(
            (region.left, region.top, region.left + region.width, region.top + region.height)
        )
        work.info["dpi"] = img.info.get("dpi")
        offset = (region.left, region.top)
    scale = 1.0
    dpi = _dpi_of(img)
    if max_dpi and dpi > max_dpi * 1.05:
        scale = dpi / max_dpi
        size = (max(1, round(work.width / scale)), max(1, round(work.height / scale)))
        work = work.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        work.info["dpi"] = (max_dpi, max_dpi)
    args = ["-l", lang, "--psm", str(psm)]
    result = parse_tsv(run_tesseract(work, [*args, "tsv"], slot=slot), offset=offset, scale=scale)
    if looks_noisy(result):
        local = run_tesseract(work, [*args, *SAUVOLA, "tsv"], slot=slot)
        other = parse_tsv(local, offset=offset, scale=scale)
        if read_score(other) > read_score(result):
            result = other
    return OcrResult(
        text=result.text,
        words=result.words,
        region=region,
        seconds=time.perf_counter() - started,
    )


def header_region(img: Image.Image, fraction: float = HEADER_FRACTION) -> Box:
    """The top part of the page that identifies it (patient banner, letterhead, title)."""
    return Box(0, 0, img.width, max(1, round(img.height * fraction)))


class OcrEngine:
    """Reading pages with Tesseract, synchronously or through the program's one executor.

    The ``submit_*`` methods return futures (header passes ahead of full pages in the shared
    queue) so callers can wait, chain or cancel; ``cancel(future)`` also kills a page that is
    already being read. Synchronous methods run on the caller's thread (the executor's jobs
    call them). ``workers`` is the executor's size, fixed by its first user. The engine holds
    no page images between calls.
    """

    def __init__(self, workers: int | None = None, *, lang: str = "eng") -> None:
        self.lang = lang
        self._pool = ocr_executor()
        self.workers = self._pool.workers
        self._slots: dict[Future[OcrResult], _ProcessSlot] = {}
        self._lock = threading.Lock()

    # -- synchronous -------------------------------------------------------------------
    def ocr_page(
        self, img: Image.Image, region: Box | None = None, psm: int = FULL_PSM
    ) -> OcrResult:
        """Words with boxes (page pixels) for the page or one region of it."""
        return _read(img, region, psm, self.lang, None, None)

    def header_pass(self, img: Image.Image) -> OcrResult:
        """Fast first pass over the header region: enough to suggest the patient."""
        return _read(img, header_region(img), HEADER_PSM, self.lang, HEADER_DPI, None)

    def full_pass(self, img: Image.Image) -> OcrResult:
        """The whole page, for chart search."""
        return _read(img, None, FULL_PSM, self.lang, None, None)

    # -- asynchronous ------------------------------------------------------------------
    def submit_page(
        self, img: Image.Image, region: Box | None = None, psm: int = FULL_PSM
    ) -> Future[OcrResult]:
        return self._submit(
            OcrExecutor.FULL, lambda slot: _read(img, region, psm, self.lang, None, slot)
        )

    def submit_header(self, img: Image.Image) -> Future[OcrResult]:
        region = header_region(img)
        return self._submit(
            OcrExecutor.HEADER,
            lambda slot: _read(img, region, HEADER_PSM, self.lang, HEADER_DPI, slot),
        )

    def submit_full(self, img: Image.Image) -> Future[OcrResult]:
        return self._submit(
            OcrExecutor.FULL, lambda slot: _read(img, None, FULL_PSM, self.lang, None, slot)
        )

    def _submit(self, priority: int, job: Callable[[_ProcessSlot], OcrResult]) -> Future[OcrResult]:
        slot = _ProcessSlot()
        future = self._pool.submit(priority, lambda: job(slot), owner=self)
        with self._lock:
            self._slots[future] = slot
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[OcrResult]) -> None:
        with self._lock:
            self._slots.pop(future, None)

    def cancel(self, future: Future[OcrResult]) -> None:
        """Stop one page: dequeue it, or kill its Tesseract process if it is running."""
        if future.cancel():
            return
        with self._lock:
            slot = self._slots.get(future)
        if slot is not None:
            slot.kill()

    def cancel_all(self) -> None:
        with self._lock:
            pending = list(self._slots)
        for future in pending:
            self.cancel(future)

    def shutdown(self, *, cancel: bool = False) -> None:
        """Wait for this engine's pages (the shared executor itself keeps running)."""
        if cancel:
            self.cancel_all()
        with self._lock:
            pending = list(self._slots)
        for future in pending:
            with contextlib.suppress(BaseException):
                future.exception()

    def __enter__(self) -> OcrEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(cancel=exc[0] is not None)
