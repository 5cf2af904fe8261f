"""Unlock, sign-in, lock screen and first-run dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic import auth
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import ClinicError
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone


class _FormDialog(QDialog):
    def __init__(self, title: str, intro: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.layout_ = QVBoxLayout(self)
        if intro:
            label = QLabel(intro)
            label.setWordWrap(True)
            self.layout_.addWidget(label)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = plain_label()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {tone('error')};")
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.Ok).setDefault(True)
        self.layout_.addWidget(self.buttons)

    def field(self, label: str, name: str, secret: bool = False, text: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        edit.setObjectName(name)
        if secret:
            edit.setEchoMode(QLineEdit.Password)
        self.form.addRow(label, edit)
        return edit

    def _submit(self) -> None:
        try:
            self.submit()
        except ClinicError as exc:
            self.error.setText(exc.message)
            return
        self.accept()

    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class UnlockDialog(_FormDialog):
    """Asks for the recovery passphrase when this PC has no keyring entry for the store."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(
            "Unlock the clinic records",
            "This PC has no saved key for the clinic's records. Enter the clinic's recovery "
            "passphrase.",
            parent,
        )
        self.data_dir = data_dir
        self.store: Store | None = None
        self.passphrase = self.field("Recovery passphrase", "passphraseEdit", secret=True)

    def submit(self) -> None:
        self.store = Store.open(self.data_dir, self.passphrase.text())


class LoginDialog(_FormDialog):
    def __init__(
        self, store: Store, parent: QWidget | None = None, username: str = "", locked: bool = False
    ) -> None:
        intro = (
            "The screen was locked after a while without use. Sign in again to go on, or "
            "cancel to sign out."
            if locked
            else "Sign in with your own account."
        )
        super().__init__("ClinicRecords: sign in", intro, parent)
        self.buttons.button(QDialogButtonBox.Ok).setText("Sign in")
        self.store = store
        self.session: Session | None = None
        self.username = self.field("User name", "usernameEdit", text=username)
        self.password = self.field("Password", "passwordEdit", secret=True)
        if locked:
            self.username.setReadOnly(True)
        (self.password if username else self.username).setFocus()

    def submit(self) -> None:
        self.session = auth.login(self.store, self.username.text().strip(), self.password.text())


__all__ = ["UnlockDialog", "LoginDialog", "Qt"]
