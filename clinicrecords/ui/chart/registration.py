"""The new-patient form: checked fields, then likely duplicates shown before anything is saved.

Enter on the form checks it. If charts that may be the same person exist, they are listed
with the reasons and the clerk must choose: open one of them, or register a new chart anyway
(recorded in the audit trail with the charts that were shown).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic import settings
from clinicrecords.clinic.session import Session
from clinicrecords.common.dates import in_future, read_date
from clinicrecords.common.domain import Patient, PreviousName
from clinicrecords.common.errors import BadInput, ClinicError
from clinicrecords.registry import duplicates
from clinicrecords.registry.patients import PatientInput, validate
from clinicrecords.registry.previous_names import set_previous_names
from clinicrecords.ui.chart.previous_names import parse_aka_list
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import run_in_background

SEX_CHOICES = (("U", "Unknown"), ("F", "Female"), ("M", "Male"), ("X", "X / another"))


def parse_form_dob(text: str, order: str = "MDY") -> date:
    """A DOB typed in any common form, day and month in the clinic's ``order``; a future date
    is named as such, not as unreadable."""
    text = text.strip()
    if not text:
        raise BadInput("The date of birth is required.")
    dob = read_date(text, order, past_only=True)
    if dob is not None:
        return dob
    if in_future(text, order):
        raise BadInput("The date of birth cannot be in the future.")
    raise BadInput(f"The date of birth is not a date the program can read (try {_FORM[order]}).")


_FORM = {"MDY": "MM/DD/YYYY", "DMY": "DD/MM/YYYY"}


def register_with_previous_names(
    session: Session, p: PatientInput, shown: list[int], previous: list[PreviousName]
) -> Patient:
    """Register (duplicates already shown), then keep the names typed as "also known as"."""
    patient = duplicates.register_checked(session, p, shown)
    if previous:
        patient = set_previous_names(session, patient.id, previous)
    return patient


class RegistrationDialog(QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("registrationDialog")
        self.setWindowTitle("New patient")
        self.setModal(True)
        self.registered: Patient | None = None
        self.chosen_patient_id: int | None = None
        self.checked: PatientInput | None = None
        self.previous: list[PreviousName] = []  # the "also known as" box, checked
        self.candidates: list[duplicates.DuplicateCandidate] = []
        self.busy = False
        self.date_order = settings.date_order(session)

        self.form = QFormLayout()
        self.family = self._field("Family name *", "familyEdit")
        self.given = self._field("Given name *", "givenEdit")
        self.middle = self._field("Middle name", "middleEdit")
        self.dob = self._field(
            "Date of birth *", "dobEdit", f"{_FORM[self.date_order]}, or any common form"
        )
        self.sex = QComboBox()
        self.sex.setObjectName("sexCombo")
        for code, label in SEX_CHOICES:
            self.sex.addItem(f"{label} ({code})", code)
        self.form.addRow("&Sex", self.sex)
        self.phone = self._field("Phone", "phoneEdit")
        self.address = self._field("Street address", "addressEdit")
        self.city = self._field("City", "cityEdit")
        row = QHBoxLayout()
        self.state = QLineEdit()
        self.state.setObjectName("stateEdit")
        self.state.setMaximumWidth(80)
        self.zip = QLineEdit()
        self.zip.setObjectName("zipEdit")
        self.zip.setMaximumWidth(120)
        row.addWidget(self.state)
        row.addWidget(QLabel("ZIP"))
        row.addWidget(self.zip)
        row.addStretch(1)
        self.form.addRow("State", row)
        self.mrn = self._field("MRN", "mrnEdit", "leave empty: the next clinic number is given")
        self.aka = self._field(
            "Also known as", "akaEdit", "maiden names: FAMILY, Given; several with ; between"
        )
        self.aka.setAccessibleName("Also known as: previous names")
        self.aka.setToolTip(
            "Names on older documents (a maiden name, a previous legal name): search and the "
            "scan suggestions find the chart by them too. More kinds: the chart's Also known as."
        )

        self.error = plain_label()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {tone('error')};")

        # --- likely duplicates -----------------------------------------------------------
        self.dup_box = QWidget()
        self.dup_box.setObjectName("duplicatesBox")
        self.dup_label = QLabel("")
        self.dup_label.setObjectName("duplicatesLabel")
        self.dup_label.setWordWrap(True)
        self.dup_label.setStyleSheet(f"color: {tone('warn')}; font-weight: bold;")
        self.dup_model: RowsModel[duplicates.DuplicateCandidate] = RowsModel(
            [
                ("Name", lambda c: c.patient.display_name),
                ("Why shown", lambda c: "; ".join(c.reasons)),
                ("Date of birth", lambda c: c.patient.dob.strftime("%m/%d/%Y")),
                ("Sex", lambda c: c.patient.sex),
                ("MRN", lambda c: c.patient.mrn),
                ("Phone", lambda c: c.patient.phone),
                ("Address", lambda c: c.patient.address),
            ]
        )
        self.dup_table = read_only_table("duplicatesTable", self.dup_model, stretch=1)
        self.dup_table.setWordWrap(True)
        self.dup_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.dup_table.activated.connect(lambda _i: self.open_existing())
        self.open_button = QPushButton("&Open the selected chart")
        self.open_button.setObjectName("openExistingButton")
        self.open_button.clicked.connect(self.open_existing)
        self.anyway_button = QPushButton("&Register as a new patient anyway")
        self.anyway_button.setObjectName("registerAnywayButton")
        self.anyway_button.clicked.connect(self.register_anyway)
        dl = QVBoxLayout(self.dup_box)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.dup_label)
        dl.addWidget(self.dup_table)
        br = QHBoxLayout()
        br.addWidget(self.open_button)
        br.addWidget(self.anyway_button)
        br.addStretch(1)
        dl.addLayout(br)
        self.dup_box.hide()

        self.save_button = QPushButton("Check and &save")
        self.save_button.setObjectName("saveButton")
        self.save_button.setDefault(True)
        self.save_button.setAutoDefault(True)
        self.save_button.clicked.connect(self.check)
        cancel = QPushButton("Cancel")
        cancel.setObjectName("cancelButton")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)

        layout = QVBoxLayout(self)
        note = QLabel("Fields marked * are required. Likely duplicates are shown before saving.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.dup_box, 1)
        layout.addLayout(buttons)
        self.resize(960, 560)
        for edit in (
            self.family,
            self.given,
            self.middle,
            self.dob,
            self.phone,
            self.address,
            self.city,
            self.state,
            self.zip,
            self.mrn,
            self.aka,
        ):
            edit.textEdited.connect(self._edited)
            edit.returnPressed.connect(self._enter)
        self.sex.currentIndexChanged.connect(self._edited)
        self.first_field: QWidget = self.family

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        self.activateWindow()
        self.first_field.setFocus(Qt.OtherFocusReason)

    def _field(self, label: str, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        self.form.addRow(label, edit)
        return edit

    def prefill_from_search(self, text: str) -> None:
        """'Family, Given' or 'Given Family' typed in the search box starts the form."""
        if "," in text:
            family, _, given = text.partition(",")
        else:
            words = text.split()
            if len(words) < 2 or any(ch.isdigit() for ch in text):
                return
            given, family = " ".join(words[:-1]), words[-1]
        self.family.setText(family.strip().title())
        self.given.setText(given.strip().title())
        self.first_field = self.dob

    # --- flow ------------------------------------------------------------------------------

    def _enter(self) -> None:
        self.check()

    def _edited(self, *_args: object) -> None:
        """Any change after the duplicate check means checking again."""
        if self.checked is not None:
            self.checked = None
            self.candidates = []
            self.dup_box.hide()
            self.save_button.setEnabled(True)
            self.error.setText("")

    def form_input(self) -> PatientInput:
        """The form as typed; errors are raised in the order of the fields on screen."""

        def make(dob: date) -> PatientInput:
            return PatientInput(
                family=self.family.text(),
                given=self.given.text(),
                middle=self.middle.text(),
                dob=dob,
                sex=self.sex.currentData(),
                phone=self.phone.text(),
                address=self.address.text(),
                city=self.city.text(),
                state=self.state.text(),
                zip=self.zip.text(),
                mrn=self.mrn.text(),
            )

        try:
            dob = parse_form_dob(self.dob.text(), self.date_order)
        except BadInput:
            validate(make(date(2000, 1, 1)))  # a name error, if any, comes first
            raise
        return make(dob)

    def check(self) -> None:
        if self.busy:
            return
        if self.checked is not None and self.candidates:
            self.error.setText("Choose: open one of the charts listed, or register anyway.")
            return
        try:
            p = validate(self.form_input())
            self.previous = parse_aka_list(self.aka.text())
        except ClinicError as exc:
            self.error.setText(exc.message)
            self._focus_field(exc.message)
            return
        self.error.setText("Checking for charts of the same person…")
        self._busy(True)
        run_in_background(
            duplicates.likely_duplicates,
            self.session,
            p,
            context=self,
            on_done=lambda found: self._checked(p, found),
            on_error=self._failed,
        )

    def _focus_field(self, message: str) -> None:
        m = message.lower()
        for words, edit in (
            ("previous", self.aka),  # "The previous family name…" is the box's, not Family
            ("family", self.family),
            ("given", self.given),
            ("middle", self.middle),
            ("birth", self.dob),
            ("phone", self.phone),
            ("mrn", self.mrn),
        ):
            if words in m:
                edit.setFocus()
                edit.selectAll()
                return

    def _checked(self, p: PatientInput, found: list[duplicates.DuplicateCandidate]) -> None:
        self._busy(False)
        self.checked = p
        self.candidates = found
        if not found:
            self._register(p, [])
            return
        self.error.setText("")
        self.dup_label.setText(
            f"{len(found)} chart(s) may be this same person. Open one of them, or register a "
            "new chart only if you are sure it is someone else."
        )
        self.dup_model.set_rows(found)
        self.dup_box.show()
        self.save_button.setEnabled(False)
        self.dup_table.setFocus()
        self.dup_table.selectRow(0)

    def open_existing(self) -> None:
        c = self.dup_model.row_object(self.dup_table.currentIndex().row())
        if c is None:
            self.error.setText("Select a chart in the list first.")
            return
        self.chosen_patient_id = c.patient.id
        self.accept()

    def register_anyway(self) -> None:
        if self.checked is None:
            return
        self._register(self.checked, [c.patient.id for c in self.candidates])

    def _register(self, p: PatientInput, shown: list[int]) -> None:
        self._busy(True)
        self.error.setText("Saving…")
        run_in_background(
            register_with_previous_names,
            self.session,
            p,
            shown,
            list(self.previous),
            context=self,
            on_done=self._saved,
            on_error=self._failed,
        )

    def _saved(self, patient: Patient) -> None:
        self._busy(False)
        self.registered = patient
        self.chosen_patient_id = patient.id
        self.accept()

    def _failed(self, message: str) -> None:
        self._busy(False)
        self.error.setText(message)
        self._focus_field(message)

    def _busy(self, busy: bool) -> None:
        self.busy = busy
        for b in (self.save_button, self.open_button, self.anyway_button):
            b.setEnabled(not busy and (b is not self.save_button or not self.candidates))
        self.setCursor(Qt.BusyCursor if busy else Qt.ArrowCursor)
