"""The synthetic data generator: deterministic, realistic enough to benchmark against.

These tests guard the properties the search and scan benchmarks rely on: a seed names one
registry, name frequencies are skewed like a real one, the confusable neighbours exist and
really resemble their originals, and rendered pages are readable by the real Tesseract.
"""

from __future__ import annotations

import csv
import json
import time
import unicodedata
from collections import Counter
from datetime import date

import numpy as np
import pypdf
import pytest
from PIL import Image

from clinicrecords.common.mrn import is_valid_mrn, make_mrn
from clinicrecords.synthetic import names
from clinicrecords.synthetic.corpus import build_corpus
from clinicrecords.synthetic.degrade import blank_page, degrade, fax_header_line
from clinicrecords.synthetic.documents import DOC_TYPES, document_at, generate_documents
from clinicrecords.synthetic.patients import (
    REFERENCE_DATE,
    SYNTHEA_HEADER,
    generate_patients,
    write_synthea_csv,
)
from clinicrecords.synthetic.writers import write_jpeg, write_pdf, write_png, write_tiff

EXPECTED_HEADER = (
    "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,MIDDLE,LAST,SUFFIX,MAIDEN,"
    "MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,FIPS,ZIP,LAT,LON,"
    "HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE,INCOME"
)


@pytest.fixture(scope="module")
def registry():
    return generate_patients(20_000, seed=11)


def test_patients_are_deterministic_per_seed():
    assert generate_patients(300, seed=5) == generate_patients(300, seed=5)
    assert generate_patients(300, seed=5) != generate_patients(300, seed=6)


def test_mrns_follow_start_and_carry_check_digit():
    ps = generate_patients(50, seed=1, start_mrn=1000)
    assert [p.mrn for p in ps] == [make_mrn(1000 + i) for i in range(50)]
    assert all(is_valid_mrn(p.mrn) for p in ps)


def test_generation_is_fast():
    # CPU time, not wall time: the CI box is shared. ~0.3 s here; 200k take ~2.7 s.
    t = time.process_time()
    generate_patients(20_000, seed=3)
    assert time.process_time() - t < 3.0


def test_surname_frequencies_are_skewed_like_a_census(registry):
    counts = Counter(p.family for p in registry)
    assert counts.most_common(1)[0][0] == "Smith"
    rank_500 = names.SURNAMES[499]
    assert counts["Smith"] > 20 * max(1, counts[rank_500])
    assert len(counts) > 900  # a long tail, not a handful of names


def test_special_name_shapes_are_present(registry):
    families = {p.family for p in registry}
    given = {p.given for p in registry}
    assert any("-" in f for f in families)
    assert any("'" in f for f in families)
    assert any(" " in f for f in families)
    assert any(not f.isascii() for f in families)
    assert any(not g.isascii() for g in given)
    assert any(len(p.middle) == 1 for p in registry)
    assert any(len(p.middle) > 1 for p in registry)


def test_demographics_spread(registry):
    ages = [(REFERENCE_DATE - p.dob).days / 365.25 for p in registry]
    assert min(ages) < 1 and max(ages) > 90 and max(ages) <= 101
    assert {p.sex for p in registry} == {"F", "M", "X"}
    assert len({p.phone for p in registry}) > 0.9 * len(registry)
    assert all(p.phone.startswith("(555) ") and len(p.phone) == 14 for p in registry)
    assert len({p.source_id for p in registry}) == len(registry)


def test_confusable_neighbours_resemble_their_originals(registry):
    by_mrn = {p.mrn: p for p in registry}
    kinds = Counter(p.kind for p in registry)
    for kind in ("twin", "same_name_other_dob", "similar_name"):
        assert kinds[kind] > 100, kind
    assert 0.05 < 1 - kinds["normal"] / len(registry) < 0.11
    for p in registry:
        if p.kind == "normal":
            assert p.confusable_of is None
            continue
        base = by_mrn[p.confusable_of]
        assert base.mrn < p.mrn  # neighbours point back at an earlier chart
        if p.kind == "twin":
            assert p.twin_of == base.mrn
            assert (p.family, p.dob, p.address, p.phone) == (
                base.family,
                base.dob,
                base.address,
                base.phone,
            )
            assert p.given != base.given
        elif p.kind == "same_name_other_dob":
            assert (p.family, p.given) == (base.family, base.given) and p.dob != base.dob
        elif p.kind == "similar_name":
            assert (p.family, p.given) != (base.family, base.given)


def test_similar_names_include_the_classic_pairs(registry):
    by_mrn = {p.mrn: p for p in registry}
    similar = [(by_mrn[p.confusable_of], p) for p in registry if p.kind == "similar_name"]
    given_pairs = {(b.given, p.given) for b, p in similar}
    family_pairs = {(b.family, p.family) for b, p in similar}
    assert {("John", "Jon"), ("Steven", "Stephen"), ("Katherine", "Catherine")} <= given_pairs
    assert ("Smith", "Smyth") in family_pairs


def test_synthea_csv_header_and_digit_suffixes(tmp_path):
    ps = generate_patients(40, seed=4)
    path = write_synthea_csv(ps, tmp_path / "patients.csv")
    with path.open(encoding="utf-8") as fh:
        assert fh.readline().rstrip("\n") == EXPECTED_HEADER
    assert ",".join(SYNTHEA_HEADER) == EXPECTED_HEADER
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 40
    assert all(r["FIRST"][-1].isdigit() and r["LAST"][-1].isdigit() for r in rows)
    assert [r["Id"] for r in rows] == [p.source_id for p in ps]
    assert [r["BIRTHDATE"] for r in rows] == [p.dob.isoformat() for p in ps]

    plain = write_synthea_csv(ps, tmp_path / "plain.csv", digits_in_names=False)
    rows = list(csv.DictReader(plain.open(encoding="utf-8")))
    assert [(r["FIRST"], r["LAST"]) for r in rows] == [(p.given, p.family) for p in ps]


@pytest.fixture(scope="module")
def small_registry():
    return generate_patients(200, seed=9)


def test_documents_are_deterministic(small_registry):
    a = document_at(small_registry, 3, seed=4, dpi=72)
    b = document_at(small_registry, 3, seed=4, dpi=72)
    assert a.text == b.text and a.doc_type == b.doc_type
    assert a.pages[0].tobytes() == b.pages[0].tobytes()
    via_iter = list(generate_documents(small_registry, 4, seed=4, dpi=72))[3]
    assert via_iter.text == a.text


def test_every_document_type_renders_with_consistent_labels(small_registry):
    mrns = {p.mrn for p in small_registry}
    for code in DOC_TYPES:
        (doc,) = generate_documents(small_registry, 1, seed=1, doc_types=[code], dpi=72)
        assert doc.doc_type == code
        assert 1 <= len(doc.pages) <= 3 and len(doc.page_texts) == len(doc.pages)
        assert all(pg.mode == "L" and pg.size == (612, 792) for pg in doc.pages)
        assert doc.patient_mrn in mrns
        assert doc.patient_name_as_printed in doc.text
        assert doc.dob_as_printed in doc.text
        assert doc.facility in doc.text


def test_document_label_invariants(small_registry):
    docs = list(generate_documents(small_registry, 60, seed=2, dpi=36))
    mrns = {p.mrn for p in small_registry}
    dobs = {p.mrn: p.dob for p in small_registry}
    assert len({d.doc_type for d in docs}) >= 10
    assert any(len(d.pages) > 1 for d in docs)
    assert any(d.identifiers == ("mrn",) for d in docs) or any(
        len(d.identifiers) == 1 for d in docs
    )
    assert len({d.font for d in docs}) == 3 and len({d.layout for d in docs}) == 3
    for d in docs:
        assert dobs[d.patient_mrn] <= d.doc_date < REFERENCE_DATE
        if d.outside_record_number:
            assert d.outside_record_number in d.text
            digits = d.outside_record_number.replace("-", "")
            assert d.outside_record_number not in mrns
            assert not (digits.isdigit() and is_valid_mrn(digits))
        if d.fax_stamp_date:
            assert d.fax_stamp_date > d.doc_date
        if d.print_date:
            assert d.print_date > d.doc_date
    assert any(d.outside_record_number for d in docs)
    assert any(d.fax_stamp_date for d in docs)


def test_rendered_page_is_readable_by_tesseract(small_registry, monkeypatch):
    pytesseract = pytest.importorskip("pytesseract")
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    doc = next(
        d
        for d in generate_documents(small_registry, 30, seed=7, doc_types=["progress_note"])
        if "name" in d.identifiers and d.patient_name_as_printed.isascii()
    )
    family = next(p.family for p in small_registry if p.mrn == doc.patient_mrn)
    text = pytesseract.image_to_string(doc.pages[0], config="--psm 3")
    assert family.lower() in text.lower()


def test_degrade_profiles():
    img = Image.new("L", (425, 550), 255)
    img.paste(0, (50, 50, 350, 70))
    img.info["dpi"] = (50, 50)
    for profile in ("clean", "office", "bad"):
        out = degrade(img, 1, profile)
        assert out.mode == "L" and out.size == img.size
    assert degrade(img, 1, "office").tobytes() == degrade(img, 1, "office").tobytes()
    fax = degrade(img, 2, "fax", fax_header=fax_header_line(date(2024, 5, 6), 1, 2, "LAB"))
    assert fax.mode == "1" and fax.info["dpi"] == (204.0, 196.0)
    assert fax.size == (round(425 * 204 / 50), round(550 * 196 / 50))
    flipped = degrade(img, 1, "clean", rotate_upside_down=True)
    assert flipped.tobytes() == img.transpose(Image.Transpose.ROTATE_180).tobytes()
    with pytest.raises(ValueError):
        degrade(img, 1, "smudged")


def test_blank_and_faint_pages_differ():
    for seed in range(4):
        blank = np.asarray(blank_page((850, 1100), faint=False, rng_or_seed=seed))
        faint = np.asarray(blank_page((850, 1100), faint=True, rng_or_seed=seed))
        # Only dust is dark on either; the faint page's text is pale but covers more area.
        assert np.percentile(faint, 0.05) > 150
        dark_blank = (blank < np.median(blank) - 22).mean()
        dark_faint = (faint < np.median(faint) - 22).mean()
        assert dark_blank < 0.0003 < 0.0005 < dark_faint


def test_writers_round_trip(tmp_path):
    pages = [Image.new("L", (400, 500), 255) for _ in range(3)]
    for i, pg in enumerate(pages):
        pg.paste(0, (50, 50 + 60 * i, 300, 80 + 60 * i))
    tif = write_tiff(pages, tmp_path / "batch.tif", compression="group4")
    with Image.open(tif) as im:
        assert im.n_frames == 3
        assert im.mode == "1" and im.info.get("compression") == "group4"
    pdf = write_pdf([degrade(p, 1, "fax", dpi=100) for p in pages], tmp_path / "batch.pdf")
    assert len(pypdf.PdfReader(pdf).pages) == 3
    assert (
        pdf.read_bytes()
        == write_pdf(
            [degrade(p, 1, "fax", dpi=100) for p in pages], tmp_path / "again.pdf"
        ).read_bytes()
    )
    with Image.open(write_png(pages[0], tmp_path / "p.png")) as im:
        assert im.size == (400, 500)
    with Image.open(write_jpeg(pages[1], tmp_path / "p.jpg")) as im:
        assert im.format == "JPEG"


def test_corpus_writes_files_and_labels(tmp_path):
    summary = build_corpus(tmp_path, 5, seed=1, n_patients=40, dpi=72, blanks=1)
    assert summary.documents == 5
    labels = json.loads((tmp_path / "labels.json").read_text("utf-8"))
    assert len(labels["documents"]) == 5 and len(labels["blank_pages"]) == 2
    mrns = {p["mrn"] for p in json.loads((tmp_path / "patients.json").read_text("utf-8"))}
    for lab in labels["documents"]:
        assert (tmp_path / lab["file"]).exists()
        assert lab["doc_type"] in DOC_TYPES and lab["patient_mrn"] in mrns
        date.fromisoformat(lab["doc_date"])
    header = (tmp_path / "patients.csv").read_text("utf-8").splitlines()[0]
    assert header == EXPECTED_HEADER


def test_accented_names_survive_rendering(registry):
    # Standard PDF fonts are Latin-1: the accents we generate must all be encodable.
    for p in registry:
        for part in (p.family, p.given):
            if not part.isascii():
                part.encode("latin-1")
                assert unicodedata.is_normalized("NFC", part)
