"""The packet panel: build the packet PDF (off the UI thread), look at its pages, save, print.

Preview builds the packet in memory (never as an unencrypted file in the data folder) and renders
small page images with pdfium on a worker. Save PDF… (an explicit export) and Print… reuse those
bytes while nothing in the request has changed since.
Printing rasterises each page at the printer's resolution on a worker too
(``ui.printing.render_pdf_to_printer``), so a long packet never freezes the window.

pdfium is not thread-safe: every use here holds ``PDFIUM_LOCK`` (``common/pdfium_lock``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListView,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.clinic.session import Session
from clinicrecords.common.pdfium_lock import PDFIUM_LOCK
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.printing import ask_printer, render_pdf_to_printer
from clinicrecords.ui.release import data as release_data
from clinicrecords.ui.workers import TaskHandle, run_in_background

THUMB_WIDTH = 150  # pixels
MAX_THUMBNAILS = 300  # a longer packet shows its first pages; the saved PDF has them all


def render_thumbnails(
    data: bytes,
    width: int = THUMB_WIDTH,
    limit: int = MAX_THUMBNAILS,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> tuple[list[QImage], int]:
    """Small images of the packet's pages (QImage is safe to make off the UI thread)."""
    import pypdfium2 as pdfium

    images: list[QImage] = []
    with PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(data)
        try:
            total = len(pdf)
            for i in range(min(total, limit)):
                if cancel is not None and cancel.is_set():
                    break
                page = pdf[i]
                scale = width / page.get_width()
                pil = page.render(scale=scale).to_pil().convert("RGB")
                page.close()
                data = pil.tobytes("raw", "RGB")
                img = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format_RGB888)
                images.append(img.copy())  # owns its pixels once `data` is gone
                if progress is not None:
                    progress(i + 1, min(total, limit))
        finally:
            pdf.close()
    return images, total


def print_file(data: bytes, printer: QPrinter) -> int:
    """Send a PDF to a printer; returns the pages printed. Runs on a worker."""
    with PDFIUM_LOCK:
        return render_pdf_to_printer(data, printer)


class PageImagesModel(QAbstractListModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[QImage] = []
        self.prefix = ""

    def set_images(self, images: list[QImage], prefix: str) -> None:
        self.beginResetModel()
        self.images, self.prefix = images, prefix
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.images)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid():
            return None
        if role == Qt.DecorationRole:
            return self.images[index.row()]
        if role == Qt.DisplayRole:
            return f"{self.prefix}-{index.row() + 1:04d}"
        return None


class PacketPanel(QWidget):
    """Preview (Ctrl+B), Save PDF… (Ctrl+S), Print… (Ctrl+P); Esc cancels a build."""

    message = Signal(str)
    printed = Signal(int)  # pages sent to the printer
    saved = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("packetPanel")
        self.request_id: int | None = None
        self.code = ""
        self.pages_out = 0
        self.preview_data: bytes | None = None  # a packet matching the request as shown
        self.result = None
        self.task: TaskHandle | None = None
        self._printer: QPrinter | None = None

        self.preview_button = QPushButton("&Build preview (Ctrl+B)")
        self.preview_button.setObjectName("previewButton")
        self.save_button = QPushButton("Sav&e PDF… (Ctrl+S)")
        self.save_button.setObjectName("savePdfButton")
        self.print_button = QPushButton("&Print… (Ctrl+P)")
        self.print_button.setObjectName("printButton")
        self.cancel_button = QPushButton("Stop (Esc)")
        self.cancel_button.setObjectName("cancelBuildButton")
        self.cancel_button.setEnabled(False)
        self.preview_button.clicked.connect(self.build_preview)
        self.save_button.clicked.connect(self.save_pdf)
        self.print_button.clicked.connect(self.print_packet)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setObjectName("packetProgress")
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.status = plain_label("Build a preview to see the packet as the recipient will.")
        self.status.setObjectName("packetStatus")
        self.status.setWordWrap(True)

        self.model = PageImagesModel(self)
        self.pages = QListView()
        self.pages.setObjectName("packetPages")
        self.pages.setModel(self.model)
        self.pages.setViewMode(QListView.IconMode)
        self.pages.setResizeMode(QListView.Adjust)
        self.pages.setMovement(QListView.Static)
        self.pages.setIconSize(QSize(THUMB_WIDTH, int(THUMB_WIDTH * 11 / 8.5)))
        self.pages.setSpacing(6)
        self.pages.setUniformItemSizes(True)

        buttons = QHBoxLayout()
        for b in (self.preview_button, self.save_button, self.print_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.pages, 1)
        self.setTabOrder(self.preview_button, self.save_button)
        self.setTabOrder(self.save_button, self.print_button)
        self.setTabOrder(self.print_button, self.pages)

    # --- state ---------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.finished

    def set_request(self, request_id: int | None, code: str = "", pages_out: int = 0) -> None:
        """Another request, or this one changed: any built packet no longer matches."""
        if self.busy and self.task is not None:
            self.task.cancel()
        self.request_id, self.code, self.pages_out = request_id, code, pages_out
        self._drop_preview()
        self.model.set_images([], code)
        self.status.setText("Build a preview to see the packet as the recipient will.")
        for b in (self.preview_button, self.save_button, self.print_button):
            b.setEnabled(request_id is not None)

    def _drop_preview(self) -> None:
        self.preview_data = None
        self.result = None

    def _begin(self, text: str, total: int) -> TaskHandle | None:
        if self.busy or self.request_id is None:
            return None
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.status.setText(text)
        return TaskHandle()

    def _end(self, text: str) -> None:
        self.task = None
        self.progress.hide()
        self.cancel_button.setEnabled(False)
        self.status.setText(text)
        self.message.emit(text)

    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setMaximum(total)
        self.progress.setValue(done)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self._end("Stopped.")

    # --- building ------------------------------------------------------------------------

    def _build(self, then: Callable[[bytes], None], text: str) -> None:
        """Make sure the packet for the request as it stands is built, then call `then`."""
        if self.preview_data is not None:
            then(self.preview_data)
            return
        if self._begin(text, self.pages_out) is None:
            return
        request_id = self.request_id

        def done(out: tuple[bytes, object]) -> None:
            if request_id != self.request_id:
                return
            self.preview_data, self.result = out
            self.task = None
            then(out[0])

        self.task = run_in_background(
            release_data.build_packet_bytes, self.session, request_id, self.pages_out,
            on_done=done, on_error=self._end, on_progress=self._on_progress, context=self,
        )  # fmt: skip

    def build_preview(self) -> None:
        self._build(self._show_pages, "Building the packet…")

    def _show_pages(self, data: bytes) -> None:
        if self._begin("Drawing the pages…", 0) is None:
            return
        request_id = self.request_id

        def done(out: tuple[list[QImage], int]) -> None:
            if request_id != self.request_id:
                return
            images, total = out
            self.model.set_images(images, self.code)
            r = self.result
            extra = f" Showing the first {len(images)}." if len(images) < total else ""
            text = f"Packet ready: {total} pages"
            if r is not None:
                text += f" ({r.front_pages} letter and index), {r.first_bates} to {r.last_bates}."
            self._end(text + extra)

        self.task = run_in_background(
            render_thumbnails, data, on_done=done, on_error=self._end,
            on_progress=self._on_progress, context=self,
        )  # fmt: skip

    # --- saving and printing -------------------------------------------------------------

    def ask_save_path(self) -> Path | None:
        """Where to save the packet (a hook tests replace)."""
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the release packet", str(Path.home() / f"{self.code}.pdf"), "PDF (*.pdf)"
        )
        return Path(name) if name else None

    def save_pdf(self) -> None:
        if self.request_id is None or self.busy:
            return
        target = self.ask_save_path()
        if target is None:
            return

        def copy(data: bytes) -> None:
            def done(_: object) -> None:
                self._end(f"Saved the packet to {target}.")
                self.saved.emit(str(target))

            self.task = run_in_background(
                release_data.save_packet_bytes,
                data,
                target,
                on_done=done,
                on_error=self._end,
                context=self,
            )

        self._build(copy, "Building the packet…")

    def ask_printer(self) -> QPrinter | None:
        """The Qt print dialog (a hook tests replace with a ready QPrinter)."""
        return ask_printer(self, f"Print release {self.code}", f"Release {self.code}")

    def print_packet(self) -> None:
        if self.request_id is None or self.busy:
            return
        printer = self.ask_printer()
        if printer is None:
            return
        self._printer = printer  # kept alive while the worker paints on it

        def send(data: bytes) -> None:
            if self._begin("Printing…", 0) is None:
                return

            def done(pages: int) -> None:
                self._printer = None
                self._end(f"Sent {pages} pages to the printer.")
                self.printed.emit(pages)

            session, request_id = self.session, self.request_id

            def print_and_record() -> int:
                pages = print_file(data, printer)
                session.audit("release.print", "release_request", request_id, pages=pages)
                return pages

            self.task = run_in_background(
                print_and_record, on_done=done, on_error=self._end, context=self
            )

        self._build(send, "Building the packet to print…")
