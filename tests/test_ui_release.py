"""The release screen with real widgets on a real encrypted store (offscreen)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QMessageBox

from clinicrecords.clinic.session import Session
from clinicrecords.common.timeutil import today
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.release import service
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.release.view import TAB_ACCOUNTING, ReleasePage
from tests.helpers import assert_qpdf_check
from tests.test_release_service import make_chart, page_png, valid_auth

pytestmark = pytest.mark.gui
WAIT = 10_000


@pytest.fixture
def release(session_for: Callable[[str], Session]) -> Session:
    return session_for("release")


@pytest.fixture
def chart(admin_session: Session) -> dict:
    return make_chart(admin_session, "Quillfeather", "Odette")


def drain() -> None:
    """Let every worker finish and its result arrive before the store closes: a worker
    still reading when the test's store is closed would crash the process."""
    for _ in range(5):
        QThreadPool.globalInstance().waitForDone(20_000)
        QApplication.processEvents()


@pytest.fixture
def page(qtbot, release: Session) -> Iterator[ReleasePage]:
    w = ReleasePage(release, ChangeBus())
    qtbot.addWidget(w)
    w.resize(1366, 740)
    w.show()
    qtbot.waitExposed(w)
    yield w
    drain()
    w.close()


def open_request(qtbot, page: ReleasePage, request_id: int) -> None:
    page.reload_log()
    page.open_request(request_id)
    qtbot.waitUntil(
        lambda: page.detail is not None and page.detail.request.id == request_id, timeout=WAIT
    )


def reopened(qtbot, page: ReleasePage, check: Callable[[], bool]) -> None:
    qtbot.waitUntil(lambda: page.detail is not None and check(), timeout=WAIT)


def test_new_request_by_keyboard_then_leave_a_page_out(qtbot, page: ReleasePage, chart) -> None:
    qtbot.keyClick(page, Qt.Key_N, Qt.ControlModifier)
    dlg = page.new_dialog
    assert dlg is not None
    qtbot.waitUntil(dlg.patient_search.hasFocus, timeout=WAIT)
    qtbot.keyClicks(dlg.patient_search, "quillfeather 7/14/61")
    qtbot.waitUntil(lambda: dlg.patient_model.rowCount() == 1, timeout=WAIT)
    qtbot.keyClick(dlg.patient_search, Qt.Key_Return)  # picks the first chart, moves on
    assert dlg.patient is not None and dlg.patient.id == chart["patient"].id
    assert dlg.requester_type.hasFocus()
    qtbot.keyClicks(dlg.requester_type, "I")  # Insurer
    assert dlg.requester_type.currentData() == "insurer"
    qtbot.keyClick(dlg.requester_type, Qt.Key_Tab)
    qtbot.keyClicks(dlg.requester_name, "Claims Desk")
    qtbot.keyClick(dlg.requester_name, Qt.Key_Tab)
    qtbot.keyClicks(dlg.requester_org, "Acme Mutual")
    qtbot.keyClick(dlg.requester_org, Qt.Key_Tab)
    qtbot.keyClicks(dlg.requester_address, "1 Main St")
    qtbot.keyClick(dlg.requester_address, Qt.Key_Tab)
    assert dlg.basis.hasFocus()
    qtbot.keyClick(dlg.basis, Qt.Key_Tab)
    qtbot.keyClicks(dlg.purpose, "claim 77")
    # The due date follows the received date by the clinic's setting (30 days).
    assert dlg.due.date().toPython() == today() + timedelta(days=30)
    qtbot.keyClick(dlg.purpose, Qt.Key_Return, Qt.ControlModifier)
    reopened(qtbot, page, lambda: page.detail.request.requester_org == "Acme Mutual")
    req = page.detail.request
    assert req.basis == "payment" and req.due_on == today() + timedelta(days=30)
    assert page.new_dialog is None

    # Sensitive pages are held back with their reason, and cannot be ticked.
    held = [page.held_model.index(r, 4).data() for r in range(page.held_model.rowCount())]
    assert len(held) == 3 and all("does not ask for sensitive records" in h for h in held)
    model = page.selection_model
    locked = next(r for r in range(model.rowCount()) if not model.rows[r].included)
    assert not model.flags(model.index(locked, 0)) & Qt.ItemIsUserCheckable
    page.selection_table.setFocus()
    page.selection_table.setCurrentIndex(model.index(locked, 1))
    qtbot.keyClick(page.selection_table, Qt.Key_Return)  # Enter says why
    assert "does not ask for sensitive records" in page.message.text()

    # Minimum necessary: untick the first lab page with the keyboard, a note given.
    qtbot.keyClicks(page.exclude_note, "duplicate of page 2")
    first = next(r for r in range(model.rowCount()) if model.rows[r].doc_type == "lab")
    page.selection_table.setFocus()
    page.selection_table.setCurrentIndex(model.index(first, 0))
    out_before = req.pages_out
    qtbot.keyClick(page.selection_table, Qt.Key_Space)
    reopened(qtbot, page, lambda: page.detail.request.pages_out == out_before - 1)
    row = page.selection_model.rows[first]
    assert not row.included and row.reason == "Left out by hand: duplicate of page 2."
    assert "Left out by hand" in " ".join(
        page.held_model.index(r, 4).data() for r in range(page.held_model.rowCount())
    )
    # Space again puts it back.
    page.selection_table.setCurrentIndex(page.selection_model.index(first, 0))
    qtbot.keyClick(page.selection_table, Qt.Key_Space)
    reopened(qtbot, page, lambda: page.detail.request.pages_out == out_before)


def test_expired_authorization_blocks_send_until_corrected(
    qtbot, page: ReleasePage, release: Session, chart
) -> None:
    req = service.create_request(
        release, chart["patient"].id, "Lee Lawyer", "claim", requester_type="attorney",
        include_sensitive=True,
        authorization=valid_auth(expires_on=today() - timedelta(days=1),
                                 categories=frozenset({"mental_health"})),
    )  # fmt: skip
    open_request(qtbot, page, req.id)
    assert "Cannot send yet" in page.blockers.text()
    assert "The authorization has expired." in page.blockers.text()
    assert not page.send_button.isEnabled()
    held = {page.held_model.index(r, 2).data(): page.held_model.index(r, 4).data()
            for r in range(page.held_model.rowCount())}  # fmt: skip
    assert "not in force" in held["Mental health"]
    page.send()  # Ctrl+Enter with blockers: no confirmation, the sentence instead
    assert page.send_confirm is None if hasattr(page, "send_confirm") else True
    assert "cannot be sent yet" in page.message.text()

    # Correct the expiry on the authorization panel and record it (Ctrl+Shift+R).
    qtbot.keyClick(page, Qt.Key_2, Qt.AltModifier)
    assert page.tabs.currentWidget() is page.auth_panel
    assert "expired" in page.auth_panel.problems.text()
    page.auth_panel.expires.edit.setDate(today() + timedelta(days=90))
    assert "In force today" in page.auth_panel.problems.text()
    qtbot.keyClick(page, Qt.Key_R, Qt.ControlModifier | Qt.ShiftModifier)
    reopened(qtbot, page, lambda: not page.detail.blockers)
    assert page.send_button.isEnabled() and "Ready to send" in page.blockers.text()
    sel = page.detail.selection
    assert [s.doc_type for s in sel if not s.included] == ["substance_use", "substance_use"]
    assert all("does not name this category" in s.reason for s in sel if not s.included)


def test_preview_save_print_send_and_accounting(
    qtbot, page: ReleasePage, release: Session, chart, tmp_path: Path
) -> None:
    req = service.create_request(
        release, chart["patient"].id, "Dr Who", "continuing care", requester_type="provider",
        requester_org="Springfield Clinic",
    )  # fmt: skip
    open_request(qtbot, page, req.id)
    qtbot.keyClick(page, Qt.Key_B, Qt.ControlModifier)
    qtbot.waitUntil(lambda: page.packet.model.rowCount() > 0 and not page.packet.busy, timeout=WAIT)
    data = page.packet.preview_data
    assert data is not None
    assert_qpdf_check(data)
    # the preview never lies unencrypted in the data folder
    assert not any(f.suffix == ".pdf" for f in release.store.data_dir.rglob("*"))
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert page.packet.model.rowCount() == len(reader.pages) == 4 + page.packet.result.front_pages
    for n, p in enumerate(reader.pages, start=1):
        assert f"{req.code}-{n:04d}" in p.extract_text()
    assert "Packet ready" in page.packet.status.text()

    # Save PDF… reuses the built packet.
    target = tmp_path / "out" / "packet.pdf"
    target.parent.mkdir()
    page.packet.ask_save_path = lambda: target
    with qtbot.waitSignal(page.packet.saved, timeout=WAIT):
        qtbot.keyClick(page, Qt.Key_S, Qt.ControlModifier)
    assert target.read_bytes() == data

    # Print… paints on a worker onto the chosen printer (here a PDF file printer).
    printed_to = tmp_path / "printed.pdf"

    def pdf_printer() -> QPrinter:
        printer = QPrinter(QPrinter.HighResolution)
        printer.setOutputFormat(QPrinter.PdfFormat)
        printer.setOutputFileName(str(printed_to))
        printer.setResolution(150)
        return printer

    page.packet.ask_printer = pdf_printer
    with qtbot.waitSignal(page.packet.printed, timeout=30_000) as printed:
        qtbot.keyClick(page, Qt.Key_P, Qt.ControlModifier)
    assert printed.args == [len(reader.pages)]
    assert len(pypdf.PdfReader(printed_to).pages) == len(reader.pages)
    assert_qpdf_check(printed_to)
    printed_rows = (
        release.db.connection()
        .execute("SELECT detail FROM audit_log WHERE action = 'release.print'")
        .fetchall()
    )
    assert len(printed_rows) == 1 and f'"pages":{len(reader.pages)}' in printed_rows[0][0]

    # Send: a confirmation, then the disclosure is in the accounting.
    qtbot.keyClick(page, Qt.Key_Return, Qt.ControlModifier)
    box = page.send_confirm
    assert box is not None and "cannot be undone" in box.text()
    box.button(QMessageBox.Yes).click()
    reopened(qtbot, page, lambda: page.detail.request.status == "sent")
    assert not page.send_button.isEnabled() and not page.deny_button.isEnabled()
    assert not page.selection_model.flags(page.selection_model.index(0, 0)) & Qt.ItemIsUserCheckable
    page.activateWindow()  # the confirmation closed; Qt gives the window back its focus
    qtbot.waitUntil(page.isActiveWindow, timeout=WAIT)
    qtbot.keyClick(page, Qt.Key_5, Qt.AltModifier)
    assert page.tabs.currentIndex() == TAB_ACCOUNTING
    acct = page.accounting
    qtbot.waitUntil(lambda: acct.report is not None and bool(acct.report.disclosures), timeout=WAIT)
    assert acct.model.rowCount() == 0  # treatment: not in the legal accounting
    acct.show_all.setChecked(True)
    qtbot.waitUntil(lambda: acct.model.rowCount() == 1, timeout=WAIT)
    row = acct.model.row_object(0)
    assert row.request_code == req.code and row.pages == 4 and not row.in_accounting
    pdf = tmp_path / "accounting.pdf"
    acct.ask_save_path = lambda: pdf
    qtbot.keyClick(page, Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: pdf.exists() and "Saved" in acct.status.text(), timeout=WAIT)
    assert "continuing care" in pypdf.PdfReader(pdf).pages[0].extract_text()
    assert_qpdf_check(pdf)
    # The log shows it sent; Esc goes back to the log.
    qtbot.keyClick(page, Qt.Key_Escape)
    assert page.log_table.hasFocus()


def test_deny_with_reason_and_filter_log(qtbot, page: ReleasePage, release: Session, chart) -> None:
    pid = chart["patient"].id
    a = service.create_request(release, pid, "A", "x", requester_type="patient")
    b = service.create_request(
        release, pid, "B", "y", requester_type="patient", received_on=today() - timedelta(days=40)
    )
    open_request(qtbot, page, a.id)
    qtbot.waitUntil(lambda: page.log_model.rowCount() == 2, timeout=WAIT)
    assert page.due_model.rowCount() == 1 and page.due_model.row_object(0).code == b.code
    assert "1 overdue" in page.due_label.text()
    assert page.log_filter.index(0, 0).data() == b.code  # soonest due first
    header = page.log_table.horizontalHeader()
    header.setSortIndicator(1, Qt.DescendingOrder)
    assert page.log_filter.index(0, 0).data() == a.code
    header.setSortIndicator(1, Qt.AscendingOrder)

    qtbot.keyClick(page, Qt.Key_D, Qt.ControlModifier)
    dlg = page.reason_dialog
    assert dlg is not None
    qtbot.keyClick(dlg.reason, Qt.Key_Return)
    assert "reason" in dlg.error.text() and dlg.isVisible()
    qtbot.keyClicks(dlg.reason, "not signed by the patient")
    qtbot.keyClick(dlg.reason, Qt.Key_Return)
    reopened(qtbot, page, lambda: page.detail.request.status == "denied")
    assert "not signed by the patient" in page.header.text()

    qtbot.waitUntil(
        lambda: any(r.request.status == "denied" for r in page.log_model.rows), timeout=WAIT
    )
    page.status_filter.setCurrentIndex(page.status_filter.findText("Open (new or in progress)"))
    assert page.log_filter.rowCount() == 1
    page.status_filter.setCurrentIndex(0)
    qtbot.keyClicks(page.filter_edit, a.code.lower())
    assert page.log_filter.rowCount() == 1


def test_due_date_override_and_refusals(qtbot, page: ReleasePage, chart) -> None:
    page.new_request()
    dlg = page.new_dialog
    dlg.submit()  # nothing chosen: a sentence, not a crash
    assert "Choose the patient" in dlg.error.text()
    qtbot.keyClicks(dlg.patient_search, "quillfeather")
    qtbot.waitUntil(lambda: dlg.patient_model.rowCount() == 1, timeout=WAIT)
    qtbot.keyClick(dlg.patient_search, Qt.Key_Down)
    assert dlg.patient_table.hasFocus() and dlg.patient is not None
    qtbot.keyClicks(dlg.requester_name, "Pat")
    dlg.submit()
    assert "purpose" in dlg.error.text() and dlg.purpose.hasFocus()
    qtbot.keyClicks(dlg.purpose, "own copy")
    dlg.received.setDate(date(2026, 1, 1))
    assert dlg.due.date().toPython() == date(2026, 1, 31) and not dlg.due.isEnabled()
    dlg.due_override.setFocus()
    qtbot.keyClick(dlg.due_override, Qt.Key_Space)
    assert dlg.due.isEnabled()
    dlg.due.setDate(date(2026, 1, 15))
    dlg.received.setDate(date(2026, 1, 2))  # a hand-set due date stays put
    assert dlg.due.date().toPython() == date(2026, 1, 15)
    qtbot.keyClick(dlg.purpose, Qt.Key_Return, Qt.ControlModifier)
    reopened(qtbot, page, lambda: page.detail.request.purpose == "own copy")
    assert page.detail.request.due_on == date(2026, 1, 15)
    assert page.detail.request.received_on == date(2026, 1, 2)


def test_refresh_reruns_selection_after_filing(
    qtbot, page: ReleasePage, release: Session, admin_session: Session, chart
) -> None:
    req = service.create_request(
        release, chart["patient"].id, "Dr Who", "care", requester_type="provider"
    )
    open_request(qtbot, page, req.id)
    before = len(page.detail.selection)
    add_document(admin_session, chart["patient"].id, "lab", date(2025, 3, 3),
                 [PageInput(page_png("late lab"))])  # fmt: skip
    page.focus_default()
    qtbot.keyClick(page, Qt.Key_F5)
    reopened(qtbot, page, lambda: len(page.detail.selection) == before + 1)
    assert page.message.text() == "Selection re-run."


def test_scope_dates_may_be_in_the_future(qtbot, page: ReleasePage, release: Session, chart):
    """A release scope may end after today ("everything through the end of next year"):
    the scope fields are read by the date reader *not* past only. They used the DOB reader,
    which refused a future date and read this December's '31/12/26' as 1926."""
    req = service.create_request(
        release, chart["patient"].id, "Dr Who", "care", requester_type="provider"
    )
    open_request(qtbot, page, req.id)
    next_year = today().year + 1
    panel = page.pages_panel
    assert panel.date_order == "MDY"
    panel.date_from.setText("3/1/24")
    panel.date_to.setText(f"12/31/{next_year}")
    panel.apply_scope_button.click()
    assert "not a date" not in page.message.text()  # refused at once, before the fix
    reopened(qtbot, page, lambda: page.detail.request.date_to is not None)
    assert page.detail.request.date_from == date(2024, 3, 1)
    assert page.detail.request.date_to == date(next_year, 12, 31)
    # A two-digit year is this year's when this year can hold the date (not 1926's).
    panel.date_order = "DMY"
    panel.date_from.setText("3/1/24")
    panel.date_to.setText(f"31/12/{today().year % 100:02d}")
    assert panel.scope()[:2] == (date(2024, 1, 3), date(today().year, 12, 31))
