"""Live sync: a background thread that keeps this PC's replica and the clinic server in step.

Why a thread of its own, with its own connections: the desktop must never wait for the
network (DESIGN.md section 8: the server is never on the path of a keystroke), and SQLite
connections are per thread (``db/connection.py``), so the loop's reads and writes cannot
collide with the UI's.

What wakes a round of ``client.sync_once`` (push + pull):
- another PC pushed: ``LISTEN clinicrecords_events`` on a dedicated connection; the server's
  insert trigger notifies with the clinic id (``conn.notifies(timeout=…)`` returns every
  ``tick_s`` so a stop is seen quickly);
- this PC has unsent events: the outbox is counted every ``tick_s`` (two COUNTs on an indexed
  table: far cheaper than a hook in every service's commit, and it also sees changes made by
  another process on this PC, e.g. a CLI import);
- ``wake()`` (a "sync now" button);
- nothing for ``poll_s`` seconds: a lost notification costs at most one poll interval.

While the server is away, rounds are attempted after 1 s, 2 s, 4 s … up to 60 s, each wait
jittered (half fixed, half random) so the PCs of a clinic do not all hammer a server that has
just come back at the same instant; local changes do not cut a wait short (no busy loop).

``status()`` returns a snapshot (a frozen dataclass) under a lock: the UI's timer reads it
without touching the network or the database.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

import psycopg

from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import ClinicError
from clinicrecords.db import server_sql, sync_sql
from clinicrecords.sync import address, client

log = logging.getLogger(__name__)

UNEXPECTED = "Sync stopped on an unexpected error; it is retried, and the details are in the log."


def is_attached(store: Store) -> bool:
    """Whether this store is a workstation of a clinic network (so a loop should run)."""
    with store.db.read() as conn:
        return sync_sql.is_attached(conn)


@dataclass(frozen=True)
class LoopStatus:
    online: bool = False  # the last round reached the server
    last_sync: datetime | None = None  # end of the last complete round (UTC)
    outbox: int = 0  # this PC's changes not yet sent
    offline_since: datetime | None = None  # first failed round since the last success
    last_error: str = ""  # one sentence for a clerk; "" when the last round worked
    conflicts: int = 0
    attempts: int = 0  # rounds tried (successful or not)
    failures: int = 0  # consecutive failed rounds
    running: bool = False

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("last_sync", "offline_since"):
            d[k] = d[k].strftime("%Y-%m-%dT%H:%M:%SZ") if d[k] else None
        return d


def describe(s: LoopStatus, now: datetime | None = None) -> str:
    """The status bar's sentence: "Online · synced 3 s ago" or "Offline since 09:14 — 12
    changes waiting" (times local to the PC)."""
    now = now or datetime.now(UTC)
    if s.online and s.last_sync is not None:
        ago = max(0, int((now - s.last_sync).total_seconds()))
        if ago < 60:
            when = f"{ago} s ago"
        elif ago < 3600:
            when = f"{ago // 60} min ago"
        else:
            when = f"{ago // 3600} h ago"
        return f"Online · synced {when}"
    waiting = f"{s.outbox} change{'s' if s.outbox != 1 else ''} waiting"
    if s.offline_since is not None:
        since = s.offline_since.astimezone()
        fmt = "%H:%M" if since.date() == now.astimezone().date() else "%d %b %H:%M"
        return f"Offline since {since.strftime(fmt)} — {waiting}"
    return f"Connecting to the clinic server… — {waiting}"


def backoff_delay(
    failures: int, rng: random.Random, first: float = 1.0, most: float = 60.0
) -> float:
    """Wait before the next try after ``failures`` failed rounds: 1, 2, 4 … 60 s, jittered."""
    base = min(most, first * 2 ** max(0, failures - 1))
    return base / 2 + rng.uniform(0, base / 2)


class SyncLoop:
    """Start with ``start()``, stop with ``stop()``; ``status()`` any time, from any thread."""

    def __init__(
        self,
        store: Store,
        poll_s: float = 30.0,
        tick_s: float = 0.1,
        backoff_first_s: float = 1.0,
        backoff_max_s: float = 60.0,
        seed: int | None = None,
    ) -> None:
        self.store = store
        self.poll_s = poll_s
        self.tick_s = tick_s
        self.backoff_first_s = backoff_first_s
        self.backoff_max_s = backoff_max_s
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._status = LoopStatus()
        self._thread: threading.Thread | None = None
        self._stopping: list[threading.Thread] = []  # stopped without waiting (a lock)
        self._local = threading.local()  # the LISTEN connection belongs to its thread

    # --- control --------------------------------------------------------------------------

    def start(self) -> None:
        """Start (or restart after ``stop``) without waiting for a stopping thread: it has its
        own stop flag and ends on its own, so a screen unlock never waits for the network."""
        if self._thread is not None and self._thread.is_alive() and not self._stop.is_set():
            return
        self._state = client.require_state(self.store)  # not attached: BadInput, here
        if self._thread is not None:
            self._stopping = [t for t in self._stopping if t.is_alive()] + [self._thread]
        self._stop = threading.Event()
        self._set(running=True)
        self._thread = threading.Thread(
            target=self._run, args=(self._stop,), name="clinic-sync", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait up to ``timeout`` s for it (0: do not wait; a round in
        progress finishes or fails first, then the thread ends)."""
        self._stop.set()
        self._wake.set()
        if timeout > 0:  # every thread of this loop, so the store can be closed after
            deadline = time.monotonic() + timeout
            for t in [*self._stopping, self._thread]:
                if t is not None:
                    t.join(max(0.0, deadline - time.monotonic()))
        self._set(running=False)

    def wake(self) -> None:
        """Sync now (also cuts a back-off wait short: a person asked)."""
        self._wake.set()

    def status(self) -> LoopStatus:
        with self._lock:
            return self._status

    def _set(self, **changes) -> None:
        with self._lock:
            self._status = replace(self._status, **changes)

    # --- the loop -------------------------------------------------------------------------

    def _run(self, stop: threading.Event) -> None:
        state = self._state
        try:
            self._refresh_outbox()
            next_poll = 0.0  # the first round runs at once
            while not stop.is_set():
                due = (
                    time.monotonic() >= next_poll or self._wake.is_set() or self.status().outbox > 0
                )
                if due:
                    self._wake.clear()
                    if self._round(state):
                        next_poll = time.monotonic() + self.poll_s
                    else:
                        self._close_listen()
                        delay = backoff_delay(
                            self.status().failures,
                            self._rng,
                            self.backoff_first_s,
                            self.backoff_max_s,
                        )
                        self._sleep(delay, stop)
                        next_poll = 0.0  # try again when the wait ends
                        continue
                self._wait_for_news(state)
                self._refresh_outbox()
        finally:
            self._close_listen()

    def _sleep(self, seconds: float, stop: threading.Event) -> None:
        """A back-off wait; the outbox count stays current for the status bar meanwhile."""
        end = time.monotonic() + seconds
        while not (self._wake.is_set() or stop.is_set()) and (left := end - time.monotonic()) > 0:
            self._wake.wait(min(self.tick_s, left))
            self._refresh_outbox()

    def _round(self, state: sync_sql.SyncState) -> bool:
        """One push + pull; records the outcome in the status. True when it worked."""
        self._set(attempts=self.status().attempts + 1)
        try:
            if self._listen() is None:  # listen before syncing: nothing pushed meanwhile is missed
                self._open_listen()
            result = client.sync_once(self.store)
        except ClinicError as exc:
            self._failed(str(exc))
            return False
        except (psycopg.Error, OSError):
            self._failed(address.lost().args[0])
            return False
        except Exception:  # a bug must not end live sync silently: log, back off, retry
            log.exception("sync round failed")
            self._failed(UNEXPECTED)
            return False
        with self.store.db.read() as conn:
            unsent, _ = sync_sql.outbox_counts(conn)
        self._set(
            online=True,
            last_sync=datetime.now(UTC),
            offline_since=None,
            last_error="",
            failures=0,
            conflicts=result.conflicts,
            outbox=unsent,
        )
        return True

    def _failed(self, sentence: str) -> None:
        s = self.status()
        self._set(
            online=False,
            offline_since=s.offline_since or datetime.now(UTC),
            last_error=sentence,
            failures=s.failures + 1,
        )

    def _open_listen(self) -> None:
        conn = address.connect(self._state.server_url)
        conn.execute(f"LISTEN {server_sql.CHANNEL}")
        self._local.listen = conn

    def _listen(self) -> psycopg.Connection | None:
        return getattr(self._local, "listen", None)

    def _close_listen(self) -> None:
        conn = self._listen()
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()
            self._local.listen = None

    def _wait_for_news(self, state: sync_sql.SyncState) -> None:
        """Wait up to ``tick_s`` for a notification of this clinic (sets the wake flag)."""
        conn = self._listen()
        if conn is None:
            self._wake.wait(self.tick_s)
            return
        try:
            for note in conn.notifies(timeout=self.tick_s, stop_after=1):
                if note.payload == state.clinic_id:
                    self._wake.set()
        except psycopg.Error:  # the server went away: the next round finds out and backs off
            self._close_listen()
            self._wake.set()

    def _refresh_outbox(self) -> None:
        with self.store.db.read() as conn:
            unsent, _ = sync_sql.outbox_counts(conn)
        if unsent != self.status().outbox:
            self._set(outbox=unsent)
