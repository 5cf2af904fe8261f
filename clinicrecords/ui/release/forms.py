"""The New request form and the reason dialog (deny / cancel), both keyboard first.

New request: type part of a name, DOB, MRN or phone in the patient box (results arrive off the
UI thread), Down to the list, Tab through the fields, Ctrl+Enter (or Enter on a one-line field)
to log the request. The due date follows the received date by the clinic's setting until the
clerk ticks "Set the due date by hand".
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import QDate, QEvent, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Patient
from clinicrecords.common.errors import BadInput, ClinicError
from clinicrecords.common.timeutil import today
from clinicrecords.registry import lookup
from clinicrecords.release import rules, service
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.patient_search import PatientSearcher
from clinicrecords.ui.plaintext import esc, plain_label, rich_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import run_in_background

REQUESTER_LABELS = {
    "patient": "The patient (own copy)",
    "provider": "Another provider",
    "insurer": "Insurer",
    "attorney": "Attorney",
    "agency": "Agency / court",
    "other": "Other",
}


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def date_edit(name: str, value: date | None = None) -> QDateEdit:
    edit = QDateEdit(qdate(value or today()))
    edit.setObjectName(name)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class NewRequestDialog(QDialog):
    """Logs a request; `created` holds the ReleaseRequest once the service has saved it."""

    def __init__(self, session: Session, due_days: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.due_days = due_days
        self.created = None
        self.patient: Patient | None = None
        self._busy = False
        self.setObjectName("newRequestDialog")
        self.setWindowTitle("New release request")
        self.setModal(True)
        self.resize(720, 640)

        self.patient_search = QLineEdit()
        self.patient_search.setObjectName("requestPatientSearch")
        self.patient_search.setPlaceholderText("Patient: name, date of birth, MRN or phone")
        self.patient_model: RowsModel[lookup.SearchResult] = RowsModel(
            [
                ("Name", lambda r: r.patient.display_name),
                ("Date of birth", lambda r: r.patient.dob.strftime("%m/%d/%Y")),
                ("Sex", lambda r: r.patient.sex),
                ("MRN", lambda r: r.patient.mrn),
            ]
        )
        self.patient_table = QTableView()
        self.patient_table.setObjectName("requestPatientResults")
        self.patient_table.setModel(self.patient_model)
        self.patient_table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.patient_table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.patient_table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.patient_table.verticalHeader().hide()
        self.patient_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.patient_table.setMaximumHeight(130)
        self.patient_table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._choose(cur.row())
        )
        self.patient_label = rich_label("No patient chosen yet.")
        self.patient_label.setObjectName("requestPatientLabel")

        self.requester_type = QComboBox()
        self.requester_type.setObjectName("requesterType")
        for code in rules.REQUESTER_TYPES:
            self.requester_type.addItem(REQUESTER_LABELS[code], code)
        self.requester_name = QLineEdit()
        self.requester_name.setObjectName("requesterName")
        self.requester_org = QLineEdit()
        self.requester_org.setObjectName("requesterOrg")
        self.requester_address = QPlainTextEdit()
        self.requester_address.setObjectName("requesterAddress")
        self.requester_address.setTabChangesFocus(True)
        self.requester_address.setFixedHeight(58)
        self.basis = QComboBox()
        self.basis.setObjectName("requestBasis")
        self.basis.addItem("From the requester type", "")
        for b in rules.BASES.values():
            self.basis.addItem(f"{b.label} ({b.rule})", b.code)
        self.purpose = QLineEdit()
        self.purpose.setObjectName("requestPurpose")
        self.delivery = QComboBox()
        self.delivery.setObjectName("requestDelivery")
        self.delivery.addItem("Paper", "paper")
        self.delivery.addItem("Electronic", "electronic")
        self.received = date_edit("requestReceived")
        self.due = date_edit("requestDue")
        self.due.setEnabled(False)
        self.due_override = QCheckBox("Set the due date by hand")
        self.due_override.setObjectName("requestDueOverride")
        self.include_sensitive = QCheckBox(
            "The request asks for sensitive records (they still need an authorization "
            "naming each category)"
        )
        self.include_sensitive.setObjectName("requestIncludeSensitive")
        self.watermark = QLineEdit()
        self.watermark.setObjectName("requestWatermark")
        self.watermark.setPlaceholderText(
            "Optional: e.g. the recipient's name, printed across pages"
        )

        form = QFormLayout()
        form.addRow("Requester type", self.requester_type)
        form.addRow("Requester name", self.requester_name)
        form.addRow("Organisation", self.requester_org)
        form.addRow("Address", self.requester_address)
        form.addRow("Legal basis", self.basis)
        form.addRow("Purpose", self.purpose)
        form.addRow("Delivery", self.delivery)
        form.addRow("Received on", self.received)
        due_row = QHBoxLayout()
        due_row.addWidget(self.due)
        due_row.addWidget(self.due_override)
        due_row.addStretch(1)
        form.addRow("Due on", due_row)
        form.addRow("", self.include_sensitive)
        form.addRow("Watermark", self.watermark)

        self.error = plain_label()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {tone('error')};")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.Ok)
        self.ok_button.setText("Log request (Ctrl+Enter)")
        self.ok_button.setObjectName("createRequestButton")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Patient</b>"))
        layout.addWidget(self.patient_search)
        layout.addWidget(self.patient_table)
        layout.addWidget(self.patient_label)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        order = [
            self.patient_search, self.patient_table, self.requester_type, self.requester_name,
            self.requester_org, self.requester_address, self.basis, self.purpose, self.delivery,
            self.received, self.due, self.due_override, self.include_sensitive, self.watermark,
        ]  # fmt: skip
        for a, b in zip(order, order[1:], strict=False):
            self.setTabOrder(a, b)

        self.searcher = PatientSearcher(session, self.patient_search, 10)
        self.searcher.results.connect(self._show)
        self.searcher.failed.connect(self.error.setText)
        self.searcher.cleared.connect(lambda: self.patient_model.set_rows([]))
        self.patient_search.installEventFilter(self)
        self.received.dateChanged.connect(self._recompute_due)
        self.due_override.toggled.connect(self._override_toggled)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            sc = QShortcut(QKeySequence(keys), self)
            sc.activated.connect(self.submit)
        self._recompute_due()
        self.patient_search.setFocus()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        self.patient_search.setFocus(Qt.OtherFocusReason)

    # --- patient --------------------------------------------------------------------------

    def eventFilter(self, obj, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802
        if (
            obj is self.patient_search
            and event.type() == QEvent.KeyPress
            and event.key() in (Qt.Key_Down, Qt.Key_Return, Qt.Key_Enter)
        ):
            if self.searcher.pending:
                self.searcher.run_now()
                return True
            if self.patient_model.rowCount():
                self.patient_table.setFocus()
                self.patient_table.selectRow(0)
                if event.key() != Qt.Key_Down:
                    self.requester_type.setFocus()
            return True
        return super().eventFilter(obj, event)

    def _show(self, rows: list[lookup.SearchResult]) -> None:
        self.patient_model.set_rows(rows)
        if not rows:
            self.patient_label.setText("No chart matches. Check the spelling or try the DOB.")

    def _choose(self, row: int) -> None:
        result = self.patient_model.row_object(row)
        if result is None:
            return
        self.patient = result.patient
        p = result.patient
        self.patient_label.setText(
            f"Patient: <b>{esc(p.display_name)}</b>, born {p.dob.strftime('%m/%d/%Y')}, "
            f"MRN {esc(p.mrn)}"
        )

    # --- dates ---------------------------------------------------------------------------

    def _recompute_due(self) -> None:
        if not self.due_override.isChecked():
            self.due.setDate(qdate(pydate(self.received.date()) + timedelta(days=self.due_days)))

    def _override_toggled(self, on: bool) -> None:
        self.due.setEnabled(on)
        if on:
            self.due.setFocus()
        else:
            self._recompute_due()

    # --- saving --------------------------------------------------------------------------

    def submit(self) -> None:
        if self._busy:
            return
        if self.patient is None:
            self.error.setText("Choose the patient first: type in the patient box, then Down.")
            self.patient_search.setFocus()
            return
        kwargs = {
            "requester_type": self.requester_type.currentData(),
            "basis": self.basis.currentData() or None,
            "requester_org": self.requester_org.text(),
            "requester_address": self.requester_address.toPlainText(),
            "received_on": pydate(self.received.date()),
            "delivery": self.delivery.currentData(),
            "include_sensitive": self.include_sensitive.isChecked(),
            "watermark": self.watermark.text(),
            "due_on": pydate(self.due.date()) if self.due_override.isChecked() else None,
        }
        if not self.requester_name.text().strip():
            self.error.setText("Enter who is asking for the records.")
            self.requester_name.setFocus()
            return
        if not self.purpose.text().strip():
            self.error.setText("Enter the purpose of the request.")
            self.purpose.setFocus()
            return
        self._busy = True
        self.ok_button.setEnabled(False)
        self.error.setText("Logging the request…")
        run_in_background(
            service.create_request, self.session, self.patient.id,
            self.requester_name.text(), self.purpose.text(),
            on_done=self._created, on_error=self._failed, **kwargs, context=self,
        )  # fmt: skip

    def _created(self, request) -> None:  # type: ignore[no-untyped-def]
        self._busy = False
        self.created = request
        self.error.setText("")
        self.accept()

    def _failed(self, message: str) -> None:
        self._busy = False
        self.ok_button.setEnabled(True)
        self.error.setText(message)


class ReasonDialog(QDialog):
    """Asks why a request is denied or cancelled (the reason is kept with the request)."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reasonDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        label = QLabel(prompt)
        label.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setObjectName("reasonEdit")
        self.error = plain_label()
        self.error.setStyleSheet(f"color: {tone('error')};")
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self._submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.reason.setFocus()

    def _submit(self) -> None:
        try:
            if not self.reason.text().strip():
                raise BadInput("Give a reason; it is kept with the request.")
        except ClinicError as exc:
            self.error.setText(exc.message)
            return
        self.accept()
