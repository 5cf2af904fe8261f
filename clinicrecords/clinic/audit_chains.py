"""``audit verify`` on a clinic network: every workstation's chain, and the server's order.

Each PC keeps its own hash chain (``audit.py``); the chains of the other PCs arrive as they
were written (``sync/audit_chain.py``) and are walked here with the same rules: ids 1, 2, 3…
with none missing, each row naming the hash of the one before, each row's hash matching its
content. A PC only holds the other chains up to their last sync, so a chain ends where its
newest shared row ends: that is not a problem, a gap or an edit is. The server's order is
checked as this replica saw it: each workstation's events came numbered without a gap (an
open ``order`` conflict says where one was missing), and no server sequence number came twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from clinicrecords.clinic.audit import GENESIS, _row_hash
from clinicrecords.db import sync_records_sql, sync_sql
from clinicrecords.db.connection import Connection


@dataclass
class ChainReport:
    workstation_id: str
    name: str
    rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {
            "workstation_id": self.workstation_id,
            "name": self.name,
            "rows": self.rows,
            "ok": self.ok,
            "problems": list(self.problems),
        }


def verify_remote_chains(conn: Connection) -> list[ChainReport]:
    """One report per other workstation whose audit rows this PC holds."""
    out = []
    for ws_id, name in sync_records_sql.remote_workstations(conn):
        report = ChainReport(ws_id, name or ws_id[:8])
        prev_hash, expected = GENESIS, 1
        for row in sync_records_sql.iter_remote_audit(conn, ws_id):
            report.rows += 1
            rid = int(row["id"])
            if rid != expected:
                report.problems.append(f"audit rows {expected}..{rid - 1} are missing")
            if row["prev_hash"] != prev_hash:
                report.problems.append(f"audit row {rid} does not follow the row before it")
            if _row_hash(row) != row["hash"]:
                report.problems.append(f"audit row {rid} was edited after it was written")
            prev_hash, expected = row["hash"], rid + 1
        out.append(report)
    return out


def verify_server_order(conn: Connection) -> list[str]:
    """Problems with the clinic's order as this replica received it ([] on a stand-alone PC)."""
    if not sync_sql.is_attached(conn):
        return []
    problems = [
        f"the server withheld or lost events of workstation {ws[:8]} (expected its change "
        f"{expected}, received {came})"
        for ws, expected, came in sync_records_sql.open_order_conflicts(conn)
    ]
    if sync_records_sql.applied_out_of_order(conn):
        problems.append("the server gave one sequence number to two events")
    return problems
