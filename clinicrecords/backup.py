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
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinicrecords import audit, keys
from clinicrecords.db import documents_sql
from clinicrecords.db.connection import Connection, DatabaseError, open_connection
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
    # What is damaged, in words ("table patients (the patient registry)", "page 1 ..."), and
    # the database pages that fail their HMAC.
    damaged: list[str] = field(default_factory=list)
    bad_pages: list[int] = field(default_factory=list)
    lost: str | None = None  # the sentence saying which committed work is missing
    restore_from: str | None = None  # which backup to restore, when damage or loss was found

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
        messages = [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
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
            tables = [
                str(r[0])
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage > 0 "
                    "ORDER BY rootpage"
                )
            ]
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
            integrity = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
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
                rows = [str(r[0]) for r in conn.execute(f'PRAGMA integrity_check("{table}")')]
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
            for _ in conn.execute(f'SELECT * FROM "{table}" NOT INDEXED'):
                pass
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
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
            if fk:
                report.problems.append(f"{len(fk)} row(s) point at rows that do not exist")
            version = schema_version(conn)
            if version != latest_version():
                report.problems.append(
                    f"schema version {version}, program expects {latest_version()}"
                )

        def pages(conn: Connection) -> None:
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
                    f"{orphans} stored object(s) belong to no page (left by an interrupted "
                    "import; harmless)"
                )

        def chain(conn: Connection) -> None:
            result = audit.verify(conn)
            report.audit_rows = result.rows
            report.problems.extend(result.problems)

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
