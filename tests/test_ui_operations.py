"""Help ▸ About shows the status off the UI thread; administrators are warned, in words, when
no good backup is recent or no restore drill has run."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from clinicrecords.admin import backup, drill
from clinicrecords.ui.admin.operations import BackupHealthLabel, StatusDialog
from clinicrecords.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _window(qtbot, session) -> MainWindow:
    w = MainWindow(session)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _close(w: MainWindow) -> None:
    w._signing_out = True  # closing must not quit the test's QApplication
    w.close()


def test_an_administrator_is_warned_until_a_backup_and_a_drill_are_recent(
    qtbot, admin_session, tmp_path: Path
) -> None:
    w = _window(qtbot, admin_session)
    try:
        label = w.findChild(BackupHealthLabel, "backupHealthLabel")
        qtbot.waitUntil(lambda: label.isVisible(), timeout=10000)
        assert "Backup warning: No backup of this store has finished yet" in label.text()
        assert "No restore drill" in label.accessibleDescription()
        backup.backup(admin_session, tmp_path / "bk")
        drill.drill(admin_session, tmp_path / "bk", scratch=tmp_path)
        label.refresh()
        qtbot.waitUntil(lambda: not label.isVisible(), timeout=10000)
        assert label.warnings == []
    finally:
        _close(w)


def test_about_shows_the_status_read_off_the_ui_thread(qtbot, admin_session, store) -> None:
    w = _window(qtbot, admin_session)
    try:
        # The window's first focus (the search box) is set once the event loop runs.
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key_F1, Qt.ControlModifier)
        qtbot.waitUntil(lambda: isinstance(getattr(w, "about_dialog", None), StatusDialog))
        dlg = w.about_dialog
        qtbot.waitUntil(lambda: dlg.info is not None, timeout=10000)
        text = dlg.text.toPlainText()
        assert f"Data folder: {store.data_dir.resolve()}" in text
        assert "Last backup: never" in text and "Last restore drill: never" in text
        assert "Clinic network: not joined" in text
        assert dlg.info["version"] and dlg.info["free_bytes"] > 0
        dlg.close()
    finally:
        _close(w)


def test_a_clerk_sees_about_but_no_backup_warning(qtbot, session_for) -> None:
    w = _window(qtbot, session_for("clerk"))
    try:
        assert w.findChild(BackupHealthLabel, "backupHealthLabel") is None
        w.show_about()
        qtbot.waitUntil(lambda: w.about_dialog.info is not None, timeout=10000)
        w.about_dialog.close()
    finally:
        _close(w)
