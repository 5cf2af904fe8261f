"""The packet writer on plain inputs: pass-through embedding, Bates order, rotation."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
from PIL import Image, ImageDraw

from clinicrecords.release.images import image_xobject
from clinicrecords.release.letters import LetterLine
from clinicrecords.release.packet import (
    IndexEntry,
    Letterhead,
    PacketPage,
    PacketSpec,
    write_packet,
)
from tests.helpers import assert_qpdf_check


def scan(fmt: str, mode: str = "L", **save) -> bytes:
    im = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(im).line((0, 0, 300, 200), fill=0, width=6)
    if mode == "1":
        im = im.convert("1")
    elif mode != "L":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def test_jpeg_passes_through_byte_for_byte() -> None:
    data = scan("JPEG", "RGB", quality=70)
    x = image_xobject(data)
    assert x.data == data and "/DCTDecode" in x.entries


def test_png_passes_through_its_own_flate_data() -> None:
    x = image_xobject(scan("PNG", "1"))
    assert "/BitsPerComponent 1" in x.entries and "/Predictor 15" in x.entries


def test_group4_tiff_stays_ccitt_and_other_bilevel_becomes_ccitt() -> None:
    single = scan("TIFF", "1", compression="group4", tiffinfo={278: 800})
    x = image_xobject(single)
    assert "/CCITTFaxDecode" in x.entries and len(x.data) < len(single)
    multi_strip = scan("TIFF", "1", compression="group4")  # Pillow's default strips
    assert "/CCITTFaxDecode" in image_xobject(multi_strip).entries
    assert "/CCITTFaxDecode" in image_xobject(scan("TIFF", "1", compression="tiff_lzw")).entries


def test_transparent_png_is_flattened_losslessly() -> None:
    x = image_xobject(scan("PNG", "RGBA"))
    assert "/DeviceRGB" in x.entries and "/FlateDecode" in x.entries and x.smask is None


def test_every_page_numbered_in_order_with_footer(tmp_path: Path) -> None:
    spec = PacketSpec(
        bates_prefix="R00042",
        letterhead=Letterhead("Maple Clinic", "1 Maple St", "555-0100"),
        letter=[LetterLine("Dear requester,"), *[LetterLine("x " * 300)] * 12],  # 2+ pages
        index=[IndexEntry("Lab", "2024-01-01", 2), IndexEntry("Consult", "", 2)],
        watermark="Copy for Dr Who",
    )
    images = [scan("PNG", "1"), scan("JPEG", quality=80), scan("PNG"), scan("TIFF", "1")]
    pages = [PacketPage(load=lambda b=b: b, rotation=r, dpi=100)
             for b, r in zip(images, (0, 90, 180, 270), strict=True)]  # fmt: skip
    out = tmp_path / "p.pdf"
    with open(out, "wb") as fh:
        result = write_packet(fh, spec, iter(pages))
    assert_qpdf_check(out)
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == result.pages == result.front_pages + 4
    assert result.front_pages >= 3  # a long letter spills over, then the index
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert f"R00042-{n:04d}" in text and "CONFIDENTIAL" in text and "Copy for Dr Who" in text
    index_text = reader.pages[result.front_pages - 1].extract_text()
    first = result.front_pages + 1
    assert f"R00042-{first:04d} to R00042-{first + 1:04d}" in index_text
    # A page turned 90 degrees is laid out landscape.
    box = reader.pages[first].mediabox
    assert box.width > box.height


def test_qpdf_check_catches_a_damaged_packet(tmp_path: Path) -> None:
    """The structural check every packet test runs has teeth: a packet whose cross-reference
    table is not where the trailer says (the kind of slip a writer change makes) fails it."""
    import pytest

    spec = PacketSpec("R00007", Letterhead("Maple Clinic"), [LetterLine("Dear requester,")], [])
    out = tmp_path / "p.pdf"
    with open(out, "wb") as fh:
        write_packet(fh, spec, iter([PacketPage(load=lambda: scan("PNG", "1"), dpi=100)]))
    assert_qpdf_check(out)
    data = out.read_bytes()
    xref = data.rindex(b"\nxref\n") + 1
    damaged = data.replace(b"startxref\n%d" % xref, b"startxref\n%d" % (xref + 3))
    assert damaged != data
    with pytest.raises(AssertionError, match="qpdf --check"):
        assert_qpdf_check(damaged)
