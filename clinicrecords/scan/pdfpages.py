"""Pages out of a PDF, one at a time, through PDFium (pypdfium2).

A scanned PDF page is usually one picture covering the page (often CCITT G4 or JBIG2 from a
fax or a copier). Then the picture is taken out at its own resolution: rendering it at
300 dpi would resample a 200- or 400-dpi scan and blur it. Anything else (text PDFs, forms,
pages with several pictures or a rotated one) is rendered at ``limits.RENDER_DPI``.
The text a PDF already carries (born-digital, or OCRed by a copier) is returned with the page
so OCR can be skipped or compared.

PDFium is not thread-safe, not even across documents: every call here holds ``PDFIUM_LOCK``
(``common/pdfium_lock``), one page at a time, so other threads' PDFs interleave between pages.
"""

from __future__ import annotations

import ctypes
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from clinicrecords.common.errors import BadInput
from clinicrecords.common.pdfium_lock import PDFIUM_LOCK
from clinicrecords.scan import limits

log = logging.getLogger(__name__)

# A picture covering at least this share of the page counts as "the page".
FULL_PAGE_SHARE = 0.85


@dataclass(slots=True)
class PdfPage:
    number: int  # 1-based
    image: Image.Image | None
    dpi: float
    text: str | None  # the PDF's own text layer for this page, if it has one
    native: bool  # True: the embedded scan at its own resolution; False: rendered
    problem: str | None = None


def file_called(path: Any, start: bool = False) -> str:
    """How a sentence names a file: the label its caller gave (``file 2 of 3 (batch 17)``;
    a scan is often named after its patient, and these sentences reach logs), else its name
    in quotes. ``start``: capitalised, for the start of a sentence."""
    label = getattr(path, "label", "")
    if not label:
        return f"“{path.name}”"
    return label[:1].upper() + label[1:] if start else label


def _open(path: Path) -> pdfium.PdfDocument:
    """``path`` is a file path or a ``sources.InMemoryFile`` (bytes + name)."""
    data = getattr(path, "data", None)
    try:
        return pdfium.PdfDocument(data if isinstance(data, bytes) else str(path))
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise BadInput(
                f"{file_called(path, True)} is protected by a password; save an unprotected "
                "copy and import that."
            ) from None
        if code == pdfium_c.FPDF_ERR_SECURITY:
            raise BadInput(
                f"{file_called(path, True)} uses a kind of protection the program cannot open."
            ) from None
        raise BadInput(
            f"{file_called(path, True)} is damaged or is not a complete PDF file."
        ) from None


def _is_invisible_text(obj: pdfium.PdfObject) -> bool:
    mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw)
    return mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE


def _single_scan(page: pdfium.PdfPage) -> pdfium.PdfImage | None:
    """The page's one picture if the page is nothing but that picture, upright and unskewed."""
    images: list[pdfium.PdfImage] = []
    for obj in page.get_objects(max_depth=1):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            images.append(obj)  # type: ignore[arg-type]
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_FORM:
            return None  # a picture inside a form has its own transform: render to be safe
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT and _is_invisible_text(obj):
            continue  # an OCR layer over the scan
        else:
            return None  # visible text, vector drawing, shading: must be rendered
        if len(images) > 1:
            return None
    if len(images) != 1:
        return None
    image = images[0]
    m = image.get_matrix()
    if abs(m.b) > 1e-3 * abs(m.a) or abs(m.c) > 1e-3 * abs(m.d) or m.a <= 0 or m.d <= 0:
        return None  # rotated, skewed or mirrored placement: the page shows what we render
    left, bottom, right, top = image.get_bounds()
    w, h = page.get_size()
    visible_w = min(right, w) - max(left, 0)
    visible_h = min(top, h) - max(bottom, 0)
    if visible_w <= 0 or visible_h <= 0 or visible_w * visible_h < FULL_PAGE_SHARE * w * h:
        return None
    return image


def _text_layer(page: pdfium.PdfPage) -> str | None:
    textpage = page.get_textpage()
    try:
        if textpage.count_chars() <= 0:
            return None
        text = textpage.get_text_range().replace("\r\n", "\n").replace("\r", "\n").strip()
        return text or None
    finally:
        textpage.close()


def _render_dpi(page: pdfium.PdfPage) -> float:
    """300 dpi, or less for a page so large that 300 dpi would pass the pixel limit."""
    w, h = page.get_size()
    dpi = float(limits.RENDER_DPI)
    pixels = (w / 72 * dpi) * (h / 72 * dpi)
    if pixels > limits.MAX_PAGE_PIXELS:
        dpi = dpi * math.sqrt(limits.MAX_PAGE_PIXELS / pixels) * 0.99
    return dpi


def _to_pil(bitmap: pdfium.PdfBitmap) -> Image.Image:
    """A PIL image that owns its pixels: ``to_pil`` may share PDFium's buffer, which would
    dangle once the bitmap is freed. Copying costs milliseconds; the bitmap is then left to
    pypdfium2's finaliser (closing a PDFium-owned bitmap by hand is flagged as unsafe)."""
    return bitmap.to_pil().copy()


def _extract(page: pdfium.PdfPage, image: pdfium.PdfImage) -> tuple[Image.Image, float] | None:
    px_w, px_h = image.get_px_size()
    if px_w * px_h > limits.MAX_PAGE_PIXELS or px_w <= 0 or px_h <= 0:
        return None  # rendered instead, at a resolution that fits the limit
    left, _, right, _ = image.get_bounds()
    width_in = (right - left) / 72
    dpi = px_w / width_in if width_in > 0 else float(limits.RENDER_DPI)
    img = _to_pil(image.get_bitmap(render=False))
    if img.mode not in ("1", "L", "RGB"):
        img = img.convert("RGB")
    rotation = page.get_rotation() % 360
    if rotation:
        ops = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180}
        img = img.transpose(ops.get(rotation, Image.Transpose.ROTATE_90))
    return img, dpi


def _render(page: pdfium.PdfPage) -> tuple[Image.Image, float]:
    dpi = _render_dpi(page)
    img = _to_pil(page.render(scale=dpi / 72, may_draw_forms=False))
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    return img, dpi


class PdfPages:
    """A PDF opened for reading page by page; ``len()`` is known without rendering anything."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with PDFIUM_LOCK:
            self._doc = _open(path)
            self.page_count = len(self._doc)
        if self.page_count == 0:
            self.close()
            raise BadInput(f"{file_called(path, True)} has no pages.")
        if self.page_count > limits.MAX_PAGES_PER_FILE:
            self.close()
            raise BadInput(
                f"{file_called(path, True)} has {self.page_count} pages, more than the "
                f"{limits.MAX_PAGES_PER_FILE} one file may have; split it and import the parts."
            )

    def __len__(self) -> int:
        return self.page_count

    def page(self, index: int) -> PdfPage:
        """One page (0-based index); a page PDFium cannot draw comes back with a problem."""
        with PDFIUM_LOCK:
            return self._page(index)

    def _page(self, index: int) -> PdfPage:
        number = index + 1
        try:
            page = self._doc[index]
        except (pdfium.PdfiumError, IndexError, ctypes.ArgumentError):
            return PdfPage(number, None, 0.0, None, False, f"Page {number} could not be read.")
        try:
            text = _text_layer(page)
            scan = _single_scan(page)
            got = _extract(page, scan) if scan is not None else None
            native = got is not None
            img, dpi = got if got is not None else _render(page)
        except (pdfium.PdfiumError, OSError, ValueError, MemoryError) as exc:
            log.warning("PDF page %d could not be drawn: %s", number, type(exc).__name__)
            return PdfPage(number, None, 0.0, None, False, f"Page {number} could not be drawn.")
        finally:
            page.close()
        img.info["dpi"] = (dpi, dpi)
        return PdfPage(number, img, dpi, text, native)

    def __iter__(self) -> Iterator[PdfPage]:
        for index in range(self.page_count):
            yield self.page(index)

    def close(self) -> None:
        with PDFIUM_LOCK:
            self._doc.close()
