"""The chart's corrections of a filed document, by keyboard: move (Ctrl+Shift+M), edit
(Ctrl+E), void (Ctrl+Del), each in a dialog with a reason; for an administrator a
"Corrections" tab (Ctrl+Shift+O) with the document's history (old values) and the chart's voided documents,
where a void or a move is undone (Ctrl+Z in that tab).

Kept apart from ``view.py`` so the chart screen gains these actions without growing further;
every service call runs off the UI thread (``run_in_background``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic import settings
from clinicrecords.clinic.session import Session
from clinicrecords.common.changes import Changes
from clinicrecords.common.dates import read_date
from clinicrecords.common.domain import Patient
from clinicrecords.common.errors import BadInput
from clinicrecords.records import corrections as corr
from clinicrecords.records.charts import ChartDocument
from clinicrecords.registry import lookup
from clinicrecords.registry.patients import patient_by_mrn
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.patient_search import PatientSearcher
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import run_in_background

MOVE_KEYS, EDIT_KEYS, VOID_KEYS = "Ctrl+Shift+M", "Ctrl+E", "Ctrl+Del"
HISTORY_KEYS = "Ctrl+Shift+O"  # administrators


# --- the work (worker thread) ----------------------------------------------------------------


def move_by_mrn(
    session: Session, document_id: int, mrn: str, pages_text: str, reason: str
) -> tuple[corr.MoveResult, Patient]:
    """The dialog's move: the chart by MRN, the pages as typed (blank: all of them)."""
    if not mrn.strip():
        raise BadInput("Find the chart the document belongs in (name, date of birth or MRN).")
    target = patient_by_mrn(session, mrn.strip())
    pages = corr.parse_page_list(pages_text) if pages_text.strip() else None
    return corr.move_document(session, document_id, target.id, reason, pages), target


def edit_from_dialog(
    session: Session, document_id: int, values: dict[str, Any], reason: str
) -> dict[str, tuple[Any, Any]]:
    return corr.edit_document(session, document_id, reason=reason, **values)


def history_and_voided(
    session: Session, document_id: int | None, patient_id: int
) -> tuple[list[corr.Correction], list[dict]]:
    history = corr.document_history(session, document_id) if document_id is not None else []
    return history, corr.voided_documents(session, patient_id)


def _describe(c: corr.Correction) -> str:
    d = c.detail
    if c.action == "edit":
        return "; ".join(f"{k}: {d['old'].get(k)!r} → {v!r}" for k, v in d.get("new", {}).items())
    if c.action == "move":
        pages = "all pages" if d.get("pages") is None else f"{len(d['pages'])} page(s)"
        return f"{pages} to another chart"
    return ""


# --- the dialog ------------------------------------------------------------------------------


class CorrectionDialog(QDialog):
    """One dialog for move, edit and void: the fields of the action, a reason, OK/Cancel.
    Shown with ``open()`` (not ``exec()``): the chart stays live and a test drives it."""

    def __init__(self, action: str, doc: ChartDocument, types: list[tuple[str, str]],
                 parent: QWidget | None = None, session: Session | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.action = action
        self.results: RowsModel[lookup.SearchResult] | None = None
        self.setObjectName(f"{action}DocumentDialog")
        titles = {"move": "Move to another chart", "edit": "Correct the index", "void": "Void"}
        self.setWindowTitle(f"{titles[action]}: {doc.type_label}")
        layout = QVBoxLayout(self)
        intro = {
            "move": "Move this document (or some of its pages) to the chart it belongs in. "
            "If its pages already went out in a release, you will be told to whom, and the "
            "privacy officer is told too.",
            "edit": "Correct the type, date, author or facility. The old values are kept.",
            "void": "Take this document out of the chart (a duplicate scan, a blank, the wrong "
            "document). It is kept for its retention period; an administrator can undo this.",
        }[action]
        text = QLabel(intro)
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        layout.addLayout(form)
        self.fields: dict[str, QWidget] = {}

        def line(label: str, name: str, value: str = "", placeholder: str = "") -> QLineEdit:
            edit = QLineEdit(value)
            edit.setObjectName(name)
            edit.setAccessibleName(label.replace("&", ""))
            edit.setPlaceholderText(placeholder)
            form.addRow(label, edit)
            self.fields[name] = edit
            return edit

        d = doc.document
        if action == "move":
            search = line("&To chart", "moveMrn", "", "name, date of birth or MRN")
            self.results = RowsModel(
                [
                    ("Name", lambda r: r.patient.display_name),
                    ("Date of birth", lambda r: r.patient.dob.strftime("%m/%d/%Y")),
                    ("MRN", lambda r: r.patient.mrn),
                ]
            )
            self.results_table = read_only_table("moveTargets", self.results, stretch=0)
            self.results_table.setAccessibleName("Charts found")
            self.results_table.setMaximumHeight(140)
            form.addRow("", self.results_table)
            self.target_label = plain_label()
            self.target_label.setObjectName("moveTarget")
            form.addRow("Moves to", self.target_label)
            self.results_table.selectionModel().currentRowChanged.connect(
                lambda *_a: self._show_target()
            )
            if session is not None:
                self.searcher = PatientSearcher(session, search, 10)
                self.searcher.results.connect(self._found)
                self.searcher.cleared.connect(lambda: self._found([]))
            line("&Pages", "movePages", "", f"blank: all {len(doc.pages)}; or e.g. 2-3")
        elif action == "edit":
            combo = QComboBox()
            combo.setObjectName("editType")
            combo.setAccessibleName("Document type")
            for code, label in types:
                combo.addItem(label, code)
            combo.setCurrentIndex(max(0, combo.findData(d.doc_type)))
            form.addRow("&Type", combo)
            self.fields["editType"] = combo
            line("&Date", "editDate", d.doc_date.isoformat() if d.doc_date else "", "YYYY-MM-DD")
            line("&Author", "editAuthor", d.author)
            line("&Facility", "editFacility", d.facility)
        self.reason = line("&Reason", "correctionReason", "", "why (goes in the record)")
        self.error = plain_label()
        self.error.setObjectName("correctionError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {tone('error')};")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        ok = self.buttons.button(QDialogButtonBox.Ok)
        ok.setText({"move": "Move", "edit": "Save", "void": "Void"}[action])
        ok.setAccessibleName(ok.text())
        self.buttons.button(QDialogButtonBox.Cancel).setAccessibleName("Cancel")
        ok.setDefault(True)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.first = next(iter(self.fields.values()))

    def _found(self, rows: list[lookup.SearchResult]) -> None:
        own = self.parent().chart.patient.id if getattr(self.parent(), "chart", None) else None
        assert self.results is not None
        self.results.set_rows([r for r in rows if r.patient.id != own])
        if self.results.rowCount():
            self.results_table.selectRow(0)
        self._show_target()

    def _show_target(self) -> None:
        r = self.chosen()
        self.target_label.setText(
            f"{r.patient.display_name}, DOB {r.patient.dob.strftime('%m/%d/%Y')}, "
            f"MRN {r.patient.mrn}"
            if r
            else ""
        )

    def chosen(self) -> lookup.SearchResult | None:
        """The chart picked in the list (the first match unless the clerk chose another)."""
        if self.results is None:
            return None
        return self.results.row_object(self.results_table.currentIndex().row())

    def target_mrn(self) -> str:
        r = self.chosen()
        return r.patient.mrn if r is not None else self.text("moveMrn")

    def text(self, name: str) -> str:
        w = self.fields[name]
        return w.currentData() if isinstance(w, QComboBox) else w.text()  # type: ignore[attr-defined]


# --- installed on the chart view -------------------------------------------------------------


class ChartCorrections:
    """The corrections actions of one ``ChartView`` (shortcuts, dialogs, admin tab)."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.session: Session = view.session
        self.dialog: CorrectionDialog | None = None
        self.date_order = settings.date_order(self.session)  # how a typed date is read
        self.status = plain_label()
        self.status.setObjectName("correctionStatus")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Correction result")
        view.layout().addWidget(self.status)
        for keys, slot in (
            (MOVE_KEYS, lambda: self.open_dialog("move")),
            (EDIT_KEYS, lambda: self.open_dialog("edit")),
            (VOID_KEYS, lambda: self.open_dialog("void")),
        ):
            sc = QShortcut(QKeySequence(keys), view)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        self.admin = self.session.can(corr.UNDO_PERMISSION)
        if self.admin:
            self._build_admin_tab()
            view.chart_loaded.connect(lambda _pid: self.refresh_admin())
            view.doc_tree.selectionModel().currentChanged.connect(lambda *_a: self.refresh_admin())

    # -- dialogs -----------------------------------------------------------------------------
    def open_dialog(self, action: str) -> CorrectionDialog | None:
        doc = self.view.current_doc
        if doc is None or self.view.chart is None:
            self.status.setText("Choose a document in the list first.")
            return None
        self.dialog = CorrectionDialog(
            action, doc, self.view.session_doc_types(), self.view, self.session
        )
        self.dialog.buttons.accepted.connect(lambda: self._submit(self.dialog, doc))
        self.dialog.open()
        self.dialog.activateWindow()
        self.dialog.first.setFocus(Qt.OtherFocusReason)
        return self.dialog

    def _submit(self, dlg: CorrectionDialog | None, doc: ChartDocument) -> None:
        if dlg is None:
            return
        dlg.error.setText("")
        dlg.buttons.setEnabled(False)
        reason = dlg.reason.text()
        patient_id = self.view.chart.patient.id

        def failed(message: str) -> None:
            dlg.buttons.setEnabled(True)
            dlg.error.setText(message)

        if dlg.action == "move":
            run_in_background(
                move_by_mrn, self.session, doc.id, dlg.target_mrn(), dlg.text("movePages"),
                reason, context=self.view, on_error=failed,
                on_done=lambda r: self._moved(dlg, r, patient_id),
            )  # fmt: skip
        elif dlg.action == "edit":
            raw_date = dlg.text("editDate").strip()
            when = read_date(raw_date, self.date_order) if raw_date else None
            if raw_date and when is None:
                failed("The date is not one the program can read; use YYYY-MM-DD.")
                return
            values: dict[str, Any] = {
                "doc_type": dlg.text("editType"),
                "author": dlg.text("editAuthor"),
                "facility": dlg.text("editFacility"),
            }
            if when is not None:
                values["doc_date"] = when
            run_in_background(
                edit_from_dialog, self.session, doc.id, values, reason, context=self.view,
                on_error=failed, on_done=lambda ch: self._done(
                    dlg, f"Saved: {', '.join(ch) or 'nothing changed'}.", patient_id, doc.id),
            )  # fmt: skip
        else:
            run_in_background(
                corr.void_document, self.session, doc.id, reason, context=self.view,
                on_error=failed, on_done=lambda _r: self._done(
                    dlg, "Voided: the document is kept, but no longer in this chart.",
                    patient_id, doc.id),
            )  # fmt: skip

    def _moved(
        self, dlg: CorrectionDialog, result: tuple[corr.MoveResult, Patient], patient_id: int
    ) -> None:
        r, target = result
        text = (
            f"Moved {r.pages} page(s) to {target.display_name}, DOB "
            f"{target.dob.strftime('%m/%d/%Y')} (MRN {target.mrn})."
        )
        if r.releases:
            text += " WARNING: these pages already went out in " + "; ".join(
                f"{h.request_id} to {h.requester} on {h.date}" for h in r.releases
            ) + ". The privacy officer has been told (disclosure review list)."  # fmt: skip
        self._done(dlg, text, patient_id, r.source_document_id, also=target.id)

    def _done(
        self, dlg: CorrectionDialog, text: str, patient_id: int, doc_id: int, also: int = 0
    ) -> None:
        dlg.accept()
        self.dialog = None
        self.status.setText(text)
        ids = {patient_id, also} - {0}
        self.view.bus.notify(Changes(patients=frozenset(ids), documents=frozenset({doc_id})))
        self.view.reload()
        self.view.doc_tree.setFocus()  # the keyboard goes on where it was

    # -- administrators: history, voided documents, undo ------------------------------------
    def _build_admin_tab(self) -> None:
        self.history_model: RowsModel[corr.Correction] = RowsModel(
            [
                ("When", lambda c: c.made_at[:16].replace("T", " ")),
                ("What", lambda c: c.action + (" (undone)" if c.undone_at else "")),
                ("By", lambda c: c.made_by),
                ("Why", lambda c: c.reason),
                ("Old → new", _describe),
            ]
        )
        self.history_table = read_only_table("correctionHistory", self.history_model)
        self.history_table.setAccessibleName("Corrections of this document")
        self.voided_model: RowsModel[dict] = RowsModel(
            [
                ("Voided document", lambda v: f"#{v['id']} {v['label']} {v['doc_date'] or ''}"),
                ("Pages", lambda v: v["pages"]),
                ("When", lambda v: (v["voided_at"] or "")[:10]),
                ("Why", lambda v: v["void_reason"]),
            ]
        )
        self.voided_table = read_only_table("voidedDocuments", self.voided_model)
        self.voided_table.setAccessibleName("Voided documents of this chart")
        self.undo_move_button = QPushButton("Undo selected move")
        self.undo_move_button.setObjectName("undoMoveButton")
        self.undo_move_button.setAccessibleName("Undo selected move")
        self.undo_move_button.clicked.connect(self.undo_selected_move)
        self.unvoid_button = QPushButton("Undo void of selected document")
        self.unvoid_button.setObjectName("unvoidButton")
        self.unvoid_button.setAccessibleName("Undo void of selected document")
        self.unvoid_button.clicked.connect(self.unvoid_selected)
        tab = QWidget()
        tl = QVBoxLayout(tab)
        tl.setContentsMargins(4, 4, 4, 4)
        tl.addWidget(QLabel("Corrections of the document shown (old values kept):"))
        tl.addWidget(self.history_table, 2)
        tl.addWidget(QLabel("Voided documents of this chart:"))
        tl.addWidget(self.voided_table, 1)
        row = QHBoxLayout()
        row.addWidget(self.undo_move_button)
        row.addWidget(self.unvoid_button)
        tl.addLayout(row)
        self.tab = tab
        self.view.tabs.addTab(tab, "Corrections")
        self.view.tabs.currentChanged.connect(lambda _i: self.refresh_admin())
        sc = QShortcut(QKeySequence(HISTORY_KEYS), self.view)
        sc.setContext(Qt.WidgetWithChildrenShortcut)
        sc.activated.connect(self.show_history)

    def show_history(self) -> None:
        """Ctrl+Shift+O: the Corrections tab, keyboard in its history list."""
        self.view.tabs.setCurrentWidget(self.tab)
        self.history_table.setFocus()

    def refresh_admin(self) -> None:
        """Read (and audit) the history only while the tab is shown, not on every click."""
        chart = self.view.chart
        if chart is None or self.view.tabs.currentWidget() is not self.tab:
            return
        doc = self.view.current_doc
        run_in_background(
            history_and_voided, self.session, doc.id if doc else None, chart.patient.id,
            context=self.view, on_done=self._show_admin, on_error=self.status.setText,
        )  # fmt: skip

    def _show_admin(self, result: tuple[list[corr.Correction], list[dict]]) -> None:
        history, voided = result
        self.history_model.set_rows(history)
        self.voided_model.set_rows(voided)

    def undo_selected_move(self) -> None:
        c = self.history_model.row_object(self.history_table.currentIndex().row())
        if c is None or c.action != "move" or c.undone_at:
            self.status.setText("Choose a move that was not undone in the list first.")
            return
        pid = self.view.chart.patient.id
        run_in_background(
            corr.undo_move, self.session, c.id, "undone from the chart", context=self.view,
            on_error=self.status.setText,
            on_done=lambda doc_id: self._after_undo("Move undone.", pid, int(doc_id)),
        )  # fmt: skip

    def unvoid_selected(self) -> None:
        v = self.voided_model.row_object(self.voided_table.currentIndex().row())
        if v is None:
            self.status.setText("Choose a voided document in the list first.")
            return
        pid = self.view.chart.patient.id
        run_in_background(
            corr.unvoid_document, self.session, v["id"], "undone from the chart",
            context=self.view, on_error=self.status.setText,
            on_done=lambda _r: self._after_undo("The document is back in the chart.", pid,
                                                int(v["id"])),
        )  # fmt: skip

    def _after_undo(self, text: str, patient_id: int, doc_id: int) -> None:
        self.status.setText(text)
        self.view.bus.notify(Changes(patients=frozenset({patient_id}),
                                     documents=frozenset({doc_id})))  # fmt: skip
        self.view.reload()


def install(view: Any) -> ChartCorrections:
    return ChartCorrections(view)
