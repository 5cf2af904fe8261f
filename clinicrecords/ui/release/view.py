"""Release of information (F4): the due list and request log on the left, the open request on
the right (pages, authorization, fees, packet, accounting of disclosures).

Keys (shown on the buttons too): Ctrl+N new request; Ctrl+G back to the request log (Esc from
the request does the same); F5 refresh and re-run the selection; Alt+1..Alt+5 the request's
tabs; Space ticks or unticks a page; Ctrl+Shift+A applies the date range and types;
Ctrl+Shift+R records the authorization; Ctrl+B preview; Ctrl+S save the packet; Ctrl+P print;
Ctrl+Enter send; Ctrl+D deny; Ctrl+Shift+D cancel the request; Ctrl+Shift+S save the
accounting as PDF.

Every service call runs on a worker (``run_in_background``); after a change the screen
reloads the request from the service and tells the others through the change bus.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.changes import Changes
from clinicrecords.common.errors import BadInput
from clinicrecords.release import rules, service
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.plaintext import esc, make_plain, plain_label, rich_label
from clinicrecords.ui.release import data as release_data
from clinicrecords.ui.release.accounting import AccountingPanel
from clinicrecords.ui.release.auth import AuthorizationPanel
from clinicrecords.ui.release.data import LogData, RequestDetail
from clinicrecords.ui.release.forms import NewRequestDialog, ReasonDialog
from clinicrecords.ui.release.models import (
    STATUS_LABELS,
    RequestFilter,
    RequestLogModel,
)
from clinicrecords.ui.release.packet import PacketPanel
from clinicrecords.ui.release.pages import PagesPanel
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import run_in_background

STATUS_FILTERS: list[tuple[str, frozenset[str] | None]] = [
    ("All requests", None),
    ("Open (new or in progress)", frozenset(rules.OPEN_STATUSES)),
    *((label, frozenset({code})) for code, label in STATUS_LABELS.items()),
]
TAB_PAGES, TAB_AUTH, TAB_FEES, TAB_PACKET, TAB_ACCOUNTING = range(5)
# RequestLogModel's columns, as sample texts measured in the table's font
LOG_WIDTHS = (
    "R00000",
    "2026-12-31",
    "OVERDUE",
    "In progress",
    "WILLIAMS, Nicole A",
    "12/31/2000",
    "Keystone Disability",
    "2026-12-31",
)


class ReleasePage(QWidget):
    def __init__(self, session: Session, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.bus = bus
        self.setObjectName("releasePage")
        self.detail: RequestDetail | None = None
        self.request_id: int | None = None
        self.due_days = 30
        self._log_generation = 0
        self._detail_generation = 0
        self._pending = 0  # changes sent to a worker and not back yet

        self._build_log()
        self._build_detail()
        splitter = QSplitter(Qt.Horizontal)
        splitter.setObjectName("releaseSplitter")
        splitter.addWidget(self.log_panel)
        splitter.addWidget(self.detail_panel)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        self.log_panel.setMinimumWidth(480)
        splitter.setSizes([560, 800])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        self._build_shortcuts()
        self._show_detail(None)
        bus.changed.connect(self._on_changes)
        self.reload_log()

    # --- layout --------------------------------------------------------------------------

    def _build_log(self) -> None:
        self.log_panel = QWidget()
        self.log_panel.setObjectName("releaseLogPanel")
        self.due_label = QLabel("<b>Overdue and due soon</b>")
        self.due_model = RequestLogModel(self)
        self.due_table = read_only_table("dueTable", self.due_model, widths=LOG_WIDTHS)
        self.due_table.setMaximumHeight(150)
        for col in (3, 5, 7):  # status, DOB, received: the log below has them
            self.due_table.hideColumn(col)
        self.due_table.activated.connect(lambda idx: self._open_row(self.due_model, idx.row()))

        self.new_button = QPushButton("&New request… (Ctrl+N)")
        self.new_button.setObjectName("newRequestButton")
        self.new_button.clicked.connect(self.new_request)
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("statusFilter")
        for label, statuses in STATUS_FILTERS:
            self.status_filter.addItem(label, statuses)
        self.status_filter.currentIndexChanged.connect(
            lambda i: self.log_filter.set_statuses(self.status_filter.itemData(i))
        )
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("logFilter")
        self.filter_edit.setPlaceholderText("Filter: request, patient, MRN, requester")
        self.filter_edit.setClearButtonEnabled(True)

        self.log_model = RequestLogModel(self)
        self.log_filter = RequestFilter(self)
        self.log_filter.setSourceModel(self.log_model)
        self.filter_edit.textChanged.connect(self.log_filter.set_text)
        self.log_table = read_only_table("requestTable", self.log_filter, widths=LOG_WIDTHS)
        header = self.log_table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(1, Qt.AscendingOrder)  # due date, soonest first
        header.sortIndicatorChanged.connect(self.log_model.sort)
        self.log_table.activated.connect(self._open_log_index)
        self.log_table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._open_log_index(cur)
        )
        self.log_count = QLabel("")
        self.log_count.setObjectName("logCount")

        top = QHBoxLayout()
        top.addWidget(self.status_filter)
        top.addWidget(self.filter_edit, 1)
        layout = QVBoxLayout(self.log_panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.due_label)
        layout.addWidget(self.due_table)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Request log</b>"))
        head.addStretch(1)
        head.addWidget(self.new_button)
        layout.addLayout(head)
        layout.addLayout(top)
        layout.addWidget(self.log_table, 1)
        layout.addWidget(self.log_count)

    def _build_detail(self) -> None:
        self.detail_panel = QWidget()
        self.detail_panel.setObjectName("requestDetail")
        self.header = QLabel("")
        self.header.setObjectName("requestHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.RichText)
        self.blockers = rich_label()
        self.blockers.setObjectName("sendBlockers")
        self.blockers.setWordWrap(True)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("requestTabs")
        self.pages_panel = PagesPanel()
        self.pages_panel.toggle_requested.connect(self.toggle_page)
        self.pages_panel.apply_requested.connect(self.apply_scope)
        self.pages_panel.message.connect(self._say)
        # The parts other code and the tests reach for, under their long-standing names.
        self.selection_model = self.pages_panel.model
        self.selection_table = self.pages_panel.table
        self.held_model = self.pages_panel.held_model
        self.held_table = self.pages_panel.held_table
        self.exclude_note = self.pages_panel.exclude_note
        self.tabs.addTab(self.pages_panel, "Pages (Alt+1)")
        self.auth_panel = AuthorizationPanel()
        self.auth_panel.save_requested.connect(self.record_authorization)
        self.tabs.addTab(self.auth_panel, "Authorization (Alt+2)")
        self.tabs.addTab(self._build_fees_tab(), "Fees (Alt+3)")
        self.packet = PacketPanel(self.session)
        self.packet.message.connect(self._say)
        self.tabs.addTab(self.packet, "Packet (Alt+4)")
        self.accounting = AccountingPanel(self.session)
        self.tabs.addTab(self.accounting, "Accounting of disclosures (Alt+5)")

        self.send_button = QPushButton("&Send… (Ctrl+Enter)")
        self.send_button.setObjectName("sendButton")
        self.send_button.clicked.connect(self.send)
        self.deny_button = QPushButton("&Deny… (Ctrl+D)")
        self.deny_button.setObjectName("denyButton")
        self.deny_button.clicked.connect(lambda: self.close_request("denied"))
        self.cancel_button = QPushButton("&Cancel request… (Ctrl+Shift+D)")
        self.cancel_button.setObjectName("cancelRequestButton")
        self.cancel_button.clicked.connect(lambda: self.close_request("cancelled"))
        self.message = plain_label()
        self.message.setObjectName("releaseMessage")
        self.message.setWordWrap(True)
        actions = QHBoxLayout()
        actions.addWidget(self.message, 1)
        actions.addWidget(self.deny_button)
        actions.addWidget(self.cancel_button)
        actions.addWidget(self.send_button)

        layout = QVBoxLayout(self.detail_panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.blockers)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(actions)

    def _build_fees_tab(self) -> QWidget:
        tab = QWidget()
        tab.setObjectName("feesTab")
        self.fee_amount = rich_label()
        self.fee_amount.setObjectName("feeAmount")
        self.fee_note = plain_label()
        self.fee_note.setObjectName("feeNote")
        self.fee_note.setWordWrap(True)
        self.fee_basis = plain_label()
        self.fee_basis.setWordWrap(True)
        self.fee_waived = QCheckBox("&Waive the fee")
        self.fee_waived.setObjectName("feeWaived")
        self.fee_waived.clicked.connect(self.waive_fee)
        form = QFormLayout(tab)
        form.addRow("Fee", self.fee_amount)
        form.addRow("How it was worked out", self.fee_note)
        form.addRow("Legal basis", self.fee_basis)
        form.addRow("", self.fee_waived)
        explain = QLabel(
            "Fees follow the clinic's settings: per page, a base amount, and the flat fee "
            "for a patient's own electronic copy. Treatment requests are free."
        )
        explain.setWordWrap(True)
        form.addRow("", explain)
        return tab

    def _build_shortcuts(self) -> None:
        def key(keys: str, slot: Callable[[], object]) -> None:
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)

        key("Ctrl+N", self.new_request)
        key("Ctrl+G", self.focus_default)
        key("Esc", self._escape)
        key("F5", self.refresh)
        for i in range(5):
            key(f"Alt+{i + 1}", lambda i=i: self.show_tab(i))
        key("Ctrl+Shift+A", self.apply_scope)
        key("Ctrl+Shift+R", lambda: self.record_authorization(self.auth_panel.value()))
        key("Ctrl+B", lambda: self._packet_action(self.packet.build_preview))
        key("Ctrl+S", lambda: self._packet_action(self.packet.save_pdf))
        key("Ctrl+P", lambda: self._packet_action(self.packet.print_packet))
        key("Ctrl+Return", self.send)
        key("Ctrl+Enter", self.send)
        key("Ctrl+D", lambda: self.close_request("denied"))
        key("Ctrl+Shift+D", lambda: self.close_request("cancelled"))
        key("Ctrl+Shift+S", self._save_accounting)

    # --- navigation ----------------------------------------------------------------------

    def focus_default(self) -> None:
        """The request log, with a row current so arrow keys and Enter work at once."""
        self.log_table.setFocus(Qt.ShortcutFocusReason)
        if not self.log_table.currentIndex().isValid() and self.log_filter.rowCount():
            self.log_table.setCurrentIndex(self.log_filter.index(0, 0))

    def show_tab(self, i: int) -> None:
        self.tabs.setCurrentIndex(i)
        target = {
            TAB_PAGES: self.selection_table,
            TAB_AUTH: self.auth_panel.document,
            TAB_FEES: self.fee_waived,
            TAB_PACKET: self.packet.preview_button,
            TAB_ACCOUNTING: self.accounting.table,
        }[i]
        target.setFocus(Qt.ShortcutFocusReason)

    def _escape(self) -> None:
        if self.packet.busy:
            self.packet.cancel()
        else:
            self.focus_default()

    def _save_accounting(self) -> None:
        if self.request_id is not None:
            self.tabs.setCurrentIndex(TAB_ACCOUNTING)
            self.accounting.save_pdf()

    def _packet_action(self, action: Callable[[], None]) -> None:
        if self.request_id is not None:
            self.tabs.setCurrentIndex(TAB_PACKET)
            action()

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(f"color: {tone('error')};" if error else "")

    # --- the log -------------------------------------------------------------------------

    def reload_log(self) -> None:
        self._log_generation += 1
        generation = self._log_generation
        run_in_background(
            release_data.load_log, self.session,
            on_done=lambda data: self._show_log(generation, data),
            on_error=lambda m: self._say(m, True), context=self,
        )  # fmt: skip

    def _show_log(self, generation: int, data: LogData) -> None:
        if generation != self._log_generation:
            return
        self.due_days = data.due_days
        self.pages_panel.date_order = data.date_order
        current = self.request_id
        self.log_model.set_rows(data.rows)
        self.due_model.set_rows(data.due)
        overdue = sum(1 for r in data.due if r.request.due_state == "overdue")
        self.due_label.setText(
            f"<b>Overdue and due soon</b>: {overdue} overdue, {len(data.due) - overdue} due soon"
        )
        open_n = sum(1 for r in data.rows if r.request.status in rules.OPEN_STATUSES)
        self.log_count.setText(f"{len(data.rows)} requests, {open_n} open.")
        if current is not None:
            self._select_in_log(current)

    def _select_in_log(self, request_id: int) -> None:
        for row in range(self.log_filter.rowCount()):
            obj = self.log_filter.index(row, 0).data(Qt.UserRole)
            if obj is not None and obj.request.id == request_id:
                sel = self.log_table.selectionModel()
                sel.blockSignals(True)
                self.log_table.setCurrentIndex(self.log_filter.index(row, 0))
                sel.select(
                    self.log_filter.index(row, 0),
                    QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows,
                )
                sel.blockSignals(False)
                return

    def _open_log_index(self, index: QModelIndex) -> None:
        if index.isValid():
            obj = index.data(Qt.UserRole)
            if obj is not None:
                self.open_request(obj.request.id)

    def _open_row(self, model: RequestLogModel, row: int) -> None:
        obj = model.row_object(row)
        if obj is not None:
            self.open_request(obj.request.id)
            self._select_in_log(obj.request.id)

    def refresh(self) -> None:
        """F5: reload the log; re-run the open request's selection (pages filed since)."""
        self.reload_log()
        d = self.detail
        if d is not None and d.request.status in rules.OPEN_STATUSES:
            self._change(release_data.reselect, self.request_id, done="Selection re-run.")
        elif self.request_id is not None:
            self.open_request(self.request_id)

    def _on_changes(self, changes: Changes) -> None:
        if changes.requests or changes.patients or changes.documents:
            self.reload_log()
        if self.detail is not None and (
            self.detail.request.patient_id in changes.patients
            or (changes.documents and not self._pending)
        ):
            self.open_request(self.detail.request.id)

    # --- the open request ----------------------------------------------------------------

    def open_request(self, request_id: int) -> None:
        self._detail_generation += 1
        generation = self._detail_generation
        run_in_background(
            release_data.load_detail, self.session, request_id,
            on_done=lambda d: self._show_detail(d, generation),
            on_error=lambda m: self._say(m, True), context=self,
        )  # fmt: skip

    def _show_detail(self, detail: RequestDetail | None, generation: int | None = None) -> None:
        if generation is not None and generation != self._detail_generation:
            return
        previous = self.detail
        self.detail = detail
        self.detail_panel.setEnabled(detail is not None)
        if detail is None:
            self.request_id = None
            self.header.setText(
                "<i>Choose a request in the log, or press Ctrl+N for a new one.</i>"
            )
            self.blockers.setText("")
            self.selection_model.set_rows([], False)
            self.packet.set_request(None)
            self.accounting.set_patient(None)
            return
        r, p = detail.request, detail.patient
        new_request = previous is None or previous.request.id != r.id
        self.request_id = r.id
        is_open = r.status in rules.OPEN_STATUSES
        due = f"due {r.due_on.isoformat()}"
        if r.due_state == "overdue":
            due = f"<span style='color:{tone('error')}'><b>OVERDUE</b> (was {due})</span>"
        elif r.due_state == "due_soon":
            due = f"<b>{due}</b>"
        who = r.requester_name + (f", {r.requester_org}" if r.requester_org else "")
        basis = rules.BASES[r.basis]
        self.header.setText(
            f"<big><b>{r.code}</b> &nbsp; {esc(p.display_name)}</big>"
            f" &nbsp; born {p.dob.strftime('%m/%d/%Y')} &nbsp; MRN {esc(p.mrn)}<br>"
            f"From <b>{esc(who)}</b> ({r.requester_type}); purpose: {esc(r.purpose)}; "
            f"basis: {basis.label}<br>Received {r.received_on.isoformat()}, {due}; "
            f"status: <b>{STATUS_LABELS.get(r.status, r.status)}</b>"
            + (f" ({esc(r.status_reason)})" if r.status_reason else "")
        )
        if not is_open:
            if r.status == "sent":
                text = f"Sent {(r.sent_at or '')[:10]}; recorded in the accounting of disclosures."
            else:
                text = f"This request was {r.status}: {esc(r.status_reason)}"
            self.blockers.setText(text)
            self.blockers.setStyleSheet(f"background:{tone('closed_bg')};padding:4px;")
        elif detail.blockers:
            self.blockers.setText("<b>Cannot send yet:</b> " + esc(" ".join(detail.blockers)))
            self.blockers.setStyleSheet(
                f"background:{tone('blocked_bg')};color:{tone('blocked_fg')};padding:4px;"
            )
        else:
            self.blockers.setText(f"<b>Ready to send:</b> {r.pages_out} pages go out.")
            self.blockers.setStyleSheet(
                f"background:{tone('ready_bg')};color:{tone('ready_fg')};padding:4px;"
            )

        self.pages_panel.show_request(detail, new_request)

        # authorization, fees, packet, accounting
        self.auth_panel.load(detail)
        self.fee_amount.setText(f"<b>{r.fee_display}</b> for {r.pages_out} pages")
        self.fee_note.setText(r.fee_note)
        self.fee_basis.setText(f"{basis.label} ({basis.rule})")
        self.fee_waived.setChecked(r.fee_waived)
        self.fee_waived.setEnabled(is_open)
        if new_request or _packet_inputs(previous) != _packet_inputs(detail):
            self.packet.set_request(r.id, r.code, r.pages_out)
        status_changed = previous is not None and previous.request.status != r.status
        self.accounting.set_patient(r.patient_id, force=status_changed)
        self.send_button.setEnabled(is_open and not detail.blockers)
        self.deny_button.setEnabled(is_open)
        self.cancel_button.setEnabled(is_open)
        if new_request:
            self._say("")

    # --- changes -------------------------------------------------------------------------

    def _change(self, fn: Callable[..., Any], *args: Any, done: str = "") -> None:
        """Run one change on a worker; then reload the request and tell the other screens."""
        if self.request_id is None or self.detail is None:
            return
        code = self.detail.request.code
        self._pending += 1

        def finished(request_id: int) -> None:
            self._pending -= 1
            self._say(done)
            self.open_request(request_id)
            self.bus.notify(Changes(requests=frozenset({code})))

        def failed(message: str) -> None:
            self._pending -= 1
            self._say(message, True)
            if self.request_id is not None:
                self.open_request(self.request_id)

        run_in_background(fn, self.session, *args, on_done=finished, on_error=failed, context=self)

    def toggle_page(self, page_id: int, include: bool) -> None:
        self._change(
            release_data.toggle_page, self.request_id, page_id, include,
            self.pages_panel.exclude_note.text(),
            done="Page put back." if include else "Page left out.",
        )  # fmt: skip

    def apply_scope(self) -> None:
        if self.request_id is None:
            return
        try:
            scope = self.pages_panel.scope()
        except BadInput as exc:
            self._say(exc.message, True)
            return
        self._change(release_data.set_scope, self.request_id, *scope, done="Selection updated.")

    def record_authorization(self, auth: service.AuthorizationInput) -> None:
        self._change(
            release_data.record_authorization, self.request_id, auth,
            done="Authorization recorded; the selection follows it.",
        )  # fmt: skip

    def waive_fee(self) -> None:
        self._change(
            release_data.waive_fee, self.request_id, self.fee_waived.isChecked(),
            done="Fee waived." if self.fee_waived.isChecked() else "Fee restored.",
        )  # fmt: skip

    def send(self) -> None:
        d = self.detail
        if d is None or d.request.status not in rules.OPEN_STATUSES:
            return
        if d.blockers:
            self._say("This release cannot be sent yet: " + " ".join(d.blockers), True)
            return
        r = d.request
        box = QMessageBox(
            QMessageBox.Question,
            "Send release",
            f"Mark {r.code} as sent to {r.requester_name}"
            + (f", {r.requester_org}" if r.requester_org else "")
            + f" ({r.pages_out} pages)?\n\nThis records the disclosure in the patient's "
            "accounting of disclosures and cannot be undone.",
            QMessageBox.Yes | QMessageBox.No,
            self,
        )
        box.setObjectName("sendConfirm")
        make_plain(box)  # the requester's name, as typed
        box.setDefaultButton(QMessageBox.No)
        box.button(QMessageBox.Yes).setText("&Yes, mark as sent")
        self.send_confirm = box

        def finished(_: int) -> None:
            if box.clickedButton() is box.button(QMessageBox.Yes):
                self._change(release_data.send, r.id, done=f"{r.code} sent and recorded.")
            box.deleteLater()
            self.send_confirm = None
            self.focus_default()

        box.finished.connect(finished)
        box.open()

    def close_request(self, status: str) -> None:
        d = self.detail
        if d is None or d.request.status not in rules.OPEN_STATUSES:
            return
        word = "Deny" if status == "denied" else "Cancel"
        dlg = ReasonDialog(
            f"{word} request {d.request.code}",
            f"Why is request {d.request.code} being "
            f"{'denied' if status == 'denied' else 'cancelled'}? "
            "The reason is kept with the request.",
            self,
        )
        self.reason_dialog = dlg

        def finished(result: int) -> None:
            if result:
                self._change(
                    release_data.close_request, d.request.id, status, dlg.reason.text(),
                    done=f"{d.request.code} {status}.",
                )  # fmt: skip
            dlg.deleteLater()
            self.reason_dialog = None
            self.focus_default()

        dlg.finished.connect(finished)
        dlg.open()

    def new_request(self) -> None:
        dlg = NewRequestDialog(self.session, self.due_days, self)
        self.new_dialog = dlg

        def finished(result: int) -> None:
            created = dlg.created
            if result and created is not None:
                self.bus.notify(Changes(requests=frozenset({created.code})))
                self._say(f"Request {created.code} logged, due {created.due_on.isoformat()}.")
                self.request_id = created.id
                self.open_request(created.id)
                self.tabs.setCurrentIndex(TAB_PAGES)
                self.selection_table.setFocus()
            dlg.deleteLater()
            self.new_dialog = None

        dlg.finished.connect(finished)
        dlg.open()


def _packet_inputs(d: RequestDetail | None) -> tuple | None:
    """What the packet's content rests on: a change here makes a built preview stale."""
    if d is None:
        return None
    r = d.request
    return (r.id, r.status, r.fee_cents, r.fee_waived, r.watermark, tuple(d.selection),
            tuple(d.blockers))  # fmt: skip
