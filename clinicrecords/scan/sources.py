"""Where pages come from: imported files (here) and scanners (``sane``, ``wia``).

``load_pages(path)`` checks a file by its bytes, not its name, refuses what cannot be read
with one sentence (``BadInput``), and hands out pages one at a time so a 500-page fax TIFF
never sits in memory at once. A damaged page inside a good file comes out as a
``SourcePage`` with a ``problem`` and the other pages still come out: a record must not lose
ninety-nine pages because the hundredth is broken.

Pages are PIL images in mode "1", "L" or "RGB" with ``info["dpi"]`` set (from the file, or
guessed from the page size when the file has none) and square pixels (fax "normal" mode
204 x 98 dpi is stretched to 204 x 204).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from clinicrecords.common.errors import BadInput
from clinicrecords.scan import limits
from clinicrecords.scan.pdfpages import PdfPages, file_called

log = logging.getLogger(__name__)

PDF = "application/pdf"
TIFF = "image/tiff"
JPEG = "image/jpeg"
PNG = "image/png"
EMPTY = "application/x-empty"
UNKNOWN = "application/octet-stream"

_COMMON_DPI = (100, 150, 200, 240, 300, 400, 600)
# A recorded resolution that makes the page's short side longer than this is not believed.
MAX_SHORT_SIDE_INCHES = 24.0


@dataclass(frozen=True, slots=True)
class InMemoryFile:
    """A file's bytes and its name: how a file already in the encrypted store is re-read, so
    that no decrypted copy of it is ever written to disk. ``label`` (e.g. ``file 2 of 3
    (batch 17)``) names it in error sentences instead of its name, which may be a patient's."""

    data: bytes
    name: str
    label: str = ""


def _head(path: str | Path | InMemoryFile) -> bytes:
    if isinstance(path, InMemoryFile):
        return path.data[:1024]
    with open(path, "rb") as fh:
        return fh.read(1024)


def sniff(path: str | Path | InMemoryFile) -> str:
    """Media type from the first bytes of the file (a ``.jpg`` that is a PDF is a PDF)."""
    head = _head(path)
    if not head:
        return EMPTY
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if b"%PDF-" in head:  # the PDF standard allows bytes before the header
        return PDF
    return UNKNOWN


@dataclass(slots=True)
class SourcePage:
    number: int  # 1-based page number inside the file
    image: Image.Image | None  # None when the page could not be read (see problem)
    dpi: float = 0.0
    dpi_guessed: bool = False
    text: str | None = None  # a PDF's own text layer, when it has one
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class PageProblem:
    number: int
    message: str


def guess_dpi(width: int, height: int) -> float:
    """Resolution of a page with none recorded, assuming it is letter or A4 paper."""
    short = min(width, height)
    raw = short / 8.5
    return float(min(_COMMON_DPI, key=lambda d: abs(d - raw)))


def _plausible(dpi: object) -> tuple[float, float] | None:
    try:
        x, y = (float(v) for v in dpi)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    lo, hi = limits.PLAUSIBLE_DPI
    return (x, y) if lo <= x <= hi and lo <= y <= hi else None


def _usable(img: Image.Image) -> Image.Image:
    """Mode "1", "L" or "RGB". Transparent areas become white paper, not black."""
    if img.mode in ("1", "L", "RGB"):
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        return img.point(lambda v: v / 256).convert("L")  # 16-bit grey scans
    if "A" in img.mode or "a" in img.mode or "transparency" in img.info:
        rgba = img.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("RGB")
    return img.convert("RGB")


def _square(img: Image.Image, dpi: tuple[float, float]) -> tuple[Image.Image, float]:
    """Make pixels square (fax normal mode is 204 x 98 dpi) by stretching the coarse axis."""
    x, y = dpi
    if abs(x - y) <= 0.02 * max(x, y):
        return img, x
    target = max(x, y)
    size = (round(img.width * target / x), round(img.height * target / y))
    mode = img.mode
    work = img.convert("L") if mode == "1" else img
    return work.resize(size, Image.Resampling.BILINEAR), target


def _check_pixels(path: Any, width: int, height: int, number: int | None = None) -> None:
    """Refuse a page by the size its header claims, before a pixel is decoded."""
    if width <= 0 or height <= 0:
        raise BadInput(f"{file_called(path, True)} has a page with no pixels.")
    if width * height > limits.MAX_PAGE_PIXELS:
        where = f"Page {number} of {file_called(path)}" if number else file_called(path, True)
        mp = limits.MAX_PAGE_PIXELS // 1_000_000
        raise BadInput(
            f"{where} is {width} x {height} pixels, larger than the {mp} megapixels a page may be."
        )


class LoadedFile:
    """An imported file opened for reading its pages in order.

    ``page_count`` is known up front (PDF, TIFF, JPEG, PNG all tell it cheaply).
    ``iter_source_pages()`` gives every page, damaged ones with a ``problem``;
    ``iter_pages()`` gives only the good pages' images and records the rest in ``problems``.
    Use as a context manager, or call ``close()``.
    """

    def __init__(self, path: Path | InMemoryFile, media_type: str) -> None:
        self.path = path
        self.media_type = media_type
        self.problems: list[PageProblem] = []
        self._pdf: PdfPages | None = None
        self._img: Image.Image | None = None
        self._first: SourcePage | None = None
        if media_type == PDF:
            self._pdf = PdfPages(path)
            self.page_count = len(self._pdf)
        else:
            self._open_image()

    def _open_image(self) -> None:
        name = file_called(self.path, True)
        try:
            with warnings.catch_warnings():
                # Our own limit below decides; Pillow's warning band (89-179 MP) is noise here.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                img = Image.open(
                    io.BytesIO(self.path.data) if isinstance(self.path, InMemoryFile) else self.path
                )
        except Image.DecompressionBombError:
            mp = limits.MAX_PAGE_PIXELS // 1_000_000
            raise BadInput(f"{name} is larger than the {mp} megapixels a page may be.") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise BadInput(f"{name} is damaged or is not a picture the program can read.") from None
        self._img = img
        try:
            count = getattr(img, "n_frames", 1) if self.media_type == TIFF else 1
        except (OSError, ValueError, SyntaxError, EOFError):
            self.close()
            raise BadInput(f"{name} is damaged: its pages cannot be counted.") from None
        except BadInput:
            self.close()
            raise
        if count > limits.MAX_PAGES_PER_FILE:
            self.close()
            raise BadInput(
                f"{name} has {count} pages, more than the {limits.MAX_PAGES_PER_FILE} "
                "one file may have; split it and import the parts."
            )
        self.page_count = count
        if count == 1:
            # One page: decode it now, so a truncated picture is refused at import time
            # with the file's name, not later half-way through the pipeline.
            first = self._frame(0)
            if first.image is None:
                self.close()
                raise BadInput(first.problem or f"{name} could not be read.")
            self._first = first

    def _frame(self, index: int) -> SourcePage:
        assert self._img is not None
        number = index + 1
        try:
            if self._img.tell() != index:
                self._img.seek(index)
            frame = self._img
            _check_pixels(self.path, *frame.size, number if self.page_count > 1 else None)
            dpi = _plausible(frame.info.get("dpi"))
            frame.load()
            img = _usable(frame)
            if self.media_type == JPEG:
                # Phone photos store "which way is up" in EXIF instead of turning the pixels.
                img = ImageOps.exif_transpose(img)
            if img is frame:
                img = frame.copy()  # detach from the file so the next seek cannot change it
        except BadInput as exc:
            return SourcePage(number, None, problem=exc.message)
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
            log.warning("page %d of an imported image is damaged: %s", number, type(exc).__name__)
            what = (
                f"Page {number} of {file_called(self.path)}"
                if self.page_count != 1
                else file_called(self.path, True)
            )
            return SourcePage(number, None, problem=f"{what} is damaged or cut short.")
        if dpi is not None and min(img.size) / min(dpi) > MAX_SHORT_SIDE_INCHES:
            dpi = None  # "72 dpi" on a 4000-pixel phone photo: a default, not a measurement
        guessed = dpi is None
        if dpi is None:
            g = guess_dpi(*img.size)
            dpi = (g, g)
        img, square = _square(img, dpi)
        img.info["dpi"] = (square, square)
        return SourcePage(number, img, dpi=square, dpi_guessed=guessed)

    def iter_source_pages(self) -> Iterator[SourcePage]:
        """Every page in order; a damaged page has ``image=None`` and a ``problem``."""
        if self._pdf is not None:
            for p in self._pdf:
                if p.image is None and self.page_count == 1:
                    raise BadInput(
                        f"{file_called(self.path, True)} is damaged: its only page cannot be drawn."
                    )
                yield SourcePage(p.number, p.image, p.dpi, False, p.text, p.problem)
            return
        if self._first is not None:
            first, self._first = self._first, None
            yield first
            return
        for index in range(self.page_count):
            yield self._frame(index)

    def iter_pages(self) -> Iterator[Image.Image]:
        """The good pages' images, in order; damaged pages are listed in ``problems``."""
        for page in self.iter_source_pages():
            if page.image is None:
                self.problems.append(PageProblem(page.number, page.problem or "unreadable"))
                continue
            yield page.image

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None
        if self._img is not None:
            self._img.close()
            self._img = None

    def __enter__(self) -> LoadedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_pages(path: str | Path | InMemoryFile) -> LoadedFile:
    """Open an imported file for reading its pages; ``BadInput`` if it cannot be read at all."""
    if not isinstance(path, InMemoryFile):
        path = Path(path)
    name = file_called(path, True)
    try:
        media_type = sniff(path)
    except IsADirectoryError:
        raise BadInput(f"{name} is a folder, not a file.") from None
    except FileNotFoundError:
        raise BadInput(f"{name} does not exist (any more).") from None
    except OSError:
        raise BadInput(f"{name} cannot be opened for reading.") from None
    if media_type == EMPTY:
        raise BadInput(f"{name} is empty (0 bytes); the scan or copy may not have finished.")
    if media_type == UNKNOWN:
        raise BadInput(f"{name} is not a PDF, TIFF, JPEG or PNG file.")
    return LoadedFile(path, media_type)


# -- scanners ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScannerDevice:
    name: str  # the backend's device id, e.g. "test:0", "airscan:e0:Office", a WIA DeviceID
    vendor: str = ""
    model: str = ""
    kind: str = ""  # "flatbed scanner", "virtual device", ...
    backend: str = ""  # "sane" or "wia"
    sources: tuple[str, ...] = field(default_factory=tuple)  # "Flatbed", "ADF", ... if known

    @property
    def label(self) -> str:
        return " ".join(p for p in (self.vendor, self.model) if p) or self.name


class ScannerSource(Protocol):
    """A way of driving scanners (SANE, WIA). Scanned pages land as numbered image files in
    ``out_dir`` and are then imported like any other file."""

    def available(self) -> bool: ...

    def list_devices(self) -> list[ScannerDevice]: ...

    def scan(
        self,
        device: ScannerDevice | str,
        *,
        out_dir: Path,
        dpi: int = 300,
        mode: str = "Gray",
        source: str | None = None,
        batch: bool = True,
    ) -> list[Path]: ...


class ModuleScannerSource:
    """A ``ScannerSource`` over a driver module that offers ``available``, ``list_devices``
    and ``scan`` as functions (``scan.sane``, ``scan.wia``)."""

    module: Any = None

    def available(self) -> bool:
        return bool(self.module.available())

    def list_devices(self) -> list[ScannerDevice]:
        return list(self.module.list_devices())

    def scan(
        self,
        device: ScannerDevice | str,
        *,
        out_dir: Path,
        dpi: int = 300,
        mode: str = "Gray",
        source: str | None = None,
        batch: bool = True,
    ) -> list[Path]:
        return list(
            self.module.scan(
                device, out_dir=out_dir, dpi=dpi, mode=mode, source=source, batch=batch
            )
        )
