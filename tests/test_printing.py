"""Printing a release packet: onto Qt's PDF printer always, and through a real CUPS queue
(cups-pdf) when one named ClinicPDF exists (the CI set-up script creates it)."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import time
import uuid
from datetime import date
from pathlib import Path

import pypdf
import pytest
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from clinicrecords.clinic.session import Session
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import service
from clinicrecords.ui.printing import render_pdf_to_printer
from tests.helpers import assert_qpdf_check
from tests.test_release_service import page_jpeg, page_png

pytestmark = pytest.mark.gui
CUPS_QUEUE = "ClinicPDF"
CUPS_PDF_CONF = Path("/etc/cups/cups-pdf.conf")


@pytest.fixture
def packet(admin_session: Session, tmp_path: Path) -> tuple[Path, int]:
    """A small real packet: letter, index, a 2-page lab and a 1-page consult."""
    p = register_patient(admin_session, PatientInput("Printwell", "Ida", date(1970, 2, 3), "F"))
    add_document(
        admin_session, p.id, "lab", date(2024, 1, 5),
        [PageInput(page_png("lab 1")), PageInput(page_png("lab 2"))],
    )  # fmt: skip
    add_document(
        admin_session, p.id, "consult", date(2024, 2, 5),
        [PageInput(page_jpeg("consult"), "image/jpeg")],
    )  # fmt: skip
    req = service.create_request(admin_session, p.id, "Dr Print", "care", requester_type="provider")
    out = tmp_path / "packet.pdf"
    with open(out, "wb") as fh:
        result = service.build_packet(admin_session, req.id, fh)
    assert result.pages == result.front_pages + 3
    assert_qpdf_check(out)
    return out, result.pages


def test_render_onto_pdf_printer(qapp, packet: tuple[Path, int], tmp_path: Path) -> None:
    path, pages = packet
    printer = QPrinter(QPrinter.HighResolution)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    printer.setResolution(150)  # keeps the rasterised pages small and the test quick
    assert render_pdf_to_printer(path, printer) == pages
    assert_qpdf_check(tmp_path / "printed.pdf")
    reader = pypdf.PdfReader(tmp_path / "printed.pdf")
    assert len(reader.pages) == pages
    # Every page was painted (a blank page would be a tiny content stream with no image).
    for page in reader.pages:
        assert page["/Resources"].get("/XObject"), "a printed page has no image on it"


# --- a real CUPS queue -----------------------------------------------------------------


def _cups_queue_reason() -> str | None:
    """Why the CUPS test cannot run here, or None when it can."""
    if shutil.which("lpstat") is None:
        return "CUPS is not installed (no lpstat); the CI set-up script installs it"
    done = subprocess.run(
        ["lpstat", "-p", CUPS_QUEUE], capture_output=True, text=True, timeout=10, check=False
    )
    if done.returncode != 0:
        return f"no CUPS queue named {CUPS_QUEUE} (or cupsd is not running)"
    if CUPS_QUEUE not in QPrinterInfo.availablePrinterNames():
        return f"Qt's CUPS backend does not list {CUPS_QUEUE}"
    if not CUPS_PDF_CONF.is_file():
        return "cups-pdf is not installed (no /etc/cups/cups-pdf.conf)"
    return None


def _cups_pdf_out_dir() -> Path:
    """cups-pdf's output folder for this user, from its configuration (default ~/PDF)."""
    out = "${HOME}/PDF"
    for line in CUPS_PDF_CONF.read_text().splitlines():
        m = re.match(r"^\s*Out\s+(\S+)\s*$", line)
        if m:
            out = m.group(1)
    user = pwd.getpwuid(os.getuid())
    return Path(out.replace("${HOME}", user.pw_dir).replace("${USER}", user.pw_name))


def test_print_through_cups_queue(qapp, packet: tuple[Path, int]) -> None:
    reason = _cups_queue_reason()
    if reason is not None:
        pytest.skip(reason)
    path, pages = packet
    title = f"clinicrecords-cups-test-{uuid.uuid4().hex[:10]}"
    printer = QPrinter(QPrinter.HighResolution)
    printer.setPrinterName(CUPS_QUEUE)
    assert printer.isValid() and printer.outputFormat() == QPrinter.NativeFormat
    printer.setDocName(title)
    printer.setResolution(150)
    assert render_pdf_to_printer(path, printer) == pages  # painter.end() submits the job

    out_dir = _cups_pdf_out_dir()
    deadline = time.monotonic() + 90
    found: list[Path] = []
    while time.monotonic() < deadline:
        found = sorted(out_dir.glob(f"{title}*.pdf")) if out_dir.is_dir() else []
        if found:
            size = found[0].stat().st_size
            time.sleep(0.5)  # cups-pdf writes then renames; make sure it has stopped growing
            if size and found[0].stat().st_size == size:
                break
        time.sleep(0.5)
    assert found, f"cups-pdf wrote nothing for the job into {out_dir} within 90 s"
    try:
        assert len(pypdf.PdfReader(found[0]).pages) == pages
    finally:
        for f in found:
            f.unlink(missing_ok=True)
