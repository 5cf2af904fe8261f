"""Backup → restore gives back every patient, document, page and audit row; verify finds damage."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clinicrecords import backup
from clinicrecords.documents import PageInput, add_document
from clinicrecords.errors import BadInput, StoreCorrupt
from clinicrecords.patients import PatientInput, register_patient
from tests.conftest import PASSPHRASE
from tests.helpers import png_page

TABLES = ("patients", "documents", "pages", "users", "audit_log", "doc_types")


def _dump(conn, table: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]


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
    db = tmp_path / "bk" / "clinic.db"
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


def test_a_consistently_rewritten_audit_trail_is_caught_by_the_last_backup(
    admin_session, tmp_path: Path
) -> None:
    """Someone with the key rewrites an old audit row and recomputes every hash after it, so
    the chain itself verifies. The head recorded (and signed) by the previous backup does not
    match any more: the next backup into that folder says so."""
    from clinicrecords import audit

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
