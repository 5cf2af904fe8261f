"""Synthetic scanned pages for the scan tests: ReportLab draws, pypdfium2 rasterises, pillow
skews and adds noise. All names and numbers are fictional."""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas


def _samples_dir() -> Path:
    """shared/ stands beside the repository (as CI checks it out), else at /work/shared."""
    beside = Path(__file__).resolve().parents[2] / "shared" / "samples" / "thirdparty"
    return beside if beside.exists() else Path("/work/shared/samples/thirdparty")


SAMPLES = _samples_dir()

HEADER_LINES = [
    "Maple Street Family Clinic",
    "PROGRESS NOTE",
    "Patient: Quincy Albermarle",
    "DOB: 03/14/1967   MRN: 00012344",
    "Visit date: 2024-05-02",
]
BODY_LINES = [
    "Subjective: follow-up for seasonal allergies; no fever, no cough.",
    "Objective: BP 122/78, pulse 70, temperature 36.8 C, lungs clear.",
    "Assessment: allergic rhinitis, well controlled on current regimen.",
    "Plan: continue loratadine 10 mg daily; return in six months.",
]


def page_pdf(
    lines: Sequence[str] = (*HEADER_LINES, "", *BODY_LINES),
    *,
    font_size: float = 12,
    gray: float = 0.0,
    pages: int = 1,
) -> bytes:
    """A letter-size text PDF; ``gray`` 0 is black ink, 0.8 is very faint."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    for n in range(pages):
        c.setFillGray(gray)
        y = letter[1] - 72
        for i, line in enumerate(lines):
            size = font_size * (1.4 if i == 0 else 1)
            c.setFont("Helvetica-Bold" if i < 2 else "Helvetica", size)
            if line:
                c.drawString(72, y, line if pages == 1 else f"{line}")
            y -= size * 1.6
        if pages > 1:
            c.setFont("Helvetica", 10)
            c.drawString(72, 40, f"Page {n + 1} of {pages}")
        c.showPage()
    c.save()
    return buf.getvalue()


def rasterise(pdf: bytes, dpi: int = 300, page: int = 0) -> Image.Image:
    doc = pdfium.PdfDocument(pdf)
    try:
        img = doc[page].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    img.info["dpi"] = (dpi, dpi)
    return img


def scanned_page(
    lines: Sequence[str] = (*HEADER_LINES, "", *BODY_LINES),
    **kwargs: float,
) -> Image.Image:
    """A page as a scanner would deliver it (see ``_scanned_page``); cached, returned as a copy
    because rendering and noising a 300-dpi page costs most of a second."""
    img = _scanned_page(tuple(lines), **kwargs)
    out = img.copy()
    out.info = dict(img.info)
    return out


@functools.lru_cache(maxsize=32)
def _scanned_page(
    lines: tuple[str, ...],
    *,
    dpi: int = 300,
    skew: float = 0.0,
    noise: float = 0.0,
    gray: float = 0.0,
    seed: int = 7,
) -> Image.Image:
    """A page as a scanner would deliver it: rotated by ``skew`` degrees (counter-clockwise),
    with Gaussian noise of sigma ``noise`` grey levels and a slightly off-white paper."""
    img = rasterise(page_pdf(lines, gray=gray), dpi)
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if noise:
        img = add_noise(img, noise, seed)
    img.info["dpi"] = (dpi, dpi)
    return img


@functools.lru_cache(maxsize=8)
def _blank_scan(dpi: int, noise: float, specks: int, seed: int) -> Image.Image:
    """A blank sheet through a scanner: off-white, noisy, a few dust specks, a shadowed edge."""
    w, h = int(8.5 * dpi), 11 * dpi
    img = Image.new("L", (w, h), 244)
    rnd = random.Random(seed)
    px = img.load()
    for _ in range(specks):
        x, y = rnd.randrange(w - 3), rnd.randrange(h - 3)
        for dx in range(2):
            for dy in range(2):
                px[x + dx, y + dy] = 90
    # dark strip along the left edge, as a lid shadow makes
    img.paste(120, (0, 0, max(2, dpi // 30), h))
    img = add_noise(img, noise, seed)
    img.info["dpi"] = (dpi, dpi)
    return img


def blank_scan(dpi: int = 300, noise: float = 4.0, specks: int = 30, seed: int = 3) -> Image.Image:
    img = _blank_scan(dpi, noise, specks, seed)
    out = img.copy()
    out.info = dict(img.info)
    return out


def add_noise(img: Image.Image, sigma: float, seed: int = 7) -> Image.Image:
    import numpy as np

    rng = np.random.default_rng(seed)
    arr = np.asarray(img, dtype=np.float32)
    arr = arr - 8 + rng.normal(0, sigma, arr.shape)  # off-white paper plus sensor noise
    out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    out.info["dpi"] = img.info.get("dpi", (300, 300))
    return out


def blur(img: Image.Image, radius: float = 0.6) -> Image.Image:
    out = img.filter(ImageFilter.GaussianBlur(radius))
    out.info["dpi"] = img.info.get("dpi", (300, 300))
    return out


def save_tiff(path: Path, pages: Sequence[Image.Image], *, compression: str = "group4", dpi=300):
    imgs = [p.convert("1") if compression in ("group3", "group4") else p for p in pages]
    imgs[0].save(
        path, save_all=True, append_images=list(imgs[1:]), compression=compression, dpi=(dpi, dpi)
    )
    return path
