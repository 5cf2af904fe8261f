"""The first-run wizard: a PC with no clinic store starts a new clinic, joins a clinic server,
or restores a backup.

Each path ends with a store this PC can open. Everything slow (Argon2, password hashes, the
join's first sync, a restore) runs off the UI thread: the page's Next/Finish starts the job,
and the wizard moves on when it is done, or shows why not on the same page. The logic is in
core (``admin.first_run``, ``admin.schedule``, ``admin.backup.restore``,
``sync.server.join_open``); this module only asks and shows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from clinicrecords.clinic import keys
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import BadInput, ClinicError
from clinicrecords.ui.plaintext import plain_label

CHOICE, NEW_CLINIC, SHEET, BACKUP, JOIN, RESTORE = range(6)


class _Page(QWizardPage):
    """A page whose Next/Finish may start background work and move on when it is done."""

    def __init__(self, title: str, intro: str) -> None:
        super().__init__()
        self.setTitle(title)
        self.layout_ = QVBoxLayout(self)
        if intro:
            label = plain_label(intro)
            label.setWordWrap(True)
            self.layout_.addWidget(label)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress")
        self.progress.hide()
        self.layout_.addWidget(self.progress)
        self.error = plain_label()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.layout_.addWidget(self.error)
        self.busy = False
        self.done = False

    def field_edit(self, label: str, name: str, secret: bool = False, text: str = "") -> QLineEdit:
        edit = QLineEdit(text)
        edit.setObjectName(name)
        edit.setAccessibleName(label)
        if secret:
            edit.setEchoMode(QLineEdit.Password)
        self.form.addRow(label, edit)
        return edit

    def folder_edit(self, label: str, name: str, title: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(label)
        browse = QPushButton("Browse…")
        browse.setObjectName(f"{name}Browse")
        browse.setAccessibleName(f"Choose the {label.lower()}")
        browse.setAccessibleDescription("Opens a folder chooser")

        def pick() -> None:
            chosen = QFileDialog.getExistingDirectory(self, title, edit.text())
            if chosen:
                edit.setText(chosen)

        browse.clicked.connect(pick)
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit)
        box.addWidget(browse)
        self.form.addRow(label, row)
        return edit

    def run_then_advance(
        self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None], busy_text: str
    ) -> bool:
        """Start ``fn`` off the UI thread; the page stays until it is done (always False)."""
        from clinicrecords.ui.workers import run_in_background

        if self.busy:
            return False
        self.busy = True
        self.error.setText(busy_text)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.wizard().button(QWizard.BackButton).setEnabled(False)

        def finished(result: Any) -> None:
            self.busy = False
            self.progress.hide()
            try:
                on_done(result)
            except ClinicError as exc:
                self.error.setText(exc.message)
                return
            self.error.setText("")
            self.done = True
            wizard = self.wizard()
            if wizard.currentPage() is self:
                if self.isFinalPage():
                    wizard.accept()
                else:
                    wizard.next()

        def failed(message: str) -> None:
            self.busy = False
            self.progress.hide()
            self.wizard().button(QWizard.BackButton).setEnabled(True)
            self.error.setText(message)

        def progress(done: int, total: int) -> None:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)

        run_in_background(
            fn,
            *args,
            on_done=finished,
            on_error=failed,
            on_progress=progress,
            context=self,
            long_running=True,
        )
        return False


class ChoicePage(_Page):
    def __init__(self) -> None:
        super().__init__(
            "Welcome to ClinicRecords",
            "This PC holds no clinic records yet. What would you like to do?",
        )
        self.new = QRadioButton("&Start a new clinic")
        self.join = QRadioButton("&Join the clinic's server (another PC is already set up)")
        self.restore = QRadioButton("&Restore from a backup (a new or repaired PC)")
        for button, name in ((self.new, "new"), (self.join, "join"), (self.restore, "restore")):
            button.setObjectName(f"{name}Choice")
            button.setAccessibleName(button.text().replace("&", ""))
            self.layout_.insertWidget(self.layout_.count() - 2, button)
        self.new.setChecked(True)
        self.new.setFocus()

    def nextId(self) -> int:  # noqa: N802 - Qt's name
        if self.join.isChecked():
            return JOIN
        if self.restore.isChecked():
            return RESTORE
        return NEW_CLINIC


class NewClinicPage(_Page):
    def __init__(self) -> None:
        super().__init__(
            "A new clinic",
            "The recovery passphrase (at least "
            f"{keys.MIN_PASSPHRASE} characters) opens the records on a new PC or from a backup: "
            "choose one the clinic will not forget. Then the first administrator's account.",
        )
        self.clinic = self.field_edit("Clinic name", "clinicNameEdit")
        self.phrase1 = self.field_edit("Recovery passphrase", "passphrase1Edit", secret=True)
        self.phrase2 = self.field_edit("Passphrase again", "passphrase2Edit", secret=True)
        self.admin = self.field_edit("Administrator user name", "adminEdit", text="admin")
        self.admin_name = self.field_edit("Administrator full name", "adminNameEdit")
        self.pw1 = self.field_edit("Password", "password1Edit", secret=True)
        self.pw2 = self.field_edit("Password again", "password2Edit", secret=True)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        from clinicrecords.admin.first_run import check_new_clinic

        try:
            check_new_clinic(
                self.admin.text(),
                self.pw1.text(),
                self.pw2.text(),
                self.phrase1.text(),
                self.phrase2.text(),
            )
        except ClinicError as exc:
            self.error.setText(exc.message)
            return False
        self.error.setText("")
        return True


class SheetPage(_Page):
    """The recovery sheet holds the master key: printed, or saved where the person chooses."""

    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(
            "The recovery sheet",
            "The recovery sheet holds the clinic's master key: with it, the records open even "
            "if the passphrase is forgotten. Print it, or save it to a USB stick (then print "
            "it and delete the file), and lock it away.",
        )
        self.owner = wizard
        self.save = QRadioButton("Sa&ve it as a PDF file")
        self.save.setObjectName("sheetSaveChoice")
        self.save.setAccessibleName("Save the sheet as a PDF file")
        self.print_ = QRadioButton("&Print it now")
        self.print_.setObjectName("sheetPrintChoice")
        self.print_.setAccessibleName("Print the sheet now")
        self.save.setChecked(True)
        self.form.addRow(self.save)
        self.path = self.field_edit("Save to (file or folder)", "sheetPathEdit")
        browse = QPushButton("Browse…")
        browse.setObjectName("sheetPathBrowse")
        browse.setAccessibleName("Choose where to save the sheet")
        browse.setAccessibleDescription("Opens a file chooser")
        browse.clicked.connect(self._pick)
        self.form.addRow("", browse)
        self.form.addRow(self.print_)
        self.print_.toggled.connect(lambda on: self.path.setEnabled(not on))

    def _pick(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            "Save the recovery sheet: print it, lock it away, then delete the file",
            str(Path.home() / "clinicrecords-recovery-sheet.pdf"),
            "PDF (*.pdf)",
        )
        if chosen:
            self.path.setText(chosen)

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        from clinicrecords.admin import first_run

        if self.done:
            return True
        w = self.owner
        sheet: Path | None = None
        if self.save.isChecked():
            if not self.path.text().strip():
                self.error.setText("Say where to save the recovery sheet, or choose to print it.")
                return False
            try:
                sheet = first_run.check_sheet_place(Path(self.path.text().strip()), w.data_dir)
            except ClinicError as exc:
                self.error.setText(exc.message)
                return False
        if w.clinic is not None:  # made already; only the sheet failed: try it again
            self._deliver(w.clinic, sheet)
            self.done = True
            return True
        p = w.new_page

        def made(clinic: first_run.NewClinic) -> None:
            w.clinic = clinic
            w.store, w.session = clinic.store, clinic.session
            self._deliver(clinic, sheet)

        return self.run_then_advance(
            first_run.create_clinic,
            w.data_dir,
            p.clinic.text(),
            p.admin.text(),
            p.admin_name.text(),
            p.pw1.text(),
            p.phrase1.text(),
            on_done=made,
            busy_text="Creating the encrypted clinic store…",
        )

    def _deliver(self, clinic: Any, sheet: Path | None) -> None:
        from clinicrecords.admin import first_run

        if sheet is not None:
            first_run.save_sheet(clinic, sheet)
            self.owner.sheet_path = sheet
            return
        from clinicrecords.admin.recovery_sheet import recovery_sheet_pdf
        from clinicrecords.ui.printing import ask_printer, render_pdf_to_printer

        printer = ask_printer(self, "Print the recovery sheet", "ClinicRecords recovery sheet")
        if printer is None:
            raise BadInput(
                "The sheet was not printed: print it, or save it, to go on (the clinic store "
                "is created)."
            )
        render_pdf_to_printer(
            recovery_sheet_pdf(clinic.clinic_name, clinic.store.store_id, clinic.recovery_key),
            printer,
        )
        clinic.session.audit("key.recovery_sheet", "store", clinic.store.store_id)


class BackupPage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(
            "The nightly backup",
            "Pick a backup folder on another disk (an external disk or a network share) and a "
            "time when the PC is on: the backup then runs every night by itself.",
        )
        self.owner = wizard
        self.folder = self.folder_edit("Backup folder", "backupFolderEdit", "Back up into")
        # A plain field (HH:MM, checked by the core's parse_time): typed like any other.
        self.at = self.field_edit("Every night at (HH:MM)", "backupTimeEdit", text="19:00")
        self.later = QCheckBox("Set up the &backup later")
        self.later.setObjectName("backupLaterCheck")
        self.later.setAccessibleName("Set up the backup later")
        self.form.addRow(self.later)
        self.setFinalPage(True)

    def nextId(self) -> int:  # noqa: N802 - Qt's name
        return -1

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        from clinicrecords.admin.schedule import schedule_backup

        if self.done or self.later.isChecked():
            return True
        if not self.folder.text().strip():
            self.error.setText("Pick a backup folder, or tick 'Set up the backup later'.")
            return False
        session = self.owner.session
        assert session is not None

        def registered(sched: Any) -> None:
            self.owner.schedule = sched

        return self.run_then_advance(
            schedule_backup,
            session,
            Path(self.folder.text().strip()),
            self.at.text().strip(),
            on_done=registered,
            busy_text="Registering the nightly backup…",
        )


class JoinPage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(
            "Join the clinic's server",
            "The server's address comes from whoever set the clinic network up (for example "
            "postgresql://server/clinicrecords). The clinic's recovery passphrase proves this "
            "PC belongs to the clinic. The clinic's records are then copied here.",
        )
        self.owner = wizard
        self.url = self.field_edit("Server address", "serverUrlEdit")
        self.phrase = self.field_edit("Recovery passphrase", "joinPassphraseEdit", secret=True)
        self.setFinalPage(True)

    def nextId(self) -> int:  # noqa: N802 - Qt's name
        return -1

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        from clinicrecords.sync.server import join_open

        if self.done:
            return True
        if not self.url.text().strip() or not self.phrase.text():
            self.error.setText("Give the server's address and the clinic's recovery passphrase.")
            return False

        def joined(result: Any) -> None:
            self.owner.store = result[0]

        return self.run_then_advance(
            join_open,
            self.owner.data_dir,
            self.url.text().strip(),
            self.phrase.text(),
            None,
            None,
            on_done=joined,
            busy_text="Joining the clinic and copying its records…",
        )


def _restore_here(src: Path, data_dir: Path, passphrase: str, progress: Any = None) -> Store:
    from clinicrecords.admin.backup import restore

    result = restore(src, data_dir, passphrase, progress)
    result.store.remember_on_this_pc()  # this PC opens it from now on without the passphrase
    return result.store


class RestorePage(_Page):
    def __init__(self, wizard: FirstRunWizard) -> None:
        super().__init__(
            "Restore from a backup",
            "Pick the backup folder (the newest complete backup in it is restored) and enter "
            "the clinic's recovery passphrase.",
        )
        self.owner = wizard
        self.folder = self.folder_edit("Backup folder", "restoreFolderEdit", "Restore from")
        self.phrase = self.field_edit("Recovery passphrase", "restorePassphraseEdit", secret=True)
        self.setFinalPage(True)

    def nextId(self) -> int:  # noqa: N802 - Qt's name
        return -1

    def validatePage(self) -> bool:  # noqa: N802 - Qt's name
        if self.done:
            return True
        if not self.folder.text().strip() or not self.phrase.text():
            self.error.setText("Pick the backup folder and give the recovery passphrase.")
            return False

        def restored(store: Store) -> None:
            self.owner.store = store

        return self.run_then_advance(
            _restore_here,
            Path(self.folder.text().strip()),
            self.owner.data_dir,
            self.phrase.text(),
            on_done=restored,
            busy_text="Restoring the backup and checking every page…",
        )


class FirstRunWizard(QWizard):
    """Accepted with ``store`` set (and ``session`` when a new clinic's administrator is
    signed in already; otherwise the person signs in next)."""

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle("Set up ClinicRecords")
        self.setOption(QWizard.NoBackButtonOnStartPage, True)
        self.data_dir = Path(data_dir)
        self.store: Store | None = None
        self.session: Session | None = None
        self.clinic: Any = None
        self.sheet_path: Path | None = None
        self.schedule: Any = None
        self.choice_page = ChoicePage()
        self.new_page = NewClinicPage()
        self.sheet_page = SheetPage(self)
        self.backup_page = BackupPage(self)
        self.join_page = JoinPage(self)
        self.restore_page = RestorePage(self)
        for page_id, page in (
            (CHOICE, self.choice_page),
            (NEW_CLINIC, self.new_page),
            (SHEET, self.sheet_page),
            (BACKUP, self.backup_page),
            (JOIN, self.join_page),
            (RESTORE, self.restore_page),
        ):
            self.setPage(page_id, page)
        for which in (
            QWizard.NextButton,
            QWizard.BackButton,
            QWizard.FinishButton,
            QWizard.CancelButton,
        ):
            button = self.button(which)
            button.setAccessibleName(button.text().replace("&", "").strip(" <>"))
        self.setStartId(CHOICE)

    def reject(self) -> None:
        """Cancel: a store already made (a new clinic whose sheet or backup was not set up
        yet) stays; the next start opens it and asks for a sign-in."""
        if any(
            p.busy for p in (self.sheet_page, self.backup_page, self.join_page, self.restore_page)
        ):
            return  # work is under way: it must finish (or fail) first
        super().reject()
