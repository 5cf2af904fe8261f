"""Opening a chart: grouping, audit, sensitive pages, thumbnails, OCR text search, CLI."""

from __future__ import annotations

import json
from datetime import date

import pytest
from PIL import Image

from clinicrecords.common.errors import AccessDenied, BadInput, NotFound
from clinicrecords.records import charts
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.helpers import png_page


def _audit(session, action: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in session.db.connection().execute(
            "SELECT object_id, detail FROM audit_log WHERE action = ? ORDER BY id", (action,)
        )
    ]


@pytest.fixture
def chart(admin_session):
    p = register_patient(
        admin_session,
        PatientInput(family="Okonkwo", given="Adaeze", dob=date(1971, 5, 9), phone="555 201 7788"),
    )
    lab1 = add_document(
        admin_session,
        p.id,
        "lab",
        date(2023, 1, 10),
        [PageInput(png_page("lipid panel cholesterol"), ocr_text="Lipid panel cholesterol 212")],
        title="Lipids",
    )
    lab2 = add_document(
        admin_session,
        p.id,
        "lab",
        date(2024, 6, 2),
        [
            PageInput(png_page("cbc"), ocr_text="Complete blood count hemoglobin"),
            PageInput(png_page("cbc 2"), ocr_text="platelets normal"),
        ],
        title="CBC",
    )
    undated = add_document(
        admin_session,
        p.id,
        "correspondence",
        None,
        [PageInput(png_page("letter"), ocr_text="Dear colleague, cholesterol")],
    )
    mh = add_document(
        admin_session,
        p.id,
        "mental_health",
        date(2022, 3, 3),
        [PageInput(png_page("therapy"), ocr_text="therapy session notes cholesterol")],
    )
    return p, {"lab1": lab1, "lab2": lab2, "letter": undated, "mh": mh}


def test_open_chart_groups_by_type_newest_first_and_audits(admin_session, chart) -> None:
    p, docs = chart
    view = charts.open_chart(admin_session, p.id)
    assert view.patient.id == p.id
    labels = [g.label for g in view.groups]
    assert labels == sorted(labels, key=str.lower)
    lab = next(g for g in view.groups if g.doc_type == "lab")
    assert [d.id for d in lab.documents] == [docs["lab2"], docs["lab1"]]
    assert [len(d.pages) for d in lab.documents] == [2, 1]
    assert view.page_count == 5
    assert not any(d.restricted for d in view.documents)  # admin may see sensitive pages
    opened = _audit(admin_session, "chart.open")
    assert opened[-1][0] == str(p.id)
    assert json.loads(opened[-1][1]) == {"documents": 4, "pages": 5}


def test_clerk_sees_sensitive_documents_listed_but_restricted(session_for, chart) -> None:
    p, docs = chart
    clerk = session_for("clerk")
    view = charts.open_chart(clerk, p.id)
    mh = next(d for d in view.documents if d.id == docs["mh"])
    assert mh.restricted and mh.document.sensitive
    assert not any(d.restricted for d in view.documents if d.id != docs["mh"])
    with pytest.raises(AccessDenied):
        charts.thumbnail(clerk, mh.pages[0].id)
    with pytest.raises(AccessDenied):
        charts.page_image(clerk, mh.pages[0].id)
    # the text search does not leak the sensitive page's words either
    hits = charts.search_chart_text(clerk, p.id, "cholesterol")
    assert {h.document_id for h in hits} == {docs["lab1"], docs["letter"]}
    assert view.release_note == charts.RELEASES_NOT_ALLOWED


def test_emergency_access_opens_sensitive_pages(session_for, chart) -> None:
    p, docs = chart
    clerk = session_for("clerk")
    clerk.break_glass("Patient in the emergency room, need history")
    view = charts.open_chart(clerk, p.id)
    mh = next(d for d in view.documents if d.id == docs["mh"])
    assert not mh.restricted
    assert charts.page_image(clerk, mh.pages[0].id)[:4] == b"\x89PNG"


def test_page_view_is_audited_and_thumbnail_is_small_and_cached(admin_session, chart) -> None:
    p, docs = chart
    view = charts.open_chart(admin_session, p.id)
    page = view.documents[0].pages[0]
    charts.page_image(admin_session, page.id)
    assert _audit(admin_session, "page.view")[-1][0] == str(page.id)
    thumb = charts.thumbnail(admin_session, page.id)
    import io

    with Image.open(io.BytesIO(thumb)) as im:
        assert max(im.size) <= charts.THUMB_PX
    assert charts.thumbnail(admin_session, page.id) is thumb  # served from memory


def test_search_chart_text_finds_pages_and_prefixes(admin_session, chart) -> None:
    p, docs = chart
    hits = charts.search_chart_text(admin_session, p.id, "cholest")
    assert {h.document_id for h in hits} == {docs["lab1"], docs["letter"], docs["mh"]}
    assert any("[" in h.snippet for h in hits)
    assert (
        charts.search_chart_text(admin_session, p.id, "hemoglobin count")[0].document_id
        == docs["lab2"]
    )
    assert charts.search_chart_text(admin_session, p.id, "zebra") == []
    with pytest.raises(BadInput):
        charts.search_chart_text(admin_session, p.id, "  ,, ")
    assert charts.fts_query('he said "x" OR y') == '"he" "said" "x" "OR" "y"'
    assert _audit(admin_session, "chart.search_text")


def test_open_missing_chart(admin_session) -> None:
    with pytest.raises(NotFound):
        charts.open_chart(admin_session, 9999)


def test_add_document_refuses_an_unknown_document_type(admin_session, chart) -> None:
    p, _docs = chart
    with pytest.raises(BadInput, match="document type does not exist"):
        add_document(admin_session, p.id, "no_such_type", None, [PageInput(png_page("x"))])
    assert len(charts.open_chart(admin_session, p.id).documents) == 4


def test_tiff_pages_become_png_for_the_viewer(admin_session) -> None:
    import io

    p = register_patient(
        admin_session, PatientInput(family="Tiff", given="Tina", dob=date(1990, 1, 1))
    )
    buf = io.BytesIO()
    Image.new("L", (300, 400), 200).save(buf, format="TIFF")
    doc = add_document(
        admin_session, p.id, "other", None, [PageInput(buf.getvalue(), "image/tiff")]
    )
    page = charts.open_chart(admin_session, p.id).documents[0].pages[0]
    assert page.document_id == doc
    assert charts.page_image(admin_session, page.id)[:4] == b"\x89PNG"
    assert charts.thumbnail(admin_session, page.id)[:4] == b"\x89PNG"


def test_cli_chart_json(chart, store_dir, cli_env, capsys) -> None:
    from clinicrecords.cli import main

    p, docs = chart
    code = main(["--data-dir", str(store_dir), "chart", p.mrn, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["patient"]["mrn"] == p.mrn and out["patient"]["dob"] == "1971-05-09"
    by_id = {d["id"]: d for d in out["documents"]}
    assert set(by_id) == set(docs.values())
    assert by_id[docs["lab2"]] == {
        "id": docs["lab2"],
        "document_id": docs["lab2"],
        "doc_type": "lab",
        "doc_date": "2024-06-02",
        "pages": 2,
        "sensitive": False,
    }
    assert by_id[docs["mh"]]["sensitive"] is True
    assert by_id[docs["letter"]]["doc_date"] is None
    assert main(["--data-dir", str(store_dir), "chart", "00000000", "--json"]) == NotFound.exit_code
