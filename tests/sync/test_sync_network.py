"""The clinic network end to end, in one process: three workstations (three real encrypted
stores), one real PostgreSQL server that is stopped and restarted mid-test."""

from __future__ import annotations

import pytest

from clinicrecords.admin import backup
from clinicrecords.clinic import audit
from clinicrecords.common.errors import BadInput, ServerRefused, ServerUnreachable, WrongPassphrase
from clinicrecords.common.mrn import is_valid_mrn
from clinicrecords.db import sync_sql
from clinicrecords.events import mrnblocks
from clinicrecords.sync import client, server
from clinicrecords.sync.conflicts import list_conflicts, resolve_conflict
from tests.conftest import PASSWORD
from tests.sync.workstations import Workstation, server_changes, server_events

GIVEN = ["Anh", "Binh", "Chau", "Dung", "Hoa", "Khanh"]


def _assert_healthy(ws) -> None:
    report = backup.verify_store(ws.store)
    assert report.ok, report.problems
    conn = ws.store.db.new_connection()
    try:
        chain = audit.verify(conn)
    finally:
        conn.close()
    assert chain.ok, chain.problems


def test_offline_day_converges_with_distinct_mrns_and_one_conflict(clinic) -> None:
    ws1 = clinic.attach_first("front-1")
    shared = ws1.register("Okafor", "Chidi", "1961-05-17", phone="555-0100")
    ws1.sync()
    ws2 = clinic.join("front-2")
    ws3 = clinic.join("office")
    assert ws2.charts() == ws1.charts() == ws3.charts()
    assert shared.mrn in ws3.search("okafor chidi")  # the lookup index sees replicated charts

    clinic.pg.cluster.stop()  # the server goes down on a busy Monday
    try:
        with pytest.raises(ServerUnreachable):
            ws1.sync()
        made_on_1 = [ws1.register("Nguyễn", GIVEN[i], "1980-01-0" + str(i + 1)) for i in range(3)]
        made_on_2 = [ws2.register("Łukasz", GIVEN[i], "1990-02-0" + str(i + 1)) for i in range(3)]
        ws1.edit(shared.mrn, phone="555-1111")
        ws2.edit(shared.mrn, phone="555-2222")
        ws3.edit(shared.mrn, address="12 Elm St")  # another field: no conflict
        assert ws1.search("nguyen an0")  # every PC keeps working on its own replica
    finally:
        clinic.pg.cluster.start()

    clinic.sync_all()
    charts = ws1.charts()
    assert charts == ws2.charts() == ws3.charts()
    assert len(charts) == 7
    mrns = [p.mrn for p in made_on_1 + made_on_2] + [shared.mrn]
    assert len(set(mrns)) == 7 and all(is_valid_mrn(m) for m in mrns)
    phone, address = charts[shared.mrn][3], charts[shared.mrn][4]
    assert phone in ("555-1111", "555-2222") and address == "12 Elm St"

    lists = [list_conflicts(ws.session) for ws in (ws1, ws2, ws3)]
    assert [len(c) for c in lists] == [1, 1, 1]
    ids = {c[0].id for c in lists}
    assert len(ids) == 1  # the same conflict, under the same id, on every PC
    c1 = lists[0][0]
    assert (c1.field, c1.server, c1.current) == ("phone", phone, phone)
    assert {c1.server, lists[0][0].local, lists[1][0].local} == {"555-1111", "555-2222"}

    # The clerk at the PC whose number lost restores it; the whole clinic follows.
    loser = ws1 if not lists[0][0].kept_here else ws2
    mine = "555-1111" if loser is ws1 else "555-2222"
    resolve_conflict(loser.session, c1.id[:12], "local")
    clinic.sync_all()
    for ws in (ws1, ws2, ws3):
        assert ws.charts()[shared.mrn][3] == mine
        assert list_conflicts(ws.session) == []
        resolved = list_conflicts(ws.session, include_resolved=True)
        assert resolved[0].resolution == mine
        _assert_healthy(ws)
    with ws1.store.db.read() as conn:
        assert sync_sql.outbox_counts(conn) == (0, 0)


def test_edits_made_one_after_another_are_not_conflicts(clinic) -> None:
    ws1 = clinic.attach_first()
    p = ws1.register("Adeyemi", "Tola", "1975-09-09", phone="555-0001")
    ws2 = clinic.join("front-2")
    ws2.edit(p.mrn, phone="555-0002")
    clinic.sync_all()
    ws1.edit(p.mrn, phone="555-0003")
    ws1.edit(p.mrn, phone="555-0004")  # twice before a sync: one PC's own sequence
    clinic.sync_all()
    assert ws1.charts() == ws2.charts() and ws2.charts()[p.mrn][3] == "555-0004"
    assert list_conflicts(ws1.session) == list_conflicts(ws2.session) == []


def test_same_value_typed_on_two_pcs_is_not_a_conflict(clinic) -> None:
    ws1 = clinic.attach_first()
    p = ws1.register("Moreau", "Lise", "1950-12-01", phone="555-0001")
    ws2 = clinic.join("front-2")
    ws1.edit(p.mrn, phone="555-0009")
    ws2.edit(p.mrn, phone="555-0009")
    clinic.sync_all()
    assert list_conflicts(ws1.session) == list_conflicts(ws2.session) == []


def test_attach_uploads_history_and_join_rebuilds_it(clinic) -> None:
    first = Workstation("front-1", clinic.first_dir, "admin")  # has charts before it attaches
    before = [first.register("Pérez", GIVEN[i], "1999-03-0" + str(i + 1)) for i in range(5)]
    result = server.attach(first.session, clinic.url, "front-1")
    clinic.workstations.append(first)
    assert result.charts_shared == 5 and result.accounts_shared == 3  # the accounts travel too
    assert result.pushed == 5 + 3 + result.settings_shared
    ws2 = clinic.join("front-2")
    assert ws2.charts() == first.charts()
    assert {p.mrn for p in before} <= set(ws2.charts())
    after = first.register("Pérez", "Giang", "1999-03-09")
    assert after.mrn not in {p.mrn for p in before}
    with pytest.raises(BadInput):
        server.attach(first.session, clinic.url, "again")


def test_wrong_passphrase_cannot_join(clinic, tmp_path) -> None:
    clinic.attach_first()
    folder = tmp_path / "intruder"
    with pytest.raises(WrongPassphrase):
        server.join(folder, clinic.url, "not the clinic passphrase", "eve", PASSWORD)
    assert not folder.exists() or not any(folder.iterdir())


def test_server_sees_no_patient_data(clinic) -> None:
    ws1 = clinic.attach_first()
    canary = ws1.register(
        "Quixotewright",
        "Zebulon",
        "1931-07-29",
        phone="555-867-5309",
        address="41 Canarywharf Lane",
        mrn="ZQX7741CANARY",
    )
    ws1.edit(canary.mrn, phone="555-222-7741")
    ws2 = clinic.join("front-2")
    ws2.edit(canary.mrn, given="Zebedee")
    clinic.sync_all()
    dump = clinic.pg.cluster.pg_dump(clinic.pg.name)
    assert "Quixotewright" not in dump  # sanity: the dump is the server's whole content
    secrets = ["Quixotewright", "Zebulon", "Zebedee", "1931-07-29", "ZQX7741CANARY",
               "555-867-5309", "555-222-7741", "Canarywharf"]  # fmt: skip
    lowered = dump.lower()
    for secret in secrets:
        assert secret.lower() not in lowered
        assert secret.encode().hex() not in lowered  # bytea columns dump as hex
    assert "Zebedee" in str(ws1.charts()[canary.mrn])


def test_mrn_blocks_then_provisional_numbers_offline(clinic, monkeypatch) -> None:
    monkeypatch.setattr(mrnblocks, "BLOCK_SIZE", 3)
    monkeypatch.setattr(mrnblocks, "REFILL_BELOW", 2)
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    clinic.pg.cluster.stop()
    try:
        made = [ws2.register("Haddad", GIVEN[i], "2001-01-0" + str(i + 1)) for i in range(5)]
        made += [ws1.register("Haddad", GIVEN[i], "2002-02-0" + str(i + 1)) for i in range(5)]
    finally:
        clinic.pg.cluster.start()
    provisional = [p.mrn for p in made if mrnblocks.is_provisional(p.mrn)]
    assert len(provisional) == 4  # 3 from each block, then 2 provisional per PC
    assert len({p.mrn for p in made}) == 10
    clinic.sync_all(rounds=3)
    charts = ws1.charts()
    assert charts == ws2.charts()
    final = [m for m in charts if m.startswith("0")]
    assert len(final) == len(charts) == 10 and all(is_valid_mrn(m) for m in final)
    for old in provisional:  # paper with the provisional number still finds the chart
        assert ws1.search(old) and ws2.search(old)
    with ws2.store.db.read() as conn:
        assert sync_sql.provisional(conn) == []


def test_one_mrn_typed_on_two_pcs_offline_becomes_a_conflict(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    ws3 = clinic.join("office")
    ws1.register("Kowalski", "Jan", "1970-01-01", mrn="HAND-1")
    ws2.register("Kowalska", "Ewa", "1971-01-01", mrn="HAND-1")
    ws1.sync()
    clinic.sync_all()
    charts = ws1.charts()
    assert charts == ws2.charts() == ws3.charts()
    assert len(charts) == 2 and "HAND-1" in charts
    assert charts["HAND-1"][0] == "Kowalski"  # the first in the clinic's order keeps it
    conflicts = [list_conflicts(ws.session) for ws in (ws1, ws2, ws3)]
    assert all(len(c) == 1 and c[0].kind == "mrn" for c in conflicts)
    assert len({c[0].id for c in conflicts}) == 1
    assert len({(c[0].id, c[0].server, c[0].field) for c in conflicts}) == 1


def test_one_mrn_given_to_two_charts_by_edits_offline_converges(clinic) -> None:
    ws1 = clinic.attach_first()
    a = ws1.register("Varga", "Anna", "1960-06-01")
    b = ws1.register("Varga", "Bela", "1962-06-02")
    ws2 = clinic.join("front-2")
    ws3 = clinic.join("office")
    ws1.edit(a.mrn, mrn="HAND-2")
    ws2.edit(b.mrn, mrn="HAND-2")
    ws3.sync()
    clinic.sync_all()
    charts = ws1.charts()
    assert charts == ws2.charts() == ws3.charts()
    assert charts["HAND-2"][1] == "Anna"  # first in the clinic's order
    conflicts = [list_conflicts(ws.session) for ws in (ws1, ws2, ws3)]
    assert all(len(c) == 1 and c[0].kind == "mrn" for c in conflicts)
    assert len({(c[0].id, c[0].server) for c in conflicts}) == 1


def test_a_sync_after_a_sync_pulls_nothing_again(clinic) -> None:
    ws1 = clinic.attach_first()
    for i in range(3):
        ws1.register("Ito", GIVEN[i], "1988-08-0" + str(i + 1))
    ws2 = clinic.join("front-2")
    again = client.sync_once(ws2.store)
    assert (again.pushed, again.pulled) == (0, 0)
    with ws2.store.db.read() as conn:
        # every event once: registrations, the 3 accounts and the clinic's name, audit rows
        assert sync_sql.applied_count(conn) == len(server_events(ws2))
    assert len(server_changes(ws2)) == 3 + 3 + 1


def _server_exec(clinic, sql: str, *params) -> None:
    with clinic.pg.cluster.admin_connect(clinic.pg.name) as pg:
        pg.execute(sql, params)


def test_an_altered_or_moved_event_is_refused_and_nothing_of_it_applied(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    p = ws1.register("Silva", "Rui", "1966-06-06")
    ws1.sync()
    _server_exec(clinic, "ALTER TABLE events DISABLE TRIGGER events_append_only")
    altered = server_changes(ws1)[-1]  # the registration (the audit rows' batch follows it)
    _server_exec(
        clinic,
        "UPDATE events SET ciphertext = overlay(ciphertext placing '\\x00'::bytea from 20) "
        "WHERE seq = %s",
        altered,
    )
    with ws2.store.db.read() as conn:
        cursor = sync_sql.state(conn).cursor
    with pytest.raises(ServerRefused, match="integrity check"):
        ws2.sync()
    assert p.mrn not in ws2.charts()
    with ws2.store.db.read() as conn:
        assert sync_sql.state(conn).cursor == cursor
    # Moving another PC's event to this PC's name is caught just the same.
    with ws2.store.db.read() as conn:
        ws2_id = sync_sql.state(conn).workstation_id
    _server_exec(clinic, "DELETE FROM events WHERE seq >= %s", altered)
    ws1.register("Silva", "Ana", "1967-07-07")
    ws1.sync()
    _server_exec(
        clinic, "UPDATE events SET workstation_id = %s WHERE seq = %s", ws2_id,
        server_changes(ws1)[-1],
    )  # fmt: skip
    with pytest.raises(ServerRefused):
        ws2.sync()


def test_an_event_the_server_withheld_is_listed_as_an_order_conflict(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    ws1.register("Berg", "Ola", "1955-05-05")
    ws1.register("Berg", "Kari", "1956-06-06")
    ws1.sync()
    _server_exec(clinic, "ALTER TABLE events DISABLE TRIGGER events_append_only")
    _server_exec(
        clinic,
        "DELETE FROM events WHERE seq = (SELECT max(seq) - 1 FROM events WHERE "
        "workstation_id = (SELECT workstation_id FROM events ORDER BY seq DESC LIMIT 1))",
    )
    ws2.sync()
    kinds = [c.kind for c in list_conflicts(ws2.session)]
    assert kinds == ["order"]


def test_patients_import_on_a_networked_pc_is_shared(clinic, tmp_path) -> None:
    from clinicrecords.registry.patient_import import import_patients_csv
    from clinicrecords.synthetic import generate_patients, write_synthea_csv

    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    write_synthea_csv(generate_patients(25, seed=3), tmp_path / "p.csv")
    import_patients_csv(ws1.session, tmp_path / "p.csv")
    import_patients_csv(ws2.session, tmp_path / "p.csv")  # the same file on two PCs, offline
    clinic.sync_all()
    assert ws1.charts() == ws2.charts()
    assert len(ws1.charts()) == 50  # twice: the same people, to merge by hand
    kinds = {c.kind for c in list_conflicts(ws1.session)}
    assert kinds == {"duplicate"} and len(list_conflicts(ws2.session)) == 25
