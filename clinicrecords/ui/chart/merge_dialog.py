"""Merge a duplicate chart into the open one: find it, compare both, say why, confirm.

The open chart survives. The duplicate's documents and pages move into it and its MRN keeps
finding it; an administrator can undo the merge from the chart's Merges tab.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Patient
from clinicrecords.records import charts
from clinicrecords.registry import lookup, merge
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.patient_search import PatientSearcher
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import run_in_background


def _describe(p: Patient, docs: int | None = None, pages: int | None = None) -> str:
    e = html.escape
    lines = [
        f"<b>{e(p.display_name)}</b>",
        f"DOB <b>{p.dob.strftime('%m/%d/%Y')}</b> · Sex {e(p.sex)}",
        f"MRN {e(p.mrn)}",
    ]
    if p.phone:
        lines.append(f"Phone {e(p.phone)}")
    if p.address:
        lines.append(e(p.address))
    if docs is not None:
        lines.append(f"{docs} document(s), {pages} page(s)")
    return "<br>".join(lines)


class MergeDialog(QDialog):
    def __init__(self, session: Session, survivor: Patient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.survivor = survivor
        self.candidate: charts.ChartSummary | None = None
        self.result_: merge.MergeResult | None = None
        self.setObjectName("mergeDialog")
        self.setWindowTitle("Merge a duplicate chart")
        self.setModal(True)

        intro = QLabel(
            "Find the duplicate chart of this same person. Its documents and pages move into "
            "the chart on the left, and its MRN will still find it. An administrator can undo "
            "a merge."
        )
        intro.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setObjectName("mergeSearch")
        self.search.setPlaceholderText("Find the duplicate: name, date of birth, MRN or phone")
        self.model: RowsModel[lookup.SearchResult] = RowsModel(
            [
                ("Name", lambda r: r.patient.display_name),
                ("Date of birth", lambda r: r.patient.dob.strftime("%m/%d/%Y")),
                ("Sex", lambda r: r.patient.sex),
                ("MRN", lambda r: r.patient.mrn),
                ("Phone", lambda r: r.patient.phone),
            ]
        )
        self.table = read_only_table("mergeResults", self.model, stretch=0)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _p: self._pick(cur.row()))
        self.table.activated.connect(lambda _i: self.reason.setFocus())

        self.keep_label = QLabel(_describe(survivor))
        self.keep_label.setObjectName("survivorSummary")
        self.gone_label = QLabel("Choose the duplicate in the list.")
        self.gone_label.setObjectName("mergedSummary")
        for lab in (self.keep_label, self.gone_label):
            lab.setTextFormat(Qt.RichText)
            lab.setWordWrap(True)
            lab.setAlignment(Qt.AlignTop | Qt.AlignLeft)
            lab.setStyleSheet(
                f"padding: 6px; border: 1px solid {tone('header_border')}; "
                f"background: {tone('panel_bg')};"
            )
        grid = QGridLayout()
        grid.addWidget(QLabel("Stays (this chart)"), 0, 0)
        grid.addWidget(QLabel("Is merged into it"), 0, 1)
        grid.addWidget(self.keep_label, 1, 0)
        grid.addWidget(self.gone_label, 1, 1)

        self.reason = QLineEdit()
        self.reason.setObjectName("mergeReason")
        self.reason.setPlaceholderText(
            "Why are these the same person? (recorded in the audit trail)"
        )
        self.confirm = QCheckBox("I compared both charts: they are the same person")
        self.confirm.setObjectName("mergeConfirm")
        self.error = plain_label()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {tone('error')};")
        self.merge_button = QPushButton("&Merge")
        self.merge_button.setObjectName("confirmMergeButton")
        self.merge_button.setEnabled(False)
        self.merge_button.setAutoDefault(False)
        self.merge_button.clicked.connect(self.do_merge)
        cancel = QPushButton("Cancel")
        cancel.setObjectName("cancelMergeButton")
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(cancel)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(grid)
        layout.addWidget(QLabel("Reason"))
        layout.addWidget(self.reason)
        layout.addWidget(self.confirm)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.resize(900, 640)

        self.searcher = PatientSearcher(session, self.search, 25)
        self.searcher.results.connect(self._show)
        self.searcher.failed.connect(self.error.setText)
        self.searcher.cleared.connect(lambda: self.model.set_rows([]))
        self.search.returnPressed.connect(lambda: self.table.setFocus())
        self.reason.textChanged.connect(self._update_button)
        self.reason.returnPressed.connect(lambda: self.confirm.setFocus())
        self.confirm.toggled.connect(self._update_button)
        self.search.setFocus()

    def _show(self, rows: list[lookup.SearchResult]) -> None:
        self.model.set_rows([r for r in rows if r.patient.id != self.survivor.id])
        if self.model.rowCount():
            self.table.selectRow(0)
        else:
            self._pick(-1)

    def _pick(self, row: int) -> None:
        r = self.model.row_object(row)
        self.candidate = None
        self._update_button()
        if r is None:
            self.gone_label.setText("Choose the duplicate in the list.")
            return
        self.gone_label.setText(_describe(r.patient))
        pid = r.patient.id
        run_in_background(
            charts.chart_summary,
            self.session,
            pid,
            context=self,
            on_done=lambda s: self._summary(pid, s),
            on_error=self.error.setText,
        )

    def _summary(self, pid: int, summary: charts.ChartSummary) -> None:
        r = self.model.row_object(self.table.currentIndex().row())
        if r is None or r.patient.id != pid:
            return
        self.candidate = summary
        self.gone_label.setText(_describe(summary.patient, summary.documents, summary.pages))
        self._update_button()

    def _update_button(self, *_args: object) -> None:
        ready = (
            self.candidate is not None
            and self.confirm.isChecked()
            and len(self.reason.text().strip()) >= merge.MIN_REASON
        )
        self.merge_button.setEnabled(ready)
        self.merge_button.setDefault(ready)

    def do_merge(self) -> None:
        if self.candidate is None:
            return
        self.merge_button.setEnabled(False)
        self.error.setText("Merging…")
        run_in_background(
            merge.merge_charts,
            self.session,
            self.survivor.id,
            self.candidate.patient.id,
            self.reason.text(),
            context=self,
            on_done=self._merged,
            on_error=self._failed,
        )

    def _merged(self, result: merge.MergeResult) -> None:
        self.result_ = result
        self.accept()

    def _failed(self, message: str) -> None:
        self.error.setText(message)
        self._update_button()
