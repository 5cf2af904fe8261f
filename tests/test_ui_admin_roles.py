"""The accounts dialog changes an account's role, by keyboard, through ``auth.set_role`` (which
the clinic network carries to every PC): audited, and the person signs in with the new role."""

from __future__ import annotations

from PySide6.QtCore import Qt

from clinicrecords.clinic import auth
from tests.conftest import PASSWORD, USERS
from tests.test_ui_admin import _account, _actions, _select, users  # noqa: F401 (fixture)


def test_role_change_by_keyboard_is_audited_and_takes_effect(qtbot, users, store) -> None:  # noqa: F811
    clerk = USERS["clerk"]
    _select(qtbot, users, clerk)
    assert users.role_combo.currentText() == "clerk"
    assert not users.role_button.isEnabled()  # nothing to change yet
    users.role_combo.setFocus()
    qtbot.keyClick(users.role_combo, Qt.Key_R)  # "release"
    assert users.role_combo.currentText() == "release" and users.role_button.isEnabled()
    qtbot.keyClick(users, Qt.Key_L, Qt.AltModifier)
    qtbot.waitUntil(
        lambda: not users.busy and _account(users, clerk).role == "release", timeout=5000
    )
    assert "now has the role release" in users.status.text()
    assert users.selected().username == clerk and users.role_combo.currentText() == "release"
    assert any('"new":"release"' in d for d in _actions(users.session, "user.role"))
    assert auth.login(store, clerk, PASSWORD).user.role == "release"
    assert users.role_combo.accessibleName() and users.role_button.accessibleName()
