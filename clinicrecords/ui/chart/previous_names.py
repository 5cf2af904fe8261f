"""The "also known as" list of a chart: maiden names, former legal names, aliases.

Keyboard first: type "FAMILY, Given" (or the family name alone: the given name is kept) in the
name box and press Enter to add it; Delete removes the selected name; Ctrl+S saves, Esc
cancels. Saving goes through ``registry.previous_names`` (audited, one clinic-network event).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Patient, PreviousName
from clinicrecords.common.errors import ClinicError
from clinicrecords.registry.previous_names import parse_previous_name, set_previous_names
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import run_in_background

KIND_CHOICES = (("maiden", "Maiden name"), ("previous", "Previous legal name"), ("alias", "Alias"))


def aka_text(patient: Patient) -> str:
    """ "OKONKWO, Harriet (maiden name); …" for the chart header; "" when there are none."""
    return "; ".join(f"{n.display(patient.given)} ({n.label})" for n in patient.previous_names)


def parse_aka_list(text: str, kind: str = "maiden") -> list[PreviousName]:
    """The registration form's box: names separated by semicolons, each "FAMILY, Given"."""
    return [parse_previous_name(part, kind) for part in text.split(";") if part.strip()]


class AlsoKnownAsDialog(QDialog):
    def __init__(self, session: Session, patient: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.patient = patient
        self.saved: Patient | None = None
        self.names: list[PreviousName] = list(patient.previous_names)
        self.setObjectName("alsoKnownAsDialog")
        self.setWindowTitle("Also known as")
        self.setModal(True)

        self.list = QListWidget()
        self.list.setObjectName("akaList")
        self.list.setAccessibleName("Previous names of this chart")
        self.name = QLineEdit()
        self.name.setObjectName("akaNameEdit")
        self.name.setAccessibleName("Previous name to add")
        self.name.setPlaceholderText("FAMILY, Given — or the family name alone; Enter adds")
        self.kind = QComboBox()
        self.kind.setObjectName("akaKindCombo")
        self.kind.setAccessibleName("Kind of name")
        for code, label in KIND_CHOICES:
            self.kind.addItem(label, code)
        add = QPushButton("&Add")
        add.setObjectName("akaAddButton")
        add.setAccessibleName("Add the name")
        add.setAutoDefault(False)
        add.clicked.connect(self.add_typed)
        remove = QPushButton("&Remove selected (Del)")
        remove.setObjectName("akaRemoveButton")
        remove.setAccessibleName("Remove the selected name")
        remove.setAutoDefault(False)
        remove.clicked.connect(self.remove_selected)
        self.save_button = QPushButton("&Save (Ctrl+S)")
        self.save_button.setObjectName("akaSaveButton")
        self.save_button.setAccessibleName("Save the list")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel")
        cancel.setObjectName("akaCancelButton")
        cancel.setAccessibleName("Cancel")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        self.error = plain_label()
        self.error.setObjectName("akaError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {tone('error')};")

        row = QHBoxLayout()
        row.addWidget(self.name, 1)
        row.addWidget(self.kind)
        row.addWidget(add)
        buttons = QHBoxLayout()
        buttons.addWidget(remove)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(plain_label(f"Names {patient.display_name} had or goes by:"))
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.setTabOrder(self.name, self.kind)
        self.setTabOrder(self.kind, self.list)
        self.name.returnPressed.connect(self.add_typed)
        for keys, slot in (("Ctrl+S", self.save), ("Del", self.remove_selected)):
            sc = QShortcut(QKeySequence(keys), self)
            sc.activated.connect(slot)
        self._show()
        self.name.setFocus(Qt.OtherFocusReason)

    def _show(self) -> None:
        self.list.clear()
        for n in self.names:
            QListWidgetItem(f"{n.display(self.patient.given)}  —  {n.label}", self.list)

    def add_typed(self) -> None:
        try:
            name = parse_previous_name(self.name.text(), self.kind.currentData())
        except ClinicError as exc:
            self.error.setText(exc.message)
            return
        self.error.setText("")
        self.names.append(name)
        self.name.clear()
        self._show()

    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.names):
            del self.names[row]
            self._show()

    def save(self) -> None:
        if self.name.text().strip():
            self.add_typed()  # a name typed and not yet added is meant to be kept
            if self.error.text():
                return
        self.save_button.setEnabled(False)
        run_in_background(
            set_previous_names,
            self.session,
            self.patient.id,
            list(self.names),
            context=self,
            on_done=self._saved,
            on_error=self._failed,
        )

    def _saved(self, patient: Patient) -> None:
        self.saved = patient
        self.accept()

    def _failed(self, message: str) -> None:
        self.save_button.setEnabled(True)
        self.error.setText(message)
