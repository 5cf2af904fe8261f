"""A clinic's data directory, opened: the SQLCipher database, the page store and the keys.

Layout of a data directory::

    clinic.db (+ -wal, -shm)   SQLCipher 4 database (WAL)
    keyfile.json               master key wrapped by the recovery passphrase (Argon2id)
    audit-head                 signed record of the newest commit (detects a lost -wal; audit.py)
    reserve.bin                disk space held back for when the disk fills (db/space.py)
    last-backup.json           where and when the newest backup was written (a hint for restores)
    pages/ab/<64 hex>          encrypted page images and imported files
    backups/                   automatic encrypted copies made before a migration
    logs/                      developer log (no patient data)
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import platformdirs

from clinicrecords.clinic import audit, keys
from clinicrecords.common.errors import (
    ClinicError,
    PassphraseRequired,
    StoreCorrupt,
    StoreExists,
    StoreNotFound,
    WorkLost,
    WrongPassphrase,
)
from clinicrecords.db import audit_sql, settings_sql
from clinicrecords.db.connection import (
    Connection,
    Database,
    DatabaseError,
    explain_error,
    open_connection,
    transaction,
)
from clinicrecords.db.migrate import migrate
from clinicrecords.db.pagestore import PageStore, write_atomically
from clinicrecords.db.space import SpaceGuard

DB_NAME = "clinic.db"
PAGES_DIR = "pages"
PASSPHRASE_ENV = "CLINICRECORDS_PASSPHRASE"
LAST_BACKUP_FILE = "last-backup.json"
# fsync the audit-head record (file and folder) on every commit: see README "What survives what".
DURABLE_HEAD = True
LOG = logging.getLogger("clinicrecords.clinic.store")
DATA_DIR_ENV = "CLINICRECORDS_DATA_DIR"


def default_data_dir() -> Path:
    """Where the clinic's data folder is when no --data-dir is given: CLINICRECORDS_DATA_DIR,
    else the per-user data folder. The command line and the desktop program both ask here."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("ClinicRecords", "ClinicRecords"))


def is_store(data_dir: Path) -> bool:
    return (data_dir / DB_NAME).exists() or (data_dir / keys.KEYFILE_NAME).exists()


def store_id_for_master(data_dir: Path, master: bytes) -> str:
    """Open the records database with a master key (read from the recovery sheet) and return
    the store's id: proves the key opens this store before a new key file is written for it.
    A key that does not open it is a wrong key (exit 3), not damage: a clinic with two stores
    may simply have picked up the other sheet."""
    try:
        conn = open_connection(data_dir / DB_NAME, keys.derive_keys(master).database)
    except StoreCorrupt:
        raise WrongPassphrase(
            "The records database in this folder cannot be read with that recovery key: check "
            "that the sheet belongs to this clinic store."
        ) from None
    try:
        return settings_sql.get(conn, "store.id")
    finally:
        conn.close()


def _heal_keyfile(
    data_dir: Path, keyfile: keys.KeyFile, master: bytes, passphrase: str | None
) -> None:
    """After the key file has opened the store: rewrite it if damaged, seal it if old.

    Why: a key file whose checksum (or key check) is wrong but which still unwrapped has damage
    in a field the unwrap does not need; left alone, the next unlock that needs the checksum
    would call it damaged. The passphrase just proved itself, so a fresh file is written. A key
    file from before checksums gains one, so that later damage is named as damage.
    """
    import contextlib
    import logging

    from clinicrecords.common.errors import ClinicError

    if passphrase and (keyfile.intact is False or not keys.key_matches(keyfile, master)):
        with contextlib.suppress(OSError, ClinicError):  # a read-only folder still opens
            keys.write_keyfile(data_dir, master, passphrase, keyfile.store_id)
            logging.getLogger("clinicrecords").warning("a damaged key file was rewritten")
    elif keyfile.intact is None:
        keys.add_checksum(data_dir)


class Store:
    """An unlocked store. Create with :meth:`create` or :meth:`open`; close when done."""

    def __init__(self, data_dir: Path, master: bytes, store_id: str) -> None:
        self.data_dir = data_dir
        self.store_id = store_id
        self._master = master
        derived = keys.derive_keys(master)
        self.derived = derived
        self.db = Database(data_dir / DB_NAME, derived.database)
        self.pages = PageStore(data_dir / PAGES_DIR, derived.page_enc, derived.page_name)
        self.in_keyring = False
        # Services keep per-store caches here (the search index, the classifier).
        self.cache: dict[str, object] = {}
        self.cache_lock = threading.RLock()
        self.space = SpaceGuard(data_dir)
        self.db.space = self.space
        self.db.before_commit = audit.count_commit
        self.db.after_commit = self._record_head  # type: ignore[assignment]
        # Set when the database is behind the recorded head (work lost): nothing overwrites
        # the record until a backup is restored or an administrator accepts the loss.
        self.loss: audit.Loss | None = None
        self.head_note: str | None = None  # what check_head found about the record itself
        self._head_lock = threading.Lock()
        self._head_written = 0

    # --- life cycle ----------------------------------------------------------------------

    @classmethod
    def create(
        cls, data_dir: Path, passphrase: str, clinic_name: str = "Our Clinic"
    ) -> tuple[Store, str]:
        """Make a new encrypted store; returns it and the recovery key to print."""
        data_dir = Path(data_dir)
        if is_store(data_dir):
            raise StoreExists(
                "A clinic store already exists in that folder. Choose an empty folder."
            )
        keys.check_passphrase_strength(passphrase)
        data_dir.mkdir(parents=True, exist_ok=True)
        SpaceGuard(data_dir).check()  # the reserve, while there is room for it
        master = keys.new_master_key()
        store_id = keys.new_store_id()
        conn = open_connection(data_dir / DB_NAME, keys.derive_keys(master).database)
        try:
            migrate(conn, data_dir / DB_NAME, keys.derive_keys(master).database)
            with transaction(conn):
                settings_sql.put(conn, "store.id", store_id)
                from clinicrecords.clinic.settings import (
                    initial_setting,  # (settings imports store)
                )

                initial_setting(conn, "clinic.name", clinic_name)
        finally:
            conn.close()
        # The key file is written last: a store without one is recognisably unfinished.
        keys.write_keyfile(data_dir, master, passphrase, store_id)
        (data_dir / PAGES_DIR).mkdir(exist_ok=True)
        store = cls(data_dir, master, store_id)
        store.in_keyring = keys.keyring_save(store_id, master)
        from clinicrecords.db.seed import seed_doc_types

        with store.db.write() as c:
            seed_doc_types(c)
        return store, keys.encode_recovery_key(master)

    @classmethod
    def unlock(cls, data_dir: Path, passphrase: str | None = None) -> Store:
        """The keys only: the database is not touched. ``verify`` uses this to examine a
        database too damaged to open normally."""
        data_dir = Path(data_dir)
        if not (data_dir / DB_NAME).exists():
            if (data_dir / keys.KEYFILE_NAME).exists():
                raise StoreCorrupt(
                    "The records database (clinic.db) is missing from the data folder. "
                    "Restore it from a backup."
                )
            raise StoreNotFound(
                "There is no clinic store in that folder. Create one with 'clinicrecords "
                "init' or pick the right folder with --data-dir."
            )
        keyfile = keys.read_keyfile(data_dir)
        master = keys.keyring_load(keyfile.store_id)
        from_keyring = master is not None and keys.key_matches(keyfile, master)
        if not from_keyring:
            if passphrase is None:
                passphrase = os.environ.get(PASSPHRASE_ENV)
            if not passphrase:
                raise PassphraseRequired(
                    "This PC has no saved key for the clinic store: enter the recovery "
                    f"passphrase (or set {PASSPHRASE_ENV} for unattended use)."
                )
            master = keys.unwrap_master(keyfile, passphrase)
        assert master is not None
        store = cls(data_dir, master, keyfile.store_id)
        store.in_keyring = from_keyring
        _heal_keyfile(data_dir, keyfile, master, None if from_keyring else passphrase)
        return store

    @classmethod
    def open(
        cls, data_dir: Path, passphrase: str | None = None, *, allow_loss: bool = False
    ) -> Store:
        """Unlock with the keyring, else the given passphrase, else CLINICRECORDS_PASSPHRASE.

        Raises WorkLost when the database is behind its recorded head, unless ``allow_loss``
        (``verify``, which reports it and lets an administrator accept it)."""
        store = cls.unlock(data_dir, passphrase)
        try:
            store.space.check()  # a disk that filled since: the reserve gives room to open
            conn = store.db.connection()
            with _said_plainly(store):
                found_id = settings_sql.get(conn, "store.id")
            if found_id is not None and found_id != store.store_id:
                raise StoreCorrupt(
                    "The key file and the records database belong to different clinic stores."
                )
            migrate(conn, store.db.path, store.db.key)
            with _said_plainly(store):
                store.check_head(conn)
        except BaseException:
            store.close()
            raise
        if store.loss is not None and not allow_loss:
            message = store.loss.sentence(store.last_backup(conn))
            store.close()
            raise WorkLost(message)
        return store

    # --- the record of the head (audit.py) -----------------------------------------------

    def check_head(self, conn: Connection) -> audit.Loss | None:
        """Compare the database with the signed record of its newest commit; sets ``loss``."""
        try:
            recorded = audit.read_head_file(self.data_dir, self.derived.audit_head, self.store_id)
        except audit.HeadFileDamaged:
            recorded = None
            self.head_note = (
                "the record of the newest commit (audit-head) was damaged; it was written "
                "again from the database, so a loss before now cannot be measured"
            )
            LOG.warning("audit-head record damaged; rewritten from the database")
        if recorded is None:
            if self.head_note is None and audit_sql.last_row(conn) is not None:
                self.head_note = (
                    "there was no record of the newest commit (audit-head); one was written now"
                )
            self._record_head(audit.current_head(conn), force=True)
            return None
        self.loss = audit.compare_head(conn, recorded)
        if self.loss is None:
            current = audit.current_head(conn)
            if current.commits > recorded.commits:  # the program stopped before recording
                self._record_head(current, force=True)
        return self.loss

    def accept_loss(self) -> None:
        """The administrator keeps the database as it is: the record follows it again."""
        self.loss = None
        self._head_written = 0

    def _record_head(self, head: audit.Head, force: bool = False) -> None:
        """After a commit: write the signed record, never backwards (threads commit in
        parallel), never while a loss is being reported (it is the evidence). A record that
        cannot be written (full disk) is only logged: the commit itself succeeded, and a
        record that lags the database is safe (it under-reports, never invents, a loss)."""
        if self.loss is not None:
            return
        with self._head_lock:
            if head.commits <= self._head_written and not force:
                return
            try:
                audit.write_head_file(
                    self.data_dir, self.derived.audit_head, self.store_id, head, DURABLE_HEAD
                )
            except OSError as exc:
                LOG.warning("audit-head record not written (%s)", type(exc).__name__)
                return
            self._head_written = head.commits

    # --- backups -------------------------------------------------------------------------

    def note_backup(self, folder: Path, created_at: str) -> None:
        """Remember where the newest backup went, so that a damage report can name it."""
        doc = {"folder": str(Path(folder).resolve()), "created_at": created_at}
        try:
            write_atomically(self.data_dir / LAST_BACKUP_FILE, json.dumps(doc).encode())
        except (OSError, ClinicError):
            LOG.warning("last-backup note not written")

    def last_backup(self, conn: Connection | None = None) -> tuple[str, str] | None:
        """(folder, created_at) of the newest backup known: the note written after each
        backup, else (for backups made before the note existed) the audit trail."""
        try:
            doc = json.loads((self.data_dir / LAST_BACKUP_FILE).read_text("utf-8"))
            return str(doc["folder"]), str(doc["created_at"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if conn is None:
            return None
        try:
            done = audit_sql.rows_with_action(conn, "backup.done")
            if not done:
                return None
            starts = [
                r
                for r in audit_sql.rows_with_action(conn, "backup.start")
                if r["id"] < done[-1]["id"]
            ]
            if not starts:
                return None
            folder = json.loads(starts[-1]["detail"]).get("destination")
            return (str(folder), str(done[-1]["ts"])) if folder else None
        except Exception:  # noqa: BLE001 - a hint: an unreadable trail just gives none
            return None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- keys ----------------------------------------------------------------------------

    def change_passphrase(self, new_passphrase: str) -> None:
        keys.check_passphrase_strength(new_passphrase)
        keys.write_keyfile(self.data_dir, self._master, new_passphrase, self.store_id)

    def remember_on_this_pc(self) -> bool:
        self.in_keyring = keys.keyring_save(self.store_id, self._master)
        return self.in_keyring

    def recovery_key(self) -> str:
        return keys.encode_recovery_key(self._master)

    def master_key(self) -> bytes:
        """For ``backup drill``: it restores this store's own backup without a passphrase."""
        return self._master


@contextmanager
def _said_plainly(store: Store) -> Iterator[None]:
    """A damaged page or a full disk met while opening, said as such; other errors as they
    are."""
    try:
        yield
    except DatabaseError as exc:
        known = explain_error(store.db.path, exc, store.space)
        if known is None:
            raise
        raise known from exc
