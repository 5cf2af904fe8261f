"""The indexing screen with real widgets, a real store and real OCR: keyboard alone."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image
from PySide6.QtCore import Qt

from clinicrecords.intake.batches import process_batch
from clinicrecords.intake.importing import import_files
from clinicrecords.intake.review import batch_pages, load_batch_state, open_batches
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.index.view import ScanIndexPage
from tests.scanfixtures import page_pdf, rasterise

pytestmark = [pytest.mark.gui, pytest.mark.slow]

QUINCY = PatientInput(
    family="Albermarle", given="Quincy", dob=date(1967, 3, 14), sex="M", mrn="00012344"
)
STRANGER_LINES = [
    "Riverside Imaging Center",
    "RADIOLOGY REPORT",
    "Patient: Q. Albermarle",
    "Exam date: 2024-02-09",
    "Findings: no acute abnormality of the chest.",
]


@pytest.fixture(scope="module")
def page_images() -> list[Image.Image]:
    return [rasterise(page_pdf(), dpi=150), rasterise(page_pdf(STRANGER_LINES), dpi=150)]


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(150, 150))
    return buf.getvalue()


@pytest.fixture
def batch(admin_session, tmp_path, page_images):
    register_patient(admin_session, QUINCY)
    paths = []
    for n, img in enumerate(page_images):
        p = tmp_path / f"page{n}.png"
        p.write_bytes(_png(img))
        paths.append(p)
    report = import_files(admin_session, paths)
    process_batch(admin_session, report.batch_id)
    return report.batch_id


def _view(qtbot, session) -> ScanIndexPage:
    view = ScanIndexPage(session, ChangeBus())
    qtbot.addWidget(view)
    view.resize(1366, 720)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    return view


def test_index_a_batch_by_keyboard_alone(qtbot, admin_session, batch) -> None:
    view = _view(qtbot, admin_session)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 2, timeout=10_000)
    view.focus_default()
    form = view.form
    # Page 1: a confident suggestion (name + DOB + MRN agree), pre-filled; Enter files it.
    qtbot.waitUntil(lambda: form.selected() is not None, timeout=5000)
    assert "Confident" in form.confidence.text()
    assert form.doc_type.currentData() == "progress_note"
    assert form.doc_date.text() == "2024-05-02"
    qtbot.waitUntil(lambda: view.canvas.image is not None, timeout=5000)
    assert {h.field for h in view.canvas.highlights} >= {"patient", "doc_date"}
    qtbot.keyClick(form.patient, Qt.Key_Return)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 1, timeout=10_000)

    # Page 2: one identifier only (a name, no DOB): review, nothing pre-selected.
    assert "Review" in form.confidence.text() and form.selected() is None
    qtbot.keyClick(form.patient, Qt.Key_Return)  # Enter with no patient explains, files nothing
    assert "Choose the patient" in form.error.text()
    qtbot.keyClicks(form.patient, "albermarle 3/14/67")
    qtbot.keyClick(form.patient, Qt.Key_Return)  # runs the pending lookup now
    qtbot.waitUntil(lambda: form.selected() is not None, timeout=5000)
    qtbot.keyClick(form.patient, Qt.Key_Tab)
    assert form.doc_type.hasFocus()
    qtbot.keyClicks(form.doc_type, "Imaging")  # a combo box selects by typing its label
    assert form.doc_type.currentData() == "imaging"
    qtbot.keyClick(form.doc_type, Qt.Key_Tab)
    assert form.doc_date.hasFocus()
    form.doc_date.selectAll()
    qtbot.keyClicks(form.doc_date, "02/09/2024")
    qtbot.keyClick(form.doc_date, Qt.Key_Return)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 0, timeout=10_000)
    # nothing left: no stale patient or suggestion stays on screen
    assert form.patient.text() == "" and form.candidates.rowCount() == 0
    assert not form.isEnabled()

    conn = admin_session.db.connection()
    docs = conn.execute("SELECT doc_type, doc_date FROM documents ORDER BY id").fetchall()
    assert [tuple(d) for d in docs] == [("progress_note", "2024-05-02"), ("imaging", "2024-02-09")]
    assert (
        conn.execute("SELECT count(*) FROM audit_log WHERE action = 'document.file'").fetchone()[0]
        == 2
    )


def test_split_rotate_set_aside_by_keyboard_and_state_survives(qtbot, admin_session, batch):
    view = _view(qtbot, admin_session)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 2, timeout=10_000)
    view.focus_default()
    # Both pages arrived as separate files: two documents. Join them, then split again.
    assert len(view.groups) == 2
    qtbot.keyClick(view.form.patient, Qt.Key_Down, Qt.ControlModifier)
    assert view.current == view.groups[1][0]
    qtbot.keyClick(view.form.patient, Qt.Key_M, Qt.ControlModifier)
    assert len(view.groups) == 1
    qtbot.keyClick(view.form.patient, Qt.Key_R, Qt.ControlModifier)
    rotated = view.current
    assert view.pages[rotated].rotation == 90
    qtbot.waitUntil(
        lambda: load_batch_state(admin_session, batch).get("groups") == view.groups,
        timeout=5000,
    )

    # A new screen (the window was closed, or the program crashed) finds the work as it was.
    again = _view(qtbot, admin_session)
    qtbot.waitUntil(lambda: again.page_model.rowCount() == 2, timeout=10_000)
    assert again.groups == view.groups
    assert again.pages[rotated].rotation == 90
    again.focus_default()
    again._select_page(rotated)
    qtbot.keyClick(again.form.patient, Qt.Key_B, Qt.ControlModifier)
    assert len(again.groups) == 2
    qtbot.keyClick(again.form.patient, Qt.Key_Delete, Qt.ControlModifier)
    assert again.page_model.rowCount() == 1
    qtbot.waitUntil(
        lambda: (
            admin_session.db.connection()
            .execute("SELECT status FROM pages WHERE id = ?", (rotated,))
            .fetchone()[0]
            == "deleted"
        ),
        timeout=5000,
    )


def test_cover_sheet_starts_a_document_files_its_pages_and_is_set_aside(
    qtbot, admin_session, tmp_path, page_images
):
    import pypdfium2 as pdfium

    from clinicrecords.scan import barcodes

    register_patient(admin_session, QUINCY)
    sheet = barcodes.cover_sheet_pdf_bytes(
        [barcodes.CoverSheet("00012344", "ALBERMARLE, Quincy", "lab", "Laboratory result")]
    )
    cover = pdfium.PdfDocument(sheet)[0].render(scale=150 / 72).to_pil().convert("L")
    stack = [cover, page_images[1].convert("L")]
    tiff = tmp_path / "stack.tif"
    stack[0].save(
        tiff, "TIFF", save_all=True, append_images=stack[1:], dpi=(150, 150), compression="tiff_lzw"
    )
    report = import_files(admin_session, [tiff], source="scanner")
    process_batch(admin_session, report.batch_id)
    pages = batch_pages(admin_session, report.batch_id)
    assert [p.cover for p in pages] == [True, False]
    assert pages[0].confident and pages[0].has_text  # nothing to read on a separator

    view = _view(qtbot, admin_session)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 2, timeout=10_000)
    assert len(view.groups) == 1  # the page after the sheet belongs to it
    view.focus_default()
    assert view.form.selected() is not None and view.form.doc_type.currentData() == "lab"
    qtbot.keyClick(view.form.patient, Qt.Key_Return)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 0, timeout=10_000)
    conn = admin_session.db.connection()
    rows = conn.execute("SELECT status, document_id FROM pages ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["deleted", "filed"]  # the sheet kept, not in the chart
    assert conn.execute("SELECT doc_type FROM documents").fetchone()[0] == "lab"
    assert conn.execute("SELECT status FROM batches").fetchone()[0] == "done"


def test_a_file_dropped_into_the_watched_folder_becomes_a_batch(
    qtbot, admin_session, tmp_path, page_images
) -> None:
    """A network scanner's drop folder: the file is imported once it has settled, stored
    encrypted, read, and left where it was (removing originals is a setting, off by default)."""
    inbox = tmp_path / "scan-to-folder"
    inbox.mkdir()
    view = _view(qtbot, admin_session)
    view.start_watching(str(inbox))
    try:
        dropped = inbox / "scan0001.png"
        dropped.write_bytes(_png(page_images[0]))
        qtbot.waitUntil(lambda: len(open_batches(admin_session)) == 1, timeout=30000)
        conn = admin_session.db.connection()
        qtbot.waitUntil(
            lambda: (
                conn.execute("SELECT count(*) FROM pages WHERE ocr_text IS NOT NULL").fetchone()[0]
                == 1
            ),
            timeout=30000,
        )
        row = conn.execute("SELECT source FROM batches").fetchone()
        assert row[0] == "folder"
        assert dropped.exists()
    finally:
        view.stop_watching()


def test_filing_confirms_the_chart_and_ctrl_z_puts_the_pages_back(
    qtbot, admin_session, batch
) -> None:
    from clinicrecords.records.documents import list_documents
    from clinicrecords.registry.patients import patient_by_mrn

    view = _view(qtbot, admin_session)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 2, timeout=10_000)
    view.focus_default()
    form = view.form
    qtbot.waitUntil(lambda: form.selected() is not None, timeout=5000)
    assert not view.undo_button.isVisible()
    qtbot.keyClick(form.patient, Qt.Key_Return)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 1, timeout=10_000)
    # The confirmation names the chart by its two identifiers, and offers the undo.
    text = view.filed_label.text()
    assert "albermarle" in text.lower() and "1967-03-14" in text and "Ctrl+Z" in text
    assert view.undo_button.isVisible()
    quincy = patient_by_mrn(admin_session, QUINCY.mrn)
    assert len(list_documents(admin_session, quincy.id)) == 1

    # Ctrl+Z in the (empty) patient field: the page is back in the batch, out of the chart.
    qtbot.waitUntil(form.patient.hasFocus, timeout=3000)
    qtbot.keyClick(form.patient, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 2, timeout=10_000)
    assert "undone" in view.filed_label.text() and not view.undo_button.isVisible()
    assert list_documents(admin_session, quincy.id) == []
    conn = admin_session.db.connection()
    statuses = [
        r[0]
        for r in conn.execute(
            "SELECT status FROM pages WHERE batch_id = ? AND document_id IS NULL", (batch,)
        )
    ]
    assert len(statuses) == 2 and "filed" not in statuses
    assert (
        conn.execute("SELECT count(*) FROM audit_log WHERE action = 'document.unfile'").fetchone()[
            0
        ]
        == 1
    )

    # The returned page comes back with the form as it was filed: Enter files it again.
    qtbot.waitUntil(lambda: form.selected() is not None, timeout=5000)
    qtbot.keyClick(form.patient, Qt.Key_Return)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 1, timeout=10_000)
    assert len(list_documents(admin_session, quincy.id)) == 1


def test_right_after_an_import_enter_files_the_first_suggested_document(
    qtbot, admin_session, tmp_path, page_images
) -> None:
    """Issue 10: the import ends with the keyboard in the first document's form (not in the
    batch list, where Enter did nothing), and the reason for the suggestion is in words."""
    from PySide6.QtWidgets import QApplication

    register_patient(admin_session, QUINCY)
    path = tmp_path / "page0.png"
    path.write_bytes(_png(page_images[0]))
    view = _view(qtbot, admin_session)
    view.batch_table.setFocus()  # where the clerk's click left it
    view.import_paths([str(path)])
    qtbot.waitUntil(lambda: view.form.selected() is not None, timeout=60_000)
    qtbot.waitUntil(lambda: view.form.patient.hasFocus(), timeout=5000)
    why = view.form.confidence.text()
    assert "Confident match (" in why and "name + DOB" in why
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key_Return)
    qtbot.waitUntil(lambda: view.page_model.rowCount() == 0, timeout=10_000)
    conn = admin_session.db.connection()
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
