"""Merging a duplicate into the open chart and undoing it, through the real widgets."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry import lookup
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.ui.main_window import MainWindow
from tests.helpers import png_page

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _drain_workers(store):
    """Let page, thumbnail and search workers finish before the store closes under them."""
    yield
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(10000)


def _pages(view) -> set[int]:
    return {p.id for d in view.chart.documents for p in d.pages}


def test_merge_then_unmerge_from_the_chart(qtbot, admin_session) -> None:
    a = register_patient(
        admin_session, PatientInput(family="Abernathy", given="Cosima", dob=date(1984, 10, 3))
    )
    b = register_patient(
        admin_session,
        PatientInput(
            family="Abernethy", given="Cosima", dob=date(1984, 10, 3), phone="555 777 1212"
        ),
    )
    add_document(admin_session, a.id, "lab", date(2024, 1, 1), [PageInput(png_page("a1"))])
    add_document(
        admin_session,
        b.id,
        "consult",
        date(2023, 1, 1),
        [PageInput(png_page("b1")), PageInput(png_page("b2"))],
    )
    add_document(admin_session, b.id, "imaging", None, [PageInput(png_page("b3"))])

    w = MainWindow(admin_session)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    try:
        page = w.chart_page
        page.open_chart(a.id)
        qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
        view = page.chart_view
        before_a = _pages(view)
        qtbot.waitUntil(view.doc_tree.hasFocus, timeout=3000)

        qtbot.keyClick(view.doc_tree, Qt.Key_M, Qt.ControlModifier)
        dlg = page.merge_dialog
        qtbot.waitUntil(dlg.search.hasFocus, timeout=3000)
        qtbot.keyClicks(dlg.search, "abernethy 10/3/84")
        qtbot.waitUntil(lambda: dlg.model.rowCount() > 0, timeout=5000)
        assert all(r.patient.id != a.id for r in dlg.model.rows)  # not itself
        assert dlg.model.row_object(0).patient.id == b.id
        qtbot.waitUntil(lambda: dlg.candidate is not None, timeout=5000)
        assert "2 document(s), 3 page(s)" in dlg.gone_label.text()
        assert not dlg.merge_button.isEnabled()
        qtbot.keyClicks(dlg.reason, "Same person: DOB, name and phone match")
        qtbot.keyClick(dlg.reason, Qt.Key_Return)
        assert dlg.confirm.hasFocus()
        qtbot.keyClick(dlg.confirm, Qt.Key_Space)
        assert dlg.merge_button.isEnabled()
        qtbot.mouseClick(dlg.merge_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: len(view.flat) == 3, timeout=5000)
        merged_pages = _pages(view)
        assert len(merged_pages) == 4 and before_a < merged_pages
        assert b.mrn in view.details_label.text()  # former MRN shown
        assert [r.patient.id for r in lookup.search_patients(admin_session, b.mrn)][:1] == [a.id]

        # undo, from the Merges tab (administrators)
        view.tabs.setCurrentIndex(2)
        qtbot.waitUntil(lambda: view.merge_model.rowCount() == 1, timeout=5000)
        view.merge_table.selectRow(0)
        qtbot.keyClicks(view.unmerge_reason, "not the same person after all")
        qtbot.mouseClick(view.unmerge_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: len(view.flat) == 1, timeout=5000)
        assert _pages(view) == before_a
        assert "went back" in view.merge_status.text()
        qtbot.waitUntil(
            lambda: view.merge_model.rowCount() == 1 and view.merge_model.row_object(0).undone,
            timeout=5000,
        )

        page.open_chart(b.id)
        qtbot.waitUntil(lambda: page.showing_chart and view.chart.patient.id == b.id, timeout=5000)
        assert len(_pages(view)) == 3 and merged_pages == before_a | _pages(view)
    finally:
        w._signing_out = True
        w.close()


def test_clerk_cannot_merge_or_undo(qtbot, session_for, admin_session) -> None:
    a = register_patient(
        admin_session, PatientInput(family="Vance", given="Iola", dob=date(1970, 1, 1))
    )
    clerk = session_for("clerk")
    w = MainWindow(clerk)
    qtbot.addWidget(w)
    w.show()
    try:
        page = w.chart_page
        page.open_chart(a.id)
        qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
        view = page.chart_view
        assert not view.merge_button.isVisible() and not view.unmerge_button.isVisible()
        view._merge()
        assert not hasattr(page, "merge_dialog")
    finally:
        w._signing_out = True
        w.close()
