"""Previous names travel the clinic network (issue 10): one event per list change, applied in
the clinic's order; two PCs that changed one chart's list apart converge, with a conflict."""

from __future__ import annotations

import pytest

from clinicrecords.common.domain import PreviousName
from clinicrecords.registry.patients import patient_by_mrn
from clinicrecords.registry.previous_names import add_previous_name, set_previous_names
from clinicrecords.sync.conflicts import list_conflicts, resolve_conflict

pytestmark = pytest.mark.slow


def _names(ws, mrn: str) -> tuple[PreviousName, ...]:  # type: ignore[no-untyped-def]
    return patient_by_mrn(ws.session, mrn).previous_names


def test_previous_names_reach_every_pc_and_concurrent_lists_converge(clinic) -> None:
    ws1 = clinic.attach_first()
    p = ws1.register("Whitfield", "Harriet", "1961-08-14")
    add_previous_name(ws1.session, p.id, PreviousName("Okonkwo"))
    ws2 = clinic.join("front-2")  # the history replayed: the list comes with the chart
    assert _names(ws2, p.mrn) == (PreviousName("Okonkwo", "", "maiden"),)
    assert p.mrn in ws2.search("harriet okonkwo")  # the replica's lookup index knows it

    # Offline apart: each PC changes the list.
    set_previous_names(ws1.session, p.id, [PreviousName("Okonkwo"), PreviousName("Adeyemi")])
    pid2 = patient_by_mrn(ws2.session, p.mrn).id
    set_previous_names(ws2.session, pid2, [PreviousName("Delacroix", "Hattie", "previous")])
    clinic.sync_all()
    assert _names(ws1, p.mrn) == _names(ws2, p.mrn)  # the later list, everywhere
    lists = [list_conflicts(ws.session) for ws in (ws1, ws2)]
    assert [len(c) for c in lists] == [1, 1] and lists[0][0].id == lists[1][0].id
    assert lists[0][0].field == "previous_names"

    # The PC whose list lost restores it; the clinic follows.
    loser = ws1 if not lists[0][0].kept_here else ws2
    resolve_conflict(loser.session, lists[0][0].id[:12], "local")
    clinic.sync_all()
    expected = (
        (PreviousName("Okonkwo", "", "maiden"), PreviousName("Adeyemi", "", "maiden"))
        if loser is ws1
        else (PreviousName("Delacroix", "Hattie", "previous"),)
    )
    assert _names(ws1, p.mrn) == _names(ws2, p.mrn) == expected
    assert list_conflicts(ws1.session) == list_conflicts(ws2.session) == []
