"""Make clean renders look scanned or faxed, and make the blank pages separators produce.

Cleanup and OCR are measured on these, so each profile mimics one real source: an office
MFP ("office": slight skew, mild blur and noise), a fax ("fax": 204x196 dpi, bilevel,
speckle, a header line), and a tired scanner or a phone photo saved as JPEG ("bad").
"""

from __future__ import annotations

import io
import random
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PROFILES = ("clean", "office", "fax", "bad")
_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def _rng(rng_or_seed: random.Random | int) -> random.Random:
    return rng_or_seed if isinstance(rng_or_seed, random.Random) else random.Random(rng_or_seed)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for p in _FONT_PATHS:
        if Path(p).exists():
            return ImageFont.truetype(p, size)
    return ImageFont.load_default(size=size)


_NOISE: np.ndarray | None = None


def _noise_field(size: int) -> np.ndarray:
    """A slice of one cached field of unit Gaussian noise, at a random offset.

    Drawing millions of fresh normals per page was the slowest step of corpus writing;
    a shifted window of one large field looks the same to OCR and cleanup.
    """
    global _NOISE
    if _NOISE is None or _NOISE.size < size * 2:
        n = max(size * 2, 1 << 23)
        _NOISE = np.random.default_rng(12345).standard_normal(n, dtype=np.float32)
    return _NOISE


def _noise(a: np.ndarray, rng: random.Random, sigma: float) -> np.ndarray:
    field = _noise_field(a.size)
    off = rng.randrange(field.size - a.size)
    return a + field[off : off + a.size].reshape(a.shape) * np.float32(sigma)


def _speckle(a: np.ndarray, rng: random.Random, rate: float, value: float) -> np.ndarray:
    gen = np.random.default_rng(rng.getrandbits(32))
    n = int(a.size * rate)
    flat = a.reshape(-1)
    flat[gen.integers(0, a.size, n)] = value
    return a


def _skew(img: Image.Image, degrees: float) -> Image.Image:
    # Page keeps its size, as a scanner's does; corners fill with paper white.
    return img.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)


def _dpi(img: Image.Image, default: int) -> tuple[float, float]:
    d = img.info.get("dpi")
    return (float(d[0]), float(d[1])) if d else (float(default), float(default))


def fax_header_line(
    when: date, page: int, pages: int, sender: str = "FAX", rng_or_seed: random.Random | int = 0
) -> str:
    """The line a fax machine prints along the top edge (its date is not the document's)."""
    rng = _rng(rng_or_seed)
    return (
        f"{when.strftime('%b %d %Y')} {rng.randrange(7, 19):02d}:{rng.randrange(60):02d}  "
        f"{sender[:24]}  (555) 01{rng.randrange(10)}-{rng.randrange(10000):04d}  "
        f"P. {page:03d}/{pages:03d}"
    )


def degrade(
    img: Image.Image,
    rng_or_seed: random.Random | int,
    profile: str,
    *,
    rotate_upside_down: bool = False,
    fax_header: str | None = None,
    dpi: int = 200,
) -> Image.Image:
    """Return a degraded copy of ``img`` (mode "L"; mode "1" for the "fax" profile).

    ``fax_header`` is drawn on top of a "fax" page when given (callers that label fax dates
    pass one built with ``fax_header_line``). ``dpi`` is the source resolution when the image
    does not carry one; the result's ``info["dpi"]`` is set.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {PROFILES}")
    rng = _rng(rng_or_seed)
    src = img.convert("L")
    xdpi, ydpi = _dpi(img, dpi)
    out_dpi = (xdpi, ydpi)
    if profile == "clean":
        out = src.copy()
    elif profile == "office":
        out = _skew(src, rng.uniform(-1.5, 1.5))
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
        a = np.asarray(out, dtype=np.float32)
        a = a * rng.uniform(0.92, 0.98) + rng.uniform(4, 12)  # paper slightly grey, ink not black
        a = _noise(a, rng, rng.uniform(3, 7))
        out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    elif profile == "fax":
        w, h = src.size
        out_dpi = (204.0, 196.0)
        out = _skew(src, rng.uniform(-0.8, 0.8))
        out = out.resize((round(w * 204 / xdpi), round(h * 196 / ydpi)), Image.Resampling.BILINEAR)
        if fax_header:
            draw = ImageDraw.Draw(out)
            draw.rectangle((0, 0, out.width, 34), fill=255)
            draw.text((20, 6), fax_header, fill=0, font=_font(22))
        a = np.asarray(out, dtype=np.float32)
        a = _noise(a, rng, rng.uniform(10, 25))
        threshold = rng.uniform(150, 190)
        a = np.where(a > threshold, 255.0, 0.0)
        a = _speckle(a, rng, rng.uniform(0.0003, 0.0015), 0.0)
        out = Image.fromarray(a.astype(np.uint8), "L").convert("1", dither=Image.Dither.NONE)
    else:  # bad
        out = _skew(src, rng.uniform(-3.0, 3.0))
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.4)))
        a = np.asarray(out, dtype=np.float32)
        h, w = a.shape
        # Uneven lighting: a soft gradient across the page, as from a lid left open.
        grad = np.linspace(0, rng.uniform(20, 50), w, dtype=np.float32)[None, :]
        a = a * rng.uniform(0.8, 0.9) + rng.uniform(15, 30) - grad
        a = _noise(a, rng, rng.uniform(10, 18))
        a = _speckle(a, rng, 0.0005, 40.0)
        out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
        buf = io.BytesIO()
        out.save(buf, "JPEG", quality=rng.randrange(18, 36))
        out = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    if rotate_upside_down:
        out = out.transpose(Image.Transpose.ROTATE_180)
    out.info["dpi"] = out_dpi
    return out


def blank_page(
    size: tuple[int, int] = (1700, 2200),
    faint: bool = False,
    rng_or_seed: random.Random | int = 0,
    dpi: int = 200,
) -> Image.Image:
    """A scanned blank page (paper noise and dust only) or a *faint* page.

    The faint page carries a few lines of very light text (grey ~200 on ~240 paper), like a
    pale carbon copy or a nearly empty toner cartridge: blank-page detection must keep it.
    """
    rng = _rng(rng_or_seed)
    w, h = size
    paper = rng.uniform(236, 248)
    base = np.full((h, w), paper, dtype=np.float32)
    a = _noise(base, rng, rng.uniform(2.0, 4.0))
    a = _speckle(a, rng, rng.uniform(0.00002, 0.0001), rng.uniform(90, 160))
    img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    if faint:
        draw = ImageDraw.Draw(img)
        font = _font(max(14, int(h / 80)))
        tone = int(paper - rng.uniform(30, 48))  # ~200 on ~240: pale, but text
        lines = (
            "Copy of record - received and filed",
            "Please retain this page with the attached document.",
            "Reviewed by front desk staff.",
        )
        y = int(h * rng.uniform(0.12, 0.3))
        for ln in lines[: rng.randrange(1, 4)]:
            draw.text((int(w * 0.1), y), ln, fill=tone, font=font)
            y += int(font.size * 1.6) if hasattr(font, "size") else 24
    img.info["dpi"] = (dpi, dpi)
    return img
