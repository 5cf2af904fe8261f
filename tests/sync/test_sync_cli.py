"""The clinic network through the command line, as scripts use it, and with real kill -9:
subprocesses are killed in the middle of a push and of a pull, and the server is stopped in
the middle of a batch; the next sync carries on and nothing is lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clinicrecords.db import sync_sql
from clinicrecords.db.connection import open_connection
from clinicrecords.registry.patients import PatientInput, insert_validated, validate
from clinicrecords.synthetic import generate_patients
from tests.conftest import PASSPHRASE, PASSWORD
from tests.pgserver import wait_until
from tests.sync.workstations import server_changes

SECRET = "n0t-to-be-printed"
ENV = {
    "CLINICRECORDS_PASSPHRASE": PASSPHRASE,
    "CLINICRECORDS_PASSWORD": PASSWORD,
    "CLINICRECORDS_USER": "admin",
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(ENV)
    return env


def cli(data: Path, *args: str) -> subprocess.CompletedProcess:
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=180,
    )
    assert SECRET not in r.stdout and SECRET not in r.stderr
    return r


def ok_json(data: Path, *args: str) -> dict:
    r = cli(data, *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _url_with_password(pg) -> str:
    c = pg.cluster
    return f"postgresql://{c.superuser}:{SECRET}@/{pg.name}?host={c.socket_dir}"


@pytest.mark.slow
def test_command_line_contract(pg, store_dir: Path, tmp_path: Path) -> None:
    url = _url_with_password(pg)  # the local test server trusts its socket: password unused
    ws1, ws2 = store_dir, tmp_path / "front-2"
    attached = ok_json(ws1, "server", "attach", url, "--name", "front-1")
    assert attached["workstation_no"] == 1
    joined = ok_json(ws2, "join", url, "--admin", "admin", "--name", "front-2")
    assert joined["workstation_no"] == 2 and joined["clinic_id"] == attached["clinic_id"]

    added = ok_json(
        ws1, "patients", "add", "--family", "Okafor", "--given", "Chidi", "--dob", "1961-05-17",
        "--phone", "555-0100",
    )  # fmt: skip
    mrn = added["mrn"]
    first = ok_json(ws1, "sync")
    assert first == {"pushed": 1, "pulled": 1, "conflicts": 0, "online": True}
    assert ok_json(ws2, "sync")["pulled"] == 1

    assert ok_json(ws1, "patients", "edit", mrn, "--phone", "555-1111")["phone"] == "555-1111"
    r = cli(ws2, "patients", "edit", mrn, "--phone", "555-2222", "--user", "admin")
    assert r.returncode == 0, r.stderr
    ok_json(ws1, "sync")
    assert ok_json(ws2, "sync", "--user", "admin")["conflicts"] == 1
    assert ok_json(ws1, "sync")["conflicts"] == 1
    listed = ok_json(ws1, "conflicts", "list")["conflicts"]
    assert len(listed) == 1
    conflict = listed[0]
    assert conflict["field"] == "phone" and conflict["mrn"] == mrn
    assert {conflict["server"], conflict["local"]} == {"555-1111", "555-2222"}

    resolved = ok_json(ws1, "conflicts", "resolve", conflict["id"], "--keep", "local")
    assert resolved["current"] == "555-1111" and resolved["resolved_at"]
    ok_json(ws1, "sync")
    ok_json(ws2, "sync", "--user", "admin")
    for ws in (ws1, ws2):
        assert ok_json(ws, "conflicts", "list", "--user", "admin" if ws == ws2 else "admin") == {
            "conflicts": []
        }
    one = ok_json(ws1, "patients", "list")["patients"]
    two = ok_json(ws2, "patients", "list", "--user", "admin")["patients"]
    strip = [{k: v for k, v in p.items() if k not in ("patient_id", "last_activity")} for p in one]
    assert strip == [
        {k: v for k, v in p.items() if k not in ("patient_id", "last_activity")} for p in two
    ]
    assert one[0]["phone"] == "555-1111"

    status = ok_json(ws2, "sync", "status")
    assert status["online"] is True and status["outbox"] == 0 and status["last_sync"]
    assert status["server"] == url.replace(f":{SECRET}", "")
    assert status["offline_since"] is None and status["last_error"] == ""

    pg.cluster.stop()
    try:
        ok_json(ws1, "patients", "edit", mrn, "--address", "1 Offline Rd")  # works offline
        r = cli(ws1, "sync", "--json")
        assert r.returncode == 11 and r.stdout == ""
        assert r.stderr.count("\n") == 1 and "cannot be reached" in r.stderr
        status = ok_json(ws1, "sync", "status")
        assert status["online"] is False and status["outbox"] == 1
        assert status["offline_since"] == status["last_sync"] and status["offline_since"]
        assert "cannot be reached" in status["last_error"] and SECRET not in status["last_error"]
    finally:
        pg.cluster.start()
    assert ok_json(ws1, "sync")["pushed"] == 1

    for ws, user in ((ws1, "admin"), (ws2, "admin")):
        ok_json(ws, "sync", "--user", user)
        assert cli(ws, "verify", "--user", user).returncode == 0
        assert cli(ws, "audit", "verify", "--user", user).returncode == 0


def test_command_line_refusals(pg, store_dir: Path, tmp_path: Path) -> None:
    r = cli(store_dir, "server", "attach", f"postgresql://admin:{SECRET}@db.clinic.lan/clinic")
    assert r.returncode == 2 and "verify-full" in r.stderr and r.stderr.count("\n") == 1
    r = cli(store_dir, "sync")
    assert r.returncode == 2 and "not on a clinic network" in r.stderr
    url = _url_with_password(pg)
    assert cli(store_dir, "server", "attach", url).returncode == 0
    intruder = tmp_path / "intruder"
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(intruder), "join", url,
         "--admin", "eve"],
        capture_output=True, text=True, timeout=120,
        env={**_env(), "CLINICRECORDS_PASSPHRASE": "a wrong passphrase"},
    )  # fmt: skip
    assert r.returncode == 3 and "passphrase is not correct" in r.stderr
    assert not intruder.exists() or not any(intruder.iterdir())


def test_init_db_prints_a_script_without_secrets(tmp_path: Path) -> None:
    r = cli(tmp_path, "server", "init-db", "--database", "clinic_a", "--role", "clinic_app")
    assert r.returncode == 0
    assert "CREATE ROLE clinic_app LOGIN PASSWORD :'app_password'" in r.stdout
    assert "CREATE DATABASE clinic_a" in r.stdout and "GRANT SELECT, INSERT ON events" in r.stdout


# --- kill -9 ----------------------------------------------------------------------------------


def _bulk_register(ws, n: int) -> None:
    """n charts in one transaction through the registry service (as a CSV import does)."""
    people = generate_patients(n, seed=5, confusable_rate=0)
    with ws.session.db.write() as conn:
        for i, p in enumerate(people):
            fields = PatientInput(p.family, p.given, p.dob, p.sex, phone=p.phone, mrn=f"K{i:06d}")
            insert_validated(ws.session, conn, validate(fields), None, None)


def _server_count(pg) -> int:
    with pg.cluster.admin_connect(pg.name) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def _spawn_sync(data: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(data), "sync", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _kill_when(proc: subprocess.Popen, midway) -> bool:
    """kill -9 the moment ``midway()`` holds; False if the process finished first."""
    while proc.poll() is None:
        if midway():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.002)
    return False


@pytest.mark.slow
def test_kill_9_during_push_and_pull_loses_and_doubles_nothing(clinic) -> None:
    n = 2500
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    base = _server_count(clinic.pg)
    base_changes = len(server_changes(ws1))
    _bulk_register(ws1, n)

    killed_in_push = 0
    for _ in range(8):
        if killed_in_push >= 2:
            break
        before = _server_count(clinic.pg)
        if before == base + n:
            break
        proc = _spawn_sync(ws1.data_dir)
        if _kill_when(proc, lambda b=before: b < _server_count(clinic.pg) < base + n):
            killed_in_push += 1
        assert _server_count(clinic.pg) <= base + n
    assert killed_in_push >= 1, "no push was caught in the middle"
    ws1.sync()
    assert len(server_changes(ws1)) == base_changes + n  # every change once on the server

    reader = open_connection(ws2.store.db.path, ws2.store.db.key)
    try:

        def applied() -> int:
            return sync_sql.applied_count(reader)

        killed_in_pull, cut = 0, False
        for _ in range(8):
            start = applied()
            if start >= base + n or (killed_in_pull >= 2 and cut):
                break
            proc = _spawn_sync(ws2.data_dir)
            if killed_in_pull < 2:
                if _kill_when(proc, lambda s=start: s < applied() < base + n):
                    killed_in_pull += 1
                continue
            # The network goes away in the middle of a batch: the server stops.
            assert wait_until(lambda s=start, p=proc: applied() > s or p.poll() is not None, 60)
            clinic.pg.cluster.stop("fast")
            out, err = proc.communicate(timeout=60)
            clinic.pg.cluster.start()
            if proc.returncode != 0:
                assert proc.returncode == 11 and err.count("\n") == 1, err
                cut = True
        assert killed_in_pull >= 1, "no pull was caught in the middle"
    finally:
        reader.close()

    ws2.sync()
    ws1.sync()
    charts1, charts2 = ws1.charts(), ws2.charts()
    assert len(charts1) == n and charts1 == charts2
    for ws in (ws1, ws2):
        with ws.store.db.read() as conn:  # every event once (changes and audit-row batches)
            assert sync_sql.applied_count(conn) == _server_count(clinic.pg)
            assert sync_sql.outbox_counts(conn) == (0, 0)
        assert len(server_changes(ws)) == base_changes + n
        family, given = next(iter(charts1.values()))[:2]
        assert ws.search(f"{family} {given}")
