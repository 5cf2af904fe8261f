"""The audit trail for administrators: newest rows a page at a time, the chain check, and the
review of emergency accesses ("break the glass") with what was read under them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.admin import review as admin_review
from clinicrecords.admin.review import AuditRow, EmergencyReview
from clinicrecords.clinic.audit import AuditReport
from clinicrecords.clinic.session import Session
from clinicrecords.ui.admin.users import button, local_time, make_table, message_label, shortcut
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import run_in_background

PAGE_SIZE = 200
FILTER_DEBOUNCE_MS = 250
TRAIL_TAB, REVIEW_TAB = 0, 1


def _detail(row: AuditRow) -> str:
    return "" if row.detail == "{}" else row.detail


class AuditDialog(QDialog):
    """Alt+F filter · Alt+N / Alt+O newer / older page · Alt+V verify the chain · F5 reload ·
    Alt+T / Alt+E the trail / the emergency reviews · Alt+M mark the chosen review done."""

    reviews_changed = Signal(int)  # how many emergency accesses still wait for review

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        session.require("audit.read")
        self.session = session
        self.offset = 0
        self.has_more = False
        self._generation = 0
        self._loaded_generation = 0
        self.verify_report: AuditReport | None = None
        self.reviews: list[EmergencyReview] = []
        self.setObjectName("auditDialog")
        self.setWindowTitle("Audit trail")

        self.tabs = QTabWidget()
        self.tabs.setObjectName("auditTabs")
        self.tabs.addTab(self._build_trail(), "Audit &trail")
        self.tabs.addTab(self._build_reviews(), "&Emergency access review")
        close = QDialogButtonBox(QDialogButtonBox.Close)
        close.rejected.connect(self.reject)
        close.button(QDialogButtonBox.Close).setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(close)
        shortcut(self, "F5", self.reload)
        shortcut(self, "Ctrl+PgDown", self.older)
        shortcut(self, "Ctrl+PgUp", self.newer)
        self.tabs.currentChanged.connect(self._tab_shown)
        self.resize(1200, 680)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FILTER_DEBOUNCE_MS)
        self._timer.timeout.connect(self.first_page)
        self.filter.textChanged.connect(lambda _t: self._timer.start())
        self.filter.returnPressed.connect(self.first_page)
        self.load_page()
        self.load_reviews()
        self.filter.setFocus()

    # --- layout ----------------------------------------------------------------------------

    def _build_trail(self) -> QWidget:
        page = QWidget()
        self.filter = QLineEdit()
        self.filter.setObjectName("auditFilterEdit")
        self.filter.setPlaceholderText(
            "Part of an action, user name or object: login.failed, clerk1"
        )
        self.filter.setClearButtonEnabled(True)
        filter_label = QLabel("&Filter")
        filter_label.setBuddy(self.filter)
        self.page_label = QLabel("")
        self.page_label.setObjectName("auditPageLabel")
        self.newer_button = button("◀ &Newer", "newerButton", self.newer)
        self.older_button = button("&Older ▶", "olderButton", self.older)
        top = QHBoxLayout()
        top.addWidget(filter_label)
        top.addWidget(self.filter, 1)
        top.addWidget(self.page_label)
        top.addWidget(self.newer_button)
        top.addWidget(self.older_button)

        self.model: RowsModel[AuditRow] = RowsModel(
            [
                ("Time", lambda r: local_time(r.ts)),
                ("User", lambda r: r.username),
                ("Action", lambda r: r.action),
                ("Object", lambda r: r.object),
                ("Detail", _detail),
            ],
            self,  # owned by the dialog: never freed from a worker thread
        )
        self.table = make_table(self.model, "auditTable")

        self.verify_button = button("&Verify chain", "verifyChainButton", self.verify_chain)
        self.verify_label = message_label("verifyLabel")
        self.verify_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        bottom = QHBoxLayout()
        bottom.addWidget(self.verify_button, 0, Qt.AlignTop)
        bottom.addWidget(self.verify_label, 1)
        self.trail_error = message_label("trailErrorLabel", error=True)

        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.trail_error)
        layout.addLayout(bottom)
        return page

    def _build_reviews(self) -> QWidget:
        page = QWidget()
        intro = QLabel(
            "Each emergency access lets a user read what their role normally cannot. Look at "
            "what was read and why, then mark it reviewed with a note; both go into the audit "
            "trail."
        )
        intro.setWordWrap(True)
        self.reviews_model: RowsModel[EmergencyReview] = RowsModel(
            [
                ("User", lambda r: r.username),
                ("Started", lambda r: local_time(r.started) if r.started else "not found"),
                ("Rows", lambda r: len(r.rows)),
                ("Reason given", lambda r: r.reason),
            ],
            self,  # owned by the dialog: never freed from a worker thread
        )
        self.reviews_table = make_table(self.reviews_model, "reviewsTable")
        reviews_label = QLabel("&Pending emergency accesses")
        reviews_label.setBuddy(self.reviews_table)
        self.review_rows_model: RowsModel[AuditRow] = RowsModel(
            [
                ("Time", lambda r: local_time(r.ts)),
                ("Action", lambda r: r.action),
                ("Object", lambda r: r.object),
                ("Detail", _detail),
            ],
            self,  # owned by the dialog: never freed from a worker thread
        )
        self.review_rows_table = make_table(self.review_rows_model, "reviewRowsTable")
        rows_label = QLabel("&What was done under the chosen emergency access")
        rows_label.setBuddy(self.review_rows_table)

        self.review_note = QLineEdit()
        self.review_note.setObjectName("reviewNoteEdit")
        self.review_note.setPlaceholderText("Your note: what you checked and found")
        note_label = QLabel("&Reviewer's note")
        note_label.setBuddy(self.review_note)
        self.mark_button = button("&Mark reviewed", "markReviewedButton", self.mark_reviewed)
        self.review_note.returnPressed.connect(self.mark_reviewed)
        self.review_error = message_label("reviewErrorLabel", error=True)
        self.review_status = message_label("reviewStatusLabel")
        note_row = QHBoxLayout()
        note_row.addWidget(note_label)
        note_row.addWidget(self.review_note, 1)
        note_row.addWidget(self.mark_button)

        upper, lower = QWidget(), QWidget()
        up = QVBoxLayout(upper)
        up.setContentsMargins(0, 0, 0, 0)
        up.addWidget(reviews_label)
        up.addWidget(self.reviews_table)
        low = QVBoxLayout(lower)
        low.setContentsMargins(0, 0, 0, 0)
        low.addWidget(rows_label)
        low.addWidget(self.review_rows_table)
        split = QSplitter(Qt.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setSizes([200, 300])
        split.setChildrenCollapsible(False)

        layout = QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(split, 1)
        layout.addLayout(note_row)
        layout.addWidget(self.review_status)
        layout.addWidget(self.review_error)
        self.reviews_table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._show_review(cur.row())
        )
        self.reviews_table.activated.connect(lambda _i: self.review_note.setFocus())
        self._update_mark_button()
        return page

    def _tab_shown(self, index: int) -> None:
        (self.filter if index == TRAIL_TAB else self.reviews_table).setFocus()

    def show_reviews(self) -> None:
        self.tabs.setCurrentIndex(REVIEW_TAB)
        self.reviews_table.setFocus()

    # --- the trail -------------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """A page is on its way (or a filter keystroke waits for its turn)."""
        return self._timer.isActive() or self._loaded_generation != self._generation

    def reload(self) -> None:
        self.load_page()
        self.load_reviews()

    def first_page(self) -> None:
        self._timer.stop()
        self.offset = 0
        self.load_page()

    def newer(self) -> None:
        if self.offset > 0:
            self.offset = max(0, self.offset - PAGE_SIZE)
            self.load_page()

    def older(self) -> None:
        if self.has_more:
            self.offset += PAGE_SIZE
            self.load_page()

    def load_page(self) -> None:
        self._generation += 1
        generation, offset, text = self._generation, self.offset, self.filter.text()
        self.page_label.setText("Loading…")
        run_in_background(
            admin_review.recent_rows,
            self.session,
            PAGE_SIZE + 1,  # one more than shown says whether an older page exists
            offset,
            text,
            on_done=lambda rows: self._page_loaded(generation, offset, rows),
            on_error=self._trail_failed,
            context=self,
        )

    def _page_loaded(self, generation: int, offset: int, rows: list[AuditRow]) -> None:
        if generation != self._generation:
            return  # an older filter's answer that came in late
        self._loaded_generation = generation
        self.has_more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        self.model.set_rows(rows)
        self.trail_error.setText("")
        if rows:
            self.page_label.setText(f"Rows {offset + 1}–{offset + len(rows)}")
        else:
            self.page_label.setText("No rows" + (" match" if self.filter.text().strip() else ""))
        self.newer_button.setEnabled(offset > 0)
        self.older_button.setEnabled(self.has_more)
        if rows and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def _trail_failed(self, message: str) -> None:
        self._loaded_generation = self._generation
        self.page_label.setText("")
        self.trail_error.setText(message)

    def verify_chain(self) -> None:
        if not self.verify_button.isEnabled():
            return
        self.verify_button.setEnabled(False)
        self.verify_report = None
        self.verify_label.setStyleSheet("")
        self.verify_label.setText("Checking every audit row…")
        run_in_background(
            admin_review.verify_audit,
            self.session,
            on_done=self._verified,
            on_error=self._verify_failed,
            context=self,
        )

    def _verified(self, report: AuditReport) -> None:
        self.verify_report = report
        self.verify_button.setEnabled(True)
        if report.ok:
            self.verify_label.setStyleSheet(f"color: {tone('ok')}; font-weight: bold;")
            self.verify_label.setText(f"OK: all {report.rows} audit rows are intact and in order.")
        else:
            self.verify_label.setStyleSheet(f"color: {tone('error')}; font-weight: bold;")
            shown = report.problems[:8]
            more = len(report.problems) - len(shown)
            self.verify_label.setText(
                f"PROBLEM: the audit trail was tampered with ({report.rows} rows checked).\n"
                + "\n".join(f"• {p}" for p in shown)
                + (f"\n… and {more} more" if more > 0 else "")
            )

    def _verify_failed(self, message: str) -> None:
        self.verify_button.setEnabled(True)
        self.verify_label.setStyleSheet(f"color: {tone('error')};")
        self.verify_label.setText(message)

    # --- emergency access review -----------------------------------------------------------

    def load_reviews(self) -> None:
        run_in_background(
            admin_review.pending_emergency_reviews,
            self.session,
            on_done=self._reviews_loaded,
            on_error=self.review_error.setText,
            context=self,
        )

    def _reviews_loaded(self, reviews: list[EmergencyReview]) -> None:
        self.reviews = reviews
        self.reviews_model.set_rows(reviews)
        count = len(reviews)
        self.tabs.setTabText(
            REVIEW_TAB, "&Emergency access review" + (f" ({count})" if count else "")
        )
        if count:
            self.reviews_table.selectRow(0)
        else:
            self._show_review(-1)
            self.review_status.setText(
                self.review_status.text() or "No emergency access waits for review."
            )
        self.reviews_changed.emit(count)

    def selected_review(self) -> EmergencyReview | None:
        return self.reviews_model.row_object(self.reviews_table.currentIndex().row())

    def _show_review(self, row: int) -> None:
        review = self.reviews_model.row_object(row)
        self.review_rows_model.set_rows(review.rows if review else [])
        self._update_mark_button()

    def _update_mark_button(self) -> None:
        self.mark_button.setEnabled(self.selected_review() is not None)

    def mark_reviewed(self) -> None:
        review = self.selected_review()
        if review is None or not self.mark_button.isEnabled():
            return
        self.mark_button.setEnabled(False)
        self.review_error.setText("")
        run_in_background(
            admin_review.mark_reviewed,
            self.session,
            review.index,
            self.review_note.text(),
            expected=review.entry,
            on_done=lambda _r: self._marked(review),
            on_error=self._mark_failed,
            context=self,
        )

    def _marked(self, review: EmergencyReview) -> None:
        self.review_note.clear()
        self.review_status.setText(f"Marked {review.username}'s emergency access reviewed.")
        self.load_reviews()
        self.first_page()  # the trail now ends with the review

    def _mark_failed(self, message: str) -> None:
        self.review_error.setText(message)
        self._update_mark_button()
        self.load_reviews()
