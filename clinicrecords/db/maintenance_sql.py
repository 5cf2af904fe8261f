"""Whole-database statements (PRAGMAs) that backup and verify run, kept here so that SQL stays
in ``db/``: SQLCipher's page HMAC check, SQLite's structural and foreign-key checks, and the
journal mode that makes a backup's snapshot one self-contained file."""

from __future__ import annotations

from clinicrecords.db.connection import Connection


def cipher_integrity_check(conn: Connection) -> list[str]:
    """One line per database page whose HMAC fails (empty: every page is as written)."""
    return [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]


def integrity_check(conn: Connection) -> list[str]:
    """SQLite's own structural check: ``["ok"]`` or the problems it found."""
    return [r[0] for r in conn.execute("PRAGMA integrity_check")]


def foreign_key_check(conn: Connection) -> list:
    """Rows that point at rows that do not exist."""
    return conn.execute("PRAGMA foreign_key_check").fetchall()


def use_rollback_journal(conn: Connection) -> None:
    """Leave WAL mode, so the file needs no -wal/-shm beside it (a backup's snapshot)."""
    conn.execute("PRAGMA journal_mode = DELETE")
