"""``suggest``, ``ingest`` and ``scan acquire`` on the command line, and the SANE test device."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from clinicrecords import cli
from clinicrecords.clinic.store import Store
from clinicrecords.intake.importing import import_files
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.conftest import PASSPHRASE
from tests.scanfixtures import page_pdf, rasterise

QUINCY = PatientInput(
    family="Albermarle", given="Quincy", dob=date(1967, 3, 14), sex="M", mrn="00012344"
)
TABLES = ("batches", "imported_files", "pages", "documents", "audit_log", "settings")


@pytest.fixture
def referral(tmp_path: Path) -> Path:
    buf = io.BytesIO()
    rasterise(page_pdf(), dpi=150).save(buf, "PNG", dpi=(150, 150))
    path = tmp_path / "referral.png"
    path.write_bytes(buf.getvalue())
    return path


@pytest.fixture
def with_quincy(store_dir: Path, store: Store, admin_session) -> Path:
    register_patient(admin_session, QUINCY)
    store.close()  # the command line opens the store itself
    return store_dir


def run(capsys, store_dir: Path, *args: str) -> tuple[int, dict | None, str]:
    code = cli.main(["--data-dir", str(store_dir), *args, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def counts(store_dir: Path) -> tuple[dict[str, int], set[str]]:
    with Store.open(store_dir, PASSPHRASE) as s:
        conn = s.db.connection()
        rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        return rows, set(s.pages.iter_blob_ids())


def test_suggest_prints_ranked_suggestions_and_leaves_the_store_unchanged(
    capsys, cli_env, with_quincy, referral
):
    before = counts(with_quincy)
    code, out, err = run(capsys, with_quincy, "suggest", str(referral))
    assert code == 0, err
    assert out["pages"] == 1
    top = out["patient"][0]
    assert top["mrn"] == "00012344" and top["dob"] == "1967-03-14" and top["score"] >= 0.9
    assert {e["kind"] for e in top["evidence"]} >= {"dob"}
    assert "name + DOB" in top["reason"]  # the reason in words, as the index screen shows it
    assert out["doc_type"][0]["code"] == "progress_note"
    assert out["doc_date"][0]["value"] == "2024-05-02"
    for key in ("patient", "doc_type", "doc_date"):
        scores = [v["score"] for v in out[key]]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    after = counts(with_quincy)
    # Signing in and out is audited (as for every command); nothing about the file is kept.
    assert {k: v for k, v in after[0].items() if k != "audit_log"} == {
        k: v for k, v in before[0].items() if k != "audit_log"
    }
    assert after[1] == before[1]


def test_suggest_refuses_a_bad_file_with_one_line(capsys, cli_env, with_quincy, tmp_path):
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"not a pdf at all")
    code, out, err = run(capsys, with_quincy, "suggest", str(bad))
    assert code == 2 and out is None
    assert err.count("\n") == 1 and "The file" in err and "scan" not in err  # never its name


def test_ingest_reports_stored_duplicate_and_failed(
    capsys, cli_env, with_quincy, referral, tmp_path
):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00garbage")
    copy = tmp_path / "again.png"
    shutil.copy(referral, copy)
    code, out, err = run(capsys, with_quincy, "ingest", str(referral), str(broken), str(copy))
    assert code == 0, err
    statuses = [(f["name"], f["status"]) for f in out["files"]]
    assert statuses == [
        ("referral.png", "stored"),
        ("broken.tif", "failed"),
        ("again.png", "duplicate"),
    ]
    # Sentences name files by number; the JSON also carries the path as it was passed.
    assert (
        "File 2 of 3" in out["files"][1]["message"] and "broken" not in out["files"][1]["message"]
    )
    assert out["files"][1]["path"] == str(broken) and out["files"][1]["number"] == 2
    assert out["batch_id"] and out["pages"] == 1
    page = out["page_list"][0]
    assert page["status"] == "ready" and page["text"]
    assert page["suggestions"]["patient"][0]["mrn"] == "00012344"
    assert page["suggestions"]["confident"] is True


SANE = shutil.which("scanimage")


@pytest.mark.skipif(SANE is None, reason="scanimage (sane-utils) is not installed")
def test_ingest_from_the_sane_test_device(capsys, cli_env, with_quincy):
    code, out, err = run(capsys, with_quincy, "scan", "devices")
    assert code == 0, err
    assert any(d["name"].startswith("test") for d in out["devices"])
    code, out, err = run(
        capsys,
        with_quincy,
        "scan",
        "acquire",
        "--device",
        "test:0",
        "--single",
        "--dpi",
        "75",
        "--option=--test-picture=Grid",
    )
    assert code == 0, err
    assert [f["status"] for f in out["files"]] == ["stored"]
    assert out["pages"] == 1
    with Store.open(with_quincy, PASSPHRASE) as s:
        conn = s.db.connection()
        assert conn.execute("SELECT source FROM batches").fetchone()[0] == "scanner"
        f = conn.execute("SELECT blob_id, sha256, status FROM imported_files").fetchone()
        assert f[2] == "split" and s.pages.get(f[0], f[1])[:4] == b"\x89PNG"


@pytest.mark.skipif(SANE is None, reason="scanimage (sane-utils) is not installed")
def test_sane_scan_imported_by_the_service(admin_session, tmp_path):
    from clinicrecords.scan import sane

    pages = sane.scan(
        "test:0", out_dir=tmp_path, dpi=75, batch=False, options=("--test-picture=Grid",)
    )
    report = import_files(admin_session, pages, source="scanner", remove_originals=True)
    assert report.count("stored") == 1 and not pages[0].exists()


def _cover_sheet_then_page(tmp_path: Path) -> Path:
    """A stack as the feeder gives it: a cover sheet for Quincy, then a page that names no
    patient (a continuation page: no name, no DOB, no MRN)."""
    import pypdfium2 as pdfium

    from clinicrecords.scan import barcodes
    from tests.scanfixtures import BODY_LINES

    sheet = barcodes.cover_sheet_pdf_bytes(
        [barcodes.CoverSheet("00012344", "ALBERMARLE, Quincy", "lab", "Laboratory result")]
    )
    cover = pdfium.PdfDocument(sheet)[0].render(scale=150 / 72).to_pil().convert("L")
    page = rasterise(page_pdf(BODY_LINES), dpi=150)
    tiff = tmp_path / "stack.tif"
    cover.save(tiff, "TIFF", save_all=True, append_images=[page], dpi=(150, 150))
    return tiff


def test_suggest_runs_the_batch_pipeline_and_reads_a_cover_sheet(
    capsys, cli_env, with_quincy, tmp_path
):
    """``suggest`` runs the same page steps as ``ingest`` (pipeline.py): a cover sheet is
    read by its barcode (before, suggest had its own steps and no cover-sheet step)."""
    code, out, err = run(capsys, with_quincy, "suggest", str(_cover_sheet_then_page(tmp_path)))
    assert code == 0, err
    assert out["pages"] == 2
    assert out["patient"][0]["mrn"] == "00012344" and out["confident"]
    assert out["doc_type"][0]["code"] == "lab"


def test_cli_ingest_groups_the_page_after_a_cover_sheet_with_its_patient(
    capsys, cli_env, with_quincy, tmp_path
):
    """Grouping is the intake service's (intake/grouping.py), not only the index screen's:
    on the command line the page after a cover sheet belongs to the sheet's document and
    carries its patient (before, it was a lone page for review with no patient)."""
    code, out, err = run(capsys, with_quincy, "ingest", str(_cover_sheet_then_page(tmp_path)))
    assert code == 0, err
    cover, page = sorted(out["page_list"], key=lambda p: p["source_page"])
    assert cover["cover"] and not page["suggestions"]["patient"]  # no identifiers of its own
    assert page["document"] == cover["document"]
    (doc,) = [d for d in out["documents"] if d["document"] == page["document"]]
    assert doc["page_ids"] == [cover["page_id"], page["page_id"]]
    assert doc["suggestions"]["confident"]
    assert doc["suggestions"]["patient"][0]["mrn"] == "00012344"
    assert doc["suggestions"]["doc_type"][0]["code"] == "lab"
    assert doc["unsure_page_ids"] == [page["page_id"]]  # the clerk is told to look at it
    assert len(out["documents"]) == 1
