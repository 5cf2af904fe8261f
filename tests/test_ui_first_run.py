"""The first-run wizard driven by keyboard to the end: a new clinic (recovery sheet saved where
the person says, nightly backup registered with the real crontab) and a restore from a backup.
Joining a clinic server is in tests/sync/test_sync_first_run.py (it needs the real server)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from clinicrecords.admin import backup, schedule
from clinicrecords.clinic import auth
from clinicrecords.clinic.store import Store
from clinicrecords.ui import first_run
from clinicrecords.ui.first_run import FirstRunWizard
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.test_backup_schedule import real_crontab  # noqa: F401 - the fixture

pytestmark = pytest.mark.gui


def _wizard(qtbot, data_dir: Path) -> FirstRunWizard:
    wiz = FirstRunWizard(data_dir)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitExposed(wiz)
    return wiz


def _enter(qtbot, widget) -> None:
    qtbot.keyClick(widget, Qt.Key_Return)


def test_a_new_clinic_by_keyboard_saves_the_sheet_and_schedules_the_backup(
    qtbot,
    tmp_path: Path,
    real_crontab: str,  # noqa: F811
) -> None:
    data = tmp_path / "clinic"
    stick = tmp_path / "stick"
    stick.mkdir()
    wiz = _wizard(qtbot, data)
    assert wiz.choice_page.new.isChecked()
    _enter(qtbot, wiz.choice_page.new)
    assert wiz.currentId() == first_run.NEW_CLINIC
    page = wiz.new_page
    qtbot.keyClicks(page.clinic, "Birch Lane Clinic")
    qtbot.keyClicks(page.phrase1, "a long recovery phrase")
    qtbot.keyClicks(page.phrase2, "a long recovery phrase")
    qtbot.keyClicks(page.pw1, "admin-password")
    qtbot.keyClicks(page.pw2, "admin-pass-typo")
    _enter(qtbot, page.pw2)
    assert wiz.currentId() == first_run.NEW_CLINIC and "differ" in page.error.text()
    page.pw2.clear()
    qtbot.keyClicks(page.pw2, "admin-password")
    _enter(qtbot, page.pw2)
    assert wiz.currentId() == first_run.SHEET

    sheet = wiz.sheet_page
    qtbot.keyClicks(sheet.path, str(data / "inside.pdf"))
    _enter(qtbot, sheet.path)  # never inside the data folder; nothing is created
    assert "data folder" in sheet.error.text() and not data.exists()
    sheet.path.clear()
    qtbot.keyClicks(sheet.path, str(stick))
    _enter(qtbot, sheet.path)
    qtbot.waitUntil(lambda: wiz.currentId() == first_run.BACKUP, timeout=20000)
    written = list(stick.iterdir())
    assert len(written) == 1 and written[0].read_bytes().startswith(b"%PDF")
    assert wiz.session is not None and wiz.session.user.role == "admin"

    bk = wiz.backup_page
    qtbot.keyClicks(bk.folder, str(tmp_path / "nightly"))
    bk.at.clear()
    qtbot.keyClicks(bk.at, "25:00")
    _enter(qtbot, bk.at)
    qtbot.waitUntil(lambda: "HH:MM" in bk.error.text(), timeout=10000)
    bk.at.clear()
    qtbot.keyClicks(bk.at, "2:30")
    _enter(qtbot, bk.at)
    qtbot.waitUntil(lambda: wiz.result() == QDialog.Accepted, timeout=20000)
    store = wiz.store
    try:
        sched = schedule.current_schedule(store)
        assert sched is not None and sched.at == "02:30"
        assert sched.folder == str((tmp_path / "nightly").resolve())
        table = subprocess.run(["crontab", "-l"], capture_output=True, text=True).stdout
        assert any(ln.startswith("30 2 * * * ") for ln in table.splitlines())
        schedule.unschedule_backup(wiz.session)
    finally:
        store.close()
    Store.open(data, "a long recovery phrase").close()


def test_a_restore_by_keyboard_brings_the_clinic_back(
    qtbot, store, admin_session, tmp_path: Path
) -> None:
    backup.backup(admin_session, tmp_path / "bk")
    data = tmp_path / "new-pc"
    wiz = _wizard(qtbot, data)
    qtbot.keyClick(wiz.choice_page.restore, Qt.Key_Space)  # (Tab to it, then Space)
    assert wiz.choice_page.restore.isChecked()
    _enter(qtbot, wiz.choice_page.restore)
    assert wiz.currentId() == first_run.RESTORE
    page = wiz.restore_page
    qtbot.keyClicks(page.folder, str(tmp_path / "bk"))
    qtbot.keyClicks(page.phrase, "not the passphrase")
    _enter(qtbot, page.phrase)
    qtbot.waitUntil(lambda: "not correct" in page.error.text(), timeout=20000)
    assert wiz.currentId() == first_run.RESTORE and not data.exists()
    page.phrase.clear()
    qtbot.keyClicks(page.phrase, PASSPHRASE)
    _enter(qtbot, page.phrase)
    qtbot.waitUntil(lambda: wiz.result() == QDialog.Accepted, timeout=30000)
    assert wiz.session is None  # the person signs in next, with the clinic's own accounts
    try:
        assert wiz.store.store_id == store.store_id
        auth.login(wiz.store, USERS["clerk"], PASSWORD)
    finally:
        wiz.store.close()
