"""Barcode cover sheets: printed per patient and document type, read back to split a batch.

A cover sheet carries ``CR1|<mrn>|<doc_type>`` twice, as Code 128 and as QR, so a fold, a
staple or a fax line through one still leaves the other. The ``CR1|`` prefix is what makes a
page a separator: a patient wristband or label barcode (an MRN alone) on a clinical page is
never taken for a cover sheet. Sheets say in large print that they are not part of the record.

``split_batch`` turns a scanned batch into documents at cover sheets or at blank separator
pages. Separator pages are reported, never dropped: the caller keeps every page it scanned.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

import zxingcpp
from PIL import Image
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import letter
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas

from clinicrecords.common import pdftext
from clinicrecords.common.errors import BadInput
from clinicrecords.scan.cleanup import is_probably_blank

PREFIX = "CR1"
SEPARATOR_TEXT = "Separator sheet — not part of the record"
# Cover sheets are read on a copy of this width: zxing finds 0.4 mm Code 128 modules and a
# 2-inch QR at ~150 dpi in a fraction of the time a 300-dpi page takes.
READ_WIDTH = 1400
# From a string: works on zxing-cpp 2.x and 3.x (3.x deprecates ``Format | Format``).
_FORMATS = zxingcpp.barcode_formats_from_str("Code128,QRCode")


@dataclass(frozen=True, slots=True)
class CoverSheet:
    mrn: str
    patient_label: str  # what the clerk reads: "ALBERMARLE, Quincy  DOB 1967-03-14"
    doc_type: str  # taxonomy code, e.g. "lab"
    doc_type_label: str  # "Laboratory result"


@dataclass(frozen=True, slots=True)
class CoverSheetCode:
    mrn: str
    doc_type: str
    symbologies: tuple[str, ...] = ()  # which codes were read: "Code128", "QRCode"


def payload(mrn: str, doc_type: str) -> str:
    for part in (mrn, doc_type):
        if not part or "|" in part or not part.isprintable() or not part.isascii():
            raise BadInput(
                "An MRN or document type on a cover sheet has characters it cannot carry."
            )
    return f"{PREFIX}|{mrn}|{doc_type}"


def parse_payload(text: str) -> CoverSheetCode | None:
    """``CR1|mrn|doc_type`` -> code; anything else (a label, a product barcode) -> None."""
    parts = text.strip().split("|")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return CoverSheetCode(parts[1], parts[2])


def _draw_sheet(c: canvas.Canvas, sheet: CoverSheet) -> None:
    width, height = letter
    data = payload(sheet.mrn, sheet.doc_type)
    centre = width / 2
    room = width - 1.5 * inch  # a long name or label is shrunk to fit, never cut short

    def say(y: float, text: str, size: float, bold: bool = False) -> None:
        size = pdftext.fit_size(text, size, room, bold)
        pdftext.draw(c, centre, y, text, size, bold, align="centre")

    say(height - 1.0 * inch, "SEPARATOR SHEET", 26, True)
    say(height - 1.4 * inch, SEPARATOR_TEXT, 16)

    # Code 128 at 0.02 in (0.5 mm) per module: 6 pixels at 300 dpi, 3 at 150, 4 on a fax.
    bar = code128.Code128(data, barWidth=0.02 * inch, barHeight=1.1 * inch, humanReadable=False)
    bar.drawOn(c, (width - bar.width) / 2, height - 3.0 * inch)

    say(height - 3.8 * inch, sheet.patient_label, 22, True)
    say(height - 4.3 * inch, f"MRN {sheet.mrn}", 18)
    say(height - 5.1 * inch, sheet.doc_type_label, 28, True)

    widget = qr.QrCodeWidget(data, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    side = 2.2 * inch
    drawing = Drawing(side, side, transform=[side / (x1 - x0), 0, 0, side / (y1 - y0), 0, 0])
    drawing.add(widget)
    drawing.initialFontName = pdftext.SANS  # the renderer would name Helvetica (it draws no text)
    renderPDF.draw(drawing, c, (width - side) / 2, 2.4 * inch)

    say(1.8 * inch, "Place this sheet on top of the document it announces.", 12)
    say(1.55 * inch, "It is read by the scanner and is not filed in the chart.", 12)
    say(0.6 * inch, data, 9)


def cover_sheet_pdf(dest: str | Path | BinaryIO, sheets: list[CoverSheet]) -> None:
    """Write one letter page per cover sheet to a path or a binary file object."""
    if not sheets:
        raise BadInput("No cover sheets were asked for.")
    target = str(dest) if isinstance(dest, Path) else dest
    pdftext.register_fonts()
    c = canvas.Canvas(target, pagesize=letter, pageCompression=1, initialFontName=pdftext.SANS)
    c.setTitle("ClinicRecords separator sheets")
    for sheet in sheets:
        _draw_sheet(c, sheet)
        c.showPage()
    with pdftext.subsetting():
        c.save()


def cover_sheet_pdf_bytes(sheets: list[CoverSheet]) -> bytes:
    buf = io.BytesIO()
    cover_sheet_pdf(buf, sheets)
    return buf.getvalue()


def _for_reading(img: Image.Image) -> Image.Image:
    gray = img.convert("L") if img.mode != "L" else img
    if gray.width > READ_WIDTH * 1.2:
        factor = READ_WIDTH / gray.width
        size = (READ_WIDTH, max(1, round(gray.height * factor)))
        gray = gray.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return gray


def read_cover_sheet(img: Image.Image) -> CoverSheetCode | None:
    """The cover sheet code on this page, or None if the page is not a cover sheet.

    Codes disagreeing with each other (two different sheets photocopied together) give None:
    the page then goes to the clerk instead of splitting the batch on a guess.
    """
    found: dict[tuple[str, str], list[str]] = {}
    for barcode in zxingcpp.read_barcodes(_for_reading(img), formats=_FORMATS):
        code = parse_payload(barcode.text)
        if code is not None:
            found.setdefault((code.mrn, code.doc_type), []).append(barcode.format.name)
    if len(found) != 1:
        return None
    (mrn, doc_type), symbologies = next(iter(found.items()))
    return CoverSheetCode(mrn, doc_type, tuple(sorted(set(symbologies))))


# -- splitting a batch ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageMarks:
    """What separator detection saw on one page; computed once per page as it is scanned."""

    cover: CoverSheetCode | None = None
    blank: bool = False


@dataclass(frozen=True, slots=True)
class Segment:
    """One document of a batch: its pages (0-based batch indices) and what started it."""

    pages: tuple[int, ...]
    cover: CoverSheetCode | None = None
    separators: tuple[int, ...] = ()  # cover sheet / blank pages before it: kept, not filed
    blank_pages: tuple[int, ...] = ()  # pages inside the document that look blank (flagged)
    started_by: Literal["start", "cover_sheet", "blank_page"] = "start"
    notes: tuple[str, ...] = field(default_factory=tuple)


def mark_page(img: Image.Image) -> PageMarks:
    cover = read_cover_sheet(img)
    return PageMarks(cover=cover, blank=False if cover else is_probably_blank(img))


def split_batch(
    pages: Iterable[Image.Image | PageMarks],
    *,
    by: Literal["cover_sheet", "blank_page", "both"] = "both",
) -> list[Segment]:
    """Split a scanned batch into documents.

    ``cover_sheet``: a cover sheet starts a new document (blank pages after it, e.g. its
    back in duplex, are separators too). ``blank_page``: a run of blank pages ends a
    document. ``both``: either. Blank pages that do not separate are listed in
    ``blank_pages`` for the clerk. Every page index appears in exactly one segment's
    ``pages`` or ``separators``.
    """
    marks = [p if isinstance(p, PageMarks) else mark_page(p) for p in pages]
    use_cover = by in ("cover_sheet", "both")
    use_blank = by in ("blank_page", "both")
    segments: list[Segment] = []
    current: list[int] = []
    separators: list[int] = []
    cover: CoverSheetCode | None = None
    started: Literal["start", "cover_sheet", "blank_page"] = "start"

    def close() -> None:
        if not current and not separators and cover is None:
            return
        blanks = tuple(i for i in current if marks[i].blank)
        notes = ("A cover sheet is followed by no pages.",) if cover and not current else ()
        segments.append(Segment(tuple(current), cover, tuple(separators), blanks, started, notes))

    for index, mark in enumerate(marks):
        if use_cover and mark.cover is not None:
            close()
            current, separators, cover, started = [], [index], mark.cover, "cover_sheet"
        elif mark.blank and not current and (use_blank or cover is not None):
            separators.append(index)  # back of a cover sheet, or a run of blank separators
        elif mark.blank and use_blank:
            close()
            current, separators, cover, started = [], [index], None, "blank_page"
        else:
            current.append(index)
    close()
    return segments
