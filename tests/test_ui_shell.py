"""The desktop shell with real widgets: first run, sign-in, status bar, search box, idle lock."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.ui.dialogs import LoginDialog
from clinicrecords.ui.main_window import MainWindow
from tests.conftest import PASSWORD, USERS

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, admin_session):
    w = MainWindow(admin_session)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w._signing_out = True  # closing in teardown must not quit the test's QApplication
    w.close()


def test_login_dialog_refuses_then_accepts(qtbot, store) -> None:
    dlg = LoginDialog(store)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    qtbot.keyClicks(dlg.username, USERS["clerk"])
    qtbot.keyClicks(dlg.password, "wrong-password")
    qtbot.keyClick(dlg.password, Qt.Key_Return)
    assert "not correct" in dlg.error.text()
    dlg.password.clear()
    qtbot.keyClicks(dlg.password, PASSWORD)
    qtbot.keyClick(dlg.password, Qt.Key_Return)
    assert dlg.session is not None and dlg.session.user.username == USERS["clerk"]


def test_main_window_shows_user_and_data_dir_and_focuses_search(qtbot, window, store) -> None:
    assert "admin" in window.user_label.text()
    assert str(store.data_dir) in window.dir_label.text()
    assert window.tabs.count() == 3  # admin sees the release tab
    qtbot.keyClick(window, Qt.Key_F3)
    assert window.tabs.currentWidget() is window.scan_page
    qtbot.keyClick(window, Qt.Key_F2)
    assert window.chart_page.search.hasFocus()


def test_clerk_has_no_release_tab(qtbot, session_for) -> None:
    w = MainWindow(session_for("clerk"))
    qtbot.addWidget(w)
    assert w.tabs.count() == 2 and w.release_page is None
    w._signing_out = True
    w.close()


def test_typing_in_search_box_finds_and_enter_opens(qtbot, window, admin_session) -> None:
    p = register_patient(
        admin_session, PatientInput(family="Thistlewood", given="Marguerite", dob=date(1958, 7, 21))
    )
    opened: list[int] = []
    window.chart_page.chart_requested.connect(opened.append)
    qtbot.keyClicks(window.chart_page.search, "thistlewod 7/21/58")
    qtbot.waitUntil(lambda: window.chart_page.model.rowCount() > 0, timeout=5000)
    assert window.chart_page.model.row_object(0).patient.id == p.id
    qtbot.keyClick(window.chart_page.search, Qt.Key_Down)
    qtbot.keyClick(window.chart_page.table, Qt.Key_Return)
    assert opened == [p.id]


def test_idle_lock_hides_records_and_unlocks_with_password(qtbot, window) -> None:
    window.idle.set_minutes(0.001)  # 60 ms
    qtbot.waitUntil(lambda: window.locked, timeout=3000)
    assert not window.centralWidget().isVisible()
    dlg = window.lock_dialog
    assert dlg.username.text() == USERS["admin"] and dlg.username.isReadOnly()
    qtbot.keyClicks(dlg.password, PASSWORD)
    window.idle.set_minutes(5)
    qtbot.keyClick(dlg.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: not window.locked, timeout=3000)
    assert window.centralWidget().isVisible()
    actions = [r[0] for r in window.session.db.connection().execute("SELECT action FROM audit_log")]
    assert "session.lock" in actions and "session.unlock" in actions


def test_every_menu_action_has_working_keys(window) -> None:
    from PySide6.QtGui import QKeySequence

    quit_action = window.findChild(type(window.menuBar().actions()[0]), "quitAction")
    assert quit_action.shortcut() == QKeySequence("Ctrl+Q")
    lock = window.findChild(type(quit_action), "lockAction")
    assert lock.shortcut() == QKeySequence("Ctrl+L")


def test_larger_and_smaller_text_rescale_the_whole_style_within_limits(window) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    font, sheet = app.font(), app.styleSheet()
    try:
        window.zoom_font(+1)
        assert window.font_pt == 12.0 and app.font().pointSizeF() == 12.0
        assert "font-size: 12.0pt" in app.styleSheet() and "16.2pt" in app.styleSheet()
        window.zoom_font(-10)
        assert window.font_pt == 8.0 and "font-size: 8.0pt" in app.styleSheet()
        window.zoom_font(+40)
        assert window.font_pt == 24.0
    finally:
        app.setFont(font)
        app.setStyleSheet(sheet)


def test_unexpected_errors_reach_the_log_without_their_message(
    tmp_path, monkeypatch, capsys
) -> None:
    """An exception escaping a slot may quote patient data: the log keeps its type and place only."""
    import logging

    from clinicrecords.common import devlog
    from clinicrecords.ui.app import _excepthook

    log_file = tmp_path / "dev.log"
    handler = logging.FileHandler(log_file)
    devlog.LOG.addHandler(handler)
    try:
        try:
            raise ValueError("QUILLFEATHER Ottoline 1961-05-17")
        except ValueError as exc:
            _excepthook(type(exc), exc, exc.__traceback__)
    finally:
        devlog.LOG.removeHandler(handler)
        handler.close()
    logged = log_file.read_text()
    assert "ValueError" in logged and "QUILLFEATHER" not in logged
    assert "QUILLFEATHER" not in capsys.readouterr().err


def test_lock_hides_open_forms_and_brings_them_back(qtbot, window) -> None:
    """A half-filled registration form shows a patient: the lock must hide it as well."""
    from clinicrecords.ui.chart.registration import RegistrationDialog

    window.chart_page.new_patient()
    form = window.chart_page.registration
    assert isinstance(form, RegistrationDialog)
    qtbot.waitUntil(form.isVisible, timeout=3000)
    window.lock()
    assert window.locked and not form.isVisible()
    dlg = window.lock_dialog
    qtbot.keyClicks(dlg.password, PASSWORD)
    qtbot.keyClick(dlg.password, Qt.Key_Return)
    qtbot.waitUntil(lambda: not window.locked, timeout=3000)
    assert form.isVisible()
    form.reject()


def test_reprinting_the_recovery_sheet_goes_to_the_printer_and_writes_no_file(
    qtbot, window, tmp_path: Path, monkeypatch
) -> None:
    """File ▸ Print recovery sheet renders from memory: the only copy of the key written
    anywhere is what the chosen printer produces (here a print-to-file the person chose)."""
    from PySide6.QtPrintSupport import QPrinter

    from clinicrecords.ui import printing

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    printed = tmp_path / "printer-output.pdf"

    def chosen_printer(*args, **kwargs) -> QPrinter:
        printer = QPrinter(QPrinter.HighResolution)
        printer.setOutputFormat(QPrinter.PdfFormat)
        printer.setOutputFileName(str(printed))
        return printer

    monkeypatch.setattr(printing, "ask_printer", chosen_printer)
    window.recovery_sheet()
    assert printed.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "home", "printer-output.pdf"]
    assert list((tmp_path / "home").iterdir()) == []
    with window.session.db.read() as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-1] == "key.recovery_sheet"


def test_no_two_actions_share_a_shortcut(qtbot, window) -> None:
    """Every menu action of an administrator's window has its own key (a clash makes Qt fire
    neither)."""
    from PySide6.QtGui import QAction

    seen: dict[str, str] = {}
    clashes = []
    for action in window.findChildren(QAction):
        key = action.shortcut().toString()
        if key:
            if key in seen:
                clashes.append(f"{key}: {seen[key]} / {action.text()}")
            seen[key] = action.text()
    assert clashes == []


def test_no_two_chart_keys_collide(qtbot, window) -> None:
    """The chart's own keys (corrections, holds and amendments, viewer) are each bound once."""
    from PySide6.QtGui import QShortcut

    view = window.chart_page.chart_view
    keys: dict[str, int] = {}
    for sc in view.findChildren(QShortcut):
        for key in {seq.toString() for seq in [sc.key(), *sc.keys()] if not seq.isEmpty()}:
            keys[key] = keys.get(key, 0) + 1
    clashes = {k: n for k, n in keys.items() if n > 1}
    assert clashes == {}
