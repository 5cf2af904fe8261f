"""The chart's "Holds && amendments" tab: legal holds (which stop the retention schedule from
destroying anything in the chart) and the patient's requests to amend (45 CFR 164.526), with
their due dates, decisions, denial letters and statements of disagreement.

Keys (anywhere in the chart): Ctrl+Shift+H place a hold, Ctrl+Shift+L release it,
Ctrl+Shift+A log an amendment request for the document shown, Ctrl+Shift+Y accept /
Ctrl+Shift+N deny the selected request, Ctrl+Shift+E extend its deadline once,
Ctrl+Shift+G store the patient's statement of disagreement. Every call runs off the UI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from clinicrecords.clinic.session import Session
from clinicrecords.common.changes import Changes
from clinicrecords.records import amendments, retention
from clinicrecords.ui.admin.users import button, make_table, message_label, shortcut
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import BusyTasks


def load_lifecycle(
    session: Session, patient_id: int
) -> tuple[list[retention.Hold], list[amendments.Amendment]]:
    """What the tab shows (in a worker): the chart's active holds and its requests."""
    return retention.holds(session, patient_id), amendments.list_amendments(session, patient_id)


def _status(a: amendments.Amendment) -> str:
    if a.status == "pending":
        return "OVERDUE" if a.overdue else ("pending (extended)" if a.extended_on else "pending")
    extra = " + statement" if a.disagreement else ""
    return f"{a.status} {a.decided_on.isoformat() if a.decided_on else ''}{extra}"


class LifecyclePanel(BusyTasks, QWidget):
    def __init__(self, session: Session, bus: ChangeBus, host: QWidget) -> None:
        super().__init__(host)
        self.session = session
        self.bus = bus
        self.patient_id: int | None = None
        self.document_id: int | None = None  # the document the chart shows
        self.setObjectName("lifecyclePanel")

        self.hold_label = message_label("holdStatus")
        self.hold_reason = self._edit("holdReason", "Case or matter (for a legal hold)")
        self.hold_button = button("Place legal &hold (Ctrl+Shift+H)", "holdButton", self.place_hold)
        self.release_button = button("Release hold (Ctrl+Shift+L)", "releaseHoldButton",
                                     self.release_hold)  # fmt: skip
        can_hold = session.can("retention.hold")
        for w in (self.hold_reason, self.hold_button, self.release_button):
            w.setVisible(can_hold)

        self.model: RowsModel[amendments.Amendment] = RowsModel(
            [
                ("No.", lambda a: a.id),
                ("Document", lambda a: a.document_id or "chart"),
                ("Received", lambda a: a.received_on.isoformat()),
                ("Decide by", lambda a: a.due_on.isoformat()),
                ("Status", _status),
                ("Request", lambda a: a.text),
            ],
            self,
        )
        self.table = make_table(self.model, "amendmentTable", stretch=5)
        self.table.setAccessibleName("Amendment requests")
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        heading = QLabel("Amendment &requests")
        heading.setBuddy(self.table)
        self.request_text = self._edit("amendmentText", "What the patient asks to change")
        self.request_button = button(
            "Log request for the shown document (Ctrl+Shift+A)", "amendRequestButton",
            self.log_request,
        )  # fmt: skip
        self.reason = self._edit("amendmentReason", "Reason for the decision or the extension")
        self.accept_button = button("Accept (Ctrl+Shift+Y)", "amendAcceptButton", self.accept)
        self.deny_button = button("Deny… (Ctrl+Shift+N)", "amendDenyButton", self.deny)
        self.extend_button = button("Extend 30 days… (Ctrl+Shift+E)", "amendExtendButton",
                                    self.extend)  # fmt: skip
        self.statement = self._edit("disagreementText", "Patient's statement of disagreement")
        self.statement_button = button("Store statement (Ctrl+Shift+G)", "disagreeButton",
                                       self.store_statement)  # fmt: skip
        can_decide = session.can("amendment.decide")
        for w in (self.accept_button, self.deny_button, self.extend_button):
            w.setVisible(can_decide)
        self.status = message_label("lifecycleStatus")
        self.error = message_label("lifecycleError", error=True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.hold_label)
        row = QHBoxLayout()
        for w in (self.hold_reason, self.hold_button, self.release_button):
            row.addWidget(w)
        layout.addLayout(row)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        for widgets in (
            (self.request_text, self.request_button),
            (self.reason, self.accept_button, self.deny_button, self.extend_button),
            (self.statement, self.statement_button),
        ):
            row = QHBoxLayout()
            for w in widgets:
                row.addWidget(w)
            layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        for w in (
            self.hold_button,
            self.release_button,
            self.request_button,
            self.accept_button,
            self.deny_button,
            self.extend_button,
            self.statement_button,
        ):
            w.setAccessibleName(w.text().split(" (")[0].replace("&", ""))  # fmt: skip
        for keys, slot in (
            ("Ctrl+Shift+H", self.place_hold),
            ("Ctrl+Shift+L", self.release_hold),
            ("Ctrl+Shift+A", self.log_request),
            ("Ctrl+Shift+Y", self.accept),
            ("Ctrl+Shift+N", self.deny),
            ("Ctrl+Shift+E", self.extend),
            ("Ctrl+Shift+G", self.store_statement),
        ):
            shortcut(host, keys, slot)
        self.holds: list[retention.Hold] = []
        self._update_buttons()

    def _edit(self, name: str, placeholder: str) -> QLineEdit:
        e = QLineEdit()
        e.setObjectName(name)
        e.setPlaceholderText(placeholder)
        e.setAccessibleName(placeholder)
        return e

    # --- loading ---------------------------------------------------------------------------

    def set_chart(self, patient_id: int) -> None:
        if patient_id != self.patient_id:
            self.status.setText("")
            self.error.setText("")
        self.patient_id = patient_id
        self.reload()

    def reload(self) -> None:
        if self.patient_id is not None:
            self._run(load_lifecycle, self.session, self.patient_id, on_done=self._loaded)

    def _loaded(self, result: tuple) -> None:
        self.holds, rows = result
        if self.holds:
            h = self.holds[0]
            self.hold_label.setText(
                f"LEGAL HOLD since {h.placed_at[:10]} by {h.placed_by}: {h.reason}. Nothing in "
                "this chart is destroyed until the hold is released."
            )
            self.hold_label.setStyleSheet(f"color: {tone('error')}; font-weight: bold;")
        else:
            self.hold_label.setText("No legal hold on this chart.")
            self.hold_label.setStyleSheet("")
        self.model.set_rows(rows)
        if rows and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> amendments.Amendment | None:
        return self.model.row_object(self.table.currentIndex().row())

    def _update_buttons(self) -> None:
        idle = self._busy == 0 and self.patient_id is not None
        a = self.selected()
        pending = a is not None and a.status == "pending"
        self.hold_button.setEnabled(idle)
        self.release_button.setEnabled(idle and bool(self.holds))
        self.request_button.setEnabled(idle)
        self.accept_button.setEnabled(idle and pending)
        self.deny_button.setEnabled(idle and pending)
        self.extend_button.setEnabled(idle and a is not None and a.can_extend)
        self.statement_button.setEnabled(idle and a is not None and a.status == "denied")

    def _done(self, message: str) -> None:
        self.status.setText(message)
        if self.patient_id is not None:
            self.bus.notify(Changes.patient(self.patient_id))
        self.reload()

    # --- hooks tests replace -----------------------------------------------------------------

    def ask_letter_path(self, title: str) -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self, title, "", "PDF (*.pdf)")
        return Path(path) if path else None

    # --- actions -----------------------------------------------------------------------------

    def place_hold(self) -> None:
        if self.patient_id is None or self.busy or not self.session.can("retention.hold"):
            return
        self._run(
            retention.place_hold, self.session, self.patient_id, self.hold_reason.text(),
            on_done=lambda _h: (self.hold_reason.clear(), self._done("Legal hold placed.")),
        )  # fmt: skip

    def release_hold(self) -> None:
        if self.patient_id is None or self.busy or not self.holds:
            return
        self._run(
            retention.release_hold, self.session, self.patient_id, self.hold_reason.text(),
            on_done=lambda n: self._done(f"{n} legal hold(s) released."),
        )  # fmt: skip

    def log_request(self) -> None:
        if self.patient_id is None or self.busy:
            return
        self._run(
            amendments.request_amendment, self.session, self.patient_id,
            self.request_text.text(), self.document_id,
            on_done=lambda a: (
                self.request_text.clear(),
                self._done(f"Amendment request {a.id} logged; decide by {a.due_on}."),
            ),
        )  # fmt: skip

    def accept(self) -> None:
        a = self.selected()
        if a is None or self.busy:
            return

        def done(d: amendments.Decision) -> None:
            tell = "; ".join(
                r.name + (f" (release {r.request})" if r.request else "") for r in d.recipients
            )
            self.reason.clear()
            self._done(f"Accepted and appended. Tell: {tell}." if tell else "Accepted.")

        self._run(amendments.decide, self.session, a.id, "accept", self.reason.text(),
                  on_done=done)  # fmt: skip

    def deny(self) -> None:
        a = self.selected()
        if a is None or self.busy or not self.reason.text().strip():
            if a is not None and not self.reason.text().strip():
                self._failed("Write the reason for the denial first.")
            return
        letter = self.ask_letter_path("Save the denial letter")
        if letter is None:
            return
        self._run(
            amendments.decide, self.session, a.id, "deny", self.reason.text(), (), letter,
            on_done=lambda _d: (self.reason.clear(),
                                self._done("Denied; the denial letter was saved.")),
        )  # fmt: skip

    def extend(self) -> None:
        a = self.selected()
        if a is None or self.busy:
            return
        if not self.reason.text().strip():
            self._failed("Write why more time is needed first (the patient is told).")
            return
        notice = self.ask_letter_path("Save the extension notice")
        if notice is None:
            return
        self._run(
            amendments.extend, self.session, a.id, self.reason.text(), notice,
            on_done=lambda x: (self.reason.clear(),
                               self._done(f"Extended to {x.due_on}; the notice was saved.")),
        )  # fmt: skip

    def store_statement(self) -> None:
        a = self.selected()
        if a is None or self.busy:
            return
        self._run(
            amendments.file_disagreement, self.session, a.id, self.statement.text(),
            on_done=lambda _x: (
                self.statement.clear(),
                self._done("Statement stored: it goes out with every later release."),
            ),
        )  # fmt: skip
