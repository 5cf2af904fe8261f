"""Release of information travels: requests, their changes, status and the accounting of
disclosures reach every PC; a release sent from two PCs, or sent after it was cancelled, is a
conflict in the list on every PC, never a silent edit, and every packet that went out is in the
accounting.

"Offline" here is a PC that has not synced yet: the server orders what arrives first first."""

from __future__ import annotations

from datetime import date

from clinicrecords.db import release as release_sql
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.release import service
from clinicrecords.sync.conflicts import list_conflicts
from tests.helpers import noise_page
from tests.sync.test_sync_merges import _pid
from tests.sync.test_sync_network import _assert_healthy


def _requests(ws) -> list[tuple]:
    """(code, requester, status, date_from, watermark, pages out) of every request."""
    return sorted(
        (r.code, r.requester_name, r.status, r.date_from, r.watermark, r.pages_out)
        for r in service.list_requests(ws.session)
    )


def _disclosures(ws) -> list[tuple]:
    conn = ws.store.db.connection()
    return sorted(
        tuple(r)
        for r in conn.execute(
            "SELECT r.code, d.disclosed_on, d.recipient, d.pages FROM disclosures d "
            "JOIN release_requests r ON r.id = d.request_id"
        )
    )


def _local_id(ws, code: str) -> int:
    with ws.store.db.read() as conn:
        found = release_sql.request_id_by_code(conn, code)
    assert found is not None
    return found


def _clinic_with_chart(clinic):
    ws1 = clinic.attach_first()
    chart = ws1.register("Fairweather", "Gus", "1966-06-06")
    add_document(ws1.session, chart.id, "lab", date(2025, 1, 2), [PageInput(noise_page(401))])
    add_document(ws1.session, chart.id, "lab", date(2025, 9, 9), [PageInput(noise_page(402))])
    ws2 = clinic.join("office")
    return ws1, ws2, chart


def test_a_request_its_changes_and_its_disclosure_reach_every_pc(clinic) -> None:
    ws1, ws2, chart = _clinic_with_chart(clinic)
    req = service.create_request(
        ws1.session, chart.id, "Gus Fairweather", "own copy", requester_type="patient"
    )
    assert req.code.startswith("R1-")  # the workstation's number: unique across offline PCs
    ws1.sync()
    ws2.sync()
    assert _requests(ws2) == _requests(ws1)
    assert _requests(ws2)[0][5] == 2  # the selection ran there too: both pages go out

    rid2 = _local_id(ws2, req.code)
    service.set_scope(
        ws2.session,
        rid2,
        date_from=date(2025, 6, 1),
        date_to=None,
        doc_types=(),
        include_sensitive=False,
    )
    ws2.sync()
    ws1.sync()
    assert _requests(ws1) == _requests(ws2)
    assert _requests(ws1)[0][3] == date(2025, 6, 1) and _requests(ws1)[0][5] == 1

    service.send_request(ws1.session, req.id)
    ws1.sync()
    ws2.sync()
    assert _requests(ws2)[0][2] == "sent"
    assert _disclosures(ws2) == _disclosures(ws1) and len(_disclosures(ws1)) == 1
    conn = ws2.store.db.connection()
    (detail,) = [
        r[0] for r in conn.execute("SELECT detail FROM audit_log WHERE action = 'release.send'")
    ]
    assert '"via":"sync"' in detail
    for ws in (ws1, ws2):
        assert list_conflicts(ws.session) == []
        _assert_healthy(ws)


def test_a_release_sent_from_two_pcs_is_one_conflict_and_both_are_accounted_for(clinic) -> None:
    ws1, ws2, chart = _clinic_with_chart(clinic)
    req = service.create_request(ws1.session, chart.id, "Gus", "copy", requester_type="patient")
    ws1.sync()
    ws2.sync()
    service.send_request(ws1.session, req.id)
    service.send_request(ws2.session, _local_id(ws2, req.code))  # offline: both mail a packet
    ws1.sync()
    ws2.sync()
    ws1.sync()
    assert _requests(ws1) == _requests(ws2) and _requests(ws1)[0][2] == "sent"
    # two packets went out: both are in the accounting of disclosures, on both PCs
    assert _disclosures(ws1) == _disclosures(ws2) and len(_disclosures(ws1)) == 2
    (c1,) = list_conflicts(ws1.session)
    (c2,) = list_conflicts(ws2.session)
    assert c1.id == c2.id and c1.kind == "release" and c1.field == "status"
    assert c1.replaced.startswith("sent again on")


def test_sent_after_cancelled_is_a_conflict_and_stays_sent(clinic) -> None:
    ws1, ws2, chart = _clinic_with_chart(clinic)
    req = service.create_request(ws1.session, chart.id, "Gus", "copy", requester_type="patient")
    ws1.sync()
    ws2.sync()
    service.set_status(ws1.session, req.id, "cancelled", "patient withdrew the request")
    service.send_request(ws2.session, _local_id(ws2, req.code))  # ws2 has not heard
    ws1.sync()
    ws2.sync()
    ws1.sync()
    # the packet went out: sent on both PCs, in the accounting on both, and listed
    assert _requests(ws1) == _requests(ws2) and _requests(ws1)[0][2] == "sent"
    assert _disclosures(ws1) == _disclosures(ws2) and len(_disclosures(ws1)) == 1
    (c1,) = list_conflicts(ws1.session)
    (c2,) = list_conflicts(ws2.session)
    assert c1.id == c2.id and (c1.server, c1.replaced) == ("sent", "cancelled")


def test_cancelled_on_one_pc_while_another_pc_sent_first_is_listed(clinic) -> None:
    ws1, ws2, chart = _clinic_with_chart(clinic)
    req = service.create_request(ws1.session, chart.id, "Gus", "copy", requester_type="patient")
    ws1.sync()
    ws2.sync()
    service.send_request(ws1.session, req.id)
    service.set_status(ws2.session, _local_id(ws2, req.code), "cancelled", "duplicate request")
    assert _requests(ws2)[0][2] == "cancelled"  # as ws2 sees it until the order speaks
    ws1.sync()
    ws2.sync()
    ws1.sync()
    assert _requests(ws1) == _requests(ws2) and _requests(ws2)[0][2] == "sent"
    (c1,) = list_conflicts(ws1.session)
    (c2,) = list_conflicts(ws2.session)
    assert c1.id == c2.id and (c1.server, c1.replaced) == ("sent", "cancelled")


def test_requests_logged_before_attach_travel_with_their_disclosures(clinic) -> None:
    from clinicrecords.clinic import auth
    from clinicrecords.clinic.store import Store
    from tests.conftest import PASSPHRASE, PASSWORD, USERS
    from tests.sync.workstations import Workstation

    first = auth.login(Store.open(clinic.first_dir, PASSPHRASE), USERS["admin"], PASSWORD)
    ws0 = Workstation("front-1", clinic.first_dir, USERS["admin"], first)
    p = ws0.register("Hollingsworth", "Ida", "1939-09-09")
    add_document(first, p.id, "lab", date(2024, 4, 4), [PageInput(noise_page(403))])
    old = service.create_request(first, p.id, "Ida", "copy", requester_type="patient")
    service.send_request(first, old.id)
    assert old.code == "R00001"
    first.store.close()
    ws1 = clinic.attach_first()
    ws2 = clinic.join("office")
    assert _requests(ws2) == _requests(ws1)
    assert _disclosures(ws2) == _disclosures(ws1) and len(_disclosures(ws2)) == 1
    assert _pid(ws2, p.mrn)
