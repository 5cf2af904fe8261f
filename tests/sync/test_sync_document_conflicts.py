"""Corrections of one document made on two PCs apart (issue 9, "conflicts go to a person"):
every replica ends with the later correction in the clinic's order, and the pair is listed on
every PC under one id, as a chart's field edits are; the listed edit is settled from either PC."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.common.errors import BadInput
from clinicrecords.records import corrections as corr
from clinicrecords.records.documents import PageInput, add_document, list_documents
from clinicrecords.registry.patients import patient_by_mrn
from clinicrecords.sync.conflicts import list_conflicts, resolve_conflict
from tests.helpers import noise_page
from tests.sync.test_sync_network import _assert_healthy


def _state(ws, mrns: list[str]) -> dict:
    """(type, date, author) -> (chart MRN, voided) of every document, voided ones included."""
    out = {}
    with ws.store.db.read() as conn:
        rows = conn.execute(
            "SELECT d.doc_type, d.doc_date, d.author, p.mrn, d.voided_at IS NOT NULL "
            "FROM documents d JOIN patients p ON p.id = d.patient_id"
        ).fetchall()
    for t, d, a, mrn, voided in rows:
        assert mrn in mrns
        out[(t, d, a) if t != "lab" else (t, a)] = (mrn, bool(voided))
    return out


def _conflicts(ws) -> list[tuple]:
    return sorted((c.id, c.kind, c.entity, c.field, c.server, c.replaced, c.choices)
                  for c in list_conflicts(ws.session))  # fmt: skip


def test_edits_moves_and_a_void_made_apart_converge_and_are_listed_everywhere(clinic) -> None:
    ws1 = clinic.attach_first()
    a = ws1.register("Nguyễn", "Ánh", "1980-03-04")
    b = ws1.register("Brandt", "Bea", "1975-05-06")
    c = ws1.register("Castillo", "Cy", "1971-07-08")
    page = [PageInput(noise_page(1, side=40))]
    lab = add_document(ws1.session, a.id, "lab", date(2025, 1, 10), page, author="Dr. Ames")
    add_document(ws1.session, a.id, "consult", date(2025, 2, 2), [PageInput(noise_page(2, 40))])
    add_document(ws1.session, a.id, "imaging", date(2025, 3, 3), [PageInput(noise_page(3, 40))])
    ws2 = clinic.join("front-2")  # the others sync first, so PC 2 has every document

    def doc(ws, doc_type: str) -> int:
        pid = patient_by_mrn(ws.session, a.mrn).id
        return next(d.id for d in list_documents(ws.session, pid) if d.doc_type == doc_type)

    consult1, consult2 = doc(ws1, "consult"), doc(ws2, "consult")
    imaging1, imaging2 = doc(ws1, "imaging"), doc(ws2, "imaging")
    ids2 = {m: patient_by_mrn(ws2.session, m).id for m in (a.mrn, b.mrn, c.mrn)}
    # Apart (neither syncs in between): the same date typed two ways, the author on one PC
    # only; the consult moved to B on one PC and to C on the other; the imaging report
    # moved to B on one PC and voided on the other.
    corr.edit_document(ws1.session, lab, doc_date=date(2025, 1, 11), author="Dr. Amos")
    corr.edit_document(ws2.session, doc(ws2, "lab"), doc_date=date(2025, 1, 12))
    corr.move_document(ws1.session, consult1, b.id, "consult is Bea's")
    corr.move_document(ws2.session, consult2, ids2[c.mrn], "consult is Cy's")
    corr.move_document(ws1.session, imaging1, b.id, "report is Bea's")
    corr.void_document(ws2.session, imaging2, "duplicate scan")
    clinic.sync_all()  # PC 1 pushes first: PC 2's corrections come later in the order

    mrns = [a.mrn, b.mrn, c.mrn]
    assert (
        _state(ws1, mrns)
        == _state(ws2, mrns)
        == {
            ("lab", "Dr. Amos"): (a.mrn, False),
            ("consult", "2025-02-02", ""): (c.mrn, False),
            ("imaging", "2025-03-03", ""): (b.mrn, True),
        }
    )
    lab_date = {ws: corr.document_history(ws.session, doc(ws, "lab")) for ws in (ws1, ws2)}
    assert all(h[-1].action == "edit" for h in lab_date.values())
    listed = _conflicts(ws1)
    assert listed == _conflicts(ws2)  # the same conflicts under the same ids on both PCs
    assert {row[1:6] for row in listed} == {
        ("field", "document", "doc_date", "2025-01-12", "2025-01-11"),
        ("document", "document", "chart", f"in chart {c.mrn}", f"in chart {b.mrn}"),
        ("document", "document", "voided", f"moved to chart {b.mrn}, voided",
         f"voided in chart {a.mrn}"),
    }  # fmt: skip
    choices = {row[3]: row[6] for row in listed}
    assert choices == {"doc_date": ("server", "local", "value"), "chart": ("server",),
                       "voided": ("server",)}  # fmt: skip

    # PC 1 lost the date in the order: it keeps its own, and every PC follows.
    date_conflict = next(r[0] for r in listed if r[3] == "doc_date")
    settled = resolve_conflict(ws1.session, date_conflict, "local")
    assert settled.resolution == "2025-01-11" and settled.current == "2025-01-11"
    move_conflict = next(r[0] for r in listed if r[3] == "chart")
    with pytest.raises(BadInput, match="move the document to the right chart"):
        resolve_conflict(ws2.session, move_conflict, "local")
    resolve_conflict(ws2.session, move_conflict, "server")
    clinic.sync_all()
    for ws in (ws1, ws2):
        with ws.store.db.read() as conn:
            (when,) = conn.execute(
                "SELECT doc_date FROM documents WHERE doc_type = 'lab'"
            ).fetchone()
        assert when == "2025-01-11"
        assert [r[3] for r in _conflicts(ws)] == ["voided"]
        _assert_healthy(ws)


def test_an_edit_made_after_seeing_the_other_is_no_conflict(clinic) -> None:
    ws1 = clinic.attach_first()
    a = ws1.register("Ito", "Ken", "1969-09-09")
    lab = add_document(ws1.session, a.id, "lab", date(2025, 1, 10), [PageInput(noise_page(7, 40))])
    ws2 = clinic.join("front-2")
    corr.edit_document(ws1.session, lab, doc_date=date(2025, 1, 11))
    corr.edit_document(ws1.session, lab, doc_date=date(2025, 1, 13))  # two pending here
    clinic.sync_all()
    pid2 = patient_by_mrn(ws2.session, a.mrn).id
    lab2 = list_documents(ws2.session, pid2)[0].id
    corr.edit_document(ws2.session, lab2, doc_date=date(2025, 1, 14))
    clinic.sync_all()
    for ws in (ws1, ws2):
        assert list_conflicts(ws.session) == []
        with ws.store.db.read() as conn:
            (when,) = conn.execute("SELECT doc_date FROM documents").fetchone()
        assert when == "2025-01-14"


def test_a_page_split_off_twice_and_a_move_after_a_void_are_listed_in_either_order(
    clinic,
) -> None:
    ws1 = clinic.attach_first()
    a = ws1.register("Okafor", "Ada", "1962-02-02")
    b = ws1.register("Brandt", "Bo", "1977-07-07")
    c = ws1.register("Castillo", "Cal", "1973-03-03")
    two = [PageInput(noise_page(n, 40)) for n in (11, 12)]
    lab = add_document(ws1.session, a.id, "lab", date(2025, 1, 10), two)
    note = add_document(ws1.session, a.id, "consult", None, [PageInput(noise_page(13, 40))])
    ws2 = clinic.join("front-2")
    pid2 = {m: patient_by_mrn(ws2.session, m).id for m in (a.mrn, c.mrn)}
    docs2 = {d.doc_type: d.id for d in list_documents(ws2.session, pid2[a.mrn])}
    # Apart: page 2 of the lab split off into B's chart here and into C's chart there; the
    # consult voided there and moved to B here. PC 2 syncs first this time.
    corr.move_document(ws1.session, lab, b.id, "page 2 is Bo's", pages=[2])
    corr.move_document(ws2.session, docs2["lab"], pid2[c.mrn], "page 2 is Cal's", pages=[2])
    corr.void_document(ws2.session, docs2["consult"], "wrong patient")
    corr.move_document(ws1.session, note, b.id, "consult is Bo's")
    ws2.sync()
    ws1.sync()
    clinic.sync_all()

    def where(ws) -> list[tuple]:
        with ws.store.db.read() as conn:
            return sorted(
                tuple(r)
                for r in conn.execute(
                    "SELECT d.doc_type, p.mrn, d.voided_at IS NOT NULL, "
                    "(SELECT count(*) FROM pages g WHERE g.document_id = d.id) "
                    "FROM documents d JOIN patients p ON p.id = d.patient_id"
                )
            )

    assert where(ws1) == where(ws2)
    assert (("lab", b.mrn, 0, 1) in where(ws1)) and (("consult", b.mrn, 1, 1) in where(ws1))
    assert ("lab", a.mrn, 0, 1) in where(ws1)  # page 1 stayed
    listed = _conflicts(ws1)
    assert listed == _conflicts(ws2)
    assert {r[3] for r in listed} == {"pages", "voided"}
    assert {r[4:6] for r in listed} == {
        (f"pages in chart {b.mrn}", f"pages in chart {c.mrn}"),
        (f"moved to chart {b.mrn}, voided", f"voided in chart {a.mrn}"),
    }
    for ws in (ws1, ws2):
        _assert_healthy(ws)
