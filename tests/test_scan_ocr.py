"""OCR with the real tesseract binary on synthetic pages and the shared samples.

Measured on the 2-core dev box, OMP_THREAD_LIMIT=1: header pass 0.4-0.6 s, full pass 1.0 s
(a short note) to 5 s (a dense 40-line page) per 300-dpi letter page.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError

import pytest
from PIL import Image

from clinicrecords.scan import ocr
from clinicrecords.scan.ocr import OcrCancelled, OcrEngine, OcrUnavailable, parse_tsv
from clinicrecords.scan.sources import load_pages
from clinicrecords.scan.types import Box, OcrResult
from tests.scanfixtures import SAMPLES, scanned_page

pytestmark = pytest.mark.skipif(ocr.tesseract_path() is None, reason="tesseract is not installed")


@pytest.fixture(scope="module")
def engine():
    with OcrEngine(workers=2) as eng:
        yield eng


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return scanned_page(skew=0.4, noise=5)


def _word(result: OcrResult, text: str):
    return next(w for w in result.words if w.text == text)


def test_header_pass_reads_the_identifiers_with_page_boxes(
    engine: OcrEngine, page: Image.Image
) -> None:
    result = engine.header_pass(page)
    assert result.region == Box(0, 0, page.width, round(page.height * ocr.HEADER_FRACTION))
    for needle in ("Albermarle", "03/14/1967", "00012344", "PROGRESS"):
        assert needle in result.text
    mrn = _word(result, "00012344")
    # Boxes are in page pixels even though the header pass read a 200-dpi copy: the MRN
    # sits on the 4th line, about 1.6 inches down and 2.6 inches in.
    assert 2.2 * 300 < mrn.box.left < 3.4 * 300
    assert 1.3 * 300 < mrn.box.top < 2.0 * 300
    assert mrn.conf > 50
    assert result.seconds > 0


def test_full_pass_reads_the_body(engine: OcrEngine, page: Image.Image) -> None:
    result = engine.full_pass(page)
    assert result.region is None
    assert "loratadine" in result.text
    lines = {w.line for w in result.words}
    assert len(lines) >= 8
    assert result.text.count("\n") >= 8


def test_region_boxes_are_offset_into_the_page(engine: OcrEngine, page: Image.Image) -> None:
    header = engine.header_pass(page)  # read from a 200-dpi copy, boxes scaled back
    region = Box(300, 250, 1500, 400)
    part = engine.ocr_page(page, region=region, psm=6)  # read at 300 dpi from an offset crop
    word = _word(part, "Albermarle")
    same = _word(header, "Albermarle")
    assert word.box.left >= region.left and word.box.top >= region.top
    assert abs(word.box.left - same.box.left) <= 4 and abs(word.box.top - same.box.top) <= 4


def test_submit_runs_pages_in_parallel_and_cancel_works(
    engine: OcrEngine, page: Image.Image
) -> None:
    futures = [engine.submit_header(page) for _ in range(2)]
    assert all("Albermarle" in f.result(timeout=60).text for f in futures)

    queued = [engine.submit_full(page) for _ in range(4)]
    time.sleep(0.3)  # let the first two start
    for f in queued:
        engine.cancel(f)
    outcomes = []
    for f in queued:
        try:
            f.result(timeout=60)
            outcomes.append("done")
        except (CancelledError, OcrCancelled):
            outcomes.append("cancelled")
    assert outcomes.count("cancelled") >= 3  # the queued ones surely, the running ones killed


def test_every_tesseract_process_gets_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_THREAD_LIMIT", "4")
    assert ocr.tesseract_env()["OMP_THREAD_LIMIT"] == "1"


def test_missing_tesseract_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICRECORDS_TESSERACT", "/nonexistent/tesseract")
    with pytest.raises(OcrUnavailable, match="not installed"):
        ocr.run_tesseract(Image.new("L", (50, 50), 255), ["--psm", "6"])


def test_parse_tsv_builds_lines_and_maps_boxes() -> None:
    tsv = (
        "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n"
        "5\t1\t1\t1\t1\t1\t10\t20\t30\t10\t96.5\tJane\n"
        "5\t1\t1\t1\t1\t2\t50\t20\t30\t10\t91\tRoe\n"
        "5\t1\t2\t1\t1\t1\t10\t60\t30\t10\t-1\t \n"
        "5\t1\t2\t1\t1\t2\t10\t60\t40\t10\t88\tDOB\n"
    )
    result = parse_tsv(tsv, offset=(100, 200), scale=2.0)
    assert result.text == "Jane Roe\n\nDOB"
    assert [w.line for w in result.words] == [1, 1, 2]
    assert result.words[1].box == Box(200, 240, 60, 20)


def test_typewriter_sample_reads_something(engine: OcrEngine) -> None:
    if not SAMPLES.exists():
        pytest.skip("shared samples folder /work/shared/samples/thirdparty is absent")
    with load_pages(SAMPLES / "typewriter.png") as loaded:
        (img,) = list(loaded.iter_pages())
    top = Box(0, 0, img.width, img.height // 3)
    result = engine.ocr_page(img.convert("L"), region=top, psm=6)
    assert len(result.words) > 5


def test_one_engine_is_safe_from_several_threads(engine: OcrEngine) -> None:
    small = scanned_page(["Harbor View Clinic", "Patient: Ottoline Fenwick"], dpi=150)
    region = Box(0, 0, small.width, small.height // 4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            assert "Fenwick" in engine.ocr_page(small, region=region, psm=6).text
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors


@pytest.mark.slow  # two Tesseract reads of one header (Otsu's noisy one, then Sauvola): 2-5 s
def test_a_short_letter_on_grey_noisy_paper_reads_its_print_not_the_noise(engine) -> None:
    # Seven lines on a letter page scanned badly (grey, uneven, noisy, JPEG): Tesseract's
    # global Otsu split the paper itself and read hundreds of garbage words (the name lost);
    # such a noisy read is read again with local (Sauvola) thresholding, which reads the print.
    import random

    from clinicrecords.scan.cleanup import clean_page
    from clinicrecords.synthetic.degrade import degrade
    from clinicrecords.synthetic.mail_people import MailPage

    text = (
        "Summit Orthopedic Associates\n09/18/2024\nRe: Alice Summers\nDOB 1/21/1976\n"
        "Dear Dr. Randall,\nFindings: no acute abnormality.\nImpression: normal study."
    )
    scan = degrade(MailPage("x", "x", text, None, False).render(), random.Random(23), "bad")
    header = engine.header_pass(clean_page(scan, fix_orientation=False).image)
    assert "Summers" in header.text and "1/21/1976" in header.text
    assert len(header.words) < 40
