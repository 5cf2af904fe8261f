"""Paper in: import files into a batch, read them into pages with suggestions, file documents.

The pipeline (DESIGN.md, "Scan-and-index"), as steps with one job each:

1. ``import_files``: every file is copied into the encrypted page store and its
   ``imported_files`` row committed *before anything else happens* (a crash or a bad file
   later never costs an imported original). The same bytes imported twice are stored once
   and reported as a duplicate. The original is removed only when asked, and only after the
   commit.
2. ``process_batch``: each stored file is split into pages; each page is cleaned (deskew,
   blank flag; orientation only when the header reads badly, see ``_prepare``), read in a fast
   header pass that feeds the suggestions, and stored (PNG, or G4 TIFF for bilevel faxes)
   with its suggestions in one commit. The full-page text follows at lower priority and feeds
   chart search. State is per page in the database: a stopped or crashed run resumes where
   it stopped, losing nothing.
3. ``file_document``: reviewed pages become a document in a chart (audited); the document-type
   classifier learns from it.

The review queue is the pages without a confident patient (status ``review``); nothing is
filed without the clerk. Nothing here logs names, identifiers or OCR text.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image

from clinicrecords import lookup, page_access, settings
from clinicrecords.db import documents_sql, ingest_sql, settings_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.domain import DocType
from clinicrecords.errors import BadInput, ClinicError, DiskFull, NotFound
from clinicrecords.scan import barcodes, cleanup, sources
from clinicrecords.scan.doctype import DocTypeClassifier, default_taxonomy
from clinicrecords.scan.ocr import (
    OcrEngine,
    OcrExecutor,
    OcrUnavailable,
    header_region,
    ocr_executor,
)
from clinicrecords.scan.suggest import suggest
from clinicrecords.scan.types import (
    Box,
    Evidence,
    OcrResult,
    PatientSuggestion,
    ScoredValue,
    Suggestions,
    Word,
)
from clinicrecords.session import Session

log = logging.getLogger(__name__)

CLASSIFIER_KEY = "scan.doctype_classifier"
_CLASSIFIER_CACHE = "doctype_classifier"
SEQ_PER_FILE = 10_000  # seq = file's place in the batch * this + page number in the file

# A header pass with fewer than this many confident words is read again after an orientation
# check: upright print gives a dozen or more, a page upside down gives noise. Checking every
# page with Tesseract OSD cost 1.5-3 s a page (measured), more than the header pass itself.
GOOD_HEADER_WORDS = 4
COVER_SCORE = 0.99  # a cover sheet's barcode: the clerk chose the chart when printing it
GOOD_WORD_CONF = 70.0

ProgressFn = Callable[[int, int], None]


# -- suggestions <-> JSON ------------------------------------------------------------------


def suggestions_to_json(s: Suggestions, **extra: Any) -> str:
    data = dataclasses.asdict(s)
    data.update(extra)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _evidence(items: Sequence[dict]) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(e["kind"], e["text"], tuple(Box(**b) for b in e.get("boxes", ()))) for e in items
    )


def _scored(items: Sequence[dict]) -> tuple[ScoredValue, ...]:
    return tuple(
        ScoredValue(v["value"], float(v["score"]), _evidence(v.get("evidence", ()))) for v in items
    )


def suggestions_from_json(text: str | None) -> Suggestions:
    if not text:
        return Suggestions()
    d = json.loads(text)
    return Suggestions(
        patient=tuple(
            PatientSuggestion(
                int(p["patient_id"]),
                p["mrn"],
                p["name"],
                p["dob"],
                float(p["score"]),
                _evidence(p.get("evidence", ())),
            )
            for p in d.get("patient", ())
        ),
        doc_type=_scored(d.get("doc_type", ())),
        doc_date=_scored(d.get("doc_date", ())),
        author=_scored(d.get("author", ())),
        facility=_scored(d.get("facility", ())),
    )


def _words_json(words: Sequence[Word]) -> str:
    rows = [
        [w.text, w.box.left, w.box.top, w.box.width, w.box.height, round(w.conf, 1), w.line]
        for w in words
    ]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def _words_from_json(text: str | None) -> list[Word]:
    if not text:
        return []
    return [
        Word(r[0], Box(r[1], r[2], r[3], r[4]), float(r[5]), 0, int(r[6])) for r in json.loads(text)
    ]


def _text_of(words: Sequence[Word]) -> str:
    lines: dict[int, list[str]] = {}
    for w in words:
        lines.setdefault(w.line, []).append(w.text)
    return "\n".join(" ".join(lines[k]) for k in sorted(lines))


# -- settings the pipeline reads -----------------------------------------------------------


def classifier_for(session: Session) -> DocTypeClassifier:
    """The clinic's learned document-type classifier (kept encrypted in the settings table)."""
    store = session.store
    with store.cache_lock:
        found = store.cache.get(_CLASSIFIER_CACHE)
        if found is None:
            with session.db.read() as conn:
                state = settings_sql.get(conn, CLASSIFIER_KEY, "")
                rows = documents_sql.doc_types(conn)
            found = DocTypeClassifier.from_json(state or "", _taxonomy(rows))
            store.cache[_CLASSIFIER_CACHE] = found
        return found  # type: ignore[return-value]


def _taxonomy(rows: list[dict]) -> tuple[DocType, ...]:
    """The built-in types with their keyword lists, plus the clinic's own types."""
    builtin = default_taxonomy()
    known = {t.code for t in builtin}
    own = []
    for r in rows:
        if r["code"] in known:
            continue
        try:
            words = tuple(str(k).lower() for k in json.loads(r.get("keywords") or "[]"))
        except ValueError:
            words = ()
        own.append(DocType(r["code"], r["label"], bool(r["sensitive"]), False, words))
    return builtin + tuple(own)


def _learned(session: Session, text: str, code: str) -> DocTypeClassifier:
    """A new classifier that also knows this document. Copy, then swap: the pipeline's
    workers may be predicting with the old one at this moment."""
    old = classifier_for(session)
    new = DocTypeClassifier.from_json(old.to_json(), old.taxonomy)
    new.learn(text, code)
    return new


def date_order_for(session: Session) -> str:
    return settings.date_order(session)


# -- 1. import -----------------------------------------------------------------------------

# How the sentences name a file's outcome (per file number: stored / not stored / already).
_OUTCOME = {
    "stored": "stored",
    "duplicate": "already stored",
    "resumed": "already stored, its pages not all read yet",
    "failed": "stored but cannot be read",
    "not_stored": "not stored",
}


@dataclass(frozen=True)
class FileResult:
    """One file's outcome. Sentences (``message``) name it by number (``file 2 of 3``), never
    by ``name``: scans are often named after the patient, and these sentences reach logs.
    ``name`` and ``path`` are for the JSON output and the screen."""

    name: str
    status: str  # "stored", "duplicate", "resumed", "failed" or "not_stored" (see _OUTCOME)
    message: str = ""
    file_id: int | None = None
    pages: int = 0
    sha256: str = ""
    number: int = 0  # 1-based place among the files of this import
    of: int = 0
    batch_id: int | None = None  # the batch holding it (an earlier one for duplicate/resumed)
    path: str = ""

    @property
    def label(self) -> str:
        return f"file {self.number} of {self.of}"

    @property
    def outcome(self) -> str:
        if self.status == "failed" and self.file_id is None:
            return "not stored"  # could not even be opened
        text = _OUTCOME.get(self.status, self.status)
        return f"{text} (batch {self.batch_id})" if self.batch_id else text

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class IngestReport:
    batch_id: int | None
    files: tuple[FileResult, ...]
    resume: tuple[int, ...] = ()  # earlier batches holding "resumed" files, to be read again

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def pages(self) -> int:
        return sum(f.pages for f in self.files if f.status == "stored")

    @property
    def to_read(self) -> tuple[int, ...]:
        """The batches whose pages are to be read: this import's and the unfinished ones."""
        new = (self.batch_id,) if self.batch_id is not None and self.count("stored") else ()
        return new + tuple(b for b in self.resume if b != self.batch_id)

    def summary(self) -> str:
        parts = [f"{self.count('stored')} file(s) stored ({self.pages} page(s))"]
        if self.count("resumed"):
            parts.append(f"{self.count('resumed')} stored before, whose reading is resumed")
        if self.count("duplicate"):
            parts.append(f"{self.count('duplicate')} already imported")
        if self.count("failed"):
            parts.append(f"{self.count('failed')} could not be read")
        if self.count("not_stored"):
            parts.append(f"{self.count('not_stored')} not stored")
        return "; ".join(parts) + "."

    def files_sentence(self) -> str:
        """What became of every file, by number: ``Files 1-2 of 3 stored (batch 17); file 3
        of 3 not stored.`` (consecutive files with the same outcome are joined)."""
        groups: list[tuple[str, list[int]]] = []
        for f in self.files:
            if groups and groups[-1][0] == f.outcome and groups[-1][1][-1] == f.number - 1:
                groups[-1][1].append(f.number)
            else:
                groups.append((f.outcome, [f.number]))
        total = self.files[0].of if self.files else 0
        parts = []
        for outcome, numbers in groups:
            if len(numbers) == 1:
                which = f"file {numbers[0]} of {total}"
            elif len(numbers) == 2:
                which = f"files {numbers[0]} and {numbers[1]} of {total}"
            else:
                which = f"files {numbers[0]}-{numbers[-1]} of {total}"
            parts.append(f"{which} {outcome}")
        text = "; ".join(parts)
        return (text[:1].upper() + text[1:] + ".") if text else ""


class IngestStopped(ClinicError):
    """An import, or the reading of its batches, stopped part-way (a full disk, a store that
    went away): the sentence says why and what became of every file, so that nobody is told
    "nothing was saved" about files that were. ``report`` has the details."""

    def __init__(self, message: str, cause: ClinicError, report: IngestReport) -> None:
        super().__init__(message)
        self.exit_code = cause.exit_code
        self.cause = cause
        self.report = report


class IngestDiskFull(IngestStopped, DiskFull):
    """The disk filled during an import: still a DiskFull for every caller."""


def _stopped(cause: ClinicError, report: IngestReport, reason: str, advice: str) -> IngestStopped:
    if isinstance(cause, DiskFull):
        head, kind = "The disk is full", IngestDiskFull
        advice = "Free some space, then " + advice[:1].lower() + advice[1:]
    else:
        head, kind = cause.message.rstrip(". "), IngestStopped
    listing = report.files_sentence() or f"The files of batch {report.batch_id} are stored."
    return kind(f"{head}: {reason}. {listing} {advice}", cause, report)


def new_batch(session: Session, source: str = "import", label: str = "") -> int:
    session.require("scan.ingest")
    with session.db.write() as conn:
        batch_id = ingest_sql.create_batch(conn, source, label, session.user.id)
        session.audit("batch.create", "batch", batch_id, conn=conn, source=source)
    return batch_id


def import_files(
    session: Session,
    paths: Sequence[str | Path],
    source: str = "import",
    remove_originals: bool | None = None,
    batch_id: int | None = None,
    label: str = "",
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Copy files into the store (committed first), then check each one can be read.

    A file that cannot be read is kept (as it came) and reported with its reason; the other
    files go on. A file whose bytes were imported before is not stored again: reported as a
    duplicate, or as ``resumed`` when its batch's reading never finished (a crash, a full
    disk), whose batch is then in ``report.resume`` to be read. If storing stops part-way (a
    full disk), ``IngestStopped`` says which files were stored and which not. ``on_file``
    hears each file's outcome as soon as it is known (committed, for a stored file).
    ``remove_originals`` deletes a stored (or duplicate) original after its copy is
    committed (None: as the clinic's ``scan.remove_originals`` setting says); a failed file's
    original is always left where it is, for the clerk to fix.
    """
    session.require("scan.ingest")
    if remove_originals is None:
        remove_originals = bool(settings.get_setting(session, "scan.remove_originals"))
    run = _Import(session, len(paths), source, remove_originals, batch_id, label, on_file)
    number = 0
    try:
        for number, raw in enumerate(paths, 1):
            run.one(number, raw)
        run.finish()
    except ClinicError as exc:  # the disk filled, the store went away: say what was kept
        for n in range(len(run.results) + 1, len(paths) + 1):
            raw = paths[n - 1]
            run.results.append(
                FileResult(Path(raw).name, "not_stored", "", number=n, of=len(paths), path=str(raw))
            )
        report = run.report()
        where = f"the import stopped at file {number} of {len(paths)}"
        raise _stopped(
            exc, report, where, "Import the same files again: stored ones are not stored twice."
        ) from exc
    return run.report()


class _Import:
    """One ``import_files`` call, file by file (see there)."""

    def __init__(
        self,
        session: Session,
        total: int,
        source: str,
        remove: bool,
        batch_id: int | None,
        label: str,
        on_file: Callable[[FileResult], None] | None,
    ) -> None:
        self.session, self.total, self.source, self.remove = session, total, source, remove
        self.batch_id, self.label, self.on_file = batch_id, label, on_file
        self.results: list[FileResult] = []
        self.resume: list[int] = []
        self.seen: dict[str, int] = {}  # sha256 -> number of the file in this call

    def report(self) -> IngestReport:
        return IngestReport(self.batch_id, tuple(self.results), tuple(self.resume))

    def done(self, result: FileResult) -> None:
        self.results.append(result)
        self.tell(result)

    def tell(self, result: FileResult) -> None:
        if self.on_file:
            self.on_file(result)

    def one(self, number: int, raw: str | Path) -> None:
        session, path = self.session, Path(raw)
        base: dict[str, Any] = {"number": number, "of": self.total, "path": str(raw)}
        called = f"File {number} of {self.total}"
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            self.done(FileResult(path.name, "failed", f"{called} is a folder, not a file.", **base))
            return
        except FileNotFoundError:
            msg = f"{called} does not exist (any more)."
            self.done(FileResult(path.name, "failed", msg, **base))
            return
        except OSError:
            msg = f"{called} cannot be opened for reading."
            self.done(FileResult(path.name, "failed", msg, **base))
            return
        sha = hashlib.sha256(data).hexdigest()
        if sha in self.seen:  # the same bytes twice in one call
            first = f"file {self.seen[sha]} of {self.total}"
            msg = f"{called} is the same file as {first}; not stored again."
            self.done(FileResult(path.name, "duplicate", msg, sha256=sha, **base))
            return
        self.seen[sha] = number
        with session.db.read() as conn:
            earlier = ingest_sql.file_by_sha(conn, sha)
            unfinished = earlier is not None and ingest_sql.file_unfinished(conn, earlier["id"])
        if earlier is not None:
            b = earlier["batch_id"]
            if unfinished:  # stored before, but a crash or a full disk stopped its reading
                msg = f"{called} was stored before (batch {b}); its pages are not all read yet."
                status = "resumed"
                if b not in self.resume:
                    self.resume.append(b)
            else:
                when = earlier["imported_at"][:10]
                msg = f"{called} was already imported on {when} (batch {b}); not stored again."
                status = "duplicate"
            self.done(FileResult(path.name, status, msg, earlier["id"], 0, sha, batch_id=b, **base))
            _remove_original(path, self.remove)
            return
        blob_id, _ = session.pages.put(data)  # bytes first, then the rows that name them
        media = _media_type(path)
        made_batch = False
        try:
            with session.db.write() as conn:
                if ingest_sql.file_by_sha(conn, sha) is not None:  # another import, just now
                    msg = f"{called} was imported by someone else just now; not stored again."
                    self.done(FileResult(path.name, "duplicate", msg, sha256=sha, **base))
                    return
                if self.batch_id is None:  # with its first file: a stop leaves no empty batch
                    self.batch_id = new_batch(session, self.source, self.label)
                    made_batch = True
                file_id = ingest_sql.insert_file(
                    conn, self.batch_id, path.name, sha, len(data), blob_id, media
                )
                session.audit(
                    "file.import",
                    "imported_file",
                    file_id,
                    conn=conn,
                    batch_id=self.batch_id,
                    size=len(data),
                    source=self.source,
                )
        except BaseException:
            if made_batch:
                self.batch_id = None  # rolled back with the file
            raise
        # Committed: now judge it. A bad file keeps its row (status failed) and its bytes.
        stored = FileResult(
            path.name, "stored", "", file_id, 0, sha, batch_id=self.batch_id, **base
        )
        try:
            count = _count_pages(sources.InMemoryFile(data, path.name, called.lower()))
        except BadInput as exc:
            failed = dataclasses.replace(stored, status="failed", message=exc.message)
            self.results.append(failed)  # kept in the store, whatever happens next
            with session.db.write() as conn:
                ingest_sql.set_file_status(conn, file_id, "failed", exc.message)
            self.tell(failed)
            return
        self.done(dataclasses.replace(stored, pages=count))
        _remove_original(path, self.remove)

    def finish(self) -> None:
        if self.batch_id is not None:
            with self.session.db.write() as conn:
                files = ingest_sql.files_for_batch(conn, self.batch_id)
                if files and all(f["status"] == "failed" for f in files):
                    ingest_sql.set_batch_status(conn, self.batch_id, "done")


def _remove_original(path: Path, asked: bool) -> None:
    if not asked:
        return
    try:
        path.unlink()
    except OSError:
        log.warning("an imported original could not be removed")


def _media_type(path: Path) -> str:
    try:
        return sources.sniff(path)
    except OSError:
        return sources.UNKNOWN


def _count_pages(path: Path | sources.InMemoryFile) -> int:
    """Judge the file (the sources module decides what it refuses) by opening it and counting
    its pages; single pages are decoded, so a truncated picture is caught here."""
    with sources.load_pages(path) as loaded:
        return int(loaded.page_count)


# -- 2. processing -------------------------------------------------------------------------


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


@dataclass
class _Prepared:
    file_id: int
    source_page: int
    seq: int
    data: bytes
    media_type: str
    width: int
    height: int
    dpi: int
    blank_score: float
    suggestion: str
    words: str
    confident: bool
    header_bottom: int  # page rows below this still need the full pass
    text_layer: str | None
    seconds: float
    problem: str | None = None
    cover: bool = False


@dataclass
class _Text:
    page_id: int
    text: str
    words: str
    seconds: float
    problem: str | None = None
    suggestion: str | None = None  # made again from the whole page (better dates and types)
    confident: bool = False


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


def _poor_header(ocr: OcrResult) -> bool:
    good = sum(
        1 for w in ocr.words if w.conf >= GOOD_WORD_CONF and sum(c.isalnum() for c in w.text) >= 3
    )
    return good < GOOD_HEADER_WORDS


def _encode(page: Image.Image, bilevel: bool) -> tuple[bytes, str, Image.Image]:
    """PNG for grey pages; G4 TIFF for faxes (bilevel in, bilevel out: lossless, tiny)."""
    buf = io.BytesIO()
    dpi = page.info.get("dpi") or (300, 300)
    if bilevel:
        page = page.point(lambda v: 255 if v >= 128 else 0).convert("1")
        page.save(buf, "TIFF", compression="group4", dpi=dpi)
        return buf.getvalue(), "image/tiff", page
    page.save(buf, "PNG", compress_level=1, dpi=dpi)
    return buf.getvalue(), "image/png", page


def _prepared(
    file_id: int,
    src: sources.SourcePage,
    seq: int,
    page: Image.Image,
    bilevel: bool,
    score: float,
    started: float,
    **read: Any,
) -> _Prepared:
    """The page encoded as it will be stored, with what was read from it (``read``)."""
    data, media, stored = _encode(page, bilevel)
    return _Prepared(
        file_id=file_id,
        source_page=src.number,
        seq=seq,
        data=data,
        media_type=media,
        width=stored.width,
        height=stored.height,
        dpi=int(round(float((page.info.get("dpi") or (300, 300))[0]))),
        blank_score=round(score, 4),
        seconds=time.perf_counter() - started,
        **read,
    )


class _Reader:
    """What a worker needs to read one page: the OCR engine, the registry, the classifier."""

    def __init__(self, session: Session) -> None:
        self.engine = OcrEngine(1)  # called synchronously from the pool's own threads
        self.registry = lookup.index_for(session.store)
        self.classifier = classifier_for(session)
        self.date_order = date_order_for(session)

    def prepare(self, file_id: int, src: sources.SourcePage, seq: int) -> _Prepared:
        started = time.perf_counter()
        img = src.image
        assert img is not None
        bilevel = img.mode == "1"
        problem = None
        try:
            cleaned = cleanup.clean_page(img, fix_orientation=False)
            page, blank = cleaned.image, cleaned.probably_blank
            score = cleaned.blank_score
        except Exception as exc:  # noqa: BLE001 - the page is kept as it came
            log.warning("cleanup failed on a page: %s", type(exc).__name__)
            page, blank, score = cleanup.normalize(img), False, 0.0
        header: OcrResult | None = None
        covered = None if blank else self.cover_sheet(page)
        if covered is not None:
            return self._cover_page(file_id, src, seq, page, bilevel, score, covered, started)
        if not blank:
            try:
                header = self.engine.header_pass(page)
                if _poor_header(header):
                    found = cleanup.orientation(page)
                    if found.confidence >= cleanup.MIN_ORIENTATION_CONFIDENCE and found.rotate:
                        page = cleanup.rotate_clockwise(page, found.rotate)
                        header = self.engine.header_pass(page)
            except OcrUnavailable:
                raise
            except ClinicError as exc:
                problem = exc.message
                header = None
        sugg = Suggestions()
        if header is not None:
            sugg = suggest(header, self.registry, self.classifier, self.date_order)
        extra: dict[str, Any] = {"blank": blank}
        if problem:
            extra["problem"] = problem
        return _prepared(
            file_id, src, seq, page, bilevel, score, started,
            suggestion=suggestions_to_json(sugg, **extra),
            words=_words_json(header.words if header else ()),
            confident=sugg.confident_patient is not None and not blank,
            header_bottom=0 if header is None else header_region(page).height,
            text_layer=src.text,
            problem=problem,
        )  # fmt: skip

    def cover_sheet(self, page: Image.Image) -> Suggestions | None:
        """A cover sheet printed by the program (patient and type in a barcode), or None.

        Its MRN must name exactly one chart in the registry; then its suggestion is
        confident: the clerk chose the patient when printing the sheet."""
        try:
            code = barcodes.read_cover_sheet(page)
        except Exception as exc:  # noqa: BLE001 - an unreadable barcode is just a page
            log.warning("barcode reading failed on a page: %s", type(exc).__name__)
            return None
        if code is None:
            return None
        ids = self.registry.by_mrn(code.mrn)
        patient = self.registry.get(ids[0]) if len(ids) == 1 else None
        ev = (Evidence("barcode", "cover sheet " + "+".join(code.symbologies)),)
        found = ()
        if patient is not None:
            found = (
                PatientSuggestion(
                    patient.id,
                    patient.mrn,
                    patient.display_name,
                    patient.dob.isoformat(),
                    COVER_SCORE,
                    ev,
                ),
            )
        return Suggestions(patient=found, doc_type=(ScoredValue(code.doc_type, 1.0, ev),))

    def _cover_page(
        self,
        file_id: int,
        src: sources.SourcePage,
        seq: int,
        page: Image.Image,
        bilevel: bool,
        score: float,
        sugg: Suggestions,
        started: float,
    ) -> _Prepared:
        return _prepared(
            file_id, src, seq, page, bilevel, score, started,
            suggestion=suggestions_to_json(sugg, blank=False, cover=True),
            words="[]",
            confident=sugg.confident_patient is not None,
            header_bottom=0,
            text_layer=None,
            cover=True,
        )  # fmt: skip

    def full_text(
        self, session: Session, row: dict, header_words: list[Word], old: str | None = None
    ) -> _Text:
        """The rest of the page below the header (the header was read already), and the
        suggestions made again from the whole page: a date or a second identifier is often
        below the header (measured on the bench corpus: date top-1 81 % -> 94 %)."""
        started = time.perf_counter()
        img = Image.open(io.BytesIO(session.pages.get(row["blob_id"], row["sha256"])))
        img.load()
        img.info["dpi"] = (row["dpi"], row["dpi"])
        if img.mode != "L":
            img = img.convert("L")
            img.info["dpi"] = (row["dpi"], row["dpi"])
        top = max((w.box.top + w.box.height for w in header_words), default=0)
        top = min(top, img.height - 1) if header_words else 0
        try:
            if top:
                region = Box(0, top, img.width, img.height - top)
                rest = self.engine.ocr_page(img, region=region)
            else:
                rest = self.engine.full_pass(img)
        except OcrUnavailable:
            raise
        except ClinicError as exc:
            return _Text(
                row["id"],
                _text_of(header_words),
                _words_json(header_words),
                time.perf_counter() - started,
                exc.message,
            )
        head_text = _text_of(header_words)
        text = "\n\n".join(t for t in (head_text, rest.text) if t)
        words = list(header_words) + [
            dataclasses.replace(w, line=w.line + 10_000) for w in rest.words
        ]
        extra = {k: v for k, v in json.loads(old or "{}").items() if k in ("blank", "problem")}
        sugg = suggest(
            OcrResult(text, tuple(words)), self.registry, self.classifier, self.date_order
        )
        return _Text(
            row["id"],
            text,
            _words_json(words),
            time.perf_counter() - started,
            suggestion=suggestions_to_json(sugg, **extra),
            confident=sugg.confident_patient is not None and not extra.get("blank"),
        )


@dataclass
class _Failed:
    file_id: int
    source_page: int
    message: str


def _guarded(
    reader: _Reader, file_id: int, src: sources.SourcePage, seq: int, called: str = "its file"
) -> Any:
    """One page that breaks the pipeline (a bug, a pathological image) costs that page's
    automatic reading, not the batch: it is recorded on its file (whose original stays in
    the store) and the other pages go on. Tesseract missing stops the batch."""
    try:
        return reader.prepare(file_id, src, seq)
    except OcrUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - reported per page
        from clinicrecords import devlog

        devlog.log_unexpected(exc, "preparing a scanned page")
        return _Failed(
            file_id,
            src.number,
            f"Page {src.number} of {called} could not be prepared; the imported file is kept "
            "in the store.",
        )


def _guarded_text(
    reader: _Reader, session: Session, row: dict, words: list[Word], old: str | None
) -> _Text:
    try:
        return reader.full_text(session, row, words, old)
    except OcrUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - the page keeps its header text
        from clinicrecords import devlog

        devlog.log_unexpected(exc, "reading a page's full text")
        return _Text(
            row["id"],
            _text_of(words),
            _words_json(words),
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
            raise _stopped(
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
    def feed(self, reader: _Reader, pool: _PagePool) -> Iterator[None]:
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

    def submit_text(self, reader: _Reader, pool: _PagePool, row: dict) -> None:
        with self.session.db.read() as conn:
            raw = conn.execute(
                "SELECT ocr_words, suggestion FROM pages WHERE id = ?", (row["id"],)
            ).fetchone()
        words = _words_from_json(raw[0] if raw else None)
        old = raw[1] if raw else None
        self.in_flight += 1
        pool.submit(OcrExecutor.FULL, lambda: _guarded_text(reader, self.session, row, words, old))

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> ProcessReport:
        started = time.perf_counter()
        reader = _Reader(self.session)
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
                if isinstance(result, _Prepared):
                    self.stored(reader, pool, result)
                elif isinstance(result, _Failed):
                    self.problems.setdefault(result.file_id, []).append(result.message)
                    self.report.problems.append(result.message)
                    self.known_pages -= 1
                    self.left[result.file_id] -= 1
                    self.finish_file(result.file_id)
                elif isinstance(result, _Text):
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

    def stored(self, reader: _Reader, pool: _PagePool, result: _Prepared) -> None:
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


def _store_prepared(session: Session, batch_id: int, p: _Prepared) -> tuple[int, str, str]:
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


# -- 3. review and filing ------------------------------------------------------------------


@dataclass(frozen=True)
class BatchInfo:
    id: int
    source: str
    label: str
    created_at: str
    files: int
    files_waiting: int
    files_failed: int
    pages: int
    filed: int
    review: int
    text_pending: int

    @property
    def unfiled(self) -> int:
        return self.pages - self.filed


@dataclass(frozen=True)
class ScanPage:
    id: int
    batch_id: int
    file_id: int | None
    source_page: int
    seq: int
    status: str
    width: int
    height: int
    rotation: int
    blank_score: float
    has_text: bool
    suggestion: Suggestions
    blank: bool = False
    problem: str = ""
    cover: bool = False

    @property
    def confident(self) -> bool:
        return self.suggestion.confident_patient is not None and not self.blank


def _scan_page(row: dict) -> ScanPage:
    raw = json.loads(row["suggestion"]) if row.get("suggestion") else {}
    return ScanPage(
        id=row["id"],
        batch_id=row["batch_id"],
        file_id=row["file_id"],
        source_page=row["source_page"],
        seq=row["seq"],
        status=row["status"],
        width=row["width"],
        height=row["height"],
        rotation=row["rotation"],
        blank_score=float(row["blank_score"] or 0.0),
        has_text=bool(row["has_text"]),
        suggestion=suggestions_from_json(row.get("suggestion")),
        blank=bool(raw.get("blank", False)),
        problem=str(raw.get("problem", "")),
        cover=bool(raw.get("cover", False)),
    )


def open_batches(session: Session) -> list[BatchInfo]:
    session.require("scan.ingest")
    with session.db.read() as conn:
        rows = ingest_sql.open_batches(conn)
    names = {f.name for f in dataclasses.fields(BatchInfo)}
    return [BatchInfo(**{k: v for k, v in r.items() if k in names}) for r in rows]


def batch_pages(session: Session, batch_id: int) -> list[ScanPage]:
    """The batch's pages still to be filed (filed and deleted pages are left out)."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        rows = ingest_sql.batch_pages(conn, batch_id)
    return [_scan_page(r) for r in rows if r["status"] != "filed"]


def review_queue(session: Session, batch_id: int | None = None) -> list[ScanPage]:
    """Pages with no confident patient, waiting for the clerk (never filed on their own)."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        ids = [b["id"] for b in ingest_sql.open_batches(conn)] if batch_id is None else [batch_id]
        rows = [r for b in ids for r in ingest_sql.batch_pages(conn, b)]
    return [_scan_page(r) for r in rows if r["status"] == "review"]


def batch_files(session: Session, batch_id: int) -> list[dict]:
    """The batch's imported files: name, status and the reason a file failed (no content)."""
    session.require("scan.ingest")
    with session.db.read() as conn:
        rows = ingest_sql.files_for_batch(conn, batch_id)
    keep = ("id", "original_name", "size", "media_type", "status", "error", "imported_at")
    return [{k: r[k] for k in keep} for r in rows]


def page_image(session: Session, page_id: int) -> bytes:
    """A page's image for the indexing screen. Checked and audited by ``page_access``: an
    unfiled page needs ``scan.ingest``, a filed one the chart's rules (sensitive types)."""
    return page_access.open_page(
        session,
        page_id,
        "view",
        lambda row: session.pages.get(row["blob_id"], row["sha256"]),
        purpose="index",
    )


def page_words(session: Session, page_id: int) -> list[Word]:
    """A page's OCR words (with their boxes); checked and audited like its image."""
    return page_access.open_page(
        session, page_id, "words", lambda row: _words_from_json(row["ocr_words"])
    )


def rotate_page(session: Session, page_id: int, degrees: int) -> int:
    """Turn a page still to be filed (clockwise); returns its new rotation."""
    session.require("scan.ingest")
    if degrees % 90:
        raise BadInput("A page can only be turned by a quarter turn at a time.")
    with session.db.write() as conn:
        (row,) = page_access.batch_pages_to_change(conn, [page_id])
        new = (int(row["rotation"]) + degrees) % 360
        ingest_sql.set_page_rotation(conn, page_id, new)
        session.audit(
            "page.rotate", "page", page_id, conn=conn, batch_id=row["batch_id"], rotation=new
        )
    return new


def delete_pages(session: Session, page_ids: Sequence[int], restore: bool = False) -> None:
    """Set pages aside (status ``deleted``; the image is kept and can be restored)."""
    session.require("scan.ingest")
    with session.db.write() as conn:
        rows = page_access.batch_pages_to_change(conn, page_ids)
        for r in rows:
            if restore:
                status = (
                    "ready"
                    if suggestions_from_json(r["suggestion"]).confident_patient
                    else "review"
                )
            else:
                status = "deleted"
            ingest_sql.set_page_status(conn, [r["id"]], status)
        session.audit(
            "page.restore" if restore else "page.set_aside",
            "pages",
            ",".join(str(r["id"]) for r in rows),
            conn=conn,
        )


def reorder_pages(session: Session, batch_id: int, order: Sequence[int]) -> None:
    """Put a batch's pages (all still to be filed, all of this batch) in the given order."""
    session.require("scan.ingest")
    order = list(order)
    if len(set(order)) != len(order):
        raise BadInput("A page is listed twice in the new order.")
    with session.db.write() as conn:
        page_access.batch_pages_to_change(conn, order, batch_id)
        ingest_sql.set_page_seq(conn, order)
        session.audit("page.reorder", "batch", batch_id, conn=conn, pages=order)


def load_batch_state(session: Session, batch_id: int) -> dict[str, Any]:
    session.require("scan.ingest")
    with session.db.read() as conn:
        return ingest_sql.batch_state(conn, batch_id)


def save_batch_state(session: Session, batch_id: int, state: dict[str, Any]) -> None:
    """The indexing screen's work in progress (document groups, typed fields), kept in the
    database so that a crash or a closed window loses none of it."""
    session.require("scan.ingest")
    with session.db.write() as conn:
        ingest_sql.put_batch_state(conn, batch_id, state)


def discard_batch(session: Session, batch_id: int) -> None:
    """Close a batch without filing the rest (its files and pages stay in the store)."""
    session.require("scan.ingest")
    with session.db.write() as conn:
        ingest_sql.set_batch_status(conn, batch_id, "discarded")
        session.audit("batch.discard", "batch", batch_id, conn=conn)


def file_document(
    session: Session,
    page_ids: Sequence[int],
    patient_id: int,
    doc_type: str,
    doc_date: date | None,
    title: str = "",
    author: str = "",
    facility: str = "",
    set_aside: Sequence[int] = (),
) -> int:
    """File reviewed pages as one document in a chart; audited; teaches the type classifier.

    ``set_aside``: pages of the same document that are not part of the record (its cover
    sheet), kept in the store with status ``deleted`` in the same commit."""
    session.require("scan.file")
    page_ids = list(dict.fromkeys(page_ids))
    if not page_ids:
        raise BadInput("Choose at least one page to file.")
    with session.db.write() as conn:
        rows = ingest_sql.pages_by_id(conn, page_ids)
        if len(rows) != len(page_ids):
            raise NotFound("A page to file does not exist (any more).")
        if any(r["status"] in ("filed", "deleted") for r in rows):
            raise BadInput("A page was already filed or set aside; reload the batch.")
        batches = {r["batch_id"] for r in rows}
        patient = patients_sql.get(conn, patient_id)
        if patient is None:
            raise NotFound("That chart does not exist.")
        if patient.merged_into:
            raise BadInput("That chart was merged into another; choose the surviving chart.")
        if conn.execute("SELECT 1 FROM doc_types WHERE code = ?", (doc_type,)).fetchone() is None:
            raise BadInput("That document type does not exist.")
        batch_id = next(iter(batches)) if len(batches) == 1 else None
        doc_id = documents_sql.insert_document(
            conn,
            patient_id,
            doc_type,
            doc_date.isoformat() if doc_date else None,
            title,
            author,
            facility,
            batch_id,
            session.user.id,
        )
        ingest_sql.file_pages_into_document(conn, page_ids, doc_id)
        aside = [r for r in ingest_sql.pages_by_id(conn, list(set_aside)) if r["status"] != "filed"]
        ingest_sql.set_page_status(conn, [r["id"] for r in aside], "deleted")
        patients_sql.touch(conn, patient_id)
        suggested = suggestions_from_json(rows[0]["suggestion"])
        top = suggested.confident_patient
        session.audit(
            "document.file",
            "document",
            doc_id,
            conn=conn,
            patient_id=patient_id,
            doc_type=doc_type,
            pages=len(page_ids),
            batch_id=batch_id,
            followed_suggestion=bool(top and top.patient_id == patient_id),
            set_aside=len(aside),
        )
        text = "\n".join(
            r["ocr_text"]
            if r["ocr_text"] is not None
            else _text_of(_words_from_json(r["ocr_words"]))
            for r in rows
        )
        learned = _learned(session, text, doc_type) if text.strip() else None
        if learned is not None:
            settings_sql.put(conn, CLASSIFIER_KEY, learned.to_json())
        for b in batches:
            if ingest_sql.unfiled_count(conn, b) == 0:
                ingest_sql.set_batch_status(conn, b, "done")
    if learned is not None:
        with session.store.cache_lock:
            session.store.cache[_CLASSIFIER_CACHE] = learned
    return doc_id


# -- suggestions for one file, store unchanged ---------------------------------------------


@dataclass(frozen=True)
class FileSuggestions:
    pages: int
    suggestions: Suggestions
    per_page: tuple[Suggestions, ...]


def _merge_scored(lists: Sequence[Sequence[ScoredValue]]) -> tuple[ScoredValue, ...]:
    best: dict[str, ScoredValue] = {}
    for values in lists:
        for v in values:
            if v.value not in best or v.score > best[v.value].score:
                best[v.value] = v
    return tuple(sorted(best.values(), key=lambda v: -v.score))


def merge_suggestions(pages: Sequence[Suggestions]) -> Suggestions:
    """One set for a whole file: each candidate at its best page's score, best first."""
    patients: dict[int, PatientSuggestion] = {}
    for s in pages:
        for p in s.patient:
            if p.patient_id not in patients or p.score > patients[p.patient_id].score:
                patients[p.patient_id] = p
    return Suggestions(
        patient=tuple(sorted(patients.values(), key=lambda p: -p.score)),
        doc_type=_merge_scored([s.doc_type for s in pages]),
        doc_date=_merge_scored([s.doc_date for s in pages]),
        author=_merge_scored([s.author for s in pages]),
        facility=_merge_scored([s.facility for s in pages]),
    )


def suggest_file(session: Session, path: str | Path, max_pages: int = 5) -> FileSuggestions:
    """Read a file's first pages and suggest how to file it, without storing anything.

    The pages are read on the program's one OCR executor, ahead of batch work (a person is
    waiting for this file); sentences call it "the file", never by its name."""
    session.require("scan.ingest")
    registry = lookup.index_for(session.store)
    classifier = classifier_for(session)
    order = date_order_for(session)
    engine = OcrEngine()

    def read(img: Image.Image) -> Suggestions | None:
        cleaned = cleanup.clean_page(img, fix_orientation=False)
        if cleaned.probably_blank:
            return None
        page = cleaned.image
        if _poor_header(engine.header_pass(page)):
            found = cleanup.orientation(page)
            if found.confidence >= cleanup.MIN_ORIENTATION_CONFIDENCE and found.rotate:
                page = cleanup.rotate_clockwise(page, found.rotate)
        return suggest(engine.full_pass(page), registry, classifier, order)

    executor = ocr_executor()
    futures: list[Future[Suggestions | None]] = []
    try:
        with sources.load_pages(_file_to_suggest(path)) as loaded:  # decoded on this thread
            count = int(loaded.page_count)
            for n, img in enumerate(loaded.iter_pages()):
                if n >= max_pages:
                    break
                futures.append(executor.submit(OcrExecutor.SUGGEST, lambda i=img: read(i)))
        per_page = [s for s in (f.result() for f in futures) if s is not None]
    finally:
        for f in futures:
            f.cancel()
        wait(futures)
    return FileSuggestions(count, merge_suggestions(per_page), tuple(per_page))


def _file_to_suggest(path: str | Path) -> sources.InMemoryFile:
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise BadInput("That is a folder, not a file.") from None
    except FileNotFoundError:
        raise BadInput("The file does not exist (any more).") from None
    except OSError:
        raise BadInput("The file cannot be opened for reading.") from None
    return sources.InMemoryFile(data, p.name, "the file")
