"""Write page images the way scanners and fax servers do: image-only PDF, multi-page TIFF,
single-page PNG/JPEG. The importer must accept all of them, so the corpus uses all of them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

_BILEVEL = {"group3", "group4"}
_EPOCH = time.gmtime(1_735_689_600)  # 2025-01-01; Pillow wants a struct_time


def _dpi(img: Image.Image, default: int) -> tuple[float, float]:
    d = img.info.get("dpi")
    return (float(d[0]), float(d[1])) if d else (float(default), float(default))


def write_pdf(images: Sequence[Image.Image], path: str | Path, dpi: int = 200) -> Path:
    """Image-only PDF (no text layer), one page per image, page size from the image's dpi.

    Pillow writes bilevel pages CCITT-compressed and grey pages as JPEG/Flate, which is what
    scanner PDFs contain.
    """
    if not images:
        raise ValueError("write_pdf needs at least one image")
    path = Path(path)
    first, *rest = [im if im.mode in ("1", "L", "RGB") else im.convert("L") for im in images]
    # Pillow takes one resolution for the whole file; fax pages (204x196) use the x value.
    res = _dpi(first, dpi)[0]
    # Fixed dates keep the bytes a function of the pages alone (reproducible corpora).
    first.save(
        path,
        "PDF",
        save_all=True,
        append_images=rest,
        resolution=res,
        creationDate=_EPOCH,
        modDate=_EPOCH,
        producer="ClinicRecords synthetic",
        title="Scanned document",
    )
    return path


def write_tiff(
    images: Sequence[Image.Image], path: str | Path, compression: str = "group4", dpi: int = 200
) -> Path:
    """Multi-page TIFF; group3/group4 pages are made bilevel first (CCITT needs mode "1")."""
    if not images:
        raise ValueError("write_tiff needs at least one image")
    path = Path(path)
    if compression in _BILEVEL:
        pages = [
            im
            if im.mode == "1"
            else im.convert("L").point(lambda v: 255 if v > 160 else 0).convert("1")
            for im in images
        ]
    else:
        pages = [im if im.mode in ("1", "L", "RGB") else im.convert("L") for im in images]
    for src, dst in zip(images, pages, strict=True):
        dst.info["dpi"] = _dpi(src, dpi)
    first, *rest = pages
    first.save(
        path,
        "TIFF",
        save_all=True,
        append_images=rest,
        compression=compression,
        dpi=_dpi(first, dpi),
    )
    return path


def write_png(image: Image.Image, path: str | Path, dpi: int = 200) -> Path:
    path = Path(path)
    image.save(path, "PNG", dpi=_dpi(image, dpi), optimize=False)
    return path


def write_jpeg(image: Image.Image, path: str | Path, quality: int = 85, dpi: int = 200) -> Path:
    path = Path(path)
    im = image.convert("L") if image.mode not in ("L", "RGB") else image
    im.save(path, "JPEG", quality=quality, dpi=_dpi(image, dpi))
    return path
