"""Flowing PDF documents (letters, certificates) built with ReportLab's platypus, in the
program's embedded fonts.

The packet and the cover sheets place text themselves (``pdftext.draw``); letters and
certificates flow paragraphs and tables over pages, and went through ReportLab's sample styles,
which name Helvetica: a name like "Nguyễn" or "Кузнецова" then printed wrong. Every such
document builds its paragraphs here, so each run of text is in the font that has its glyphs
(``pdftext.markup``) and the fonts are embedded once per document.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from clinicrecords.common import pdftext


def styles() -> dict[str, ParagraphStyle]:
    """body, small, heading and title, all in the embedded sans (bold where the sample was)."""
    pdftext.register_fonts()
    sample = getSampleStyleSheet()
    body = sample["BodyText"].clone(
        "crBody", fontName=pdftext.SANS, bulletFontName=pdftext.SANS, leading=14
    )
    return {
        "body": body,
        "small": body.clone("crSmall", fontSize=8, leading=10),
        "heading": sample["Heading2"].clone("crHeading", fontName=pdftext.SANS_BOLD),
        "title": sample["Title"].clone("crTitle", fontName=pdftext.SANS_BOLD),
    }


def para(text: str, style: ParagraphStyle, bold: bool = False, **kw: Any) -> Paragraph:
    """A paragraph of plain text (escaped: a '<b>' typed in a name prints as typed)."""
    return Paragraph(pdftext.markup(text, bold), style, **kw)


def labelled(label: str, value: str, style: ParagraphStyle) -> Paragraph:
    """'Label: value' with the label in bold."""
    return Paragraph(pdftext.markup(label, True) + " " + pdftext.markup(value), style, **{})


def letter_story(lines: Iterable[str], style: ParagraphStyle) -> list[Any]:
    """A letter's lines as paragraphs: '## ' lines bold, '- ' lines bullets, blank lines space."""
    story: list[Any] = []
    for line in lines:
        if not line.strip():
            story.append(Spacer(1, 6))
        elif line.startswith("## "):
            story.append(para(line[3:].strip(), style, bold=True))
        elif line.startswith("- "):
            story.append(para(line[2:].strip(), style, bulletText="\u2022"))
        else:
            story.append(para(line, style))
    return story


def build(
    story: list[Any], out: BinaryIO | Path | None = None, *, title: str, margin: float = 0.8
) -> bytes:
    """Lay the story out on Letter pages; writes to ``out`` or returns the PDF's bytes."""
    target: Any = io.BytesIO() if out is None else (str(out) if isinstance(out, Path) else out)
    doc = SimpleDocTemplate(
        target, pagesize=LETTER, title=title, leftMargin=margin * inch,
        rightMargin=margin * inch, topMargin=0.8 * inch, bottomMargin=0.8 * inch,
        initialFontName=pdftext.SANS,  # else every page names a Helvetica it never embeds
    )  # fmt: skip
    with pdftext.subsetting():
        doc.build(story)
    return target.getvalue() if out is None else b""
