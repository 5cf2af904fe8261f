"""The page pipeline: what is done to one page, as steps with one job each, in one order.

    read (the source page, decoded by the caller) -> clean (deskew, blank) -> cover sheet ->
    header OCR (with the orientation check when it reads badly) -> suggestions ->
    encode (only what is stored) -> full text -> suggestions again from the whole page

The batch runner (``batches.py``, through ``page_jobs.py``) and ``suggest`` (``suggest.py``)
run these same steps, on the program's one OCR executor (``scan.ocr.ocr_executor``): a fix
to a step (say, the orientation check) reaches both. Modelled on paperless-ngx's consume
plugins and OCRmyPDF's single executor (``../shared/STYLE.md``). Each step is a method with
one job, so that each can be tested on its own; ``first_pass`` and ``full_text`` run them in
the declared order.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import math
import re
from dataclasses import dataclass, field

from PIL import Image

from clinicrecords.clinic import settings
from clinicrecords.clinic.session import Session
from clinicrecords.common.dates import date_shapes
from clinicrecords.common.errors import ClinicError
from clinicrecords.intake.classifier import classifier_for
from clinicrecords.intake.codec import text_of
from clinicrecords.intake.cover_sheets import cover_sheet_suggestions
from clinicrecords.intake.date_labels import label_weights
from clinicrecords.registry import lookup
from clinicrecords.scan import cleanup
from clinicrecords.scan.identifiers import page_lines
from clinicrecords.scan.ocr import OcrEngine, OcrUnavailable, header_region
from clinicrecords.scan.suggest import suggest
from clinicrecords.scan.types import Box, OcrResult, Suggestions, Word

log = logging.getLogger(__name__)

# A header pass with fewer than this many confident words is read again after an orientation
# check: upright print gives a dozen or more, a page upside down gives noise. Checking every
# page with Tesseract OSD cost 1.5-3 s a page (measured), more than the header pass itself.
GOOD_HEADER_WORDS = 4
GOOD_WORD_CONF = 70.0
REST_LINE_OFFSET = 10_000  # line numbers of the words below the header follow the header's
STAMP_LINE_OFFSET = 20_000  # and those of a stamp found by the sparse pass follow both
STAMP_PSM = 11  # Tesseract's sparse text: fragments anywhere, in any layout
STAMP_TURNS = (0.0, -6.0, 6.0)  # degrees: a stamp is pressed up to ~10 degrees off
_STAMP_WORD = re.compile(r"\breceived\b|\brec'?d\b", re.I)


def _good_words(ocr: OcrResult) -> int:
    return sum(
        1 for w in ocr.words if w.conf >= GOOD_WORD_CONF and sum(c.isalnum() for c in w.text) >= 3
    )


def poor_header(ocr: OcrResult) -> bool:
    return _good_words(ocr) < GOOD_HEADER_WORDS


def date_order_for(session: Session) -> str:
    return settings.date_order(session)


@dataclass
class PageState:
    """What the steps have learned about one page so far (no step reads the store)."""

    image: Image.Image
    bilevel: bool  # a fax: stored bilevel (G4), lossless and tiny
    blank: bool = False
    blank_score: float = 0.0
    cover: bool = False
    header: OcrResult | None = None
    error: ClinicError | None = None  # the header could not be read (the page is kept)
    suggestions: Suggestions = field(default_factory=Suggestions)

    @property
    def problem(self) -> str | None:
        return self.error.message if self.error else None

    @property
    def confident(self) -> bool:
        return self.suggestions.confident_patient is not None and not self.blank


class PagePipeline:
    """The steps, with what they need: an OCR engine, the registry, the type classifier and
    the clinic's date order (read once per run, not per page)."""

    def __init__(self, session: Session) -> None:
        self.engine = OcrEngine(1)  # called synchronously from the executor's own threads
        self.registry = lookup.index_for(session.store)
        self.classifier = classifier_for(session)
        self.date_order = date_order_for(session)
        self.date_labels = label_weights(session)

    # -- the steps, in order ---------------------------------------------------------------
    def clean(self, img: Image.Image) -> PageState:
        """Deskew and judge blankness; orientation is left to ``read_header`` (cheaper)."""
        bilevel = img.mode == "1"
        try:
            cleaned = cleanup.clean_page(img, fix_orientation=False)
        except Exception as exc:  # noqa: BLE001 - the page is kept as it came
            log.warning("cleanup failed on a page: %s", type(exc).__name__)
            return PageState(cleanup.normalize(img), bilevel)
        return PageState(
            cleaned.image, bilevel, cleaned.probably_blank, round(cleaned.blank_score, 4)
        )

    def find_cover_sheet(self, page: PageState) -> None:
        found = cover_sheet_suggestions(page.image, self.registry)
        if found is not None:
            page.cover, page.suggestions = True, found

    def read_header(self, page: PageState) -> None:
        """The fast header pass; a header that reads badly is read again after the
        orientation check turns the page upright (the only orientation fix there is)."""
        try:
            header = self.engine.header_pass(page.image)
            if poor_header(header):
                found = cleanup.orientation(page.image)
                if found.confidence >= cleanup.MIN_ORIENTATION_CONFIDENCE and found.rotate:
                    page.image = cleanup.rotate_clockwise(page.image, found.rotate)
                    header = self.engine.header_pass(page.image)
            if poor_header(header):
                header = self.try_other_ways_up(page, header)
        except OcrUnavailable:
            raise
        except ClinicError as exc:
            page.error = exc
            return
        page.header = header

    def try_other_ways_up(self, page: PageState, header: OcrResult) -> OcrResult:
        """OSD could not tell which way up a page is (a crooked phone photo, a sideways
        photocopy: measured on the mail corpus), and its header still reads badly: read the
        header the other three ways up and keep the way with the most good words. Only such
        pages pay (up to three header passes)."""
        best, best_img = header, page.image
        for turn in (90, 270, 180):
            img = cleanup.rotate_clockwise(page.image, turn)
            found = self.engine.header_pass(img)
            if _good_words(found) > _good_words(best):
                best, best_img = found, img
            if not poor_header(best):
                break
        page.image = best_img
        return best

    def suggest_from(self, ocr: OcrResult) -> Suggestions:
        return suggest(
            ocr, self.registry, self.classifier, self.date_order, date_labels=self.date_labels
        )

    def first_pass(self, img: Image.Image) -> PageState:
        """clean -> cover sheet -> header OCR -> suggestions: enough to file the page by."""
        page = self.clean(img)
        if page.blank:
            return page
        self.find_cover_sheet(page)
        if page.cover:
            return page
        self.read_header(page)
        if page.header is not None:
            page.suggestions = self.suggest_from(page.header)
        return page

    def full_text(
        self, img: Image.Image, header_words: list[Word]
    ) -> tuple[OcrResult, Suggestions]:
        """The rest of the page below the header (the header was read already), and the
        suggestions made again from the whole page: a date or a second identifier is often
        below the header (measured on the bench corpus: date top-1 81 % -> 94 %).
        A ClinicError (Tesseract failed on this page) is the caller's to report."""
        top = max((w.box.top + w.box.height for w in header_words), default=0)
        top = min(top, img.height - 1) if header_words else 0
        if top:
            rest = self.engine.ocr_page(img, region=Box(0, top, img.width, img.height - top))
        else:
            rest = self.engine.full_pass(img)
        head_text = text_of(header_words)
        text = "\n\n".join(t for t in (head_text, rest.text) if t)
        words = list(header_words) + [
            dataclasses.replace(w, line=w.line + REST_LINE_OFFSET) for w in rest.words
        ]
        whole = OcrResult(text, tuple(words))
        found = self.suggest_from(whole)
        if not found.doc_date:
            whole = self.stamp_dates(img, whole)
            found = self.suggest_from(whole)
        return whole, found

    def stamp_dates(self, img: Image.Image, whole: OcrResult) -> OcrResult:
        """A page with no document date may still carry one in a rubber stamp ("RECEIVED
        NOV 03 2024", boxed, a few degrees off), which layout analysis skips. Sparse-text
        passes (``--psm 11``) over the page as it is and turned a few degrees each way (the
        stamp is crooked, not the page) find it; the first pass with a date wins and its
        date lines (and a stamp's "RECEIVED") are added, boxes mapped back to the page. Only
        pages without any date pay for it (measured: 1-2 s a pass, up to three)."""
        for turn in STAMP_TURNS:
            work = img.rotate(turn, resample=Image.Resampling.BILINEAR, fillcolor=255)
            work.info["dpi"] = img.info.get("dpi", (300, 300))
            sparse = self.engine.ocr_page(work, psm=STAMP_PSM)
            keep = [
                line
                for line in page_lines(sparse.words)
                if date_shapes(line.digits) or _STAMP_WORD.search(line.text)
            ]
            extra = [
                dataclasses.replace(
                    w, box=_unturn(w.box, turn, img.size), line=w.line + STAMP_LINE_OFFSET
                )
                for line in keep
                for w in line.words
            ]
            text = "\n".join(t for t in (whole.text, *(line.text for line in keep)) if t)
            found = OcrResult(text, whole.words + tuple(extra))
            if keep and self.suggest_from(found).doc_date:  # a date that is not the DOB
                return found
        return whole


def _unturn(box: Box, degrees: float, size: tuple[int, int]) -> Box:
    """Where a box found on the page turned by ``degrees`` (PIL: counter-clockwise about the
    centre) stands on the page itself (its centre turned back; the size kept)."""
    if not degrees:
        return box
    cx, cy = size[0] / 2, size[1] / 2
    t = math.radians(degrees)
    x = box.left + box.width / 2 - cx
    y = box.top + box.height / 2 - cy
    ox = cx + x * math.cos(t) - y * math.sin(t)
    oy = cy + x * math.sin(t) + y * math.cos(t)
    return Box(round(ox - box.width / 2), round(oy - box.height / 2), box.width, box.height)


def encode(page: Image.Image, bilevel: bool) -> tuple[bytes, str, Image.Image]:
    """The encode step: PNG for grey pages; G4 TIFF for faxes (bilevel in, bilevel out:
    lossless, tiny)."""
    buf = io.BytesIO()
    dpi = page.info.get("dpi") or (300, 300)
    if bilevel:
        page = page.point(lambda v: 255 if v >= 128 else 0).convert("1")
        page.save(buf, "TIFF", compression="group4", dpi=dpi)
        return buf.getvalue(), "image/tiff", page
    page.save(buf, "PNG", compress_level=1, dpi=dpi)
    return buf.getvalue(), "image/png", page


def header_bottom(page: PageState) -> int:
    """Page rows below this still need the full pass."""
    return 0 if page.header is None else header_region(page.image).height
