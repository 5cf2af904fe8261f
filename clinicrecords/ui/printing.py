"""Printing a PDF we wrote (release packet, recovery sheet) through the Qt print dialog.

Qt's widgets edition has no PDF renderer, so pages are rasterised with pdfium (pypdfium2) at the
printer's resolution, capped at 300 dpi, one page at a time.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QWidget

from clinicrecords.common.pdfium_lock import PDFIUM_LOCK


def render_pdf_to_printer(pdf_source: Path | bytes, printer: QPrinter) -> int:
    """Paint every page of the PDF (a file, or bytes held in memory) onto the printer."""
    with PDFIUM_LOCK:
        return _render_to_printer(pdf_source, printer)


def _render_to_printer(pdf_source: Path | bytes, printer: QPrinter) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(pdf_source if isinstance(pdf_source, bytes) else str(pdf_source))
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError("the printer could not be started")
    try:
        dpi = min(300, max(150, printer.resolution()))
        for i in range(len(pdf)):
            if i:
                printer.newPage()
            page = pdf[i]
            bitmap = page.render(scale=dpi / 72, grayscale=False)
            pil = bitmap.to_pil().convert("RGB")
            data = pil.tobytes("raw", "RGB")
            image = QImage(data, pil.width, pil.height, pil.width * 3, QImage.Format_RGB888)
            target = printer.pageRect(QPrinter.DevicePixel)
            scaled = QRectF(0, 0, target.width(), target.height())
            ratio = min(scaled.width() / image.width(), scaled.height() / image.height())
            w, h = image.width() * ratio, image.height() * ratio
            painter.drawImage(QRectF(0, 0, w, h), image)
            page.close()
        return len(pdf)
    finally:
        painter.end()
        pdf.close()


def ask_printer(
    parent: QWidget | None = None, title: str = "Print", doc_name: str = ""
) -> QPrinter | None:
    """The Qt print dialog; the chosen printer, or None when the user cancels."""
    printer = QPrinter(QPrinter.HighResolution)
    if doc_name:
        printer.setDocName(doc_name)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(title)
    return printer if dialog.exec() == QPrintDialog.Accepted else None


def print_pdf(path: Path, parent: QWidget | None = None) -> bool:
    printer = ask_printer(parent)
    if printer is None:
        return False
    render_pdf_to_printer(path, printer)
    return True


__all__ = ["ask_printer", "print_pdf", "render_pdf_to_printer", "Qt"]
