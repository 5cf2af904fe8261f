"""Names as written in every PDF we make (issue 11, part 4).

A release packet printed "Nguyễn" as "Nguyen" and Cyrillic names as "?": the standard PDF
fonts know only WinAnsi. Every writer now draws through ``common/pdftext.py`` (embedded
DejaVu Sans, Droid Sans Fallback for CJK and Hangul, chosen per run). Each PDF is read back
with pypdf for the exact strings, checked with qpdf, and its fonts must all be embedded
TrueType (``/FontFile2``): no standard font is left anywhere.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from clinicrecords.admin.recovery_sheet import recovery_sheet_pdf
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import set_setting
from clinicrecords.common import pdftext
from clinicrecords.records.coversheets import cover_sheets_pdf
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import accounting, service
from clinicrecords.release.letters import LetterLine
from clinicrecords.release.packet import (
    IndexEntry,
    Letterhead,
    PacketPage,
    PacketSpec,
    write_packet,
)
from tests.helpers import assert_qpdf_check
from tests.test_release_service import page_png

# (family, given): Vietnamese, Polish, Irish, Russian, Greek, Chinese, Japanese, Korean.
NAMES = [
    ("Nguyễn", "Thị Ánh"),
    ("Wróbel-Żółć", "Łukasz"),
    ("Ó Dálaigh", "Seán"),
    ("Кузнецова", "Анна"),
    ("Παπαδοπούλου", "Ελένη"),
    ("张", "伟"),
    ("山田", "太郎"),
    ("김", "민준"),
]
CLINIC = "Phòng khám Ánh Dương · Клиника · 山田診療所"
REQUESTER = "Dr Zhang 张伟"
ORG = "Szpital św. Łukasza"
REQUESTER_ADDRESS = "ул. Ленина 5\nΑθήνα 105 57"
TITLE = "Выписка · 퇴원 요약"


def pdf_text(source: Path | bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(source) if isinstance(source, bytes) else source)
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def embedded_fonts(source: Path | bytes) -> set[str]:
    """Base names of every font on every page; fails on a font that is not embedded
    TrueType (a standard Type 1 font like Helvetica has no /FontFile2)."""
    reader = pypdf.PdfReader(io.BytesIO(source) if isinstance(source, bytes) else source)
    names: set[str] = set()

    def visit(resources) -> None:  # noqa: ANN001
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            base = str(font["/BaseFont"])
            assert font["/Subtype"] == "/TrueType", base
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), base
            assert "/ToUnicode" in font, base
            names.add(base.split("+", 1)[-1])
        for xobj in (resources.get("/XObject") or {}).values():
            xobj = xobj.get_object()
            if xobj.get("/Subtype") == "/Form":
                visit(xobj.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return names


def register_all(admin: Session) -> list:
    patients = []
    for family, given in NAMES:
        p = register_patient(admin, PatientInput(family, given, date(1961, 7, 14), "F"))
        assert family.upper() in p.display_name and given in p.display_name
        patients.append(p)
    return patients


def test_runs_pick_the_font_that_has_the_glyphs() -> None:
    assert pdftext.runs("Zhang 张伟") == (
        (pdftext.SANS, "Zhang "),
        (pdftext.FALLBACK, "张伟"),
    )
    assert pdftext.runs("김민준", bold=True) == ((pdftext.FALLBACK, "김민준"),)
    for family, given in NAMES[:5]:  # Latin, Greek, Cyrillic: all DejaVu
        assert pdftext.runs(f"{family}, {given}") == ((pdftext.SANS, f"{family}, {given}"),)
    for family, given in NAMES:
        assert pdftext.missing_glyphs(family + given) == ""
        assert pdftext.missing_glyphs(family + given, bold=True) == ""
    # Widths are measured with each run's own font (DejaVu alone would give its box width).
    from reportlab.pdfbase.pdfmetrics import stringWidth

    mixed = pdftext.string_width("Zhang 张伟", 10)
    parts = stringWidth("Zhang ", pdftext.SANS, 10) + stringWidth("张伟", pdftext.FALLBACK, 10)
    assert mixed == pytest.approx(parts)
    assert mixed != pytest.approx(stringWidth("Zhang 张伟", pdftext.SANS, 10))


def test_wrap_keeps_every_character_and_fits() -> None:
    text = "山田太郎" * 30 + " Nguyễn Thị Ánh " + "Кузнецова " * 8
    lines = pdftext.wrap(text, 10, 120)
    assert len(lines) > 3
    assert all(pdftext.string_width(line, 10) <= 120 for line in lines)
    # Nothing lost but the spaces it broke at.
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    # A name stored with combining accents prints composed, and reads back composed.
    assert pdftext.runs("Nguye\u0302\u0303n") == ((pdftext.SANS, "Nguyễn"),)


def test_packet_cover_letter_index_and_stamps_print_names_as_written(
    admin_session: Session, tmp_path: Path
) -> None:
    set_setting(admin_session, "clinic.name", CLINIC)
    out_dir = tmp_path / "packets"
    out_dir.mkdir()
    for p in register_all(admin_session):
        add_document(
            admin_session, p.id, "discharge", date(2024, 5, 1),
            [PageInput(page_png("discharge"))], title=TITLE,
        )  # fmt: skip
        req = service.create_request(
            admin_session, p.id, REQUESTER, "continuing care", requester_type="provider",
            requester_org=ORG, requester_address=REQUESTER_ADDRESS, watermark=p.display_name,
        )  # fmt: skip
        out = out_dir / f"{p.id}.pdf"
        with open(out, "wb") as fh:
            result = service.build_packet(admin_session, req.id, fh)
        assert_qpdf_check(out)
        reader = pypdf.PdfReader(out)
        letter = " ".join(reader.pages[0].extract_text().split())
        for value in (CLINIC, p.display_name, REQUESTER, ORG, *REQUESTER_ADDRESS.split("\n")):
            assert value in letter, value
        index = " ".join(reader.pages[result.front_pages - 1].extract_text().split())
        assert TITLE in index
        for page in reader.pages:  # the watermark (the recipient copy's name) on every page
            assert p.display_name in " ".join(page.extract_text().split())
        fonts = embedded_fonts(out)
        assert {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"} <= fonts, fonts

        service.send_request(admin_session, req.id)
        report = accounting.accounting(admin_session, p.id, include_all=True)
        acct = out_dir / f"{p.id}-accounting.pdf"
        accounting.write_accounting_pdf(report, acct, CLINIC)
        assert_qpdf_check(acct)
        text = pdf_text(acct)
        for value in (CLINIC, p.display_name, REQUESTER, ORG, *REQUESTER_ADDRESS.split("\n")):
            assert value in text, value
        assert {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"} <= embedded_fonts(acct)

        sheets = cover_sheets_pdf(admin_session, p.id, ["discharge", "lab"])
        assert_qpdf_check(sheets)
        assert pdf_text(sheets).count(p.display_name) == 2
        assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_fonts(sheets)


def test_recovery_sheet_prints_the_clinic_name_as_written() -> None:
    pdf = recovery_sheet_pdf(CLINIC, "store-1", "0123-4567-89AB-CDEF-GHJK-MNPQ-RSTV")
    assert_qpdf_check(pdf)
    text = pdf_text(pdf)
    assert f"Clinic: {CLINIC}" in text
    assert "0123 4567 89AB CDEF GHJK MNPQ" in text
    assert embedded_fonts(pdf) == {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"}


def _packet(tmp_path: Path, spec: PacketSpec) -> Path:
    im = Image.new("1", (300, 400), 1)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    out = tmp_path / "p.pdf"
    with open(out, "wb") as fh:
        write_packet(fh, spec, [PacketPage(load=buf.getvalue, dpi=100)])
    assert_qpdf_check(out)
    return out


def test_long_values_wrap_or_shrink_and_no_character_is_dropped(tmp_path: Path) -> None:
    """A long index label wraps (it used to end in "..."), a long watermark shrinks, a long
    name on a cover sheet shrinks (it used to be cut at 48 characters), and a character no
    shipped font has (outside the Basic Multilingual Plane, too) still reads back from the
    PDF (it prints as a box)."""
    from clinicrecords.scan.barcodes import CoverSheet, cover_sheet_pdf_bytes

    label = "Discharge summary from Bệnh viện Chợ Rẫy, Thành phố Hồ Chí Minh, 山田太郎 " * 2
    watermark = "Copy for Ms Nguyễn Thị Ánh, Wróbel-Żółć & Partners, Kraków, 김민준"
    emoji = "Ann 𠀀 Lee"  # a CJK Extension B character: no shipped font has it
    assert pdftext.missing_glyphs(emoji) == "𠀀"
    spec = PacketSpec(
        "R00009", Letterhead("Clinic"), [LetterLine(emoji)],
        [IndexEntry(label.strip(), "2024-01-01", 1)], watermark=watermark,
    )  # fmt: skip
    reader = pypdf.PdfReader(_packet(tmp_path, spec))
    assert emoji in " ".join(reader.pages[0].extract_text().split())
    index = " ".join(reader.pages[1].extract_text().split())
    assert "..." not in index
    at = 0  # every word of the label, in order (its wrapped lines share rows with other cells)
    for word in label.split():
        at = index.index(word, at) + len(word)
    assert "R00009-0003 to R00009-0003" in index
    for page in reader.pages:
        assert watermark in " ".join(page.extract_text().split())

    long_name = "WRÓBEL-ŻÓŁĆ-KOWALSKA-NOWAK, Łukasz Bartłomiej Grzegorz   DOB 03/14/1967"
    sheets = cover_sheet_pdf_bytes([CoverSheet("M1", long_name, "lab", "Laboratory result")])
    assert_qpdf_check(sheets)
    assert long_name.replace("   ", " ") in " ".join(pdf_text(sheets).split())


def test_many_glyphs_need_several_subsets(tmp_path: Path) -> None:
    """More than 256 distinct characters of one font: the writer opens another subset (a
    one-byte code holds 256), and every character still reads back in order."""
    hanzi = "".join(chr(0x4E00 + i * 7) for i in range(600))
    lines = [LetterLine(hanzi[i : i + 30]) for i in range(0, len(hanzi), 30)]
    out = _packet(tmp_path, PacketSpec("R00010", Letterhead("Clinic"), lines, []))
    text = "".join(pypdf.PdfReader(out).pages[0].extract_text().split())
    assert hanzi in text
    fonts = pypdf.PdfReader(out).pages[0]["/Resources"]["/Font"]
    assert sum("DroidSansFallback" in str(f.get_object()["/BaseFont"]) for f in fonts.values()) >= 3


def test_no_pdf_writer_names_a_standard_font() -> None:
    """A tripwire for the next PDF writer (a certificate, a letter): a standard font or a
    ReportLab canvas/platypus module used without ``pdftext`` is found here by its source."""
    import re

    root = Path(pdftext.__file__).resolve().parents[1]
    standard = re.compile(r"""["'](Helvetica|Courier|Times-|Symbol|ZapfDingbats)""")
    writer = re.compile(r"reportlab\.(pdfgen|platypus)|reportlab\.lib\.utils import simpleSplit")
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("synthetic/") or rel == "common/pdftext.py":
            continue  # synthetic/ renders test scans, which are pictures of paper, not our PDFs
        source = path.read_text(encoding="utf-8")
        if standard.search(source):
            offenders.append(f"{rel}: a standard PDF font")
        if writer.search(source) and "pdftext" not in source:
            offenders.append(f"{rel}: draws PDF text without common/pdftext")
    assert offenders == []


def test_a_long_index_runs_over_pages_with_bates_ranges_that_add_up(tmp_path: Path) -> None:
    """Rows of one, two or three lines (wrapped labels) fill several index pages; the Bates
    ranges still start after the last index page and end at the last page."""
    entries = [
        IndexEntry(f"Consult {i} " + "Wróbel-Żółć 山田太郎 " * (i % 3) * 3, "2024-01-01", 1)
        for i in range(90)
    ]
    spec = PacketSpec("R00012", Letterhead("Clinic"), [LetterLine("Dear requester,")], entries)
    im = Image.new("1", (30, 40), 1)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    out = tmp_path / "p.pdf"
    with open(out, "wb") as fh:
        result = write_packet(fh, spec, [PacketPage(load=buf.getvalue, dpi=100)] * 90)
    assert_qpdf_check(out)
    assert result.front_pages >= 4  # the letter, then three or more index pages
    reader = pypdf.PdfReader(out)
    index = " ".join(
        " ".join(reader.pages[i].extract_text().split()) for i in range(1, result.front_pages)
    )
    first = result.front_pages + 1
    for i in range(90):
        n = first + i
        assert f"R00012-{n:04d} to R00012-{n:04d}" in index
    assert result.last_bates == f"R00012-{first + 89:04d}"


def test_certificates_and_letters_embed_every_font_they_name() -> None:
    """The flowing documents (certificate of destruction, amendment letters) go through
    common/pdfdoc: names as written, and no page names a font it does not embed."""
    from clinicrecords.records.amendments import letter_pdf
    from clinicrecords.records.certificates import certificate_pdf

    clinic = "Phòng khám Ánh Dương · Клиника · 山田診療所"
    cert = certificate_pdf(7, clinic, "2026-12-01T10:15:00Z", "Łukasz Wróbel-Żółć",
                           "page files deleted", [], None, None)  # fmt: skip
    assert {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"} <= embedded_fonts(cert)
    assert clinic in " ".join(pdf_text(cert).split()) and "Wróbel-Żółć" in pdf_text(cert)
    letter = letter_pdf(
        ["## Your request", "Dear Анна Кузнецова,", "- Seán Ó Dálaigh"],
        {"clinic_name": clinic, "clinic_address": "ул. Ленина 5", "clinic_phone": ""},
    )
    text = " ".join(pdf_text(letter).split())
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded_fonts(letter)
    assert all(s in text for s in (clinic, "Анна Кузнецова", "Seán Ó Dálaigh", "ул. Ленина 5"))
