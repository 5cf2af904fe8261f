"""Possible wrong-party disclosures: releases that included pages later moved to another
chart, for the privacy officer to assess (45 CFR 164.402) and, where needed, to write to the
recipient. The same services as ``clinicrecords documents disclosures-review``,
``disclosure-assess`` and ``disclosure-letter``; reads and writes run in a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.records import corrections as corr
from clinicrecords.records.disclosure_letter import write_letter
from clinicrecords.ui.admin.users import button, local_time, make_table, message_label, shortcut
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import BusyTasks


class DisclosureReviewDialog(BusyTasks, QDialog):
    """Alt+O the outcome, Enter (or Alt+R) records it; Alt+L saves the letter to the
    recipient as a PDF; Alt+A shows assessed entries too; F5 reloads."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        session.require(corr.REVIEW_PERMISSION)
        self.session = session
        self.setObjectName("disclosureReviewDialog")
        self.setWindowTitle("Possible wrong-party disclosures")
        columns: Sequence[tuple[str, Callable[[corr.DisclosureReview], Any]]] = (
            ("Release", lambda r: r.request_id),
            ("Sent to", lambda r: r.requester),
            ("On", lambda r: r.disclosed_on or ""),
            ("Pages", lambda r: r.pages),
            ("Document", lambda r: f"#{r.document_id} {r.type_label} {r.doc_date or ''}"),
            ("Was in MRN", lambda r: r.from_mrn),
            ("Belongs to MRN", lambda r: r.to_mrn),
            ("Moved by / why", lambda r: f"{r.moved_by}: {r.reason}"),
            ("Found", lambda r: local_time(r.found_at, with_seconds=False)),
            ("Assessment", lambda r: r.outcome),
        )
        self.model: RowsModel[corr.DisclosureReview] = RowsModel(columns, self)
        self.table = make_table(self.model, "disclosureReviewTable", stretch=7)
        self.table.setAccessibleName("Releases that included misfiled pages")
        heading = QLabel("Releases that included pages filed in the wrong chart:")
        heading.setBuddy(self.table)
        self.show_all = QCheckBox("Show &assessed entries too")
        self.show_all.setObjectName("showAssessedCheck")
        self.show_all.setAccessibleName("Show assessed entries too")
        self.show_all.toggled.connect(lambda _on: self.reload())
        self.outcome = QLineEdit()
        self.outcome.setObjectName("assessmentEdit")
        self.outcome.setAccessibleName("Assessment outcome")
        self.outcome.setPlaceholderText("e.g. low probability of compromise: pages returned")
        self.outcome.returnPressed.connect(self.assess)
        outcome_label = QLabel("&Outcome")
        outcome_label.setBuddy(self.outcome)
        self.assess_button = button("&Record assessment", "assessButton", self.assess)
        self.letter_button = button("Save &letter to the recipient…", "letterButton",
                                    self.save_letter)  # fmt: skip
        for b in (self.assess_button, self.letter_button):
            b.setAccessibleName(b.text().replace("&", ""))
        actions = QHBoxLayout()
        actions.addWidget(outcome_label)
        actions.addWidget(self.outcome, 1)
        actions.addWidget(self.assess_button)
        actions.addWidget(self.letter_button)
        hint = QLabel(
            "Each line is a release that went out with pages later found to belong to another "
            "patient. Assess each (45 CFR 164.402: the probability that the information was "
            "compromised), record the outcome, and send the recipient the letter asking them "
            "to return or destroy the pages. The letter's wording is in "
            "letters/wrong_party_disclosure.txt."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {tone('muted')};")
        self.status = message_label("statusLabel")
        self.error = message_label("errorLabel", error=True)
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        close.button(QDialogButtonBox.Close).setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.show_all)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(close)
        shortcut(self, "F5", self.reload)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.resize(1150, 480)
        self._update_buttons()
        self.reload()
        self.table.setFocus()

    def selected(self) -> corr.DisclosureReview | None:
        return self.model.row_object(self.table.currentIndex().row())

    def reload(self) -> None:
        self._run(corr.disclosure_reviews, self.session, self.show_all.isChecked(),
                  on_done=self._loaded)  # fmt: skip

    def _loaded(self, rows: list[corr.DisclosureReview]) -> None:
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(0)
        else:
            # after an assessment, keep saying it was recorded: the empty list is the news after
            done = self.status.text() if self.status.text().endswith("recorded.") else ""
            self.status.setText(f"{done} No possible wrong-party disclosures to review.".strip())
        self._update_buttons()

    def _update_buttons(self) -> None:
        r = self.selected()
        idle = self._busy == 0
        self.assess_button.setEnabled(idle and r is not None and r.status == "open")
        self.letter_button.setEnabled(idle and r is not None)

    def assess(self) -> None:
        r = self.selected()
        if r is None or self._busy:
            return
        text = self.outcome.text()
        self._run(corr.assess_disclosure, self.session, r.id, text,
                  on_done=lambda _x: self._assessed(r))  # fmt: skip

    def _assessed(self, r: corr.DisclosureReview) -> None:
        self.outcome.clear()
        self.status.setText(f"Assessment of release {r.request_id} recorded.")
        self.reload()

    def ask_save_path(self) -> Path | None:
        """Where to save the letter (a hook tests replace)."""
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the letter", str(Path.home() / "disclosure-in-error.pdf"), "PDF (*.pdf)"
        )
        return Path(name) if name else None

    def save_letter(self) -> None:
        r = self.selected()
        if r is None or self._busy:
            return
        path = self.ask_save_path()
        if path is None:
            return
        self._run(write_letter, self.session, r.id, path,
                  on_done=lambda _x: self.status.setText(f"Saved the letter to {path}."))  # fmt: skip
