"""A clinic's data directory, opened: the SQLCipher database, the page store and the keys.

Layout of a data directory::

    clinic.db (+ -wal, -shm)   SQLCipher 4 database (WAL)
    keyfile.json               master key wrapped by the recovery passphrase (Argon2id)
    pages/ab/<64 hex>          encrypted page images and imported files
    backups/                   automatic encrypted copies made before a migration
    logs/                      developer log (no patient data)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import platformdirs

from clinicrecords import keys
from clinicrecords.db import settings_sql
from clinicrecords.db.connection import Database, open_connection, transaction
from clinicrecords.db.migrate import migrate
from clinicrecords.db.pagestore import PageStore
from clinicrecords.errors import (
    PassphraseRequired,
    StoreCorrupt,
    StoreExists,
    StoreNotFound,
)

DB_NAME = "clinic.db"
PAGES_DIR = "pages"
PASSPHRASE_ENV = "CLINICRECORDS_PASSPHRASE"
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
    A key that does not open it raises StoreCorrupt, as any open does."""
    conn = open_connection(data_dir / DB_NAME, keys.derive_keys(master).database)
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

    from clinicrecords.errors import ClinicError

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
        master = keys.new_master_key()
        store_id = keys.new_store_id()
        conn = open_connection(data_dir / DB_NAME, keys.derive_keys(master).database)
        try:
            migrate(conn, data_dir / DB_NAME, keys.derive_keys(master).database)
            with transaction(conn):
                settings_sql.put(conn, "store.id", store_id)
                from clinicrecords.settings import initial_setting  # (settings imports store)

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
    def open(cls, data_dir: Path, passphrase: str | None = None) -> Store:
        """Unlock with the keyring, else the given passphrase, else CLINICRECORDS_PASSPHRASE."""
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
        conn = store.db.connection()
        found_id = settings_sql.get(conn, "store.id")
        if found_id is not None and found_id != keyfile.store_id:
            store.close()
            raise StoreCorrupt(
                "The key file and the records database belong to different clinic stores."
            )
        _heal_keyfile(data_dir, keyfile, master, None if from_keyring else passphrase)
        migrate(conn, store.db.path, store.db.key)
        return store

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
