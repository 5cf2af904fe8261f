"""The desktop on a clinic network, with real widgets, real stores and the real server: the
status bar's sync line, the loop following the lock, and the administrator's conflicts screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QAction, QKeySequence

from clinicrecords.sync.conflicts import list_conflicts
from clinicrecords.sync.loop import LoopStatus, describe
from clinicrecords.ui.admin.conflicts import ConflictsDialog
from clinicrecords.ui.main_window import SHORTCUTS_HELP, MainWindow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.gui


def test_status_sentences() -> None:
    now = datetime(2026, 3, 2, 14, 0, 0, tzinfo=UTC)
    assert describe(LoopStatus(online=True, last_sync=now - timedelta(seconds=3)), now) == (
        "Online · synced 3 s ago"
    )
    assert describe(LoopStatus(online=True, last_sync=now - timedelta(minutes=5)), now) == (
        "Online · synced 5 min ago"
    )
    since = now - timedelta(minutes=46)
    text = describe(LoopStatus(offline_since=since, outbox=12), now)
    assert text == f"Offline since {since.astimezone().strftime('%H:%M')} — 12 changes waiting"
    assert describe(LoopStatus(offline_since=since, outbox=1), now).endswith("1 change waiting")
    assert describe(LoopStatus(), now).startswith("Connecting")


def _window(qtbot, session) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(session)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=3000)
    return w


def _close(w: MainWindow) -> None:
    w._signing_out = True
    w.close()


def test_stand_alone_pc_has_no_sync_line_nor_conflicts_screen(qtbot, admin_session) -> None:
    w = _window(qtbot, admin_session)
    try:
        assert w.sync_status is None
        assert w.findChild(QAction, "conflictsAction") is None
    finally:
        _close(w)


@pytest.mark.slow
def test_status_bar_follows_the_server_and_the_lock(qtbot, clinic) -> None:
    ws1 = clinic.attach_first("front-1")
    w = _window(qtbot, ws1.session)
    try:
        label = w.sync_status.label
        qtbot.waitUntil(lambda: label.text().startswith("Online · synced"), timeout=10000)
        clinic.pg.cluster.stop()
        try:
            for given in ("Ana", "Bea"):
                ws1.register("Waiting", given, "1980-04-04")
            qtbot.waitUntil(lambda: "Offline since" in label.text(), timeout=10000)
            qtbot.waitUntil(lambda: label.text().endswith("— 2 changes waiting"), timeout=5000)
            assert "cannot be reached" in label.toolTip() or "stopped" in label.toolTip()
            # The clerk is never blocked while the server is away: the UI thread answers.
            t0 = datetime.now()
            qtbot.wait(50)
            assert (datetime.now() - t0).total_seconds() < 1
        finally:
            clinic.pg.cluster.start()
        w.sync_status.loop.wake()  # a person could press "sync now"; the back-off may be long
        qtbot.waitUntil(lambda: label.text().startswith("Online · synced"), timeout=10000)
        assert w.sync_status.loop.status().outbox == 0

        w.lock()  # the lock stops live sync, the unlock starts it again
        assert not w.sync_status.loop.status().running
        qtbot.keyClicks(w.lock_dialog.password, PASSWORD)
        qtbot.keyClick(w.lock_dialog.password, Qt.Key_Return)
        qtbot.waitUntil(lambda: not w.locked, timeout=5000)
        assert w.sync_status.loop.status().running
        ws1.register("After", "Unlock", "1990-01-01")
        qtbot.waitUntil(lambda: w.sync_status.loop.status().outbox == 0, timeout=5000)
    finally:
        _close(w)
        QThreadPool.globalInstance().waitForDone(5000)
    assert not w.sync_status.loop.status().running
    assert not any(t.is_alive() for t in w.sync_status.loop._stopping)


def _make_conflict(clinic):  # type: ignore[no-untyped-def]
    ws1 = clinic.attach_first("front-1")
    p = ws1.register("Okafor", "Chidi", "1961-05-17", phone="555-0100")
    ws2 = clinic.join("front-2")
    ws1.edit(p.mrn, phone="555-1111")
    ws2.edit(p.mrn, phone="555-2222")
    clinic.sync_all()
    return ws1, ws2, p


@pytest.mark.slow
def test_conflicts_screen_from_the_menu_keep_local_then_typed_value(qtbot, clinic) -> None:
    ws1, ws2, p = _make_conflict(clinic)
    (c,) = list_conflicts(ws1.session)
    here, there = (ws1, ws2) if not c.kept_here else (ws2, ws1)  # 'here' lost in the order
    w = _window(qtbot, here.session)
    try:
        action = w.findChild(QAction, "conflictsAction")
        assert action is not None and action.shortcut() == QKeySequence("Shift+F9")
        assert "Shift+F9" in SHORTCUTS_HELP
        qtbot.keyClick(w, Qt.Key_F9, Qt.ShiftModifier)
        qtbot.waitUntil(lambda: "conflicts" in w.admin_dialogs, timeout=3000)
        dlg = w.admin_dialogs["conflicts"]
        assert isinstance(dlg, ConflictsDialog)
        qtbot.waitUntil(lambda: dlg.model.rowCount() == 1 and not dlg.busy, timeout=5000)
        row = [dlg.model.data(dlg.model.index(0, col)) for col in range(7)]
        mine = "555-1111" if here is ws1 else "555-2222"
        theirs = "555-2222" if here is ws1 else "555-1111"
        assert row[:3] == [p.mrn, "phone", theirs] and row[5] == mine
        qtbot.waitUntil(  # names come from the server a moment later
            lambda: dlg.model.data(dlg.model.index(0, 3)) == there.name, timeout=5000
        )
        assert dlg.local_button.isEnabled()
        qtbot.keyClick(dlg, Qt.Key_T, Qt.AltModifier)  # "Keep &this PC's value"
        qtbot.waitUntil(lambda: dlg.model.rowCount() == 0 and not dlg.busy, timeout=5000)
        assert "No open conflicts" in dlg.status.text()
        clinic.sync_all()
        for ws in (ws1, ws2):
            assert ws.charts()[p.mrn][3] == mine and list_conflicts(ws.session) == []
        dlg.reject()
    finally:
        _close(w)
        QThreadPool.globalInstance().waitForDone(5000)

    # A second conflict settled with a typed value, on the other PC.
    ws1.edit(p.mrn, phone="555-3333")
    ws2.edit(p.mrn, phone="555-4444")
    clinic.sync_all()
    dlg = ConflictsDialog(there.session)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 1 and not dlg.busy, timeout=5000)
    qtbot.waitUntil(lambda: bool(dlg.names), timeout=5000)
    qtbot.keyClicks(dlg.value_edit, "555-9999")
    qtbot.keyClick(dlg.value_edit, Qt.Key_Return)
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 0 and not dlg.busy, timeout=5000)
    QThreadPool.globalInstance().waitForDone(5000)  # no worker outlives the stores
    clinic.sync_all()
    for ws in (ws1, ws2):
        assert ws.charts()[p.mrn][3] == "555-9999" and list_conflicts(ws.session) == []
        resolved = list_conflicts(ws.session, include_resolved=True)
        assert [r.resolution for r in resolved] == [mine, "555-9999"]


def test_conflicts_screen_needs_the_permission(session_for) -> None:
    from clinicrecords.common.errors import AccessDenied

    with pytest.raises(AccessDenied):
        ConflictsDialog(session_for("clerk"))
