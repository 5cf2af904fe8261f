"""Retention and amendments across the clinic network: a hold placed at one desk stops
disposal on another PC, a document destroyed on one PC loses its page bytes and words on every
replica, and an amendment request with its denial and statement reaches the other PCs."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.admin.backup import verify_store
from clinicrecords.common.errors import BadInput
from clinicrecords.db import documents_sql
from clinicrecords.records import amendments, retention
from clinicrecords.records.charts import open_chart, search_chart_text
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import patient_by_mrn
from tests.helpers import png_page

ON = date(2026, 6, 1)


@pytest.mark.slow
def test_hold_disposal_and_amendments_reach_every_pc(clinic, tmp_path) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("manager")
    chart = ws1.register("Holloway", "Ida", "1950-01-01")
    doc = add_document(
        ws1.session, chart.id, "lab", date(2010, 1, 5),
        [PageInput(png_page("old"), ocr_text="quetzalcoatl potassium")],
    )  # fmt: skip
    # not pushed yet: disposal would remove page files the push still has to upload
    unsent = retention.due(ws1.session, ON)
    assert unsent.documents == () and unsent.unshared == 1
    retention.place_hold(ws1.session, chart.id, "Doe v. Clinic")
    clinic.sync_all()

    pid2 = patient_by_mrn(ws2.session, chart.mrn).id
    assert retention.due(ws2.session, ON).held == 1  # the hold from the front desk counts here
    with pytest.raises(BadInput):
        retention.dispose(ws2.session, tmp_path / "c0.pdf", ON)
    retention.release_hold(ws1.session, chart.id, "settled")
    clinic.sync_all()
    a = amendments.request_amendment(ws2.session, pid2, "wrong potassium", None)
    amendments.decide(ws2.session, a.id, "deny", "accurate")
    amendments.file_disagreement(ws2.session, a.id, "I disagree")
    result = retention.dispose(ws2.session, tmp_path / "c.pdf", ON)
    assert len(result.documents) == 1
    clinic.sync_all()

    # on the PC that filed it, the document is destroyed too: no bytes, no words, a tombstone
    view = open_chart(ws1.session, chart.id)
    (destroyed,) = view.documents
    assert destroyed.id == doc and destroyed.pages == () and "Destroyed on" in destroyed.destroyed
    assert search_chart_text(ws1.session, chart.id, "quetzalcoatl") == []
    conn = ws1.store.db.connection()
    assert documents_sql.all_page_blobs(conn) == []
    assert list(ws1.store.pages.iter_blob_ids()) == []
    assert verify_store(ws1.store).ok
    (seen,) = amendments.list_amendments(ws1.session, chart.id)
    assert seen.status == "denied" and seen.disagreement == "I disagree"
