"""The first-run wizard's "join the clinic's server" path, by keyboard, against the real server:
the join (with its first sync) runs off the UI thread and the clinic's accounts come with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from clinicrecords.clinic import auth
from clinicrecords.sync.client import require_state
from clinicrecords.ui import first_run
from clinicrecords.ui.first_run import FirstRunWizard
from tests.conftest import PASSPHRASE, PASSWORD, USERS

pytestmark = pytest.mark.gui


@pytest.mark.slow
def test_joining_by_keyboard_copies_the_clinic_and_its_accounts(
    qtbot, clinic, tmp_path: Path
) -> None:
    first = clinic.attach_first("front-1")
    first.register("Joiner", "Ann", "1971-02-03")
    first.sync()
    data = tmp_path / "front-2"
    wiz = FirstRunWizard(data)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitExposed(wiz)
    qtbot.keyClick(wiz.choice_page.join, Qt.Key_Space)
    qtbot.keyClick(wiz.choice_page.join, Qt.Key_Return)
    assert wiz.currentId() == first_run.JOIN
    page = wiz.join_page
    qtbot.keyClicks(page.url, clinic.url)
    qtbot.keyClicks(page.phrase, "a wrong passphrase")
    qtbot.keyClick(page.phrase, Qt.Key_Return)
    qtbot.waitUntil(lambda: "not correct" in page.error.text(), timeout=30000)
    assert wiz.currentId() == first_run.JOIN and wiz.store is None
    page.phrase.clear()
    qtbot.keyClicks(page.phrase, PASSPHRASE)
    qtbot.keyClick(page.phrase, Qt.Key_Return)
    assert page.busy and page.progress.isVisible()  # the UI thread is free meanwhile
    qtbot.waitUntil(lambda: wiz.result() == QDialog.Accepted, timeout=60000)
    store = wiz.store
    try:
        assert wiz.session is None  # the person signs in next
        assert require_state(store).workstation_no == 2
        session = auth.login(store, USERS["clerk"], PASSWORD)
        from clinicrecords.registry.lookup import search_patients

        assert [r.patient.family for r in search_patients(session, "joiner")] == ["Joiner"]
    finally:
        store.close()
