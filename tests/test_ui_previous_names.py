"""The "also known as" list in the registration form and the chart (issue 10), by keyboard."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from clinicrecords.common.domain import PreviousName
from clinicrecords.registry.patients import PatientInput, get_patient, register_patient
from clinicrecords.ui.chart.previous_names import AlsoKnownAsDialog
from clinicrecords.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _drain_workers(store):
    yield
    from PySide6.QtCore import QThreadPool

    QThreadPool.globalInstance().waitForDone(10000)


def test_registration_keeps_a_maiden_name_shown_in_the_chart(qtbot, admin_session) -> None:
    w = MainWindow(admin_session)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    try:
        page = w.chart_page
        page.new_patient()
        dlg = page.registration
        qtbot.waitUntil(dlg.family.hasFocus, timeout=3000)
        qtbot.keyClicks(dlg.family, "Whitfield")
        qtbot.keyClicks(dlg.given, "Harriet")
        qtbot.keyClicks(dlg.dob, "8/14/1961")
        qtbot.keyClicks(dlg.aka, "Okonkw0")  # a digit: refused, the box gets the focus
        qtbot.keyClick(dlg.aka, Qt.Key_Return)
        assert "previous family name" in dlg.error.text() and dlg.aka.hasFocus()
        dlg.aka.clear()
        qtbot.keyClicks(dlg.aka, "Okonkwo")
        qtbot.keyClick(dlg.aka, Qt.Key_Return)
        qtbot.waitUntil(lambda: dlg.registered is not None, timeout=5000)
        qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
        p = page.chart_view.chart.patient
        assert p.previous_names == (PreviousName("Okonkwo", "", "maiden"),)
        assert (
            "Also known as OKONKWO, Harriet (maiden name)" in page.chart_view.details_label.text()
        )
    finally:
        w._signing_out = True
        w.close()


def test_also_known_as_dialog_adds_removes_and_saves_by_keyboard(qtbot, admin_session) -> None:
    p = register_patient(admin_session, PatientInput("Whitfield", "Harriet", date(1961, 8, 14)))
    dlg = AlsoKnownAsDialog(admin_session, p)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.activateWindow()
    qtbot.waitUntil(dlg.isActiveWindow, timeout=3000)  # its shortcuts work
    qtbot.keyClicks(dlg.name, "Okonkwo")
    qtbot.keyClick(dlg.name, Qt.Key_Return)
    qtbot.keyClicks(dlg.name, "Delacroix, Hattie")
    dlg.kind.setFocus()
    qtbot.keyClicks(dlg.kind, "Prev")  # a combo box selects by typing its label
    dlg.name.setFocus()
    qtbot.keyClick(dlg.name, Qt.Key_Return)
    qtbot.keyClicks(dlg.name, "Mistake")
    qtbot.keyClick(dlg.name, Qt.Key_Return)
    assert dlg.list.count() == 3
    dlg.list.setFocus()
    dlg.list.setCurrentRow(2)
    qtbot.keyClick(dlg.list, Qt.Key_Delete)
    assert dlg.list.count() == 2
    qtbot.keyClick(dlg.list, Qt.Key_S, Qt.ControlModifier)
    qtbot.waitUntil(lambda: dlg.saved is not None, timeout=5000)
    assert get_patient(admin_session, p.id).previous_names == (
        PreviousName("Okonkwo", "", "maiden"),
        PreviousName("Delacroix", "Hattie", "previous"),
    )
