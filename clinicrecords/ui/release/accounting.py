"""The patient's accounting of disclosures (45 CFR 164.528): six years, legal rows by default.

"Show all disclosures" (Alt+A) lists what the law leaves out too (to the patient, for
treatment, under an authorization), marked as such; Export as PDF… (Ctrl+Shift+S) writes the
report the patient is handed, built on a worker.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import get_setting
from clinicrecords.release import accounting
from clinicrecords.ui.plaintext import esc, plain_label, rich_label
from clinicrecords.ui.release.models import disclosures_model
from clinicrecords.ui.workers import run_in_background


def save_accounting_pdf(session: Session, report: accounting.AccountingReport, path: Path) -> Path:
    accounting.write_accounting_pdf(report, Path(path), str(get_setting(session, "clinic.name")))
    return Path(path)


class AccountingPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("accountingPanel")
        self.patient_id: int | None = None
        self.stale = True
        self.report: accounting.AccountingReport | None = None
        self._generation = 0

        self.heading = rich_label()
        self.heading.setObjectName("accountingHeading")
        self.heading.setWordWrap(True)
        self.show_all = QCheckBox("Show &all disclosures, not only those the law requires")
        self.show_all.setObjectName("accountingShowAll")
        self.show_all.toggled.connect(lambda _: self.reload())
        self.save_button = QPushButton("&Export as PDF… (Ctrl+Shift+S)")
        self.save_button.setObjectName("accountingSaveButton")
        self.save_button.clicked.connect(self.save_pdf)
        self.model = disclosures_model(self)
        self.table = QTableView()
        self.table.setObjectName("accountingTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
        header.setSectionResizeMode(self.model.columnCount() - 1, QHeaderView.Stretch)
        self.status = plain_label()
        self.status.setObjectName("accountingStatus")
        self.status.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.show_all)
        top.addStretch(1)
        top.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

    def set_patient(self, patient_id: int | None, force: bool = False) -> None:
        """Show this patient's accounting; loaded only when the tab is on screen, since
        every look at an accounting is audited."""
        if patient_id != self.patient_id:
            self.patient_id = patient_id
            self.model.set_rows([])
            self.report = None
            self.stale = True
        self.stale = self.stale or force
        if self.isVisible() and self.stale:
            self.reload()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        if self.stale:
            self.reload()

    def reload(self) -> None:
        if self.patient_id is None:
            self.heading.setText("Open a request to see its patient's accounting of disclosures.")
            return
        self.stale = False
        self._generation += 1
        generation = self._generation
        run_in_background(
            accounting.accounting, self.session, self.patient_id, self.show_all.isChecked(),
            on_done=lambda r: self._show(generation, r), on_error=self.status.setText, context=self,
        )  # fmt: skip

    def _show(self, generation: int, report: accounting.AccountingReport) -> None:
        if generation != self._generation:
            return
        self.report = report
        self.model.set_rows(list(report.shown))
        legal = sum(1 for d in report.disclosures if d.in_accounting)
        self.heading.setText(
            f"<b>{esc(report.patient_name)}</b>, born {report.patient_dob.strftime('%m/%d/%Y')}: "
            f"disclosures {report.since} to {report.until}. {legal} in the legal accounting, "
            f"{len(report.disclosures)} in all."
        )
        self.status.setText("" if report.shown else "No disclosures to show for this period.")

    def ask_save_path(self) -> Path | None:
        """Where to save the report (a hook tests replace)."""
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the accounting of disclosures",
            str(Path.home() / "accounting-of-disclosures.pdf"), "PDF (*.pdf)",
        )  # fmt: skip
        return Path(name) if name else None

    def save_pdf(self) -> None:
        if self.report is None:
            self.status.setText("The accounting is still loading; try again in a moment.")
            return
        path = self.ask_save_path()
        if path is None:
            return
        self.status.setText("Writing the PDF…")
        run_in_background(
            save_accounting_pdf, self.session, self.report, path,
            on_done=lambda p: self.status.setText(f"Saved the accounting to {p}."),
            on_error=self.status.setText, context=self,
        )  # fmt: skip
