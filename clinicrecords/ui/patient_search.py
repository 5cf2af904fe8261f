"""Chart lookup as you type, for any patient field: debounced and off the UI thread.

One object serves the lookup page, the merge dialog, the index form and the release form, so
the rules are the same everywhere: a query runs 150 ms after the last keystroke, in a worker,
and only the newest query's results are delivered (an older one that finishes late is dropped).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLineEdit

from clinicrecords.clinic.session import Session
from clinicrecords.registry import lookup
from clinicrecords.ui.workers import run_in_background

DEBOUNCE_MS = 150


class PatientSearcher(QObject):
    results = Signal(object)  # list[lookup.SearchResult] for the newest query
    failed = Signal(str)
    cleared = Signal()  # the field was emptied

    def __init__(
        self, session: Session, edit: QLineEdit, limit: int = 25, on_edit_only: bool = False
    ) -> None:
        super().__init__(edit)
        self.session = session
        self.edit = edit
        self.limit = limit
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run)
        # textEdited ignores programmatic setText (a form filled from a suggestion).
        changed = edit.textEdited if on_edit_only else edit.textChanged
        changed.connect(lambda _text: self._timer.start())

    @property
    def pending(self) -> bool:
        """A keystroke's query is waiting for its debounce to pass."""
        return self._timer.isActive()

    def schedule(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.stop()
        self._generation += 1

    def run_now(self) -> None:
        self._timer.stop()
        self._run()

    def _run(self) -> None:
        text = self.edit.text().strip()
        self._generation += 1
        generation = self._generation
        if not text:
            self.cleared.emit()
            return
        run_in_background(
            lookup.search_patients, self.session, text, self.limit,
            on_done=lambda rows: self._deliver(generation, rows),
            on_error=self.failed.emit, context=self,
        )  # fmt: skip

    def _deliver(self, generation: int, rows: list[lookup.SearchResult]) -> None:
        if generation == self._generation:
            self.results.emit(rows)
