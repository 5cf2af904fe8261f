"""The mail corpus (issue 10): deterministic by seed, every class renders its truth, page
qualities look like what they claim, other modules can add classes, and the bench's
calibration table counts right."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest
from PIL import Image, ImageDraw

from clinicrecords.common.dates import date_shapes
from clinicrecords.scan.types import PatientSuggestion, ScoredValue, Suggestions
from clinicrecords.synthetic import mail
from clinicrecords.synthetic.degrade import MAIL_QUALITIES, _font, mail_quality
from clinicrecords.synthetic.mailscore import ClassTally, calibration, format_calibration
from clinicrecords.synthetic.patients import REFERENCE_DATE, generate_patients


@pytest.fixture(scope="module")
def patients():
    return generate_patients(300, seed=5)


def _dates_in(text: str) -> set[date]:
    out = set()
    for shape in date_shapes(text):
        got, _ = shape.page_reading("MDY", REFERENCE_DATE)
        if got:
            out.add(got)
    return out


def test_mail_pages_are_deterministic_per_seed(patients) -> None:
    a = mail.mail_page(patients, 3, seed=9, qualities=["photo"])
    b = mail.mail_page(patients, 3, seed=9, qualities=["photo"])
    c = mail.mail_page(patients, 3, seed=10, qualities=["photo"])
    assert (a.mail_class, a.doc_date, a.patient_mrn, a.text) == (
        b.mail_class,
        b.doc_date,
        b.patient_mrn,
        b.text,
    )
    assert a.image.tobytes() == b.image.tobytes()
    assert (a.text, a.doc_date) != (c.text, c.doc_date)


@pytest.mark.parametrize(
    "cls",
    [
        "date_lab",
        "date_imaging",
        "date_visit",
        "date_discharge",
        "date_letter",
        "date_stamp_only",
        "date_fax_only",
    ],
)
def test_each_date_class_prints_its_answer_among_other_dates(patients, cls: str) -> None:
    pg = mail.mail_page(patients, 1, seed=4, classes=[cls], qualities=["scan"])
    assert pg.mail_class == cls and pg.doc_date is not None and pg.date_label
    printed = _dates_in(pg.text)
    assert pg.doc_date in printed
    on_file = {p.mrn: p for p in patients}
    assert pg.patient_mrn in on_file
    assert on_file[pg.patient_mrn].dob in printed  # the DOB is on every page
    if cls not in ("date_stamp_only", "date_fax_only"):
        assert len(printed) >= 3  # the answer, the DOB and at least one other date


def test_layouts_vary_within_a_class(patients) -> None:
    layouts = {
        mail.mail_page(patients, i, seed=2, classes=["date_lab"], qualities=["scan"]).layout
        for i in range(5)
    }
    assert len(layouts) >= 2


def test_not_on_file_page_names_a_stranger(patients) -> None:
    pg = mail.mail_page(patients, 0, seed=1, classes=["not_on_file"], qualities=["scan"])
    assert pg.patient_mrn is None
    assert pg.doc_date is not None and "Patient:" in pg.text


def _text_page() -> Image.Image:
    img = Image.new("L", (800, 1000), 255)
    draw = ImageDraw.Draw(img)
    for k in range(12):
        draw.text((60, 60 + 60 * k), "Collected: 03/04/2025 Glucose 98", 0, _font(24))
    img.info["dpi"] = (200, 200)
    return img


@pytest.mark.parametrize("quality", MAIL_QUALITIES)
def test_page_qualities_look_like_their_source(quality: str) -> None:
    src = _text_page()
    out = mail_quality(src, random.Random(1), quality)
    a = np.asarray(out.convert("L"), dtype=np.float32)
    if quality == "photo":
        assert out.info["dpi"] == (150.0, 150.0) and out.size == (600, 750)
    elif quality == "fax_lowres":
        assert out.mode == "1" and out.info["dpi"] == (204.0, 98.0)
    elif quality == "turned":
        assert out.size in ((1000, 800), (800, 1000))
        assert not np.array_equal(a, np.asarray(src, dtype=np.float32))
    elif quality == "photocopy":
        assert a.min() > 60 and a.max() < 250  # grey ink on grey paper
    else:
        assert out.size == src.size


def test_other_modules_can_register_a_class(patients) -> None:
    def twins(ctx: mail.MailCtx) -> mail.MailDoc:
        doc = mail.visit_page(ctx)
        doc.notes["kind"] = "twin"
        return doc

    mail.register("test_twins", 0.5)(twins)
    try:
        pg = mail.mail_page(patients, 0, seed=1, classes=["test_twins"], qualities=["scan"])
        assert pg.mail_class == "test_twins" and pg.notes == {"kind": "twin"}
    finally:
        del mail.MAIL_CLASSES["test_twins"], mail.CLASS_WEIGHTS["test_twins"]
    with pytest.raises(ValueError):
        mail.mail_page(patients, 0, seed=1, classes=["test_twins"])


def test_calibration_table_counts_each_bucket() -> None:
    scored = [(0.97, True), (0.96, True), (0.92, False), (0.91, True), (0.6, False), (0.0, False)]
    table = calibration(scored)
    by_low = {b.low: b for b in table}
    assert (by_low[0.95].n, by_low[0.95].share) == (2, 1.0)
    assert (by_low[0.9].n, by_low[0.9].share) == (2, 0.5)
    assert (by_low[0.5].n, by_low[0.5].share) == (1, 0.0)
    assert by_low[0.8].n == 0 and by_low[0.8].share is None
    assert sum(b.n for b in table) == len(scored)
    lines = format_calibration(table)
    assert lines[0].startswith("score bucket") and len(lines) == len(table) + 1


def test_tally_counts_review_and_confident_wrong() -> None:
    def page(mrn: str, score: float) -> Suggestions:
        p = PatientSuggestion(1, mrn, "A, B", "1970-01-01", score)
        return Suggestions(
            patient=(p,),
            doc_type=(ScoredValue("lab", 0.8),),
            doc_date=(ScoredValue("2025-01-02", 0.9),),
        )

    t = ClassTally()
    t.add(page("00000017", 0.95), "00000017", "lab", "2025-01-02")  # right, confident
    t.add(page("00000025", 0.95), "00000017", "lab", "2025-01-03")  # confident wrong
    t.add(page("00000025", 0.5), None, "imaging", "2025-01-02")  # not on file: review
    r = t.rates()
    assert (r["pages"], r["confident_wrong"], r["review"]) == (3, 1, round(1 / 3, 3))
    assert r["patient_top1"] == 0.5  # of the two identifiable pages
    assert (t.date_ok, t.type_ok) == (2, 2)
