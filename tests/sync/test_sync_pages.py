"""Documents and their pages travel: a page filed at one desk is in the chart on every PC,
its image identical, its text searchable, and the server never sees a name or a page."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from clinicrecords.clinic.store import PAGES_DIR
from clinicrecords.db import documents_sql
from clinicrecords.intake.batches import process_batch
from clinicrecords.intake.filing import file_document
from clinicrecords.intake.importing import import_files
from clinicrecords.intake.review import batch_pages
from clinicrecords.records.documents import (
    PageInput,
    add_document,
    document_pages,
    list_documents,
    read_page,
)
from clinicrecords.registry.merge import merge_charts
from clinicrecords.registry.patients import patient_by_mrn
from tests.conftest import USERS
from tests.helpers import noise_page
from tests.scanfixtures import scanned_page
from tests.sync.test_sync_cli import _kill_when, _server_count, _spawn_sync
from tests.sync.test_sync_network import _assert_healthy
from tests.sync.workstations import Workstation

CANARY_WORD = "Xylophagous"


def _docs(ws, mrn: str) -> list[tuple]:
    """(type, date, author, [sha256 of each page]) of every document in the chart."""
    pid = patient_by_mrn(ws.session, mrn).id
    out = []
    for d in list_documents(ws.session, pid):
        shas = [p.sha256 for p in document_pages(ws.session, d.id)]
        out.append((d.doc_type, d.doc_date, d.author, shas))
    return sorted(out, key=repr)


def _server_pages(pg) -> int:
    with pg.cluster.admin_connect(pg.name) as conn:
        return conn.execute("SELECT count(*) FROM pages").fetchone()[0]


@pytest.mark.slow
def test_a_filed_page_reaches_the_other_pc_identical_searchable_and_sealed(
    clinic, tmp_path
) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("manager")
    chart = ws1.register("Quixotewright", "Zebulon", "1931-07-29", mrn="ZQX7741CANARY")
    img = scanned_page(["Laboratory report", f"Patient {CANARY_WORD} glucose normal"])
    img.save(tmp_path / "scan.png", dpi=(300, 300))
    report = import_files(ws1.session, [tmp_path / "scan.png"])
    process_batch(ws1.session, report.batch_id)
    (page,) = batch_pages(ws1.session, report.batch_id)
    file_document(ws1.session, [page.id], chart.id, "lab", date(2026, 3, 2), author="Dr. Ames")
    image_on_1 = read_page(ws1.session, page.id)

    assert ws1.sync().pushed >= 1
    assert ws2.sync().pulled >= 1

    assert _docs(ws2, chart.mrn) == _docs(ws1, chart.mrn)
    (doc,) = list_documents(ws2.session, patient_by_mrn(ws2.session, chart.mrn).id)
    (ref,) = document_pages(ws2.session, doc.id)
    conn = ws2.store.db.connection()
    audits_before = conn.execute(
        "SELECT count(*) FROM audit_log WHERE action = 'page.view'"
    ).fetchone()[0]
    image_on_2 = read_page(ws2.session, ref.id)
    assert hashlib.sha256(image_on_2).hexdigest() == hashlib.sha256(image_on_1).hexdigest()
    assert ref.sha256 == hashlib.sha256(image_on_2).hexdigest()
    assert (
        conn.execute("SELECT count(*) FROM audit_log WHERE action = 'page.view'").fetchone()[0]
        == audits_before + 1
    )
    # The chart's text search finds the page on PC 2 without running OCR there.
    hits = documents_sql.search_text(conn, doc.patient_id, CANARY_WORD.lower(), 5)
    assert [h["page_id"] for h in hits] == [ref.id]
    # A second sync brings nothing twice.
    clinic.sync_all()
    assert len(_docs(ws2, chart.mrn)) == 1 and len(_docs(ws1, chart.mrn)) == 1
    for ws in (ws1, ws2):
        _assert_healthy(ws)

    dump = clinic.pg.cluster.pg_dump(clinic.pg.name).lower()
    assert _server_pages(clinic.pg) == 1
    plain_hex = image_on_1[:64].hex()  # the PNG's first bytes, as a bytea column would dump
    for secret in ("Quixotewright", "Zebulon", "ZQX7741CANARY", CANARY_WORD, "Dr. Ames"):
        assert secret.lower() not in dump
        assert secret.encode().hex() not in dump
    assert plain_hex not in dump


def test_a_store_attached_with_documents_shares_them_and_a_join_gets_the_pages(clinic) -> None:
    first = Workstation("front-1", clinic.first_dir, USERS["admin"])
    chart = first.register("Hollowell", "Ada", "1970-01-02")
    add_document(first.session, chart.id, "lab", None, [PageInput(noise_page(1))])
    first.close()
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    assert _docs(ws2, chart.mrn) == _docs(ws1, chart.mrn)
    assert len(_docs(ws2, chart.mrn)) == 1
    _assert_healthy(ws2)


def test_offline_filing_on_both_pcs_ends_with_both_documents_on_both(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    chart = ws1.register("Marlowe", "Pip", "1988-08-08")
    clinic.sync_all()
    pid2 = patient_by_mrn(ws2.session, chart.mrn).id
    clinic.pg.cluster.stop()
    try:
        add_document(ws1.session, chart.id, "lab", None, [PageInput(noise_page(11))])
        add_document(
            ws2.session, pid2, "progress_note", date(2026, 1, 3), [PageInput(noise_page(12))]
        )
    finally:
        clinic.pg.cluster.start()
    clinic.sync_all()
    both = _docs(ws1, chart.mrn)
    assert len(both) == 2 and _docs(ws2, chart.mrn) == both
    for ws in (ws1, ws2):
        _assert_healthy(ws)


def test_a_page_filed_into_a_chart_merged_away_here_follows_the_merge(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    a = ws1.register("Tennant", "Rose", "1979-03-03")
    b = ws1.register("Tennant", "Rosie", "1979-03-03")
    clinic.sync_all()
    a2, b2 = (patient_by_mrn(ws2.session, p.mrn).id for p in (a, b))
    merge_charts(
        ws2.session, b2, a2, "same person"
    )  # on PC 2, b survives (merges do not travel yet)
    add_document(ws1.session, a.id, "lab", None, [PageInput(noise_page(21))])
    clinic.sync_all()
    assert len(list_documents(ws2.session, b2)) == 1
    assert list_documents(ws2.session, a2) == []


@pytest.mark.slow
def test_kill_9_during_push_and_pull_with_pages_loses_and_doubles_nothing(clinic) -> None:
    n = 1100  # more than two push batches
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    chart = ws1.register("Okonkwo", "Femi", "1990-02-02")
    clinic.sync_all()
    for i in range(n):
        add_document(ws1.session, chart.id, "lab", None, [PageInput(noise_page(100 + i, 64))])
    base = _server_count(clinic.pg)
    killed = False
    for _ in range(6):
        proc = _spawn_sync(ws1.data_dir)
        if _kill_when(proc, lambda b=base: _server_count(clinic.pg) > b):
            killed = True
            break
        proc.communicate()
        base = _server_count(clinic.pg)
    assert killed, "the push finished before it could be killed"
    assert _server_count(clinic.pg) < base + n + 1  # stopped midway
    ws1.sync()
    assert _server_pages(clinic.pg) == n
    with clinic.pg.cluster.admin_connect(clinic.pg.name) as conn:
        assert (
            conn.execute("SELECT count(DISTINCT id) FROM events").fetchone()[0]
            == (conn.execute("SELECT count(*) FROM events").fetchone()[0])
        )
    # kill -9 on the other PC while it fetches the pages (before it applied their events).
    folder = ws2.data_dir / PAGES_DIR
    before = sum(1 for f in folder.rglob("*") if f.is_file())
    proc = _spawn_sync(ws2.data_dir)
    assert _kill_when(proc, lambda: sum(1 for f in folder.rglob("*") if f.is_file()) > before)
    clinic.sync_all()
    docs1, docs2 = _docs(ws1, chart.mrn), _docs(ws2, chart.mrn)
    assert len(docs1) == n and docs2 == docs1
    _assert_healthy(ws2)
