"""Whole-database statements (PRAGMAs) that backup and verify run, kept here so that SQL stays
in ``db/``: SQLCipher's page HMAC check, SQLite's structural and foreign-key checks, and the
journal mode that makes a backup's snapshot one self-contained file."""

from __future__ import annotations

from clinicrecords.db.connection import Connection


def cipher_integrity_check(conn: Connection) -> list[str]:
    """One line per database page whose HMAC fails (empty: every page is as written)."""
    return [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]


def integrity_check(conn: Connection, table: str | None = None) -> list[str]:
    """SQLite's own structural check, of the whole file or of one table and its indexes:
    ``["ok"]`` or the problems it found."""
    if table is None:
        return [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    return [str(r[0]) for r in conn.execute(f'PRAGMA integrity_check("{_quoted(table)}")')]


def table_names(conn: Connection) -> list[str]:
    """The tables that hold rows, in file order (reading this needs page 1 and the schema)."""
    return [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND rootpage > 0 ORDER BY rootpage"
        )
    ]


def read_every_row(conn: Connection, table: str) -> None:
    """Read a table without its indexes: succeeds when only an index is damaged."""
    for _ in conn.execute(f'SELECT * FROM "{_quoted(table)}" NOT INDEXED'):
        pass


def _quoted(name: str) -> str:
    return name.replace('"', '""')


def foreign_key_check(conn: Connection) -> list:
    """Rows that point at rows that do not exist."""
    return conn.execute("PRAGMA foreign_key_check").fetchall()


def use_rollback_journal(conn: Connection) -> None:
    """Leave WAL mode, so the file needs no -wal/-shm beside it (a backup's snapshot)."""
    conn.execute("PRAGMA journal_mode = DELETE")
