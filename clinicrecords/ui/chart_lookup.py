"""Chart lookup: one search box, results as you type (debounced, off the UI thread)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QLineEdit, QTableView, QVBoxLayout, QWidget

from clinicrecords import lookup
from clinicrecords.session import Session
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.workers import run_in_background

DEBOUNCE_MS = 150


class ChartLookupPage(QWidget):
    chart_requested = Signal(int)

    def __init__(self, session: Session, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.bus = bus
        self.setObjectName("chartLookupPage")
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Name, date of birth, MRN or phone, in any mix (F2)")
        self.status = QLabel("")
        self.status.setObjectName("searchStatus")
        self.model: RowsModel[lookup.SearchResult] = RowsModel([
            ("Name", lambda r: r.patient.display_name),
            ("Date of birth", lambda r: r.patient.dob.strftime("%m/%d/%Y")),
            ("Sex", lambda r: r.patient.sex),
            ("MRN", lambda r: r.patient.mrn),
            ("Phone", lambda r: r.patient.phone),
            ("Last activity", lambda r: (r.patient.last_activity or "")[:10]),
            ("Match", lambda r: f"{r.score:.0%}"),
        ])
        self.table = QTableView()
        self.table.setObjectName("resultsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.verticalHeader().hide()
        self.table.activated.connect(lambda idx: self._open_row(idx.row()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        self.setTabOrder(self.search, self.table)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run_query)
        self._generation = 0
        self.search.textChanged.connect(lambda _: self._timer.start())
        self.search.returnPressed.connect(self._enter_in_box)
        self.search.installEventFilter(self)

    def focus_default(self) -> None:
        self.search.setFocus(Qt.ShortcutFocusReason)
        self.search.selectAll()

    def eventFilter(self, obj, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802
        from PySide6.QtCore import QEvent

        if obj is self.search and event.type() == QEvent.KeyPress and event.key() in (Qt.Key_Down, Qt.Key_Up):
            if self.model.rowCount():
                self.table.setFocus()
                self.table.selectRow(0 if event.key() == Qt.Key_Down else self.model.rowCount() - 1)
            return True
        return super().eventFilter(obj, event)

    def _run_query(self) -> None:
        text = self.search.text().strip()
        self._generation += 1
        generation = self._generation
        if not text:
            self.model.set_rows([])
            self.status.setText("")
            return
        run_in_background(
            lookup.search_patients, self.session, text, 25,
            on_done=lambda rows: self._show(generation, rows),
            on_error=self.status.setText,
        )

    def _show(self, generation: int, rows: list[lookup.SearchResult]) -> None:
        if generation != self._generation:
            return  # a newer query is on its way
        self.model.set_rows(rows)
        self.status.setText(f"{len(rows)} match(es)" if rows else "No chart matches. Check the spelling or try the date of birth.")
        if rows:
            self.table.selectRow(0)

    def _enter_in_box(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._run_query()
            return
        if self.model.rowCount():
            self._open_row(max(0, self.table.currentIndex().row()))

    def _open_row(self, row: int) -> None:
        result = self.model.row_object(row)
        if result is not None:
            self.chart_requested.emit(result.patient.id)
