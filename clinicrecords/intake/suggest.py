"""Suggestions for one file (the CLI's ``suggest``), with the store unchanged."""

from __future__ import annotations

from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from clinicrecords import lookup
from clinicrecords.errors import BadInput
from clinicrecords.intake.classifier import classifier_for
from clinicrecords.intake.grouping import merge_suggestions
from clinicrecords.intake.pipeline import date_order_for, poor_header
from clinicrecords.scan import cleanup, sources
from clinicrecords.scan.ocr import (
    OcrEngine,
    OcrExecutor,
    ocr_executor,
)
from clinicrecords.scan.suggest import suggest
from clinicrecords.scan.types import (
    Suggestions,
)
from clinicrecords.session import Session

# -- suggestions for one file, store unchanged ---------------------------------------------


@dataclass(frozen=True)
class FileSuggestions:
    pages: int
    suggestions: Suggestions
    per_page: tuple[Suggestions, ...]


def suggest_file(session: Session, path: str | Path, max_pages: int = 5) -> FileSuggestions:
    """Read a file's first pages and suggest how to file it, without storing anything.

    The pages are read on the program's one OCR executor, ahead of batch work (a person is
    waiting for this file); sentences call it "the file", never by its name."""
    session.require("scan.ingest")
    registry = lookup.index_for(session.store)
    classifier = classifier_for(session)
    order = date_order_for(session)
    engine = OcrEngine()

    def read(img: Image.Image) -> Suggestions | None:
        cleaned = cleanup.clean_page(img, fix_orientation=False)
        if cleaned.probably_blank:
            return None
        page = cleaned.image
        if poor_header(engine.header_pass(page)):
            found = cleanup.orientation(page)
            if found.confidence >= cleanup.MIN_ORIENTATION_CONFIDENCE and found.rotate:
                page = cleanup.rotate_clockwise(page, found.rotate)
        return suggest(engine.full_pass(page), registry, classifier, order)

    executor = ocr_executor()
    futures: list[Future[Suggestions | None]] = []
    try:
        with sources.load_pages(_file_to_suggest(path)) as loaded:  # decoded on this thread
            count = int(loaded.page_count)
            for n, img in enumerate(loaded.iter_pages()):
                if n >= max_pages:
                    break
                futures.append(executor.submit(OcrExecutor.SUGGEST, lambda i=img: read(i)))
        per_page = [s for s in (f.result() for f in futures) if s is not None]
    finally:
        for f in futures:
            f.cancel()
        wait(futures)
    return FileSuggestions(count, merge_suggestions(per_page), tuple(per_page))


def _file_to_suggest(path: str | Path) -> sources.InMemoryFile:
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError:
        raise BadInput("That is a folder, not a file.") from None
    except FileNotFoundError:
        raise BadInput("The file does not exist (any more).") from None
    except OSError:
        raise BadInput("The file cannot be opened for reading.") from None
    return sources.InMemoryFile(data, p.name, "the file")
