"""A minimal PDF writer that streams: each object goes to the file as soon as it is made.

Why not ReportLab's canvas for the whole packet: the canvas keeps every page and every image
stream in memory until `save()`, so a 2,000-page release for a lawsuit would be held whole in
RAM. Here an image is read, written and dropped before the next one is read; only the byte
offsets of the objects (a few bytes each) stay. Text is drawn with the program's embedded
Unicode fonts (`common/pdftext.py`: DejaVu Sans, with a CJK fallback per run), so a name
prints as written and stays extractable; the font subsets are written at `close()`, once
every page's text is known.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import BinaryIO

from clinicrecords.common import pdftext


@dataclass(frozen=True, slots=True)
class ImageXObject:
    """An image ready for the PDF: its dictionary entries and its (still encoded) data."""

    width: int
    height: int
    entries: str  # e.g. "/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode"
    data: bytes
    smask: ImageXObject | None = None


def pdf_string(text: str) -> bytes:
    """A PDF text string for the document information (title): UTF-16 with its byte-order
    mark, so any name in a title is kept as written."""
    return b"<FEFF" + pdftext.prepare(text).encode("utf-16-be").hex().upper().encode() + b">"


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
        self.fonts = pdftext.StreamFonts()
        self._font_objects: dict[str, int] = {}  # resource name -> object, written at close()
        self._gstate = self._alloc()
        self._write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
        # A light, see-through state for the recipient watermark.
        self._object(self._gstate, b"<< /Type /ExtGState /ca 0.18 /CA 0.18 >>")

    @property
    def page_count(self) -> int:
        return len(self._kids)

    def text(self, x: float, y: float, text: str, size: float, bold: bool = False) -> bytes:
        """Content operators drawing one line of text with its left end at (x, y)."""
        return b"BT 1 0 0 1 %.2f %.2f Tm " % (x, y) + self.fonts.show(text, size, bold) + b"ET\n"

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
        for name in self.fonts.resources():
            if name not in self._font_objects:
                self._font_objects[name] = self._alloc()
        fonts = " ".join(f"/{name} {num} 0 R" for name, num in self._font_objects.items())
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

    def _write_fonts(self) -> None:
        for font in self.fonts.subsets():
            num = self._font_objects.get(font.resource)
            if num is None:
                continue  # text measured or shown but never put on a page
            file_num, cmap_num, desc_num = self._alloc(), self._alloc(), self._alloc()
            self._object(
                file_num,
                b"<< /Filter /FlateDecode /Length1 %d >>" % len(font.font_file),
                zlib.compress(font.font_file, 6),
            )
            self._object(cmap_num, b"<< /Filter /FlateDecode >>", font.to_unicode)
            entries = " ".join(f"/{k} {v}" for k, v in font.descriptor.items())
            self._object(
                desc_num,
                f"<< /Type /FontDescriptor {entries} /FontFile2 {file_num} 0 R >>".encode(),
            )
            widths = " ".join(str(w) for w in font.widths)
            self._object(
                num,
                (
                    f"<< /Type /Font /Subtype /TrueType /BaseFont /{font.base_font} "
                    f"/FirstChar 0 /LastChar {len(font.widths) - 1} /Widths [{widths}] "
                    f"/FontDescriptor {desc_num} 0 R /ToUnicode {cmap_num} 0 R >>"
                ).encode(),
            )

    def close(self) -> None:
        """Write the font subsets, page tree, catalog, cross-reference table and trailer."""
        self._write_fonts()
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
