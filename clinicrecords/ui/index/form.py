"""The filing form: patient (suggested, or found by typing), type, date, author, facility.

Enter files the document; Tab moves between fields; typing in the patient field runs chart
lookup off the UI thread; Up/Down in the patient field choose among the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.registry import lookup
from clinicrecords.scan.types import PatientSuggestion, Suggestions
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.patient_search import PatientSearcher
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table


@dataclass(frozen=True)
class Candidate:
    patient_id: int
    name: str
    dob: str
    mrn: str
    score: float
    why: str  # "MRN + DOB", "lookup", ...


def _date_reason(s: Suggestions) -> str:
    """The suggested date's reason in words, from its evidence ("collection date: ...")."""
    if not s.doc_date or not s.doc_date[0].evidence:
        return ""
    return "Why this date: " + s.doc_date[0].evidence[0].text.partition(": ")[0]


class IndexForm(QWidget):
    file_requested = Signal()
    changed = Signal()

    def __init__(
        self, session: Session, doc_types: list[tuple[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("indexForm")
        self.confidence = plain_label()
        self.confidence.setObjectName("confidenceLabel")
        self.confidence.setWordWrap(True)
        self.patient = QLineEdit()
        self.patient.setObjectName("patientField")
        self.patient.setPlaceholderText("Type a name, DOB or MRN to find the chart")
        self.candidates: RowsModel[Candidate] = RowsModel(
            [
                ("Patient", lambda c: c.name),
                ("DOB", lambda c: c.dob),
                ("MRN", lambda c: c.mrn),
                ("Match", lambda c: f"{c.score:.0%}"),
            ]
        )
        self.table = read_only_table("patientCandidates", self.candidates, stretch=0)
        self.table.setFocusPolicy(Qt.ClickFocus)
        self.table.setMaximumHeight(130)
        self.doc_type = QComboBox()
        self.doc_type.setObjectName("typeField")
        for code, label in doc_types:
            self.doc_type.addItem(label, code)
        self.doc_date = QLineEdit()
        self.doc_date.setObjectName("dateField")
        self.doc_date.setPlaceholderText("YYYY-MM-DD or MM/DD/YYYY")
        self.date_reason = plain_label()  # why that date: "collection date", "letter date line"
        self.date_reason.setObjectName("dateReason")
        self.author = QLineEdit()
        self.author.setObjectName("authorField")
        self.facility = QLineEdit()
        self.facility.setObjectName("facilityField")
        self.file_button = QPushButton("File document  (Enter)")
        self.file_button.setObjectName("fileButton")
        self.file_button.clicked.connect(self.file_requested)
        self.error = plain_label()
        self.error.setObjectName("formError")
        self.error.setStyleSheet(f"color:{tone('error')};")
        self.error.setWordWrap(True)

        form = QFormLayout()
        form.addRow("&Patient", self.patient)
        form.addRow("", self.table)
        form.addRow("&Type", self.doc_type)
        form.addRow("&Date", self.doc_date)
        form.addRow("", self.date_reason)
        form.addRow("&Author", self.author)
        form.addRow("&Facility", self.facility)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.confidence)
        layout.addLayout(form)
        layout.addWidget(self.file_button)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.setTabOrder(self.patient, self.doc_type)
        self.setTabOrder(self.doc_type, self.doc_date)
        self.setTabOrder(self.doc_date, self.author)
        self.setTabOrder(self.author, self.facility)
        self.setTabOrder(self.facility, self.file_button)

        self._suggested: list[Candidate] = []
        self._filling = False
        self.searcher = PatientSearcher(session, self.patient, 8, on_edit_only=True)
        self.searcher.results.connect(self._show_lookup)
        self.searcher.failed.connect(self.error.setText)
        self.searcher.cleared.connect(lambda: self.candidates.set_rows(self._suggested))
        for w in (self.patient, self.doc_date, self.author, self.facility):
            w.installEventFilter(self)
            w.textEdited.connect(lambda _: self._changed())
        self.doc_type.installEventFilter(self)
        self.doc_type.currentIndexChanged.connect(lambda _: self._changed())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._changed())

    # -- filling from suggestions --------------------------------------------------------
    def clear(self) -> None:
        """Nothing to file: no stale patient or suggestion may stay on screen."""
        self._filling = True
        try:
            self._suggested = []
            self.candidates.set_rows([])
            self.confidence.setText("")
            self.error.setText("")
            for w in (self.patient, self.doc_date, self.author, self.facility):
                w.clear()
            self.date_reason.setText("")
        finally:
            self._filling = False

    def fill(self, s: Suggestions, saved: dict | None = None) -> None:
        """Pre-fill from the page's suggestions, then apply what the clerk already typed."""
        self._filling = True
        try:
            self.error.setText("")
            self._suggested = [
                Candidate(
                    p.patient_id,
                    p.name,
                    p.dob,
                    p.mrn,
                    p.score,
                    _why(p),
                )
                for p in s.patient[:5]
            ]
            self.candidates.set_rows(self._suggested)
            top = s.confident_patient
            if top is not None:
                self.confidence.setText(f"Confident match ({_why(top)}). Enter files it.")
                self.confidence.setStyleSheet(f"color:{tone('ok')};font-weight:bold;")
                self.table.selectRow(0)
                self.patient.setText(top.name)
            else:
                self.confidence.setText(
                    "Review: no confident patient (two identifiers must agree). "
                    "Check the page, type to find the chart."
                )
                self.confidence.setStyleSheet(f"color:{tone('warn')};font-weight:bold;")
                self.patient.setText("")
                self.table.clearSelection()
                self.table.setCurrentIndex(self.candidates.index(-1, -1))
            self._set_type(s.doc_type[0].value if s.doc_type else "other")
            self.doc_date.setText(s.doc_date[0].value if s.doc_date else "")
            self.date_reason.setText(_date_reason(s))
            self.author.setText(s.author[0].value if s.author else "")
            self.facility.setText(s.facility[0].value if s.facility else "")
            if saved:
                self._apply_saved(saved)
        finally:
            self._filling = False

    def _apply_saved(self, saved: dict) -> None:
        if "patient" in saved and saved["patient"]:
            c = Candidate(**saved["patient"])
            rows = [c] + [r for r in self._suggested if r.patient_id != c.patient_id]
            self.candidates.set_rows(rows)
            self.table.selectRow(0)
            self.patient.setText(c.name)
        if "doc_type" in saved:
            self._set_type(saved["doc_type"])
        for key, w in (
            ("doc_date", self.doc_date),
            ("author", self.author),
            ("facility", self.facility),
        ):
            if key in saved:
                w.setText(saved[key])

    def _set_type(self, code: str) -> None:
        i = self.doc_type.findData(code)
        self.doc_type.setCurrentIndex(i if i >= 0 else max(0, self.doc_type.findData("other")))

    def _changed(self) -> None:
        if not self._filling:
            self.changed.emit()

    def values(self) -> dict:
        """What the clerk has now, as the batch state keeps it (no lookups, plain data)."""
        c = self.selected()
        return {
            "patient": None if c is None else c.__dict__.copy(),
            "doc_type": self.doc_type.currentData(),
            "doc_date": self.doc_date.text().strip(),
            "author": self.author.text().strip(),
            "facility": self.facility.text().strip(),
        }

    def selected(self) -> Candidate | None:
        idx = self.table.currentIndex()
        if not idx.isValid() or not self.table.selectionModel().isRowSelected(idx.row()):
            return None
        return self.candidates.row_object(idx.row())

    # -- chart lookup ----------------------------------------------------------------------
    def _show_lookup(self, rows: list[lookup.SearchResult]) -> None:
        self.candidates.set_rows(
            [
                Candidate(
                    r.patient.id,
                    r.patient.display_name,
                    r.patient.dob.isoformat(),
                    r.patient.mrn,
                    r.score,
                    "lookup",
                )
                for r in rows
            ]
        )
        if rows:
            self.table.selectRow(0)
        else:
            self.error.setText("No chart matches. Check the spelling or try the date of birth.")
        self._changed()

    @property
    def lookup_pending(self) -> bool:
        return self.searcher.pending

    def flush_lookup(self) -> None:
        if self.searcher.pending:
            self.searcher.run_now()

    # -- keys ------------------------------------------------------------------------------
    def eventFilter(self, obj, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.type() == QEvent.KeyPress:
            key = event.key()
            if key in (Qt.Key_Return, Qt.Key_Enter) and not event.modifiers() & ~Qt.KeypadModifier:
                if obj is self.patient and self.searcher.pending:
                    self.flush_lookup()  # the results arrive; Enter again files
                    return True
                self.file_requested.emit()
                return True
            if obj is self.patient and key in (Qt.Key_Down, Qt.Key_Up):
                n = self.candidates.rowCount()
                if n:
                    row = self.table.currentIndex().row()
                    row = 0 if row < 0 else row + (1 if key == Qt.Key_Down else -1)
                    self.table.selectRow(max(0, min(n - 1, row)))
                return True
        return super().eventFilter(obj, event)


def _why(p: PatientSuggestion) -> str:
    """The reason in words ("name + DOB in the patient block", "maiden name + DOB"); older
    stored suggestions without one show their evidence kinds."""
    return p.reason or " + ".join(sorted({e.kind.upper() for e in p.evidence})) or "—"
