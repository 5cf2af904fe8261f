"""Cover sheets printed with ReportLab, rasterised, damaged, and read back with zxing-cpp."""

from __future__ import annotations

import io

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

from clinicrecords.common.errors import BadInput
from clinicrecords.scan.barcodes import (
    CoverSheet,
    CoverSheetCode,
    PageMarks,
    cover_sheet_pdf,
    cover_sheet_pdf_bytes,
    parse_payload,
    payload,
    read_cover_sheet,
    split_batch,
)
from tests.helpers import assert_qpdf_check
from tests.scanfixtures import add_noise, blank_scan, rasterise, scanned_page

SHEETS = [
    CoverSheet("00012344", "ALBERMARLE, Quincy  DOB 1967-03-14", "lab", "Laboratory result"),
    CoverSheet("00045671", "FENWICK, Ottoline  DOB 1952-11-02", "referral", "Referral"),
]


@pytest.fixture(scope="module")
def sheets_pdf() -> bytes:
    return cover_sheet_pdf_bytes(SHEETS)


@pytest.fixture(scope="module")
def cover_images(sheets_pdf: bytes) -> list[Image.Image]:
    return [rasterise(sheets_pdf, 300, page=i) for i in range(len(SHEETS))]


def test_sheet_pdf_has_one_page_per_sheet_and_says_what_it_is(sheets_pdf: bytes, tmp_path) -> None:
    assert_qpdf_check(sheets_pdf)
    reader = PdfReader(io.BytesIO(sheets_pdf))
    assert len(reader.pages) == 2
    text = reader.pages[0].extract_text()
    assert "not part of the record" in text
    assert "Laboratory result" in text and "00012344" in text
    path = tmp_path / "sheets.pdf"
    cover_sheet_pdf(path, SHEETS[:1])
    assert path.read_bytes().startswith(b"%PDF")
    assert_qpdf_check(path)


def test_both_codes_read_back(cover_images: list[Image.Image]) -> None:
    code = read_cover_sheet(cover_images[0])
    assert code == CoverSheetCode("00012344", "lab", ("Code128", "QRCode"))
    assert read_cover_sheet(cover_images[1]) == CoverSheetCode(
        "00045671", "referral", ("Code128", "QRCode")
    )


def test_sheet_reads_after_a_poor_scan(sheets_pdf: bytes) -> None:
    for dpi, turn, noise in ((200, 2.5, 8), (150, -3, 5), (300, 180, 6)):
        img = rasterise(sheets_pdf, dpi).rotate(turn, fillcolor=255, expand=turn == 180)
        img = add_noise(img, noise)
        code = read_cover_sheet(img)
        assert code is not None and code.mrn == "00012344", (dpi, turn)


def test_fax_quality_sheet_reads(sheets_pdf: bytes) -> None:
    fine = rasterise(sheets_pdf, 200).convert("1")  # 1-bit, like a fax
    normal = fine.resize((fine.width, fine.height // 2)).resize(fine.size)  # 98 lines/inch
    code = read_cover_sheet(normal)
    assert code is not None and code.doc_type == "lab"


def test_half_the_sheet_covered_still_reads(cover_images: list[Image.Image]) -> None:
    img = cover_images[0].copy()
    img.paste(255, (0, 0, img.width, img.height // 3))  # Code 128 gone: the QR remains
    code = read_cover_sheet(img)
    assert code is not None and code.symbologies == ("QRCode",)


def test_patient_label_barcode_is_not_a_cover_sheet() -> None:
    page = scanned_page(noise=3)
    label = zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode("00012344", zxingcpp.BarcodeFormat.Code128), scale=4
    )
    qr = zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode("MRN:00012344|lab", zxingcpp.BarcodeFormat.QRCode), scale=8
    )
    page.paste(Image.fromarray(np.asarray(label)), (1500, 150))
    page.paste(Image.fromarray(np.asarray(qr)), (1500, 2400))
    found = zxingcpp.read_barcodes(page.resize((1275, 1650)))
    assert {b.text for b in found} >= {"00012344"}  # the label is readable ...
    assert read_cover_sheet(page) is None  # ... and still not a separator


def test_payload_rules() -> None:
    assert payload("00012344", "lab") == "CR1|00012344|lab"
    assert parse_payload("CR1|00012344|lab") == CoverSheetCode("00012344", "lab")
    for text in ("00012344", "CR1|00012344", "CR2|1|lab", "CR1||lab", "CR1|1|lab|x"):
        assert parse_payload(text) is None
    with pytest.raises(BadInput):
        payload("0001|2344", "lab")


def test_split_by_cover_sheets_keeps_every_page(cover_images: list[Image.Image]) -> None:
    text = scanned_page(noise=3)
    blank = blank_scan()
    batch = [text, cover_images[0], blank, text, text, blank, text, cover_images[1], text]
    segments = split_batch(batch, by="cover_sheet")
    assert [s.cover.mrn if s.cover else None for s in segments] == [None, "00012344", "00045671"]
    assert segments[0].pages == (0,) and segments[0].started_by == "start"
    assert segments[1].separators == (1, 2)  # the sheet and its blank back
    assert segments[1].pages == (3, 4, 5, 6)
    assert segments[1].blank_pages == (5,)  # flagged, kept in the document
    assert segments[2].separators == (7,) and segments[2].pages == (8,)
    placed = sorted(i for s in segments for i in (*s.pages, *s.separators))
    assert placed == list(range(len(batch)))


def test_split_by_blank_pages() -> None:
    t, b = PageMarks(), PageMarks(blank=True)
    segments = split_batch([b, t, t, b, b, t, b, t], by="blank_page")
    assert [s.pages for s in segments] == [(1, 2), (5,), (7,)]
    assert [s.separators for s in segments] == [(0,), (3, 4), (6,)]
    assert [s.started_by for s in segments] == ["start", "blank_page", "blank_page"]


def test_cover_sheet_with_nothing_after_it_is_noted() -> None:
    c = PageMarks(cover=CoverSheetCode("00012344", "lab"))
    segments = split_batch([c, c, PageMarks()], by="both")
    assert segments[0].pages == () and segments[0].notes
    assert segments[1].pages == (2,)
