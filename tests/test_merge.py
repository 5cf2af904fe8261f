"""Merging two charts and undoing it: no page lost, aliases still find, who and why audited."""

from __future__ import annotations

import json
from datetime import date

import pytest

from clinicrecords.common.errors import AccessDenied, BadInput, NotFound
from clinicrecords.records import charts
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry import lookup, merge
from clinicrecords.registry.patients import PatientInput, patient_by_mrn, register_patient
from tests.helpers import png_page


def _pages(session, patient_id: int) -> set[int]:
    return {pg.id for d in charts.open_chart(session, patient_id).documents for pg in d.pages}


def _pair(session):
    a = register_patient(
        session, PatientInput(family="Lindqvist", given="Astrid", dob=date(1980, 2, 29))
    )
    b = register_patient(
        session, PatientInput(family="Lindquist", given="Astrid", dob=date(1980, 2, 29))
    )
    for pid, n in ((a.id, 2), (b.id, 3)):
        for i in range(n):
            add_document(
                session,
                pid,
                "lab",
                date(2020, 1, i + 1),
                [
                    PageInput(png_page(f"p{pid}-{i}-{k}"), ocr_text=f"word{pid} page")
                    for k in range(i + 1)
                ],
            )
    return a, b


def test_merge_moves_every_page_keeps_alias_and_unmerge_restores(admin_session) -> None:
    a, b = _pair(admin_session)
    lookup.index_for(admin_session.store)  # a live index must follow the merge
    pages_a, pages_b = _pages(admin_session, a.id), _pages(admin_session, b.id)
    assert len(pages_a) == 3 and len(pages_b) == 6

    result = merge.merge_charts(
        admin_session, a.id, b.id, "Same person: registered twice at intake"
    )
    assert result.documents_moved == 3 and result.pages_moved == 6
    assert _pages(admin_session, a.id) == pages_a | pages_b
    assert _pages(admin_session, b.id) == pages_a | pages_b  # the old chart opens the survivor
    assert charts.open_chart(admin_session, b.id).opened_as == b.id
    assert b.mrn in result.survivor.aliases
    assert patient_by_mrn(admin_session, b.mrn).id == a.id
    assert charts.open_chart_by_mrn(admin_session, b.mrn).patient.id == a.id
    found = lookup.search_patients(admin_session, b.mrn)
    assert [r.patient.id for r in found][:1] == [a.id]
    assert all(
        r.patient.id != b.id for r in lookup.search_patients(admin_session, "lindquist astrid")
    )
    assert charts.search_chart_text(admin_session, a.id, f"word{b.id}")

    row = (
        admin_session.db.connection()
        .execute("SELECT username, object_id, detail FROM audit_log WHERE action = 'patient.merge'")
        .fetchone()
    )
    detail = json.loads(row[2])
    assert row[0] == "admin" and row[1] == str(a.id)
    assert detail["reason"].startswith("Same person") and detail["merged_id"] == b.id
    assert detail["pages"] == 6

    history = merge.merge_history(admin_session, a.id)
    assert history[0].merged_mrn == b.mrn and not history[0].undone

    # a document filed after the merge stays with the survivor on undo
    late = add_document(admin_session, a.id, "consult", None, [PageInput(png_page("late"))])
    back = merge.unmerge(admin_session, result.merge_id, "merged by mistake")
    assert back.documents_moved == 3
    assert _pages(admin_session, b.id) == pages_b
    assert _pages(admin_session, a.id) - pages_a == {
        pg.id
        for d in charts.open_chart(admin_session, a.id).documents
        if d.id == late
        for pg in d.pages
    }
    assert patient_by_mrn(admin_session, b.mrn).id == b.id
    assert b.mrn not in charts.open_chart(admin_session, a.id).patient.aliases
    assert [r.patient.id for r in lookup.search_patients(admin_session, b.mrn)][:1] == [b.id]
    assert merge.merge_history(admin_session, a.id)[0].undone
    actions = [r[0] for r in admin_session.db.connection().execute("SELECT action FROM audit_log")]
    assert "patient.unmerge" in actions
    with pytest.raises(BadInput):
        merge.unmerge(admin_session, result.merge_id)


def test_merge_chain_follows_and_unmerges_in_order(admin_session) -> None:
    a, b = _pair(admin_session)
    c = register_patient(
        admin_session, PatientInput(family="Lindkvist", given="Astrid", dob=date(1980, 2, 29))
    )
    add_document(admin_session, c.id, "lab", None, [PageInput(png_page("c"))])
    all_pages = (
        _pages(admin_session, a.id) | _pages(admin_session, b.id) | _pages(admin_session, c.id)
    )
    m1 = merge.merge_charts(admin_session, b.id, c.id, "duplicate of b")
    m2 = merge.merge_charts(admin_session, a.id, b.id, "duplicate of a")
    assert _pages(admin_session, a.id) == all_pages
    survivor = charts.open_chart(admin_session, a.id).patient
    assert set(survivor.aliases) == {b.mrn, c.mrn}
    assert patient_by_mrn(admin_session, c.mrn).id == a.id
    with pytest.raises(BadInput):
        merge.unmerge(admin_session, m1.merge_id)  # b was merged again since
    merge.unmerge(admin_session, m2.merge_id)
    assert patient_by_mrn(admin_session, c.mrn).id == b.id
    merge.unmerge(admin_session, m1.merge_id)
    assert patient_by_mrn(admin_session, c.mrn).id == c.id
    assert (
        _pages(admin_session, a.id) | _pages(admin_session, b.id) | _pages(admin_session, c.id)
        == all_pages
    )


def test_merge_rules_and_permissions(admin_session, session_for) -> None:
    a, b = _pair(admin_session)
    with pytest.raises(BadInput):
        merge.merge_charts(admin_session, a.id, b.id, "  ")
    with pytest.raises(BadInput):
        merge.merge_charts(admin_session, a.id, a.id, "same chart twice")
    with pytest.raises(AccessDenied):
        merge.merge_charts(session_for("clerk"), a.id, b.id, "clerks may not merge")
    m = merge.merge_charts(session_for("release"), a.id, b.id, "office manager merges")
    with pytest.raises(BadInput):
        merge.merge_charts(admin_session, a.id, b.id, "already merged")
    with pytest.raises(AccessDenied):
        merge.unmerge(session_for("release"), m.merge_id)
    merge.unmerge(admin_session, m.merge_id)


def test_release_history_includes_merged_charts(admin_session, session_for) -> None:
    service = pytest.importorskip("clinicrecords.release.service")
    a, b = _pair(admin_session)
    assert charts.open_chart(admin_session, a.id).releases == ()
    assert charts.open_chart(admin_session, a.id).release_note == charts.NO_RELEASES
    service.create_request(
        admin_session,
        a.id,
        "Dr Mirela Costa",
        "continuing care",
        requester_type="provider",
        requester_org="Hillside Cardiology",
    )
    service.create_request(
        admin_session, b.id, "Astrid Lindqvist", "personal copy", requester_type="patient"
    )
    merge.merge_charts(admin_session, a.id, b.id, "registered twice")
    view = charts.open_chart(admin_session, a.id)
    assert {e.requester for e in view.releases} == {
        "Dr Mirela Costa (Hillside Cardiology)",
        "Astrid Lindqvist",
    }
    clerk_view = charts.open_chart(session_for("clerk"), a.id)
    assert clerk_view.releases == () and clerk_view.release_note == charts.RELEASES_NOT_ALLOWED


def test_cli_merge_and_unmerge(admin_session, store_dir, cli_env, capsys) -> None:
    from clinicrecords.cli import main

    a, b = _pair(admin_session)
    assert (
        main(
            [
                "--data-dir",
                str(store_dir),
                "merge",
                a.mrn,
                b.mrn,
                "--reason",
                "twice registered",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["documents_moved"] == 3 and out["pages_moved"] == 6
    assert main(["--data-dir", str(store_dir), "chart", b.mrn, "--json"]) == 0
    chart = json.loads(capsys.readouterr().out)
    assert chart["patient"]["mrn"] == a.mrn and len(chart["documents"]) == 5
    # merge names the charts themselves: the merged MRN is that (merged) chart, not its survivor
    again = ["--data-dir", str(store_dir), "merge", a.mrn, b.mrn, "--reason", "once more"]
    assert main(again) == BadInput.exit_code
    assert "already merged" in capsys.readouterr().err
    unknown = ["--data-dir", str(store_dir), "merge", a.mrn, "00000000", "--reason", "typo"]
    assert main(unknown) == NotFound.exit_code
    assert "No chart has that MRN." in capsys.readouterr().err
    assert main(["--data-dir", str(store_dir), "unmerge", str(out["merge_id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["documents_returned"] == 3
