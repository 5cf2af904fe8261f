"""Suggestions for one file (the CLI's ``suggest``), with the store unchanged."""

from __future__ import annotations

from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput
from clinicrecords.intake.grouping import merge_suggestions
from clinicrecords.intake.pipeline import PagePipeline
from clinicrecords.scan import sources
from clinicrecords.scan.ocr import OcrExecutor, ocr_executor
from clinicrecords.scan.types import Suggestions


@dataclass(frozen=True)
class FileSuggestions:
    pages: int
    suggestions: Suggestions
    per_page: tuple[Suggestions, ...]


def suggest_file(session: Session, path: str | Path, max_pages: int = 5) -> FileSuggestions:
    """Read a file's first pages and suggest how to file it, without storing anything.

    Each page goes through the same page pipeline as a batch (cover sheets, the orientation
    check, the full text), on the program's one OCR executor, ahead of batch work (a person
    is waiting for this file); sentences call it "the file", never by its name."""
    session.require("scan.ingest")
    pipeline = PagePipeline(session)

    def read(img: Image.Image) -> Suggestions | None:
        """The batch runner's steps (``pipeline.py``), nothing stored: first pass, then the
        full text for the suggestions from the whole page."""
        page = pipeline.first_pass(img)
        if page.blank:
            return None
        if page.error is not None:
            raise page.error
        if page.cover or page.header is None:
            return page.suggestions
        return pipeline.full_text(page.image, list(page.header.words))[1]

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
