"""Markup typed by a person or read off a scan is printed and shown as written (issue 8, defect 8).

ReportLab's ``Paragraph`` parses its text as markup, and Qt draws a label, a tooltip or a message
box as rich text when the text merely looks like HTML. So a clinic name with ``<`` stopped the
accounting PDF, ``<b>`` in a requester's name printed bold, and a few release labels put the
patient's name into ``<b>`` unescaped. Every field a user or a scan can fill goes through both
the PDFs (read back with pypdf, checked with qpdf) and the widgets that show it (offscreen).
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication, QLabel

from clinicrecords.admin.recovery_sheet import write_recovery_sheet
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import set_setting
from clinicrecords.records.coversheets import cover_sheets_pdf
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import accounting, service
from tests.helpers import assert_qpdf_check, png_page
from tests.test_release_service import page_png

# Each field gets its own markup: a tag pair, a bare '&', an unclosed tag, a lone '<', an entity.
CLINIC = "Maple <b>x</b> & <i>"
CLINIC_ADDRESS = "1 <Elm> St &amp; Co"
CLINIC_PHONE = "555-0100 <i>&"
FAMILY, GIVEN = "Amp &amp; Co", "Ann & Bo"  # a name cannot hold '<' (validate refuses it)
PATIENT_ADDRESS = "2 <b>Oak</b> Rd &amp;"
TITLE = "<b>BMP</b> & <"
AUTHOR = "Dr <i>Ames</i> &amp;"
FACILITY = "Lab <b>&</b>"
OCR = "Potassium <b>4.1</b> & <img src=x> creatinine"
REQUESTER = "Dr <b>Who</b> &"
ORG = "Org &amp; <i>"
REQUESTER_ADDRESS = "1 <Main> St\nTown &amp; Co"
PURPOSE = "care <i>&amp;</i> <"
WATERMARK = "Copy <b>x</b> &"
NOTE = "not <b>needed</b> &amp; <"
REASON = "<b>refused</b> & <i>"


def flat(text: str) -> str:
    return " ".join(text.replace("\xa0", " ").split())


def pdf_text(source: Path | bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(source) if isinstance(source, bytes) else source)
    return flat(" ".join(page.extract_text() for page in reader.pages))


def shown(text: str, fmt: Qt.TextFormat = Qt.AutoText) -> str:
    """What Qt draws for `text` in format `fmt`: rich text is parsed, plain text is not."""
    from PySide6 import QtGui

    if fmt == Qt.RichText or (fmt == Qt.AutoText and QtGui.Qt.mightBeRichText(text)):
        doc = QTextDocument()
        doc.setHtml(text)
        return flat(doc.toPlainText())
    return flat(text)


def label_shows(label: QLabel) -> str:
    return shown(label.text(), label.textFormat())


def tooltip_shows(tip: str) -> str:
    return shown(tip)  # Qt has no plain-text switch for tooltips: always "auto"


def make_marked_chart(admin: Session) -> tuple:
    for key, value in (
        ("clinic.name", CLINIC),
        ("clinic.address", CLINIC_ADDRESS),
        ("clinic.phone", CLINIC_PHONE),
    ):
        set_setting(admin, key, value)
    p = register_patient(
        admin,
        PatientInput(FAMILY, GIVEN, date(1961, 7, 14), "F", address=PATIENT_ADDRESS),
    )
    add_document(
        admin, p.id, "lab", date(2024, 5, 1),
        [PageInput(png_page("Potassium"), ocr_text=OCR), PageInput(page_png("lab 2"))],
        title=TITLE, author=AUTHOR, facility=FACILITY,
    )  # fmt: skip
    req = service.create_request(
        admin, p.id, REQUESTER, PURPOSE, requester_type="provider", requester_org=ORG,
        requester_address=REQUESTER_ADDRESS, watermark=WATERMARK,
    )  # fmt: skip
    return p, req


def test_markup_in_every_field_prints_literally(admin_session: Session, tmp_path: Path) -> None:
    p, req = make_marked_chart(admin_session)

    out = tmp_path / "packet.pdf"
    with open(out, "wb") as fh:
        service.build_packet(admin_session, req.id, fh)
    assert_qpdf_check(out)
    text = pdf_text(out)
    for value in (CLINIC, CLINIC_ADDRESS, CLINIC_PHONE, p.display_name, TITLE, REQUESTER, ORG,
                  PURPOSE, WATERMARK, *REQUESTER_ADDRESS.split("\n")):  # fmt: skip
        assert value in text, value

    # The accounting of disclosures: ReportLab Paragraphs. A '<' in the clinic name used to
    # stop it (exit 70 from the command line); '&amp;' and '<b>' were interpreted.
    service.send_request(admin_session, req.id)
    report = accounting.accounting(admin_session, p.id, include_all=True)
    acct = tmp_path / "accounting.pdf"
    accounting.write_accounting_pdf(report, acct, CLINIC)
    assert_qpdf_check(acct)
    text = pdf_text(acct)
    for value in (CLINIC, p.display_name, REQUESTER, ORG, PURPOSE, *REQUESTER_ADDRESS.split("\n")):
        assert value in text, value

    sheets = cover_sheets_pdf(admin_session, p.id, ["lab"])
    assert_qpdf_check(sheets)
    assert p.display_name in pdf_text(sheets)

    sheet = write_recovery_sheet(tmp_path / "sheet.pdf", CLINIC, "store-1", "ABCD-EFGH")
    assert_qpdf_check(sheet)
    assert f"Clinic: {CLINIC}" in pdf_text(sheet)


def test_cli_accounting_pdf_with_markup_in_the_clinic_name(
    admin_session: Session, cli_env, store_dir: Path, tmp_path: Path
) -> None:
    """The command a clerk ran: exit 70 "unexpected error" before, now the PDF."""
    from tests.test_cli import run

    p, req = make_marked_chart(admin_session)
    service.send_request(admin_session, req.id)
    admin_session.store.close()
    out = tmp_path / "acct.pdf"
    r = run(
        ["--data-dir", str(store_dir), "release", "accounting", "--patient", p.mrn, "--all",
         "--pdf", str(out)],
        cli_env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert_qpdf_check(out)
    assert CLINIC in pdf_text(out)


# --- Qt ---------------------------------------------------------------------------------------


def drain() -> None:
    for _ in range(5):
        QThreadPool.globalInstance().waitForDone(20_000)
        QApplication.processEvents()


@pytest.mark.gui
def test_release_screen_shows_markup_as_written(qtbot, admin_session: Session) -> None:
    from clinicrecords.ui.bus import ChangeBus
    from clinicrecords.ui.release.forms import NewRequestDialog
    from clinicrecords.ui.release.view import TAB_ACCOUNTING, ReleasePage

    p, req = make_marked_chart(admin_session)
    page = ReleasePage(admin_session, ChangeBus())
    qtbot.addWidget(page)
    page.resize(1366, 740)
    page.show()
    qtbot.waitExposed(page)
    try:
        page.reload_log()
        page.open_request(req.id)
        qtbot.waitUntil(lambda: page.detail is not None, timeout=10_000)
        header = label_shows(page.header)
        for value in (p.display_name, f"{REQUESTER}, {ORG}", PURPOSE):
            assert value in header, value
        qtbot.waitUntil(lambda: page.log_model.rowCount() == 1, timeout=10_000)
        cells = [page.log_model.index(0, c) for c in range(page.log_model.columnCount())]
        assert any(page.log_model.data(i) == p.display_name for i in cells)
        tips = [tooltip_shows(page.log_model.data(i, Qt.ToolTipRole)) for i in cells]
        assert flat(p.display_name) in tips and flat(ORG) in tips  # the log names the org

        # A page left out with a note: its reason, in the table's tooltip and the message.
        first = page.detail.selection[0]
        service.exclude_page(admin_session, req.id, first.page_id, NOTE)
        page.open_request(req.id)
        qtbot.waitUntil(lambda: page.detail.request.pages_out == 1, timeout=10_000)
        model = page.selection_model
        row = next(r for r in range(model.rowCount()) if not model.row_object(r).included)
        assert NOTE in tooltip_shows(model.data(model.index(row, 4), Qt.ToolTipRole))
        page.pages_panel._explain_page(model.index(row, 0))
        assert NOTE in label_shows(page.message)

        # The accounting tab's heading puts the patient's name in bold.
        page.tabs.setCurrentIndex(TAB_ACCOUNTING)
        acct = page.accounting
        qtbot.waitUntil(lambda: acct.report is not None, timeout=10_000)
        assert p.display_name in label_shows(acct.heading)

        # The confirmation before sending names the requester.
        page.send()
        box = page.send_confirm
        assert box is not None and box.textFormat() == Qt.PlainText
        assert f"to {REQUESTER}, {ORG}" in shown(box.text(), box.textFormat())
        box.reject()

        # A denied request shows its reason.
        service.set_status(admin_session, req.id, "denied", REASON)
        page.open_request(req.id)
        qtbot.waitUntil(lambda: page.detail.request.status == "denied", timeout=10_000)
        assert f"denied: {REASON}" in label_shows(page.blockers)
        assert f"({REASON})" in label_shows(page.header)

        # New request: the chosen patient's name and MRN, in bold.
        dlg = NewRequestDialog(admin_session, 30, page)
        qtbot.addWidget(dlg)
        qtbot.keyClicks(dlg.patient_search, "amp 7/14/61")
        qtbot.waitUntil(lambda: dlg.patient_model.rowCount() >= 1, timeout=10_000)
        dlg.patient_table.selectRow(0)
        qtbot.waitUntil(lambda: dlg.patient is not None, timeout=10_000)
        assert f"Patient: {p.display_name}, born" in label_shows(dlg.patient_label)
        dlg.reject()
    finally:
        drain()
        page.close()


@pytest.mark.gui
def test_chart_shows_markup_as_written(qtbot, admin_session: Session) -> None:
    from clinicrecords.ui.main_window import MainWindow

    p, _req = make_marked_chart(admin_session)
    w = MainWindow(admin_session)
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    try:
        page = w.chart_page
        page.open_chart(p.id)
        qtbot.waitUntil(lambda: page.showing_chart, timeout=5000)
        view = page.chart_view
        assert label_shows(view.name_label).startswith(p.display_name)
        assert PATIENT_ADDRESS in label_shows(view.details_label)
        group = view.doc_model.item(0, 0)
        doc_item = group.child(0, 0)
        assert FACILITY in flat(doc_item.text())  # item views draw plain text
        tip = tooltip_shows(doc_item.toolTip())
        assert tip == flat(f"{TITLE} · {AUTHOR} · {FACILITY}")

        # OCR text found in the chart: the snippet cell and its tooltip.
        view.text_box.setText("potassium")
        view._search_text()
        qtbot.waitUntil(lambda: view.text_model.rowCount() == 1, timeout=5000)
        snippet = view.text_model.row_object(0).snippet
        assert "<img src=x>" in snippet
        index = view.text_model.index(0, 0)
        assert view.text_model.data(index) == snippet
        assert tooltip_shows(view.text_model.data(index, Qt.ToolTipRole)) == flat(snippet)
        assert f"{CLINIC_PHONE}" not in w.windowTitle() and CLINIC in w.windowTitle()
    finally:
        QThreadPool.globalInstance().waitForDone(10_000)
        w._signing_out = True
        w.close()


@pytest.mark.gui
def test_signed_in_user_with_markup_in_the_name(qtbot, admin_session: Session) -> None:
    from clinicrecords.clinic import auth
    from clinicrecords.ui.main_window import MainWindow
    from tests.conftest import PASSWORD

    auth.add_user(admin_session, "marked", "clerk", PASSWORD, "Cal <b>Clerk</b> &amp;")
    clerk = auth.login(admin_session.store, "marked", PASSWORD)
    w = MainWindow(clerk)
    qtbot.addWidget(w)
    try:
        assert "Cal <b>Clerk</b> &amp; (clerk)" in label_shows(w.user_label)
    finally:
        QThreadPool.globalInstance().waitForDone(10_000)
        w._signing_out = True
        w.close()


def test_letter_markers_come_from_the_template_not_from_what_was_typed() -> None:
    """'## ' (bold) and '- ' (bullet) are the cover-letter template's own markup; a requester
    named "- Lee" or an address line "## 4 Main" is printed as typed, not as a bullet or a
    heading. The program's list of enclosures keeps its bullets."""
    from clinicrecords.release.letters import render_letter, template_text

    lines = render_letter(
        template_text("cover_letter.txt"),
        {"requester_name": "- Lee", "requester_address": "## 4 Main\n- Apt 2",
         "purpose": "care", "enclosed": "- Lab: 1 document\n- Consult: 1 document"},
    )  # fmt: skip
    by_text = {line.text: line for line in lines}
    for typed in ("- Lee", "## 4 Main", "- Apt 2"):
        assert typed in by_text and not (by_text[typed].bold or by_text[typed].bullet), typed
    assert by_text["Lab: 1 document"].bullet and by_text["Consult: 1 document"].bullet
    assert any(line.bold and line.text.startswith("Release of health") for line in lines)
