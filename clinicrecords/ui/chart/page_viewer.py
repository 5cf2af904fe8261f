"""The page viewer: one page at a time, zoom, rotate, fit width / fit page, keyboard first.

Keys (while the viewer has focus): PageDown / Space / Right next page, PageUp / Backspace /
Left previous, Home / End first / last, + / - zoom, W fit width, F fit page, R rotate right,
Shift+R rotate left. Rotation is for viewing only; the stored page is not changed.

The image is fetched and decoded off the UI thread (``charts.page_image`` audits the view);
a restricted (sensitive) page is never fetched: a placeholder says why.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import PageRef
from clinicrecords.records import charts
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import run_in_background

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.1, 8.0
RESTRICTED_TEXT = (
    "Restricted — emergency access needed.\n\n"
    "This document is in a sensitive category your role cannot open. If you must read it "
    "now, use File ▸ Emergency access…, then open the chart again. Every step is recorded."
)


def load_page_image(session: Session, page_id: int) -> QImage:
    """Runs on a worker: fetch (audited) and decode; QImage is safe off the UI thread."""
    image = QImage.fromData(charts.page_image(session, page_id))
    if image.isNull():
        from clinicrecords.common.errors import BadInput

        raise BadInput("This page image cannot be shown.")
    return image


class _PageView(QGraphicsView):
    key_action = Signal(str)

    KEYS = {
        Qt.Key_PageDown: "next",
        Qt.Key_Space: "next",
        Qt.Key_Right: "next",
        Qt.Key_PageUp: "previous",
        Qt.Key_Backspace: "previous",
        Qt.Key_Left: "previous",
        Qt.Key_Home: "first",
        Qt.Key_End: "last",
        Qt.Key_Plus: "zoom_in",
        Qt.Key_Equal: "zoom_in",
        Qt.Key_Minus: "zoom_out",
        Qt.Key_W: "fit_width",
        Qt.Key_F: "fit_page",
    }

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        mods = event.modifiers() & ~Qt.KeypadModifier
        if event.key() == Qt.Key_R and mods in (Qt.NoModifier, Qt.ShiftModifier):
            self.key_action.emit("rotate_left" if mods & Qt.ShiftModifier else "rotate_right")
            return
        action = self.KEYS.get(Qt.Key(event.key()))
        if action and mods in (Qt.NoModifier, Qt.ShiftModifier):
            self.key_action.emit(action)
            return
        super().keyPressEvent(event)


class PageViewer(QWidget):
    """Shows pages of one document; asks its owner for the next document at either end."""

    page_changed = Signal(int)  # index in the current list
    wants_neighbour = Signal(int)  # +1 / -1: the end of this document was passed

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("pageViewer")
        self.pages: list[PageRef] = []
        self.index = -1
        self.restricted = False
        self.caption_prefix = ""
        self.zoom = 1.0
        self.rotation = 0
        self.fit_mode: str | None = "width"
        self._generation = 0
        self.loaded_page_id: int | None = None

        self.scene = QGraphicsScene(self)
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.SmoothTransformation)
        self.scene.addItem(self.item)
        self.view = _PageView(self.scene)
        self.view.setObjectName("pageView")
        self.view.setRenderHint(QPainter.SmoothPixmapTransform)
        self.view.setFrameShape(QFrame.NoFrame)
        self.view.setStyleSheet(f"background: {tone('page_bg')};")
        self.view.setFocusPolicy(Qt.StrongFocus)
        self.view.key_action.connect(self.do)

        # Messages (no document, restricted, failed) lie over the view, so the view keeps the
        # keyboard focus and PageDown still moves on past a restricted document.
        self.message = plain_label("Choose a document to see its pages.", self.view)
        self.message.setObjectName("pageMessage")
        self.message.setAlignment(Qt.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(32)
        self.message.setStyleSheet(
            f"QLabel#pageMessage {{ background: {tone('message_bg')}; color: {tone('message_fg')}; }}"
            f'QLabel#pageMessage[restricted="true"] {{ background: {tone("restricted_bg")}; '
            f"color: {tone('restricted_fg')}; font-weight: bold; "
            f"border: 3px solid {tone('restricted_border')}; }}"
        )
        self.message.setProperty("restricted", False)

        self.caption = plain_label()
        self.caption.setObjectName("pageCaption")
        self.zoom_label = QLabel("")
        self.zoom_label.setObjectName("zoomLabel")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for name, text, tip, action in (
            ("prevPageButton", "◀", "Previous page (PageUp)", "previous"),
            ("nextPageButton", "▶", "Next page (PageDown)", "next"),
            ("zoomOutButton", "−", "Zoom out (-)", "zoom_out"),
            ("zoomInButton", "+", "Zoom in (+)", "zoom_in"),
            ("fitWidthButton", "Fit width", "Fit the page width (W)", "fit_width"),
            ("fitPageButton", "Fit page", "Show the whole page (F)", "fit_page"),
            ("rotateButton", "Rotate ⟳", "Rotate right (R); Shift+R rotates left", "rotate_right"),
        ):
            b = QToolButton()
            b.setObjectName(name)
            b.setText(text)
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.NoFocus)  # the keys do the same; Tab stays on the page
            b.clicked.connect(lambda _=False, a=action: self.do(a))
            bar.addWidget(b)
        bar.addSpacing(12)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.zoom_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        self.setFocusProxy(self.view)

    # --- content -----------------------------------------------------------------------

    def set_pages(
        self, pages: list[PageRef], restricted: bool, caption: str = "", index: int = 0
    ) -> None:
        self.pages = list(pages)
        self.restricted = restricted
        self.caption_prefix = caption
        self.rotation = 0
        self.fit_mode = "width"
        if not self.pages:
            self.index = -1
            self._show_message("This document has no pages.")
            return
        self.show_page(
            max(0, min(index, len(self.pages) - 1)) if index >= 0 else len(self.pages) - 1
        )

    def clear(self, text: str = "Choose a document to see its pages.") -> None:
        self.pages, self.index = [], -1
        self._generation += 1
        self._show_message(text)

    def show_page(self, index: int) -> None:
        if not (0 <= index < len(self.pages)):
            return
        self.index = index
        page = self.pages[index]
        self._update_caption()
        self.page_changed.emit(index)
        self._generation += 1
        if self.restricted:
            self.loaded_page_id = None
            self.item.setPixmap(QPixmap())
            self.scene.setSceneRect(QRectF(0, 0, 1, 1))
            self._show_message(RESTRICTED_TEXT, restricted=True)
            return
        generation = self._generation
        self.rotation = page.rotation
        self.loaded_page_id = None
        self.caption.setText(self.caption.text() + "  (loading…)")
        run_in_background(
            load_page_image,
            self.session,
            page.id,
            context=self,
            on_done=lambda img: self._loaded(generation, page.id, img),
            on_error=lambda msg: self._failed(generation, msg),
        )

    def _loaded(self, generation: int, page_id: int, image: QImage) -> None:
        if generation != self._generation:
            return
        self.item.setPixmap(QPixmap.fromImage(image))
        self.scene.setSceneRect(QRectF(self.item.boundingRect()))
        self.loaded_page_id = page_id
        self.message.hide()
        self._update_caption()
        self._apply()

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self._show_message(message)

    def _show_message(self, text: str, restricted: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("restricted", restricted)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setGeometry(self.view.rect())
        self.message.show()
        self.message.raise_()
        self._update_caption()

    @property
    def showing_message(self) -> bool:
        return not self.message.isHidden()

    def _update_caption(self) -> None:
        if self.index < 0:
            self.caption.setText("")
            self.zoom_label.setText("")
            return
        self.caption.setText(
            f"{self.caption_prefix}  ·  page {self.index + 1} of {len(self.pages)}".strip(" ·")
        )
        self.zoom_label.setText(
            ""
            if self.restricted or self.loaded_page_id is None
            else f"{round(self._scale() * 100)}%"
        )

    # --- actions -----------------------------------------------------------------------

    def do(self, action: str) -> None:
        if action == "next":
            self.next_page()
        elif action == "previous":
            self.previous_page()
        elif action == "first":
            self.show_page(0)
        elif action == "last":
            self.show_page(len(self.pages) - 1)
        elif action == "zoom_in":
            self.set_zoom(self._scale() * ZOOM_STEP)
        elif action == "zoom_out":
            self.set_zoom(self._scale() / ZOOM_STEP)
        elif action in ("fit_width", "fit_page"):
            self.fit_mode = action[4:]
            self._apply()
        elif action == "rotate_right":
            self.rotation = (self.rotation + 90) % 360
            self._apply()
        elif action == "rotate_left":
            self.rotation = (self.rotation - 90) % 360
            self._apply()

    def next_page(self) -> None:
        if self.index + 1 < len(self.pages):
            self.show_page(self.index + 1)
        else:
            self.wants_neighbour.emit(1)

    def previous_page(self) -> None:
        if self.index > 0:
            self.show_page(self.index - 1)
        else:
            self.wants_neighbour.emit(-1)

    def set_zoom(self, zoom: float) -> None:
        self.fit_mode = None
        self.zoom = max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        self._apply()

    def _rotated_size(self) -> tuple[float, float]:
        rect = self.item.boundingRect()
        w, h = rect.width(), rect.height()
        return (h, w) if self.rotation in (90, 270) else (w, h)

    def _scale(self) -> float:
        w, h = self._rotated_size()
        if not w or not h:
            return self.zoom
        port = self.view.viewport().size()
        avail_w = max(50, port.width() - 24)
        avail_h = max(50, port.height() - 24)
        if self.fit_mode == "width":
            return avail_w / w
        if self.fit_mode == "page":
            return min(avail_w / w, avail_h / h)
        return self.zoom

    def _apply(self) -> None:
        scale = self._scale()
        self.zoom = scale
        self.view.setTransform(QTransform().rotate(self.rotation).scale(scale, scale))
        self.view.centerOn(self.item.boundingRect().center().x(), 0)
        if self.fit_mode:
            self.view.verticalScrollBar().setValue(self.view.verticalScrollBar().minimum())
        self._update_caption()

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().resizeEvent(event)
        self.message.setGeometry(self.view.rect())
        if self.fit_mode:
            self._apply()
