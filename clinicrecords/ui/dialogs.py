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

from clinicrecords.clinic import auth, keys
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import ClinicError, cannot_write
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


class FirstRunDialog(_FormDialog):
    """Creates a clinic store, its first administrator, and the recovery sheet.

    The sheet holds the master key in clear, so it goes only where the person chooses in a save
    dialog (asked before the store is created; cancelling creates nothing), never into a
    default or the current folder.
    """

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(
            "Set up ClinicRecords",
            f"No clinic store exists yet in {data_dir}. Create one: choose a recovery passphrase "
            f"(at least {keys.MIN_PASSPHRASE} characters; it opens the records on a new PC or "
            "from a backup) and the first administrator's account. You will then be asked "
            "where to save the recovery sheet (a USB stick is best): print it, lock it away "
            "and delete the file.",
            parent,
        )
        self.data_dir = data_dir
        self.store: Store | None = None
        self.session: Session | None = None
        self.sheet_path: Path | None = None
        self.sheet_problem = ""
        self.clinic = self.field("Clinic name", "clinicNameEdit")
        self.phrase1 = self.field("Recovery passphrase", "passphrase1Edit", secret=True)
        self.phrase2 = self.field("Passphrase again", "passphrase2Edit", secret=True)
        self.admin = self.field("Administrator user name", "adminEdit", text="admin")
        self.admin_name = self.field("Administrator full name", "adminNameEdit")
        self.pw1 = self.field("Password", "password1Edit", secret=True)
        self.pw2 = self.field("Password again", "password2Edit", secret=True)

    def ask_sheet_path(self) -> Path | None:
        """The save dialog: where the person wants the sheet (None when they cancel)."""
        start = Path.home() / "clinicrecords-recovery-sheet.pdf"
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            "Save the recovery sheet: print it, lock it away, then delete the file",
            str(start),
            "PDF (*.pdf)",
        )
        return Path(chosen) if chosen else None

    def submit(self) -> None:
        from clinicrecords.admin.recovery_sheet import (
            LOCK_AWAY,
            recovery_sheet_pdf,
            reserved_sheet,
            sheet_destination,
        )
        from clinicrecords.common.errors import BadInput

        if self.phrase1.text() != self.phrase2.text():
            raise BadInput("The two passphrases differ.")
        if self.pw1.text() != self.pw2.text():
            raise BadInput("The two passwords differ.")
        auth._check_new_account(self.admin.text().strip(), "admin", self.pw1.text())
        keys.check_passphrase_strength(self.phrase1.text())
        name = self.clinic.text().strip() or "Our Clinic"
        chosen = self.ask_sheet_path()
        if chosen is None:
            raise BadInput(
                "Choose where to save the recovery sheet (it holds the master key, so it is "
                "never saved without asking). Nothing was created."
            )
        # The save dialog has already asked before replacing an existing file.
        sheet = sheet_destination(chosen, self.data_dir, may_replace=True)
        store: Store | None = None
        sheet_problem = ""
        try:
            with reserved_sheet(sheet, replace=True) as out:
                store, recovery_key = Store.create(self.data_dir, self.phrase1.text(), name)
                out.write(recovery_sheet_pdf(name, store.store_id, recovery_key))
        except (OSError, ClinicError) as exc:
            if store is None:
                raise  # nothing was created: the person can choose again
            # The store exists now: finish setting it up, and say how to get the sheet.
            sheet_problem = (
                exc.message
                if isinstance(exc, ClinicError)
                else cannot_write("the recovery sheet", exc).message
            )
        self.sheet_path = None if sheet_problem else sheet
        auth.create_first_admin(
            store, self.admin.text().strip(), self.pw1.text(), self.admin_name.text().strip()
        )
        self.store = store
        self.session = auth.login(store, self.admin.text().strip(), self.pw1.text())
        if sheet_problem:
            self.sheet_problem = (
                f"{sheet_problem} The clinic store was created: print the recovery sheet now "
                "(File ▸ Print recovery sheet) and lock it away."
            )
            if not _offscreen():
                QMessageBox.warning(self, "Recovery sheet", self.sheet_problem)
        elif not _offscreen():
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Information)
            box.setWindowTitle("Recovery sheet")
            box.setTextFormat(Qt.PlainText)
            box.setText(
                f"The recovery sheet (it holds the master key) was saved to:\n{sheet}\n\n"
                + LOCK_AWAY
            )
            print_button = box.addButton("Print now…", QMessageBox.AcceptRole)
            box.addButton(QMessageBox.Close)
            box.exec()
            if box.clickedButton() is print_button:
                from clinicrecords.ui.printing import print_pdf

                print_pdf(sheet, self)


def _offscreen() -> bool:
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.platformName() in ("offscreen", "minimal")


__all__ = ["UnlockDialog", "LoginDialog", "FirstRunDialog", "Qt"]
