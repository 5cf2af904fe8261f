"""Chart lookup: one search box, results as you type (debounced, off the UI thread); Enter
opens the chart in place, Esc or F2 comes back to the search box. Ctrl+N registers a patient.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.changes import Changes
from clinicrecords.records import charts
from clinicrecords.registry import lookup
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.chart.view import ChartView
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.patient_search import PatientSearcher
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import run_in_background


class ChartLookupPage(QWidget):
    chart_requested = Signal(int)
    chart_opened = Signal(int)

    def __init__(self, session: Session, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.bus = bus
        self.setObjectName("chartLookupPage")
        self.search = QLineEdit()
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Name, date of birth, MRN or phone, in any mix (F2)")
        self.new_button = QPushButton("New patient… (Ctrl+N)")
        self.new_button.setObjectName("newPatientButton")
        self.new_button.clicked.connect(self.new_patient)
        self.new_button.setVisible(session.can("patient.create"))
        self.status = plain_label()
        self.status.setObjectName("searchStatus")
        self.model: RowsModel[lookup.SearchResult] = RowsModel(
            [
                ("Name", lambda r: r.patient.display_name),
                ("Date of birth", lambda r: r.patient.dob.strftime("%m/%d/%Y")),
                ("Sex", lambda r: r.patient.sex),
                ("MRN", lambda r: r.patient.mrn),
                ("Phone", lambda r: r.patient.phone),
                ("Last activity", lambda r: (r.patient.last_activity or "")[:10]),
                ("Match", lambda r: f"{r.score:.0%}"),
            ]
        )
        self.table = read_only_table("resultsTable", self.model, stretch=0)
        self.table.activated.connect(lambda idx: self._open_row(idx.row()))

        self.lookup_panel = QWidget()
        self.lookup_panel.setObjectName("lookupPanel")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.new_button)
        pl = QVBoxLayout(self.lookup_panel)
        pl.addLayout(top)
        pl.addWidget(self.status)
        pl.addWidget(self.table)

        self.chart_view = ChartView(session, bus)
        self.chart_view.back_requested.connect(self.focus_default)
        self.chart_view.merge_requested.connect(self.merge_into)
        self.stack = QStackedWidget()
        self.stack.setObjectName("chartStack")
        self.stack.addWidget(self.lookup_panel)
        self.stack.addWidget(self.chart_view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        self.setTabOrder(self.search, self.table)

        self.searcher = PatientSearcher(session, self.search, 25)
        self.searcher.results.connect(self._show)
        self.searcher.failed.connect(self.status.setText)
        self.searcher.cleared.connect(self._clear)
        self._open_generation = 0
        self.search.returnPressed.connect(self._enter_in_box)
        self.search.installEventFilter(self)
        self.chart_requested.connect(self.open_chart)

        new_sc = QShortcut(QKeySequence("Ctrl+N"), self)
        new_sc.setContext(Qt.WidgetWithChildrenShortcut)
        new_sc.activated.connect(self.new_patient)
        esc = QShortcut(QKeySequence(Qt.Key_Escape), self.chart_view)
        esc.setContext(Qt.WidgetWithChildrenShortcut)
        esc.activated.connect(self.focus_default)
        bus.changed.connect(self._on_changes)

    # --- navigation -----------------------------------------------------------------------

    @property
    def showing_chart(self) -> bool:
        return self.stack.currentWidget() is self.chart_view

    def focus_default(self) -> None:
        """Back to the search box (F2, Ctrl+F, Esc in a chart), its text selected."""
        self._open_generation += 1  # a chart still opening must not jump in now
        self.stack.setCurrentWidget(self.lookup_panel)
        self.search.setFocus(Qt.ShortcutFocusReason)
        self.search.selectAll()

    def open_chart(self, patient_id: int) -> None:
        """Open a chart off the UI thread (audited as chart.open) and show it in place."""
        self._open_generation += 1
        generation = self._open_generation
        self.status.setText("Opening the chart…")
        run_in_background(
            charts.open_chart,
            self.session,
            patient_id,
            context=self,
            on_done=lambda view: self._show_chart(generation, view),
            on_error=self.status.setText,
        )

    def _show_chart(self, generation: int, view: charts.ChartView) -> None:
        if generation != self._open_generation:
            return
        self.status.setText("")
        self.chart_view.load(view)
        self.stack.setCurrentWidget(self.chart_view)
        self.chart_view.doc_tree.setFocus()
        self.chart_opened.emit(view.patient.id)

    # --- search ---------------------------------------------------------------------------

    def eventFilter(self, obj, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802
        if (
            obj is self.search
            and event.type() == QEvent.KeyPress
            and event.key() in (Qt.Key_Down, Qt.Key_Up)
        ):
            if self.model.rowCount():
                self.table.setFocus()
                self.table.selectRow(0 if event.key() == Qt.Key_Down else self.model.rowCount() - 1)
            return True
        return super().eventFilter(obj, event)

    def _clear(self) -> None:
        self.model.set_rows([])
        self.status.setText("")

    def _show(self, rows: list[lookup.SearchResult]) -> None:
        self.model.set_rows(rows)
        self.status.setText(
            f"{len(rows)} match(es)"
            if rows
            else "No chart matches. Check the spelling or try the date of birth."
        )
        if rows:
            self.table.selectRow(0)

    def _enter_in_box(self) -> None:
        if self.searcher.pending:
            self.searcher.run_now()
            return
        if self.model.rowCount():
            self._open_row(max(0, self.table.currentIndex().row()))

    def _open_row(self, row: int) -> None:
        result = self.model.row_object(row)
        if result is not None:
            self.chart_requested.emit(result.patient.id)

    def _on_changes(self, changes: Changes) -> None:
        if changes.patients and self.search.text().strip():
            self.searcher.schedule()  # a merge or registration may change the results shown

    # --- registration and merge --------------------------------------------------------

    def new_patient(self) -> None:
        if not self.session.can("patient.create"):
            return
        from clinicrecords.ui.chart.registration import RegistrationDialog

        dlg = RegistrationDialog(self.session, self)
        self.registration = dlg
        text = self.search.text().strip()
        if text and not self.showing_chart:
            dlg.prefill_from_search(text)

        def finished(result: int) -> None:
            pid = dlg.chosen_patient_id
            if result and pid is not None:
                if dlg.registered is not None:
                    self.bus.notify(Changes.patient(pid))
                self.open_chart(pid)
            dlg.deleteLater()

        dlg.finished.connect(finished)
        dlg.open()

    def merge_into(self, survivor_id: int) -> None:
        from clinicrecords.ui.chart.merge_dialog import MergeDialog

        if self.chart_view.chart is None:
            return
        dlg = MergeDialog(self.session, self.chart_view.chart.patient, self)
        self.merge_dialog = dlg

        def finished(result: int) -> None:
            if result and dlg.result_ is not None:
                r = dlg.result_
                self.bus.notify(Changes.patient(r.survivor.id, r.merged.id))  # the chart reloads
            dlg.deleteLater()

        dlg.finished.connect(finished)
        dlg.open()
