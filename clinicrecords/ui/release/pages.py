"""The Pages tab of a release request: what was asked for (dates, document types, sensitive
records), every page in scope with a checkbox ("minimum necessary"), and the pages held
back with the reason for each.

Space ticks or unticks the current page; Enter on a page says why it is held back;
Ctrl+Shift+A (the page's shortcut) applies the dates and types.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.common.dates import read_date
from clinicrecords.common.errors import BadInput
from clinicrecords.release import rules
from clinicrecords.ui.plaintext import plain_label, rich_label
from clinicrecords.ui.release import data as release_data
from clinicrecords.ui.release.data import RequestDetail
from clinicrecords.ui.release.models import HeldBackFilter, SelectionModel
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table

PAGE_WIDTHS = (
    "Out",
    "10 of 10",
    "Laboratory result",
    "2026-12-31",
)  # measured; the reason stretches


def parse_day(text: str, what: str, order: str = "MDY") -> date | None:
    """A date typed in any common form ('2024-03-01', '3/1/24'), day and month in the
    clinic's ``order``; blank means none. Not past only: a request may ask for records
    through a date still to come (the end of this year, a stay that has not ended)."""
    text = text.strip()
    if not text:
        return None
    found = read_date(text, order)
    if found is None:
        raise BadInput(f"'{text}' is not a date I can read for the {what} (try YYYY-MM-DD).")
    return found


class PagesPanel(QWidget):
    toggle_requested = Signal(int, bool)  # page_id, include
    apply_requested = Signal()
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pagesTab")
        self.date_order = "MDY"  # the clinic's locale.date_order, set when the log loads
        scope = QGroupBox("What was asked for")
        self.date_from = QLineEdit()
        self.date_from.setObjectName("scopeFrom")
        self.date_from.setPlaceholderText("from (blank: any)")
        self.date_to = QLineEdit()
        self.date_to.setObjectName("scopeTo")
        self.date_to.setPlaceholderText("to (blank: any)")
        self.scope_sensitive = QCheckBox("Asks for sensitive records")
        self.scope_sensitive.setObjectName("scopeSensitive")
        self.apply_scope_button = QPushButton("&Apply (Ctrl+Shift+A)")
        self.apply_scope_button.setObjectName("applyScopeButton")
        self.apply_scope_button.clicked.connect(self.apply_requested.emit)
        self.types_model = QStandardItemModel(self)
        for code, label, sensitive in release_data.doc_type_choices():
            item = QStandardItem(label + (" *" if sensitive else ""))
            item.setData(code, Qt.UserRole)
            item.setCheckable(True)
            item.setEditable(False)
            item.setToolTip(
                "Sensitive: held back unless the authorization names it" if sensitive else ""
            )
            self.types_model.appendRow(item)
        self.types_list = QListView()
        self.types_list.setObjectName("scopeTypes")
        self.types_list.setModel(self.types_model)
        self.types_list.setFlow(QListView.LeftToRight)
        self.types_list.setWrapping(True)
        self.types_list.setResizeMode(QListView.Adjust)
        self.types_list.setFixedHeight(62)
        self.types_list.setToolTip("Document types asked for; none ticked means every type.")
        row = QHBoxLayout()
        row.addWidget(QLabel("Dates"))
        row.addWidget(self.date_from)
        row.addWidget(self.date_to)
        row.addWidget(self.scope_sensitive)
        row.addStretch(1)
        row.addWidget(self.apply_scope_button)
        scope_layout = QVBoxLayout(scope)
        scope_layout.setContentsMargins(6, 4, 6, 4)
        scope_layout.addLayout(row)
        scope_layout.addWidget(QLabel("Document types (none ticked = every type; * sensitive):"))
        scope_layout.addWidget(self.types_list)

        self.model = SelectionModel(self)
        self.model.toggle_requested.connect(self.toggle_requested.emit)
        self.table = read_only_table("selectionTable", self.model, widths=PAGE_WIDTHS)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.activated.connect(self._explain_page)
        self.exclude_note = QLineEdit()
        self.exclude_note.setObjectName("excludeNote")
        self.exclude_note.setPlaceholderText(
            "Why pages you untick are not needed (kept with the request; optional)"
        )
        self.selection_summary = plain_label()
        self.selection_summary.setObjectName("selectionSummary")

        self.held_model = HeldBackFilter(self)
        self.held_model.setSourceModel(self.model)
        self.held_table = read_only_table("heldBackTable", self.held_model, widths=PAGE_WIDTHS)
        self.held_table.hideColumn(0)
        self.held_table.setWordWrap(True)
        self.held_label = rich_label()
        self.held_label.setObjectName("heldBackLabel")
        self.amendment_note = plain_label()  # documents carrying an amendment or a statement
        self.amendment_note.setObjectName("amendmentNote")
        self.amendment_note.setWordWrap(True)
        self.amendment_note.setStyleSheet(f"color: {tone('warn')};")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scope)
        layout.addWidget(self.table, 1)
        note_row = QHBoxLayout()
        note_row.addWidget(self.selection_summary)
        note_row.addWidget(self.exclude_note, 1)
        layout.addLayout(note_row)
        layout.addWidget(self.amendment_note)
        layout.addWidget(self.held_label)
        layout.addWidget(self.held_table)
        for a, b in (
            (self.date_from, self.date_to), (self.date_to, self.scope_sensitive),
            (self.scope_sensitive, self.types_list), (self.types_list, self.apply_scope_button),
            (self.apply_scope_button, self.table),
            (self.table, self.exclude_note), (self.exclude_note, self.held_table),
        ):  # fmt: skip
            self.setTabOrder(a, b)

    def scope(self) -> tuple[date | None, date | None, list[str], bool]:
        """The dates, types and sensitive choice as typed (BadInput for an unreadable date)."""
        date_from = parse_day(self.date_from.text(), "start of the date range", self.date_order)
        date_to = parse_day(self.date_to.text(), "end of the date range", self.date_order)
        types = [
            self.types_model.item(i).data(Qt.UserRole)
            for i in range(self.types_model.rowCount())
            if self.types_model.item(i).checkState() == Qt.Checked
        ]
        return date_from, date_to, types, self.scope_sensitive.isChecked()

    def show_request(self, detail: RequestDetail, new_request: bool) -> None:
        r = detail.request
        is_open = r.status in rules.OPEN_STATUSES
        self.model.set_rows(detail.selection, is_open)
        held = len(detail.selection) - r.pages_out
        self.selection_summary.setText(f"{r.pages_out} pages go out, {held} held back.")
        going = {s.document_id: s for s in detail.selection if s.included}
        carried = [
            f"{going[d].doc_label} {going[d].doc_date or 'undated'} carries {kind}"
            for d, kind in sorted(detail.carrying.items())
            if d in going
        ]
        self.amendment_note.setText(
            "; ".join(carried) + ": the packet encloses it after the document's pages (45 CFR "
            "164.526)."
            if carried
            else ""
        )
        self.amendment_note.setVisible(bool(carried))
        self.held_label.setText(
            f"<b>Held back ({held})</b> and why:" if held else "Nothing is held back."
        )
        self.held_table.setVisible(held > 0)
        if held <= 50:  # long reasons wrap; measuring rows is cheap for a few
            self.held_table.resizeRowsToContents()
        shown = sum(self.held_table.rowHeight(i) for i in range(min(held, 4)))
        self.held_table.setFixedHeight(
            self.held_table.horizontalHeader().height() + shown + 8 if held else 0
        )
        if new_request or not self.date_from.hasFocus():
            self.date_from.setText(r.date_from.isoformat() if r.date_from else "")
            self.date_to.setText(r.date_to.isoformat() if r.date_to else "")
            self.scope_sensitive.setChecked(r.include_sensitive)
            for row in range(self.types_model.rowCount()):
                item = self.types_model.item(row)
                wanted = item.data(Qt.UserRole) in r.doc_types
                item.setCheckState(Qt.Checked if wanted else Qt.Unchecked)
        for w in (self.date_from, self.date_to, self.scope_sensitive, self.types_list,
                  self.apply_scope_button, self.exclude_note):  # fmt: skip
            w.setEnabled(is_open)

    def _explain_page(self, index: QModelIndex) -> None:
        """Enter on a page: say why it is held back, or how to leave it out."""
        s = self.model.row_object(index.row())
        if s is None:
            return
        if s.included:
            self.message.emit("This page goes out. Space leaves it out (minimum necessary).")
        elif s.reason_code == "excluded":
            self.message.emit(s.reason + " Space puts it back.")
        else:
            self.message.emit(s.reason + " The release rules keep it back.")
