"""Step 2 of intake: the batch runner. Every stored file of a batch is split into pages, and
each page goes through the page pipeline (``pipeline.py``) on the program's one OCR
executor: header passes (suggestions) before full passes (search text). State is per page
in the database: a stopped or crashed run resumes where it stopped, losing nothing."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput, ClinicError, NotFound
from clinicrecords.db import ingest_sql
from clinicrecords.intake.codec import text_of, words_from_json, words_json
from clinicrecords.intake.importing import IngestReport, IngestStopped, stopped
from clinicrecords.intake.page_jobs import Prepared, Reader, Text
from clinicrecords.scan import sources
from clinicrecords.scan.ocr import OcrExecutor, OcrUnavailable, ocr_executor
from clinicrecords.scan.types import Word

ProgressFn = Callable[[int, int], None]
SEQ_PER_FILE = 10_000  # seq = file's place in the batch * this + page number in the file


@dataclass
class PageEvent:
    """One page finished one step; for progress displays and the bench (no patient data)."""

    kind: str  # "suggested" or "text"
    page_id: int
    batch_id: int
    seconds: float  # the step's own time, from a worker picking the page up
    confident: bool = False


@dataclass
class ProcessReport:
    batch_id: int
    pages: int = 0  # pages with suggestions after this run (this run and earlier ones)
    texts: int = 0
    problems: list[str] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0


class _PagePool:
    """One batch's share of the program's one OCR executor (``scan.ocr.ocr_executor``).

    Before, every batch started its own threads, one per core, so an import and a watched
    folder together ran twice as many Tesseract processes as cores. Now every batch's jobs
    wait in the one queue, header passes (suggestions) before full passes (search text),
    and this batch's results come back on its own ``results`` queue."""

    def __init__(self) -> None:
        self.executor = ocr_executor()
        self.results: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue()
        self._lock = threading.Lock()
        self._futures: set[Future[Any]] = set()

    def submit(self, priority: int, fn: Callable[[], Any]) -> None:
        future = self.executor.submit(priority, fn, owner=self)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[Any]) -> None:
        with self._lock:
            self._futures.discard(future)
        if future.cancelled():
            return  # taken back by drop_pending, which counted it
        error = future.exception()
        self.results.put((None if error else future.result(), error))

    def drop_pending(self) -> int:
        return self.executor.drop(self)

    def close(self) -> None:
        """Take back what has not started and wait for what has (it uses the session)."""
        self.executor.drop(self)
        with self._lock:
            running = list(self._futures)
        wait(running)


@dataclass
class _Failed:
    file_id: int
    source_page: int
    message: str


def _guarded(
    reader: Reader, file_id: int, src: sources.SourcePage, seq: int, called: str = "its file"
) -> Any:
    """One page that breaks the pipeline (a bug, a pathological image) costs that page's
    automatic reading, not the batch: it is recorded on its file (whose original stays in
    the store) and the other pages go on. Tesseract missing stops the batch."""
    try:
        return reader.prepare(file_id, src, seq)
    except OcrUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - reported per page
        from clinicrecords.common import devlog

        devlog.log_unexpected(exc, "preparing a scanned page")
        return _Failed(
            file_id,
            src.number,
            f"Page {src.number} of {called} could not be prepared; the imported file is kept "
            "in the store.",
        )


def _guarded_text(
    reader: Reader, session: Session, row: dict, words: list[Word], old: str | None
) -> Text:
    try:
        return reader.full_text(session, row, words, old)
    except OcrUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - the page keeps its header text
        from clinicrecords.common import devlog

        devlog.log_unexpected(exc, "reading a page's full text")
        return Text(
            row["id"],
            text_of(words),
            words_json(words),
            0.0,
            "The full text of one page could not be read.",
        )


def _iter_file_pages(
    session: Session, f: dict, skip: set[int], called: str = ""
) -> Iterator[tuple[sources.SourcePage, int]]:
    """The pages of one stored file not yet in the batch, with the file's page count.
    ``called`` names the file in sentences (``file 2 of 3 (batch 17)``), never its name."""
    data = session.pages.get(f["blob_id"], f["sha256"])
    with sources.load_pages(sources.InMemoryFile(data, f["original_name"], called)) as loaded:
        count = int(loaded.page_count)
        for src in loaded.iter_source_pages():
            if src.number in skip:
                continue
            yield src, count


def process_batch(
    session: Session,
    batch_id: int,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    on_page: Callable[[PageEvent], None] | None = None,
    workers: int | None = None,
) -> ProcessReport:
    """Split, clean and read every page of a batch that is not done yet; resumable.

    Header passes (suggestions) come before full passes (search text), on the program's one
    OCR executor; ``workers`` caps how many of this batch's pages are in its queue at once
    (default: the executor's size). ``cancel`` stops between pages: what was finished is
    committed, and the next run carries on from there. ``progress(done, total)`` counts page
    steps (suggestions, then text; two per page). Two calls for the same batch (a resume and
    a rerun) take turns: a page is never read into the batch twice.
    """
    session.require("scan.ingest")
    with _batch_lock(session, batch_id):
        run = _BatchRun(
            session,
            batch_id,
            progress,
            cancel or threading.Event(),
            on_page,
            max(1, workers or ocr_executor().workers),
        )
        return run.run()


_batch_locks: dict[tuple[str, int], threading.Lock] = {}
_batch_locks_guard = threading.Lock()


def _batch_lock(session: Session, batch_id: int) -> threading.Lock:
    """One lock per batch of one store, in this process (the screen's resume and a watched
    folder's import may both reach a batch; a second CLI process is not covered)."""
    key = (str(session.db.path), batch_id)
    with _batch_locks_guard:
        return _batch_locks.setdefault(key, threading.Lock())


def unfinished_batches(session: Session) -> list[int]:
    """Batches whose files were stored but whose pages were not all read (a crash, a full
    disk, a closed window, ``--no-process``), oldest first."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        return ingest_sql.unfinished_batches(conn)


def read_batches(
    session: Session,
    batch_ids: Sequence[int],
    report: IngestReport | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> list[ProcessReport]:
    """Read the pages of these batches (an import's, a rerun's resumed ones, ``--resume``).

    If reading stops (a full disk), ``IngestStopped`` says what was stored: by file number
    when ``report`` (the import) is given, and that the rest is read on resume."""
    done: list[ProcessReport] = []
    for batch_id in batch_ids:
        try:
            done.append(process_batch(session, batch_id, progress=progress, cancel=cancel))
        except ClinicError as exc:
            if isinstance(exc, IngestStopped):
                raise
            report = report or IngestReport(batch_id, ())
            where = f"reading the pages of batch {batch_id} stopped"
            raise stopped(
                exc,
                report,
                where,
                "Their pages are read when you open Scan & index or run "
                "`clinicrecords ingest --resume`.",
            ) from exc
        if cancel is not None and cancel.is_set():
            break
    return done


class _BatchRun:
    def __init__(
        self,
        session: Session,
        batch_id: int,
        progress: ProgressFn | None,
        cancel: threading.Event,
        on_page: Callable[[PageEvent], None] | None,
        workers: int,
    ) -> None:
        self.session, self.batch_id, self.progress = session, batch_id, progress
        self.cancel, self.on_page, self.workers = cancel, on_page, workers
        self.report = ProcessReport(batch_id)
        with session.db.read() as conn:
            if ingest_sql.batch(conn, batch_id) is None:
                raise NotFound("That batch does not exist.")
            self.files = ingest_sql.files_for_batch(conn, batch_id)
            have = ingest_sql.batch_pages(conn, batch_id)
            self.waiting_text = ingest_sql.pages_without_text(conn, batch_id)
        self.report.pages = len(have)
        self.report.texts = len(have) - len(self.waiting_text)
        self.known_pages = len(have)
        self.unopened = sum(1 for f in self.files if f["status"] == "stored")
        self.in_flight = 0
        self.left: dict[int, int] = {}  # file id -> pages handed out and not yet stored
        self.fed_all: set[int] = set()  # files whose every page has been handed out
        self.problems: dict[int, list[str]] = {}

    # -- progress --------------------------------------------------------------------------
    def tick(self) -> None:
        if self.progress:
            done = self.report.pages + self.report.texts
            self.progress(done, max(done, 2 * self.known_pages + self.unopened))

    # -- feeding ---------------------------------------------------------------------------
    def feed(self, reader: Reader, pool: _PagePool) -> Iterator[None]:
        """Hand out one page at a time (decoding happens here, on one thread: pdfium is not
        thread-safe, and only a few decoded pages are ever held at once)."""
        for ordinal, f in enumerate(self.files):
            if f["status"] != "stored":
                continue
            fid = f["id"]
            called = f"file {ordinal + 1} of {len(self.files)} (batch {self.batch_id})"
            with self.session.db.read() as conn:
                skip = ingest_sql.source_pages_done(conn, fid)
            self.left[fid] = 0
            opened = False
            try:
                for src, count in _iter_file_pages(self.session, f, skip, called):
                    if not opened:
                        opened = True
                        self.unopened -= 1
                        self.known_pages += count - len(skip)
                    if self.cancel.is_set():
                        return
                    if src.image is None:
                        msg = src.problem or f"Page {src.number} of {called} could not be read."
                        self.problems.setdefault(fid, []).append(msg)
                        self.report.problems.append(msg)
                        self.known_pages -= 1
                        continue
                    seq = ordinal * SEQ_PER_FILE + src.number
                    self.left[fid] += 1
                    pool.submit(
                        OcrExecutor.HEADER,
                        lambda s=src, q=seq, i=fid, c=called: _guarded(reader, i, s, q, c),
                    )
                    yield None
            except BadInput as exc:  # read at import time, and not now
                self.problems.setdefault(fid, []).append(exc.message)
                self.report.problems.append(exc.message)
                with self.session.db.write() as conn:
                    ingest_sql.set_file_status(conn, fid, "failed", exc.message)
                self.left.pop(fid, None)
                continue
            if not opened:
                self.unopened -= 1
            self.fed_all.add(fid)
            self.finish_file(fid)

    def finish_file(self, fid: int) -> None:
        if fid in self.fed_all and self.left.get(fid) == 0:
            with self.session.db.write() as conn:
                ingest_sql.set_file_status(conn, fid, "split", " ".join(self.problems.get(fid, [])))
            self.left.pop(fid, None)
            self.fed_all.discard(fid)

    def submit_text(self, reader: Reader, pool: _PagePool, row: dict) -> None:
        with self.session.db.read() as conn:
            raw_words, old = ingest_sql.header_words_and_suggestion(conn, row["id"])
        words = words_from_json(raw_words)
        self.in_flight += 1
        pool.submit(OcrExecutor.FULL, lambda: _guarded_text(reader, self.session, row, words, old))

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> ProcessReport:
        started = time.perf_counter()
        reader = Reader(self.session)
        pool = _PagePool()
        feeder = self.feed(reader, pool)
        feeding = True
        limit = self.workers + 1
        try:
            for row in self.waiting_text:
                self.submit_text(reader, pool, row)
            self.tick()
            while True:
                while feeding and self.in_flight < limit and not self.cancel.is_set():
                    try:
                        next(feeder)
                        self.in_flight += 1
                    except StopIteration:
                        feeding = False
                if self.cancel.is_set() and not self.report.cancelled:
                    self.report.cancelled = True
                    self.in_flight -= pool.drop_pending()
                    feeding = False
                if self.in_flight <= 0:
                    break
                try:
                    result, error = pool.results.get(timeout=0.2)
                except queue.Empty:
                    continue
                self.in_flight -= 1
                if error is not None:
                    raise error
                if isinstance(result, Prepared):
                    self.stored(reader, pool, result)
                elif isinstance(result, _Failed):
                    self.problems.setdefault(result.file_id, []).append(result.message)
                    self.report.problems.append(result.message)
                    self.known_pages -= 1
                    self.left[result.file_id] -= 1
                    self.finish_file(result.file_id)
                elif isinstance(result, Text):
                    with self.session.db.write() as conn:
                        ingest_sql.set_page_text(conn, result.page_id, result.text, result.words)
                        if result.suggestion is not None:
                            ingest_sql.update_unfiled_suggestion(
                                conn,
                                result.page_id,
                                result.suggestion,
                                "ready" if result.confident else "review",
                            )
                    self.report.texts += 1
                    if self.on_page:
                        self.on_page(
                            PageEvent("text", result.page_id, self.batch_id, result.seconds)
                        )
                self.tick()
        finally:
            if self.cancel.is_set() or self.in_flight:
                pool.drop_pending()
            pool.close()
            feeder.close()
        self.report.seconds = time.perf_counter() - started
        return self.report

    def stored(self, reader: Reader, pool: _PagePool, result: Prepared) -> None:
        page_id, blob_id, sha = _store_prepared(self.session, self.batch_id, result)
        self.report.pages += 1
        if result.problem:
            self.report.problems.append(result.problem)
        if self.on_page:
            self.on_page(
                PageEvent("suggested", page_id, self.batch_id, result.seconds, result.confident)
            )
        self.left[result.file_id] -= 1
        self.finish_file(result.file_id)
        if result.cover:  # a separator, not part of the record: nothing to read or search
            with self.session.db.write() as conn:
                ingest_sql.set_page_text(conn, page_id, "", "[]")
            self.report.texts += 1
        elif result.text_layer and result.text_layer.strip():
            with self.session.db.write() as conn:
                ingest_sql.set_page_text(conn, page_id, result.text_layer, result.words)
            self.report.texts += 1
        elif not self.cancel.is_set():
            row = {"id": page_id, "blob_id": blob_id, "sha256": sha, "dpi": result.dpi}
            self.submit_text(reader, pool, row)


def _store_prepared(session: Session, batch_id: int, p: Prepared) -> tuple[int, str, str]:
    blob_id, sha = session.pages.put(p.data)
    with session.db.write() as conn:
        page_id = ingest_sql.insert_scanned_page(
            conn,
            blob_id=blob_id,
            sha256=sha,
            media_type=p.media_type,
            width=p.width,
            height=p.height,
            dpi=p.dpi,
            batch_id=batch_id,
            file_id=p.file_id,
            source_page=p.source_page,
            seq=p.seq,
            status="ready" if p.confident else "review",
            blank_score=p.blank_score,
            ocr_words=p.words,
            suggestion=p.suggestion,
        )
    return page_id, blob_id, sha
