"""The page image with the evidence behind each suggestion drawn on it."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from clinicrecords.scan.types import Box

# One colour per kind of suggestion, the same in the form's labels.
COLOURS = {
    "patient": QColor(25, 118, 210),
    "doc_type": QColor(46, 125, 50),
    "doc_date": QColor(230, 120, 0),
    "author": QColor(123, 31, 162),
}


@dataclass(frozen=True)
class Highlight:
    field: str  # "patient", "doc_type", "doc_date", "author"
    box: Box
    label: str = ""


class PageCanvas(QWidget):
    """Shows one page fitted to the widget, turned by its display rotation, with highlights."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pageView")
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumSize(300, 300)
        self.image: QImage | None = None
        self.rotation = 0
        self.highlights: list[Highlight] = []
        self.message = "No page"
        self.blank_flag = False

    def show_page(
        self, image: QImage | None, rotation: int, highlights: list[Highlight], blank: bool = False
    ) -> None:
        self.image, self.rotation, self.highlights = image, rotation % 360, highlights
        self.blank_flag = blank
        self.update()

    def show_message(self, text: str) -> None:
        self.image, self.highlights, self.message = None, [], text
        self.update()

    def paintEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(90, 94, 100))
        if self.image is None or self.image.isNull():
            p.setPen(QColor("white"))
            p.drawText(self.rect(), Qt.AlignCenter, self.message)
            return
        p.setRenderHint(QPainter.SmoothPixmapTransform, True)
        iw, ih = self.image.width(), self.image.height()
        turned = self.rotation in (90, 270)
        w, h = (ih, iw) if turned else (iw, ih)
        margin = 8
        scale = min((self.width() - 2 * margin) / w, (self.height() - 2 * margin) / h)
        p.translate(self.width() / 2, self.height() / 2)
        p.rotate(self.rotation)
        p.scale(scale, scale)
        p.translate(-iw / 2, -ih / 2)
        p.drawImage(0, 0, self.image)
        for hl in self.highlights:
            colour = COLOURS.get(hl.field, QColor("red"))
            pen = QPen(colour)
            pen.setCosmetic(True)  # 2 screen pixels whatever the zoom: the word stays legible
            pen.setWidthF(2.0)
            p.setPen(pen)
            fill = QColor(colour)
            fill.setAlpha(28)
            pad = 3
            p.fillRect(
                QRectF(
                    hl.box.left - pad,
                    hl.box.top - pad,
                    hl.box.width + 2 * pad,
                    hl.box.height + 2 * pad,
                ),
                fill,
            )
            p.drawRect(
                QRectF(
                    hl.box.left - pad,
                    hl.box.top - pad,
                    hl.box.width + 2 * pad,
                    hl.box.height + 2 * pad,
                )
            )
        if self.blank_flag:
            p.resetTransform()
            p.fillRect(0, 0, self.width(), 28, QColor(255, 193, 7))
            p.setPen(QColor("black"))
            p.drawText(
                8,
                19,
                "This page looks blank. It is kept; set it aside with Ctrl+Del "
                "if it is not part of the record.",
            )
