"""Lay a document out on Letter pages with ReportLab, then rasterise it with pdfium.

Layout is done first into plain draw operations (one list per page), and only then drawn:
that way the page count is known before "Page 1 of 2" is printed, and the ground-truth text
is exactly the strings that were drawn, in reading order.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from clinicrecords.common.pdfium_lock import PDFIUM_LOCK
from clinicrecords.synthetic.content import Content

FONTS = {
    "Helvetica": ("Helvetica", "Helvetica-Bold"),
    "Times": ("Times-Roman", "Times-Bold"),
    "Courier": ("Courier", "Courier-Bold"),
}
LAYOUTS = ("letterhead", "form", "letter")
PAGE_W, PAGE_H = letter
MAX_PAGES = 3


@dataclass
class Style:
    """How one document looks; chosen per document by the generator."""

    font: str = "Helvetica"
    size: float = 10.5
    layout: str = "letterhead"
    margin: float = 60.0
    centered_head: bool = False


@dataclass
class PageSpec:
    """Everything around the body: letterhead, identifier block, stamps, footer."""

    facility: str
    facility_lines: list[str]
    ident: list[tuple[str, str]]  # (label, value) in the order printed
    continuation: str  # short identifier line repeated on later pages
    date_line: str | None = None  # letters: the date under the letterhead
    fax_line: str | None = None
    print_line: str | None = None
    footer: str | None = None


@dataclass
class _Op:
    kind: str  # "text" | "line" | "rect"
    x: float
    y: float
    font: str = ""
    size: float = 0.0
    text: str = ""
    x2: float = 0.0
    y2: float = 0.0


@dataclass
class _Layout:
    style: Style
    pages: list[list[_Op]] = field(default_factory=lambda: [[]])
    texts: list[list[str]] = field(default_factory=lambda: [[]])
    y: float = 0.0
    spec: PageSpec | None = None
    title: str = ""

    @property
    def regular(self) -> str:
        return FONTS[self.style.font][0]

    @property
    def bold(self) -> str:
        return FONTS[self.style.font][1]

    def text(self, x: float, y: float, s: str, font: str, size: float) -> None:
        self.pages[-1].append(_Op("text", x, y, font, size, s))

    def line_text(self, s: str) -> None:
        """Record one line of ground truth (what a reader sees on one line)."""
        self.texts[-1].append(s)

    def new_page(self) -> None:
        self.pages.append([])
        self.texts.append([])


def _wrap(s: str, font: str, size: float, width: float) -> list[str]:
    out: list[str] = []
    for para in s.split("\n"):
        out.extend(simpleSplit(para, font, size, width) or [""])
    return out


def _head(lay: _Layout, spec: PageSpec, title: str, first: bool) -> None:
    st = lay.style
    m = st.margin
    y = PAGE_H - 40
    if spec.fax_line:
        fax = spec.fax_line.replace("{page}", str(len(lay.pages)))
        lay.text(m - 20, PAGE_H - 22, fax, "Courier", 8)
        lay.line_text(fax)
    if not first:
        lay.text(m, y - 10, spec.continuation, lay.regular, st.size - 1)
        lay.line_text(spec.continuation)
        lay.pages[-1].append(_Op("line", m, y - 16, x2=PAGE_W - m, y2=y - 16))
        lay.y = y - 40
        return
    big = st.size + 6
    if st.centered_head or st.layout == "letter":
        w = stringWidth(spec.facility, lay.bold, big)
        lay.text((PAGE_W - w) / 2, y - 14, spec.facility, lay.bold, big)
        lay.line_text(spec.facility)
        yy = y - 30
        for ln in spec.facility_lines:
            w = stringWidth(ln, lay.regular, st.size - 1.5)
            lay.text((PAGE_W - w) / 2, yy, ln, lay.regular, st.size - 1.5)
            lay.line_text(ln)
            yy -= st.size + 1
    else:
        lay.text(m, y - 14, spec.facility, lay.bold, big)
        lay.line_text(spec.facility)
        yy = y - 30
        for ln in spec.facility_lines:
            lay.text(m, yy, ln, lay.regular, st.size - 1.5)
            lay.line_text(ln)
            yy -= st.size + 1
    lay.pages[-1].append(_Op("line", m, yy, x2=PAGE_W - m, y2=yy))
    lay.y = yy - 2 * st.size
    if st.layout == "letter":
        if spec.date_line:
            _para(lay, spec.date_line, lay.regular)
            lay.y -= st.size * 0.8
        for label, value in spec.ident:
            _para(lay, f"{label} {value}", lay.bold)
        lay.y -= st.size * 0.8
        if title:
            _para(lay, title, lay.bold)
        return
    if title:
        tw = stringWidth(title, lay.bold, st.size + 3)
        x = (PAGE_W - tw) / 2 if st.layout == "form" else m
        lay.text(x, lay.y, title, lay.bold, st.size + 3)
        lay.line_text(title)
        lay.y -= 1.8 * st.size
    if st.layout == "form":
        _ident_box(lay, spec)
    else:
        for label, value in spec.ident:
            _para(lay, f"{label} {value}", lay.regular)
        lay.y -= st.size * 0.6


def _ident_box(lay: _Layout, spec: PageSpec) -> None:
    """Form layout: identifiers in a ruled two-column box, as on hospital forms."""
    st = lay.style
    m = st.margin
    colw = (PAGE_W - 2 * m) / 2
    rows = [spec.ident[i : i + 2] for i in range(0, len(spec.ident), 2)]
    h = (st.size + 8) * len(rows)
    top = lay.y + st.size
    lay.pages[-1].append(_Op("rect", m, top - h, x2=PAGE_W - m, y2=top))
    y = top - st.size - 2
    for row in rows:
        parts = []
        for j, (label, value) in enumerate(row):
            x = m + 6 + j * colw
            lay.text(x, y, label, lay.bold, st.size - 1)
            lw = stringWidth(label + " ", lay.bold, st.size - 1)
            lay.text(x + lw, y, value, lay.regular, st.size)
            parts.append(f"{label} {value}")
        lay.line_text("  ".join(parts))
        y -= st.size + 8
    lay.y = top - h - 1.6 * st.size


def _ensure(lay: _Layout, need: float, spec: PageSpec, title: str) -> None:
    if lay.y - need < lay.style.margin + 20:
        lay.new_page()
        _head(lay, spec, title, first=False)


def _para(lay: _Layout, s: str, font: str, size: float | None = None, indent: float = 0) -> None:
    st = lay.style
    size = size or st.size
    width = PAGE_W - 2 * st.margin - indent
    for ln in _wrap(s, font, size, width):
        if lay.y < st.margin + 20 and lay.spec is not None:
            lay.new_page()
            _head(lay, lay.spec, lay.title, first=False)
        lay.text(st.margin + indent, lay.y, ln, font, size)
        lay.line_text(ln)
        lay.y -= size * 1.3


def _fit_widths(natural: list[float], avail: float) -> list[float]:
    """Cap only the widest columns (they wrap), so short columns never run into each other."""
    if sum(natural) <= avail:
        return natural
    lo, hi = 0.0, max(natural)
    for _ in range(30):  # bisect for the cap c with sum(min(w, c)) == avail
        c = (lo + hi) / 2
        if sum(min(w, c) for w in natural) > avail:
            hi = c
        else:
            lo = c
    return [min(w, lo) for w in natural]


def _table(
    lay: _Layout, header: list[str], rows: list[list[str]], spec: PageSpec, title: str
) -> None:
    st = lay.style
    size = st.size - 1
    avail = PAGE_W - 2 * st.margin
    natural = [
        max(stringWidth(str(r[i]), lay.regular, size) for r in [header, *rows]) + 10
        for i in range(len(header))
    ]
    widths = _fit_widths(natural, avail)

    def draw_row(cells: list[str], font: str) -> None:
        wrapped = [
            _wrap(str(c), font, size, max(w - 6, 10)) for c, w in zip(cells, widths, strict=True)
        ]
        nlines = max(len(w) for w in wrapped)
        _ensure(lay, nlines * size * 1.25 + 4, spec, title)
        for k in range(nlines):
            x = st.margin
            parts = []
            for cell_lines, w in zip(wrapped, widths, strict=True):
                if k < len(cell_lines) and cell_lines[k]:
                    lay.text(x, lay.y, cell_lines[k], font, size)
                    parts.append(cell_lines[k])
                x += w
            lay.line_text("  ".join(parts))
            lay.y -= size * 1.25
        lay.y -= 2

    draw_row(header, lay.bold)
    lay.pages[-1].append(
        _Op("line", st.margin, lay.y + size, x2=st.margin + sum(widths), y2=lay.y + size)
    )
    for r in rows:
        draw_row(r, lay.regular)
    lay.y -= st.size * 0.6


def layout(content: Content, spec: PageSpec, style: Style) -> _Layout:
    """Place every block; pages beyond ``MAX_PAGES`` are dropped (with their text)."""
    title = content.title
    lay = _Layout(style, title=title)
    _head(lay, spec, title, first=True)
    lay.spec = spec  # from here on a long paragraph may break onto a new page
    for block in content.blocks:
        kind = block[0]
        if kind == "h":
            _ensure(lay, style.size * 4, spec, title)
            lay.y -= style.size * 0.3
            _para(lay, block[1], lay.bold)
        elif kind == "p":
            n = len(_wrap(block[1], lay.regular, style.size, PAGE_W - 2 * style.margin))
            _ensure(lay, n * style.size * 1.3, spec, title)
            _para(lay, block[1], lay.regular)
            lay.y -= style.size * 0.5
        elif kind == "kv":
            for label, value in block[1]:
                _ensure(lay, style.size * 1.5, spec, title)
                _para(lay, f"{label}: {value}", lay.regular)
            lay.y -= style.size * 0.4
        elif kind == "table":
            _table(lay, block[1], block[2], spec, title)
        elif kind == "sig":
            n = block[1].count("\n") + 1
            _ensure(lay, (n + 3) * style.size * 1.3, spec, title)
            lay.y -= style.size
            for ln in block[1].split("\n"):
                _para(lay, ln, lay.regular)
    del lay.pages[MAX_PAGES:]
    del lay.texts[MAX_PAGES:]
    _footer(lay, spec)
    return lay


def _footer(lay: _Layout, spec: PageSpec) -> None:
    st = lay.style
    n = len(lay.pages)
    for i in range(n):
        lay.pages[i].append(_Op("text", 0, 0))  # placeholder keeps indices simple
        parts = [p for p in (spec.footer, spec.print_line) if p]
        if n > 1:
            parts.append(f"Page {i + 1} of {n}")
        if parts:
            s = "    ".join(parts)
            lay.pages[i][-1] = _Op("text", st.margin, 30, lay.regular, 7.5, s)
            lay.texts[i].append(s)
        else:
            lay.pages[i].pop()


def to_pdf(lay: _Layout) -> bytes:
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=letter, pageCompression=0)
    for ops in lay.pages:
        for op in ops:
            if op.kind == "text":
                c.setFont(op.font, op.size)
                c.drawString(op.x, op.y, op.text)
            elif op.kind == "line":
                c.setLineWidth(0.7)
                c.line(op.x, op.y, op.x2, op.y2)
            elif op.kind == "rect":
                c.setLineWidth(0.8)
                c.rect(op.x, op.y, op.x2 - op.x, op.y2 - op.y)
        c.showPage()
    c.save()
    return buf.getvalue()


def rasterise(pdf: bytes, dpi: int) -> list[Image.Image]:
    """Each PDF page as an 8-bit grey image at ``dpi`` (what a clean 'scan' looks like)."""
    with PDFIUM_LOCK:  # PDFium is not thread-safe (benches render on several threads)
        doc = pdfium.PdfDocument(pdf)
        try:
            out = []
            for i in range(len(doc)):
                page = doc[i]
                bitmap = page.render(scale=dpi / 72, grayscale=True)
                img = bitmap.to_pil().convert("L")
                bitmap.close()
                img.info["dpi"] = (dpi, dpi)
                out.append(img)
                page.close()
            return out
        finally:
            doc.close()


def page_texts(lay: _Layout) -> list[str]:
    return ["\n".join(t) for t in lay.texts]
