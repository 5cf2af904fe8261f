"""The clinic's date labels, learned from the dates its clerks file (issue 10)."""

from __future__ import annotations

import io
from datetime import date

import pytest

from clinicrecords.db import settings_sql
from clinicrecords.intake.batches import process_batch
from clinicrecords.intake.date_labels import DATE_LABELS_KEY, weights_from_state
from clinicrecords.intake.filing import file_document
from clinicrecords.intake.importing import import_files
from clinicrecords.intake.pipeline import PagePipeline
from clinicrecords.intake.review import batch_pages
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.scan.suggest import ocr_result_from_text
from tests.scanfixtures import page_pdf, rasterise

QUINCY = PatientInput(
    family="Albermarle", given="Quincy", dob=date(1967, 3, 14), sex="M", mrn="00012344"
)


def lab_lines(collected: str, reported: str) -> list[str]:
    return [
        "Northgate Clinical Laboratory",
        "LABORATORY REPORT",
        "Patient: Quincy Albermarle   DOB: 03/14/1967",
        f"Collected: {collected}",
        f"Reported: {reported}",
        "Glucose 98 mg/dL",
    ]


def test_weights_move_toward_the_labels_clerks_choose() -> None:
    state = '{"version": 1, "kept": {"collected": 2}, "chosen": {"reported": 6}, "passed": {"collected": 6}}'
    w = weights_from_state(state)
    assert w["reported"] > 0.1 and w["collected"] < -0.1
    assert max(abs(v) for v in w.values()) <= 0.25
    assert weights_from_state("") == {} and weights_from_state("not json") == {}


@pytest.mark.slow
def test_a_clinic_that_files_labs_by_report_date_teaches_the_ranking(admin_session, tmp_path):
    register_patient(admin_session, QUINCY)
    pages = [
        ("03/01/2024", "03/04/2024"),
        ("04/02/2024", "04/05/2024"),
        ("05/06/2024", "05/09/2024"),
    ]
    paths = []
    for i, (c, r) in enumerate(pages):
        img = rasterise(page_pdf(lab_lines(c, r)), dpi=150)
        buf = io.BytesIO()
        img.save(buf, "PNG", dpi=(150, 150))
        paths.append(tmp_path / f"lab{i}.png")
        paths[-1].write_bytes(buf.getvalue())
    report = import_files(admin_session, paths)
    process_batch(admin_session, report.batch_id)
    fresh = ocr_result_from_text("\n".join(lab_lines("06/03/2024", "06/07/2024")))
    before = PagePipeline(admin_session).suggest_from(fresh)
    assert before.doc_date[0].value == "2024-06-03"  # the default: collection date first
    assert before.doc_date[0].evidence[0].text.startswith("collected")

    for page, (_, reported) in zip(batch_pages(admin_session, report.batch_id), pages, strict=True):
        m, d, y = (int(x) for x in reported.split("/"))
        filed = date(y, m, d)
        assert page.suggestion.doc_date[0].value != filed.isoformat()  # the clerk overrides
        top = page.suggestion.confident_patient
        file_document(admin_session, [page.id], top.patient_id, "lab", filed)

    conn = admin_session.db.connection()
    state = settings_sql.get(conn, DATE_LABELS_KEY)
    assert '"reported": 3' in state and '"collected": 3' in state
    after = PagePipeline(admin_session).suggest_from(fresh)
    assert after.doc_date[0].value == "2024-06-07"  # this clinic's way: the report date
