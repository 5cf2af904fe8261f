"""Backup → restore gives back every patient, document, page and audit row; verify finds damage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clinicrecords.admin import backup
from clinicrecords.common.errors import BadInput, StoreCorrupt, StoreError
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.conftest import PASSPHRASE
from tests.helpers import make_old_layout_backup, png_page

TABLES = ("patients", "documents", "pages", "users", "audit_log", "doc_types")


def _dump(conn, table: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]


def _generations(folder: Path) -> list[Path]:
    """Complete generation folders, oldest first."""
    return sorted(p for p in (folder / "generations").iterdir() if "." not in p.name)


def _fill(session) -> None:
    for i in range(3):
        p = register_patient(
            session,
            PatientInput(family=f"Backup{chr(65 + i)}", given="Pat", dob=date(1970 + i, 1, 1)),
        )
        add_document(
            session,
            p.id,
            "lab",
            date(2026, 3, i + 1),
            [PageInput(png_page(f"doc {i} p1")), PageInput(png_page(f"doc {i} p2"))],
        )


def test_backup_restore_round_trip_is_identical(store, admin_session, tmp_path: Path) -> None:
    _fill(admin_session)
    result = backup.backup(admin_session, tmp_path / "bk")
    assert result.pages_total == 6
    conn = admin_session.db.connection()
    before = {t: _dump(conn, t) for t in TABLES}
    restored, report = backup.restore(tmp_path / "bk", tmp_path / "restored", PASSPHRASE)
    try:
        assert report.ok, report.problems
        rc = restored.db.connection()
        after = {t: _dump(rc, t) for t in TABLES}
        for t in TABLES:
            if t == "audit_log":
                # The snapshot ends with 'backup.start'; the source then logged 'backup.done'
                # and the restored store logs its own restore in that place.
                assert before[t][-1][4] == "backup.done"
                assert after[t][:-1] == before[t][:-1]
                assert after[t][-1][4] == "store.restore"
            else:
                assert after[t] == before[t], t
        for _page_id, blob, sha in rc.execute("SELECT id, blob_id, sha256 FROM pages"):
            assert restored.pages.get(blob, sha) == store.pages.get(blob, sha)
        assert backup.verify_store(restored).ok
    finally:
        restored.close()


def test_incremental_backup_copies_only_new_pages(admin_session, tmp_path: Path) -> None:
    _fill(admin_session)
    backup.backup(admin_session, tmp_path / "bk")
    p = register_patient(
        admin_session, PatientInput(family="Later", given="Lou", dob=date(1999, 9, 9))
    )
    add_document(admin_session, p.id, "lab", None, [PageInput(png_page("new page"))])
    second = backup.backup(admin_session, tmp_path / "bk")
    assert second.pages_total == 7 and second.pages_copied == 1


def test_restore_refuses_non_empty_target_and_tampered_backup(
    admin_session, tmp_path: Path
) -> None:
    _fill(admin_session)
    backup.backup(admin_session, tmp_path / "bk")
    target = tmp_path / "busy"
    target.mkdir()
    (target / "something").write_text("x")
    with pytest.raises(BadInput):
        backup.restore(tmp_path / "bk", target, PASSPHRASE)
    db = _generations(tmp_path / "bk")[-1] / "clinic.db"
    raw = bytearray(db.read_bytes())
    raw[-100] ^= 0x01
    db.write_bytes(bytes(raw))
    with pytest.raises(StoreCorrupt):
        backup.restore(tmp_path / "bk", tmp_path / "new", PASSPHRASE)
    assert not (tmp_path / "new").exists()


def test_verify_reports_a_damaged_page(store, admin_session) -> None:
    _fill(admin_session)
    assert backup.verify(admin_session).ok
    blob = admin_session.db.connection().execute("SELECT blob_id FROM pages LIMIT 1").fetchone()[0]
    path = store.pages.path_for(blob)
    path.write_bytes(path.read_bytes()[:-10])
    report = backup.verify(admin_session)
    assert not report.ok and any("damaged" in p for p in report.problems)
    path.unlink()
    report = backup.verify(admin_session)
    assert any("missing" in p for p in report.problems)


def test_verify_runs_the_database_checks_and_names_a_dangling_row(store, admin_session) -> None:
    _fill(admin_session)
    assert backup.verify_store(store).problems == []
    conn = store.db.new_connection()
    try:
        conn.execute("PRAGMA foreign_keys = OFF")  # what a hand edit or a bad tool could do
        conn.execute("UPDATE documents SET patient_id = 999999 WHERE id = 1")
    finally:
        conn.close()
    assert backup.verify_store(store).problems == ["1 row(s) point at rows that do not exist"]


def test_a_consistently_rewritten_audit_trail_is_caught_by_the_last_backup(
    admin_session, tmp_path: Path
) -> None:
    """Someone with the key rewrites an old audit row and recomputes every hash after it, so
    the chain itself verifies. The head recorded (and signed) by the previous backup does not
    match any more: the next backup into that folder says so."""
    from clinicrecords.clinic import audit

    _fill(admin_session)
    first = backup.backup(admin_session, tmp_path / "bk")
    assert first.warnings == []
    conn = admin_session.db.connection()
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET username = 'nobody' WHERE id = 3")
    prev = conn.execute("SELECT hash FROM audit_log WHERE id = 2").fetchone()[0]
    for row in list(audit.audit_sql.iter_rows(conn)):
        if row["id"] < 3:
            continue
        row["prev_hash"] = prev
        row["hash"] = audit._row_hash(row)
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
            (row["prev_hash"], row["hash"], row["id"]),
        )
        prev = row["hash"]
    last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    from clinicrecords.db import settings_sql

    settings_sql.put(conn, audit.HEAD_KEY, {"id": last, "hash": prev})
    assert audit.verify(conn).ok  # the chain alone cannot tell
    second = backup.backup(admin_session, tmp_path / "bk")
    assert second.warnings and "audit trail differs" in second.warnings[0]


def test_orphans_from_an_interrupted_import_are_removed_only_when_old(store, admin_session) -> None:
    import os
    import time

    _fill(admin_session)
    old_blob, _ = store.pages.put(png_page("bytes stored, rows never written (a crash)"))
    new_blob, _ = store.pages.put(png_page("an import still writing its rows"))
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(store.pages.path_for(old_blob), (day_ago, day_ago))
    assert any("belong to no page" in n for n in backup.verify(admin_session).notes)
    assert backup.remove_orphans(admin_session) == 1
    assert not store.pages.exists(old_blob) and store.pages.exists(new_blob)
    assert backup.verify(admin_session).ok  # every page still reads back


# --- generations: a backup never costs the previous one (issue 8, defects 1, 2 and 12) ---------


def _page_rows(conn) -> list[tuple]:
    return [tuple(r) for r in conn.execute("SELECT id, document_id, sha256 FROM pages ORDER BY id")]


def _flip_byte(path: Path, offset: int = -40) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


def _add_one(session, label: str) -> None:
    p = register_patient(session, PatientInput(family=label, given="Pat", dob=date(1980, 1, 1)))
    add_document(session, p.id, "lab", None, [PageInput(png_page(label))])


def test_generations_are_kept_and_pruned_with_their_pages(admin_session, tmp_path: Path) -> None:
    """Each backup is its own generation folder; pages are shared; the last three are kept and
    a page no kept generation names is removed (only after the new generation is in place)."""
    _fill(admin_session)
    bk = tmp_path / "bk"
    first = backup.backup(admin_session, bk)
    assert first.generations_kept == 1 and first.pages_copied == 6
    gen = _generations(bk)[0]
    assert sorted(p.name for p in gen.iterdir()) == ["clinic.db", "keyfile.json", "manifest.json"]
    stray = bk / "pages" / "ab" / ("ab" + "0" * 62)  # a page file no generation names
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"left over")
    pruned = 0
    for i in range(3):
        _add_one(admin_session, f"Gen{chr(65 + i)}")
        result = backup.backup(admin_session, bk)
        pruned += result.pages_pruned
    assert result.generations_kept == 3 and len(_generations(bk)) == 3
    assert result.pages_total == 9 and result.pages_copied == 1
    assert not stray.exists() and pruned == 1
    assert not list((bk / "generations").glob("*.partial"))
    restored, report = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    try:
        assert report.ok and report.checked_pages == 9
    finally:
        restored.close()
    # an older generation can be asked for by name, and has what it had then
    oldest = _generations(bk)[0].name
    older = backup.restore(bk, tmp_path / "r2", PASSPHRASE, generation=oldest)
    try:
        assert older.report.ok and older.report.checked_pages == 7
    finally:
        older.store.close()


def test_an_interrupted_generation_is_passed_over_and_said_so(
    admin_session, tmp_path: Path
) -> None:
    """What a kill leaves (a *.partial folder) never hides the complete generation before it,
    and a folder holding only an unfinished backup is called interrupted, not damaged."""
    _fill(admin_session)
    bk = tmp_path / "bk"
    backup.backup(admin_session, bk)
    good = _generations(bk)[0]
    unfinished = good.with_name("999999-20990101T000000Z.partial")
    (unfinished).mkdir()
    (unfinished / "clinic.db").write_bytes(b"half a database")
    result = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    try:
        assert result.report.ok and result.generation == good.name
        assert any("interrupted" in n for n in result.notes)
    finally:
        result.store.close()
    only = tmp_path / "only"
    (only / "generations").mkdir(parents=True)
    unfinished.rename(only / "generations" / unfinished.name)
    with pytest.raises(StoreError, match="interrupted") as exc:
        backup.restore(only, tmp_path / "r3", PASSPHRASE)
    assert "damaged" not in exc.value.message
    # the next backup into the first folder clears the leftover and says so
    unfinished.mkdir()
    again = backup.backup(admin_session, bk)
    assert any("interrupted" in n for n in again.notes) and not unfinished.exists()


def test_a_truncated_manifest_is_damage_and_the_older_generation_is_used(
    admin_session, tmp_path: Path
) -> None:
    """Defect 12: a truncated manifest is a damaged generation, not 'no manifest'."""
    _fill(admin_session)
    bk = tmp_path / "bk"
    backup.backup(admin_session, bk)
    _add_one(admin_session, "Newer")
    backup.backup(admin_session, bk)
    older, newer = _generations(bk)
    manifest = newer / "manifest.json"
    manifest.write_bytes(manifest.read_bytes()[:70])
    result = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    try:
        assert result.generation == older.name and result.report.ok
        assert any("damaged (truncated or unreadable)" in n for n in result.notes)
        assert not any("no manifest" in n for n in result.notes)
    finally:
        result.store.close()
    # a single generation with a truncated manifest: damaged, said so
    one = tmp_path / "one"
    backup.backup(admin_session, one)
    m = _generations(one)[0] / "manifest.json"
    m.write_bytes(m.read_bytes()[:50])
    with pytest.raises(StoreCorrupt, match="truncated or unreadable"):
        backup.restore(one, tmp_path / "r2", PASSPHRASE)


def test_a_truncated_manifest_in_an_old_layout_folder_is_damage_not_missing(
    admin_session, tmp_path: Path
) -> None:
    """Defect 12 in a folder written by the single-generation version (it said 'no manifest')."""
    _fill(admin_session)
    old = tmp_path / "old"
    make_old_layout_backup(admin_session, old)
    m = old / "manifest.json"
    m.write_bytes(m.read_bytes()[:50])
    with pytest.raises(StoreCorrupt, match="truncated or unreadable") as exc:
        backup.restore(old, tmp_path / "r", PASSPHRASE)
    assert "no manifest" not in exc.value.message


def test_a_damaged_page_in_the_backup_is_recopied_by_the_next_backup(
    admin_session, tmp_path: Path
) -> None:
    """Defect 2: the size of a backed-up page says nothing about its bytes."""
    _fill(admin_session)
    bk = tmp_path / "bk"
    backup.backup(admin_session, bk)
    conn = admin_session.db.connection()
    blob = conn.execute("SELECT blob_id FROM pages ORDER BY id LIMIT 1").fetchone()[0]
    copy = bk / "pages" / blob[:2] / blob
    _flip_byte(copy)  # same size, wrong bytes
    second = backup.backup(admin_session, bk)
    assert second.pages_copied == 1 and second.pages_repaired == 1
    restored, report = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    try:
        assert report.ok, report.problems
    finally:
        restored.close()


def test_restore_with_damaged_pages_restores_the_rest_and_names_the_documents(
    admin_session, tmp_path: Path, cli_env
) -> None:
    """Defect 2: two bad page files in the backup cost those two pages, not the whole restore.
    The pages stay in the index without an image; verify names them; the chart says so."""
    import json
    import subprocess
    import sys

    from clinicrecords.clinic import auth
    from clinicrecords.records import charts
    from tests.conftest import PASSWORD, USERS

    _fill(admin_session)
    bk = tmp_path / "bk"
    backup.backup(admin_session, bk)
    conn = admin_session.db.connection()
    rows = conn.execute("SELECT id, document_id, blob_id FROM pages ORDER BY id").fetchall()
    (damaged_page, damaged_doc, damaged_blob) = rows[0]
    (missing_page, missing_doc, missing_blob) = rows[3]
    _flip_byte(bk / "pages" / damaged_blob[:2] / damaged_blob)
    (bk / "pages" / missing_blob[:2] / missing_blob).unlink()
    before = {t: _dump(conn, t) for t in ("patients", "documents", "pages")}

    result = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    try:
        assert result.lost_pages == {damaged_doc: 1, missing_doc: 1}
        assert sorted(result.report.unreadable) == [("page", damaged_page), ("page", missing_page)]
        rc = result.store.db.connection()
        assert {t: _dump(rc, t) for t in before} == before  # the index is whole
        for page_id, _doc, blob in rows:
            if page_id not in (damaged_page, missing_page):
                assert result.store.pages.get(blob)
        report = backup.verify_store(result.store)
        assert sorted(report.unreadable) == [("page", damaged_page), ("page", missing_page)]
        assert any(
            p.startswith(f"page {missing_page}:") and "missing" in p for p in report.problems
        )
        session = auth.login(result.store, USERS["admin"], PASSWORD)
        with pytest.raises(StoreCorrupt, match="missing"):
            charts.page_image(session, missing_page)
    finally:
        result.store.close()

    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(tmp_path / "cli"), "restore",
         str(bk), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 8, r.stderr
    out = json.loads(r.stdout)
    assert {(d["document_id"], d["pages"]) for d in out["lost_pages"]} == {
        (damaged_doc, 1),
        (missing_doc, 1),
    }
    assert f"document {damaged_doc} (1 page)" in r.stderr
    assert "Backup" not in r.stderr and "Pat" not in r.stderr  # no names on stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_a_page_missing_from_the_store_keeps_its_good_backup_copy_or_is_reported(
    store, admin_session, tmp_path: Path
) -> None:
    """The store lost a page file. A folder that holds a good copy keeps it (the next backup
    relies on it); a new folder gets everything else and a warning (this crashed, exit 70)."""
    _fill(admin_session)
    bk = tmp_path / "bk"
    backup.backup(admin_session, bk)
    page_id, doc_id, blob = (
        admin_session.db.connection()
        .execute("SELECT id, document_id, blob_id FROM pages ORDER BY id LIMIT 1")
        .fetchone()
    )
    store.pages.path_for(blob).unlink()
    again = backup.backup(admin_session, bk)
    assert again.warnings == [] and again.pages_unavailable == 0
    restored, report = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    restored.close()
    assert report.ok  # the backup still has the page the store lost

    fresh = backup.backup(admin_session, tmp_path / "fresh")
    assert fresh.pages_unavailable == 1 and fresh.pages_total == 6
    assert any("missing or damaged in the data folder" in w for w in fresh.warnings)
    result = backup.restore(tmp_path / "fresh", tmp_path / "r2", PASSPHRASE)
    result.store.close()
    assert result.lost_pages == {doc_id: 1} and result.report.unreadable == [("page", page_id)]


def test_an_old_layout_backup_restores_and_is_kept_until_replaced(
    admin_session, tmp_path: Path
) -> None:
    _fill(admin_session)
    bk = tmp_path / "bk"
    make_old_layout_backup(admin_session, bk)
    restored, report = backup.restore(bk, tmp_path / "r", PASSPHRASE)
    restored.close()
    assert report.ok and report.checked_pages == 6
    _add_one(admin_session, "Later")
    result = backup.backup(admin_session, bk)
    assert result.pages_copied == 1 and result.generations_kept == 2
    assert (bk / "manifest.json").exists() and (bk / "clinic.db").exists()
    old = backup.restore(bk, tmp_path / "r2", PASSPHRASE, generation="old")
    old.store.close()
    assert old.generation == "" and old.report.checked_pages == 6
    for label in ("Two", "Three"):
        _add_one(admin_session, label)
        backup.backup(admin_session, bk)
    assert not (bk / "manifest.json").exists() and not (bk / "clinic.db").exists()
    assert len(_generations(bk)) == 3
    newest = backup.restore(bk, tmp_path / "r3", PASSPHRASE)
    newest.store.close()
    assert newest.report.ok and newest.report.checked_pages == 9
