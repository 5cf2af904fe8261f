"""The page pipeline: what is done to one page, as steps with one job each."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from PIL import Image

from clinicrecords import lookup, settings
from clinicrecords.errors import ClinicError
from clinicrecords.intake.classifier import classifier_for
from clinicrecords.intake.codec import (
    suggestions_to_json,
    text_of,
    words_json,
)
from clinicrecords.scan import barcodes, cleanup, sources
from clinicrecords.scan.ocr import (
    OcrEngine,
    OcrUnavailable,
    header_region,
)
from clinicrecords.scan.suggest import suggest
from clinicrecords.scan.types import (
    Box,
    Evidence,
    OcrResult,
    PatientSuggestion,
    ScoredValue,
    Suggestions,
    Word,
)
from clinicrecords.session import Session

log = logging.getLogger(__name__)


# A header pass with fewer than this many confident words is read again after an orientation
# check: upright print gives a dozen or more, a page upside down gives noise. Checking every
# page with Tesseract OSD cost 1.5-3 s a page (measured), more than the header pass itself.
GOOD_HEADER_WORDS = 4
COVER_SCORE = 0.99  # a cover sheet's barcode: the clerk chose the chart when printing it
GOOD_WORD_CONF = 70.0


@dataclass
class Prepared:
    file_id: int
    source_page: int
    seq: int
    data: bytes
    media_type: str
    width: int
    height: int
    dpi: int
    blank_score: float
    suggestion: str
    words: str
    confident: bool
    header_bottom: int  # page rows below this still need the full pass
    text_layer: str | None
    seconds: float
    problem: str | None = None
    cover: bool = False


@dataclass
class Text:
    page_id: int
    text: str
    words: str
    seconds: float
    problem: str | None = None
    suggestion: str | None = None  # made again from the whole page (better dates and types)
    confident: bool = False


def poor_header(ocr: OcrResult) -> bool:
    good = sum(
        1 for w in ocr.words if w.conf >= GOOD_WORD_CONF and sum(c.isalnum() for c in w.text) >= 3
    )
    return good < GOOD_HEADER_WORDS


def _encode(page: Image.Image, bilevel: bool) -> tuple[bytes, str, Image.Image]:
    """PNG for grey pages; G4 TIFF for faxes (bilevel in, bilevel out: lossless, tiny)."""
    buf = io.BytesIO()
    dpi = page.info.get("dpi") or (300, 300)
    if bilevel:
        page = page.point(lambda v: 255 if v >= 128 else 0).convert("1")
        page.save(buf, "TIFF", compression="group4", dpi=dpi)
        return buf.getvalue(), "image/tiff", page
    page.save(buf, "PNG", compress_level=1, dpi=dpi)
    return buf.getvalue(), "image/png", page


def _prepared(
    file_id: int,
    src: sources.SourcePage,
    seq: int,
    page: Image.Image,
    bilevel: bool,
    score: float,
    started: float,
    **read: Any,
) -> Prepared:
    """The page encoded as it will be stored, with what was read from it (``read``)."""
    data, media, stored = _encode(page, bilevel)
    return Prepared(
        file_id=file_id,
        source_page=src.number,
        seq=seq,
        data=data,
        media_type=media,
        width=stored.width,
        height=stored.height,
        dpi=int(round(float((page.info.get("dpi") or (300, 300))[0]))),
        blank_score=round(score, 4),
        seconds=time.perf_counter() - started,
        **read,
    )


def date_order_for(session: Session) -> str:
    return settings.date_order(session)


class Reader:
    """What a worker needs to read one page: the OCR engine, the registry, the classifier."""

    def __init__(self, session: Session) -> None:
        self.engine = OcrEngine(1)  # called synchronously from the pool's own threads
        self.registry = lookup.index_for(session.store)
        self.classifier = classifier_for(session)
        self.date_order = date_order_for(session)

    def prepare(self, file_id: int, src: sources.SourcePage, seq: int) -> Prepared:
        started = time.perf_counter()
        img = src.image
        assert img is not None
        bilevel = img.mode == "1"
        problem = None
        try:
            cleaned = cleanup.clean_page(img, fix_orientation=False)
            page, blank = cleaned.image, cleaned.probably_blank
            score = cleaned.blank_score
        except Exception as exc:  # noqa: BLE001 - the page is kept as it came
            log.warning("cleanup failed on a page: %s", type(exc).__name__)
            page, blank, score = cleanup.normalize(img), False, 0.0
        header: OcrResult | None = None
        covered = None if blank else self.cover_sheet(page)
        if covered is not None:
            return self._cover_page(file_id, src, seq, page, bilevel, score, covered, started)
        if not blank:
            try:
                header = self.engine.header_pass(page)
                if poor_header(header):
                    found = cleanup.orientation(page)
                    if found.confidence >= cleanup.MIN_ORIENTATION_CONFIDENCE and found.rotate:
                        page = cleanup.rotate_clockwise(page, found.rotate)
                        header = self.engine.header_pass(page)
            except OcrUnavailable:
                raise
            except ClinicError as exc:
                problem = exc.message
                header = None
        sugg = Suggestions()
        if header is not None:
            sugg = suggest(header, self.registry, self.classifier, self.date_order)
        extra: dict[str, Any] = {"blank": blank}
        if problem:
            extra["problem"] = problem
        return _prepared(
            file_id, src, seq, page, bilevel, score, started,
            suggestion=suggestions_to_json(sugg, **extra),
            words=words_json(header.words if header else ()),
            confident=sugg.confident_patient is not None and not blank,
            header_bottom=0 if header is None else header_region(page).height,
            text_layer=src.text,
            problem=problem,
        )  # fmt: skip

    def cover_sheet(self, page: Image.Image) -> Suggestions | None:
        """A cover sheet printed by the program (patient and type in a barcode), or None.

        Its MRN must name exactly one chart in the registry; then its suggestion is
        confident: the clerk chose the patient when printing the sheet."""
        try:
            code = barcodes.read_cover_sheet(page)
        except Exception as exc:  # noqa: BLE001 - an unreadable barcode is just a page
            log.warning("barcode reading failed on a page: %s", type(exc).__name__)
            return None
        if code is None:
            return None
        ids = self.registry.by_mrn(code.mrn)
        patient = self.registry.get(ids[0]) if len(ids) == 1 else None
        ev = (Evidence("barcode", "cover sheet " + "+".join(code.symbologies)),)
        found = ()
        if patient is not None:
            found = (
                PatientSuggestion(
                    patient.id,
                    patient.mrn,
                    patient.display_name,
                    patient.dob.isoformat(),
                    COVER_SCORE,
                    ev,
                ),
            )
        return Suggestions(patient=found, doc_type=(ScoredValue(code.doc_type, 1.0, ev),))

    def _cover_page(
        self,
        file_id: int,
        src: sources.SourcePage,
        seq: int,
        page: Image.Image,
        bilevel: bool,
        score: float,
        sugg: Suggestions,
        started: float,
    ) -> Prepared:
        return _prepared(
            file_id, src, seq, page, bilevel, score, started,
            suggestion=suggestions_to_json(sugg, blank=False, cover=True),
            words="[]",
            confident=sugg.confident_patient is not None,
            header_bottom=0,
            text_layer=None,
            cover=True,
        )  # fmt: skip

    def full_text(
        self, session: Session, row: dict, header_words: list[Word], old: str | None = None
    ) -> Text:
        """The rest of the page below the header (the header was read already), and the
        suggestions made again from the whole page: a date or a second identifier is often
        below the header (measured on the bench corpus: date top-1 81 % -> 94 %)."""
        started = time.perf_counter()
        img = Image.open(io.BytesIO(session.pages.get(row["blob_id"], row["sha256"])))
        img.load()
        img.info["dpi"] = (row["dpi"], row["dpi"])
        if img.mode != "L":
            img = img.convert("L")
            img.info["dpi"] = (row["dpi"], row["dpi"])
        top = max((w.box.top + w.box.height for w in header_words), default=0)
        top = min(top, img.height - 1) if header_words else 0
        try:
            if top:
                region = Box(0, top, img.width, img.height - top)
                rest = self.engine.ocr_page(img, region=region)
            else:
                rest = self.engine.full_pass(img)
        except OcrUnavailable:
            raise
        except ClinicError as exc:
            return Text(
                row["id"],
                text_of(header_words),
                words_json(header_words),
                time.perf_counter() - started,
                exc.message,
            )
        head_text = text_of(header_words)
        text = "\n\n".join(t for t in (head_text, rest.text) if t)
        words = list(header_words) + [
            dataclasses.replace(w, line=w.line + 10_000) for w in rest.words
        ]
        extra = {k: v for k, v in json.loads(old or "{}").items() if k in ("blank", "problem")}
        sugg = suggest(
            OcrResult(text, tuple(words)), self.registry, self.classifier, self.date_order
        )
        return Text(
            row["id"],
            text,
            words_json(words),
            time.perf_counter() - started,
            suggestion=suggestions_to_json(sugg, **extra),
            confident=sugg.confident_patient is not None and not extra.get("blank"),
        )
