"""Page cleanup before OCR: size/mode normalisation, orientation, deskew, blank flag.

Every step is a pure function on a PIL image so each can be tested and timed on its own;
``clean_page`` runs them in order and records how long each took.

Blank detection only ever *flags* a page for the clerk. Nothing in the program drops a page
because it looks blank: blank-page removal that silently discarded faint pages is a
well-known way to lose part of a record (NAPS2 issue 440, OCRmyPDF issue 12).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from clinicrecords.scan import limits
from clinicrecords.scan.ocr import OcrFailed, run_tesseract

# Tesseract's OSD confidence below which the page is left as it is. Upright text pages
# measured 11-17 (300 and 150 dpi); a page with a few words or a photo gives 0-3 and its
# guess is no better than chance, and a wrong turn costs the clerk more than no turn.
MIN_ORIENTATION_CONFIDENCE = 5.0
OSD_DPI = 150  # measured: half the time of 300 dpi and a higher confidence

# Deskew: search range and precision, in degrees. Feeder scans are rarely off by more than
# 5 degrees; a photo of a page can be worse, but then perspective is the bigger problem.
MAX_SKEW = 10.0
SKEW_STEP_COARSE = 0.5
SKEW_STEP_FINE = 0.05
MIN_SKEW_TO_FIX = 0.15  # below this a rotation costs sharpness and gains nothing
DESKEW_WIDTH = 1000  # the detection copy's width in pixels (~120 dpi for letter)

# Blank detection: share of the content area covered by ink below which a page is flagged.
# One line of 12-point text on a letter page is about 0.07 %; dust and noise after the
# median filter stay under 0.005 %.
BLANK_INK_FRACTION = 0.0003
BLANK_MARGIN = 0.05  # scanner edges, lid shadows and punch holes live here
BLANK_DPI = 100
BLANK_MIN_CONTRAST = 18  # grey levels darker than the paper that count as ink at least


@dataclass(frozen=True, slots=True)
class Orientation:
    rotate: int  # degrees to turn the page clockwise to make it upright: 0, 90, 180, 270
    confidence: float  # Tesseract OSD confidence; 0 when it could not tell


@dataclass(frozen=True, slots=True)
class CleanedPage:
    image: Image.Image
    rotated: int  # degrees turned clockwise
    orientation_confidence: float
    skew: float  # degrees the scan was skewed counter-clockwise (and corrected)
    blank_score: float
    probably_blank: bool
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds


def dpi_of(img: Image.Image) -> float | None:
    """The image's resolution if it is known and plausible, else None."""
    dpi = img.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    lo, hi = limits.PLAUSIBLE_DPI
    return value if lo <= value <= hi else None


def _with_dpi(img: Image.Image, dpi: float | None) -> Image.Image:
    if dpi:
        img.info["dpi"] = (dpi, dpi)
    return img


def _scaled(img: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(img.width * factor)), max(1, round(img.height * factor)))
    return img.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _square_pixels(img: Image.Image, dpi: object) -> Image.Image:
    """A "standard" fax is 204 x 98 dpi: each pixel twice as tall as it is wide, so the text
    is squashed to half height and Tesseract reads it badly. Stretch such pages to square
    pixels at the horizontal resolution (grey, so the stretched strokes stay smooth)."""
    try:
        x, y = float(dpi[0]), float(dpi[1])  # type: ignore[index]
    except (TypeError, ValueError, IndexError):
        return img
    if x <= 0 or y <= 0 or abs(x - y) / max(x, y) < 0.2:
        return img
    size = (img.width, max(1, round(img.height * x / y)))
    return img.resize(size, Image.Resampling.BILINEAR)


def normalize(img: Image.Image, *, max_dpi: float = limits.WORKING_DPI) -> Image.Image:
    """8-bit grayscale at no more than ``max_dpi``: the form every later step expects.

    Colour adds nothing to OCR or barcode reading and triples memory; 600-dpi scans double
    OCR time for no gain. With no usable resolution the page is capped at 14 inches of
    300 dpi on its long side.
    """
    dpi = dpi_of(img)
    out = img.convert("L") if img.mode != "L" else img.copy()
    out = _square_pixels(out, img.info.get("dpi"))
    if dpi and dpi > max_dpi * 1.05:
        out = _scaled(out, max_dpi / dpi)
        dpi = max_dpi
    elif not dpi:
        cap = 14 * max_dpi
        longest = max(out.size)
        if longest > cap:
            out = _scaled(out, cap / longest)
    return _with_dpi(out, dpi)


def orientation(img: Image.Image) -> Orientation:
    """Tesseract OSD (``--psm 0``) on a 150-dpi copy; pages it cannot judge give 0/0."""
    dpi = dpi_of(img) or float(limits.WORKING_DPI)
    work = img.convert("L") if img.mode != "L" else img
    if dpi > OSD_DPI * 1.1:
        work = _scaled(work, OSD_DPI / dpi)
    work = _with_dpi(work if work is not img else work.copy(), min(dpi, OSD_DPI))
    try:
        out = run_tesseract(work, ["--psm", "0"], timeout=60)
    except OcrFailed:
        return Orientation(0, 0.0)  # "too few characters": blank or a picture
    rotate, confidence = 0, 0.0
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Rotate":
            rotate = int(value.strip()) % 360
        elif key.strip() == "Orientation confidence":
            confidence = float(value.strip())
    return Orientation(rotate, confidence)


def detect_orientation(img: Image.Image) -> int:
    """Degrees (clockwise) to turn the page upright; 0 unless Tesseract is confident."""
    found = orientation(img)
    return found.rotate if found.confidence >= MIN_ORIENTATION_CONFIDENCE else 0


def rotate_clockwise(img: Image.Image, degrees: int) -> Image.Image:
    """Turn by a multiple of 90 degrees without resampling."""
    ops = {
        90: Image.Transpose.ROTATE_270,
        180: Image.Transpose.ROTATE_180,
        270: Image.Transpose.ROTATE_90,
    }
    if degrees % 360 == 0:
        return img
    out = img.transpose(ops[degrees % 360])
    out.info = dict(img.info)
    return out


def _ink_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels clearly darker than the paper, with the paper level and noise taken from the page.

    Paper is the 90th percentile grey; noise is the spread (MAD) of the pixels near it. Both
    come from one histogram, which is what keeps this a few milliseconds.
    """
    hist = np.bincount(gray.ravel(), minlength=256).astype(np.float64)
    cdf = np.cumsum(hist) / max(1.0, hist.sum())
    paper = int(np.searchsorted(cdf, 0.90))
    levels = np.arange(256)
    near = hist * (levels >= paper - 40)
    if near.sum() > 0:
        ncdf = np.cumsum(near) / near.sum()
        centre = int(np.searchsorted(ncdf, 0.5))
        dev = np.abs(levels - centre)
        dev_hist = np.bincount(dev, weights=near, minlength=256)
        mad = int(np.searchsorted(np.cumsum(dev_hist) / near.sum(), 0.5))
    else:
        mad = 0
    threshold = paper - max(BLANK_MIN_CONTRAST, 5.0 * 1.4826 * mad)
    return gray < threshold


def _binary_median(mask: np.ndarray) -> np.ndarray:
    """3x3 majority vote: drops isolated specks (dust, noise), keeps strokes. Far faster
    than PIL's MedianFilter on the grey image, and the same on a thresholded one."""
    padded = np.pad(mask.astype(np.uint8), 1)
    h, w = mask.shape
    count = np.zeros((h, w), dtype=np.uint8)
    for dy in range(3):
        for dx in range(3):
            count += padded[dy : dy + h, dx : dx + w]
    return count >= 5


def _skew_score(ys: np.ndarray, xs: np.ndarray, angle: float, height: int) -> float:
    # Shear instead of rotating: for small angles the row a dark pixel lands in after
    # rotation is y - x*tan(angle); text lines give a spiky row profile when aligned.
    rows = np.round(ys - xs * np.tan(np.radians(angle))).astype(np.int64) + height
    profile = np.bincount(rows)
    return float(np.sum(profile.astype(np.float64) ** 2))


def find_skew(img: Image.Image) -> float:
    """Skew in degrees (counter-clockwise positive), by projection profile on a small copy."""
    gray = img.convert("L") if img.mode != "L" else img
    factor = min(1.0, DESKEW_WIDTH / gray.width)
    small = np.asarray(_scaled(gray, factor) if factor < 1.0 else gray)
    ink = _ink_mask(small)
    ys, xs = np.nonzero(ink)
    if ys.size < 200 or ys.size > ink.size * 0.5:
        return 0.0  # blank, or a photo/solid page: no text lines to align
    if ys.size > 60_000:  # enough points for a stable profile; keeps the search < 50 ms
        pick = np.random.default_rng(0).choice(ys.size, 60_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    ys = ys.astype(np.float64)
    xs = xs.astype(np.float64) - small.shape[1] / 2
    height = small.shape[0] * 2

    def best(candidates: np.ndarray) -> float:
        scores = [_skew_score(ys, xs, a, height) for a in candidates]
        return float(candidates[int(np.argmax(scores))])

    coarse = best(np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, SKEW_STEP_COARSE))
    fine = best(
        np.arange(coarse - SKEW_STEP_COARSE, coarse + SKEW_STEP_COARSE + 1e-9, SKEW_STEP_FINE)
    )
    # The shear model measures the tilt of the lines in image coordinates (y down); a page
    # turned counter-clockwise has lines rising to the right, i.e. negative slope here.
    return -round(fine, 2)


def deskew(img: Image.Image) -> tuple[Image.Image, float]:
    """Straighten the page; returns the new image and the skew that was found."""
    angle = find_skew(img)
    if abs(angle) < MIN_SKEW_TO_FIX:
        return img, angle
    fill = 255 if img.mode in ("L", "1") else (255, 255, 255)
    # Bilinear: half the time of bicubic on a 300-dpi page and no measurable OCR difference.
    out = img.rotate(-angle, resample=Image.Resampling.BILINEAR, fillcolor=fill)
    out.info = dict(img.info)
    return out, angle


def ink_fraction(img: Image.Image) -> float:
    """Share of the page's content area (margins excluded) covered by ink, 0..1."""
    gray = img.convert("L") if img.mode != "L" else img
    dpi = dpi_of(img) or float(limits.WORKING_DPI)
    if dpi > BLANK_DPI * 1.1:
        gray = _scaled(gray, BLANK_DPI / dpi)
    w, h = gray.size
    mx, my = round(w * BLANK_MARGIN), round(h * BLANK_MARGIN)
    gray = gray.crop((mx, my, w - mx, h - my))
    arr = np.asarray(gray)
    if arr.size == 0:
        return 0.0
    return float(_binary_median(_ink_mask(arr)).mean())


def blank_score(img: Image.Image) -> float:
    """How blank the page looks, 0..1: 1.0 is no ink at all, 0.5 is the flagging line.

    A score, not a verdict: the clerk sees flagged pages and decides.
    """
    ink = ink_fraction(img)
    return BLANK_INK_FRACTION / (BLANK_INK_FRACTION + ink)


def is_probably_blank(img: Image.Image) -> bool:
    """Flag for the clerk (never a reason to drop the page)."""
    return blank_score(img) > 0.5


def clean_page(img: Image.Image, *, fix_orientation: bool = True) -> CleanedPage:
    """normalize -> blank check -> orientation -> deskew, timing each step.

    Orientation is skipped on pages that look blank (OSD would only fail on them).
    """
    timings: dict[str, float] = {}

    def timed(name: str, started: float) -> None:
        timings[name] = time.perf_counter() - started

    t = time.perf_counter()
    page = normalize(img)
    timed("normalize", t)

    t = time.perf_counter()
    score = blank_score(page)
    timed("blank", t)
    blank = score > 0.5

    rotated, confidence = 0, 0.0
    if fix_orientation and not blank:
        t = time.perf_counter()
        found = orientation(page)
        timed("orientation", t)
        confidence = found.confidence
        if found.confidence >= MIN_ORIENTATION_CONFIDENCE and found.rotate:
            rotated = found.rotate
            page = rotate_clockwise(page, rotated)

    t = time.perf_counter()
    page, skew = deskew(page) if not blank else (page, 0.0)
    timed("deskew", t)
    return CleanedPage(page, rotated, confidence, skew, score, blank, timings)
