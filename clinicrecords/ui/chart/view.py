"""One open chart: the two identifiers up top, documents by type and date, thumbnails, the
page viewer, search inside the chart's text, release history and merges.

Keys: Esc back to the search box (the owner does it); Enter on a document or thumbnail moves
to the page; Ctrl+PageDown / Ctrl+PageUp next / previous page from anywhere in the chart;
Ctrl+Shift+F the chart's text search; Ctrl+M merge another chart into this one; the
"Holds && amendments" tab's keys are in ``lifecycle.py``.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QKeySequence,
    QPainter,
    QPixmap,
    QShortcut,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.changes import Changes
from clinicrecords.common.domain import PageRef
from clinicrecords.records import charts
from clinicrecords.registry import merge
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.chart import corrections
from clinicrecords.ui.chart.page_viewer import PageViewer
from clinicrecords.ui.chart.previous_names import AlsoKnownAsDialog, aka_text
from clinicrecords.ui.models import RowsModel
from clinicrecords.ui.plaintext import plain_label, plain_tooltip
from clinicrecords.ui.style import tone, tone_qcolor
from clinicrecords.ui.tables import read_only_table
from clinicrecords.ui.workers import run_in_background

DOC_ROLE = Qt.UserRole + 1


def age_on(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _when(d: date | None) -> str:
    return d.strftime("%m/%d/%Y") if d else "no date"


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


class ThumbnailModel(QAbstractListModel):
    """The pages of the shown document; thumbnails arrive from workers as they are made."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.pages: list[PageRef] = []
        self.restricted = False
        self.pixmaps: dict[int, QPixmap] = {}
        self._generation = 0
        self.placeholder = self._placeholder("…")
        self.locked = self._placeholder("Restricted")
        # A page whose image is gone (damaged, or not restored from a damaged backup) stays in
        # the chart; its thumbnail says so and the viewer shows why.
        self.unavailable = self._placeholder("Unavailable")

    @staticmethod
    def _placeholder(text: str) -> QPixmap:
        pm = QPixmap(charts.THUMB_PX * 3 // 4, charts.THUMB_PX)
        # Under high contrast tone_qcolor gives None: the theme's own base and text colours.
        palette = QApplication.palette()
        fill = tone_qcolor("message_bg" if text == "…" else "restricted_bg")
        pen = tone_qcolor("muted" if text == "…" else "restricted_fg")
        pm.fill(fill if fill is not None else palette.base().color())
        p = QPainter(pm)
        p.setPen(pen if pen is not None else palette.text().color())
        p.drawRect(0, 0, pm.width() - 1, pm.height() - 1)
        p.drawText(pm.rect(), Qt.AlignCenter, text)
        p.end()
        return pm

    def set_pages(self, pages: list[PageRef], restricted: bool) -> None:
        self.beginResetModel()
        self.pages, self.restricted = list(pages), restricted
        self._generation += 1
        self.endResetModel()
        if restricted:
            return
        generation = self._generation
        for row, page in enumerate(self.pages):
            if page.id not in self.pixmaps:
                run_in_background(
                    charts.thumbnail,
                    self.session,
                    page.id,
                    context=self,
                    on_done=lambda data, r=row, pid=page.id: self._arrived(
                        generation, r, pid, data
                    ),
                    on_error=lambda _message, r=row, pid=page.id: self._arrived(
                        generation, r, pid, None
                    ),
                )

    def _arrived(self, generation: int, row: int, page_id: int, data: bytes | None) -> None:
        if data is None:
            pm = self.unavailable
        else:
            pm = QPixmap()
            pm.loadFromData(data, "PNG")
        self.pixmaps[page_id] = pm
        if generation == self._generation:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx, [Qt.DecorationRole])

    def thumbnails_ready(self) -> bool:
        return self.restricted or all(p.id in self.pixmaps for p in self.pages)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.pages)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid():
            return None
        page = self.pages[index.row()]
        if role == Qt.DisplayRole:
            return f"Page {index.row() + 1}"
        if role == Qt.DecorationRole:
            if self.restricted:
                return self.locked
            return self.pixmaps.get(page.id, self.placeholder)
        if role == Qt.ToolTipRole:
            return (
                "Restricted: emergency access needed"
                if self.restricted
                else f"Page {index.row() + 1}"
            )
        if role == Qt.UserRole:
            return page
        return None


class ChartView(QWidget):
    back_requested = Signal()
    merge_requested = Signal(int)  # survivor patient id
    chart_loaded = Signal(int)
    cover_sheets_printed = Signal(int)  # pages sent to the printer

    def __init__(self, session: Session, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.bus = bus
        self.chart: charts.ChartView | None = None
        self.setObjectName("chartView")
        self.flat: list[charts.ChartDocument] = []
        self.current_doc: charts.ChartDocument | None = None

        # --- header: the two identifiers, big --------------------------------------------
        self.name_label = plain_label()
        self.name_label.setObjectName("chartHeader")
        self.name_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.details_label = plain_label()
        self.details_label.setObjectName("chartDetails")
        self.details_label.setWordWrap(True)
        big = QFont(self.font())
        big.setPointSizeF(self.font().pointSizeF() * 1.45)
        big.setBold(True)
        self.name_label.setFont(big)  # the app's stylesheet may size #chartHeader instead
        self.back_button = QPushButton("◀ Search (Esc)")
        self.back_button.setObjectName("backToSearchButton")
        self.back_button.clicked.connect(self.back_requested.emit)
        self.merge_button = QPushButton("Merge a duplicate into this chart… (Ctrl+M)")
        self.merge_button.setObjectName("mergeButton")
        self.merge_button.clicked.connect(self._merge)
        self.merge_button.setVisible(session.can("patient.merge"))
        self.sheet_button = QPushButton("Cover sheets… (Ctrl+Shift+P)")
        self.sheet_button.setObjectName("coverSheetButton")
        self.sheet_button.setToolTip("Print barcode separator sheets for this chart's paper")
        self.sheet_button.clicked.connect(self.print_cover_sheets)
        self.aka_button = QPushButton("Also known as… (Ctrl+Shift+K)")
        self.aka_button.setObjectName("alsoKnownAsButton")
        self.aka_button.setAccessibleName("Also known as: the chart's previous names")
        self.aka_button.setToolTip("Maiden names, previous legal names, aliases of this chart")
        self.aka_button.clicked.connect(self.edit_also_known_as)
        self.aka_button.setVisible(session.can("patient.edit"))
        ids = QHBoxLayout()
        ids.addWidget(self.name_label, 1)
        ids.addWidget(self.aka_button)
        ids.addWidget(self.sheet_button)
        ids.addWidget(self.merge_button)
        ids.addWidget(self.back_button)
        header = QFrame()
        header.setObjectName("chartHeaderBar")
        header.setStyleSheet(
            f"QFrame#chartHeaderBar {{ background: {tone('header_bg')}; "
            f"border-bottom: 1px solid {tone('header_border')}; }}"
        )
        hl = QVBoxLayout(header)
        hl.setContentsMargins(12, 6, 12, 6)
        hl.setSpacing(2)
        hl.addLayout(ids)
        hl.addWidget(self.details_label)

        # --- documents by type and date ---------------------------------------------------
        self.doc_model = QStandardItemModel(self)
        self.doc_model.setHorizontalHeaderLabels(["Document", "Pages"])
        self.doc_tree = QTreeView()
        self.doc_tree.setObjectName("documentTree")
        self.doc_tree.setModel(self.doc_model)
        self.doc_tree.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.doc_tree.setUniformRowHeights(True)
        # A narrow column cuts the middle of a long type name, never the "— sensitive" that
        # ends it (the word, not a colour, is what marks sensitive records).
        self.doc_tree.setTextElideMode(Qt.ElideMiddle)
        self.doc_tree.header().setStretchLastSection(False)
        self.doc_tree.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.doc_tree.header().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.doc_tree.selectionModel().currentChanged.connect(self._doc_current_changed)
        self.doc_tree.activated.connect(lambda _i: self.viewer.setFocus())
        self.doc_label = QLabel("&Documents")
        self.doc_label.setBuddy(self.doc_tree)

        # --- find in the chart's text -------------------------------------------------------
        self.text_box = QLineEdit()
        self.text_box.setObjectName("chartTextSearch")
        self.text_box.setPlaceholderText("Words in the chart's text, then Enter (Ctrl+Shift+F)")
        self.text_box.setClearButtonEnabled(True)
        self.text_box.returnPressed.connect(self._search_text)
        self.text_status = plain_label()
        self.text_status.setObjectName("chartTextStatus")
        self.text_model: RowsModel[charts.TextHit] = RowsModel(
            [
                ("Found", lambda h: h.snippet),
                (
                    "Where",
                    lambda h: f"{self._doc_caption(h.document_id)}, p. {self._page_number(h)}",
                ),
            ]
        )
        self.text_table = read_only_table("chartTextResults", self.text_model, stretch=0)
        self.text_table.setWordWrap(True)
        self.text_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.text_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Interactive)
        self.text_table.setColumnWidth(1, 130)
        self.text_table.activated.connect(lambda i: self._open_hit(i.row()))
        text_tab = QWidget()
        tl = QVBoxLayout(text_tab)
        tl.setContentsMargins(4, 4, 4, 4)
        tl.addWidget(self.text_box)
        tl.addWidget(self.text_status)
        tl.addWidget(self.text_table, 1)

        # --- release history ------------------------------------------------------------------
        self.release_model: RowsModel[charts.ReleaseEntry] = RowsModel(
            [
                ("Request", lambda e: e.code),
                ("Received", lambda e: _when(e.received_on)),
                ("Requester", lambda e: e.requester),
                ("Status", lambda e: e.status.replace("_", " ")),
                ("Sent", lambda e: (e.sent_at or "")[:10]),
                ("Pages", lambda e: e.pages_out or ""),
            ]
        )
        self.release_table = read_only_table("releaseHistory", self.release_model, stretch=2)
        self.release_note = plain_label()
        self.release_note.setObjectName("releaseNote")
        self.release_note.setWordWrap(True)
        rel_tab = QWidget()
        rl = QVBoxLayout(rel_tab)
        rl.setContentsMargins(4, 4, 4, 4)
        rl.addWidget(self.release_note)
        rl.addWidget(self.release_table, 1)

        # --- merges ---------------------------------------------------------------------------
        self.merge_model: RowsModel[merge.MergeRecord] = RowsModel(
            [
                ("When", lambda m: m.merged_at[:10]),
                ("Merged MRN", lambda m: m.merged_mrn),
                ("Into MRN", lambda m: m.survivor_mrn),
                ("By", lambda m: m.merged_by),
                ("Why", lambda m: m.reason),
                ("Undone", lambda m: f"{(m.undone_at or '')[:10]} {m.undone_by or ''}".strip()),
            ]
        )
        self.merge_table = read_only_table("mergeHistory", self.merge_model, stretch=4)
        self.unmerge_reason = QLineEdit()
        self.unmerge_reason.setObjectName("unmergeReason")
        self.unmerge_reason.setPlaceholderText("Why the merge is undone")
        self.unmerge_button = QPushButton("Undo selected merge")
        self.unmerge_button.setObjectName("unmergeButton")
        self.unmerge_button.clicked.connect(self._unmerge)
        self.merge_status = plain_label()
        self.merge_status.setObjectName("mergeStatus")
        self.merge_status.setWordWrap(True)
        merge_tab = QWidget()
        ml = QVBoxLayout(merge_tab)
        ml.setContentsMargins(4, 4, 4, 4)
        ml.addWidget(self.merge_table, 1)
        if session.can("patient.unmerge"):
            row = QHBoxLayout()
            row.addWidget(self.unmerge_reason, 1)
            row.addWidget(self.unmerge_button)
            ml.addLayout(row)
        else:
            self.unmerge_reason.hide()
            self.unmerge_button.hide()
        ml.addWidget(self.merge_status)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("chartTabs")
        self.tabs.addTab(text_tab, "Find in text")
        self.tabs.addTab(rel_tab, "Releases")
        self.tabs.addTab(merge_tab, "Merges")
        from clinicrecords.ui.chart.lifecycle import LifecyclePanel

        self.lifecycle = LifecyclePanel(session, bus, self)
        self.tabs.addTab(self.lifecycle, "Holds && amendments")

        left = QSplitter(Qt.Vertical)
        left.setObjectName("chartLeft")
        docs_box = QWidget()
        dl = QVBoxLayout(docs_box)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.doc_label)
        dl.addWidget(self.doc_tree)
        left.addWidget(docs_box)
        left.addWidget(self.tabs)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)

        # --- thumbnails and the page viewer ---------------------------------------------------
        self.thumb_model = ThumbnailModel(session, self)
        self.thumbs = QListView()
        self.thumbs.setObjectName("thumbnailStrip")
        self.thumbs.setModel(self.thumb_model)
        self.thumbs.setViewMode(QListView.IconMode)
        self.thumbs.setFlow(QListView.TopToBottom)
        self.thumbs.setWrapping(False)
        self.thumbs.setMovement(QListView.Static)
        self.thumbs.setResizeMode(QListView.Adjust)
        self.thumbs.setIconSize(QSize(charts.THUMB_PX * 3 // 4, charts.THUMB_PX))
        self.thumbs.setSpacing(6)
        self.thumbs.setUniformItemSizes(True)
        self.thumbs.setFixedWidth(charts.THUMB_PX * 3 // 4 + 44)
        self.thumbs.selectionModel().currentChanged.connect(
            lambda cur, _prev: (
                cur.isValid()
                and self.viewer.index != cur.row()
                and self.viewer.show_page(cur.row())
            )
        )
        self.thumbs.activated.connect(lambda _i: self.viewer.setFocus())

        self.viewer = PageViewer(session)
        self.viewer.page_changed.connect(self._page_changed)
        self.viewer.wants_neighbour.connect(self._neighbour_document)

        body = QSplitter(Qt.Horizontal)
        body.setObjectName("chartBody")
        body.addWidget(left)
        body.addWidget(self.thumbs)
        body.addWidget(self.viewer)
        body.setStretchFactor(0, 0)
        body.setStretchFactor(2, 1)
        body.setSizes([420, self.thumbs.width(), 860])
        body.setCollapsible(2, False)
        self.body = body

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(header)
        layout.addWidget(body, 1)
        self.setTabOrder(self.doc_tree, self.thumbs)
        self.setTabOrder(self.thumbs, self.viewer.view)
        self.setTabOrder(self.viewer.view, self.text_box)
        self.setTabOrder(self.text_box, self.text_table)

        for keys, slot in (
            ("Ctrl+PgDown", lambda: self.viewer.next_page()),
            ("Ctrl+PgUp", lambda: self.viewer.previous_page()),
            ("Ctrl+Shift+F", self.focus_text_search),
            ("Ctrl+M", self._merge),
            ("Ctrl+Shift+P", self.print_cover_sheets),
            ("Ctrl+Shift+K", self.edit_also_known_as),
            ("Alt+D", lambda: self.doc_tree.setFocus()),
        ):
            sc = QShortcut(QKeySequence(keys), self)
            sc.setContext(Qt.WidgetWithChildrenShortcut)
            sc.activated.connect(slot)
        bus.changed.connect(self._on_changes)
        # move / edit / void (and an administrator's history and undo): ui/chart/corrections.py
        self.corrections = corrections.install(self)

    # --- loading ---------------------------------------------------------------------------

    def load(self, chart: charts.ChartView) -> None:
        """Show a chart; a reload of the same chart keeps the document shown where it can."""
        same = self.chart is not None and self.chart.patient.id == chart.patient.id
        keep_doc = self.current_doc.id if same and self.current_doc is not None else None
        self.chart = chart
        self.current_doc = None
        p = chart.patient
        # The two identifiers every look at a chart checks, side by side and equally large.
        self.name_label.setText(
            f"{p.display_name}     DOB {p.dob.strftime('%m/%d/%Y')}  (age {age_on(p.dob, date.today())})"
        )
        parts = [f"Sex {p.sex}", f"MRN {p.mrn}"]
        if p.phone:
            parts.append(f"Phone {p.phone}")
        addr = ", ".join(
            x for x in (p.address, p.city, " ".join(y for y in (p.state, p.zip) if y)) if x
        )
        if addr:
            parts.append(addr)
        if p.aliases:
            parts.append("Former MRN(s) " + ", ".join(p.aliases))
        if p.previous_names:
            parts.append("Also known as " + aka_text(p))
        parts.append(f"{len(chart.documents)} document(s), {chart.page_count} page(s)")
        note = ""
        if chart.opened_as:
            note = "  —  the chart you chose was merged into this one"
        self.details_label.setText("   ·   ".join(parts) + note)

        self.flat = chart.documents
        self.doc_model.removeRows(0, self.doc_model.rowCount())
        first_doc_index = None
        for g in chart.groups:
            label = f"{g.label}  ({len(g.documents)})" + ("  — sensitive" if g.sensitive else "")
            group_item = QStandardItem(label)
            group_item.setSelectable(False)
            f = group_item.font()
            f.setBold(True)
            group_item.setFont(f)
            count_item = QStandardItem(str(sum(len(d.pages) for d in g.documents)))
            count_item.setSelectable(False)
            count_item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            for d in g.documents:
                text = _when(d.document.doc_date)
                extra = d.document.facility or d.document.title
                if extra and _squash(extra) not in _squash(g.label):
                    text += f"  {extra}"
                if d.restricted:
                    text += "  [restricted]"
                if d.destroyed:
                    text += "  [destroyed]"
                item = QStandardItem(text)
                item.setData(d.id, DOC_ROLE)
                item.setToolTip(
                    plain_tooltip(
                        " · ".join(
                            x
                            for x in (d.document.title, d.document.author, d.document.facility)
                            if x
                        )
                    )
                )
                pages = QStandardItem(str(len(d.pages)))
                pages.setData(d.id, DOC_ROLE)
                pages.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                group_item.appendRow([item, pages])
            self.doc_model.appendRow([group_item, count_item])
        self.doc_tree.expandAll()
        if self.doc_model.rowCount():
            first_doc_index = self.doc_model.index(0, 0, self.doc_model.index(0, 0))
        if not same:
            self.text_model.set_rows([])
            self.text_status.setText("")
            self.text_box.clear()
            self.merge_status.setText("")
        self.release_model.set_rows(chart.releases)
        self.release_note.setText("" if chart.releases else chart.release_note)
        self.release_table.setVisible(bool(chart.releases))
        self._load_merges()
        self.lifecycle.set_chart(p.id)
        kept = self._doc_item(keep_doc) if keep_doc is not None else None
        if kept is not None:
            first_doc_index = kept
        if first_doc_index is not None:
            self.doc_tree.setCurrentIndex(first_doc_index)
        else:
            self.current_doc = None
            self.thumb_model.set_pages([], False)
            self.viewer.clear("This chart has no documents yet.")
        if not same:
            self.doc_tree.setFocus()
        self.chart_loaded.emit(p.id)

    def _load_merges(self) -> None:
        if self.chart is None:
            return
        run_in_background(
            merge.merge_history,
            self.session,
            self.chart.patient.id,
            context=self,
            on_done=self.merge_model.set_rows,
            on_error=self.merge_status.setText,
        )

    def reload(self) -> None:
        if self.chart is None:
            return
        from clinicrecords.records.charts import open_chart

        run_in_background(
            open_chart,
            self.session,
            self.chart.patient.id,
            context=self,
            on_done=self.load,
            on_error=self.merge_status.setText,
        )

    def _on_changes(self, changes: Changes) -> None:
        if self.chart is None or not self.isVisible():
            return
        ours = {self.chart.patient.id, *(p.id for p in self.chart.merged_from)}
        if changes.patients & ours or changes.documents & {d.id for d in self.flat}:
            self.reload()

    # --- documents and pages -------------------------------------------------------------

    def _doc(self, doc_id: int) -> charts.ChartDocument | None:
        return next((d for d in self.flat if d.id == doc_id), None)

    def _doc_caption(self, doc_id: int) -> str:
        d = self._doc(doc_id)
        return f"{d.type_label} {_when(d.document.doc_date)}" if d else ""

    def _page_number(self, hit: charts.TextHit) -> str:
        d = self._doc(hit.document_id)
        if d is None:
            return ""
        return next((str(i + 1) for i, p in enumerate(d.pages) if p.id == hit.page_id), "")

    def _doc_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        doc_id = current.data(DOC_ROLE)
        if doc_id is None:
            return
        d = self._doc(int(doc_id))
        if d is not None and d is not self.current_doc:
            self.show_document(d, 0)

    def show_document(self, d: charts.ChartDocument, page_index: int = 0) -> None:
        self.current_doc = d
        self.thumb_model.set_pages(list(d.pages), d.restricted)
        caption = f"{d.type_label}, {_when(d.document.doc_date)}"
        self.viewer.set_pages(list(d.pages), d.restricted, caption, page_index)
        self.lifecycle.document_id = d.id
        if d.destroyed:  # a tombstone: say what happened instead of showing no pages
            self.viewer.clear(f"{caption}: {d.destroyed}.")
        item = self._doc_item(d.id)
        if item is not None and self.doc_tree.currentIndex() != item:
            self.doc_tree.setCurrentIndex(item)

    def _doc_item(self, doc_id: int) -> QModelIndex | None:
        for g in range(self.doc_model.rowCount()):
            parent = self.doc_model.index(g, 0)
            for r in range(self.doc_model.rowCount(parent)):
                idx = self.doc_model.index(r, 0, parent)
                if idx.data(DOC_ROLE) == doc_id:
                    return idx
        return None

    def _page_changed(self, index: int) -> None:
        idx = self.thumb_model.index(index)
        if self.thumbs.currentIndex() != idx:
            self.thumbs.setCurrentIndex(idx)
        self.thumbs.scrollTo(idx)

    def _neighbour_document(self, step: int) -> None:
        if self.current_doc is None or not self.flat:
            return
        i = self.flat.index(self.current_doc) + step
        if 0 <= i < len(self.flat):
            self.show_document(self.flat[i], 0 if step > 0 else -1)

    # --- text search -----------------------------------------------------------------------

    def focus_text_search(self) -> None:
        self.tabs.setCurrentIndex(0)
        self.text_box.setFocus(Qt.ShortcutFocusReason)
        self.text_box.selectAll()

    def _search_text(self) -> None:
        if self.chart is None or not self.text_box.text().strip():
            return
        self.text_status.setText("Searching…")
        run_in_background(
            charts.search_chart_text,
            self.session,
            self.chart.patient.id,
            self.text_box.text(),
            context=self,
            on_done=self._text_results,
            on_error=self.text_status.setText,
        )

    def _text_results(self, hits: list[charts.TextHit]) -> None:
        self.text_model.set_rows(hits)
        self.text_status.setText(
            f"{len(hits)} page(s) found. Down arrow, then Enter to open."
            if hits
            else "No page of this chart has those words."
        )
        if hits:
            self.text_table.selectRow(0)

    def _open_hit(self, row: int) -> None:
        hit = self.text_model.row_object(row)
        d = self._doc(hit.document_id) if hit else None
        if hit is None or d is None:
            return
        index = next((i for i, p in enumerate(d.pages) if p.id == hit.page_id), 0)
        if d is self.current_doc:
            self.viewer.show_page(index)
        else:
            self.show_document(d, index)
        self.viewer.setFocus()

    # --- merges ----------------------------------------------------------------------------

    # --- cover sheets ----------------------------------------------------------------------

    def ask_cover_sheet_type(self) -> str | None:
        """Which document type the sheet announces (a hook tests replace)."""
        from PySide6.QtWidgets import QInputDialog

        types = self.session_doc_types()
        labels = [label for _, label in types]
        label, ok = QInputDialog.getItem(
            self, "Cover sheet", "The paper that follows the sheet is a:", labels, 0, False
        )
        return dict((lab, code) for code, lab in types).get(label) if ok else None

    def session_doc_types(self) -> list[tuple[str, str]]:
        from clinicrecords.common.taxonomy import DEFAULT_DOC_TYPES

        return [(t.code, t.label) for t in DEFAULT_DOC_TYPES]

    def ask_printer(self):  # type: ignore[no-untyped-def]
        """The Qt print dialog (a hook tests replace with a ready QPrinter)."""
        from clinicrecords.ui.printing import ask_printer

        return ask_printer(self, "Print cover sheets")

    def print_cover_sheets(self) -> None:
        """Build a sheet (worker), ask for the printer, print (worker)."""
        from clinicrecords.records.coversheets import cover_sheets_pdf
        from clinicrecords.ui.printing import render_pdf_to_printer

        if self.chart is None:
            return
        code = self.ask_cover_sheet_type()
        if code is None:
            return

        def built(data: bytes) -> None:
            printer = self.ask_printer()
            if printer is None:
                return
            self._sheet_printer = printer  # alive while the worker paints on it
            run_in_background(
                render_pdf_to_printer, data, printer, context=self,
                on_done=lambda n: self.cover_sheets_printed.emit(n),
                on_error=self.details_label.setText,
            )  # fmt: skip

        run_in_background(
            cover_sheets_pdf, self.session, self.chart.patient.id, [code], context=self,
            on_done=built, on_error=self.details_label.setText,
        )  # fmt: skip

    def edit_also_known_as(self) -> None:
        """The chart's previous names (maiden, previous legal, alias): add, remove, save."""
        if self.chart is None or not self.session.can("patient.edit"):
            return
        dialog = AlsoKnownAsDialog(self.session, self.chart.patient, self)
        if dialog.exec() and dialog.saved is not None:
            self.bus.notify(Changes.patient(dialog.saved.id))

    def _merge(self) -> None:
        if self.chart is not None and self.session.can("patient.merge"):
            self.merge_requested.emit(self.chart.patient.id)

    def _unmerge(self) -> None:
        record = self.merge_model.row_object(self.merge_table.currentIndex().row())
        if record is None:
            self.merge_status.setText("Choose the merge to undo in the list first.")
            return
        if record.undone:
            self.merge_status.setText("That merge was already undone.")
            return

        def done(result: merge.MergeResult) -> None:
            self.merge_status.setText(
                f"Merge undone: {result.documents_moved} document(s) went back to MRN "
                f"{result.merged.mrn}."
            )
            self.unmerge_reason.clear()
            self.bus.notify(Changes.patient(result.survivor.id, result.merged.id))

        run_in_background(
            merge.unmerge,
            self.session,
            record.id,
            self.unmerge_reason.text(),
            context=self,
            on_done=done,
            on_error=self.merge_status.setText,
        )
