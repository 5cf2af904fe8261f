"""The chart lookup and chart view with real widgets, driven by the keyboard only."""

from __future__ import annotations

import json
from datetime import date

import pytest
from PySide6.QtCore import Qt

from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.ui.main_window import MainWindow
from tests.helpers import assert_qpdf_check, png_page

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _drain_workers(store):
    """Let page, thumbnail and search workers finish before the store closes under them."""
    yield
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(10000)


def _window(qtbot, session) -> MainWindow:
    w = MainWindow(session)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(w.chart_page.search.hasFocus, timeout=3000)  # the window is active
    return w


def _close(w: MainWindow) -> None:
    w._signing_out = True  # closing in teardown must not quit the test's QApplication
    w.close()


@pytest.fixture
def patient(admin_session):
    p = register_patient(
        admin_session,
        PatientInput(
            family="Thistlewood", given="Marguerite", dob=date(1958, 7, 21), phone="555 010 3344"
        ),
    )
    add_document(
        admin_session,
        p.id,
        "lab",
        date(2024, 5, 1),
        [
            PageInput(png_page("Potassium 4.1"), ocr_text="Potassium 4.1 sodium 139"),
            PageInput(png_page("page two"), ocr_text="creatinine normal"),
        ],
        title="BMP",
    )
    add_document(
        admin_session,
        p.id,
        "consult",
        date(2023, 2, 2),
        [PageInput(png_page("Cardiology consult"), ocr_text="cardiology consult murmur")],
    )
    add_document(
        admin_session,
        p.id,
        "mental_health",
        date(2022, 1, 1),
        [PageInput(png_page("therapy"), ocr_text="therapy notes")],
    )
    return p


@pytest.fixture
def window(qtbot, admin_session):
    w = _window(qtbot, admin_session)
    yield w
    _close(w)


def _actions(session, action: str) -> list[str]:
    return [
        r[0]
        for r in session.db.connection().execute(
            "SELECT object_id FROM audit_log WHERE action = ? ORDER BY id", (action,)
        )
    ]


def test_keyboard_only_search_open_page_through_and_back(
    qtbot, window, patient, admin_session
) -> None:
    page = window.chart_page
    assert page.search.hasFocus()  # focused at start
    qtbot.keyClicks(page.search, "thistlewod 7/21/58")
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=5000)
    qtbot.keyClick(page.search, Qt.Key_Down)
    assert page.table.hasFocus()
    qtbot.keyClick(page.table, Qt.Key_Return)
    qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
    view = page.chart_view
    assert view.chart.patient.id == patient.id
    assert "THISTLEWOOD, Marguerite" in view.name_label.text()
    assert "07/21/1958" in view.name_label.text()
    assert _actions(admin_session, "chart.open") == [str(patient.id)]

    # documents grouped by type; the first document's first page is shown and audited
    groups = [view.doc_model.item(r).text() for r in range(view.doc_model.rowCount())]
    assert groups[0].startswith("Consultation") and any(g.startswith("Laboratory") for g in groups)
    qtbot.waitUntil(lambda: view.viewer.loaded_page_id is not None, timeout=5000)
    first = view.viewer.loaded_page_id
    assert _actions(admin_session, "page.view") == [str(first)]
    qtbot.waitUntil(view.thumb_model.thumbnails_ready, timeout=5000)

    # Enter on the document moves to the page; PageDown pages through, across documents
    assert view.doc_tree.hasFocus()
    qtbot.keyClick(view.doc_tree, Qt.Key_Return)
    assert view.viewer.view.hasFocus()
    qtbot.keyClick(view.viewer.view, Qt.Key_PageDown)
    qtbot.waitUntil(lambda: view.viewer.loaded_page_id not in (None, first), timeout=5000)
    assert view.current_doc.document.doc_type == "lab" and view.viewer.index == 0
    qtbot.keyClick(view.viewer.view, Qt.Key_PageDown)
    assert view.viewer.index == 1 and "page 2 of 2" in view.viewer.caption.text()
    qtbot.waitUntil(lambda: len(_actions(admin_session, "page.view")) == 3, timeout=5000)

    # zoom, fit width, rotate from the keyboard
    qtbot.waitUntil(lambda: view.viewer.loaded_page_id is not None, timeout=5000)
    fit = view.viewer.zoom
    qtbot.keyClick(view.viewer.view, Qt.Key_Plus)
    assert view.viewer.zoom == pytest.approx(fit * 1.25) and view.viewer.fit_mode is None
    qtbot.keyClick(view.viewer.view, Qt.Key_R)
    assert view.viewer.rotation == 90
    qtbot.keyClick(view.viewer.view, Qt.Key_R, Qt.ShiftModifier)
    assert view.viewer.rotation == 0
    qtbot.keyClick(view.viewer.view, Qt.Key_W)
    assert view.viewer.fit_mode == "width" and view.viewer.zoom == pytest.approx(fit)
    qtbot.keyClick(view.viewer.view, Qt.Key_PageUp)
    assert view.viewer.index == 0

    # Esc goes back to the search box with the text selected; F2 does it from a chart too
    qtbot.keyClick(view.viewer.view, Qt.Key_Escape)
    assert not page.showing_chart and page.search.hasFocus()
    assert page.search.selectedText() == "thistlewod 7/21/58"
    qtbot.keyClick(page.search, Qt.Key_Return)  # Enter in the box opens the best match
    qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
    qtbot.keyClick(view.doc_tree, Qt.Key_F2)
    assert not page.showing_chart and page.search.hasFocus()


def test_find_in_chart_text_opens_the_page(qtbot, window, patient) -> None:
    page = window.chart_page
    page.open_chart(patient.id)
    qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
    view = page.chart_view
    qtbot.keyClick(view.doc_tree, Qt.Key_F, Qt.ControlModifier | Qt.ShiftModifier)
    assert view.text_box.hasFocus()
    qtbot.keyClicks(view.text_box, "creatin")
    qtbot.keyClick(view.text_box, Qt.Key_Return)
    qtbot.waitUntil(lambda: view.text_model.rowCount() == 1, timeout=5000)
    assert "[creatinine]" in view.text_model.row_object(0).snippet
    assert view.text_model.data(view.text_model.index(0, 1)).endswith("p. 2")
    qtbot.keyClick(view.text_box, Qt.Key_Tab)
    assert view.text_table.hasFocus()
    qtbot.keyClick(view.text_table, Qt.Key_Return)
    assert view.current_doc.document.doc_type == "lab" and view.viewer.index == 1
    assert view.viewer.view.hasFocus()
    view.focus_text_search()
    qtbot.keyClick(view.text_box, Qt.Key_Escape)  # Esc from a text box leaves the chart too
    assert not page.showing_chart and page.search.hasFocus()


def test_clerk_sees_restricted_placeholder_for_sensitive_pages(qtbot, session_for, patient) -> None:
    clerk = session_for("clerk")
    w = _window(qtbot, clerk)
    try:
        page = w.chart_page
        page.open_chart(patient.id)
        qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
        view = page.chart_view
        sens = next(d for d in view.flat if d.document.sensitive)
        assert sens.restricted
        view.show_document(sens)
        assert view.viewer.showing_message and "emergency access" in view.viewer.message.text()
        assert view.viewer.loaded_page_id is None
        assert (
            view.thumb_model.data(view.thumb_model.index(0), Qt.DecorationRole)
            is view.thumb_model.locked
        )
        assert "release office" in view.release_note.text()
        assert not view.merge_button.isVisible()
        denied = [
            r[0]
            for r in clerk.db.connection().execute(
                "SELECT action FROM audit_log WHERE action IN ('access.denied', 'page.view') "
                "AND user_id = ?",
                (clerk.user.id,),
            )
        ]
        assert "access.denied" not in denied  # the UI never even asked for the page
    finally:
        _close(w)


def test_new_patient_ctrl_n_registers_and_opens(qtbot, window, admin_session) -> None:
    page = window.chart_page
    qtbot.keyClicks(page.search, "Wren, Ottoline")
    qtbot.keyClick(page.search, Qt.Key_N, Qt.ControlModifier)
    dlg = page.registration
    assert dlg.isVisible() and dlg.family.text() == "Wren" and dlg.given.text() == "Ottoline"
    qtbot.waitUntil(dlg.dob.hasFocus, timeout=3000)
    qtbot.keyClicks(dlg.dob, "1/2/2199")
    qtbot.keyClick(dlg.dob, Qt.Key_Return)
    assert "future" in dlg.error.text() and dlg.dob.hasFocus()
    dlg.dob.clear()
    qtbot.keyClicks(dlg.dob, "3 Feb 1990")
    qtbot.keyClick(dlg.dob, Qt.Key_Return)
    qtbot.waitUntil(lambda: dlg.registered is not None, timeout=5000)
    qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
    p = page.chart_view.chart.patient
    assert (p.family, p.given, p.dob) == ("Wren", "Ottoline", date(1990, 2, 3))


def test_registration_requires_fields_and_unique_mrn(qtbot, window, patient) -> None:
    page = window.chart_page
    page.new_patient()
    dlg = page.registration
    qtbot.waitUntil(dlg.family.hasFocus, timeout=3000)
    qtbot.keyClick(dlg.family, Qt.Key_Return)
    assert "family name is required" in dlg.error.text()
    qtbot.keyClicks(dlg.family, "Quill")
    qtbot.keyClick(dlg.family, Qt.Key_Return)
    assert "given name is required" in dlg.error.text() and dlg.given.hasFocus()
    qtbot.keyClicks(dlg.given, "Ada")
    qtbot.keyClick(dlg.given, Qt.Key_Return)
    assert "date of birth is required" in dlg.error.text()
    qtbot.keyClicks(dlg.dob, "1999-09-09")
    qtbot.keyClicks(dlg.mrn, patient.mrn)
    qtbot.keyClick(dlg.mrn, Qt.Key_Return)
    # the MRN's chart is shown as a likely duplicate first; registering anyway is refused
    qtbot.waitUntil(lambda: dlg.dup_box.isVisible(), timeout=5000)
    assert dlg.dup_model.row_object(0).patient.id == patient.id
    qtbot.mouseClick(dlg.anyway_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "already in use" in dlg.error.text(), timeout=5000)
    assert dlg.registered is None
    dlg.reject()


def test_duplicate_warning_makes_the_clerk_choose(qtbot, session_for, patient) -> None:
    clerk = session_for("clerk")
    w = _window(qtbot, clerk)
    try:
        page = w.chart_page
        qtbot.keyClick(page.search, Qt.Key_N, Qt.ControlModifier)
        dlg = page.registration
        for edit, text in (
            (dlg.family, "Thistlewood"),
            (dlg.given, "Margurite"),
            (dlg.dob, "07/21/1958"),
        ):
            qtbot.keyClicks(edit, text)
        qtbot.keyClick(dlg.dob, Qt.Key_Return)
        qtbot.waitUntil(lambda: dlg.dup_box.isVisible(), timeout=5000)
        assert dlg.dup_model.rowCount() == 1
        assert "date of birth" in dlg.dup_model.data(dlg.dup_model.index(0, 1))
        assert not dlg.save_button.isEnabled()
        assert dlg.dup_table.hasFocus()
        qtbot.keyClick(dlg.dup_table, Qt.Key_Return)  # open the existing chart
        qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
        assert page.chart_view.chart.patient.id == patient.id
        assert dlg.registered is None

        # again, and this time register anyway: recorded in the audit trail
        page.focus_default()
        page.new_patient()
        dlg = page.registration
        for edit, text in (
            (dlg.family, "Thistlewood"),
            (dlg.given, "Margurite"),
            (dlg.dob, "07/21/1958"),
        ):
            qtbot.keyClicks(edit, text)
        qtbot.keyClick(dlg.dob, Qt.Key_Return)
        qtbot.waitUntil(lambda: dlg.dup_box.isVisible(), timeout=5000)
        qtbot.keyClick(dlg.dup_table, Qt.Key_R, Qt.AltModifier)
        qtbot.waitUntil(lambda: dlg.registered is not None, timeout=5000)
        row = (
            clerk.db.connection()
            .execute(
                "SELECT object_id, detail FROM audit_log WHERE action = 'patient.duplicates_overridden'"
            )
            .fetchone()
        )
        assert row[0] == str(dlg.registered.id) and json.loads(row[1])["shown"] == [patient.id]
    finally:
        _close(w)


def test_cover_sheet_printed_from_the_chart_by_keyboard(qtbot, window, patient, tmp_path) -> None:
    """Ctrl+Shift+P in a chart prints a barcode separator sheet that the pipeline reads back."""
    import pypdfium2 as pdfium
    from PySide6.QtPrintSupport import QPrinter

    from clinicrecords.scan.barcodes import read_cover_sheet

    page = window.chart_page
    page.open_chart(patient.id)
    qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
    view = page.chart_view
    out = tmp_path / "sheet.pdf"

    def printer_to_file() -> QPrinter:
        printer = QPrinter(QPrinter.HighResolution)
        printer.setOutputFormat(QPrinter.PdfFormat)
        printer.setOutputFileName(str(out))
        return printer

    view.ask_cover_sheet_type = lambda: "lab"
    view.ask_printer = printer_to_file
    with qtbot.waitSignal(view.cover_sheets_printed, timeout=30000) as printed:
        qtbot.keyClick(view, Qt.Key_P, Qt.ControlModifier | Qt.ShiftModifier)
    assert printed.args == [1]
    assert_qpdf_check(out)
    image = pdfium.PdfDocument(str(out))[0].render(scale=200 / 72).to_pil().convert("L")
    code = read_cover_sheet(image)
    assert code is not None and (code.mrn, code.doc_type) == (patient.mrn, "lab")


def test_a_page_whose_image_is_gone_shows_unavailable(
    qtbot, window, patient, admin_session
) -> None:
    """What a restore from a backup with a damaged page file leaves: the page stays in the
    chart; its thumbnail says 'Unavailable' and the viewer says the image is missing."""
    conn = admin_session.db.connection()
    page_id, blob = conn.execute(
        "SELECT p.id, p.blob_id FROM pages p JOIN documents d ON d.id = p.document_id "
        "WHERE d.doc_type = 'consult'"
    ).fetchone()
    admin_session.store.pages.path_for(blob).unlink()
    page = window.chart_page
    qtbot.keyClicks(page.search, "thistlewood 7/21/58")
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=5000)
    qtbot.keyClick(page.search, Qt.Key_Return)
    qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
    view = page.chart_view
    assert view.current_doc.document.doc_type == "consult"
    qtbot.waitUntil(view.thumb_model.thumbnails_ready, timeout=5000)
    assert view.thumb_model.pixmaps[page_id] is view.thumb_model.unavailable
    # The viewer shows "Choose a document…" until the page load fails: wait for that answer.
    qtbot.waitUntil(
        lambda: view.viewer.showing_message and "missing" in view.viewer.message.text(),
        timeout=10000,
    )
