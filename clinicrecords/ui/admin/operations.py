"""Help ▸ About (the same facts as ``clinicrecords status``) and the administrator's warning
when the last good backup or the last restore drill is too old.

Everything is read off the UI thread: the store's size is a walk over every page file, and the
clinic network's state asks the server.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.admin import status as status_mod
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import BadInput


def collect_status(store: Store) -> dict:
    """What ``status --json`` prints: the store's operations and the clinic network's state."""
    from clinicrecords.sync import client

    info = status_mod.status(store)
    try:
        info["sync"] = {"joined": True, **client.status(store)}
    except BadInput:
        info["sync"] = {"joined": False}
    info["warnings"] = status_mod.warnings(info)
    return info


class StatusDialog(QDialog):
    """Help ▸ About: version, data folder, disk space, last backup and drill, the nightly
    backup and the clinic network."""

    loaded = Signal(dict)

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from clinicrecords.ui.workers import run_in_background

        self.setObjectName("statusDialog")
        self.setWindowTitle("About ClinicRecords")
        self.info: dict | None = None
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit("Reading the store's status…")
        self.text.setObjectName("statusText")
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Status of this PC's clinic store")
        self.text.setMinimumSize(560, 220)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.Close).setAccessibleName("Close")
        layout.addWidget(buttons)
        run_in_background(
            collect_status, store, on_done=self._show, on_error=self._failed, context=self
        )

    def _show(self, info: dict) -> None:
        self.info = info
        self.text.setPlainText(status_mod.describe(info))
        self.loaded.emit(info)

    def _failed(self, message: str) -> None:
        self.text.setPlainText(f"The status could not be read: {message}")


class BackupHealthLabel(QLabel):
    """A status-bar message for administrators, in words (not a colour): the last good backup
    is over 26 hours old, the last drill over 30 days old, never run, or failed. A link opens
    the status; it hides itself when all is well."""

    open_status = Signal()

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setObjectName("backupHealthLabel")
        self.setTextFormat(Qt.RichText)
        self.setAccessibleName("Backup warning")
        self.warnings: list[str] = []
        self.linkActivated.connect(lambda _link: self.open_status.emit())
        self.hide()

    def refresh(self) -> None:
        from clinicrecords.ui.workers import run_in_background

        run_in_background(status_mod.health, self.store, on_done=self._show, context=self)

    def _show(self, info: dict) -> None:
        from clinicrecords.ui.plaintext import esc

        self.warnings = list(info.get("warnings", []))
        if not self.warnings:
            self.hide()
            return
        first = self.warnings[0]
        more = f" (and {len(self.warnings) - 1} more)" if len(self.warnings) > 1 else ""
        self.setText(f'Backup warning: {esc(first)}{more} <a href="status">Details…</a>')
        self.setAccessibleDescription(" ".join(self.warnings))
        self.show()
