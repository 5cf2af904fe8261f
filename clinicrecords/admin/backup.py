"""Backup, restore and verify.

A backup folder holds **generations**: ``generations/<NNNNNN>-<UTC time>/`` each with
``clinic.db`` (an encrypted, consistent copy made with SQLite's online backup API while the
program may be running), ``keyfile.json`` and a ``manifest.json`` signed with an HMAC key
derived from the master key; and one shared ``pages/`` folder of encrypted page files. Page
files are content-addressed and never change, so generations share them and backing up into
the folder of an earlier backup copies only the pages added since (each page the new
generation relies on is still read and checked): a 500,000-page clinic's nightly backup
writes the database and the day's new pages, not every image again.

A new generation is written as ``<name>.partial`` and renamed into place only when everything
in it is on disk, so a kill, a power cut or a full disk never costs the previous generation.
The last ``KEEP_GENERATIONS`` complete generations are kept. A folder written by an older
version (``clinic.db`` and ``manifest.json`` at its top) still restores, and counts as the
oldest generation when backing up into it.

Nothing is decrypted on the way out: the backup is exactly as encrypted as the store.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clinicrecords.clinic import audit, audit_chains, keys
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import DB_NAME, PAGES_DIR, Store
from clinicrecords.common import oscompat
from clinicrecords.common.errors import (
    BadInput,
    ClinicError,
    DiskFull,
    PassphraseRequired,
    StoreCorrupt,
    StoreError,
)
from clinicrecords.common.timeutil import utc_now
from clinicrecords.db import audit_sql, documents_sql, maintenance_sql
from clinicrecords.db.connection import (
    Connection,
    DatabaseError,
    open_connection,
    open_copy_target,
    open_snapshot,
)
from clinicrecords.db.migrate import latest_version, schema_version
from clinicrecords.db.pagestore import PageStore, fsync_dir

MANIFEST = "manifest.json"
GENERATIONS_DIR = "generations"
PARTIAL_SUFFIX = ".partial"
DROPPED_SUFFIX = ".old"
LOCK_NAME = ".lock"
# Three: last night's backup, and two before it in case a fault only shows up days later.
# Each generation costs one database copy; page files are shared.
KEEP_GENERATIONS = 3
_GEN_NAME = re.compile(r"^(\d{6,})-(\d{8}T\d{6}Z)$")
Progress = Callable[[int, int], None]


@dataclass
class BackupResult:
    folder: Path
    pages_copied: int
    pages_total: int
    db_bytes: int
    warnings: list[str] = field(default_factory=list)
    generation: str = ""
    pages_repaired: int = 0  # damaged copies in the folder replaced (counted in pages_copied)
    pages_unavailable: int = 0  # missing or damaged in the store, with no good copy here
    unavailable_blobs: list[str] = field(default_factory=list)
    generations_kept: int = 0
    pages_pruned: int = 0
    notes: list[str] = field(default_factory=list)


def check_audit_anchor(conn, manifest: dict) -> str | None:  # type: ignore[no-untyped-def]
    """The audit chain's head recorded by an earlier (signed) backup must still be in the chain,
    unchanged. This catches what the chain alone cannot: someone holding the key who rewrote
    the whole trail consistently after that backup was made."""
    head = manifest.get("audit_head")
    if not head:
        return None
    recorded = audit_sql.hash_of(conn, int(head["id"]))
    if recorded is None or recorded != head["hash"]:
        return (
            f"The audit trail differs from the one recorded by the backup of "
            f"{str(manifest.get('created_at', '?'))[:10]}: rows up to {head['id']} were altered "
            "or removed since. Keep that backup and tell the practice's privacy officer."
        )
    return None


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sign(manifest: dict, key: bytes) -> str:
    body = json.dumps({k: v for k, v in manifest.items() if k != "hmac"}, sort_keys=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def backup(
    session: Session,
    dest: Path,
    progress: Progress | None = None,
    keep: int = KEEP_GENERATIONS,
) -> BackupResult:
    """Write a new generation into ``dest``; older ones stay restorable until it is complete.

    Why generations: a backup replaced in place is destroyed by a kill, a power cut or a full
    disk half-way through. The new generation is written under ``*.partial`` (database,
    key file, then the manifest, each fsynced, the folders too) and becomes current by one
    rename; only then are generations beyond ``keep`` and pages no kept generation names
    removed. Page files are shared: the ones the new generation relies on are each checked
    (AES-GCM tag) and re-copied if damaged or missing, so a bad copy in the folder is repaired
    by the next backup rather than trusted because its size looks right.
    """
    session.require("backup.run")
    store = session.store
    dest = Path(dest)
    if (
        dest.resolve() == store.data_dir.resolve()
        or store.data_dir.resolve() in dest.resolve().parents
    ):
        raise BadInput("A backup cannot go inside the data folder it backs up.")
    if keep < 1:
        raise BadInput("Keep at least one backup in the folder.")
    if dest.exists() and not _is_backup_folder(dest):
        raise BadInput("Back up into an empty folder or into an earlier backup of this store.")
    if not dest.exists():
        dest.mkdir(parents=True)
        fsync_dir(dest.parent)  # the new folder's own name must survive a power cut too
    with _folder_lock(dest, exclusive=True):
        scan = _scan(dest)
        previous = _previous_manifest(scan, store)
        notes: list[str] = []
        if scan.unfinished:
            notes.append(
                "An earlier backup into this folder was interrupted before it finished; "
                "its unfinished copy was removed."
            )
        for folder in scan.unfinished + scan.dropped:
            shutil.rmtree(folder, ignore_errors=True)
        session.audit("backup.start", "store", store.store_id, destination=str(dest))
        writer = _GenerationWriter(session, dest, scan.next_seq, previous, progress)
        try:
            result = writer.write()
        except BaseException as exc:
            shutil.rmtree(writer.partial, ignore_errors=True)
            if _is_disk_full(exc):
                message = _disk_full_message(writer, has_previous=bool(scan.complete))
                raise DiskFull(message) from exc
            raise
        result.notes = notes + result.notes
        try:
            result.generations_kept, result.pages_pruned = _prune(dest, store, keep, result)
        except OSError:  # the new generation is complete: removing old ones can wait
            result.notes.append(
                "Older backups in this folder could not be removed now; the next backup will."
            )
    session.audit(
        "backup.done",
        "store",
        store.store_id,
        pages=result.pages_total,
        copied=result.pages_copied,
        repaired=result.pages_repaired,
        unavailable=result.pages_unavailable,
        generation=result.generation,
        audit_anchor_ok=not any("audit trail" in w for w in result.warnings),
    )
    if progress:
        progress(result.pages_total, result.pages_total)
    return result


class _GenerationWriter:
    """Writes one generation under ``generations/<name>.partial`` and renames it into place."""

    def __init__(
        self,
        session: Session,
        dest: Path,
        seq: int,
        previous: dict,
        progress: Progress | None,
    ) -> None:
        self.session = session
        self.store = session.store
        self.dest = dest
        self.previous = previous
        self.progress = progress
        stamp = utc_now().replace("-", "").replace(":", "")
        self.name = f"{seq:06d}-{stamp}"
        self.partial = dest / GENERATIONS_DIR / (self.name + PARTIAL_SUFFIX)
        self.blobs: list[str] = []  # what the snapshot names, once it is taken

    def write(self) -> BackupResult:
        store, dest = self.store, self.dest
        gens_dir = dest / GENERATIONS_DIR
        gens_dir.mkdir(exist_ok=True)
        self.partial.mkdir()
        synced: set[Path] = {dest, gens_dir, self.partial}

        # 1. The database: a consistent encrypted snapshot (SQLite's online backup API).
        db_path = self.partial / DB_NAME
        target = open_copy_target(db_path, store.db.key)
        source = store.db.new_connection()
        try:
            source.backup(target)
            blobs = sorted(
                {b for _, b, _ in documents_sql.all_page_blobs(target)}
                | {b for _, b, _ in documents_sql.all_file_blobs(target)}
            )
            version = schema_version(target)
            audit_rows = audit_sql.count(target)
            head = audit_sql.last_row(target)
            warning = check_audit_anchor(target, self.previous)
            self.blobs = blobs
            maintenance_sql.use_rollback_journal(target)  # one self-contained file
        finally:
            target.close()
            source.close()
        _fsync_file(db_path)

        # 2. Pages the snapshot names: each backed-up copy is checked, missing or damaged ones
        #    are (re-)copied from the store after checking the store's own copy.
        bk_pages = PageStore(dest / PAGES_DIR, store.derived.page_enc, store.derived.page_name)
        copied = repaired = 0
        unavailable: list[str] = []
        for i, blob_id in enumerate(blobs):
            state = _backed_up_state(bk_pages, blob_id)
            if state != "ok":
                try:
                    raw = store.pages.path_for(blob_id).read_bytes()
                    store.pages.decrypt(blob_id, raw)
                except (OSError, StoreCorrupt) as exc:
                    if _is_disk_full(exc):
                        raise
                    unavailable.append(blob_id)
                else:
                    _write_durably(bk_pages.path_for(blob_id), raw, synced)
                    copied += 1
                    repaired += state == "damaged"
            if self.progress and i % 200 == 0:
                self.progress(i, len(blobs))
        _write_durably(
            self.partial / keys.KEYFILE_NAME,
            (store.data_dir / keys.KEYFILE_NAME).read_bytes(),
            synced,
        )

        # 3. The manifest, last; then every touched folder; then one rename makes it current.
        manifest = {
            "format": "clinicrecords-backup",
            "version": 2,
            "store_id": store.store_id,
            "generation": self.name,
            "created_at": utc_now(),
            "schema_version": version,
            "db_sha256": _sha256_file(db_path),
            "pages": len(blobs),
            "pages_unavailable": len(unavailable),
            "audit_rows": audit_rows,
            "audit_head": {"id": int(head[0]), "hash": str(head[1])} if head else None,
        }
        manifest["hmac"] = _sign(manifest, store.derived.manifest)
        _write_durably(self.partial / MANIFEST, json.dumps(manifest, indent=2).encode(), synced)
        for folder in sorted(synced, key=lambda p: len(p.parts), reverse=True):
            fsync_dir(folder)
        db_bytes = db_path.stat().st_size
        os.rename(self.partial, gens_dir / self.name)
        fsync_dir(gens_dir)
        store.note_backup(dest, manifest["created_at"])  # a damage report names this backup

        warnings = [warning] if warning else []
        if unavailable:
            warnings.append(
                f"{len(unavailable)} stored page(s) are missing or damaged in the data folder "
                "and this backup folder has no good copy of them: run 'verify'."
            )
        return BackupResult(
            dest,
            copied,
            len(blobs),
            db_bytes,
            warnings,
            generation=self.name,
            pages_repaired=repaired,
            pages_unavailable=len(unavailable),
            unavailable_blobs=unavailable,
        )


def _backed_up_state(pages: PageStore, blob_id: str) -> str:
    """'ok', 'missing' or 'damaged': the backup's copy is read and its GCM tag checked."""
    try:
        raw = pages.path_for(blob_id).read_bytes()
    except FileNotFoundError:
        return "missing"
    except OSError:  # an unreadable sector is damage, not a reason to stop the backup
        return "damaged"
    try:
        pages.decrypt(blob_id, raw)
    except StoreCorrupt:
        return "damaged"
    return "ok"


def _bytes_needed(store: Store, dest: Path, blobs: list[str]) -> int:
    """What a new generation still needs on the backup disk: a database copy and the pages the
    folder does not hold yet (counted once the disk is full, not while copying)."""
    total = store.db.path.stat().st_size
    for blob_id in blobs:
        with contextlib.suppress(OSError):
            if not (dest / PAGES_DIR / blob_id[:2] / blob_id).exists():
                total += store.pages.path_for(blob_id).stat().st_size
    return total


def _write_durably(path: Path, payload: bytes, synced: set[Path]) -> None:
    """Temp file, fsync, rename; the folder is noted for one fsync before the commit (one per
    folder rather than one per file: the rename of the generation is what commits them)."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True)
        synced.add(folder.parent)
    tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        oscompat.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    synced.add(folder)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    # SQLite reports ENOSPC as SQLITE_FULL ("database or disk is full").
    return isinstance(exc, DatabaseError) and "full" in str(exc).lower()


def _disk_full_message(writer: _GenerationWriter, has_previous: bool) -> str:
    """Called after the unfinished generation was removed, so 'free' is what the disk has."""
    need = ""
    with contextlib.suppress(OSError):
        more = _bytes_needed(writer.store, writer.dest, writer.blobs)
        more -= shutil.disk_usage(writer.dest).free
        if more > 0:
            need = f" (about {max(1, round(more / 1e6))} MB more is needed)"
    kept = (
        "The previous backup in that folder is intact."
        if has_previous
        else "That folder holds no complete backup yet."
    )
    return (
        f"The backup disk is full: this backup was interrupted before it finished. {kept} "
        f"Free some space on it{need} and run the backup again."
    )


@dataclass
class _Generation:
    name: str  # folder name under generations/, or "" for the old single-generation layout
    path: Path  # the folder holding clinic.db, keyfile.json and manifest.json
    seq: int


@dataclass
class _Scan:
    complete: list[_Generation]  # newest first; the old layout (if any) last
    unfinished: list[Path]  # *.partial: a backup that was interrupted
    dropped: list[Path]  # *.old: a pruned generation not yet fully removed
    next_seq: int


def _scan(folder: Path) -> _Scan:
    complete: list[_Generation] = []
    unfinished: list[Path] = []
    dropped: list[Path] = []
    top = 0
    gens_dir = folder / GENERATIONS_DIR
    if gens_dir.is_dir():
        for child in gens_dir.iterdir():
            base, _, suffix = child.name.partition(".")
            m = _GEN_NAME.match(base)
            if not m or not child.is_dir():
                continue
            seq = int(m.group(1))
            top = max(top, seq)
            if not suffix:
                complete.append(_Generation(child.name, child, seq))
            elif "." + suffix == PARTIAL_SUFFIX:
                unfinished.append(child)
            elif "." + suffix == DROPPED_SUFFIX:
                dropped.append(child)
    complete.sort(key=lambda g: g.seq, reverse=True)
    if (folder / MANIFEST).exists():
        complete.append(_Generation("", folder, 0))
    return _Scan(complete, sorted(unfinished), dropped, top + 1)


def _is_backup_folder(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    return not names or MANIFEST in names or GENERATIONS_DIR in names or names <= {LOCK_NAME}


def _previous_manifest(scan: _Scan, store: Store) -> dict:
    """The newest readable manifest signed with this store's key (it anchors the audit check);
    a folder holding another store's backup is refused."""
    for gen in scan.complete:
        try:
            manifest = json.loads((gen.path / MANIFEST).read_text("utf-8"))
            store_id = manifest["store_id"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a damaged generation anchors nothing; it is pruned once this one is done
        if store_id != store.store_id:
            raise BadInput("That folder holds a backup of another clinic store.")
        if hmac.compare_digest(
            str(manifest.get("hmac", "")), _sign(manifest, store.derived.manifest)
        ):
            return manifest
    return {}


def _prune(dest: Path, store: Store, keep: int, result: BackupResult) -> tuple[int, int]:
    """After the new generation is in place: drop generations beyond ``keep`` (and damaged
    ones), then page files no kept generation names. Each generation is first renamed to
    ``*.old`` so a kill half-way never leaves a half-deleted folder that looks complete."""
    scan = _scan(dest)
    kept: list[_Generation] = []
    for gen in scan.complete:
        if len(kept) < keep and _manifest_is_signed(gen, store):
            kept.append(gen)
            continue
        if gen.name:
            old = gen.path.with_name(gen.name + DROPPED_SUFFIX)
            os.rename(gen.path, old)
            fsync_dir(old.parent)
            shutil.rmtree(old, ignore_errors=True)
        else:  # the old layout: without its manifest it is no longer a backup
            (dest / MANIFEST).unlink(missing_ok=True)
            fsync_dir(dest)
            (dest / DB_NAME).unlink(missing_ok=True)
            (dest / keys.KEYFILE_NAME).unlink(missing_ok=True)
    if not any(g.name == "" for g in kept):  # leftovers of an old-layout folder half pruned
        for name in (DB_NAME, keys.KEYFILE_NAME):
            (dest / name).unlink(missing_ok=True)
    referenced: set[str] = set()
    for gen in kept:
        try:
            conn = open_snapshot(gen.path / DB_NAME, store.db.key)
        except (StoreError, OSError):
            result.notes.append(
                "An older backup in this folder could not be read; no page files were removed."
            )
            return len(kept), 0
        try:
            referenced |= {b for _, b, _ in documents_sql.all_page_blobs(conn)}
            referenced |= {b for _, b, _ in documents_sql.all_file_blobs(conn)}
        finally:
            conn.close()
    removed = 0
    pages_root = dest / PAGES_DIR
    if pages_root.is_dir():
        for sub in pages_root.iterdir():
            if not sub.is_dir():
                continue
            for f in sub.iterdir():
                stale_tmp = f.name.startswith(".") and f.name.endswith(".tmp")
                if stale_tmp or (len(f.name) == 64 and f.name not in referenced):
                    f.unlink(missing_ok=True)
                    removed += not stale_tmp
    return len(kept), removed


def _manifest_is_signed(gen: _Generation, store: Store) -> bool:
    try:
        manifest = json.loads((gen.path / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and hmac.compare_digest(
        str(manifest.get("hmac", "")), _sign(manifest, store.derived.manifest)
    )


@contextlib.contextmanager
def _folder_lock(folder: Path, exclusive: bool) -> Iterator[None]:
    """One backup at a time per folder (pruning must not race another backup's new pages),
    and no restore from a folder while a backup prunes it. The kernel drops the lock when the
    process dies, so a killed backup never leaves the folder locked."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
    except OSError:
        if exclusive:
            raise
        yield  # a read-only medium: nothing can be writing to it
        return
    try:
        try:
            oscompat.lock_file(fd, exclusive)  # flock, or msvcrt.locking on Windows
        except BlockingIOError:
            raise BadInput(
                "A backup into that folder is running; wait for it to finish and try again."
            ) from None
        yield
    finally:
        os.close(fd)


@dataclass
class VerifyReport:
    checked_pages: int = 0
    audit_rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What is damaged, in words ("table patients (the patient registry)", "page 1 ..."), and
    # the database pages that fail their HMAC.
    damaged: list[str] = field(default_factory=list)
    bad_pages: list[int] = field(default_factory=list)
    lost: str | None = None  # the sentence saying which committed work is missing
    restore_from: str | None = None  # which backup to restore, when damage or loss was found
    # ("page", page id) / ("file", imported file id) whose bytes are missing or damaged; each
    # also has its line in problems. A restore tells these apart from damage to the database.
    unreadable: list[tuple[str, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked_pages": self.checked_pages,
            "audit_rows": self.audit_rows,
            "problems": self.problems,
            "notes": self.notes,
            "damaged": self.damaged,
            "bad_pages": self.bad_pages,
            "lost": self.lost,
            "restore_from": self.restore_from,
            "unreadable": [{"kind": k, "id": i} for k, i in self.unreadable],
        }


# What each table holds, for a damage report a clinic can act on.
_TABLE_WORDS = {
    "settings": "settings",
    "users": "user accounts",
    "audit_log": "the audit trail",
    "sqlite_sequence": "id counters",
    "patients": "the patient registry",
    "patient_aliases": "patients' previous names",
    "merges": "chart merges",
    "doc_types": "document types",
    "batches": "scan batches",
    "imported_files": "imported files",
    "documents": "the document index",
    "pages": "the page index",
    "release_requests": "release requests",
    "release_authorizations": "release authorizations",
    "release_pages": "pages chosen for releases",
    "release_exclusions": "pages held back from releases",
    "disclosures": "the accounting of disclosures",
}
_HMAC_FAILED = re.compile(r"HMAC verification failed for page (\d+)")


def _probe(store: Store) -> Connection:
    """A fresh connection that reads nothing yet. One HMAC failure leaves a SQLCipher
    connection refusing everything after it, so each check of a damaged file gets its own."""
    return open_connection(store.db.path, store.db.key, check=False)


def _check_database(store: Store, report: VerifyReport) -> bool:
    """Every page's HMAC, then SQLite's own integrity check; on damage, which tables. Returns
    whether the schema can be read (the other checks need it)."""
    try:
        conn = _probe(store)
    except ClinicError as exc:
        report.problems.append(exc.message)
        report.damaged.append("the database file as a whole")
        return False
    try:
        messages = [str(m) for m in maintenance_sql.cipher_integrity_check(conn)]
        unchecked = False
    except DatabaseError:
        messages, unchecked = [], True
    finally:
        conn.close()
    bad = sorted({int(m.group(1)) for m in map(_HMAC_FAILED.search, messages) if m})
    report.bad_pages = bad
    pages_in_file = store.db.path.stat().st_size // 4096
    if bad and len(bad) >= pages_in_file:
        report.problems.append(
            "every database page fails its check: this clinic.db belongs to another key file "
            "(another clinic store), or its first bytes are damaged"
        )
        report.damaged.append("every page")
        return False
    if unchecked:
        report.problems.append("the database cannot be checked page by page: it is damaged")
    elif messages:
        shown = ", ".join(map(str, bad[:12])) + (" …" if len(bad) > 12 else "")
        report.problems.append(
            f"{len(bad) or len(messages)} database page(s) fail their HMAC (damaged file)"
            + (f": page {shown}" if bad else "")
        )
    # The schema (page 1 and the pages of sqlite_master) is needed for everything else.
    try:
        conn = _probe(store)
        try:
            tables = maintenance_sql.table_names(conn)
        finally:
            conn.close()
    except DatabaseError:
        report.damaged.append(
            "page 1 or the list of tables: nothing in the database can be read"
            if 1 in bad or not bad
            else "the list of tables: nothing in the database can be read"
        )
        if not report.problems:
            report.problems.append("the database's list of tables cannot be read (damaged)")
        return False
    try:
        conn = _probe(store)
        try:
            integrity = [str(m) for m in maintenance_sql.integrity_check(conn)]
        finally:
            conn.close()
    except DatabaseError:
        integrity = None
    if integrity == ["ok"] and not messages:
        return True
    if integrity not in (None, ["ok"]):
        report.problems.append("database integrity check: " + "; ".join(integrity[:5]))
    for table in tables:  # which tables: each on its own connection (see _probe)
        try:
            conn = _probe(store)
            try:
                rows = maintenance_sql.integrity_check(conn, table)
            finally:
                conn.close()
        except DatabaseError:
            rows = None
        if rows != ["ok"]:
            words = _TABLE_WORDS.get(table)
            if words is None and table.startswith("page_text"):
                words = "the search index of page text"
            name = f"table {table}" + (f" ({words})" if words else "")
            if _rows_readable(store, table):
                name = f"an index of {name}; its rows still read"
            report.damaged.append(name)
    if report.damaged:
        report.problems.append("damaged: " + "; ".join(report.damaged))
    return True


def _rows_readable(store: Store, table: str) -> bool:
    """Whether every row of a table reads when no index is used: if so, the damage is in
    one of its indexes, and the records themselves are intact."""
    try:
        conn = _probe(store)
        try:
            maintenance_sql.read_every_row(conn, table)
        finally:
            conn.close()
    except DatabaseError:
        return False
    return True


def _guarded(report: VerifyReport, what: str, check: Callable[[Connection], None], store: Store):
    """Run one check on its own connection; a damaged page it meets becomes a problem line,
    not a crash."""
    try:
        conn = _probe(store)
    except ClinicError as exc:
        report.problems.append(f"{what}: {exc.message}")
        return
    try:
        check(conn)
    except DatabaseError:
        report.problems.append(f"{what} could not be read to the end: the database is damaged")
    finally:
        conn.close()


def verify_store(store: Store, progress: Progress | None = None) -> VerifyReport:
    """Re-read everything: cipher HMACs, SQLite integrity, schema, every page, the audit
    chain, and the record of the newest commit. Damage is reported, never raised: ``verify``
    is what a clinic runs when something is wrong, so it must finish and say what."""
    report = VerifyReport()
    readable = _check_database(store, report)
    if readable:

        def schema(conn: Connection) -> None:
            fk = maintenance_sql.foreign_key_check(conn)
            if fk:
                report.problems.append(f"{len(fk)} row(s) point at rows that do not exist")
            version = schema_version(conn)
            if version != latest_version():
                report.problems.append(
                    f"schema version {version}, program expects {latest_version()}"
                )

        def pages(conn: Connection) -> None:
            blobs = [("page", *b) for b in documents_sql.all_page_blobs(conn)]
            blobs += [("file", *b) for b in documents_sql.all_file_blobs(conn)]
            referenced = set()
            for i, (kind, row_id, blob_id, sha) in enumerate(blobs):
                referenced.add(blob_id)
                try:
                    store.pages.get(blob_id, sha)
                except StoreCorrupt as exc:
                    label = "page" if kind == "page" else "imported file"
                    report.problems.append(f"{label} {row_id}: {exc.message}")
                    report.unreadable.append((kind, row_id))
                report.checked_pages += 1
                if progress and i % 100 == 0:
                    progress(i, len(blobs))
            orphans = sum(1 for b in store.pages.iter_blob_ids() if b not in referenced)
            if orphans:
                report.notes.append(
                    f"{orphans} stored object(s) belong to no page (left by an interrupted "
                    "import; harmless)"
                )

        def chain(conn: Connection) -> None:
            result = audit.verify(conn)
            report.audit_rows = result.rows
            report.problems.extend(result.problems)
            for other in audit_chains.verify_remote_chains(conn):  # a clinic network's PCs
                report.problems.extend(f"workstation {other.name}: {p}" for p in other.problems)

        def head(conn: Connection) -> None:
            loss = store.loss or store.check_head(conn)
            if store.head_note:
                report.notes.append(store.head_note)
            if loss is not None:
                report.lost = loss.sentence(store.last_backup(conn))
                report.problems.append(report.lost)

        _guarded(report, "the schema", schema, store)
        _guarded(report, "the list of pages", pages, store)
        _guarded(report, "the audit trail", chain, store)
        _guarded(report, "the record of the newest commit", head, store)
    if report.damaged or report.bad_pages or report.lost or not readable:
        report.restore_from = _restore_advice(store, readable)
    return report


def _restore_advice(store: Store, readable: bool) -> str:
    hint = None
    if readable:
        try:
            conn = _probe(store)
            try:
                hint = store.last_backup(conn)
            finally:
                conn.close()
        except (ClinicError, DatabaseError):
            hint = None
    else:
        hint = store.last_backup(None)
    if hint is None:
        return "restore from your most recent backup"
    folder, made = hint
    return f"restore from the backup in {folder} (made {made[:16].replace('T', ' ')} UTC)"


def verify(session: Session, progress: Progress | None = None) -> VerifyReport:
    session.require("store.verify")
    report = verify_store(session.store, progress)
    try:
        session.audit(
            "store.verify",
            "store",
            session.store.store_id,
            ok=report.ok,
            problems=len(report.problems),
        )
    except StoreCorrupt:  # the report matters more than its audit row
        report.notes.append(
            "this check could not be recorded in the audit trail (the database is damaged)"
        )
    return report


def accept_loss(session: Session) -> None:
    """An administrator keeps the database as it is after a loss that no backup can repair
    (the lost work will be entered again): recorded in the audit trail, and the record of the
    newest commit follows the database again, so normal work resumes."""
    session.require("store.verify")
    store = session.store
    loss = store.loss
    if loss is None:
        raise BadInput("There is no loss to accept: the database holds every recorded action.")
    store.accept_loss()
    session.audit(
        "store.loss_accepted",
        "store",
        store.store_id,
        lost_actions=loss.lost_actions,
        lost_commits=loss.lost_commits,
        recorded_audit_id=loss.recorded.audit_id,
        recorded_at=loss.recorded.at,
    )


def read_manifest(src: Path, master: bytes) -> dict:
    """The signed manifest of one generation folder (or of an old-layout backup folder),
    checked against its database. A manifest that is there but cannot be read is damage, not
    a missing manifest: the clerk must not be told the folder holds no backup."""
    path = src / MANIFEST
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise StoreError(
            "That backup is incomplete (it has no manifest): the backup was interrupted. "
            "Run the backup again."
        ) from None
    except (OSError, ValueError):
        raise StoreCorrupt("The backup's manifest cannot be read: it is damaged.") from None
    try:
        manifest = json.loads(text)
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except ValueError:
        raise StoreCorrupt("The backup's manifest is damaged (truncated or unreadable).") from None
    if not hmac.compare_digest(
        str(manifest.get("hmac", "")), _sign(manifest, keys.derive_keys(master).manifest)
    ):
        raise StoreCorrupt("The backup's manifest has been altered or belongs to another store.")
    try:
        db_sha = _sha256_file(src / DB_NAME)
    except FileNotFoundError:
        raise StoreCorrupt("The backup's database file is missing.") from None
    if db_sha != manifest.get("db_sha256"):
        raise StoreCorrupt("The backup's database file is damaged (checksum mismatch).")
    return manifest


@dataclass
class RestoreResult:
    """What a restore brought back. Iterates as ``(store, report)`` for older callers."""

    store: Store
    report: VerifyReport
    backup_created: str  # when the restored generation was made (UTC, ISO 8601)
    generation: str  # its folder name; "" for a folder in the old single-generation layout
    notes: list[str] = field(default_factory=list)
    # Document id (None: a page not filed yet) → pages whose image could not be restored.
    lost_pages: dict[int | None, int] = field(default_factory=dict)
    lost_files: list[int] = field(default_factory=list)  # imported files that could not

    def __iter__(self) -> Iterator:
        yield self.store
        yield self.report

    @property
    def pages_lost(self) -> int:
        return sum(self.lost_pages.values())


def restore(
    src: Path,
    data_dir: Path,
    passphrase: str | None = None,
    progress: Progress | None = None,
    generation: str | None = None,
    master: bytes | None = None,
) -> RestoreResult:
    """Restore the newest complete generation (or the one named) into an empty data folder.

    A generation that was interrupted or is damaged is passed over for the one before it, and
    the result says so. Page files that are damaged or missing in the backup do not stop the
    restore: everything else comes back, the pages stay in the index (their documents, order
    and text are in the database) without an image, ``verify`` names them and the chart says
    the page is missing; the result lists the documents concerned.
    """
    src, data_dir = Path(src), Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BadInput("Restore into an empty folder: this one already holds files.")
    if not src.is_dir() or not ((src / GENERATIONS_DIR).is_dir() or (src / MANIFEST).exists()):
        raise StoreError("That folder is not a complete ClinicRecords backup.")
    with _folder_lock(src, exclusive=False):
        scan = _scan(src)
        candidates = scan.complete
        if generation is not None:
            candidates = [
                g for g in candidates if g.name == generation or (g.name or "old") == generation
            ]
            if not candidates:
                raise BadInput("That folder holds no complete backup by that name.")
        if not candidates:
            if scan.unfinished:
                raise StoreError(
                    "That folder holds only an unfinished backup: it was interrupted before "
                    "it finished. Run the backup again."
                )
            raise StoreError("That folder is not a complete ClinicRecords backup.")
        master, keyfile_raw = _unlock(candidates, passphrase, master)
        chosen: _Generation | None = None
        skipped: list[tuple[_Generation, str]] = []
        for gen in candidates:
            try:
                manifest = read_manifest(gen.path, master)
            except StoreError as exc:
                skipped.append((gen, exc.message))
                continue
            chosen = gen
            break
        if chosen is None:
            gen, reason = skipped[0]
            if len(skipped) == 1:
                raise StoreCorrupt(reason)
            raise StoreCorrupt(f"No backup in that folder can be restored; the newest: {reason}")
        notes = _restore_notes(chosen, manifest, skipped, scan)
        store_id = str(manifest["store_id"])
        created = not data_dir.exists()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            synced: set[Path] = {data_dir}
            _write_durably(data_dir / keys.KEYFILE_NAME, keyfile_raw, synced)
            tmp_db = data_dir / (DB_NAME + ".partial")
            shutil.copyfile(chosen.path / DB_NAME, tmp_db)
            _fsync_file(tmp_db)
            oscompat.replace(tmp_db, data_dir / DB_NAME)
            _copy_pages_back(src, chosen, data_dir, master, synced, progress, manifest)
            (data_dir / PAGES_DIR).mkdir(exist_ok=True)
            for folder in sorted(synced, key=lambda p: len(p.parts), reverse=True):
                fsync_dir(folder)
            store = Store(data_dir, master, store_id)
            try:
                report = verify_store(store)
                if len(report.problems) != len(report.unreadable):
                    other = [
                        p for p in report.problems if not p.startswith(("page ", "imported file "))
                    ]
                    raise StoreCorrupt(
                        "The restored store fails verification: " + "; ".join(other[:3])
                    )
                lost_page_ids = [i for k, i in report.unreadable if k == "page"]
                lost_files = [i for k, i in report.unreadable if k == "file"]
                lost_pages: dict[int | None, int] = {}
                with store.db.write() as conn:
                    for doc in documents_sql.page_documents(conn, lost_page_ids).values():
                        lost_pages[doc] = lost_pages.get(doc, 0) + 1
                    audit.append(
                        conn,
                        None,
                        "(restore)",
                        "store.restore",
                        "store",
                        store.store_id,
                        {
                            "from_backup_created": manifest["created_at"],
                            "generation": chosen.name or "old layout",
                            "pages": manifest["pages"],
                            "pages_not_restored": len(lost_page_ids),
                            "files_not_restored": len(lost_files),
                        },
                    )
            except BaseException:
                store.close()
                raise
        except BaseException as exc:
            _undo_restore(data_dir, created)
            if _is_disk_full(exc) and not isinstance(exc, DiskFull):
                raise DiskFull(
                    "The disk is full: nothing was restored. Free some space and try again."
                ) from exc
            raise
    return RestoreResult(
        store,
        report,
        str(manifest["created_at"]),
        chosen.name,
        notes,
        lost_pages,
        lost_files,
    )


def _unlock(
    candidates: list[_Generation], passphrase: str | None, known: bytes | None = None
) -> tuple[bytes, bytes]:
    """The master key, and the key file that opened it (the restored store gets that one, so
    it opens with the passphrase just used). Generations may carry different key files (the
    passphrase was changed between them); a damaged one is passed over."""
    first_error: StoreError | None = None
    tried: set[bytes] = set()
    for gen in candidates:
        try:
            raw = (gen.path / keys.KEYFILE_NAME).read_bytes()
            keyfile = keys.read_keyfile(gen.path)
        except OSError:
            continue
        except StoreError as exc:
            first_error = first_error or exc
            continue
        if raw in tried:
            continue
        tried.add(raw)
        master = known if known is not None else keys.keyring_load(keyfile.store_id)
        if master is not None and keys.key_matches(keyfile, master):
            return master, raw
        if known is not None:
            continue  # a drill: only this store's own key is tried
        passphrase = passphrase or os.environ.get("CLINICRECORDS_PASSPHRASE")
        if not passphrase:
            raise PassphraseRequired("Enter the recovery passphrase of the backed-up store.")
        try:
            return keys.unwrap_master(keyfile, passphrase), raw
        except StoreError as exc:  # a wrong passphrase for this key file: an older may match
            first_error = first_error or exc
    if known is not None and tried:
        raise StoreError("That backup belongs to another clinic store, not this one.")
    if first_error is not None:
        raise first_error
    raise StoreError("That backup is incomplete: it has no key file.")


def _when(gen: _Generation, manifest: dict | None = None) -> str:
    created = (manifest or {}).get("created_at")
    if not created:
        try:
            created = json.loads((gen.path / MANIFEST).read_text("utf-8"))["created_at"]
        except (OSError, ValueError, KeyError, TypeError):
            m = _GEN_NAME.match(gen.name)
            if not m:
                return "an unknown date"
            t = m.group(2)
            created = f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[9:11]}:{t[11:13]}"
    return str(created)[:16].replace("T", " ") + " UTC"


def _restore_notes(
    chosen: _Generation, manifest: dict, skipped: list[tuple[_Generation, str]], scan: _Scan
) -> list[str]:
    notes = []
    if any(_seq_of(p) > chosen.seq for p in scan.unfinished):
        notes.append(
            "The newest backup in that folder was interrupted before it finished (run the "
            "backup again); the last complete one was restored."
        )
    for gen, reason in skipped:
        notes.append(f"The backup of {_when(gen)} was passed over: {reason}")
    if notes:
        notes.append(f"Restored the backup of {_when(chosen, manifest)}.")
    return notes


def _seq_of(path: Path) -> int:
    m = _GEN_NAME.match(path.name.partition(".")[0])
    return int(m.group(1)) if m else 0


def _copy_pages_back(
    src: Path,
    gen: _Generation,
    data_dir: Path,
    master: bytes,
    synced: set[Path],
    progress: Progress | None,
    manifest: dict,
) -> None:
    """Copy each page file the generation names, checked first (GCM tag and the recorded
    SHA-256); a damaged or missing one is left out, for verify and the result to name."""
    derived = keys.derive_keys(master)
    bk_pages = PageStore(src / PAGES_DIR, derived.page_enc, derived.page_name)
    conn = open_snapshot(gen.path / DB_NAME, derived.database)
    try:
        wanted = dict((b, sha) for _, b, sha in documents_sql.all_page_blobs(conn))
        wanted.update((b, sha) for _, b, sha in documents_sql.all_file_blobs(conn))
    finally:
        conn.close()
    for n, (blob_id, sha) in enumerate(sorted(wanted.items()), 1):
        try:
            raw = bk_pages.path_for(blob_id).read_bytes()
            data = bk_pages.decrypt(blob_id, raw)
        except (OSError, StoreCorrupt):
            continue
        if hashlib.sha256(data).hexdigest() != sha:
            continue
        _write_durably(data_dir / PAGES_DIR / blob_id[:2] / blob_id, raw, synced)
        if progress and n % 200 == 0:
            progress(n, len(wanted))


def _undo_restore(data_dir: Path, created: bool) -> None:
    """Leave the target as it was: empty (or absent)."""
    if created:
        shutil.rmtree(data_dir, ignore_errors=True)
    else:
        for child in data_dir.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


ORPHAN_GRACE_SECONDS = 24 * 3600


def remove_orphans(session: Session, grace_seconds: int = ORPHAN_GRACE_SECONDS) -> int:
    """Delete stored objects that no page or imported file names, left by an interrupted
    import. Objects younger than the grace period are kept: an import writes its bytes before
    the rows that name them, so a fresh object may simply not be named *yet*."""
    import time

    session.require("store.verify")
    conn = session.db.new_connection()
    try:
        referenced = {b for _, b, _ in documents_sql.all_page_blobs(conn)}
        referenced |= {b for _, b, _ in documents_sql.all_file_blobs(conn)}
    finally:
        conn.close()
    cutoff = time.time() - grace_seconds
    removed = 0
    for blob_id in list(session.pages.iter_blob_ids()):
        if blob_id in referenced:
            continue
        path = session.pages.path_for(blob_id)
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    session.audit("store.remove_orphans", "store", session.store.store_id, removed=removed)
    return removed
