"""Scan & index: incoming batches, the page with its evidence, the filing form.

Keyboard first. Enter files the current document; Tab moves between fields; Ctrl+Down/Up
next/previous page; PageDown/PageUp next/previous document; Ctrl+B starts a new document at
this page; Ctrl+M joins this document to the one before; Ctrl+R / Ctrl+Shift+R turn the page;
Ctrl+Del sets a page aside (kept, restorable); F8 the next page needing review; Ctrl+O
imports files; Ctrl+Shift+S scans; Ctrl+Shift+W watches a folder.

The work in progress (document groups, typed fields) is saved in the batch's ``state`` in
the database after every change, so a crash or a closed window loses none of it. All reads
and writes run off the UI thread (``run_in_background``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic import settings
from clinicrecords.clinic.session import Session
from clinicrecords.common.changes import Changes
from clinicrecords.common.dates import read_date
from clinicrecords.intake.batches import process_batch, read_batches
from clinicrecords.intake.filing import file_document
from clinicrecords.intake.grouping import group_pages, merge_suggestions
from clinicrecords.intake.importing import IngestReport, import_files
from clinicrecords.intake.page_ops import delete_pages, page_image, rotate_page
from clinicrecords.intake.review import (
    BatchInfo,
    ScanPage,
    batch_pages,
    doc_type_choices,
    load_batch_state,
    open_batches,
    save_batch_state,
)
from clinicrecords.records.corrections import undo_filing
from clinicrecords.scan.scratch import scan_scratch_dir
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.index.canvas import Highlight, PageCanvas
from clinicrecords.ui.index.form import IndexForm
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import TaskHandle, run_in_background

WATCH_KEY = "scan.watch_folder"
REFRESH_MS = 1000


@dataclass
class PageRow:
    page: ScanPage
    doc: int  # 1-based document number inside the batch


def _status_text(r: PageRow) -> str:
    p = r.page
    if p.cover:
        return "cover sheet"
    if p.blank:
        return "blank?"
    if p.problem:
        return "unread"
    return {"ready": "ready", "review": "REVIEW"}.get(p.status, p.status)


def _patient_text(r: PageRow) -> str:
    top = r.page.suggestion.patient[0] if r.page.suggestion.patient else None
    return "" if top is None else top.name


def _load_batch(session: Session, batch_id: int) -> tuple[list[ScanPage], dict]:
    return batch_pages(session, batch_id), load_batch_state(session, batch_id)


def _load_image(session: Session, page_id: int) -> QImage:
    # QImage (unlike QPixmap) may be made off the UI thread: decoding stays off it too.
    img = QImage.fromData(page_image(session, page_id))
    return img.convertToFormat(QImage.Format_Grayscale8) if not img.isNull() else img


def _import_and_process(
    session: Session,
    paths: list[str],
    source: str = "import",
    remove: bool | None = None,  # None: the clinic's scan.remove_originals setting
    progress=None,
    cancel=None,
):  # type: ignore[no-untyped-def]
    report = import_files(session, paths, source=source, remove_originals=remove)
    # This import's batch, and any earlier one a file of it was stored in but never read.
    read_batches(session, report.to_read, report, progress=progress, cancel=cancel)
    return report


def _scan_and_process(session: Session, device: str, progress=None, cancel=None):  # type: ignore[no-untyped-def]
    from clinicrecords.scan import sane

    with scan_scratch_dir() as tmp:
        pages = sane.scan(device, out_dir=Path(tmp))
        return _import_and_process(
            session, [str(p) for p in pages], "scanner", True, progress, cancel
        )


class _UndoKeyFilter(QObject):
    """Lets Ctrl+Z reach the page's undo-filing shortcut from an empty text field."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if (
            event.type() == QEvent.ShortcutOverride
            and event.matches(QKeySequence.Undo)  # type: ignore[attr-defined]
            and isinstance(obj, QLineEdit)
            and not obj.isUndoAvailable()
            and self.parent().last_filing is not None  # type: ignore[attr-defined]
        ):
            event.ignore()  # not the field's: the shortcut map gets it
            return True
        return False


class ScanIndexPage(QWidget):
    watched_file = Signal(str)

    def __init__(self, session: Session, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.bus = bus
        self.setObjectName("scanIndexPage")
        self.batch_id: int | None = None
        self.pages: dict[int, ScanPage] = {}
        self.order: list[int] = []
        self.groups: list[list[int]] = []
        self.fields: dict[str, dict] = {}
        self.current: int | None = None
        self.task: TaskHandle | None = None
        self.filing = False
        self.last_filing: tuple[int, int | None, list[int], dict] | None = None  # for Ctrl+Z
        self.watcher = None
        self._image_generation = 0
        self._image: QImage | None = None
        self._filled: tuple = ((), None)
        self._focus_when_loaded: int | None = None  # a batch just imported: focus its form

        types = doc_type_choices(session)
        self.date_order = settings.date_order(session)  # how a typed date is read
        self._build(types)
        if self.date_order == "DMY":
            self.form.doc_date.setPlaceholderText("YYYY-MM-DD or DD/MM/YYYY")
        self._build_shortcuts()
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(300)
        self._save_timer.timeout.connect(self._save_state)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self._refresh_after_progress)
        self.watched_file.connect(self._import_watched)
        bus.changed.connect(self._on_changes)
        self.refresh_batches(resume=True)
        self._start_watching_saved_folder()

    # -- layout ------------------------------------------------------------------------------
    def _build(self, types: list[tuple[str, str]]) -> None:
        self.import_button = QPushButton("Import files…  (Ctrl+O)")
        self.import_button.setObjectName("importButton")
        self.import_button.clicked.connect(self.import_dialog)
        self.scan_button = QPushButton("Scan…  (Ctrl+Shift+S)")
        self.scan_button.setObjectName("scanButton")
        self.scan_button.clicked.connect(self.scan_dialog)
        self.watch_button = QPushButton("Watch folder…")
        self.watch_button.setObjectName("watchButton")
        self.watch_button.clicked.connect(self.watch_dialog)
        for b in (self.import_button, self.scan_button, self.watch_button):
            b.setFocusPolicy(Qt.TabFocus)

        self.batch_model: RowsModel[BatchInfo] = RowsModel(
            [
                ("Batch", lambda b: f"#{b.id} {b.source} {b.created_at[5:16].replace('T', ' ')}"),
                ("Pages", lambda b: b.unfiled),
                ("Review", lambda b: b.review),
                ("Reading", lambda b: b.text_pending + b.files_waiting or ""),
            ]
        )
        self.batch_table = self._table("batchTable", self.batch_model)
        self.batch_table.setMaximumHeight(150)
        self.batch_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.batch_table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.batch_table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._batch_chosen(cur.row())
        )

        self.progress = QProgressBar()
        self.progress.setObjectName("ocrProgress")
        self.progress.setFormat("Reading pages: %v of %m steps")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = plain_label()
        self.status.setObjectName("indexStatus")
        self.status.setWordWrap(True)
        self.filed_label = plain_label()  # the last filing's confirmation: whose chart
        self.filed_label.setObjectName("filedConfirmation")
        self.filed_label.setWordWrap(True)
        self.filed_label.setAccessibleName("Last filing")
        self.undo_button = QPushButton("Undo filing (Ctrl+Z)")
        self.undo_button.setObjectName("undoFilingButton")
        self.undo_button.setAccessibleName("Undo the last filing")
        self.undo_button.setFocusPolicy(Qt.TabFocus)
        self.undo_button.clicked.connect(self.undo_last_filing)
        self.undo_button.hide()

        self.page_model: RowsModel[PageRow] = RowsModel(
            [
                ("Doc", lambda r: r.doc),
                ("Pg", lambda r: r.page.source_page),
                ("Suggested patient", _patient_text),
                ("Status", _status_text),
            ]
        )
        self.page_table = self._table("pageTable", self.page_model)
        self.page_table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.page_table.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.page_table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self._page_chosen(cur.row())
        )

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.scan_button)
        lv.addLayout(buttons)
        lv.addWidget(self.watch_button)
        lv.addWidget(QLabel("Incoming batches"))
        lv.addWidget(self.batch_table)
        lv.addWidget(self.progress)
        lv.addWidget(QLabel("Pages (Ctrl+↓/↑; F8 next to review)"))
        lv.addWidget(self.page_table, 1)
        lv.addWidget(self.status)
        filed_row = QHBoxLayout()
        filed_row.addWidget(self.filed_label, 1)
        filed_row.addWidget(self.undo_button)
        lv.addLayout(filed_row)

        self.canvas = PageCanvas()
        self.form = IndexForm(self.session, types)
        self.form.file_requested.connect(self.file_current)
        self.form.changed.connect(self._form_changed)
        self.doc_label = QLabel("")
        self.doc_label.setObjectName("documentLabel")
        self.doc_label.setWordWrap(True)
        self.keys_label = QLabel(
            "Enter file · Tab next field · PgDn/PgUp document · Ctrl+B split · Ctrl+M join · "
            "Ctrl+R turn · Ctrl+Del set aside"
        )
        self.keys_label.setObjectName("keysLabel")
        self.keys_label.setWordWrap(True)
        self.keys_label.setStyleSheet(f"color:{tone('muted')};")
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.doc_label)
        rv.addWidget(self.form, 1)
        rv.addWidget(self.keys_label)

        split = QSplitter(Qt.Horizontal)
        split.setObjectName("indexSplitter")
        split.addWidget(left)
        split.addWidget(self.canvas)
        split.addWidget(right)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setStretchFactor(2, 0)
        split.setSizes([330, 620, 380])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    def _table(self, name: str, model: RowsModel) -> QTableView:
        t = read_only_table(name, model)
        t.setFocusPolicy(Qt.ClickFocus)  # the keyboard works the page and the form
        return t

    def _build_shortcuts(self) -> None:
        keys = (
            ("Ctrl+Down", lambda: self.step_page(1)),
            ("Ctrl+Up", lambda: self.step_page(-1)),
            ("PgDown", lambda: self.step_document(1)),
            ("PgUp", lambda: self.step_document(-1)),
            ("Ctrl+B", self.split_here),
            ("Ctrl+M", self.join_previous),
            ("Ctrl+R", lambda: self.rotate(90)),
            ("Ctrl+Shift+R", lambda: self.rotate(-90)),
            ("Ctrl+Del", self.set_aside),
            ("F8", self.next_review),
            ("Ctrl+O", self.import_dialog),
            ("Ctrl+Shift+S", self.scan_dialog),
            ("Ctrl+Shift+W", self.watch_dialog),
            (QKeySequence.Undo, self.undo_last_filing),
        )
        for seq, slot in keys:
            sc = QShortcut(QKeySequence(seq), self)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        # A text field takes Ctrl+Z for its own typing; with nothing typed to undo, the key
        # undoes the last filing instead (the patient field has focus right after filing).
        self._undo_keys = _UndoKeyFilter(self)
        for edit in self.form.findChildren(QLineEdit):
            edit.installEventFilter(self._undo_keys)

    def focus_default(self) -> None:
        self.form.patient.setFocus(Qt.ShortcutFocusReason)
        self.form.patient.selectAll()

    # -- batches -------------------------------------------------------------------------------
    def refresh_batches(self, resume: bool = False) -> None:
        run_in_background(
            open_batches,
            self.session,
            on_done=lambda rows: self._show_batches(rows, resume),
            on_error=self.status.setText,
            context=self,
        )

    def _show_batches(self, rows: list[BatchInfo], resume: bool) -> None:
        keep = self.batch_id
        self.batch_model.set_rows(rows)
        ids = [b.id for b in rows]
        if keep in ids:
            self.batch_table.selectionModel().blockSignals(True)
            self.batch_table.selectRow(ids.index(keep))
            self.batch_table.selectionModel().blockSignals(False)
        elif rows:
            self.batch_table.selectRow(0)
        else:
            self.batch_id = None
            self._set_pages([], {})
            self.canvas.show_message("No incoming batches. Import files (Ctrl+O) or scan.")
        if resume and self.task is None:
            unfinished = [b for b in rows if b.files_waiting or b.text_pending]
            if unfinished:  # interrupted (a crash, a full disk, a closed window): carry on
                self.process(unfinished[-1].id)
                self.status.setText(
                    f"Batch {unfinished[-1].id} was not read to the end; reading the rest now."
                )

    def _batch_chosen(self, row: int) -> None:
        b = self.batch_model.row_object(row)
        if b is not None and b.id != self.batch_id:
            self.load_batch(b.id)

    def load_batch(self, batch_id: int) -> None:
        self._flush_state()
        self.batch_id = batch_id
        self.current = None
        run_in_background(
            _load_batch,
            self.session,
            batch_id,
            on_done=lambda res, b=batch_id: self._loaded(b, *res),
            on_error=self.status.setText,
            context=self,
        )

    def _loaded(self, batch_id: int, pages: list[ScanPage], state: dict) -> None:
        if batch_id == self.batch_id:
            self._set_pages(pages, state)
            if self._focus_when_loaded == batch_id:
                self._focus_when_loaded = None
                self._focus_form_after_import()

    def _focus_form_after_import(self) -> None:
        """Right after an import, the keyboard goes to the form of the first document (its
        suggestion already filled in), so Enter files it; never away from a field the clerk
        is typing in meanwhile."""
        if not self.page_model.rowCount() or not self.isVisible():
            return
        typing = QApplication.focusWidget()
        if typing is not None and self.form.isAncestorOf(typing):
            return
        self.focus_default()

    def _set_pages(self, pages: list[ScanPage], state: dict) -> None:
        """Take the batch's pages; keep the clerk's groups and fields, add new pages by file."""
        self.pages = {p.id: p for p in pages}
        self.order = [p.id for p in pages]
        self.groups = group_pages(pages, state.get("groups", self.groups))
        self.fields = dict(state.get("fields", self.fields))
        rows = [PageRow(self.pages[i], n + 1) for n, g in enumerate(self.groups) for i in g]
        current = self.current if self.current in self.pages else state.get("current")
        self.page_model.set_rows(rows)
        self._update_status()
        self.form.setEnabled(bool(rows))
        if not rows:
            self.current = None
            self.canvas.show_message("Nothing left to file in this batch.")
            self.doc_label.setText("")
            self.form.clear()
            return
        ids = [r.page.id for r in rows]
        target = current if current in self.pages else ids[0]
        if target == self.current:
            self.page_table.selectionModel().blockSignals(True)
            self.page_table.selectRow(ids.index(target))
            self.page_table.selectionModel().blockSignals(False)
            self._refill_if_better(target)
        else:
            self.page_table.selectRow(ids.index(target))

    def _refill_if_better(self, page_id: int) -> None:
        """The full-page pass improved the suggestions of the document on screen: show them,
        unless the clerk has already typed something for it."""
        n = self.group_of(page_id)
        group = self.groups[n]
        if str(group[0]) in self.fields:
            return
        merged = merge_suggestions([self.pages[i].suggestion for i in group])
        if self._filled != (tuple(group), merged):
            self._fill_form(n)
            self._redraw()

    def _update_status(self) -> None:
        review = sum(1 for p in self.pages.values() if p.status == "review")
        self.status.setText(
            f"{len(self.pages)} page(s) to file in {len(self.groups)} "
            f"document(s); {review} need review (F8)."
        )

    # -- pages and documents ---------------------------------------------------------------------
    def group_of(self, page_id: int | None) -> int:
        for n, g in enumerate(self.groups):
            if page_id in g:
                return n
        return -1

    def _page_chosen(self, row: int) -> None:
        r = self.page_model.row_object(row)
        if r is None:
            return
        old_group = self.group_of(self.current)
        self.current = r.page.id
        n = self.group_of(self.current)
        if n != old_group:
            self._fill_form(n)
        self._show_document_label(n)
        self._load_image(r.page.id)
        self._schedule_save()

    def _fill_form(self, n: int) -> None:
        group = self.groups[n]
        merged = merge_suggestions([self.pages[i].suggestion for i in group])
        self._filled = (tuple(group), merged)
        self.form.fill(merged, self.fields.get(str(group[0])))
        unsure = [str(k + 1) for k, i in enumerate(group) if self.pages[i].status == "review"]
        if unsure and merged.confident_patient is not None:
            self.form.confidence.setText(
                self.form.confidence.text()
                + f" Page(s) {', '.join(unsure)} of this document have no confident patient "
                "of their own: look at them before filing."
            )

    def _show_document_label(self, n: int) -> None:
        g = self.groups[n]
        pos = g.index(self.current) + 1 if self.current in g else 0
        self.doc_label.setText(
            f"<b>Document {n + 1} of {len(self.groups)}</b> · page {pos} of {len(g)}"
        )

    def _load_image(self, page_id: int) -> None:
        self._image_generation += 1
        gen = self._image_generation
        self.canvas.show_message("Loading page…")
        run_in_background(
            _load_image,
            self.session,
            page_id,
            on_done=lambda img: self._image_loaded(gen, page_id, img),
            on_error=self.canvas.show_message,
            context=self,
        )

    def _image_loaded(self, gen: int, page_id: int, img: QImage) -> None:
        if gen != self._image_generation or page_id not in self.pages:
            return
        self._image = img
        self._redraw()

    def _redraw(self) -> None:
        page = self.pages.get(self.current or -1)
        if page is None or self._image is None:
            return
        self.canvas.show_page(self._image, page.rotation, self.highlights(page), page.blank)

    def highlights(self, page: ScanPage) -> list[Highlight]:
        """Evidence on this page for what the form holds now."""
        s = page.suggestion
        out: list[Highlight] = []
        chosen = self.form.selected()
        for p in s.patient:
            if chosen is not None and p.patient_id == chosen.patient_id:
                out += [Highlight("patient", b, e.kind) for e in p.evidence for b in e.boxes]
        for field, values, current in (
            ("doc_type", s.doc_type, self.form.doc_type.currentData()),
            ("doc_date", s.doc_date, self.form.doc_date.text().strip()),
            ("author", s.author, self.form.author.text().strip()),
        ):
            for v in values:
                if v.value == current:
                    out += [Highlight(field, b, e.kind) for e in v.evidence for b in e.boxes]
        return out

    def _select_page(self, page_id: int) -> None:
        ids = [r.page.id for r in self.page_model.rows]
        if page_id in ids:
            self.page_table.selectRow(ids.index(page_id))

    def step_page(self, delta: int) -> None:
        ids = [r.page.id for r in self.page_model.rows]
        if ids and self.current in ids:
            self._select_page(ids[max(0, min(len(ids) - 1, ids.index(self.current) + delta))])

    def step_document(self, delta: int) -> None:
        n = self.group_of(self.current)
        if self.groups and n >= 0:
            m = max(0, min(len(self.groups) - 1, n + delta))
            self._select_page(self.groups[m][0])

    def next_review(self) -> None:
        ids = [r.page.id for r in self.page_model.rows]
        if not ids:
            return
        start = ids.index(self.current) + 1 if self.current in ids else 0
        for i in ids[start:] + ids[:start]:
            if self.pages[i].status == "review":
                self._select_page(i)
                return
        self.status.setText("No page in this batch needs review.")

    def _regroup(self, groups: list[list[int]], keep: int | None) -> None:
        self.groups = [g for g in groups if g]
        self.current = None
        state = {"groups": self.groups, "fields": self.fields, "current": keep}
        self._set_pages(list(self.pages[i] for i in self.order if i in self.pages), state)
        self._schedule_save()

    def split_here(self) -> None:
        n = self.group_of(self.current)
        if n < 0:
            return
        g = self.groups[n]
        k = g.index(self.current)
        if k == 0:
            self.status.setText("This page already starts a document.")
            return
        self._regroup(self.groups[:n] + [g[:k], g[k:]] + self.groups[n + 1 :], self.current)

    def join_previous(self) -> None:
        n = self.group_of(self.current)
        if n <= 0:
            self.status.setText("There is no document before this one to join.")
            return
        self.fields.pop(str(self.groups[n][0]), None)
        merged = self.groups[n - 1] + self.groups[n]
        self._regroup(self.groups[: n - 1] + [merged] + self.groups[n + 1 :], self.current)

    def rotate(self, degrees: int) -> None:
        page = self.pages.get(self.current or -1)
        if page is None:
            return
        new = (page.rotation + degrees) % 360
        from dataclasses import replace

        self.pages[page.id] = replace(page, rotation=new)
        self._redraw()
        run_in_background(
            rotate_page,
            self.session,
            page.id,
            degrees,
            on_error=self.status.setText,
            context=self,
        )

    def set_aside(self) -> None:
        page_id = self.current
        if page_id is None:
            return
        ids = [r.page.id for r in self.page_model.rows]
        after = ids[ids.index(page_id) + 1] if ids.index(page_id) + 1 < len(ids) else None
        self.pages.pop(page_id, None)
        self.order = [i for i in self.order if i != page_id]
        self.status.setText("Page set aside (kept in the store; not filed).")
        run_in_background(
            delete_pages, self.session, [page_id], on_error=self.status.setText, context=self
        )
        self._regroup([[i for i in g if i != page_id] for g in self.groups], after)

    # -- filing ----------------------------------------------------------------------------------
    def file_current(self) -> None:
        n = self.group_of(self.current)
        if n < 0 or self.filing:
            return
        v = self.form.values()
        if not v["patient"]:
            self.form.error.setText(
                "Choose the patient first: type a name, DOB or MRN in the "
                "Patient field and pick the chart."
            )
            self.form.patient.setFocus()
            return
        # Blank is no date; a typed one is read in the clinic's order, any common form.
        doc_date = read_date(v["doc_date"], self.date_order)
        if doc_date is None and v["doc_date"].strip():
            self.form.error.setText("The date is not one the program can read; use YYYY-MM-DD.")
            self.form.doc_date.setFocus()
            return
        covers = [i for i in self.groups[n] if self.pages[i].cover]
        page_ids = [i for i in self.groups[n] if i not in covers]
        if not page_ids:
            self.form.error.setText(
                "This document is only a cover sheet: scan its pages, or "
                "set the sheet aside with Ctrl+Del."
            )
            return
        self.filing = True
        self.form.error.setText("")
        patient_id = v["patient"]["patient_id"]
        run_in_background(
            file_document,
            self.session,
            page_ids,
            patient_id,
            v["doc_type"],
            doc_date,
            author=v["author"],
            facility=v["facility"],
            set_aside=covers,  # separators stay in the store, not in the chart
            on_done=lambda doc_id: self._filed(doc_id, n, page_ids + covers, v, covers),
            on_error=self._file_failed,
            context=self,
        )

    def _filed(self, doc_id: int, n: int, page_ids: list[int], v: dict, covers: list[int]) -> None:
        self.filing = False
        for i in page_ids:
            self.pages.pop(i, None)
        self.order = [i for i in self.order if i in self.pages]
        for i in page_ids:
            self.fields.pop(str(i), None)
        rest = [g for g in self.groups if set(g) != set(page_ids)]
        nxt = rest[min(n, len(rest) - 1)][0] if rest else None
        filed = len(page_ids) - len(covers)
        filed_ids = [i for i in page_ids if i not in covers]
        self.last_filing = (doc_id, self.batch_id, filed_ids, v)
        self.bus.notify(
            Changes(
                patients=frozenset({v["patient"]["patient_id"]}),
                documents=frozenset({doc_id}),
                batches=frozenset({self.batch_id or 0}),
            )
        )
        self._regroup(rest, nxt)
        p = v["patient"]
        self._confirm(
            f"Filed {filed} page(s) to {p['name']}, DOB {p['dob']} (MRN {p['mrn']}). "
            "Wrong chart? Ctrl+Z puts the pages back in the batch."
        )
        self.focus_default()
        if not rest:
            self.refresh_batches()

    def _confirm(self, text: str) -> None:
        """The filing's confirmation, here and in the window's status bar."""
        self.filed_label.setText(text)
        self.undo_button.setVisible(self.last_filing is not None)
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 20_000)

    def undo_last_filing(self) -> None:
        """Ctrl+Z: the last filing's pages go back to their batch (a slip caught at once)."""
        if self.last_filing is None or self.filing:
            return
        doc_id, batch_id, page_ids, v = self.last_filing
        self.filing = True
        run_in_background(
            undo_filing, self.session, doc_id, context=self,
            on_done=lambda ids: self._unfiled(batch_id, list(ids), v),
            on_error=self._undo_failed,
        )  # fmt: skip

    def _unfiled(self, batch_id: int | None, page_ids: list[int], v: dict) -> None:
        self.filing = False
        self.last_filing = None
        self._confirm(
            f"Filing undone: {len(page_ids)} page(s) are back in the batch, ready to file again."
        )
        self.bus.notify(
            Changes(
                patients=frozenset({v["patient"]["patient_id"]}),
                batches=frozenset({batch_id or 0}),
            )
        )
        if batch_id is None or not page_ids:
            return
        if batch_id != self.batch_id:
            self.groups, self.fields = [], {}
        self.batch_id = batch_id
        groups = [page_ids, *(g for g in self.groups if not set(g) & set(page_ids))]
        fields = {**self.fields, str(page_ids[0]): v}  # the form as it was filed
        run_in_background(
            _load_batch, self.session, batch_id, context=self, on_error=self.status.setText,
            on_done=lambda res: self._back_in_batch(batch_id, res[0], groups, fields, page_ids),
        )  # fmt: skip

    def _back_in_batch(self, batch_id: int, pages: list[ScanPage], groups: list[list[int]],
                       fields: dict, page_ids: list[int]) -> None:  # fmt: skip
        if batch_id != self.batch_id:
            return
        self.current = None
        self._set_pages(pages, {"groups": groups, "fields": fields, "current": page_ids[0]})
        self._schedule_save()
        self.refresh_batches()
        self.focus_default()

    def _undo_failed(self, message: str) -> None:
        self.filing = False
        self.filed_label.setText(message)

    def _file_failed(self, message: str) -> None:
        self.filing = False
        self.form.error.setText(message)

    # -- work in progress ------------------------------------------------------------------------
    def _form_changed(self) -> None:
        n = self.group_of(self.current)
        if n >= 0:
            self.fields[str(self.groups[n][0])] = self.form.values()
            self._schedule_save()
        self._redraw()

    def _schedule_save(self) -> None:
        if self.batch_id is not None:
            self._save_timer.start()

    def _flush_state(self) -> None:
        if self._save_timer.isActive():
            self._save_timer.stop()
            self._save_state()

    def _save_state(self) -> None:
        if self.batch_id is None:
            return
        state = {"groups": self.groups, "fields": self.fields, "current": self.current}
        run_in_background(
            save_batch_state,
            self.session,
            self.batch_id,
            state,
            on_error=self.status.setText,
            context=self,
        )

    # -- reading pages in ----------------------------------------------------------------------
    def process(self, batch_id: int) -> None:
        self._start(process_batch, self.session, batch_id)

    def _start(self, fn, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if self.task is not None and not self.task.finished:
            self.status.setText("Still reading the previous pages; try again when it is done.")
            return
        self.progress.setValue(0)
        self.progress.setMaximum(0)
        self.progress.show()
        self.task = run_in_background(
            fn,
            *args,
            on_done=self._work_done,
            on_error=self._work_failed,
            on_progress=self._progress,
            long_running=True,  # never in the way of searches and page views
            **kwargs,
            context=self,
        )

    def _progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _refresh_after_progress(self) -> None:
        self.refresh_batches()
        if self.batch_id is not None:
            self.load_batch_quietly()

    def load_batch_quietly(self) -> None:
        """New pages arrived: add them without disturbing what the clerk is typing."""
        batch_id = self.batch_id
        if batch_id is None:
            return
        run_in_background(
            _load_batch,
            self.session,
            batch_id,
            on_done=lambda res: (
                batch_id == self.batch_id
                and self._set_pages(
                    res[0], {"groups": self.groups, "fields": self.fields, "current": self.current}
                )
            ),
            on_error=self.status.setText,
            context=self,
        )

    def _work_done(self, result: object) -> None:
        self.progress.hide()
        self.task = None
        if isinstance(result, IngestReport):
            failed = [f"{f.message}" for f in result.files if f.status != "stored"]
            self.status.setText(" ".join([result.summary(), *failed]))
            if result.batch_id is not None:
                self.batch_id = None  # show the new batch
                # Its first document comes up with the form ready: Enter files it.
                self._focus_when_loaded = result.batch_id
                self.load_batch(result.batch_id)
        self.refresh_batches(resume=True)

    def _work_failed(self, message: str) -> None:
        self.progress.hide()
        self.task = None
        self.status.setText(message)
        self.refresh_batches()

    def import_paths(
        self, paths: list[str], source: str = "import", remove: bool | None = None
    ) -> None:
        self._start(_import_and_process, self.session, paths, source, remove)

    def import_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Import scanned files",
            str(Path.home()),
            "Scans (*.pdf *.tif *.tiff *.jpg *.jpeg *.png);;All files (*)",
        )
        if paths:
            self.import_paths(paths)

    def scan_dialog(self) -> None:
        from clinicrecords.scan import sane

        self.status.setText("Looking for scanners…")
        run_in_background(
            sane.list_devices,
            on_done=self._choose_scanner,
            on_error=self.status.setText,
            context=self,
        )

    def _choose_scanner(self, devices: list) -> None:  # type: ignore[type-arg]
        if not devices:
            self.status.setText("No scanner found. Check it is on and connected, or import files.")
            return
        labels = [f"{d.label} ({d.name})" for d in devices]
        choice, ok = QInputDialog.getItem(self, "Scan", "Scanner:", labels, 0, False)
        if ok:
            self.status.setText("Scanning…")
            self._start(_scan_and_process, self.session, devices[labels.index(choice)].name)

    def watch_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder the scanner saves into")
        if folder:
            run_in_background(
                self._save_watch_folder, folder, on_error=self.status.setText, context=self
            )
            self.start_watching(folder)

    def _save_watch_folder(self, folder: str) -> None:
        settings.set_setting(self.session, WATCH_KEY, folder)  # audited

    def _start_watching_saved_folder(self) -> None:
        folder = settings.get_setting(self.session, WATCH_KEY)
        if folder and Path(folder).is_dir():
            self.start_watching(folder)

    def start_watching(self, folder: str) -> None:
        from clinicrecords.scan.watch import FolderWatcher

        self.stop_watching()
        self.watcher = FolderWatcher(folder, lambda p: self.watched_file.emit(str(p)))
        self.watcher.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop_watching)
        self.watch_button.setText(f"Watching: {Path(folder).name}")

    def stop_watching(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def _import_watched(self, path: str) -> None:
        run_in_background(
            _import_and_process,
            self.session,
            [path],
            "folder",
            None,
            on_done=lambda r: self.refresh_batches(),
            on_error=self.status.setText,
            long_running=True,
            context=self,
        )

    def _on_changes(self, changes: Changes) -> None:
        if changes.batches and self.batch_id not in changes.batches:
            self.refresh_batches()

    def hideEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        self._flush_state()
        super().hideEvent(event)
