"""The encrypted store: keys, wrong/missing/corrupt inputs, and nothing readable at rest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlcipher3

from clinicrecords import keys
from clinicrecords.documents import PageInput, add_document, read_page
from clinicrecords.errors import (
    KeyFileCorrupt,
    KeyFileMissing,
    PassphraseRequired,
    StoreCorrupt,
    StoreExists,
    WrongPassphrase,
)
from clinicrecords.patients import PatientInput, register_patient
from clinicrecords.store import Store
from tests.conftest import PASSPHRASE
from tests.helpers import png_page


def test_wrong_passphrase_is_refused_and_changes_nothing(store_dir: Path) -> None:
    before = {p: p.read_bytes() for p in store_dir.rglob("*") if p.is_file()}
    with pytest.raises(WrongPassphrase) as err:
        Store.open(store_dir, "not the passphrase at all")
    assert "not correct" in str(err.value)
    after = {p: p.read_bytes() for p in store_dir.rglob("*") if p.is_file()}
    assert before == after


def test_missing_passphrase_without_keyring(store_dir: Path, monkeypatch) -> None:
    monkeypatch.delenv("CLINICRECORDS_PASSPHRASE", raising=False)
    with pytest.raises(PassphraseRequired):
        Store.open(store_dir)


def test_passphrase_from_environment(store_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("CLINICRECORDS_PASSPHRASE", PASSPHRASE)
    Store.open(store_dir).close()


def test_missing_key_file(store_dir: Path) -> None:
    (store_dir / keys.KEYFILE_NAME).unlink()
    with pytest.raises(KeyFileMissing) as err:
        Store.open(store_dir, PASSPHRASE)
    assert "recovery key" in str(err.value)


def test_corrupt_key_file(store_dir: Path) -> None:
    path = store_dir / keys.KEYFILE_NAME
    path.write_text(path.read_text()[:40])
    with pytest.raises(KeyFileCorrupt):
        Store.open(store_dir, PASSPHRASE)


def test_tampered_wrapped_key_reads_as_wrong_passphrase(store_dir: Path) -> None:
    path = store_dir / keys.KEYFILE_NAME
    doc = json.loads(path.read_text())
    doc["store_id"] = "someone-else"
    path.write_text(json.dumps(doc))
    with pytest.raises(WrongPassphrase):
        Store.open(store_dir, PASSPHRASE)


def test_corrupt_database_file(store_dir: Path) -> None:
    db = store_dir / "clinic.db"
    raw = bytearray(db.read_bytes())
    raw[0:4096] = b"\x00" * 4096  # page 1 destroyed
    db.write_bytes(bytes(raw))
    with pytest.raises(StoreCorrupt) as err:
        Store.open(store_dir, PASSPHRASE)
    assert "backup" in str(err.value)


def test_database_from_another_store_is_refused(tmp_path: Path, store_dir: Path) -> None:
    other, _ = Store.create(tmp_path / "other", PASSPHRASE)
    other.close()
    (store_dir / "clinic.db").unlink()
    (tmp_path / "other" / "clinic.db").rename(store_dir / "clinic.db")
    with pytest.raises(StoreCorrupt):
        Store.open(store_dir, PASSPHRASE)


def test_create_refuses_existing_store(store_dir: Path) -> None:
    with pytest.raises(StoreExists):
        Store.create(store_dir, PASSPHRASE)


def test_recovery_key_round_trip_and_typo_detection() -> None:
    master = keys.new_master_key()
    text = keys.encode_recovery_key(master)
    assert keys.decode_recovery_key(text.lower()) == master
    typo = ("1" if text[0] != "1" else "2") + text[1:]
    with pytest.raises(Exception, match="mistyped|character"):
        keys.decode_recovery_key(typo)


def test_nothing_readable_at_rest(store: Store, admin_session) -> None:
    p = register_patient(
        admin_session,
        PatientInput(
            family="Quillfeather", given="Ottoline", dob=date(1961, 5, 17), phone="555-010-7788"
        ),
    )
    add_document(
        admin_session,
        p.id,
        "lab",
        date(2026, 1, 2),
        [PageInput(png_page("Quillfeather lab result"), ocr_text="Quillfeather potassium")],
    )
    admin_session.db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for f in store.data_dir.rglob("*"):
        if not f.is_file():
            continue
        raw = f.read_bytes()
        assert not raw.startswith(b"SQLite format 3"), f
        assert b"Quillfeather" not in raw, f
        assert b"QUILLFEATHER" not in raw.upper() or f.name == "keyfile.json", f
        assert b"\x89PNG" not in raw, f


def test_page_read_back_is_verified(store: Store, admin_session) -> None:
    p = register_patient(
        admin_session, PatientInput(family="Ames", given="Bo", dob=date(1990, 1, 1))
    )
    data = png_page("page one")
    doc = add_document(admin_session, p.id, "lab", None, [PageInput(data)])
    page_id = (
        admin_session.db.connection()
        .execute("SELECT id FROM pages WHERE document_id = ?", (doc,))
        .fetchone()[0]
    )
    assert read_page(admin_session, page_id) == data
    blob = (
        admin_session.db.connection()
        .execute("SELECT blob_id FROM pages WHERE id = ?", (page_id,))
        .fetchone()[0]
    )
    path = store.pages.path_for(blob)
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreCorrupt):
        read_page(admin_session, page_id)


def _with_extra_migration(monkeypatch, sql: str) -> int:
    from clinicrecords.db import migrate as migrate_mod

    real = migrate_mod.available_migrations()
    extra = migrate_mod.Migration(real[-1].number + 1, "9999_test.sql", sql)
    monkeypatch.setattr(migrate_mod, "available_migrations", lambda: [*real, extra])
    return extra.number


def _backup_key(store_dir: Path) -> bytes:
    return keys.derive_keys(keys.unwrap_master(keys.read_keyfile(store_dir), PASSPHRASE)).database


def test_pending_migration_is_applied_after_an_encrypted_backup(
    store_dir: Path, monkeypatch
) -> None:
    from clinicrecords.db.connection import open_connection

    number = _with_extra_migration(
        monkeypatch,
        "CREATE TABLE test_extra (id INTEGER PRIMARY KEY);\nINSERT INTO test_extra VALUES (1);",
    )
    s = Store.open(store_dir, PASSPHRASE)
    conn = s.db.connection()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == number
    assert conn.execute("SELECT count(*) FROM test_extra").fetchone()[0] == 1
    s.close()
    backups = list((store_dir / "backups").glob("before-migration-*.db"))
    assert len(backups) == 1
    assert not backups[0].read_bytes().startswith(b"SQLite format 3")
    c = open_connection(backups[0], _backup_key(store_dir))
    assert c.execute("SELECT count(*) FROM users").fetchone()[0] == 3
    assert c.execute("PRAGMA user_version").fetchone()[0] == number - 1
    c.close()


def test_failing_migration_rolls_back_and_leaves_the_store_as_it_was(
    store_dir: Path, monkeypatch
) -> None:
    from clinicrecords.db.connection import open_connection
    from clinicrecords.db.migrate import latest_version

    before = latest_version()
    _with_extra_migration(
        monkeypatch, "CREATE TABLE half_done (id INTEGER);\nSELECT no_such_function();"
    )
    with pytest.raises(sqlcipher3.OperationalError):
        Store.open(store_dir, PASSPHRASE)
    monkeypatch.undo()
    c = open_connection(store_dir / "clinic.db", _backup_key(store_dir))
    assert c.execute("PRAGMA user_version").fetchone()[0] == before
    assert (
        c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").fetchone()[0] == 0
    )
    c.close()
    Store.open(store_dir, PASSPHRASE).close()
