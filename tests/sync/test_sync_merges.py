"""Merges travel in the clinic's order: a merge made at one desk is made on every PC, a page
filed offline into a chart merged away follows the merge, an undo travels, and two PCs that
merged conflicting things end the same everywhere with a conflict listed, never a silent edit.

"Offline" here is a PC that has not synced yet: the server orders what arrives first first."""

from __future__ import annotations

from clinicrecords.db import patients as patients_sql
from clinicrecords.records.documents import PageInput, add_document, list_documents
from clinicrecords.registry.merge import merge_charts, merge_history, unmerge
from clinicrecords.registry.patients import patient_by_mrn
from clinicrecords.sync.conflicts import list_conflicts, resolve_conflict
from tests.helpers import noise_page
from tests.sync.test_sync_network import _assert_healthy


def _pid(ws, mrn: str) -> int:
    with ws.store.db.read() as conn:
        for p in patients_sql.load_patients(conn):
            if p.mrn == mrn:
                return p.id
    raise AssertionError("no such chart")


def _merged_into(ws) -> dict[str, str | None]:
    """MRN -> MRN of the chart it is merged into (None: not merged), every chart."""
    with ws.store.db.read() as conn:
        charts = patients_sql.load_patients(conn)
    by_id = {p.id: p.mrn for p in charts}
    return {p.mrn: by_id.get(p.merged_into) if p.merged_into else None for p in charts}


def _doc_charts(ws) -> list[tuple[str, int]]:
    """(MRN, number of documents) of every chart holding documents."""
    with ws.store.db.read() as conn:
        charts = patients_sql.load_patients(conn)
    out = []
    for p in charts:
        n = len(list_documents(ws.session, p.id))
        if n:
            out.append((p.mrn, n))
    return sorted(out)


def _audit_actions(ws, action: str) -> list[str]:
    conn = ws.store.db.connection()
    return [
        r[0]
        for r in conn.execute(
            "SELECT detail FROM audit_log WHERE action = ? ORDER BY id", (action,)
        )
    ]


def test_a_merge_and_its_undo_reach_every_pc_with_the_documents(clinic) -> None:
    ws1 = clinic.attach_first()
    keep = ws1.register("Abernathy", "Lois", "1950-03-04")
    dup = ws1.register("Abernathy", "Louise", "1950-03-04")
    add_document(ws1.session, dup.id, "lab", None, [PageInput(noise_page(301))])
    ws2 = clinic.join("manager")
    assert _doc_charts(ws2) == [(dup.mrn, 1)]

    merge_charts(ws1.session, keep.id, dup.id, "same person, two charts")
    ws1.sync()
    ws2.sync()
    assert _merged_into(ws2) == _merged_into(ws1)
    assert _merged_into(ws2)[dup.mrn] == keep.mrn
    assert _doc_charts(ws2) == [(keep.mrn, 1)]
    assert patient_by_mrn(ws2.session, dup.mrn).mrn == keep.mrn  # the alias finds the survivor
    (row,) = _audit_actions(ws2, "patient.merge")
    assert '"via":"sync"' in row  # the receiving PC says the change arrived, and from where

    (merge,) = merge_history(ws2.session, _pid(ws2, keep.mrn))
    unmerge(ws2.session, merge.id, "two people after all")
    ws2.sync()
    ws1.sync()
    assert _merged_into(ws1)[dup.mrn] is None
    assert _doc_charts(ws1) == _doc_charts(ws2) == [(dup.mrn, 1)]
    for ws in (ws1, ws2):
        assert list_conflicts(ws.session) == []
        _assert_healthy(ws)


def test_a_page_filed_offline_into_a_merged_away_chart_follows_the_merge(clinic) -> None:
    ws1 = clinic.attach_first()
    keep = ws1.register("Brandywine", "Otto", "1944-11-02")
    dup = ws1.register("Brandywine", "Otto", "1944-11-20")
    ws2 = clinic.join("front-2")

    merge_charts(ws1.session, keep.id, dup.id, "same person, typo in DOB")
    ws1.sync()  # the merge is first in the clinic's order
    # ws2 has not heard: its clerk files a page into the chart merged away elsewhere
    add_document(ws2.session, _pid(ws2, dup.mrn), "lab", None, [PageInput(noise_page(302))])
    ws2.sync()
    ws1.sync()
    assert _doc_charts(ws1) == _doc_charts(ws2) == [(keep.mrn, 1)]
    assert _merged_into(ws1) == _merged_into(ws2)

    (merge,) = merge_history(ws1.session, keep.id)
    unmerge(ws1.session, merge.id, "not the same person")
    clinic.sync_all()
    # the page goes back with its chart on both PCs: it was filed into that chart
    assert _doc_charts(ws1) == _doc_charts(ws2) == [(dup.mrn, 1)]


def test_one_chart_merged_into_two_others_offline_is_one_conflict_everywhere(clinic) -> None:
    ws1 = clinic.attach_first()
    x = ws1.register("Castellanos", "Ines", "1970-07-07")
    y = ws1.register("Castellanos", "Inés", "1970-07-07")
    z = ws1.register("Castellanos", "Ines M", "1970-07-07")
    add_document(ws1.session, x.id, "lab", None, [PageInput(noise_page(303))])
    ws2 = clinic.join("front-2")

    merge_charts(ws1.session, y.id, x.id, "same person (front desk)")
    merge_charts(ws2.session, _pid(ws2, z.mrn), _pid(ws2, x.mrn), "same person (office)")
    assert _doc_charts(ws2) == [(z.mrn, 1)]  # as ws2 sees it, until the clinic's order speaks
    ws1.sync()
    ws2.sync()
    ws1.sync()

    # the earlier merge (ws1's) stands on both PCs; ws2's is undone there, not applied on ws1
    assert _merged_into(ws1) == _merged_into(ws2)
    assert _merged_into(ws1)[x.mrn] == y.mrn and _merged_into(ws1)[z.mrn] is None
    assert _doc_charts(ws1) == _doc_charts(ws2) == [(y.mrn, 1)]
    c1, c2 = list_conflicts(ws1.session), list_conflicts(ws2.session)
    assert [c.id for c in c1] == [c.id for c in c2] and len(c1) == 1
    assert c1[0].kind == "merge" and c1[0].server == y.mrn and c1[0].replaced == z.mrn

    resolve_conflict(ws2.session, c2[0].id, "server")
    clinic.sync_all()
    assert list_conflicts(ws1.session) == []
    for ws in (ws1, ws2):
        _assert_healthy(ws)


def test_two_charts_merged_into_each_other_and_an_own_merge_re_applied(clinic) -> None:
    ws1 = clinic.attach_first()
    a = ws1.register("Delacroix", "Anna", "1988-01-01")
    b = ws1.register("Delacroix", "Ana", "1988-01-01")
    c = ws1.register("Eberhardt", "Carl", "1977-05-05")
    d = ws1.register("Eberhardt", "Karl", "1977-05-05")
    ws2 = clinic.join("front-2")

    merge_charts(ws1.session, a.id, b.id, "same person, one desk")
    merge_charts(ws2.session, _pid(ws2, b.mrn), _pid(ws2, a.mrn), "same person, other desk")
    # ws2 also merged c into d, which nothing else touched: it must stand after the shuffle
    merge_charts(ws2.session, _pid(ws2, d.mrn), _pid(ws2, c.mrn), "same person, typo")
    ws1.sync()
    ws2.sync()
    ws1.sync()
    assert _merged_into(ws1) == _merged_into(ws2)
    assert _merged_into(ws1)[b.mrn] == a.mrn and _merged_into(ws1)[a.mrn] is None
    assert _merged_into(ws1)[c.mrn] == d.mrn
    (c1,) = list_conflicts(ws1.session)
    (c2,) = list_conflicts(ws2.session)
    assert c1.id == c2.id and c1.kind == "merge"


def test_an_undo_made_offline_while_the_survivor_was_merged_away_is_listed(clinic) -> None:
    ws1 = clinic.attach_first()
    s = ws1.register("Fontaine", "Gil", "1960-02-02")
    w = ws1.register("Fontaine", "Gilles", "1960-02-02")
    y = ws1.register("Fontaine", "G", "1960-02-02")
    merge_charts(ws1.session, s.id, w.id, "same person, first merge")
    ws2 = clinic.join("office")
    assert _merged_into(ws2)[w.mrn] == s.mrn

    (m,) = merge_history(ws2.session, _pid(ws2, s.mrn))
    unmerge(ws2.session, m.id, "not the same after all")  # ws2, offline
    merge_charts(ws1.session, y.id, s.id, "same person, second merge")  # first in the order
    ws1.sync()
    ws2.sync()
    ws1.sync()
    # the clinic's order: W into S, S (and W with it) into Y, then an undo that comes too late
    assert _merged_into(ws1) == _merged_into(ws2)
    assert _merged_into(ws1)[w.mrn] == y.mrn and _merged_into(ws1)[s.mrn] == y.mrn
    (c1,) = list_conflicts(ws1.session)
    (c2,) = list_conflicts(ws2.session)
    assert c1.id == c2.id and c1.kind == "merge"
