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


# ---------------------------------------------------------------------------------------------
# Mail-quality profiles (issue 10, class 5): what arrives besides office scans and clean faxes.

MAIL_QUALITIES = ("scan", "photo", "photocopy", "turned", "fax_lowres", "speckle")


def _grey(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.float32)


def _from(a: np.ndarray) -> Image.Image:
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")


def _perspective_coeffs(src: list[tuple[float, float]], dst: list[tuple[float, float]]) -> list:
    """Coefficients for ``Image.transform(PERSPECTIVE)`` mapping output corners ``dst`` to
    input corners ``src`` (PIL asks for the inverse map)."""
    rows = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array([c for pt in src for c in pt], dtype=np.float64)
    return np.linalg.solve(a, b).tolist()


def phone_photo(img: Image.Image, rng: random.Random, dpi: int = 200) -> Image.Image:
    """A page photographed with a phone: tilted (perspective), a shadow across it, the desk
    showing at the edges, 150 dpi, saved as a low-quality JPEG."""
    src = img.convert("L")
    w, h = src.size
    j = 0.045

    def jit(x: float, y: float) -> tuple[float, float]:
        return (x + rng.uniform(-j, j) * w, y + rng.uniform(-j, j) * h)

    # The page's corners land somewhere inside the photo; the rest is desk.
    dst = [jit(0.03 * w, 0.03 * h), jit(0.97 * w, 0.03 * h), jit(0.97 * w, 0.97 * h)]
    dst.append(jit(0.03 * w, 0.97 * h))
    src_pts = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    coeffs = _perspective_coeffs(src_pts, dst)
    desk = rng.randrange(60, 120)
    out = src.transform(
        (w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR, fillcolor=desk
    )
    a = _grey(out)
    # A soft shadow from one side or corner (the hand or the phone over the page).
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = rng.choice(((0, 0), (w, 0), (0, h), (w, h), (w / 2, 0), (0, h / 2)))
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / max(w, h)
    shadow = np.clip(1.0 - dist / rng.uniform(0.5, 0.9), 0, 1) * rng.uniform(45, 85)
    a = a * rng.uniform(0.85, 0.95) + rng.uniform(0, 10) - shadow
    a = _noise(a, rng, rng.uniform(3, 7))
    out = _from(a).filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.9)))
    out = out.resize((round(w * 150 / dpi), round(h * 150 / dpi)), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=rng.randrange(30, 60))
    out = Image.open(io.BytesIO(buf.getvalue())).convert("L")
    out.info["dpi"] = (150.0, 150.0)
    return out


def photocopy(img: Image.Image, rng: random.Random, dpi: int = 200) -> Image.Image:
    """A copy of a copy: grey ink on grey paper (low contrast), a faint toner streak."""
    a = _grey(_skew(img.convert("L"), rng.uniform(-1.2, 1.2)))
    paper = rng.uniform(205, 230)
    ink = rng.uniform(95, 140)
    a = ink + (a / 255.0) * (paper - ink)
    w = a.shape[1]
    x = rng.randrange(w // 8, w - w // 8)
    a[:, x : x + rng.randrange(3, 12)] -= rng.uniform(10, 25)
    a = _noise(a, rng, rng.uniform(4, 8))
    out = _from(a).filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 0.9)))
    out.info["dpi"] = (float(dpi), float(dpi))
    return out


def turned(img: Image.Image, rng: random.Random, dpi: int = 200) -> Image.Image:
    """Fed sideways or upside down (90, 180 or 270 degrees) and a few degrees crooked."""
    out = _skew(img.convert("L"), rng.uniform(-4.0, 4.0))
    out = out.rotate(rng.choice((90, 180, 270)), expand=True)
    a = _noise(_grey(out) * 0.95 + 6, rng, rng.uniform(3, 6))
    out = _from(a)
    out.info["dpi"] = (float(dpi), float(dpi))
    return out


def fax_lowres(img: Image.Image, rng: random.Random, dpi: int = 200) -> Image.Image:
    """A "standard" fax: 204 x 98 dpi (half the vertical lines of a fine fax), bilevel."""
    src = _skew(img.convert("L"), rng.uniform(-1.0, 1.0))
    w, h = src.size
    out = src.resize((round(w * 204 / dpi), round(h * 98 / dpi)), Image.Resampling.BILINEAR)
    a = _noise(_grey(out), rng, rng.uniform(8, 18))
    a = np.where(a > rng.uniform(140, 180), 255.0, 0.0)
    a = _speckle(a, rng, rng.uniform(0.0003, 0.001), 0.0)
    out = Image.fromarray(a.astype(np.uint8), "L").convert("1", dither=Image.Dither.NONE)
    out.info["dpi"] = (204.0, 98.0)
    return out


def speckled(img: Image.Image, rng: random.Random, dpi: int = 200) -> Image.Image:
    """A dirty glass or a noisy line: dark specks all over a slightly crooked scan."""
    a = _grey(_skew(img.convert("L"), rng.uniform(-2.0, 2.0)))
    a = _noise(a, rng, rng.uniform(4, 8))
    a = _speckle(a, rng, rng.uniform(0.002, 0.005), rng.uniform(0, 60))
    out = _from(a)
    out.info["dpi"] = (float(dpi), float(dpi))
    return out


def mail_quality(img: Image.Image, rng: random.Random, quality: str, dpi: int = 200) -> Image.Image:
    """``img`` as it arrives in one of ``MAIL_QUALITIES`` ("scan": an ordinary office scan)."""
    if quality == "scan":
        return degrade(img, rng, "office", dpi=dpi)
    fn = {
        "photo": phone_photo,
        "photocopy": photocopy,
        "turned": turned,
        "fax_lowres": fax_lowres,
        "speckle": speckled,
    }.get(quality)
    if fn is None:
        raise ValueError(f"unknown mail quality {quality!r}; expected one of {MAIL_QUALITIES}")
    return fn(img, rng, dpi)
