"""Live sync (``sync/loop.py``) against the real server: LISTEN/NOTIFY wake-up, outbox wake-up,
back-off while the server is away, recovery when it is back."""

from __future__ import annotations

import random
import time

import pytest

from clinicrecords.common.errors import BadInput
from clinicrecords.db import sync_sql
from clinicrecords.sync.loop import SyncLoop, backoff_delay
from tests.pgserver import wait_until

GIVEN = ["Anh", "Binh", "Chau", "Dung", "Hoa", "Khanh", "Linh", "Minh", "Nam", "Oanh"]


def _has(ws, mrn: str) -> bool:
    with ws.store.db.read() as conn:
        return sync_sql.patient_id_with_mrn(conn, mrn) is not None


def test_backoff_doubles_from_one_second_to_a_minute_with_jitter() -> None:
    rng = random.Random(7)
    for failures, base in [(1, 1), (2, 2), (3, 4), (4, 8), (7, 60), (30, 60)]:
        waits = [backoff_delay(failures, rng) for _ in range(50)]
        assert all(base / 2 <= w <= base for w in waits)
        assert len({round(w, 6) for w in waits}) > 1  # jittered


def test_loop_refuses_a_stand_alone_store(admin_session) -> None:
    with pytest.raises(BadInput):
        SyncLoop(admin_session.store).start()


@pytest.mark.slow
def test_a_registration_reaches_the_other_pc_within_two_seconds(clinic) -> None:
    ws1 = clinic.attach_first("front-1")
    ws2 = clinic.join("front-2")
    loops = [SyncLoop(ws.store, poll_s=30) for ws in (ws1, ws2)]  # polling cannot explain it
    for loop in loops:
        loop.start()
    try:
        assert wait_until(lambda: all(lp.status().online for lp in loops), 10)
        rng = random.Random(3)
        delays = []
        for i in range(20):
            time.sleep(rng.uniform(0, 0.3))
            p = ws1.register("Trần", GIVEN[i % 10], f"19{50 + i}-01-0{1 + i % 9}")
            t0 = time.perf_counter()
            assert wait_until(lambda mrn=p.mrn: _has(ws2, mrn), 5, 0.005)
            delays.append(time.perf_counter() - t0)
        delays.sort()
        p95 = delays[18]
        assert p95 < 2.0, delays
        # An edit travels the same way, and the status says so.
        ws2.edit(p.mrn, phone="555-7777")
        assert wait_until(lambda: ws1.charts()[p.mrn][3] == "555-7777", 5)
        assert wait_until(lambda: loops[1].status().outbox == 0, 5)
        s = loops[0].status()
        assert s.online and s.last_sync is not None and s.offline_since is None
        assert s.last_error == "" and s.running
    finally:
        for loop in loops:
            loop.stop()
    assert not loops[0].status().running


@pytest.mark.slow
def test_server_away_the_loop_backs_off_and_recovers(clinic) -> None:
    ws1 = clinic.attach_first("front-1")
    ws2 = clinic.join("front-2")
    loop1 = SyncLoop(ws1.store, poll_s=30, backoff_max_s=4)
    loop2 = SyncLoop(ws2.store, poll_s=30, backoff_max_s=4)
    loop1.start()
    loop2.start()
    try:
        assert wait_until(lambda: loop1.status().online and loop2.status().online, 10)
        clinic.pg.cluster.stop()
        try:
            assert wait_until(lambda: not loop1.status().online, 5)
            before = loop1.status()
            assert before.offline_since is not None
            assert "server" in before.last_error and "postgresql" not in before.last_error
            made = [ws1.register("Offline", GIVEN[i], "1970-01-01") for i in range(3)]
            assert wait_until(lambda: loop1.status().outbox == 3, 2)
            time.sleep(6)
            tried = loop1.status().attempts - before.attempts
            # 1 + 2 + 4 (capped at 4 here) s of waits: a busy loop would make hundreds.
            assert 1 <= tried <= 5, tried
            assert not loop1.status().online and loop1.status().outbox == 3
        finally:
            clinic.pg.cluster.start()
        # Back within one (capped, jittered) wait; the offline work reaches the other PC.
        assert wait_until(lambda: loop1.status().online, 10)
        for p in made:
            assert wait_until(lambda mrn=p.mrn: _has(ws2, mrn), 10)
        s = loop1.status()
        assert s.outbox == 0 and s.offline_since is None and s.last_error == ""
    finally:
        loop1.stop()
        loop2.stop()
