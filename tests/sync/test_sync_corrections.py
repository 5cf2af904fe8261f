"""Corrections travel: a misfile moved at one desk (whole or some pages), an edit and a void
apply on every PC through the real server; a release sent from another desk still reaches
that desk's privacy-officer list when the pages are moved elsewhere."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.records import corrections as corr
from clinicrecords.records.documents import (
    PageInput,
    add_document,
    document_pages,
    list_documents,
)
from clinicrecords.registry.patients import patient_by_mrn
from clinicrecords.release import service as release
from tests.helpers import noise_page
from tests.sync.test_sync_network import _assert_healthy


def _docs(ws, mrn: str) -> list[tuple]:
    """(type, date, author, [sha256 of each page]) of every document in the chart."""
    pid = patient_by_mrn(ws.session, mrn).id
    out = []
    for d in list_documents(ws.session, pid):
        shas = [p.sha256 for p in document_pages(ws.session, d.id)]
        out.append((d.doc_type, d.doc_date, d.author, shas))
    return sorted(out, key=repr)


@pytest.mark.slow
def test_move_edit_and_void_made_on_one_pc_apply_on_the_other(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    a = ws1.register("Nguyễn", "Ánh", "1980-03-04")
    b = ws1.register("Wrongchart", "Bea", "1975-05-06")
    pages = [PageInput(noise_page(n)) for n in (1, 2, 3)]
    lab = add_document(ws1.session, a.id, "lab", date(2025, 1, 10), pages, author="Dr. Ames")
    note = add_document(ws1.session, a.id, "progress_note", None, [PageInput(noise_page(4))])
    dup = add_document(ws1.session, a.id, "consult", None, [PageInput(noise_page(5))])
    clinic.sync_all()
    # PC 2 sends a release of A's chart: the note goes out to Dr Who.
    a2 = patient_by_mrn(ws2.session, a.mrn).id
    req = release.create_request(ws2.session, a2, "Dr Who", "care", requester_type="provider")
    release.send_request(ws2.session, req.id)

    whole = corr.move_document(ws1.session, note, b.id, "note is Bea's")
    order = [p.sha256 for p in document_pages(ws1.session, lab)]
    split = corr.move_document(ws1.session, lab, b.id, "pages 1, 3 are Bea's", pages=[1, 3])
    corr.edit_document(ws1.session, lab, doc_date=date(2025, 1, 11), reason="typo")
    corr.void_document(ws1.session, dup, "duplicate scan")
    assert whole.releases == ()  # PC 1 never sent anything
    clinic.sync_all()

    for mrn in (a.mrn, b.mrn):
        assert _docs(ws2, mrn) == _docs(ws1, mrn)
    assert len(_docs(ws2, a.mrn)) == 1 and len(_docs(ws2, b.mrn)) == 2
    (left,) = _docs(ws2, a.mrn)
    assert left[:2] == ("lab", date(2025, 1, 11)) and len(left[3]) == 1
    # The release sent from PC 2 included the note and lab pages 2-3: PC 2's privacy
    # officer hears of both moves, with the pages of each that went out.
    entries = corr.disclosure_reviews(ws2.session)
    assert sorted((e.request_id, e.from_mrn, e.to_mrn, e.doc_type, e.pages, e.reason)
                  for e in entries) == [
        (req.code, a.mrn, b.mrn, "lab", 2, "pages 1, 3 are Bea's"),
        (req.code, a.mrn, b.mrn, "progress_note", 1, "note is Bea's"),
    ]  # fmt: skip
    # The old values are readable on PC 2 as well, made by the account that made them.
    lab2 = [d.id for d in list_documents(ws2.session, a2)][0]
    history = corr.document_history(ws2.session, lab2)
    assert [h.action for h in history] == ["move", "edit"]
    assert history[1].detail["old"] == {"doc_date": "2025-01-10"}
    assert history[1].made_by == ws1.session.user.username

    # An administrator's undo of the void on PC 2 brings it back on PC 1.
    dup2 = [c for c in corr.voided_documents(ws2.session, a2)][0]["id"]
    corr.unvoid_document(ws2.session, dup2, "not a duplicate")
    clinic.sync_all()
    assert len(_docs(ws1, a.mrn)) == 2 and _docs(ws1, a.mrn) == _docs(ws2, a.mrn)

    # An administrator's undo of the split on PC 1: the pages are back in the lab on PC 2,
    # in their order, and the release is not listed a second time.
    corr.undo_move(ws1.session, split.correction_id, "split by mistake")
    clinic.sync_all()
    assert _docs(ws2, a.mrn) == _docs(ws1, a.mrn) and _docs(ws2, b.mrn) == _docs(ws1, b.mrn)
    assert [d[3] for d in _docs(ws2, a.mrn) if d[0] == "lab"] == [order]
    assert len(corr.disclosure_reviews(ws2.session)) == 2
    for ws in (ws1, ws2):
        _assert_healthy(ws)


@pytest.mark.slow
def test_an_undone_filing_leaves_the_chart_everywhere_and_files_again_under_new_ids(
    clinic,
) -> None:
    from clinicrecords.db import ingest_sql
    from clinicrecords.intake.filing import file_document

    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    a = ws1.register("Nguyễn", "Ánh", "1980-03-04")
    b = ws1.register("Wrongchart", "Bea", "1975-05-06")
    with ws1.session.db.write() as conn:
        batch = ingest_sql.create_batch(conn, "import", "", ws1.session.user.id)
    pages = [PageInput(noise_page(n)) for n in (11, 12)]
    doc = add_document(ws1.session, a.id, "lab", None, pages, batch_id=batch)
    clinic.sync_all()
    assert len(_docs(ws2, a.mrn)) == 1
    page_ids = corr.undo_filing(ws1.session, doc)  # the slip: these pages were Bea's
    new_doc = file_document(ws1.session, page_ids, b.id, "lab", date(2025, 4, 4))
    clinic.sync_all()
    assert _docs(ws2, a.mrn) == [] == _docs(ws1, a.mrn)
    assert _docs(ws2, b.mrn) == _docs(ws1, b.mrn) and len(_docs(ws2, b.mrn)) == 1
    assert [p.sha256 for p in document_pages(ws1.session, new_doc)] == _docs(ws2, b.mrn)[0][3]
    for ws in (ws1, ws2):
        _assert_healthy(ws)
