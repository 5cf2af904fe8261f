"""Text in every PDF the program writes: names print as written, in any script we can show.

Why one module: a release packet, a cover letter or an accounting of disclosures is a legal
document, and ReportLab's standard fonts (Helvetica, Courier) know only WinAnsi, so "Nguyễn"
printed as "Nguyen" and "Анна" as "?". Every PDF writer draws its text through the helpers
here, which embed Unicode TrueType fonts shipped in ``resources/fonts/`` (subset: only the
glyphs a document uses go into it):

- DejaVu Sans and DejaVu Sans Bold: Latin (Vietnamese, Polish, Irish, ...), Greek, Cyrillic;
- Droid Sans Fallback: Chinese, Japanese kana and kanji, Korean Hangul (DejaVu has none).

A string is split into runs by glyph coverage ("Zhang 张伟" is one DejaVu run and one
fallback run), and widths for layout and wrapping are measured per run with the run's own
font. Text is put in Unicode normal form C first, so a name stored with combining accents
("e" + U+0302 + U+0303) prints with the composed letter the font has ("ễ"); nothing is
dropped or replaced. A character no shipped font has (an emoji, a rare CJK extension) is
still written into the text, so copying or searching the PDF finds it, but prints as the
font's empty box. Scripts that need shaping (Arabic joining, Indic conjuncts) print their
letters unjoined.

The fonts are read once per process (the fallback only when a string first needs it).
ReportLab reads a font's subsets from one shared parser, so the moment a PDF's subsets are
made (``save``/``build``/``close``) holds ``subsetting()``: two PDFs written at once on worker
threads cannot interleave it.
"""

from __future__ import annotations

import threading
import unicodedata
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from clinicrecords.common.errors import BadInput
from clinicrecords.common.resources import resource_file

SANS = "ClinicSans"
SANS_BOLD = "ClinicSans-Bold"
FALLBACK = "ClinicSansFallback"
_FILES = {
    SANS: "DejaVuSans.ttf",
    SANS_BOLD: "DejaVuSans-Bold.ttf",
    FALLBACK: "DroidSansFallback.ttf",  # one face, used for regular and bold runs alike
}

_load_lock = threading.Lock()
_subset_lock = threading.RLock()
_loaded: dict[str, TTFont] = {}


def _font(name: str) -> TTFont:
    font = _loaded.get(name)
    if font is not None:
        return font
    with _load_lock:
        font = _loaded.get(name)
        if font is None:
            path = resource_file("fonts", _FILES[name])
            try:
                font = TTFont(name, str(path))
            except (OSError, TTFError):
                raise BadInput(
                    "A font file is missing or damaged in the program's resources folder: "
                    "reinstall the program. No PDF was written."
                ) from None
            pdfmetrics.registerFont(font)
            if name == FALLBACK:
                # Paragraph markup maps <b> through a family: the fallback is its own bold.
                pdfmetrics.registerFontFamily(
                    FALLBACK, normal=FALLBACK, bold=FALLBACK, italic=FALLBACK, boldItalic=FALLBACK
                )
            _loaded[name] = font
    return font


def register_fonts() -> None:
    """Make the fonts known to ReportLab (``canvas.setFont``, ``Paragraph``, ``Table`` styles).

    Cheap after the first call. The fallback font is registered too, since a ``Paragraph``
    built from ``markup`` may name it."""
    if SANS in _loaded and SANS_BOLD in _loaded and FALLBACK in _loaded:
        return
    _font(SANS)
    _font(SANS_BOLD)
    _font(FALLBACK)
    pdfmetrics.registerFontFamily(
        SANS, normal=SANS, bold=SANS_BOLD, italic=SANS, boldItalic=SANS_BOLD
    )


@contextmanager
def subsetting() -> Iterator[None]:
    """Hold this while a PDF's font subsets are made (``canvas.save()``, ``doc.build()``)."""
    with _subset_lock:
        yield


# --- runs and measuring ------------------------------------------------------------------


def prepare(text: str) -> str:
    """The text as it is drawn: Unicode normal form C (same letters, composed where a font
    has the composed glyph)."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=8192)
def runs(text: str, bold: bool = False) -> tuple[tuple[str, str], ...]:
    """``(font name, text)`` pieces of ``text``, each drawn in a font that has its glyphs.

    The primary font (DejaVu Sans, or its bold) takes every character it has; the rest go
    to the fallback when it has them, else stay in the primary (a box, but the character is
    kept in the text)."""
    primary = SANS_BOLD if bold else SANS
    have = _font(primary).face.charToGlyph
    pieces: list[tuple[str, list[str]]] = []
    for ch in prepare(text):
        code = ord(ch)
        name = primary
        if (
            code not in have
            and code >= 0x20
            and code != 0xA0
            and code in _font(FALLBACK).face.charToGlyph
        ):
            name = FALLBACK
        if pieces and pieces[-1][0] == name:
            pieces[-1][1].append(ch)
        else:
            pieces.append((name, [ch]))
    return tuple((name, "".join(chars)) for name, chars in pieces)


def missing_glyphs(text: str, bold: bool = False) -> str:
    """The characters of ``text`` that no shipped font can draw (they print as a box)."""
    primary = _font(SANS_BOLD if bold else SANS).face.charToGlyph
    fallback = _font(FALLBACK).face.charToGlyph
    return "".join(
        ch
        for ch in prepare(text)
        if ord(ch) >= 0x20 and ord(ch) not in primary and ord(ch) not in fallback
    )


def string_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` as drawn: each run measured with its own font."""
    return sum(_font(name).stringWidth(part, size) for name, part in runs(text, bold))


def fit_size(text: str, size: float, width: float, bold: bool = False) -> float:
    """The largest size up to ``size`` at which ``text`` fits ``width`` (shrink, never cut)."""
    wide = string_width(text, size, bold)
    return size if wide <= width or wide == 0 else size * width / wide


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` no wider than ``width``: breaks at spaces, and inside a word only
    when the word alone is wider (a CJK name has no spaces). Every character is kept."""
    space = string_width(" ", size, bold)
    lines: list[str] = []
    line, line_w = "", 0.0
    for word in prepare(text).split():
        word_w = string_width(word, size, bold)
        if line and line_w + space + word_w <= width:
            line, line_w = f"{line} {word}", line_w + space + word_w
            continue
        if line:
            lines.append(line)
        while word_w > width and len(word) > 1:
            cut = 1
            while cut < len(word) and string_width(word[: cut + 1], size, bold) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
            word_w = string_width(word, size, bold)
        line, line_w = word, word_w
    if line:
        lines.append(line)
    return lines


# --- ReportLab canvas and Paragraph --------------------------------------------------------


def draw(
    canvas: Any,
    x: float,
    y: float,
    text: str,
    size: float,
    bold: bool = False,
    align: Literal["left", "centre", "right"] = "left",
) -> None:
    """Draw one line on a ReportLab canvas, run by run (``align`` says what ``x`` is)."""
    register_fonts()
    if align != "left":
        width = string_width(text, size, bold)
        x -= width if align == "right" else width / 2
    obj = canvas.beginText(x, y)
    for name, part in runs(text, bold):
        obj.setFont(name, size)
        obj.textOut(part)
    canvas.drawText(obj)


def markup(text: str, bold: bool = False) -> str:
    """``text`` as ReportLab ``Paragraph`` markup: escaped (a ``<b>`` typed in a name prints
    as typed) and with each run in its font. Lines of ``text`` become ``<br/>`` breaks."""
    register_fonts()
    lines = []
    for line in text.split("\n"):
        lines.append(
            "".join(f'<font face="{name}">{escape(part)}</font>' for name, part in runs(line, bold))
        )
    return "<br/>".join(lines)


# --- the streaming packet writer -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubsetFont:
    """One embedded subset (up to 256 glyphs of one font), ready for PDF objects."""

    resource: str  # the name pages use: "T1"
    base_font: str  # "AAAAAB+DejaVuSans"
    widths: list[int]  # per code 0..n-1, in 1/1000 em
    descriptor: dict[str, str]  # FontDescriptor entries other than /FontFile2
    font_file: bytes  # the TrueType subset
    to_unicode: bytes  # the CMap giving each code its character back


class StreamFonts:
    """Font subsets for a PDF written object by object (``release/pdfstream.py``).

    ``show`` turns text into content-stream operators and records the glyphs used; the
    writer lists ``resources()`` on each page and, at the end, writes ``subsets()``. Codes
    are handed out here (not by ReportLab's per-document state), so a character no font has
    still carries its own code and ToUnicode entry: copy and search find it."""

    def __init__(self) -> None:
        self._codes: dict[tuple[str, int], tuple[int, int]] = {}  # (font, char) -> (set, code)
        self._sets: list[tuple[str, list[int]]] = []  # (font, chars by code)
        self._open: dict[str, int] = {}  # font -> index of its subset being filled

    def _code(self, font: str, char: int) -> tuple[int, int]:
        key = (font, char)
        found = self._codes.get(key)
        if found is not None:
            return found
        index = self._open.get(font)
        if index is None or len(self._sets[index][1]) >= 256:
            index = len(self._sets)
            self._sets.append((font, []))
            self._open[font] = index
        chars = self._sets[index][1]
        chars.append(char)
        found = self._codes[key] = (index, len(chars) - 1)
        return found

    def show(self, text: str, size: float, bold: bool = False) -> bytes:
        """Operators drawing ``text`` from the current text position (inside BT ... ET)."""
        out: list[bytes] = []
        for name, part in runs(text, bold):
            current, codes = -1, bytearray()
            for ch in part:
                index, code = self._code(name, 0x20 if ch == "\xa0" else ord(ch))
                if index != current and codes:
                    out.append(b"/T%d %.2f Tf <%s> Tj " % (current + 1, size, codes.hex().encode()))
                    codes = bytearray()
                current = index
                codes.append(code)
            if codes:
                out.append(b"/T%d %.2f Tf <%s> Tj " % (current + 1, size, codes.hex().encode()))
        return b"".join(out)

    def resources(self) -> list[str]:
        """Resource names of every subset started so far ("T1", "T2", ...)."""
        return [f"T{i + 1}" for i in range(len(self._sets))]

    def subsets(self) -> Iterator[SubsetFont]:
        """The subsets, made now (call once, when no more text is coming)."""
        for index, (name, chars) in enumerate(self._sets):
            face = _font(name).face
            with _subset_lock:
                data = face.makeSubset(chars)
            base = f"{_tag(index)}+{bytes(face.name).decode('latin-1')}"
            flags = (face.flags & ~32) | 4  # symbolic: the subset's own cmap maps the codes
            descriptor = {
                "Ascent": str(face.ascent),
                "CapHeight": str(face.capHeight),
                "Descent": str(face.descent),
                "Flags": str(flags),
                "FontBBox": "[" + " ".join(str(v) for v in face.bbox) + "]",
                "FontName": "/" + base,
                "ItalicAngle": str(face.italicAngle),
                "StemV": str(face.stemV),
                "MissingWidth": str(face.defaultWidth),
            }
            yield SubsetFont(
                f"T{index + 1}",
                base,
                [int(round(face.getCharWidth(c))) for c in chars],
                descriptor,
                data,
                _to_unicode(base, chars),
            )


def _tag(n: int) -> str:
    """A subset's six-letter tag (PDF 9.6.4): AAAAAA, AAAAAB, ..."""
    letters = []
    for _ in range(6):
        n, r = divmod(n, 26)
        letters.append(chr(65 + r))
    return "".join(reversed(letters))


def _to_unicode(name: str, chars: list[int]) -> bytes:
    def utf16(c: int) -> str:
        return chr(c).encode("utf-16-be", "surrogatepass").hex().upper()

    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        f"/CMapName /{name}-UCS def /CMapType 2 def",
        "1 begincodespacerange <00> <FF> endcodespacerange",
    ]
    for start in range(0, len(chars), 100):
        chunk = chars[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{start + i:02X}> <{utf16(c)}>" for i, c in enumerate(chunk)]
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return zlib.compress("\n".join(lines).encode("ascii"), 6)
