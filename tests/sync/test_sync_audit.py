"""Audit across PCs: each workstation keeps its own hash chain, every chain travels to every
PC as it was written, ``audit verify`` checks each one and the server's order and says so per
workstation, and a PC that applies a change from another PC records that in its own chain."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from clinicrecords.admin.review import verify_audit
from tests.sync.test_sync_cli import _env


def _own_rows(ws) -> list[tuple]:
    conn = ws.store.db.connection()
    return [tuple(r) for r in conn.execute("SELECT id, hash FROM audit_log ORDER BY id")]


def _held_rows(ws, other) -> list[tuple]:
    """The rows of ``other``'s chain that ``ws`` holds."""
    ws_id = other.store.db.connection().execute("SELECT workstation_id FROM sync_state")
    (other_id,) = ws_id.fetchone()
    conn = ws.store.db.connection()
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT id, hash FROM sync_audit WHERE workstation_id = ? ORDER BY id", (other_id,)
        )
    ]


@pytest.mark.slow
def test_every_chain_travels_and_is_verified_per_workstation(clinic) -> None:
    ws1 = clinic.attach_first("front-1")
    chart = ws1.register("Ingersoll", "Jude", "1955-05-05", phone="555-0101")
    ws2 = clinic.join("office")
    ws3 = clinic.join("front-2")
    ws2.edit(chart.mrn, phone="555-0202")
    clinic.sync_all(rounds=3)

    # the edit arrived on ws1 and ws3: each wrote a row naming the PC that made it
    conn = ws1.store.db.connection()
    details = [
        json.loads(r[0])
        for r in conn.execute("SELECT detail FROM audit_log WHERE action = 'sync.applied'")
    ]
    ws2_id = ws2.store.db.connection().execute("SELECT workstation_id FROM sync_state")
    assert {"type": "patient.field_changed", "workstation": ws2_id.fetchone()[0]}.items() <= (
        details[-1].items()
    )

    for ws in (ws1, ws2, ws3):  # each PC holds the others' chains as they were written
        for other in (ws1, ws2, ws3):
            if other is not ws:
                held = _held_rows(ws, other)
                assert held and held == _own_rows(other)[: len(held)]
        report = verify_audit(ws.session)
        assert report.ok, report.problems
        assert [w["this_pc"] for w in report.workstations] == [True, False, False]
        assert report.server_order == []

    # someone edits a row of front-1's chain as stored on the office PC
    conn = ws2.store.db.connection()
    conn.execute("DROP TRIGGER sync_audit_no_update")
    conn.execute(
        "UPDATE sync_audit SET username = 'nobody' WHERE id = 2 AND workstation_id = "
        "(SELECT workstation_id FROM sync_audit a JOIN sync_workstations w USING "
        "(workstation_id) WHERE w.name = 'front-1' LIMIT 1)"
    )
    conn.commit()
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(ws2.data_dir), "audit",
         "verify"],
        capture_output=True, text=True, env=_env(), timeout=120,
    )  # fmt: skip
    assert r.returncode == 8, r.stderr
    assert "Workstation office (this PC):" in r.stdout and "chain intact" in r.stdout
    assert "workstation front-1: audit row 2 was edited after it was written" in r.stdout
    assert "The server's order: intact." in r.stdout
