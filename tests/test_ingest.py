"""Import and the page pipeline against a real store and real Tesseract.

Copy-before-processing, bad files with a sentence, duplicates, removing originals only after
the commit, crash/cancel and resume, filing a document, the review queue.
"""

from __future__ import annotations

import io
import threading
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from clinicrecords.clinic import auth
from clinicrecords.clinic.store import Store
from clinicrecords.db import settings_sql
from clinicrecords.intake.batches import PageEvent, process_batch
from clinicrecords.intake.classifier import CLASSIFIER_KEY
from clinicrecords.intake.filing import file_document
from clinicrecords.intake.importing import import_files, new_batch
from clinicrecords.intake.page_jobs import Reader
from clinicrecords.intake.page_ops import delete_pages
from clinicrecords.intake.review import (
    batch_pages,
    load_batch_state,
    review_queue,
    save_batch_state,
)
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.scan import limits
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.scanfixtures import page_pdf, rasterise

QUINCY = PatientInput(
    family="Albermarle", given="Quincy", dob=date(1967, 3, 14), sex="M", mrn="00012344"
)
OTHER_LINES = [
    "Riverside Imaging Center",
    "RADIOLOGY REPORT",
    "Patient: Ottoline Vasquez-Brennan",
    "DOB: 11/02/1991",
    "Exam date: 2024-02-09",
]


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=img.info.get("dpi", (150, 150)))
    return buf.getvalue()


@pytest.fixture(scope="module")
def quincy_png() -> bytes:
    return png_bytes(rasterise(page_pdf(), dpi=150))


@pytest.fixture(scope="module")
def stranger_png() -> bytes:
    return png_bytes(rasterise(page_pdf(OTHER_LINES), dpi=150))


@pytest.fixture
def clinic(admin_session):
    register_patient(admin_session, QUINCY)
    return admin_session


def encrypted_pdf(path: Path) -> Path:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(page_pdf())).pages:
        writer.add_page(page)
    writer.encrypt("secret-owner-and-user")
    with open(path, "wb") as fh:
        writer.write(fh)
    return path


def page_store_files(store: Store) -> set[str]:
    return set(store.pages.iter_blob_ids())


def table_count(session, table: str, where: str = "") -> int:
    return session.db.connection().execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0]


def test_bad_files_get_a_sentence_and_the_rest_still_go_through(clinic, tmp_path, quincy_png):
    good = tmp_path / "referral.png"
    good.write_bytes(quincy_png)
    corrupt = tmp_path / "broken.pdf"
    corrupt.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ngarbage")
    locked = encrypted_pdf(tmp_path / "locked.pdf")
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is a text file with a picture's name")
    bomb = tmp_path / "bomb.png"
    Image.new("1", (12_000, 11_000), 1).save(bomb)  # 132 MP: over the 120 MP a page may be
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(quincy_png[: len(quincy_png) // 2])

    report = import_files(clinic, [corrupt, good, locked, empty, fake, bomb, truncated])
    by_name = {f.name: f for f in report.files}
    assert by_name["referral.png"].status == "stored" and by_name["referral.png"].pages == 1
    expected = {
        "broken.pdf": "damaged",
        "locked.pdf": "password",
        "empty.tif": "empty",
        "photo.jpg": "not a PDF, TIFF, JPEG or PNG",
        "bomb.png": "megapixels",
        "cut.png": "",
    }
    for name, words in expected.items():
        f = by_name[name]
        assert f.status == "failed", name
        # named by its number in the import, never by its name (often the patient's)
        assert f"File {f.number} of 7" in f.message and words in f.message, (name, f.message)
        assert name not in f.message
        assert "Traceback" not in f.message
    # Every file's copy was committed before it was judged: nothing received is lost.
    rows = (
        clinic.db.connection()
        .execute("SELECT original_name, status, error, blob_id, sha256 FROM imported_files")
        .fetchall()
    )
    assert len(rows) == 7
    for name, status, error, blob_id, sha in rows:
        assert clinic.pages.exists(blob_id)
        clinic.pages.get(blob_id, sha)  # decrypts and matches its checksum
        assert (status == "failed") == (name != "referral.png")
        assert (error != "") == (status == "failed")

    result = process_batch(clinic, report.batch_id, workers=1)
    assert result.pages == 1 and not result.cancelled
    pages = batch_pages(clinic, report.batch_id)
    assert len(pages) == 1 and pages[0].status == "ready" and pages[0].has_text
    assert pages[0].suggestion.confident_patient.mrn == "00012344"
    statuses = dict(
        clinic.db.connection().execute("SELECT original_name, status FROM imported_files")
    )
    assert statuses["referral.png"] == "split" and statuses["broken.pdf"] == "failed"


def test_duplicate_import_is_reported_and_not_stored_twice(clinic, tmp_path, quincy_png):
    first = tmp_path / "scan0001.png"
    first.write_bytes(quincy_png)
    again = tmp_path / "scan0001-copy.png"
    again.write_bytes(quincy_png)
    r1 = import_files(clinic, [first, again])
    assert [f.status for f in r1.files] == ["stored", "duplicate"]
    assert "the same file as file 1 of 2" in r1.files[1].message
    before = page_store_files(clinic.store)
    # Imported again before its batch was read: stored once, and its batch is to be read.
    r2 = import_files(clinic, [first])
    assert r2.files[0].status == "resumed" and r2.to_read == (r1.batch_id,)
    assert f"stored before (batch {r1.batch_id})" in r2.files[0].message
    assert page_store_files(clinic.store) == before
    process_batch(clinic, r1.batch_id, workers=1)
    before = page_store_files(clinic.store)
    r3 = import_files(clinic, [first])
    dup = r3.files[0]
    assert dup.status == "duplicate" and "already imported" in dup.message
    assert r2.batch_id is None and r3.batch_id is None  # nothing new: no empty batch either
    assert r3.to_read == ()
    assert table_count(clinic, "imported_files") == 1
    assert page_store_files(clinic.store) == before


def test_original_removed_only_after_commit_and_never_when_it_failed(clinic, tmp_path, quincy_png):
    good = tmp_path / "in" / "good.png"
    good.parent.mkdir()
    good.write_bytes(quincy_png)
    bad = tmp_path / "in" / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 nothing else")
    report = import_files(clinic, [good, bad], source="folder", remove_originals=True)
    assert [f.status for f in report.files] == ["stored", "failed"]
    assert not good.exists() and bad.exists()
    row = (
        clinic.db.connection()
        .execute("SELECT blob_id, sha256 FROM imported_files WHERE original_name = 'good.png'")
        .fetchone()
    )
    assert clinic.pages.get(row[0], row[1]) == quincy_png


def test_many_page_tiff_is_counted_without_decoding_and_the_limit_is_explained(
    clinic, tmp_path, monkeypatch
):
    small = [Image.new("1", (64, 80), 1) for _ in range(500)]
    tiff = tmp_path / "fax-500.tif"
    small[0].save(tiff, "TIFF", save_all=True, append_images=small[1:], compression="group4")
    report = import_files(clinic, [tiff])
    assert report.files[0].status == "stored" and report.files[0].pages == 500
    monkeypatch.setattr(limits, "MAX_PAGES_PER_FILE", 400)
    tiff2 = tmp_path / "fax-500-b.tif"
    small[1].save(
        tiff2, "TIFF", save_all=True, append_images=small[:400] + small[2:], compression="group4"
    )
    refused = import_files(clinic, [tiff2]).files[0]
    assert refused.status == "failed" and "more than the 400" in refused.message


def test_unreadable_path_is_explained(clinic, tmp_path):
    report = import_files(clinic, [tmp_path / "gone.pdf", tmp_path])
    assert [f.status for f in report.files] == ["failed", "failed"]
    assert "does not exist" in report.files[0].message and "folder" in report.files[1].message
    assert (
        report.files[0].message.startswith("File 1 of 2") and "gone" not in report.files[0].message
    )


@pytest.mark.slow
def test_cancel_midway_then_resume_after_reopening_loses_nothing(
    store_dir, store, session_for, tmp_path, quincy_png, stranger_png
):
    session = session_for("clerk")
    register_patient(session, QUINCY)
    pages = [
        Image.open(io.BytesIO(b)) for b in (quincy_png, stranger_png, quincy_png, stranger_png)
    ]
    tiff = tmp_path / "stack.tif"
    pages[0].save(
        tiff, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_lzw", dpi=(150, 150)
    )
    report = import_files(session, [tiff])
    batch_id = report.batch_id
    stop = threading.Event()

    def on_page(ev: PageEvent) -> None:
        if ev.kind == "suggested":
            stop.set()  # as if the window closed (or the power went) after the first page

    first = process_batch(session, batch_id, cancel=stop, on_page=on_page, workers=1)
    assert first.cancelled
    done_before = table_count(session, "pages")
    assert 1 <= done_before < 4
    status = session.db.connection().execute("SELECT status FROM imported_files").fetchone()[0]
    assert status == "stored"  # not split yet: the next run carries on
    store.close()

    reopened = Store.open(store_dir, PASSPHRASE)
    try:
        again = auth.login(reopened, USERS["clerk"], PASSWORD)
        result = process_batch(again, batch_id, workers=2)
        assert not result.cancelled and result.pages == 4 and result.texts == 4
        conn = reopened.db.connection()
        rows = conn.execute(
            "SELECT source_page, status, ocr_text IS NOT NULL FROM pages ORDER BY seq"
        ).fetchall()
        assert [r[0] for r in rows] == [1, 2, 3, 4]  # each page once, in order
        assert all(r[2] for r in rows)
        assert [r[1] for r in rows] == ["ready", "review", "ready", "review"]
        assert conn.execute("SELECT status FROM imported_files").fetchone()[0] == "split"
        # Nothing left to do: a third run is a no-op.
        assert process_batch(again, batch_id).pages == 4
        assert table_count(again, "pages") == 4
    finally:
        reopened.close()


@pytest.mark.slow
def test_file_document_audits_teaches_and_closes_the_batch(
    clinic, tmp_path, quincy_png, stranger_png
):
    (tmp_path / "a.png").write_bytes(quincy_png)
    (tmp_path / "b.png").write_bytes(stranger_png)
    report = import_files(clinic, [tmp_path / "a.png", tmp_path / "b.png"])
    process_batch(clinic, report.batch_id)
    pages = batch_pages(clinic, report.batch_id)
    mine, stranger = pages
    assert mine.confident and mine.suggestion.doc_type[0].value == "progress_note"
    assert mine.suggestion.doc_date[0].value == "2024-05-02"
    evidence_kinds = {e.kind for e in mine.suggestion.patient[0].evidence}
    assert {"name", "dob"} <= evidence_kinds or {"mrn", "dob"} <= evidence_kinds
    assert all(e.boxes for e in mine.suggestion.patient[0].evidence)
    # The unknown patient's page waits in the review queue; it is never filed on its own.
    queue = review_queue(clinic, report.batch_id)
    assert [p.id for p in queue] == [stranger.id]
    assert not stranger.confident

    top = mine.suggestion.confident_patient
    doc_id = file_document(
        clinic, [mine.id], top.patient_id, "progress_note", date(2024, 5, 2), author="Dr. Who"
    )
    conn = clinic.db.connection()
    assert tuple(
        conn.execute("SELECT document_id, status FROM pages WHERE id = ?", (mine.id,)).fetchone()
    ) == (doc_id, "filed")
    audit = conn.execute("SELECT detail FROM audit_log WHERE action = 'document.file'").fetchone()
    assert '"followed_suggestion": true' in audit[0] or '"followed_suggestion":true' in audit[0]
    state = settings_sql.get(conn, CLASSIFIER_KEY)
    assert state and '"progress_note":1' in state.replace(" ", "")
    hits = conn.execute("SELECT rowid FROM page_text WHERE page_text MATCH 'loratadine'").fetchall()
    assert mine.id in [h[0] for h in hits]
    with pytest.raises(Exception, match="already filed"):
        file_document(clinic, [mine.id], top.patient_id, "lab", None)

    delete_pages(clinic, [stranger.id])
    assert (
        conn.execute("SELECT status FROM batches WHERE id = ?", (report.batch_id,)).fetchone()[0]
        == "open"
    )
    delete_pages(clinic, [stranger.id], restore=True)
    file_document(clinic, [stranger.id], top.patient_id, "imaging", None)
    assert (
        conn.execute("SELECT status FROM batches WHERE id = ?", (report.batch_id,)).fetchone()[0]
        == "done"
    )


def test_batch_state_survives_reopening(store_dir, store, admin_session):
    batch_id = new_batch(admin_session, "scanner")
    save_batch_state(admin_session, batch_id, {"groups": [[1, 2], [3]], "current": 1})
    store.close()
    with Store.open(store_dir, PASSPHRASE) as again:
        session = auth.login(again, USERS["admin"], PASSWORD)
        assert load_batch_state(session, batch_id) == {"groups": [[1, 2], [3]], "current": 1}


def test_a_pdf_with_a_text_layer_uses_it_for_search(clinic, tmp_path):
    pdf = tmp_path / "note.pdf"
    pdf.write_bytes(page_pdf())
    report = import_files(clinic, [pdf])
    result = process_batch(clinic, report.batch_id, workers=1)
    assert result.pages == 1 and result.texts == 1
    text = clinic.db.connection().execute("SELECT ocr_text FROM pages").fetchone()[0]
    assert "loratadine" in text
    page = batch_pages(clinic, report.batch_id)[0]
    assert page.confident and page.suggestion.confident_patient.mrn == "00012344"


def test_a_page_that_breaks_the_pipeline_costs_only_that_page(clinic, tmp_path, monkeypatch):
    pdf = tmp_path / "three.pdf"
    pdf.write_bytes(page_pdf(pages=3))
    report = import_files(clinic, [pdf])
    real = Reader.prepare

    def flaky(self, file_id, src, seq):
        if src.number == 2:
            raise RuntimeError("a bug met on one page")
        return real(self, file_id, src, seq)

    monkeypatch.setattr(Reader, "prepare", flaky)
    result = process_batch(clinic, report.batch_id, workers=2)
    assert result.pages == 2 and any("Page 2" in p for p in result.problems)
    # named by its place in the batch, never by its file name
    assert any(f"Page 2 of file 1 of 1 (batch {report.batch_id})" in p for p in result.problems)
    assert not any("three" in p for p in result.problems)
    conn = clinic.db.connection()
    assert [r[0] for r in conn.execute("SELECT source_page FROM pages ORDER BY seq")] == [1, 3]
    status, error = conn.execute("SELECT status, error FROM imported_files").fetchone()
    assert status == "split" and "Page 2" in error and "kept in the store" in error


@pytest.mark.slow
def test_third_party_samples_through_the_whole_pipeline(admin_session) -> None:
    """Real scans made by others (shared/samples/thirdparty): the broken PDF is refused with a
    sentence, the skewed scan, the CCITT fax PDF and the typewriter photo are stored and read."""
    from tests.scanfixtures import SAMPLES

    if not SAMPLES.exists():
        pytest.skip("shared samples folder is absent")
    names = ["invalid.pdf", "skew.pdf", "ccitt.pdf", "typewriter.png"]
    report = import_files(admin_session, [SAMPLES / n for n in names])
    by_name = {f.name: f for f in report.files}
    assert by_name["invalid.pdf"].status == "failed"
    assert "File 1 of 4" in by_name["invalid.pdf"].message
    assert all(by_name[n].status == "stored" for n in names[1:])
    process_batch(admin_session, report.batch_id)
    conn = admin_session.db.connection()
    texts = [r[0] or "" for r in conn.execute("SELECT ocr_text FROM pages ORDER BY id")]
    assert len(texts) == 3
    assert all(len(t.split()) >= 20 for t in texts), [len(t.split()) for t in texts]
