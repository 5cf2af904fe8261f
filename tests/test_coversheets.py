"""Barcode cover sheets printed for a chart are read back by the scan pipeline."""

from __future__ import annotations

import json
from datetime import date

import pypdfium2 as pdfium
import pytest

from clinicrecords.common.errors import BadInput
from clinicrecords.records.coversheets import cover_sheets_pdf
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.scan.barcodes import read_cover_sheet
from tests.helpers import assert_qpdf_check
from tests.test_cli import run


def test_cover_sheets_carry_the_chart_and_type_and_are_audited(admin_session) -> None:
    p = register_patient(
        admin_session, PatientInput(family="Sheet", given="Cora", dob=date(1971, 2, 3))
    )
    data = cover_sheets_pdf(admin_session, p.id, ["lab", "imaging"])
    assert_qpdf_check(data)
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 2
    codes = [
        read_cover_sheet(pdf[i].render(scale=200 / 72).to_pil().convert("L")) for i in range(2)
    ]
    assert [(c.mrn, c.doc_type) for c in codes] == [(p.mrn, "lab"), (p.mrn, "imaging")]
    text = pdf[0].get_textpage().get_text_range()
    assert "SHEET" in text.upper() and "not part of the record" in text
    row = (
        admin_session.db.connection()
        .execute("SELECT detail FROM audit_log WHERE action = 'coversheet.print'")
        .fetchone()
    )
    assert json.loads(row[0])["doc_types"] == ["lab", "imaging"]
    with pytest.raises(BadInput, match="Unknown document type"):
        cover_sheets_pdf(admin_session, p.id, ["no_such_type"])


def test_coversheet_command(store_dir, cli_env, tmp_path, admin_session) -> None:
    p = register_patient(
        admin_session, PatientInput(family="Sheet", given="Cli", dob=date(1980, 1, 1))
    )
    out = tmp_path / "sheets.pdf"
    r = run(
        [
            "--data-dir",
            str(store_dir),
            "coversheet",
            p.mrn,
            "--type",
            "lab",
            "--out",
            str(out),
            "--json",
        ],
        cli_env,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sheets"] == 1 and len(pdfium.PdfDocument(str(out))) == 1
    assert_qpdf_check(out)
