"""SQLCipher connections opened with the raw master-derived key.

The key is random, so it is given to SQLCipher as a raw key (``x'<hex>'``): no per-connection
PBKDF2, which would cost a noticeable fraction of a second on every open. The slow, salted
derivation happens once, when the passphrase unwraps the key file (``keys.py``).

Each thread gets its own connection (SQLite connections must not be shared between threads);
writes go through :meth:`Database.write`, an explicit ``BEGIN IMMEDIATE`` transaction, so a
crash or power cut leaves either all of a user's action or none of it.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3

from clinicrecords.common.errors import (
    DAMAGED_DATABASE,
    DISK_FULL,
    ClinicError,
    DiskFull,
    StoreCorrupt,
    StoreError,
)
from clinicrecords.db.space import MB, SpaceGuard, is_disk_full

Connection = sqlcipher3.Connection
DatabaseError = sqlcipher3.DatabaseError
IntegrityError = sqlcipher3.IntegrityError


def open_connection(path: Path, key: bytes, *, check: bool = True) -> Connection:
    """Open and key one connection. A damaged file (or one from another store) raises
    StoreCorrupt, a full disk DiskFull. ``check=False`` skips the first read of the schema,
    for ``verify``, which must open a file whose first page is damaged in order to say so."""
    try:
        conn = sqlcipher3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=30
        )
    except sqlcipher3.Error as exc:
        raise open_error(path, exc) from exc
    try:
        # First, before the key: SQLCipher (4.6+) logs to stderr by default, and one damaged
        # page makes it print dozens of lines into a clerk's terminal or a cron mail. Its log
        # level is process-wide, so this also covers every connection opened later.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        if check:
            # Reading the schema is the first touch of page 1: a wrong key or a damaged file
            # fails here.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA busy_timeout = 30000")
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise open_error(path, exc) from exc
    conn.row_factory = sqlcipher3.Row
    return conn


def open_error(path: Path, exc: BaseException) -> ClinicError:
    """What a failure to open the database means: a full disk (no room for the WAL files), a
    damaged file, or a file of another store. Never "damaged" for a full disk: a clerk told
    that would restore a healthy store."""
    if _disk_full(path, exc):
        return SpaceGuard(path.parent).full_error(readable=False)
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (_CORRUPT, _NOTADB):
        return StoreCorrupt(
            "The records database cannot be read: it is damaged or does not belong to this "
            "key file. Run 'clinicrecords verify' to see what is damaged and which backup to "
            "restore."
        )
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    return StoreError(
        f"The records database cannot be opened ({name}). Check that the data folder is on a "
        "working disk that this account may write to, then run 'clinicrecords verify'."
    )


def explain_error(
    path: Path, exc: BaseException, space: SpaceGuard | None = None
) -> ClinicError | None:
    """A full disk or a damaged page met while using the database at ``path``, said as such;
    None for anything else (a constraint the caller handles, a bug)."""
    if _disk_full(path, exc):
        guard = space or SpaceGuard(path.parent, size=0)
        guard.check()  # the disk has filled: give the reserve to sign-in and reading
        if guard.work_room() >= max(guard.size, 16 * MB):
            return DiskFull(DISK_FULL)  # plenty of room: the file hit its own size limit
        return guard.full_error()
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in (_CORRUPT, _NOTADB):
        return StoreCorrupt(DAMAGED_DATABASE)
    return None


_CORRUPT, _FULL, _CANTOPEN, _IOERR, _NOTADB = 11, 13, 14, 10, 26


def _disk_full(path: Path, exc: BaseException) -> bool:
    """SQLITE_FULL, ENOSPC, or an I/O / cannot-open error on a disk with (almost) no room:
    SQLite reports a -shm file it could not grow as an I/O error, not as a full disk."""
    if is_disk_full(exc):
        return True
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == _FULL:
        return True
    if code in (_IOERR, _CANTOPEN):
        return SpaceGuard(path.parent, size=0).free() < 256 * 1024
    return False


def _rollback(conn: Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlcipher3.Error):  # a damaged page can fail the rollback too
            conn.execute("ROLLBACK")


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` on a private connection (one not owned by a
    :class:`Database`, e.g. while a store is being created); rolled back if the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        _rollback(conn)
        raise


class _ThreadConnection:
    """One thread's connection, closed when the thread's Python state goes away.

    It lives only in the Database's ``threading.local``, which Python clears when a thread
    ends; PySide also drops a Qt pool thread's Python state after every task (measured), so a
    pool thread that expires, or a task that finishes, closes its connection instead of
    leaking it (one leaked per task before). Reopening costs ~0.4 ms (raw key, no KDF).
    """

    __slots__ = ("conn", "__weakref__")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def close(self) -> None:
        with contextlib.suppress(sqlcipher3.Error):
            self.conn.close()

    def __del__(self) -> None:
        self.close()


class Database:
    """One SQLCipher file and a connection per thread (closed with its thread).

    ``before_commit`` / ``after_commit`` (set by the Store) run around every commit made by
    :meth:`write`: the first inside the transaction (it counts the commit), the second once it
    is durable (it records the new head outside the database, see ``audit.py``). ``space``
    guards the disk: a write that would eat into the reserve is refused (see ``space.py``).
    """

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._local = threading.local()
        # The threads' connections that are still open; weak, so a thread's end closes its own.
        self._all: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.before_commit: Callable[[Connection], object] | None = None
        self.after_commit: Callable[[object], None] | None = None
        self.space: SpaceGuard | None = None

    def connection(self) -> Connection:
        held = getattr(self._local, "held", None)
        if held is None:
            held = _ThreadConnection(open_connection(self.path, self._key))
            self._local.held = held
            with self._lock:
                self._all.add(held)
        return held.conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads. Several statements see one snapshot only inside write()."""
        yield self.connection()

    @contextmanager
    def write(self, essential: bool = False) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        ``essential``: the transaction only records that someone signed in, looked at a chart
        or verified the store; it may use the disk reserve when the disk is full."""
        conn = self.connection()
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        if self.space is not None:
            self.space.before_write(essential)
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            record = self.before_commit(conn) if self.before_commit is not None else None
            conn.execute("COMMIT")
        except sqlcipher3.DatabaseError as exc:
            _rollback(conn)
            known = explain_error(self.path, exc, self.space)
            if known is None:
                raise
            raise known from exc
        except BaseException:
            _rollback(conn)
            raise
        if self.after_commit is not None and record is not None:
            self.after_commit(record)

    def new_connection(self) -> Connection:
        """A private connection (backup, verify) that the caller closes."""
        return open_connection(self.path, self._key)

    @property
    def key(self) -> bytes:
        return self._key

    def close(self) -> None:
        with self._lock:
            for held in list(self._all):
                held.close()
            self._all.clear()
        self._local = threading.local()


def open_snapshot(path: Path, key: bytes) -> Connection:
    """Open a backup's database read-only and untouched (``immutable``): no journal mode is set
    and no -wal/-shm file is made, so the file keeps the checksum its manifest records."""
    conn = sqlcipher3.connect(
        f"{path.resolve().as_uri()}?immutable=1", uri=True, isolation_level=None,
        check_same_thread=False,
    )  # fmt: skip
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise StoreCorrupt("A backed-up records database cannot be read: it is damaged.") from exc
    conn.row_factory = sqlcipher3.Row
    return conn


def open_copy_target(path: Path, key: bytes) -> Connection:
    """A keyed connection to a new, empty file that SQLite's backup API fills (a backup's
    snapshot). Nothing is read or set first: on a full disk the copy itself fails with
    SQLITE_FULL, which the caller reports as a full disk, not as a damaged database."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn
