"""Backup, restore and verify.

A backup is a folder: ``clinic.db`` (an encrypted, consistent copy made with SQLite's online
backup API while the program may be running), ``keyfile.json``, the encrypted ``pages/`` and a
``manifest.json`` signed with an HMAC key derived from the master key. Page files are
content-addressed and never change, so backing up into the folder of an earlier backup copies
only the pages added since: a 500,000-page clinic's nightly backup copies the database and the
day's new pages, not every image again.

Nothing is decrypted on the way: the backup is exactly as encrypted as the store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinicrecords import audit, keys
from clinicrecords.db import documents_sql
from clinicrecords.db.connection import open_connection
from clinicrecords.db.migrate import latest_version, schema_version
from clinicrecords.db.pagestore import write_atomically
from clinicrecords.errors import BadInput, ClinicError, StoreCorrupt, StoreError
from clinicrecords.session import Session
from clinicrecords.store import DB_NAME, PAGES_DIR, Store
from clinicrecords.timeutil import utc_now

MANIFEST = "manifest.json"
Progress = Callable[[int, int], None]


@dataclass
class BackupResult:
    folder: Path
    pages_copied: int
    pages_total: int
    db_bytes: int
    warnings: list[str] = field(default_factory=list)


def check_audit_anchor(conn, manifest: dict) -> str | None:  # type: ignore[no-untyped-def]
    """The audit chain's head recorded by an earlier (signed) backup must still be in the chain,
    unchanged. This catches what the chain alone cannot: someone holding the key who rewrote
    the whole trail consistently after that backup was made."""
    head = manifest.get("audit_head")
    if not head:
        return None
    row = conn.execute("SELECT hash FROM audit_log WHERE id = ?", (int(head["id"]),)).fetchone()
    if row is None or row[0] != head["hash"]:
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


def backup(session: Session, dest: Path, progress: Progress | None = None) -> BackupResult:
    session.require("backup.run")
    store = session.store
    dest = Path(dest)
    if (
        dest.resolve() == store.data_dir.resolve()
        or store.data_dir.resolve() in dest.resolve().parents
    ):
        raise BadInput("A backup cannot go inside the data folder it backs up.")
    old = dest / MANIFEST
    previous: dict = {}
    if old.exists():
        try:
            previous = json.loads(old.read_text())
            if previous["store_id"] != store.store_id:
                raise BadInput("That folder holds a backup of another clinic store.")
        except (ValueError, KeyError):
            raise BadInput(
                "That folder holds something that is not a ClinicRecords backup."
            ) from None
        if not hmac.compare_digest(
            str(previous.get("hmac", "")), _sign(previous, store.derived.manifest)
        ):
            previous = {}  # not signed with this store's key: it anchors nothing
    elif dest.exists() and any(dest.iterdir()):
        raise BadInput("Back up into an empty folder or into an earlier backup of this store.")
    dest.mkdir(parents=True, exist_ok=True)
    session.audit("backup.start", "store", store.store_id, destination=str(dest))

    # 1. The database: a consistent encrypted snapshot, written beside and then renamed.
    tmp_db = dest / (DB_NAME + ".partial")
    tmp_db.unlink(missing_ok=True)
    target = open_connection(tmp_db, store.db.key)
    source = store.db.new_connection()
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        target.close()
        source.close()
    with open(tmp_db, "rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp_db, dest / DB_NAME)

    # 2. Pages referenced by that snapshot (content-addressed: existing files are skipped).
    snap = open_connection(dest / DB_NAME, store.db.key)
    try:
        blobs = sorted(
            {b for _, b, _ in documents_sql.all_page_blobs(snap)}
            | {b for _, b, _ in documents_sql.all_file_blobs(snap)}
        )
        version = schema_version(snap)
        audit_rows = int(snap.execute("SELECT count(*) FROM audit_log").fetchone()[0])
        head = snap.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        warning = check_audit_anchor(snap, previous)
    finally:
        snap.close()
    copied = 0
    for i, blob_id in enumerate(blobs):
        src = store.pages.path_for(blob_id)
        dst = dest / PAGES_DIR / blob_id[:2] / blob_id
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            write_atomically(dst, src.read_bytes())
            copied += 1
        if progress and i % 200 == 0:
            progress(i, len(blobs))
    shutil.copy2(store.data_dir / keys.KEYFILE_NAME, dest / keys.KEYFILE_NAME)

    manifest = {
        "format": "clinicrecords-backup",
        "version": 1,
        "store_id": store.store_id,
        "created_at": utc_now(),
        "schema_version": version,
        "db_sha256": _sha256_file(dest / DB_NAME),
        "pages": len(blobs),
        "audit_rows": audit_rows,
        "audit_head": {"id": int(head[0]), "hash": str(head[1])} if head else None,
    }
    manifest["hmac"] = _sign(manifest, store.derived.manifest)
    write_atomically(dest / MANIFEST, json.dumps(manifest, indent=2).encode())
    warnings = [warning] if warning else []
    session.audit(
        "backup.done",
        "store",
        store.store_id,
        pages=len(blobs),
        copied=copied,
        audit_anchor_ok=not warnings,
    )
    if progress:
        progress(len(blobs), len(blobs))
    return BackupResult(dest, copied, len(blobs), (dest / DB_NAME).stat().st_size, warnings)


@dataclass
class VerifyReport:
    checked_pages: int = 0
    audit_rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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
        }


def verify_store(store: Store, progress: Progress | None = None) -> VerifyReport:
    """Re-read everything: cipher HMACs, SQLite integrity, schema, every page, the audit chain."""
    report = VerifyReport()
    conn = store.db.new_connection()
    try:
        bad = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]
        if bad:
            report.problems.append(f"{len(bad)} database page(s) fail their HMAC (damaged file)")
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            report.problems.append("database integrity check: " + "; ".join(integrity[:5]))
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            report.problems.append(f"{len(fk)} row(s) point at rows that do not exist")
        version = schema_version(conn)
        if version != latest_version():
            report.problems.append(f"schema version {version}, program expects {latest_version()}")
        blobs = documents_sql.all_page_blobs(conn) + documents_sql.all_file_blobs(conn)
        referenced = set()
        for i, (row_id, blob_id, sha) in enumerate(blobs):
            referenced.add(blob_id)
            try:
                store.pages.get(blob_id, sha)
            except StoreCorrupt as exc:
                report.problems.append(f"page/file {row_id}: {exc.message}")
            report.checked_pages += 1
            if progress and i % 100 == 0:
                progress(i, len(blobs))
        orphans = sum(1 for b in store.pages.iter_blob_ids() if b not in referenced)
        if orphans:
            report.notes.append(
                f"{orphans} stored object(s) belong to no page (left by an interrupted import; harmless)"
            )
        chain = audit.verify(conn)
        report.audit_rows = chain.rows
        report.problems.extend(chain.problems)
    finally:
        conn.close()
    return report


def verify(session: Session, progress: Progress | None = None) -> VerifyReport:
    session.require("store.verify")
    report = verify_store(session.store, progress)
    session.audit(
        "store.verify", "store", session.store.store_id, ok=report.ok, problems=len(report.problems)
    )
    return report


def read_manifest(src: Path, master: bytes) -> dict:
    try:
        manifest = json.loads((src / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise StoreError(
            "That folder is not a complete ClinicRecords backup (no manifest)."
        ) from None
    if not hmac.compare_digest(
        manifest.get("hmac", ""), _sign(manifest, keys.derive_keys(master).manifest)
    ):
        raise StoreCorrupt("The backup's manifest has been altered or belongs to another store.")
    if _sha256_file(src / DB_NAME) != manifest["db_sha256"]:
        raise StoreCorrupt("The backup's database file is damaged (checksum mismatch).")
    return manifest


def restore(
    src: Path, data_dir: Path, passphrase: str | None = None, progress: Progress | None = None
) -> tuple[Store, VerifyReport]:
    """Restore a backup into an empty data folder, checking it before and after copying."""
    src, data_dir = Path(src), Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BadInput("Restore into an empty folder: this one already holds files.")
    if not (src / keys.KEYFILE_NAME).exists() or not (src / DB_NAME).exists():
        raise StoreError("That folder is not a complete ClinicRecords backup.")
    keyfile = keys.read_keyfile(src)
    master = keys.keyring_load(keyfile.store_id)
    if master is None or not keys.key_matches(keyfile, master):
        passphrase = passphrase or os.environ.get("CLINICRECORDS_PASSPHRASE")
        if not passphrase:
            from clinicrecords.errors import PassphraseRequired

            raise PassphraseRequired("Enter the recovery passphrase of the backed-up store.")
        master = keys.unwrap_master(keyfile, passphrase)
    manifest = read_manifest(src, master)
    created = not data_dir.exists()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / keys.KEYFILE_NAME, data_dir / keys.KEYFILE_NAME)
        shutil.copy2(src / DB_NAME, data_dir / DB_NAME)
        src_pages = src / PAGES_DIR
        n = 0
        if src_pages.exists():
            for sub in src_pages.iterdir():
                if sub.is_dir():
                    for f in sub.iterdir():
                        if not f.name.startswith("."):
                            write_atomically(
                                data_dir / PAGES_DIR / sub.name / f.name, f.read_bytes()
                            )
                            n += 1
                            if progress and n % 200 == 0:
                                progress(n, manifest["pages"])
        (data_dir / PAGES_DIR).mkdir(exist_ok=True)
        store = Store(data_dir, master, keyfile.store_id)
        report = verify_store(store)
        if not report.ok:
            store.close()
            raise StoreCorrupt(
                "The restored store fails verification: " + "; ".join(report.problems[:3])
            )
        with store.db.write() as conn:
            audit.append(
                conn,
                None,
                "(restore)",
                "store.restore",
                "store",
                store.store_id,
                {"from_backup_created": manifest["created_at"], "pages": manifest["pages"]},
            )
    except ClinicError:
        _undo_restore(data_dir, created)
        raise
    except BaseException:
        _undo_restore(data_dir, created)
        raise
    return store, report


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
