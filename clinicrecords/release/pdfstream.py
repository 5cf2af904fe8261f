"""A minimal PDF writer that streams: each object goes to the file as soon as it is made.

Why not ReportLab's canvas for the whole packet: the canvas keeps every page and every image
stream in memory until `save()`, so a 2,000-page release for a lawsuit would be held whole in
RAM. Here an image is read, written and dropped before the next one is read; only the byte
offsets of the objects (a few bytes each) stay. ReportLab still supplies the font metrics
(`packet.py` lays out text with it), and the text is drawn with the standard Type 1 fonts,
so it stays extractable.
"""

from __future__ import annotations

import unicodedata
import zlib
from dataclasses import dataclass
from typing import BinaryIO

FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold"}


@dataclass(frozen=True, slots=True)
class ImageXObject:
    """An image ready for the PDF: its dictionary entries and its (still encoded) data."""

    width: int
    height: int
    entries: str  # e.g. "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode"
    data: bytes
    smask: ImageXObject | None = None


_NO_DECOMPOSITION = str.maketrans(
    {
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ħ": "H",
        "ħ": "h",
        "ı": "i",
        "Ŀ": "L",
        "ŀ": "l",
        "Ŧ": "T",
        "ŧ": "t",
    }
)


def winansi_text(text: str) -> str:
    """Text Helvetica's WinAnsi encoding can show: a character outside it loses its accents
    ("Nguyễn" → "Nguyen", "Łukasz" → "Lukasz") rather than printing as "?" in a legal letter."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch.translate(_NO_DECOMPOSITION))
            kept = "".join(c for c in base if not unicodedata.combining(c))
            try:
                kept.encode("cp1252")
                out.append(kept or "?")
            except UnicodeEncodeError:
                out.append("?")
    return "".join(out)


def pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (what Helvetica understands); see ``winansi_text``."""
    raw = winansi_text(text).encode("cp1252", errors="replace")
    out = raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    out = out.replace(b"\r", b"\\r").replace(b"\n", b"\\n")
    return b"(" + out + b")"


class PdfStreamWriter:
    """Write a PDF object by object; call `close()` to write the page tree and trailer."""

    def __init__(self, fh: BinaryIO, *, title: str = "", compress: bool = True) -> None:
        self._fh = fh
        self._pos = 0
        self._offsets: dict[int, int] = {}
        self._kids: list[int] = []
        self._compress = compress
        self._title = title
        self._next = 1
        self._catalog = self._alloc()
        self._pages = self._alloc()
        self._fonts = {name: self._alloc() for name in FONTS}
        self._gstate = self._alloc()
        self._write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        for name, num in self._fonts.items():
            self._object(
                num,
                f"<< /Type /Font /Subtype /Type1 /BaseFont /{FONTS[name]} "
                "/Encoding /WinAnsiEncoding >>".encode(),
            )
        # A light, see-through state for the recipient watermark.
        self._object(self._gstate, b"<< /Type /ExtGState /ca 0.18 /CA 0.18 >>")

    @property
    def page_count(self) -> int:
        return len(self._kids)

    def _alloc(self) -> int:
        num = self._next
        self._next += 1
        return num

    def _write(self, data: bytes) -> None:
        self._fh.write(data)
        self._pos += len(data)

    def _object(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[num] = self._pos
        self._write(f"{num} 0 obj\n".encode())
        if stream is None:
            self._write(body)
        else:
            self._write(body[:-2] + f" /Length {len(stream)} >>\nstream\n".encode())
            self._write(stream)
            self._write(b"\nendstream")
        self._write(b"\nendobj\n")

    def add_image(self, image: ImageXObject) -> int:
        """Write an image XObject now and return its object number for `add_page`."""
        smask = f" /SMask {self.add_image(image.smask)} 0 R" if image.smask else ""
        num = self._alloc()
        body = (
            f"<< /Type /XObject /Subtype /Image /Width {image.width} /Height {image.height} "
            f"{image.entries}{smask} >>"
        ).encode()
        self._object(num, body, image.data)
        return num

    def add_page(
        self, width: float, height: float, content: bytes, images: dict[str, int] | None = None
    ) -> None:
        """Write one page: its content stream now, its entry in the page tree at `close()`."""
        contents = self._alloc()
        if self._compress:
            self._object(contents, b"<< /Filter /FlateDecode >>", zlib.compress(content, 6))
        else:
            self._object(contents, b"<< >>", content)
        fonts = " ".join(f"/{name} {num} 0 R" for name, num in self._fonts.items())
        xobjects = " ".join(f"/{name} {num} 0 R" for name, num in (images or {}).items())
        page = self._alloc()
        self._object(
            page,
            (
                f"<< /Type /Page /Parent {self._pages} 0 R /MediaBox [0 0 {width:.2f} {height:.2f}] "
                f"/Contents {contents} 0 R /Resources << /Font << {fonts} >> "
                f"/XObject << {xobjects} >> /ExtGState << /GS1 {self._gstate} 0 R >> >> >>"
            ).encode(),
        )
        self._kids.append(page)

    def close(self) -> None:
        """Write the page tree, catalog, cross-reference table and trailer."""
        kids = " ".join(f"{k} 0 R" for k in self._kids)
        self._object(
            self._pages, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._kids)} >>".encode()
        )
        self._object(self._catalog, f"<< /Type /Catalog /Pages {self._pages} 0 R >>".encode())
        info = self._alloc()
        self._object(
            info, b"<< /Producer (ClinicRecords) /Title " + pdf_string(self._title) + b" >>"
        )
        xref_at = self._pos
        size = self._next
        lines = [f"xref\n0 {size}\n0000000000 65535 f \n".encode()]
        for num in range(1, size):
            lines.append(f"{self._offsets[num]:010d} 00000 n \n".encode())
        self._write(b"".join(lines))
        self._write(
            f"trailer\n<< /Size {size} /Root {self._catalog} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{xref_at}\n%%EOF\n".encode()
        )
        self._fh.flush()
