"""File import: real PDFs, TIFFs, PNGs and JPEGs, good and bad."""

from __future__ import annotations

import gc
import struct
import time
import weakref
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter
from reportlab.pdfgen import canvas

from clinicrecords.common.errors import BadInput
from clinicrecords.scan import limits
from clinicrecords.scan.sources import JPEG, PDF, PNG, TIFF, load_pages, sniff
from clinicrecords.scan.watch import FolderWatcher, is_temporary_name
from tests.scanfixtures import SAMPLES, page_pdf, rasterise, save_tiff, scanned_page

# -- sniffing and refusing -------------------------------------------------------------------


def test_sniff_goes_by_bytes_not_name(tmp_path: Path) -> None:
    pdf = tmp_path / "looks-like.jpg"
    pdf.write_bytes(page_pdf())
    png = tmp_path / "scan.pdf"
    scanned_page(dpi=50).save(png, "PNG")
    assert sniff(pdf) == PDF
    assert sniff(png) == PNG
    with load_pages(pdf) as loaded:
        assert loaded.media_type == PDF
        assert len(list(loaded.iter_pages())) == 1


@pytest.mark.parametrize(
    ("name", "content", "phrase"),
    [
        ("empty.pdf", b"", "empty"),
        (
            "letter.jpg",
            b"Dear Dr. Example,\nplease find enclosed...\n",
            "not a PDF, TIFF, JPEG or PNG",
        ),
        ("broken.pdf", b"%PDF-1.7\n%%EOF\n", "damaged"),
        ("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "damaged"),
    ],
)
def test_bad_files_are_refused_with_one_sentence(
    tmp_path: Path, name: str, content: bytes, phrase: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadInput) as info:
        load_pages(path)
    message = str(info.value)
    assert phrase in message
    assert name in message
    assert "Traceback" not in message and "\n" not in message


def test_third_party_invalid_pdf_is_refused() -> None:
    path = SAMPLES / "invalid.pdf"
    if not path.exists():
        pytest.skip("shared samples folder /work/shared/samples/thirdparty is absent")
    with pytest.raises(BadInput, match="damaged"):
        load_pages(path)


def test_password_protected_pdf_is_refused(tmp_path: Path) -> None:
    import io

    from pypdf import PdfReader

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(page_pdf())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as fh:
        writer.write(fh)
    with pytest.raises(BadInput, match="password"):
        load_pages(path)


def test_truncated_png_is_refused(tmp_path: Path) -> None:
    full = tmp_path / "full.png"
    scanned_page(dpi=100, noise=4).save(full, "PNG")
    cut = tmp_path / "cut.png"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(BadInput, match="cut short"):
        load_pages(cut)


def test_truncated_jpeg_is_refused(tmp_path: Path) -> None:
    full = tmp_path / "full.jpg"
    scanned_page(dpi=100, noise=4).save(full, "JPEG", quality=80)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 3])
    with pytest.raises(BadInput):
        load_pages(cut)


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG that claims a huge page: just the header and a token of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [11_000, 60_000])  # 121 MP (ours), 3.6 GP (Pillow's too)
def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path, side: int) -> None:
    path = tmp_path / "bomb.png"
    _png_header_only(path, side, side)
    started = time.perf_counter()
    with pytest.raises(BadInput, match="megapixels"):
        load_pages(path)
    assert time.perf_counter() - started < 1.0


def test_too_many_pages_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_PAGES_PER_FILE", 2)
    pdf = tmp_path / "thick.pdf"
    pdf.write_bytes(page_pdf(pages=3))
    with pytest.raises(BadInput, match="more than the 2"):
        load_pages(pdf)
    small = scanned_page(dpi=40)
    tif = save_tiff(tmp_path / "thick.tif", [small, small, small])
    with pytest.raises(BadInput, match="3 pages"):
        load_pages(tif)


# -- PDFs ----------------------------------------------------------------------------------


def test_text_pdf_is_rendered_at_300_dpi_with_its_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "letter.pdf"
    path.write_bytes(page_pdf(pages=2))
    with load_pages(path) as loaded:
        assert loaded.page_count == 2
        pages = list(loaded.iter_source_pages())
    assert [p.number for p in pages] == [1, 2]
    for page in pages:
        assert page.dpi == 300
        assert page.image is not None and page.image.width == 2550
        assert page.image.info["dpi"] == (300, 300)
        assert page.text is not None and "Albermarle" in page.text


def _image_pdf(path: Path, img: Image.Image, placed_dpi: float) -> None:
    """A scanner-style PDF: one picture filling the page, no text."""
    png = path.with_suffix(".src.png")
    img.save(png)
    c = canvas.Canvas(
        str(path), pagesize=(img.width * 72 / placed_dpi, img.height * 72 / placed_dpi)
    )
    c.drawImage(
        str(png), 0, 0, width=img.width * 72 / placed_dpi, height=img.height * 72 / placed_dpi
    )
    c.showPage()
    c.save()


def test_scanned_pdf_page_comes_out_at_native_resolution(tmp_path: Path) -> None:
    scan = scanned_page(dpi=200).convert("1")
    path = tmp_path / "scan200.pdf"
    _image_pdf(path, scan, 200)
    with load_pages(path) as loaded:
        (page,) = list(loaded.iter_source_pages())
    assert page.image is not None
    assert page.image.size == scan.size  # not resampled to 300 dpi
    assert round(page.dpi) == 200
    assert page.text is None


def test_third_party_pdfs_load() -> None:
    if not SAMPLES.exists():
        pytest.skip("shared samples folder /work/shared/samples/thirdparty is absent")
    with load_pages(SAMPLES / "ccitt.pdf") as loaded:  # CCITT G4, one picture per page
        (page,) = list(loaded.iter_source_pages())
        assert page.image is not None and page.image.size == (2550, 3300)
        assert page.dpi == pytest.approx(300, abs=1)
    with load_pages(SAMPLES / "skew.pdf") as loaded:  # JBIG2 placed at an angle: rendered
        (page,) = list(loaded.iter_source_pages())
        assert page.image is not None and page.dpi == 300
    with load_pages(SAMPLES / "typewriter.png") as loaded:  # a photo with no resolution
        (page,) = list(loaded.iter_source_pages())
        assert page.image is not None and page.dpi_guessed


def test_oversized_pdf_page_is_rendered_within_the_pixel_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_PAGE_PIXELS", 4_000_000)  # same logic, a faster render
    path = tmp_path / "poster.pdf"
    c = canvas.Canvas(str(path), pagesize=(200 * 72, 200 * 72))  # the largest page PDF allows
    c.drawString(72, 72, "Poster")
    c.showPage()
    c.save()
    with load_pages(path) as loaded:
        (page,) = list(loaded.iter_source_pages())
    assert page.image is not None
    assert page.image.width * page.image.height <= limits.MAX_PAGE_PIXELS
    assert page.dpi < 300


# -- TIFF ----------------------------------------------------------------------------------


def test_fax_tiff_pages_stream_one_at_a_time(tmp_path: Path) -> None:
    base = rasterise(page_pdf(pages=1), dpi=50)
    path = save_tiff(tmp_path / "fax.tif", [base] * 500, compression="group4", dpi=50)
    loaded = load_pages(path)
    assert loaded.page_count == 500
    alive: list[weakref.ref[Image.Image]] = []
    count = 0
    for img in loaded.iter_pages():
        alive.append(weakref.ref(img))
        count += 1
        del img
        if count % 50 == 0:
            gc.collect()
            assert sum(r() is not None for r in alive) <= 1  # nothing piles up
    loaded.close()
    assert count == 500 and not loaded.problems


def test_fax_normal_mode_pixels_are_made_square(tmp_path: Path) -> None:
    img = rasterise(page_pdf(), dpi=204).convert("1")
    normal = img.resize((img.width, img.height * 98 // 204))  # 204 x 98 dpi, as faxes send
    path = tmp_path / "normal.tif"
    normal.save(path, compression="group3", dpi=(204, 98))
    with load_pages(path) as loaded:
        (page,) = list(loaded.iter_source_pages())
    assert page.image is not None and page.dpi == pytest.approx(204)
    assert abs(page.image.height - img.height) <= 2


def test_a_bad_page_is_reported_and_the_others_come_out(tmp_path: Path) -> None:
    good = rasterise(page_pdf(), dpi=60)
    path = save_tiff(tmp_path / "three.tif", [good, good, good], compression="raw", dpi=60)
    # Make page 2 claim 20000 x 20000 pixels in its own header (tags 256/257).
    data = bytearray(path.read_bytes())
    second = _ifd_offsets(bytes(data))[1]
    _patch_dimension(data, second, 20_000)
    path.write_bytes(bytes(data))
    with load_pages(path) as loaded:
        images = list(loaded.iter_pages())
        assert loaded.page_count == 3
        assert len(images) == 2
        assert [p.number for p in loaded.problems] == [2]
        assert "megapixels" in loaded.problems[0].message


def _ifd_offsets(data: bytes) -> list[int]:
    endian = "<" if data[:2] == b"II" else ">"
    offsets = []
    (offset,) = struct.unpack(endian + "I", data[4:8])
    while offset:
        offsets.append(offset)
        (count,) = struct.unpack(endian + "H", data[offset : offset + 2])
        (offset,) = struct.unpack(
            endian + "I", data[offset + 2 + 12 * count : offset + 6 + 12 * count]
        )
    return offsets


def _patch_dimension(data: bytearray, ifd: int, value: int) -> None:
    endian = "<" if data[:2] == b"II" else ">"
    (count,) = struct.unpack(endian + "H", data[ifd : ifd + 2])
    for i in range(count):
        entry = ifd + 2 + 12 * i
        tag, kind = struct.unpack(endian + "HH", data[entry : entry + 4])
        if tag in (256, 257):
            if kind == 3:
                data[entry + 8 : entry + 10] = struct.pack(endian + "H", value)
            else:
                data[entry + 8 : entry + 12] = struct.pack(endian + "I", value)


# -- JPEG / PNG ----------------------------------------------------------------------------


def test_jpeg_and_png_keep_or_guess_dpi(tmp_path: Path) -> None:
    img = scanned_page(dpi=150)
    with_dpi = tmp_path / "a.jpg"
    img.save(with_dpi, "JPEG", dpi=(150, 150))
    without = tmp_path / "b.png"
    img.save(without, "PNG")  # no pHYs chunk
    camera = tmp_path / "c.jpg"
    big = img.resize((img.width * 2, img.height * 2))  # 2550 px wide "at 72 dpi" = 35 inches
    big.save(camera, "JPEG", dpi=(72, 72))  # what phones write whatever they captured
    assert sniff(with_dpi) == JPEG
    for path, dpi, guessed in ((with_dpi, 150, False), (without, 150, True), (camera, 300, True)):
        with load_pages(path) as loaded:
            (page,) = list(loaded.iter_source_pages())
        assert (page.dpi, page.dpi_guessed) == (dpi, guessed), path.name
    tif = save_tiff(tmp_path / "d.tif", [img], compression="tiff_lzw", dpi=150)
    assert sniff(tif) == TIFF


# -- watched folder ------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_watcher_hands_over_only_settled_files(tmp_path: Path) -> None:
    clock = _Clock()
    got: list[Path] = []
    watcher = FolderWatcher(tmp_path, got.append, settle_seconds=3, clock=clock)
    slow = tmp_path / "scan0001.pdf"
    slow.write_bytes(b"%PDF-1.4\n" + b"x" * 1000)
    (tmp_path / "scan0002.pdf.part").write_bytes(b"%PDF partial")
    (tmp_path / ".~lock.scan").write_bytes(b"x")
    (tmp_path / "empty.pdf").write_bytes(b"")
    assert watcher.sweep() == []
    clock.now += 2
    with open(slow, "ab") as fh:  # still being written
        fh.write(b"y" * 1000)
    assert watcher.sweep() == []
    clock.now += 2.5
    assert watcher.sweep() == []  # 2.5 s since it last grew
    clock.now += 1
    assert watcher.sweep() == [slow]
    clock.now += 10
    assert watcher.sweep() == []  # handed over once
    assert got == [slow]
    assert slow.exists() and (tmp_path / "scan0002.pdf.part").exists()  # nothing deleted


def test_watcher_offers_a_replaced_file_again(tmp_path: Path) -> None:
    clock = _Clock()
    got: list[Path] = []
    watcher = FolderWatcher(tmp_path, got.append, settle_seconds=1, clock=clock)
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"first scan")
    watcher.sweep()
    clock.now += 2
    watcher.sweep()
    f.write_bytes(b"second scan, same name")
    watcher.sweep()
    clock.now += 2
    watcher.sweep()
    assert got == [f, f]


def test_watcher_survives_a_failing_handler(tmp_path: Path) -> None:
    clock = _Clock()

    def fail(path: Path) -> None:
        raise RuntimeError("import failed")

    watcher = FolderWatcher(tmp_path, fail, settle_seconds=1, clock=clock)
    (tmp_path / "a.pdf").write_bytes(b"a")
    watcher.sweep()
    clock.now += 2
    assert watcher.sweep() == [tmp_path / "a.pdf"]


def test_watcher_thread_picks_up_a_dropped_file(tmp_path: Path) -> None:
    got: list[Path] = []
    with FolderWatcher(tmp_path, got.append, settle_seconds=0.3, sweep_seconds=0.5):
        (tmp_path / "drop.tmp").write_bytes(b"x" * 100)
        (tmp_path / "drop.tmp").rename(tmp_path / "drop.pdf")
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
    assert got == [tmp_path / "drop.pdf"]


def test_temporary_names() -> None:
    for name in ("x.tmp", "~$doc.pdf", ".hidden.pdf", "scan.PDF.part", "Thumbs.db", "a.crdownload"):
        assert is_temporary_name(name), name
    for name in ("scan0001.pdf", "Fax_2024-05-02.tif", "image.JPG"):
        assert not is_temporary_name(name), name


def test_phone_photo_is_turned_by_its_exif_orientation(tmp_path: Path) -> None:
    upright = scanned_page(dpi=60)
    stored = upright.rotate(90, expand=True)  # the camera kept the sensor's landscape pixels
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    path = tmp_path / "photo.jpg"
    stored.save(path, "JPEG", exif=exif)
    with load_pages(path) as loaded:
        (img,) = list(loaded.iter_pages())
    assert img.size == upright.size


def test_ocred_scan_pdf_gives_native_image_and_its_hidden_text(tmp_path: Path) -> None:
    scan = scanned_page(dpi=150)
    png = tmp_path / "scan.png"
    scan.save(png)
    path = tmp_path / "ocred.pdf"
    c = canvas.Canvas(str(path), pagesize=(612, 792))
    c.drawImage(str(png), 0, 0, width=612, height=792)
    text = c.beginText(72, 700)
    text.setTextRenderMode(3)  # invisible, as OCRmyPDF and copiers write their OCR layer
    text.textLine("Quincy Albermarle")
    c.drawText(text)
    c.showPage()
    c.save()
    with load_pages(path) as loaded:
        (page,) = list(loaded.iter_source_pages())
    assert page.image is not None and page.image.size == scan.size
    assert page.dpi == pytest.approx(150, abs=1)
    assert page.text == "Quincy Albermarle"


def test_transparent_png_gets_white_paper(tmp_path: Path) -> None:
    img = Image.new("RGBA", (850, 1100), (0, 0, 0, 0))  # fully transparent, black underneath
    img.paste((0, 0, 0, 255), (100, 100, 400, 130))  # one black bar of "text"
    path = tmp_path / "clear.png"
    img.save(path)
    with load_pages(path) as loaded:
        (page,) = list(loaded.iter_pages())
    assert page.mode == "RGB"
    assert page.getpixel((700, 1000)) == (255, 255, 255)
    assert page.getpixel((200, 110)) == (0, 0, 0)


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="folder"):
        load_pages(tmp_path)
