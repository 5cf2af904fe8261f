"""A watched "scan to folder" directory that network scanners and copiers drop files into.

A file is handed over only when its size and modification time have stayed the same for
``settle_seconds`` (network scanners write a 40-page PDF over SMB for many seconds, and a
file handed over half-written would be refused or, worse, imported short). Temporary and
partial names are ignored. Nothing here deletes, moves or renames a file: removing the
original is the importer's decision, after the copy is committed to the store.

watchdog events only wake the sweep early; the periodic sweep is what decides, so the
watcher also works where file-system events are unreliable (SMB/NFS shares, some NAS).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

log = logging.getLogger(__name__)

SETTLE_SECONDS = 3.0
SWEEP_SECONDS = 5.0

# Names scanners, copy tools and editors give files that are still being written.
_TEMP_SUFFIXES = (
    ".tmp",
    ".temp",
    ".part",
    ".partial",
    ".crdownload",
    ".filepart",
    ".download",
    ".lock",
    ".swp",
    "~",
)
_TEMP_PREFIXES = (".", "~", "~$", "_tmp", "tmp_")


def is_temporary_name(name: str) -> bool:
    low = name.lower()
    return (
        low.startswith(_TEMP_PREFIXES)
        or low.endswith(_TEMP_SUFFIXES)
        or low in ("thumbs.db", "desktop.ini")
    )


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float


class FolderWatcher:
    """Calls ``on_file(path)`` once for each finished file that appears in ``path``.

    A file replaced later by another with the same name (a second scan saved as
    ``scan0001.pdf`` again) is handed over again. ``on_file`` runs on the watcher's thread;
    an exception from it is logged (without the file name, which may name a patient) and
    the file is not offered again until it changes.
    """

    def __init__(
        self,
        path: str | Path,
        on_file: Callable[[Path], None],
        *,
        settle_seconds: float = SETTLE_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.on_file = on_file
        self.settle_seconds = settle_seconds
        self.sweep_seconds = sweep_seconds
        self._clock = clock
        self._seen: dict[Path, _Seen] = {}
        self._handed: dict[Path, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer: Observer | None = None  # type: ignore[valid-type]

    # -- the decision --------------------------------------------------------------------
    def sweep(self) -> list[Path]:
        """Look at the folder once; hand over and return the files that are now finished."""
        with self._lock:
            ready = self._collect()
        for path in ready:
            try:
                self.on_file(path)
            except Exception as exc:  # the watcher must outlive any one bad file
                log.warning("watched-folder handler failed: %s", type(exc).__name__)
        return ready

    def _collect(self) -> list[Path]:
        now = self._clock()
        present: set[Path] = set()
        ready: list[Path] = []
        try:
            entries = sorted(self.path.iterdir())
        except OSError:
            log.warning("watched folder cannot be listed")
            return []
        for entry in entries:
            if is_temporary_name(entry.name):
                continue
            try:
                st = entry.stat()
                if not entry.is_file():
                    continue
            except OSError:
                continue  # vanished or unreadable between listing and stat
            present.add(entry)
            key = (st.st_size, st.st_mtime_ns)
            if self._handed.get(entry) == key:
                continue
            seen = self._seen.get(entry)
            if seen is None or (seen.size, seen.mtime_ns) != key:
                self._seen[entry] = _Seen(st.st_size, st.st_mtime_ns, now)
                continue
            if st.st_size == 0 or now - seen.stable_since < self.settle_seconds:
                continue
            if not self._readable(entry):
                continue  # still locked by the writer (Windows shares do this)
            self._handed[entry] = key
            del self._seen[entry]
            ready.append(entry)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        for gone in set(self._handed) - present:
            del self._handed[gone]
        return ready

    @staticmethod
    def _readable(path: Path) -> bool:
        try:
            with open(path, "rb") as fh:
                fh.read(1)
            return True
        except OSError:
            return False

    @property
    def pending(self) -> int:
        """Files seen but not yet settled (for a "waiting for N files" hint)."""
        with self._lock:
            return len(self._seen)

    # -- running in the background -------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        self._stop.clear()
        watcher = self

        class _Nudge(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                watcher._wake.set()

        try:
            observer = Observer()
            observer.schedule(_Nudge(), str(self.path), recursive=False)
            observer.start()
            self._observer = observer
        except OSError:
            log.warning("file-system events unavailable for the watched folder; sweeping only")
            self._observer = None
        self._thread = threading.Thread(target=self._run, name="folder-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sweep()
            # While files are settling, look again soon; otherwise wait for an event or the
            # periodic sweep.
            wait = self.sweep_seconds
            if self.pending:
                wait = min(wait, max(0.05, self.settle_seconds / 2))
            self._wake.wait(wait)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> FolderWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
