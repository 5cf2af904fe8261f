"""The administrator's screens with real widgets on a real store: accounts, settings, the audit
trail with its chain check, and the review of emergency accesses."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog

from clinicrecords.admin import review as admin_review
from clinicrecords.clinic import auth, settings
from clinicrecords.clinic.settings import Setting, get_setting
from clinicrecords.common.errors import AuthError, BadInput
from clinicrecords.ui.admin import audit as admin_audit
from clinicrecords.ui.admin.audit import AuditDialog
from clinicrecords.ui.admin.settings import SettingsDialog, widget_name
from clinicrecords.ui.admin.users import ResetPasswordDialog, UsersDialog
from clinicrecords.ui.main_window import MainWindow
from tests.conftest import PASSWORD, USERS

pytestmark = pytest.mark.gui
NEW_PASSWORD = "battery-staple-9"


def _open(qtbot, dlg):  # type: ignore[no-untyped-def]
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.activateWindow()
    return dlg


def _actions(session, action: str) -> list[str]:
    conn = session.db.connection()
    return [r[0] for r in conn.execute("SELECT detail FROM audit_log WHERE action = ?", (action,))]


@pytest.fixture
def users(qtbot, admin_session):
    dlg = _open(qtbot, UsersDialog(admin_session))
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 3 and not dlg.busy, timeout=5000)
    return dlg


def _select(qtbot, dlg: UsersDialog, username: str) -> None:
    names = [a.username for a in dlg.model.rows]
    dlg.table.setFocus()
    dlg.table.selectRow(names.index(username))
    assert dlg.selected().username == username


def _account(dlg: UsersDialog, username: str):  # type: ignore[no-untyped-def]
    return next(a for a in dlg.model.rows if a.username == username)


# --- accounts --------------------------------------------------------------------------------


def test_add_user_by_keyboard_and_sign_in_as_them(qtbot, users, store) -> None:
    qtbot.keyClick(users.table, Qt.Key_N, Qt.ControlModifier)
    assert users.new_username.hasFocus()
    qtbot.keyClicks(users.new_username, "nurse.jo")
    qtbot.keyClick(users.new_username, Qt.Key_Tab)
    qtbot.keyClicks(users.new_full_name, "Jo Nurse")
    qtbot.keyClick(users.new_full_name, Qt.Key_Tab)
    assert users.new_role.hasFocus()
    qtbot.keyClick(users.new_role, Qt.Key_R)  # "release"
    qtbot.keyClick(users.new_role, Qt.Key_Tab)
    qtbot.keyClicks(users.new_password1, NEW_PASSWORD)
    qtbot.keyClick(users.new_password1, Qt.Key_Tab)
    qtbot.keyClicks(users.new_password2, "battery-typo")
    qtbot.keyClick(users.new_password2, Qt.Key_Return)
    assert "differ" in users.error.text()
    users.new_password2.clear()
    qtbot.keyClicks(users.new_password2, NEW_PASSWORD)
    qtbot.keyClick(users.new_password2, Qt.Key_Return)
    qtbot.waitUntil(lambda: users.model.rowCount() == 4 and not users.busy, timeout=5000)
    assert users.selected().username == "nurse.jo"
    assert users.new_username.text() == "" and users.new_password1.text() == ""
    session = auth.login(store, "nurse.jo", NEW_PASSWORD)
    assert session.user.role == "release" and session.user.full_name == "Jo Nurse"
    # the service's sentence for a refused account, shown as it is
    qtbot.keyClicks(users.new_username, "nurse.jo")
    qtbot.keyClicks(users.new_password1, NEW_PASSWORD)
    qtbot.keyClicks(users.new_password2, NEW_PASSWORD)
    qtbot.keyClick(users.new_password2, Qt.Key_Return)
    qtbot.waitUntil(lambda: users.error.text() == "That user name is taken.", timeout=5000)


def test_deactivate_refuses_sign_in_and_reactivate_restores_it(qtbot, users, store) -> None:
    _select(qtbot, users, USERS["clerk"])
    assert users.toggle_button.text() == "&Deactivate"
    users.toggle_button.click()
    qtbot.waitUntil(lambda: not _account(users, USERS["clerk"]).active, timeout=5000)
    assert "can no longer sign in" in users.status.text()
    with pytest.raises(AuthError):
        auth.login(store, USERS["clerk"], PASSWORD)
    qtbot.waitUntil(lambda: not users.busy, timeout=5000)
    assert users.selected().username == USERS["clerk"]
    assert users.toggle_button.text() == "Re&activate"
    users.toggle_button.click()
    qtbot.waitUntil(lambda: _account(users, USERS["clerk"]).active, timeout=5000)
    auth.login(store, USERS["clerk"], PASSWORD)
    # one's own account (here the only administrator) cannot be switched off
    qtbot.waitUntil(lambda: not users.busy, timeout=5000)
    _select(qtbot, users, USERS["admin"])
    users.toggle_button.click()
    qtbot.waitUntil(lambda: "your own account" in users.error.text(), timeout=5000)


def test_reset_password_clears_lock_out(qtbot, users, store) -> None:
    clerk = USERS["clerk"]
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError):
            auth.login(store, clerk, "wrong password")
    with pytest.raises(AuthError, match="locked"):
        auth.login(store, clerk, PASSWORD)
    qtbot.keyClick(users.table, Qt.Key_F5)
    qtbot.waitUntil(lambda: _account(users, clerk).locked_until is not None, timeout=5000)
    row = [a.username for a in users.model.rows].index(clerk)
    assert users.model.index(row, 4).data().startswith("until ")

    _select(qtbot, users, clerk)
    qtbot.keyClick(users.table, Qt.Key_Return)  # Enter on an account: new password
    dlg = users.reset_dialog
    assert isinstance(dlg, ResetPasswordDialog) and dlg.isVisible()
    qtbot.keyClicks(dlg.password1, NEW_PASSWORD)
    qtbot.keyClick(dlg.password1, Qt.Key_Tab)
    qtbot.keyClicks(dlg.password2, "not the same")
    qtbot.keyClick(dlg.password2, Qt.Key_Return)
    assert "differ" in dlg.error.text() and dlg.isVisible()
    dlg.password2.clear()
    qtbot.keyClicks(dlg.password2, NEW_PASSWORD)
    qtbot.keyClick(dlg.password2, Qt.Key_Return)
    qtbot.waitUntil(lambda: "new password" in users.status.text(), timeout=5000)
    qtbot.waitUntil(lambda: _account(users, clerk).locked_until is None, timeout=5000)
    assert auth.login(store, clerk, NEW_PASSWORD).user.username == clerk


def test_own_account_and_last_administrator_cannot_be_deactivated(session_for) -> None:
    admin = session_for("admin")
    auth.add_user(admin, "second.admin", "admin", NEW_PASSWORD)
    other = auth.login(admin.store, "second.admin", NEW_PASSWORD)
    with pytest.raises(BadInput, match="own account"):
        admin_review.set_account_active(other, "second.admin", False)
    admin_review.set_account_active(other, USERS["admin"], False)  # two admins: allowed
    assert _actions(admin, "user.deactivate")
    # admin's session outlives the switch; second.admin is now the only active administrator
    with pytest.raises(BadInput, match="only active administrator"):
        admin_review.set_account_active(admin, "second.admin", False)
    admin_review.set_account_active(other, USERS["admin"], True)


# --- settings --------------------------------------------------------------------------------


@pytest.fixture
def settings_dialog(qtbot, admin_session):
    dlg = _open(qtbot, SettingsDialog(admin_session))
    qtbot.waitUntil(lambda: dlg.loaded is not None, timeout=5000)
    return dlg


def test_settings_change_only_what_changed_persisted_and_audited(
    qtbot, settings_dialog, admin_session
) -> None:
    dlg = settings_dialog
    assert set(dlg.fields) == set(settings.SETTINGS)
    kinds = {k: type(f.widget).__name__ for k, f in dlg.fields.items()}
    assert kinds["locale.date_order"] == "QComboBox"
    assert kinds["release.due_days"] == "QSpinBox"
    assert kinds["security.idle_minutes"] == "QDoubleSpinBox"
    assert kinds["scan.remove_originals"] == "QCheckBox"
    assert kinds["clinic.name"] == "QLineEdit"
    assert dlg.fields["release.due_days"].widget.maximum() == 90
    assert dlg.fields["clinic.name"].widget.text() == "Test Clinic"

    days = dlg.findChild(
        type(dlg.fields["release.due_days"].widget), widget_name("release.due_days")
    )
    days.setFocus()
    days.selectAll()
    qtbot.keyClicks(days, "45")
    combo = dlg.fields["locale.date_order"].widget
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key_D)  # DMY
    assert dlg.changes() == {"release.due_days": 45, "locale.date_order": "DMY"}
    qtbot.keyClick(days, Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: dlg.result() == QDialog.Accepted, timeout=5000)
    assert get_setting(admin_session, "release.due_days") == 45
    assert get_setting(admin_session, "locale.date_order") == "DMY"
    changes = _actions(admin_session, "settings.change")
    assert len(changes) == 2  # nothing else was written
    assert any('"new":45' in d and '"old":30' in d for d in changes)


def test_settings_refused_value_shows_the_sentence_and_writes_nothing(
    qtbot, settings_dialog, admin_session, monkeypatch
) -> None:
    dlg = settings_dialog
    # The field allows 1..90; the service (here made stricter) has the last word.
    spec = settings.SETTINGS["release.due_days"]
    stricter = Setting(spec.key, spec.type, spec.default, spec.label, (), 1, 60)
    monkeypatch.setitem(settings.SETTINGS, "release.due_days", stricter)
    dlg.fields["clinic.name"].widget.setText("Birch Lane Clinic")
    dlg.fields["release.due_days"].widget.setValue(75)
    dlg.save_button.click()
    qtbot.waitUntil(lambda: "must be between 1 and 60" in dlg.error.text(), timeout=5000)
    assert dlg.isVisible() and dlg.save_button.isEnabled()
    assert get_setting(admin_session, "clinic.name") == "Test Clinic"  # all or nothing
    assert _actions(admin_session, "settings.change") == []


# --- audit trail -----------------------------------------------------------------------------


@pytest.fixture
def audit_dialog(qtbot, admin_session):
    dlg = _open(qtbot, AuditDialog(admin_session))
    qtbot.waitUntil(lambda: dlg.model.rowCount() > 0, timeout=5000)
    return dlg


def test_audit_viewer_shows_newest_rows_filters_and_pages(
    qtbot, store, admin_session, monkeypatch
) -> None:
    with pytest.raises(AuthError):
        auth.login(store, USERS["clerk"], "wrong password")
    monkeypatch.setattr(admin_audit, "PAGE_SIZE", 3)
    dlg = _open(qtbot, AuditDialog(admin_session))
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 3, timeout=5000)
    ids = [r.id for r in dlg.model.rows]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert dlg.page_label.text() == "Rows 1–3" and dlg.older_button.isEnabled()
    assert not dlg.newer_button.isEnabled()
    assert dlg.filter.hasFocus()
    dlg.older_button.click()
    qtbot.waitUntil(lambda: dlg.page_label.text() == "Rows 4–6", timeout=5000)
    assert max(r.id for r in dlg.model.rows) < min(ids)

    qtbot.keyClicks(dlg.filter, "login.fail")
    qtbot.waitUntil(lambda: not dlg.loading, timeout=5000)
    assert dlg.page_label.text() == "Rows 1–1"
    row = dlg.model.rows[0]
    assert row.action == "login.failed" and row.username == USERS["clerk"]
    assert dlg.model.index(0, 2).data() == "login.failed"
    dlg.filter.clear()
    qtbot.keyClicks(dlg.filter, USERS["admin"])  # a user name
    qtbot.waitUntil(lambda: not dlg.loading, timeout=5000)
    assert dlg.model.rowCount() == 3
    assert all(USERS["admin"] in (r.username + r.object) for r in dlg.model.rows)
    dlg.filter.clear()
    qtbot.keyClicks(dlg.filter, "no such action")
    qtbot.waitUntil(lambda: not dlg.loading, timeout=5000)
    assert dlg.page_label.text() == "No rows match" and dlg.model.rowCount() == 0


def test_verify_chain_reports_ok_then_the_tampering(qtbot, audit_dialog, admin_session) -> None:
    dlg = audit_dialog
    qtbot.keyClick(dlg.filter, Qt.Key_V, Qt.AltModifier)
    qtbot.waitUntil(lambda: dlg.verify_report is not None, timeout=10000)
    assert dlg.verify_report.ok and dlg.verify_label.text().startswith("OK")

    conn = admin_session.db.connection()
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("UPDATE audit_log SET username = 'someone' WHERE id = 2")
    dlg.verify_button.click()
    qtbot.waitUntil(lambda: dlg.verify_report is not None, timeout=10000)
    assert not dlg.verify_report.ok
    assert "PROBLEM" in dlg.verify_label.text()
    assert "row 2 was edited" in dlg.verify_label.text()


def test_emergency_access_is_listed_for_review_and_marked_reviewed(
    qtbot, session_for, admin_session
) -> None:
    clerk = session_for("clerk")
    clerk.break_glass("Patient collapsed at the front desk")
    clerk.require("document.read_sensitive")
    clerk.audit("page.view", "page", 17)
    auth.logout(clerk)
    other = session_for("release")
    other.audit("page.view", "page", 18)  # not under emergency access: not listed

    assert admin_review.pending_count(admin_session) == 1
    dlg = _open(qtbot, AuditDialog(admin_session))
    qtbot.waitUntil(lambda: dlg.reviews_model.rowCount() == 1, timeout=5000)
    assert "(1)" in dlg.tabs.tabText(admin_audit.REVIEW_TAB)
    qtbot.keyClick(dlg.filter, Qt.Key_E, Qt.AltModifier)
    assert dlg.tabs.currentIndex() == admin_audit.REVIEW_TAB
    review = dlg.selected_review()
    assert review.username == USERS["clerk"] and "collapsed" in review.reason
    actions = [r.action for r in dlg.review_rows_model.rows]
    assert actions == ["emergency.start", "emergency.use", "page.view", "emergency.end"]
    assert {r.username for r in dlg.review_rows_model.rows} == {USERS["clerk"]}

    dlg.mark_button.click()  # no note yet
    qtbot.waitUntil(lambda: "note" in dlg.review_error.text(), timeout=5000)
    qtbot.keyClicks(dlg.review_note, "Checked with the doctor on duty: justified")
    qtbot.keyClick(dlg.review_note, Qt.Key_Return)
    qtbot.waitUntil(lambda: dlg.reviews_model.rowCount() == 0, timeout=5000)
    assert admin_review.pending_emergency_reviews(admin_session) == []
    detail = _actions(admin_session, "emergency.reviewed")
    assert (
        len(detail) == 1
        and "justified" in detail[0]
        and f'"start_id":{review.start_id}' in detail[0]
    )
    with pytest.raises(BadInput, match="changed meanwhile"):
        admin_review.mark_reviewed(admin_session, 0, "again")


def test_second_emergency_access_of_the_same_user_is_its_own_review(session_for) -> None:
    admin, clerk = session_for("admin"), session_for("clerk")
    for reason in ("First emergency for a patient", "Second emergency, another patient"):
        clerk.break_glass(reason)
        clerk.audit("page.view", "page", 1)
        clerk.end_emergency()
    reviews = admin_review.pending_emergency_reviews(admin)
    assert [r.reason for r in reviews] == [
        "First emergency for a patient",
        "Second emergency, another patient",
    ]
    assert all(len(r.rows) == 3 for r in reviews)
    admin_review.mark_reviewed(admin, 0, "fine", expected=reviews[0].entry)
    (left,) = admin_review.pending_emergency_reviews(admin)
    assert left.start_id == reviews[1].start_id and left.index == 0


# --- the menu --------------------------------------------------------------------------------


def _window(qtbot, session) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(session)
    qtbot.addWidget(w)
    return w


def test_admin_menu_keys_open_the_screens_and_status_shows_reviews(
    qtbot, session_for, admin_session
) -> None:
    clerk = session_for("clerk")
    clerk.break_glass("Patient collapsed at the front desk")
    w = _window(qtbot, admin_session)
    w.show()
    qtbot.waitExposed(w)
    try:
        titles = [a.text() for a in w.menuBar().actions()]
        assert titles == ["&File", "&View", "Adm&inistration", "&Help"]
        keys = {
            name: w.findChild(QAction, name).shortcut()
            for name in ("usersAction", "settingsAction", "auditAction", "reviewAction")
        }
        assert keys["usersAction"] == QKeySequence("F9")
        assert keys["reviewAction"] == QKeySequence("Shift+F12")
        from clinicrecords.ui.main_window import SHORTCUTS_HELP

        for key in ("F9", "F11", "F12", "Shift+F12"):
            assert key in SHORTCUTS_HELP
        qtbot.waitUntil(lambda: w.reviews_label.isVisible(), timeout=5000)
        assert "1 emergency access to review" in w.reviews_label.text()

        qtbot.keyClick(w, Qt.Key_F9)
        qtbot.waitUntil(lambda: "users" in w.admin_dialogs, timeout=3000)
        users = w.admin_dialogs["users"]
        assert isinstance(users, UsersDialog) and users.isVisible()
        qtbot.waitUntil(lambda: not users.busy, timeout=5000)
        users.reject()
        qtbot.waitUntil(lambda: "users" not in w.admin_dialogs, timeout=3000)

        w.reviews_label.linkActivated.emit("review")
        audit = w.admin_dialogs["audit"]
        assert audit.tabs.currentIndex() == admin_audit.REVIEW_TAB
        qtbot.waitUntil(lambda: audit.reviews_model.rowCount() == 1, timeout=5000)
        audit.review_note.setText("Seen")
        audit.mark_reviewed()
        qtbot.waitUntil(lambda: not w.reviews_label.isVisible(), timeout=5000)
        audit.reject()

        w.findChild(QAction, "settingsAction").trigger()
        settings_dlg = w.admin_dialogs["settings"]
        assert isinstance(settings_dlg, SettingsDialog)
        w.idle.idle.emit()  # the idle lock closes an open administration screen
        assert w.locked and not settings_dlg.isVisible() and "settings" not in w.admin_dialogs
        w.lock_dialog.reject()
    finally:
        w._signing_out = True
        w.close()


def test_clerk_has_no_administration_menu(qtbot, session_for) -> None:
    w = _window(qtbot, session_for("clerk"))
    try:
        titles = [a.text() for a in w.menuBar().actions()]
        assert "Adm&inistration" not in titles and "&Help" in titles
        assert w.findChild(QAction, "usersAction") is None
        assert not hasattr(w, "reviews_label")
    finally:
        w._signing_out = True
        w.close()
