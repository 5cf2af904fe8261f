"""Sync conflicts: what two workstations changed apart, for an administrator to settle.

The clinic's order already chose a value on every PC; this screen shows both values, when the
conflict was found and which PC wrote the kept value, and settles it with the same service as
``clinicrecords conflicts resolve`` (keep the server's value, keep this PC's, or type one), so
the choice is an audited edit that reaches every PC. Reads and writes run in a worker; the
workstations' names come from the server in a second, later read (the list never waits for
the network).

A conflict that can only be confirmed (a release sent twice, a merge, a document moved and
voided apart, an account…) offers only "keep the server's value": the other buttons are off,
and their tooltip and the status line say why and what to do instead (``Conflict.why``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.sync import conflicts
from clinicrecords.sync.conflicts import Conflict
from clinicrecords.ui.admin.users import button, local_time, make_table, message_label, shortcut
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import BusyTasks, run_in_background

_WHAT = {
    "doc_type": "document type",
    "doc_date": "document date",
    "chart": "document's chart",
    "voided": "document voided",
}
_SAME = "This PC's value is the one the clinic kept already."


def what(c: Conflict) -> str:
    """The conflict's subject in a clerk's words."""
    if c.entity == "document":
        return _WHAT.get(c.field, c.field)
    return c.field or c.kind


class ConflictsDialog(BusyTasks, QDialog):
    """Alt+S keep the server's value, Alt+T keep this PC's, Alt+V type one (Enter sets it);
    F5 reload."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        session.require(conflicts.PERMISSION)
        self.session = session
        self.names: dict[str, str] = {}
        self._why_shown = ""
        self.setObjectName("conflictsDialog")
        self.setWindowTitle("Sync conflicts")

        columns: Sequence[tuple[str, Callable[[Conflict], Any]]] = (
            ("Chart", lambda c: c.mrn),
            ("What", what),
            ("Clinic kept", lambda c: c.server),
            ("Written on", self._kept_on),
            ("Replaced", lambda c: c.replaced),
            ("This PC's value", lambda c: c.local),
            ("Found", lambda c: local_time(c.detected_at, with_seconds=False)),
        )
        self.model: RowsModel[Conflict] = RowsModel(columns, self)
        self.table = make_table(self.model, "conflictsTable", stretch=2)
        heading = QLabel("Open &conflicts")
        heading.setBuddy(self.table)
        self.server_button = button(
            "Keep the &server's value", "keepServerButton", self.keep_server
        )
        self.local_button = button("Keep &this PC's value", "keepLocalButton", self.keep_local)
        self.value_edit = QLineEdit()
        self.value_edit.setObjectName("conflictValueEdit")
        self.value_edit.setPlaceholderText("or type the right value")
        self.value_edit.returnPressed.connect(self.keep_typed)
        value_label = QLabel("&Value")
        value_label.setBuddy(self.value_edit)
        self.value_button = button("Set this value", "setValueButton", self.keep_typed)
        self.reload_button = button("Reload (F5)", "reloadConflictsButton", self.reload)
        actions = QHBoxLayout()
        for w in (self.server_button, self.local_button, value_label, self.value_edit):
            actions.addWidget(w)
        actions.addWidget(self.value_button)
        actions.addStretch(1)
        actions.addWidget(self.reload_button)
        hint = QLabel(
            "Two PCs changed the same thing while apart. Every PC already shows the value the "
            "clinic's order kept; confirm it, restore this PC's, or type the right one: every "
            "PC follows."
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
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(close)
        shortcut(self, "F5", self.reload)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.resize(1100, 480)
        self._update_buttons()
        self.reload()
        run_in_background(
            conflicts.workstation_names, session, on_done=self._named, context=self
        )  # fmt: skip
        self.table.setFocus()

    # --- reading ---------------------------------------------------------------------------

    def _kept_on(self, c: Conflict) -> str:
        if c.kept_here:
            return "this PC"
        return self.names.get(c.kept_ws, "another PC") if c.kept_ws else ""

    def _named(self, names: dict[str, str]) -> None:
        self.names = names
        row = self.table.currentIndex().row()
        self.model.set_rows(self.model.rows)  # repaint the "Written on" column
        if self.model.rows:
            self.table.selectRow(max(0, row))
        self._update_buttons()

    def selected(self) -> Conflict | None:
        return self.model.row_object(self.table.currentIndex().row())

    def reload(self) -> None:
        self._run(conflicts.list_conflicts, self.session, on_done=self._loaded)

    def _loaded(self, rows: list[Conflict]) -> None:
        self.model.set_rows(rows)
        if rows:
            self.table.selectRow(0)
        else:
            self.status.setText("No open conflicts.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        c = self.selected()
        idle = self._busy == 0
        has_value = c is not None and "value" in c.choices
        same = c is not None and c.local == c.server
        self.server_button.setEnabled(idle and c is not None)
        self.local_button.setEnabled(idle and c is not None and "local" in c.choices and not same)
        self.value_edit.setEnabled(idle and has_value)
        self.value_button.setEnabled(idle and has_value)
        self.reload_button.setEnabled(idle)
        why = c.why if c is not None and not has_value else ""
        self.local_button.setToolTip(why or (_SAME if same else "Alt+T"))
        for w in (self.value_edit, self.value_button):
            w.setToolTip(why or "Type the right value, then Enter")
        if why:
            self.status.setText(why)
        elif self.status.text() == self._why_shown:
            self.status.clear()
        self._why_shown = why

    # --- settling --------------------------------------------------------------------------

    def keep_server(self) -> None:
        self._resolve("server")

    def keep_local(self) -> None:
        c = self.selected()
        if c is not None and "local" not in c.choices:
            self.status.setText(c.why)
            return
        self._resolve("local")

    def keep_typed(self) -> None:
        c = self.selected()
        if c is not None and "value" not in c.choices:
            self.status.setText(c.why)
            return
        value = self.value_edit.text().strip()
        if not value:
            self._failed("Type the value to keep first.")
            return
        if value in ("server", "local"):  # the service reads these words as the choices
            self._failed("Use the buttons to keep the server's or this PC's value.")
            return
        self._resolve(value)

    def _resolve(self, keep: str) -> None:
        c = self.selected()
        if c is None or self._busy:
            return
        self._run(
            conflicts.resolve_conflict, self.session, c.id, keep, on_done=self._resolved
        )  # fmt: skip

    def _resolved(self, c: Conflict) -> None:
        self.value_edit.clear()
        self.status.setText(f"Settled: {what(c)} is now {c.current!r} on every PC.")
        self.reload()
