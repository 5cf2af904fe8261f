"""The encrypted store: keys, wrong/missing/corrupt inputs, and nothing readable at rest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import sqlcipher3

from clinicrecords.clinic import keys
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import (
    KeyFileCorrupt,
    KeyFileMissing,
    PassphraseRequired,
    StoreCorrupt,
    StoreExists,
    WrongPassphrase,
)
from clinicrecords.records.documents import PageInput, add_document, read_page
from clinicrecords.registry.patients import PatientInput, register_patient
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


def _edit_keyfile(store_dir: Path, edit) -> None:  # type: ignore[no-untyped-def]
    path = store_dir / keys.KEYFILE_NAME
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=2))


def _swap_b64_char(text: str, at: int = 5) -> str:
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        "wrapped_key byte",
        "salt byte",
        "nonce byte",
        "time_cost",
        "truncated",
        "bad json",
        "field renamed",
        "store id",
        "not an object",
    ],
)
def test_damaged_key_file_is_reported_as_damaged_not_as_a_wrong_passphrase(
    store_dir: Path, damage: str
) -> None:
    path = store_dir / keys.KEYFILE_NAME
    if damage == "wrapped_key byte":
        _edit_keyfile(store_dir, lambda d: d.update(wrapped_key=_swap_b64_char(d["wrapped_key"])))
    elif damage == "salt byte":
        _edit_keyfile(store_dir, lambda d: d["kdf"].update(salt=_swap_b64_char(d["kdf"]["salt"])))
    elif damage == "nonce byte":
        _edit_keyfile(store_dir, lambda d: d.update(nonce=_swap_b64_char(d["nonce"], 2)))
    elif damage == "time_cost":
        _edit_keyfile(store_dir, lambda d: d["kdf"].update(time_cost=d["kdf"]["time_cost"] + 1))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-30])
    elif damage == "bad json":
        raw = bytearray(path.read_bytes())
        raw[raw.index(b":")] = ord(";")
        path.write_bytes(bytes(raw))
    elif damage == "field renamed":
        _edit_keyfile(store_dir, lambda d: d.update(nonse=d.pop("nonce")))
    elif damage == "store id":
        _edit_keyfile(store_dir, lambda d: d.update(store_id=d["store_id"][:-1] + "x"))
    elif damage == "not an object":
        path.write_text("[1, 2, 3]")
    with pytest.raises(KeyFileCorrupt) as err:
        Store.open(store_dir, PASSPHRASE)
    message = str(err.value)
    assert "key file" in message and "damaged" in message and "recovery key" in message
    assert "passphrase is not correct" not in message


def test_random_bit_flips_in_the_key_file_never_read_as_a_wrong_passphrase(
    store_dir: Path,
) -> None:
    """Any single flipped bit: the store opens (the bit was in a field the unwrap does not
    need, and the file is rewritten whole) or the file is called damaged; never 'wrong
    passphrase', never an unexpected error."""
    import random

    path = store_dir / keys.KEYFILE_NAME
    good = path.read_bytes()
    rng = random.Random(12)
    outcomes = {"opened": 0, "damaged": 0}
    for position in rng.sample(range(len(good)), 14):
        raw = bytearray(good)
        raw[position] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(raw))
        try:
            Store.open(store_dir, PASSPHRASE).close()
        except KeyFileCorrupt:
            outcomes["damaged"] += 1
            continue
        outcomes["opened"] += 1
        assert keys.read_keyfile(store_dir).intact is True  # rewritten, not left damaged
    path.write_bytes(good)
    assert outcomes["damaged"] >= 7, outcomes


def test_damage_outside_the_wrapped_key_opens_and_rewrites_the_key_file(store_dir: Path) -> None:
    _edit_keyfile(store_dir, lambda d: d.update(written_at="2000-01-01T00:00:00+00:00"))
    assert keys.read_keyfile(store_dir).intact is False
    Store.open(store_dir, PASSPHRASE).close()
    assert keys.read_keyfile(store_dir).intact is True
    Store.open(store_dir, PASSPHRASE).close()


def test_key_file_without_checksum_still_opens_and_gains_one(store_dir: Path) -> None:
    """Key files written before checksums open as before; a wrong passphrase on one says that
    damage cannot be ruled out; the first good unlock adds the checksum."""
    _edit_keyfile(store_dir, lambda d: d.pop("checksum"))
    assert keys.read_keyfile(store_dir).intact is None
    with pytest.raises(WrongPassphrase, match="not correct"):
        Store.open(store_dir, "not the passphrase at all")
    assert "checksum" not in json.loads((store_dir / keys.KEYFILE_NAME).read_text())
    Store.open(store_dir, PASSPHRASE).close()
    assert keys.read_keyfile(store_dir).intact is True
    _edit_keyfile(store_dir, lambda d: d.update(wrapped_key=_swap_b64_char(d["wrapped_key"])))
    with pytest.raises(KeyFileCorrupt):
        Store.open(store_dir, PASSPHRASE)


def test_deliberately_edited_key_file_still_cannot_be_unwrapped(store_dir: Path) -> None:
    """The checksum is not a MAC: an edit with a recomputed checksum is caught by AES-GCM,
    which cannot tell it from a wrong passphrase."""

    def edit(doc: dict) -> None:
        doc["store_id"] = "00000000-0000-4000-8000-000000000000"
        doc["checksum"] = keys.keyfile_checksum(doc)

    _edit_keyfile(store_dir, edit)
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


def test_create_records_the_store_id_and_clinic_name_and_they_survive_reopening(
    tmp_path: Path,
) -> None:
    from clinicrecords.clinic.settings import get_setting
    from clinicrecords.db import settings_sql

    made, _recovery = Store.create(tmp_path / "new", PASSPHRASE, clinic_name="Riverside Clinic")
    store_id = made.store_id
    made.close()
    store = Store.open(tmp_path / "new", PASSPHRASE)
    try:
        with store.db.read() as conn:
            assert settings_sql.get(conn, "store.id") == store_id
            assert get_setting(conn, "clinic.name") == "Riverside Clinic"
    finally:
        store.close()


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


def test_default_data_dir_is_the_environment_or_the_per_user_folder(
    tmp_path: Path, monkeypatch
) -> None:
    """One answer for the command line and the desktop program (which no longer asks commands)."""
    import clinicrecords.commands
    from clinicrecords.clinic.store import default_data_dir

    monkeypatch.setenv("CLINICRECORDS_DATA_DIR", str(tmp_path / "clinic"))
    assert default_data_dir() == tmp_path / "clinic"
    monkeypatch.delenv("CLINICRECORDS_DATA_DIR")
    assert default_data_dir().name == "ClinicRecords"
    assert clinicrecords.commands.default_data_dir is default_data_dir  # still importable there
