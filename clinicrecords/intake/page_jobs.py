"""One page's two jobs in a batch run, on the program's one OCR executor: the first pass
(pipeline's ``first_pass`` + ``encode``: what is stored, with its suggestions) and, later
and at lower priority, the full text of the stored page (pipeline's ``full_text``)."""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from typing import Any

from PIL import Image

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import ClinicError
from clinicrecords.intake.codec import suggestions_to_json, text_of, words_json
from clinicrecords.intake.pipeline import PagePipeline, encode, header_bottom
from clinicrecords.scan import sources
from clinicrecords.scan.ocr import OcrUnavailable
from clinicrecords.scan.types import Word


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


class Reader:
    """What a worker needs to read one page of a batch: the page pipeline."""

    def __init__(self, session: Session) -> None:
        self.pipeline = PagePipeline(session)

    def prepare(self, file_id: int, src: sources.SourcePage, seq: int) -> Prepared:
        started = time.perf_counter()
        assert src.image is not None
        page = self.pipeline.first_pass(src.image)
        extra: dict[str, Any] = {"blank": page.blank}
        if page.cover:
            extra["cover"] = True
        elif page.problem:
            extra["problem"] = page.problem
        data, media, stored = encode(page.image, page.bilevel)
        return Prepared(
            file_id=file_id,
            source_page=src.number,
            seq=seq,
            data=data,
            media_type=media,
            width=stored.width,
            height=stored.height,
            dpi=int(round(float((page.image.info.get("dpi") or (300, 300))[0]))),
            blank_score=page.blank_score,
            suggestion=suggestions_to_json(page.suggestions, **extra),
            words=words_json(page.header.words if page.header else ()),
            confident=page.confident,
            header_bottom=header_bottom(page),
            text_layer=None if page.cover else src.text,
            seconds=time.perf_counter() - started,
            problem=page.problem,
            cover=page.cover,
        )

    def full_text(
        self, session: Session, row: dict, header_words: list[Word], old: str | None = None
    ) -> Text:
        """The stored page's full text and the suggestions made again from it."""
        started = time.perf_counter()
        img = Image.open(io.BytesIO(session.pages.get(row["blob_id"], row["sha256"])))
        img.load()
        img.info["dpi"] = (row["dpi"], row["dpi"])
        if img.mode != "L":
            img = img.convert("L")
            img.info["dpi"] = (row["dpi"], row["dpi"])
        try:
            whole, sugg = self.pipeline.full_text(img, header_words)
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
        extra = {k: v for k, v in json.loads(old or "{}").items() if k in ("blank", "problem")}
        return Text(
            row["id"],
            whole.text,
            words_json(whole.words),
            time.perf_counter() - started,
            suggestion=suggestions_to_json(sugg, **extra),
            confident=sugg.confident_patient is not None and not extra.get("blank"),
        )
