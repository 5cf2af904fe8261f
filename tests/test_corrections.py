"""Documents after filing: move (and whom a misfile already reached), edit with old values
kept, void (out of the chart and of release selection, kept), an administrator's undo, the
privacy officer's list and letter."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pypdf
import pytest

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import AccessDenied, BadInput
from clinicrecords.records import corrections as corr
from clinicrecords.records.charts import open_chart, search_chart_text
from clinicrecords.records.disclosure_letter import write_letter
from clinicrecords.records.documents import PageInput, add_document, document_pages, read_page
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import service as release
from tests.helpers import noise_page, png_page


def _audits(session: Session, action: str) -> list[str]:
    conn = session.db.connection()
    return [r[0] for r in conn.execute("SELECT detail FROM audit_log WHERE action = ?", (action,))]


def _chart_docs(session: Session, patient_id: int) -> list[int]:
    return [d.id for d in open_chart(session, patient_id).documents]


@pytest.fixture
def charts(admin_session: Session) -> dict:
    a = register_patient(admin_session, PatientInput("Nguyễn", "Thị Ánh", date(1980, 3, 4), "F"))
    b = register_patient(admin_session, PatientInput("Wrongchart", "Bea", date(1975, 5, 6), "F"))
    lab = add_document(
        admin_session, a.id, "lab", date(2025, 1, 10),
        [PageInput(noise_page(1)), PageInput(noise_page(2)), PageInput(noise_page(3))],
        author="Dr. Ames",
    )  # fmt: skip
    note = add_document(admin_session, a.id, "progress_note", date(2025, 2, 1),
                        [PageInput(png_page("note"), ocr_text="zebracorn note")])  # fmt: skip
    return {"a": a, "b": b, "lab": lab, "note": note}


def _send_release(session: Session, patient_id: int, requester: str = "Dr Who") -> str:
    req = release.create_request(
        session, patient_id, requester, "care", requester_type="provider", requester_org="Clinic X"
    )
    release.send_request(session, req.id)
    return req.code


def test_a_misfile_moved_after_release_names_the_release_and_lands_on_the_privacy_list(
    admin_session: Session, session_for: Callable[[str], Session], charts: dict, tmp_path: Path
) -> None:
    a, b = charts["a"], charts["b"]
    code = _send_release(admin_session, a.id)
    clerk = session_for("clerk")
    result = corr.move_document(clerk, charts["lab"], b.id, "belongs to Bea, same surname row")
    assert result.document_id == charts["lab"] and not result.partial and result.pages == 3
    (hit,) = result.releases
    assert hit.request_id == code and hit.requester == "Dr Who, Clinic X"
    assert hit.date == date.today().isoformat() and hit.pages == 3
    assert charts["lab"] not in _chart_docs(admin_session, a.id)
    assert charts["lab"] in _chart_docs(admin_session, b.id)
    # The note that was not moved is not the privacy officer's concern.
    (entry,) = corr.disclosure_reviews(admin_session)
    assert (entry.request_id, entry.from_mrn, entry.to_mrn) == (code, a.mrn, b.mrn)
    assert entry.reason == "belongs to Bea, same surname row" and entry.moved_by
    with pytest.raises(AccessDenied):
        corr.disclosure_reviews(clerk)
    (moved,) = _audits(admin_session, "document.move")
    assert json.loads(moved)["releases"] == [code]
    # The letter names the requester as written and the request; not the patient.
    out = tmp_path / "letter.pdf"
    write_letter(admin_session, entry.id, out)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(out).pages)
    assert code in text and "Dr Who" in text and "3 of the pages" in text
    assert "Nguyễn" not in text and a.mrn not in text
    corr.assess_disclosure(admin_session, entry.id, "low probability of compromise; returned")
    assert corr.disclosure_reviews(admin_session) == []
    assert corr.disclosure_reviews(admin_session, include_assessed=True)[0].status == "assessed"


def test_a_move_before_any_release_lists_none_and_open_requests_lose_the_pages(
    admin_session: Session, charts: dict
) -> None:
    a, b = charts["a"], charts["b"]
    req = release.create_request(admin_session, a.id, "Dr Who", "care", requester_type="provider")
    before = {s.document_id for s in release.get_selection(admin_session, req.id)}
    assert charts["lab"] in before
    result = corr.move_document(admin_session, charts["lab"], b.id, "wrong chart")
    assert result.releases == ()
    after = {s.document_id for s in release.get_selection(admin_session, req.id)}
    assert after == before - {charts["lab"]}
    assert corr.disclosure_reviews(admin_session) == []


def test_moving_some_pages_makes_a_new_document_and_an_admin_undo_puts_them_back(
    admin_session: Session, session_for: Callable[[str], Session], charts: dict
) -> None:
    b = charts["b"]
    clerk = session_for("clerk")
    order = [p.sha256 for p in document_pages(admin_session, charts["lab"])]
    result = corr.move_document(clerk, charts["lab"], b.id, "pages 2-3 are Bea's", pages=[2, 3])
    assert result.partial and result.document_id != charts["lab"]
    assert [p.sha256 for p in document_pages(admin_session, charts["lab"])] == order[:1]
    moved = document_pages(admin_session, result.document_id)
    assert [p.sha256 for p in moved] == order[1:]
    # The page bytes moved with their row: the image read from the new chart is the same.
    assert hashlib.sha256(read_page(admin_session, moved[0].id)).hexdigest() == order[1]
    (doc_b,) = open_chart(admin_session, b.id).documents
    assert (doc_b.document.doc_type, doc_b.document.author) == ("lab", "Dr. Ames")
    with pytest.raises(AccessDenied):
        corr.undo_move(clerk, result.correction_id)
    corr.undo_move(admin_session, result.correction_id, "the split was a mistake")
    assert [p.sha256 for p in document_pages(admin_session, charts["lab"])] == order
    assert _chart_docs(admin_session, b.id) == []
    with pytest.raises(BadInput):
        corr.undo_move(admin_session, result.correction_id)
    assert _audits(admin_session, "document.unmove")


def test_edit_keeps_the_old_values_for_an_administrator(
    admin_session: Session, session_for: Callable[[str], Session], charts: dict
) -> None:
    clerk = session_for("clerk")
    changed = corr.edit_document(
        clerk, charts["lab"], doc_type="imaging", doc_date=date(2025, 1, 11), author="Dr. Ames",
        facility="North Lab", reason="typo at indexing",
    )  # fmt: skip
    assert changed == {
        "doc_type": ("lab", "imaging"),
        "doc_date": ("2025-01-10", "2025-01-11"),
        "facility": ("", "North Lab"),
    }
    (doc,) = [d for d in open_chart(admin_session, charts["a"].id).documents
              if d.id == charts["lab"]]  # fmt: skip
    assert (doc.document.doc_type, doc.document.doc_date) == ("imaging", date(2025, 1, 11))
    with pytest.raises(AccessDenied):
        corr.document_history(clerk, charts["lab"])
    (h,) = corr.document_history(admin_session, charts["lab"])
    assert h.action == "edit" and h.reason == "typo at indexing"
    assert h.detail["old"] == {"doc_type": "lab", "doc_date": "2025-01-10", "facility": ""}
    with pytest.raises(BadInput):
        corr.edit_document(clerk, charts["lab"], doc_type="no_such_type")


def test_void_hides_from_chart_search_and_release_and_an_admin_can_undo_it(
    admin_session: Session, session_for: Callable[[str], Session], charts: dict
) -> None:
    a = charts["a"]
    clerk = session_for("clerk")
    with pytest.raises(BadInput):
        corr.void_document(clerk, charts["note"], "")  # a reason is required
    open_req = release.create_request(
        admin_session, a.id, "Dr Who", "care", requester_type="provider"
    )
    assert [h.document_id for h in search_chart_text(clerk, a.id, "zebracorn")] == [charts["note"]]
    corr.void_document(clerk, charts["note"], "duplicate scan")
    assert charts["note"] not in _chart_docs(clerk, a.id)
    assert search_chart_text(clerk, a.id, "zebracorn") == []
    with pytest.raises(BadInput, match="voided"):  # nor can it serve as the authorization
        release.record_authorization(
            admin_session, open_req.id, release.AuthorizationInput(document_id=charts["note"])
        )
    assert charts["note"] not in {
        s.document_id for s in release.get_selection(admin_session, open_req.id)
    }
    fresh = release.create_request(admin_session, a.id, "Dr Who", "care", requester_type="provider")
    assert charts["note"] not in {
        s.document_id for s in release.get_selection(admin_session, fresh.id)
    }
    # Kept, not deleted: the administrator sees it, and its pages are still in the store.
    (v,) = corr.voided_documents(admin_session, a.id)
    assert v["id"] == charts["note"] and v["void_reason"] == "duplicate scan"
    with pytest.raises(BadInput):
        corr.move_document(clerk, charts["note"], charts["b"].id, "wrong chart")
    with pytest.raises(AccessDenied):
        corr.unvoid_document(clerk, charts["note"])
    corr.unvoid_document(admin_session, charts["note"], "not a duplicate after all")
    assert charts["note"] in _chart_docs(clerk, a.id)
    assert [c.action for c in corr.document_history(admin_session, charts["note"])] == [
        "void", "unvoid",
    ]  # fmt: skip


def test_page_list_parsing() -> None:
    assert corr.parse_page_list("1-3,5") == [1, 2, 3, 5]
    for bad in ("0", "3-1", "a", ""):
        with pytest.raises(BadInput):
            corr.parse_page_list(bad)


def test_undo_filing_is_for_the_filer_and_puts_the_pages_back_in_the_batch(
    admin_session: Session, session_for: Callable[[str], Session], charts: dict
) -> None:
    from clinicrecords.db import ingest_sql

    clerk = session_for("clerk")
    with admin_session.db.write() as conn:
        batch = ingest_sql.create_batch(conn, "import", "", admin_session.user.id)
    doc = add_document(clerk, charts["a"].id, "lab", None,
                       [PageInput(noise_page(7)), PageInput(noise_page(8))], batch_id=batch)  # fmt: skip
    with pytest.raises(AccessDenied):
        corr.undo_filing(session_for("release"), doc)  # not the filer, not an administrator
    assert _audits(admin_session, "access.denied")  # the refusal is on the record
    pages = corr.undo_filing(clerk, doc)
    assert len(pages) == 2 and doc not in _chart_docs(clerk, charts["a"].id)
    conn = admin_session.db.connection()
    rows = conn.execute(
        "SELECT document_id, status, batch_id FROM pages WHERE id IN (?, ?)", tuple(pages)
    ).fetchall()
    assert [tuple(r) for r in rows] == [(None, "ready", batch)] * 2
    (h,) = corr.document_history(admin_session, doc)
    assert h.action == "unfile" and h.detail["pages"] == pages
    with pytest.raises(BadInput):
        corr.undo_filing(clerk, doc)  # once
    # A filing whose pages already went out cannot be taken back quietly.
    sent = add_document(clerk, charts["a"].id, "lab", None, [PageInput(noise_page(9))],
                        batch_id=batch)  # fmt: skip
    _send_release(admin_session, charts["a"].id)
    with pytest.raises(BadInput):
        corr.undo_filing(clerk, sent)
