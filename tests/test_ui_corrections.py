"""The chart's move / edit / void by keyboard, with real widgets and a real store; an
administrator sees the old values and undoes a void from the Corrections tab."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from clinicrecords.records import corrections as corr
from clinicrecords.records.documents import PageInput, add_document, list_documents
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import service as release
from tests.helpers import png_page
from tests.test_ui_chart import _close, _window

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _drain_workers(store):
    yield
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(10000)


def _open_chart(qtbot, w, text: str):  # type: ignore[no-untyped-def]
    page = w.chart_page
    qtbot.keyClicks(page.search, text)
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=5000)
    qtbot.keyClick(page.search, Qt.Key_Return)
    qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
    return page.chart_view


def _select(qtbot, view, doc_type: str) -> None:  # type: ignore[no-untyped-def]
    target = next(d for d in view.flat if d.document.doc_type == doc_type)
    view.doc_tree.setCurrentIndex(view._doc_item(target.id))
    qtbot.waitUntil(lambda: view.current_doc is not None and view.current_doc.id == target.id)
    view.window().activateWindow()  # back from a dialog
    view.doc_tree.setFocus()
    qtbot.waitUntil(view.doc_tree.hasFocus, timeout=3000)


def _fill_and_enter(qtbot, dlg, **fields: str) -> None:  # type: ignore[no-untyped-def]
    for name, text in fields.items():
        w = dlg.fields[name]
        w.setFocus()
        w.selectAll()
        qtbot.keyClicks(w, text)
    qtbot.keyClick(dlg.reason, Qt.Key_Return)


@pytest.mark.slow
def test_move_edit_void_by_keyboard_and_admin_undo(qtbot, admin_session) -> None:
    a = register_patient(admin_session, PatientInput("Ferncastle", "Odile", date(1950, 2, 3)))
    b = register_patient(admin_session, PatientInput("Quillby", "Rhoda", date(1966, 8, 9)))
    consult = add_document(admin_session, a.id, "consult", date(2023, 2, 2),
                           [PageInput(png_page("consult"))])  # fmt: skip
    add_document(admin_session, a.id, "lab", date(2024, 5, 1), [PageInput(png_page("lab"))])
    add_document(admin_session, a.id, "imaging", date(2024, 6, 1), [PageInput(png_page("xr"))])
    req = release.create_request(admin_session, a.id, "Dr Who", "care", requester_type="provider")
    release.send_request(admin_session, req.id)
    w = _window(qtbot, admin_session)
    try:
        view = _open_chart(qtbot, w, "ferncastle 2/3/1950")
        fixes = view.corrections

        # Move: Ctrl+Shift+M, MRN, reason, Enter. The status names the chart (name + DOB)
        # and the release the pages already went out in.
        _select(qtbot, view, "consult")
        qtbot.keyClick(view.doc_tree, Qt.Key_M, Qt.ControlModifier | Qt.ShiftModifier)
        dlg = fixes.dialog
        assert dlg is not None and dlg.isVisible()
        qtbot.waitUntil(dlg.fields["moveMrn"].hasFocus, timeout=3000)
        qtbot.keyClicks(dlg.fields["moveMrn"], "quillby 8/9/66")  # found as you type
        qtbot.waitUntil(lambda: "QUILLBY, Rhoda" in dlg.target_label.text(), timeout=5000)
        assert b.mrn in dlg.target_label.text() and dlg.results.rowCount() == 1
        _fill_and_enter(qtbot, dlg, correctionReason="belongs to Rhoda")
        qtbot.waitUntil(lambda: "Moved" in fixes.status.text(), timeout=10_000)
        assert "QUILLBY, Rhoda" in fixes.status.text() and "08/09/1966" in fixes.status.text()
        assert req.code in fixes.status.text() and "Dr Who" in fixes.status.text()
        assert not dlg.isVisible()
        qtbot.waitUntil(lambda: all(d.id != consult for d in view.flat), timeout=5000)
        assert [d.id for d in list_documents(admin_session, b.id)] == [consult]

        # A refused move (no reason) leaves the dialog open with the sentence.
        _select(qtbot, view, "imaging")
        qtbot.keyClick(view.doc_tree, Qt.Key_M, Qt.ControlModifier | Qt.ShiftModifier)
        dlg = fixes.dialog
        _fill_and_enter(qtbot, dlg, moveMrn=b.mrn)
        qtbot.waitUntil(lambda: "reason" in dlg.error.text(), timeout=5000)
        assert dlg.isVisible()
        dlg.reject()

        # Edit: Ctrl+E, the author, Enter.
        _select(qtbot, view, "lab")
        qtbot.keyClick(view.doc_tree, Qt.Key_E, Qt.ControlModifier)
        dlg = fixes.dialog
        _fill_and_enter(qtbot, dlg, editAuthor="Dr. Lasicki", correctionReason="author missed")
        qtbot.waitUntil(lambda: "Saved" in fixes.status.text(), timeout=5000)
        lab = next(d for d in list_documents(admin_session, a.id) if d.doc_type == "lab")
        assert lab.author == "Dr. Lasicki"

        # The administrator's Corrections tab shows the old value of the document shown.
        _select(qtbot, view, "lab")
        qtbot.keyClick(view.doc_tree, Qt.Key_O, Qt.ControlModifier | Qt.ShiftModifier)
        assert view.tabs.currentWidget() is fixes.tab and fixes.history_table.hasFocus()
        qtbot.waitUntil(lambda: fixes.history_model.rowCount() == 1, timeout=5000)
        assert "''" in fixes.history_model.index(0, 4).data()  # the author was blank

        # Void: Ctrl+Del, a reason, Enter; gone from the chart, listed for the admin.
        _select(qtbot, view, "lab")
        qtbot.keyClick(view.doc_tree, Qt.Key_Delete, Qt.ControlModifier)
        dlg = fixes.dialog
        _fill_and_enter(qtbot, dlg, correctionReason="duplicate scan")
        qtbot.waitUntil(lambda: "Voided" in fixes.status.text(), timeout=5000)
        qtbot.waitUntil(lambda: all(d.id != lab.id for d in view.flat), timeout=5000)
        qtbot.waitUntil(lambda: fixes.voided_model.rowCount() == 1, timeout=5000)
        fixes.voided_table.selectRow(0)
        fixes.unvoid_button.click()
        qtbot.waitUntil(lambda: any(d.id == lab.id for d in view.flat), timeout=5000)
        assert [c.action for c in corr.document_history(admin_session, lab.id)] == [
            "edit", "void", "unvoid",
        ]  # fmt: skip
    finally:
        _close(w)


def test_a_clerk_has_the_actions_but_no_history_tab(qtbot, session_for, admin_session) -> None:
    a = register_patient(admin_session, PatientInput("Ferncastle", "Odile", date(1950, 2, 3)))
    add_document(admin_session, a.id, "lab", date(2024, 5, 1), [PageInput(png_page("lab"))])
    clerk = session_for("clerk")
    w = _window(qtbot, clerk)
    try:
        view = _open_chart(qtbot, w, "ferncastle 2/3/1950")
        labels = [view.tabs.tabText(i) for i in range(view.tabs.count())]
        assert "Corrections" not in labels and not view.corrections.admin
        _select(qtbot, view, "lab")
        qtbot.keyClick(view.doc_tree, Qt.Key_Delete, Qt.ControlModifier)
        _fill_and_enter(qtbot, view.corrections.dialog, correctionReason="blank page")
        qtbot.waitUntil(lambda: not view.flat, timeout=5000)
    finally:
        _close(w)


def test_privacy_officer_assesses_from_the_admin_menu_and_saves_the_letter(
    qtbot, admin_session, session_for, tmp_path
) -> None:
    import pypdf
    from PySide6.QtGui import QAction

    a = register_patient(admin_session, PatientInput("Ferncastle", "Odile", date(1950, 2, 3)))
    b = register_patient(admin_session, PatientInput("Quillby", "Rhoda", date(1966, 8, 9)))
    doc = add_document(admin_session, a.id, "lab", date(2024, 5, 1), [PageInput(png_page("x"))])
    req = release.create_request(
        admin_session, a.id, "Dr Nguyễn", "care", requester_type="provider"
    )
    release.send_request(admin_session, req.id)
    corr.move_document(session_for("clerk"), doc, b.id, "misfiled at the desk")
    w = _window(qtbot, admin_session)
    try:
        action = w.findChild(QAction, "disclosuresAction")
        assert action.shortcut().toString() == "Ctrl+F11"
        action.trigger()
        qtbot.waitUntil(lambda: "disclosures" in w.admin_dialogs, timeout=3000)
        dlg = w.admin_dialogs["disclosures"]
        qtbot.waitUntil(lambda: dlg.model.rowCount() == 1, timeout=5000)
        assert dlg.model.index(0, 0).data() == req.code
        assert dlg.model.index(0, 6).data() == b.mrn
        out = tmp_path / "letter.pdf"
        dlg.ask_save_path = lambda: out
        dlg.letter_button.click()
        qtbot.waitUntil(lambda: "Saved the letter" in dlg.status.text(), timeout=10_000)
        text = pypdf.PdfReader(out).pages[0].extract_text()
        assert req.code in text and "Dr Nguyễn" in text  # the name as written
        dlg.outcome.setFocus()
        qtbot.keyClicks(dlg.outcome, "low probability; recipient destroyed the pages")
        qtbot.keyClick(dlg.outcome, Qt.Key_Return)
        qtbot.waitUntil(lambda: "recorded" in dlg.status.text(), timeout=5000)
        qtbot.waitUntil(lambda: dlg.model.rowCount() == 0, timeout=5000)
        assert corr.disclosure_reviews(admin_session, include_assessed=True)[0].outcome
    finally:
        _close(w)
