"""The release packet: cover letter, index of enclosed documents, then the pages.

Every page, the letter included, carries a Bates number `<REQUEST>-<NNNN>` counted from 0001
and a CONFIDENTIAL footer, so a recipient, a court or our own staff can cite any page and
see at once that it is protected information. Page images are placed on Letter-size pages
above a footer band, so the stamps never cover what was scanned.

This module takes plain inputs (text, index rows, a lazy sequence of page images) and knows
nothing of the database: `service.py` feeds it. Pages are written one at a time through
`PdfStreamWriter`; only one page image is in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from clinicrecords.common.pdftext import fit_size, string_width, wrap
from clinicrecords.release.images import image_xobject
from clinicrecords.release.letters import LetterLine
from clinicrecords.release.pdfstream import PdfStreamWriter

LETTER = (612.0, 792.0)
MARGIN = 72.0
FOOTER_BAND = 40.0  # points at the bottom of every page kept for the stamps
IMAGE_MARGIN = 18.0
FONT, BOLD = False, True  # the `bold` flag of common/pdftext: DejaVu Sans or its bold

CONFIDENTIAL = (
    "CONFIDENTIAL - protected health information. Further disclosure only as the law permits."
)
PART2_FOOTER = "42 CFR Part 2 record: redisclosure prohibited, see the notice in the cover letter."


@dataclass(frozen=True, slots=True)
class Letterhead:
    name: str
    address: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One enclosed document in the index (what a recipient needs to find it)."""

    label: str  # the document type's label, plus a title when there is one
    doc_date: str  # YYYY-MM-DD or ''
    pages: int


@dataclass(frozen=True, slots=True)
class PacketPage:
    """A page image to enclose; `load` fetches its bytes only when the page is written."""

    load: Callable[[], bytes]
    rotation: int = 0  # degrees clockwise to show it upright
    dpi: int = 300
    part2: bool = False  # a 42 CFR Part 2 (substance use) page: carries the short notice


@dataclass(frozen=True, slots=True)
class PacketTextPage:
    """Text enclosed right after a document's pages: an amendment to it, or the patient's
    statement of disagreement (45 CFR 164.526), which must travel with every release of it.
    Laid out on as many pages as it needs (``text_pages``), each Bates-numbered."""

    lines: tuple[LetterLine, ...]


@dataclass(frozen=True, slots=True)
class PacketSpec:
    bates_prefix: str
    letterhead: Letterhead
    letter: list[LetterLine]
    index: list[IndexEntry]
    watermark: str = ""
    title: str = ""
    notice: list[LetterLine] = field(default_factory=list)  # the 42 CFR 2.32 notice, if due


@dataclass(frozen=True, slots=True)
class PacketResult:
    pages: int
    front_pages: int  # cover letter and index
    first_bates: str
    last_bates: str


def bates(prefix: str, number: int) -> str:
    return f"{prefix}-{number:04d}"


# --- text layout ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Text:
    x: float
    y: float
    text: str
    font: bool = FONT
    size: float = 10.0


def _text_ops(writer: PdfStreamWriter, items: Iterable[_Text]) -> bytes:
    out = [b"0 g\n"]
    for t in items:
        out.append(writer.text(t.x, t.y, t.text, t.size, t.font))
    return b"".join(out)


def _letter_pages(spec: PacketSpec) -> list[list[_Text]]:
    """Lay the letterhead, letter and notice out on as many pages as they need."""
    width, height = LETTER
    usable = width - 2 * MARGIN
    bottom = FOOTER_BAND + 36
    pages: list[list[_Text]] = [[]]
    y = height - MARGIN + 18
    head = spec.letterhead
    pages[0].append(_Text(MARGIN, y, head.name, BOLD, 15))
    y -= 15
    for line in [*head.address.splitlines(), head.phone]:
        if line.strip():
            pages[0].append(_Text(MARGIN, y, line.strip(), FONT, 9))
            y -= 11
    y -= 16

    def put(line: LetterLine, size: float = 10.5, leading: float = 14.0) -> None:
        nonlocal y
        font = BOLD if line.bold else FONT
        indent = 12.0 if line.bullet else 0.0
        if not line.text.strip():
            y -= leading * 0.7
            return
        wrapped = wrap(line.text, size, usable - indent, font) or [""]
        for i, part in enumerate(wrapped):
            if y < bottom:
                pages.append([])
                y = height - MARGIN
            if line.bullet and i == 0:
                pages[-1].append(_Text(MARGIN, y, "-", font, size))
            pages[-1].append(_Text(MARGIN + indent, y, part, font, size))
            y -= leading

    for line in spec.letter:
        put(line)
    if spec.notice:
        y -= 10
        for line in spec.notice:
            put(line, 9.0, 11.5)
    return pages


def text_pages(lines: Iterable[LetterLine]) -> list[list[_Text]]:
    """An enclosed text (``PacketTextPage``) laid out on Letter pages above the footer."""
    width, height = LETTER
    usable = width - 2 * MARGIN
    bottom = FOOTER_BAND + 36
    pages: list[list[_Text]] = [[]]
    y = height - MARGIN
    for line in lines:
        font = BOLD if line.bold else FONT
        if not line.text.strip():
            y -= 10
            continue
        for part in wrap(line.text, 10.5, usable, font) or [""]:
            if y < bottom:
                pages.append([])
                y = height - MARGIN
            pages[-1].append(_Text(MARGIN, y, part, font, 10.5))
            y -= 14
    return pages


def _index_pages(spec: PacketSpec, first_page_bates: int) -> list[list[_Text]]:
    """The index: one row per enclosed document, with the Bates range it occupies.

    A label too long for its column wraps onto more lines of its row (never cut short)."""
    width, height = LETTER
    # The Bates range column may reach a little into the right margin (as it always did).
    cols = (MARGIN, MARGIN + 24, MARGIN + 232, MARGIN + 294, MARGIN + 334)
    size, leading = 9.5, 13.0
    bottom = FOOTER_BAND + MARGIN - 12
    top = height - MARGIN - 39  # below the title and the column heads
    # First which rows go on which page (the Bates numbers depend on the index's length).
    labels = [wrap(e.label, size, cols[2] - cols[1] - 8) or [""] for e in spec.index]
    chunks: list[list[int]] = [[]]
    y = top
    for i, lines in enumerate(labels):
        need = leading * len(lines)
        if chunks[-1] and y - need < bottom:
            chunks.append([])
            y = top
        chunks[-1].append(i)
        y -= need
    n = first_page_bates + len(chunks)  # the first image page follows the index
    pages = []
    number = 1
    for chunk in chunks:
        y = height - MARGIN
        items = [_Text(MARGIN, y, "Index of enclosed documents", BOLD, 13)]
        y -= 24
        for x, head in zip(
            cols, ("No.", "Document", "Date", "Pages", "Pages numbered"), strict=True
        ):
            items.append(_Text(x, y, head, BOLD, 9.5))
        y -= 15
        for i in chunk:
            entry = spec.index[i]
            last = n + entry.pages - 1
            cells = (
                str(number),
                labels[i][0],
                entry.doc_date or "undated",
                str(entry.pages),
                f"{bates(spec.bates_prefix, n)} to {bates(spec.bates_prefix, last)}",
            )
            for x, cell in zip(cols, cells, strict=True):
                items.append(_Text(x, y, cell, FONT, size))
            for more in labels[i][1:]:
                y -= leading
                items.append(_Text(cols[1], y, more, FONT, size))
            y -= leading
            n = last + 1
            number += 1
        if not spec.index:
            items.append(_Text(MARGIN, y, "No documents are enclosed.", FONT, size))
        pages.append(items)
    return pages


# --- stamps --------------------------------------------------------------------------------


def _stamps(
    writer: PdfStreamWriter,
    spec: PacketSpec,
    number: int,
    width: float,
    height: float,
    part2: bool,
) -> bytes:
    """Footer, Bates number and optional watermark, drawn over whatever is on the page."""
    label = bates(spec.bates_prefix, number)
    ops = [b"q 1 g 0 0 %.2f %.2f re f Q\n" % (width, FOOTER_BAND - 4)]  # a clean band
    ops.append(
        b"q 0.6 G 0.5 w %.2f %.2f m %.2f %.2f l S Q\n"
        % (IMAGE_MARGIN, FOOTER_BAND - 4, width - IMAGE_MARGIN, FOOTER_BAND - 4)
    )
    texts = [
        _Text(IMAGE_MARGIN + 4, 22, CONFIDENTIAL, BOLD, 7.5),
        _Text(width - IMAGE_MARGIN - 4 - string_width(label, 11, BOLD), 20, label, BOLD, 11),
    ]
    if part2:
        texts.append(_Text(IMAGE_MARGIN + 4, 11, PART2_FOOTER, FONT, 7))
    ops.append(_text_ops(writer, texts))
    if spec.watermark:
        # Shrunk to fit the diagonal, never cut: the recipient's name is the point of it.
        text = spec.watermark
        size = fit_size(text, 34.0, (width**2 + height**2) ** 0.5 * 0.7, BOLD)
        half = string_width(text, size, BOLD) / 2
        ops.append(
            b"q /GS1 gs 0.5 g 0.7071 0.7071 -0.7071 0.7071 %.2f %.2f cm " % (width / 2, height / 2)
            + writer.text(-half, -size / 3, text, size, BOLD)
            + b"Q\n"
        )
    return b"".join(ops)


def _image_placement(img_w: int, img_h: int, dpi: int, rotation: int) -> tuple[float, float, bytes]:
    """Page size and the `cm` drawing the image upright, scaled to fit above the footer."""
    rotation %= 360
    shown_w, shown_h = (img_h, img_w) if rotation in (90, 270) else (img_w, img_h)
    page_w, page_h = LETTER if shown_h >= shown_w else (LETTER[1], LETTER[0])
    box_w = page_w - 2 * IMAGE_MARGIN
    box_h = page_h - IMAGE_MARGIN - FOOTER_BAND
    native = 72.0 / max(dpi, 1)
    # Fit the box, but never enlarge past the scan's own size (a small slip stays small).
    scale = min(box_w / shown_w, box_h / shown_h, native)
    dw, dh = shown_w * scale, shown_h * scale
    x = (page_w - dw) / 2
    y = page_h - IMAGE_MARGIN - dh
    matrix = {
        0: (dw, 0, 0, dh, x, y),
        90: (0, -dh, dw, 0, x, y + dh),
        180: (-dw, 0, 0, -dh, x + dw, y + dh),
        270: (0, dh, -dw, 0, x + dw, y),
    }.get(rotation, (dw, 0, 0, dh, x, y))
    cm = b"%.4f %.4f %.4f %.4f %.4f %.4f cm" % matrix
    return page_w, page_h, cm


# --- writing -------------------------------------------------------------------------------


def write_packet(
    out: BinaryIO,
    spec: PacketSpec,
    pages: Iterable[PacketPage | PacketTextPage],
    progress: Callable[[int], None] | None = None,
) -> PacketResult:
    """Write the whole packet to `out`, one page at a time; returns the page count.

    `progress(n)` is called after each image page so a UI worker can report and cancel (by
    raising from the callback).
    """
    writer = PdfStreamWriter(out, title=spec.title)
    letter = _letter_pages(spec)
    index = _index_pages(spec, len(letter) + 1)
    number = 0
    for items in [*letter, *index]:
        number += 1
        content = _text_ops(writer, items) + _stamps(writer, spec, number, *LETTER, part2=False)
        writer.add_page(*LETTER, content)
    front = number
    done = 0
    for page in pages:
        if isinstance(page, PacketTextPage):
            for items in text_pages(page.lines):
                number += 1
                content = _text_ops(writer, items)
                writer.add_page(*LETTER, content + _stamps(writer, spec, number, *LETTER, False))
            continue
        done += 1
        image = image_xobject(page.load())
        ref = writer.add_image(image)
        img_w, img_h = image.width, image.height
        del image  # only this page's image is ever held
        number += 1
        page_w, page_h, cm = _image_placement(img_w, img_h, page.dpi, page.rotation)
        content = (
            b"q " + cm + b" /Im0 Do Q\n" + _stamps(writer, spec, number, page_w, page_h, page.part2)
        )
        writer.add_page(page_w, page_h, content, {"Im0": ref})
        if progress is not None:
            progress(done)
    writer.close()
    return PacketResult(
        number, front, bates(spec.bates_prefix, 1), bates(spec.bates_prefix, number)
    )
