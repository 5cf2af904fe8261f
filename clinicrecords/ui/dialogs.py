"""Unlock, sign-in, lock screen and first-run dialogs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from clinicrecords import auth, keys
from clinicrecords.errors import ClinicError
from clinicrecords.recovery_sheet import write_recovery_sheet
from clinicrecords.session import Session
from clinicrecords.store import Store
from clinicrecords.ui.plaintext import plain_label


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
        self.error.setStyleSheet("color: #b00020;")
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


class FirstRunDialog(_FormDialog):
    """Creates a clinic store, its first administrator, and the recovery sheet."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(
            "Set up ClinicRecords",
            f"No clinic store exists yet in {data_dir}. Create one: choose a recovery passphrase "
            f"(at least {keys.MIN_PASSPHRASE} characters; it opens the records on a new PC or "
            "from a backup) and the first administrator's account.",
            parent,
        )
        self.data_dir = data_dir
        self.store: Store | None = None
        self.session: Session | None = None
        self.sheet_path: Path | None = None
        self.clinic = self.field("Clinic name", "clinicNameEdit")
        self.phrase1 = self.field("Recovery passphrase", "passphrase1Edit", secret=True)
        self.phrase2 = self.field("Passphrase again", "passphrase2Edit", secret=True)
        self.admin = self.field("Administrator user name", "adminEdit", text="admin")
        self.admin_name = self.field("Administrator full name", "adminNameEdit")
        self.pw1 = self.field("Password", "password1Edit", secret=True)
        self.pw2 = self.field("Password again", "password2Edit", secret=True)
        self.sheet_dir = Path.home()

    def submit(self) -> None:
        from clinicrecords.errors import BadInput

        if self.phrase1.text() != self.phrase2.text():
            raise BadInput("The two passphrases differ.")
        if self.pw1.text() != self.pw2.text():
            raise BadInput("The two passwords differ.")
        auth._check_new_account(self.admin.text().strip(), "admin", self.pw1.text())
        keys.check_passphrase_strength(self.phrase1.text())
        name = self.clinic.text().strip() or "Our Clinic"
        store, recovery_key = Store.create(self.data_dir, self.phrase1.text(), name)
        auth.create_first_admin(
            store, self.admin.text().strip(), self.pw1.text(), self.admin_name.text().strip()
        )
        default = self.sheet_dir / f"clinicrecords-recovery-sheet-{store.store_id[:8]}.pdf"
        chosen, _ = (
            QFileDialog.getSaveFileName(
                self,
                "Save the recovery sheet (print it, then delete the file)",
                str(default),
                "PDF (*.pdf)",
            )
            if not _offscreen()
            else (str(default), "")
        )
        self.sheet_path = write_recovery_sheet(
            Path(chosen or default), name, store.store_id, recovery_key
        )
        self.store = store
        self.session = auth.login(store, self.admin.text().strip(), self.pw1.text())
        if not _offscreen():
            QMessageBox.information(
                self,
                "Recovery sheet",
                f"The recovery sheet was saved to:\n{self.sheet_path}\n\nPrint it now (File ▸ Print "
                "recovery sheet), lock the paper away and delete the file.",
            )


def _offscreen() -> bool:
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() in ("offscreen", "minimal")


__all__ = ["UnlockDialog", "LoginDialog", "FirstRunDialog", "Qt"]
