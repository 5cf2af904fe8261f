"""Users and passwords: the accounts list, a new account, switching one off, a new password.

Every change is audited by the service it calls. Password hashing (Argon2id) takes a noticeable
fraction of a second, so adding an account and resetting a password run in a worker like the
reads do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.admin import review as admin_review
from clinicrecords.admin.review import Account
from clinicrecords.clinic import auth
from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import ROLES
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import BusyTasks

# --- small pieces the three administration screens share -------------------------------------


def local_time(ts: str | datetime | None, with_seconds: bool = True) -> str:
    """A stored UTC time as the clinic reads it: local, without the 'T' and 'Z'."""
    if ts is None or ts == "":
        return ""
    when = (
        ts if isinstance(ts, datetime) else datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    )
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def make_table(model: RowsModel, name: str, stretch: int = -1) -> QTableView:
    table = read_only_table(name, model, stretch=stretch)
    table.setAlternatingRowColors(True)
    return table


def message_label(name: str, error: bool = False) -> QLabel:
    label = plain_label()  # messages may quote what was typed (a user name)
    label.setObjectName(name)
    label.setWordWrap(True)
    if error:
        label.setStyleSheet(f"color: {tone('error')};")
    return label


def shortcut(parent: QWidget, keys: str | QKeySequence, slot: Callable[[], Any]) -> QShortcut:
    sc = QShortcut(QKeySequence(keys), parent)
    sc.setContext(Qt.WidgetWithChildrenShortcut)
    sc.activated.connect(slot)
    return sc


def button(text: str, name: str, slot: Callable[[], Any]) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.setAutoDefault(False)
    b.clicked.connect(slot)
    return b


# --- the accounts dialog ---------------------------------------------------------------------

ACCOUNT_COLUMNS: Sequence[tuple[str, Callable[[Account], Any]]] = (
    ("User name", lambda a: a.username),
    ("Full name", lambda a: a.full_name),
    ("Role", lambda a: a.role),
    ("Active", lambda a: "yes" if a.active else "no"),
    (
        "Locked out",
        lambda a: (
            f"until {local_time(a.locked_until, with_seconds=False)}" if a.locked_until else ""
        ),
    ),
)


class UsersDialog(BusyTasks, QDialog):
    """Ctrl+N new account (Enter adds it); Alt+D (de)activate; Alt+R new password; Alt+L sets
    the role chosen beside it (on a clinic network every PC follows); F5 reload."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        session.require("user.manage")
        self.session = session
        self._select_after_load = ""
        self.setObjectName("usersDialog")
        self.setWindowTitle("Users and passwords")

        self.model: RowsModel[Account] = RowsModel(ACCOUNT_COLUMNS, self)
        self.table = make_table(self.model, "usersTable", stretch=1)
        accounts_label = QLabel("Accoun&ts")
        accounts_label.setBuddy(self.table)
        self.toggle_button = button("&Deactivate", "toggleActiveButton", self.toggle_active)
        self.reset_button = button("&Reset password…", "resetPasswordButton", self.reset_password)
        self.refresh_button = button("Reload (F5)", "reloadUsersButton", lambda: self.reload())
        self.role_combo = QComboBox()
        self.role_combo.setObjectName("roleCombo")
        self.role_combo.addItems(list(ROLES))
        self.role_combo.setAccessibleName("Role for the selected account")
        self.role_combo.currentTextChanged.connect(lambda _t: self._update_buttons())
        self.role_button = button("Set ro&le", "setRoleButton", self.set_role)
        self.role_button.setAccessibleName("Give the selected account the chosen role")
        row_buttons = QHBoxLayout()
        for b in (self.toggle_button, self.reset_button, self.role_combo, self.role_button):
            row_buttons.addWidget(b)
        row_buttons.addStretch(1)
        row_buttons.addWidget(self.refresh_button)
        left = QVBoxLayout()
        left.addWidget(accounts_label)
        left.addWidget(self.table, 1)
        left.addLayout(row_buttons)

        self.new_username = QLineEdit()
        self.new_username.setObjectName("newUsernameEdit")
        self.new_full_name = QLineEdit()
        self.new_full_name.setObjectName("newFullNameEdit")
        self.new_role = QComboBox()
        self.new_role.setObjectName("newRoleCombo")
        self.new_role.addItems(list(ROLES))
        self.new_password1 = QLineEdit()
        self.new_password1.setObjectName("newPassword1Edit")
        self.new_password2 = QLineEdit()
        self.new_password2.setObjectName("newPassword2Edit")
        for edit in (self.new_password1, self.new_password2):
            edit.setEchoMode(QLineEdit.Password)
        self.add_button = button("Add &user", "addUserButton", self.add_user)
        group = QGroupBox("New account  (Ctrl+N)")
        group.setObjectName("newAccountGroup")
        form = QFormLayout(group)
        form.addRow("User &name", self.new_username)
        form.addRow("&Full name", self.new_full_name)
        form.addRow("R&ole", self.new_role)
        form.addRow("&Password", self.new_password1)
        form.addRow("Password a&gain", self.new_password2)
        form.addRow("", self.add_button)
        hint = QLabel(
            f"User names: letters, digits, dots, dashes, underscores. Passwords: at least "
            f"{auth.MIN_PASSWORD} characters. The person changes it after signing in."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {tone('muted')};")
        form.addRow(hint)
        for edit in (self.new_username, self.new_full_name, self.new_password1, self.new_password2):
            edit.returnPressed.connect(self.add_user)

        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addWidget(group, 2)

        self.status = message_label("statusLabel")
        self.error = message_label("errorLabel", error=True)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        close.button(QDialogButtonBox.Close).setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(close)

        shortcut(self, "Ctrl+N", self.new_username.setFocus)
        shortcut(self, "F5", self.reload)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_role())
        self.table.activated.connect(lambda _i: self.reset_password())
        self.setTabOrder(self.table, self.toggle_button)
        self.setTabOrder(self.toggle_button, self.reset_button)
        self.setTabOrder(self.reset_button, self.role_combo)
        self.setTabOrder(self.role_combo, self.role_button)
        self.setTabOrder(self.role_button, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.new_username)
        self.setTabOrder(self.new_username, self.new_full_name)
        self.setTabOrder(self.new_full_name, self.new_role)
        self.setTabOrder(self.new_role, self.new_password1)
        self.setTabOrder(self.new_password1, self.new_password2)
        self.setTabOrder(self.new_password2, self.add_button)
        self.resize(1040, 560)
        self._update_buttons()
        self.reload()
        self.table.setFocus()

    # --- reading ---------------------------------------------------------------------------

    def selected(self) -> Account | None:
        return self.model.row_object(self.table.currentIndex().row())

    def reload(self, select: str = "") -> None:
        self._select_after_load = select or (self.selected().username if self.selected() else "")
        self._run(admin_review.accounts, self.session, on_done=self._loaded)

    def _loaded(self, rows: list[Account]) -> None:
        self.model.set_rows(rows)
        names = [a.username for a in rows]
        want = self._select_after_load
        self.table.selectRow(names.index(want) if want in names else 0)
        self._show_role()

    def _show_role(self) -> None:
        """The role box shows the selected account's role until someone picks another."""
        account = self.selected()
        if account is not None:
            self.role_combo.setCurrentText(account.role)
        self._update_buttons()

    def _update_buttons(self) -> None:
        account = self.selected()
        idle = self._busy == 0
        self.role_combo.setEnabled(idle and account is not None)
        self.role_button.setEnabled(
            idle and account is not None and self.role_combo.currentText() != account.role
        )
        self.toggle_button.setText(
            "Re&activate" if account is not None and not account.active else "&Deactivate"
        )
        self.toggle_button.setEnabled(idle and account is not None)
        self.reset_button.setEnabled(idle and account is not None)
        self.add_button.setEnabled(idle)
        self.refresh_button.setEnabled(idle)

    # --- changes ---------------------------------------------------------------------------

    def add_user(self) -> None:
        if self._busy:
            return
        if self.new_password1.text() != self.new_password2.text():
            self._failed("The two passwords differ.")
            self.new_password2.selectAll()
            self.new_password2.setFocus()
            return
        username = self.new_username.text().strip()
        self._run(
            auth.add_user,
            self.session,
            username,
            self.new_role.currentText(),
            self.new_password1.text(),
            self.new_full_name.text().strip(),
            on_done=lambda user: self._added(user.username),
        )

    def _added(self, username: str) -> None:
        for edit in (self.new_username, self.new_full_name, self.new_password1, self.new_password2):
            edit.clear()
        self.new_role.setCurrentIndex(0)
        self.status.setText(f"Added {username}. They can sign in now.")
        self.reload(select=username)
        self.table.setFocus()

    def toggle_active(self) -> None:
        account = self.selected()
        if account is None or self._busy:
            return
        active = not account.active
        self._run(
            admin_review.set_account_active,
            self.session,
            account.username,
            active,
            on_done=lambda _r: self._changed(
                f"{account.username} can sign in again."
                if active
                else f"{account.username} can no longer sign in.",
                account.username,
            ),
        )

    def set_role(self) -> None:
        account = self.selected()
        role = self.role_combo.currentText()
        if account is None or self._busy or role == account.role:
            return
        self._run(
            auth.set_role,
            self.session,
            account.username,
            role,
            on_done=lambda _r: self._changed(
                f"{account.username} now has the role {role}.", account.username
            ),
        )

    def reset_password(self) -> None:
        account = self.selected()
        if account is None or self._busy:
            return
        dlg = ResetPasswordDialog(account.username, self)
        self.reset_dialog = dlg
        dlg.accepted.connect(lambda: self._do_reset(account.username, dlg.password()))
        dlg.open()

    def _do_reset(self, username: str, password: str) -> None:
        self._run(
            auth.reset_password,
            self.session,
            username,
            password,
            on_done=lambda _r: self._changed(
                f"{username} has a new password (and is no longer locked out).", username
            ),
        )

    def _changed(self, message: str, username: str) -> None:
        self.status.setText(message)
        self.reload(select=username)


class ResetPasswordDialog(QDialog):
    """A new password typed twice; the caller sets it (off the UI thread)."""

    def __init__(self, username: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resetPasswordDialog")
        self.setWindowTitle(f"New password for {username}")
        intro = QLabel(
            f"Choose a new password for {username} (at least {auth.MIN_PASSWORD} characters). "
            "It also ends a lock-out after wrong passwords."
        )
        intro.setWordWrap(True)
        self.password1 = QLineEdit()
        self.password1.setObjectName("resetPassword1Edit")
        self.password2 = QLineEdit()
        self.password2.setObjectName("resetPassword2Edit")
        form = QFormLayout()
        form.addRow("New &password", self.password1)
        form.addRow("Password a&gain", self.password2)
        for edit in (self.password1, self.password2):
            edit.setEchoMode(QLineEdit.Password)
        self.error = message_label("errorLabel", error=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Set password")
        self.buttons.button(QDialogButtonBox.Ok).setDefault(True)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.resize(460, 200)
        self.password1.setFocus()

    def password(self) -> str:
        return self.password1.text()

    def _submit(self) -> None:
        if self.password1.text() != self.password2.text():
            self.error.setText("The two passwords differ.")
            self.password2.selectAll()
            self.password2.setFocus()
            return
        if len(self.password1.text()) < auth.MIN_PASSWORD:
            self.error.setText(f"A password must be at least {auth.MIN_PASSWORD} characters long.")
            return
        self.accept()
