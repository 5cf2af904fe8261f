"""Numbered SQL migrations, applied in order inside one transaction each.

Before the first migration is applied to a database that already holds data, an encrypted copy
of it is written to ``backups/`` in the data directory, so a failed or faulty migration never
costs a clinic its records. The applied number is kept in ``PRAGMA user_version``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from clinicrecords.common.errors import StoreError
from clinicrecords.db.connection import Connection, open_connection

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def available_migrations() -> list[Migration]:
    folder = resources.files("clinicrecords.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda mig: mig.number)
    numbers = [mig.number for mig in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise StoreError(f"The program's migrations are not numbered 1..N: {numbers}")
    return found


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def latest_version() -> int:
    migs = available_migrations()
    return migs[-1].number if migs else 0


def backup_before_migration(conn: Connection, db_path: Path, key: bytes, version: int) -> Path:
    """Encrypted copy (same key) of the database as it is, via SQLite's online backup API."""
    folder = db_path.parent / "backups"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"before-migration-{version:04d}-{stamp}.db"
    dest = open_connection(target, key)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    return target


def migrate(conn: Connection, db_path: Path, key: bytes) -> list[int]:
    """Apply every pending migration; returns the numbers applied."""
    current = schema_version(conn)
    pending = [m for m in available_migrations() if m.number > current]
    if not pending:
        return []
    if current > 0:
        backup_before_migration(conn, db_path, key, current)
    applied = []
    for mig in pending:
        # executescript() would commit on its own; split and run inside one transaction instead.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(mig.sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {mig.number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(mig.number)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a script into complete statements (sqlite3.complete_statement handles triggers)."""
    import sqlcipher3

    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf += line
        if sqlcipher3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
