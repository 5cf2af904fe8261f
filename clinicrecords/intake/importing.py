"""Step 1 of intake: files into the store.

Every file is copied into the encrypted page store and its ``imported_files`` row committed
*before anything else happens* (a crash or a bad file later never costs an imported
original). The same bytes imported twice are stored once and reported as a duplicate. The
original is removed only when asked, and only after the commit."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinicrecords.clinic import settings
from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput, ClinicError, DiskFull
from clinicrecords.db import ingest_sql
from clinicrecords.scan import sources

log = logging.getLogger(__name__)


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


def stopped(cause: ClinicError, report: IngestReport, reason: str, advice: str) -> IngestStopped:
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
        raise stopped(
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
