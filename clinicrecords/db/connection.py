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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3

from clinicrecords.errors import DiskFull, StoreCorrupt

Connection = sqlcipher3.Connection
DatabaseError = sqlcipher3.DatabaseError
IntegrityError = sqlcipher3.IntegrityError


def open_connection(path: Path, key: bytes) -> Connection:
    """Open and key one connection; raises StoreCorrupt if the file is not ours or is damaged."""
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        # Reading the schema is the first touch of page 1: a wrong key or a damaged file fails here.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 30000")
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise StoreCorrupt(
            "The records database cannot be read: it is damaged or does not belong to this "
            "key file. Restore it from a backup."
        ) from exc
    conn.row_factory = sqlcipher3.Row
    return conn


def _rollback(conn: Connection) -> None:
    if conn.in_transaction:
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
    """One SQLCipher file and a connection per thread (closed with its thread)."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._local = threading.local()
        # The threads' connections that are still open; weak, so a thread's end closes its own.
        self._all: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

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
    def write(self) -> Iterator[Connection]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        conn = self.connection()
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlcipher3.OperationalError as exc:
            _rollback(conn)
            if "full" in str(exc).lower():  # SQLITE_FULL: the disk (or the file's limit) is full
                raise DiskFull(
                    "The disk is full: nothing of this action was saved. Free some space and "
                    "try again."
                ) from exc
            raise
        except BaseException:
            _rollback(conn)
            raise

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
