"""The chart's holds and amendments tab and the administrator's retention screen, with real
widgets driven by the keyboard: place and release a legal hold, log, deny and answer an
amendment request, see a destroyed document's tombstone, and destroy what is due."""

from __future__ import annotations

from datetime import date

import pypdf
import pytest
from PySide6.QtCore import Qt, QThreadPool

from clinicrecords.records import amendments, retention
from clinicrecords.records.charts import open_chart
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.ui.bus import ChangeBus
from tests.helpers import png_page

pytestmark = pytest.mark.gui
KEYS = Qt.ControlModifier | Qt.ShiftModifier


@pytest.fixture(autouse=True)
def _drain_workers(store):
    yield
    QThreadPool.globalInstance().waitForDone(10000)


def _chart(session):
    p = register_patient(
        session, PatientInput(family="Lindqvist", given="Ebba", dob=date(1950, 1, 1))
    )
    old = add_document(session, p.id, "lab", date(2010, 3, 3), [PageInput(png_page("old"))])
    new = add_document(session, p.id, "consult", date(2025, 3, 3), [PageInput(png_page("new"))])
    return p, old, new


def _view(qtbot, session, patient_id):
    from clinicrecords.ui.chart.view import ChartView

    view = ChartView(session, ChangeBus())
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    view.load(open_chart(session, patient_id))
    view.activateWindow()
    view.doc_tree.setFocus()
    panel = view.lifecycle
    qtbot.waitUntil(lambda: not panel.busy and "hold" in panel.hold_label.text(), timeout=5000)
    return view, panel


def test_chart_tab_holds_and_amendments_by_keyboard(qtbot, session_for, admin_session, tmp_path):
    p, old, new = _chart(admin_session)
    view, panel = _view(qtbot, session_for("release"), p.id)
    assert panel.hold_label.text() == "No legal hold on this chart."

    panel.hold_reason.setFocus()
    qtbot.keyClicks(panel.hold_reason, "Roe v. Clinic")
    qtbot.keyClick(panel.hold_reason, Qt.Key_H, KEYS)
    qtbot.waitUntil(lambda: "LEGAL HOLD" in panel.hold_label.text(), timeout=5000)
    assert "Roe v. Clinic" in panel.hold_label.text()
    assert retention.due(admin_session, date(2026, 6, 1)).held == 1
    qtbot.waitUntil(lambda: not panel.busy and panel.release_button.isEnabled(), timeout=5000)
    qtbot.keyClick(view.doc_tree, Qt.Key_L, KEYS)
    qtbot.waitUntil(lambda: panel.hold_label.text().startswith("No legal hold"), timeout=5000)
    qtbot.waitUntil(lambda: not panel.busy, timeout=5000)

    # the shown document is the newest group first; choose the consult, then log a request
    view.show_document(next(d for d in view.flat if d.id == new))
    qtbot.keyClicks(panel.request_text, "The murmur was not heard")
    qtbot.keyClick(panel.request_text, Qt.Key_A, KEYS)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1 and not panel.busy, timeout=5000)
    assert panel.error.text() == ""
    (a,) = amendments.list_amendments(admin_session, p.id)
    assert a.document_id == new and a.status == "pending"

    letter = tmp_path / "denial.pdf"
    panel.ask_letter_path = lambda _title: letter
    panel.table.selectRow(0)
    qtbot.keyClicks(panel.reason, "recorded accurately")
    qtbot.keyClick(panel.reason, Qt.Key_N, KEYS)
    qtbot.waitUntil(lambda: letter.exists() and not panel.busy, timeout=5000)
    assert "recorded accurately" in pypdf.PdfReader(str(letter)).pages[0].extract_text()
    qtbot.waitUntil(lambda: panel.statement_button.isEnabled(), timeout=5000)
    qtbot.keyClicks(panel.statement, "It was heard by two doctors")
    qtbot.keyClick(panel.statement, Qt.Key_G, KEYS)
    qtbot.waitUntil(
        lambda: amendments.get_amendment(admin_session, a.id).disagreement != "", timeout=5000
    )
    qtbot.waitUntil(lambda: "statement" in panel.model.data(panel.model.index(0, 4)), timeout=5000)


def test_admin_screen_disposes_and_chart_shows_tombstone(qtbot, admin_session, tmp_path):
    from clinicrecords.ui.admin.retention import RetentionDialog

    p, old, _new = _chart(admin_session)
    dlg = RetentionDialog(admin_session)
    qtbot.addWidget(dlg)
    dlg.on = date(2026, 6, 1)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.reload()
    qtbot.waitUntil(lambda: dlg.due_model.rowCount() == 1 and not dlg.busy, timeout=5000)
    assert "State law" in dlg.note.text()
    cert = tmp_path / "certificate.pdf"
    dlg.certificate.setText(str(cert))
    dlg.confirm = lambda n: n == 1
    qtbot.keyClick(dlg.due_table, Qt.Key_D, KEYS)
    qtbot.waitUntil(lambda: cert.exists() and not dlg.busy, timeout=10000)
    qtbot.waitUntil(lambda: dlg.due_model.rowCount() == 0, timeout=5000)
    assert "Destroyed 1 document" in dlg.status.text()
    assert "Certificate of Destruction" in pypdf.PdfReader(str(cert)).pages[0].extract_text()

    view, _panel = _view(qtbot, admin_session, p.id)
    destroyed = next(d for d in view.flat if d.id == old)
    view.show_document(destroyed)
    assert "Destroyed on" in view.viewer.message.text()
    item = view._doc_item(old)
    assert "[destroyed]" in item.data()


def test_release_pages_say_which_document_carries_a_statement(qtbot, admin_session, session_for):
    from datetime import timedelta

    from clinicrecords.common.timeutil import today
    from clinicrecords.release import service as release_service
    from clinicrecords.ui.release import data as release_data
    from clinicrecords.ui.release.pages import PagesPanel

    p, _old, new = _chart(admin_session)
    a = amendments.request_amendment(admin_session, p.id, "no murmur", new)
    amendments.decide(admin_session, a.id, "deny", "accurate")
    release = session_for("release")
    req = release_service.create_request(
        release, p.id, "Dr. Lee", "care", requester_type="provider",
        date_from=today() - timedelta(days=20000),
    )  # fmt: skip
    panel = PagesPanel()
    qtbot.addWidget(panel)
    panel.show_request(release_data.load_detail(release, req.id), True)
    assert panel.amendment_note.text() == ""  # a denial alone does not travel
    amendments.file_disagreement(admin_session, a.id, "It was heard")
    panel.show_request(release_data.load_detail(release, req.id), False)
    note = panel.amendment_note.text()
    assert "carries statement of disagreement" in note and "2025-03-03" in note
