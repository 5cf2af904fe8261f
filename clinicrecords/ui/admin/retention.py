"""Retention and disposal (administrators): each document type's period, what is due, and
destruction with a certificate. State law decides the periods; the screen says so.

Keys: F5 reload; Alt+P set the chosen type's period; Ctrl+Shift+D destroy what is due (asks
first, then writes the certificate of destruction to the file named); Alt+C the certificate's
file name. Every call runs in a worker.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.records import retention
from clinicrecords.ui.admin.users import button, make_table, message_label, shortcut
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.workers import BusyTasks


def load_screen(
    session: Session, on: date | None
) -> tuple[list[retention.Policy], retention.DueList]:
    return retention.list_policies(session), retention.due(session, on)


class RetentionDialog(BusyTasks, QDialog):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        session.require("retention.manage")
        self.session = session
        self.on: date | None = None  # the day the schedule is read for (None: today)
        self.setObjectName("retentionDialog")
        self.setWindowTitle("Retention and disposal")

        self.note = QLabel(
            retention.STATE_LAW_NOTE + " A minor's records are kept the longer of the years "
            "after the date of service and the years after the age of majority (Clinic "
            "settings). Charts under a legal hold are never destroyed."
        )
        self.note.setWordWrap(True)
        self.policy_model: RowsModel[retention.Policy] = RowsModel(
            [
                ("Document type", lambda p: p.label),
                ("Years after service", lambda p: p.years),
                ("Minors: years after majority", lambda p: p.minor_years),
                ("", lambda p: "" if p.own else "default"),
            ],
            self,
        )
        self.policy_table = make_table(self.policy_model, "policyTable", stretch=0)
        self.policy_table.setAccessibleName("Retention periods")
        self.policy_table.selectionModel().currentRowChanged.connect(self._policy_chosen)
        self.years = QSpinBox()
        self.years.setRange(1, 100)
        self.years.setObjectName("policyYears")
        self.years.setAccessibleName("Years after the date of service")
        self.minor_years = QSpinBox()
        self.minor_years.setRange(0, 100)
        self.minor_years.setObjectName("policyMinorYears")
        self.minor_years.setAccessibleName("Years after the age of majority")
        self.set_button = button("Set &period", "setPolicyButton", self.set_policy)
        self.set_button.setAccessibleName("Set the chosen type's period")

        self.due_model: RowsModel[retention.DueDocument] = RowsModel(
            [
                ("Document", lambda d: d.document_id),
                ("MRN", lambda d: d.mrn),
                ("Type", lambda d: d.doc_type),
                ("Date of service", lambda d: d.doc_date.isoformat() if d.doc_date else "undated"),
                ("Kept until", lambda d: d.keep_until.isoformat()),
                ("Pages", lambda d: d.pages),
            ],
            self,
        )
        self.due_table = make_table(self.due_model, "dueTable", stretch=2)
        self.due_table.setAccessibleName("Documents due for destruction")
        self.due_summary = message_label("dueSummary")
        self.certificate = QLineEdit()
        self.certificate.setObjectName("certificatePath")
        self.certificate.setPlaceholderText("Certificate of destruction (PDF file)")
        self.certificate.setAccessibleName("Certificate of destruction file")
        cert_label = QLabel("&Certificate")
        cert_label.setBuddy(self.certificate)
        self.browse_button = button("Choose…", "certificateBrowse", self._browse)
        self.browse_button.setAccessibleName("Choose the certificate file")
        self.dispose_button = button(
            "Destroy due records… (Ctrl+Shift+D)", "disposeButton", self.dispose
        )
        self.dispose_button.setAccessibleName("Destroy due records")
        self.status = message_label("retentionStatus")
        self.error = message_label("retentionError", error=True)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        close.button(QDialogButtonBox.Close).setAutoDefault(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.policy_table, 1)
        row = QHBoxLayout()
        for w in (QLabel("Years"), self.years, QLabel("Minors"), self.minor_years, self.set_button):
            row.addWidget(w)  # fmt: skip
        row.addStretch(1)
        layout.addLayout(row)
        heading = QLabel("&Due for destruction")
        heading.setBuddy(self.due_table)
        layout.addWidget(heading)
        layout.addWidget(self.due_table, 2)
        layout.addWidget(self.due_summary)
        row = QHBoxLayout()
        for w in (cert_label, self.certificate, self.browse_button, self.dispose_button):
            row.addWidget(w)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(close)
        shortcut(self, "F5", self.reload)
        shortcut(self, "Ctrl+Shift+D", self.dispose)
        self.setTabOrder(self.policy_table, self.years)
        self.setTabOrder(self.years, self.minor_years)
        self.setTabOrder(self.minor_years, self.set_button)
        self.setTabOrder(self.set_button, self.due_table)
        self.setTabOrder(self.due_table, self.certificate)
        self.setTabOrder(self.certificate, self.dispose_button)
        self.resize(900, 640)
        self._update_buttons()
        self.reload()

    # --- reading ---------------------------------------------------------------------------

    def reload(self) -> None:
        self._run(load_screen, self.session, self.on, on_done=self._loaded)

    def _loaded(self, result: tuple) -> None:
        policies, due = result
        row = max(0, self.policy_table.currentIndex().row())
        self.policy_model.set_rows(policies)
        if policies:
            self.policy_table.selectRow(min(row, len(policies) - 1))
        self.due_model.set_rows(list(due.documents))
        self.due_summary.setText(
            f"{len(due.documents)} document(s) due; {due.held} more wait under a legal hold; "
            f"{due.in_release} are in a release not yet sent; {due.unshared} wait for the next "
            "sync."
        )
        self._update_buttons()

    def _policy_chosen(self, *_args: object) -> None:
        p = self.policy_model.row_object(self.policy_table.currentIndex().row())
        if p is not None:
            self.years.setValue(p.years)
            self.minor_years.setValue(p.minor_years)

    def _update_buttons(self) -> None:
        idle = self._busy == 0
        self.set_button.setEnabled(idle)
        self.dispose_button.setEnabled(idle and self.due_model.rowCount() > 0)

    # --- hooks tests replace -----------------------------------------------------------------

    def confirm(self, count: int) -> bool:
        answer = QMessageBox.question(
            self, "Destroy records",
            f"Destroy {count} document(s) for good? Their pages and text cannot be brought "
            "back (older backups keep them until they age out).",
        )  # fmt: skip
        return answer == QMessageBox.Yes

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Certificate of destruction", "", "PDF (*.pdf)")
        if path:
            self.certificate.setText(path)

    # --- writing ---------------------------------------------------------------------------

    def set_policy(self) -> None:
        p = self.policy_model.row_object(self.policy_table.currentIndex().row())
        if p is None or self.busy:
            return
        self._run(
            retention.set_policy, self.session, p.doc_type, self.years.value(),
            self.minor_years.value(),
            on_done=lambda x: (self.status.setText(f"{x.label}: kept {x.years} years."),
                               self.reload()),
        )  # fmt: skip

    def dispose(self) -> None:
        count = self.due_model.rowCount()
        if self.busy or count == 0:
            return
        if not self.certificate.text().strip():
            self._failed("Name the certificate's file first (Alt+C).")
            self.certificate.setFocus()
            return
        if not self.confirm(count):
            return
        self._run(
            retention.dispose, self.session, Path(self.certificate.text().strip()), self.on,
            on_done=self._disposed,
        )  # fmt: skip

    def _disposed(self, r: retention.DisposalResult) -> None:
        self.status.setText(
            f"Destroyed {len(r.documents)} document(s), {r.pages} page(s); certificate "
            f"{r.certificate_id} saved."
        )
        self.reload()
