"""The audit trail: append-only and hash-chained.

Each row's hash covers its own id and content and the hash of the row before it, so editing a
row, removing one or moving one breaks the chain at that point. Removing the newest rows is
caught by SQLite's AUTOINCREMENT sequence and by the chain head kept in the settings table.
The table also refuses UPDATE and DELETE by trigger, so only someone who deliberately drops
the triggers can tamper, and ``audit verify`` then says where.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from clinicrecords.db import audit_sql, settings_sql
from clinicrecords.db.connection import Connection
from clinicrecords.timeutil import utc_now

if TYPE_CHECKING:
    from clinicrecords.store import Store

GENESIS = "0" * 64
HEAD_KEY = "audit.head"


def _row_hash(row: dict) -> str:
    material = [
        row["id"],
        row["ts"],
        row["user_id"],
        row["username"],
        row["action"],
        row["object_type"],
        row["object_id"],
        row["detail"],
        row["prev_hash"],
    ]
    blob = json.dumps(material, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def append(
    conn: Connection,
    user_id: int | None,
    username: str,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    detail: dict | None = None,
) -> int:
    """Append one row inside the caller's write transaction (so it commits with the action)."""
    if not conn.in_transaction:
        raise RuntimeError("audit.append must run inside a write transaction")
    last = audit_sql.last_row(conn)
    prev_hash = last[1] if last else GENESIS
    new_id = max(last[0] if last else 0, audit_sql.sequence(conn)) + 1
    row = {
        "id": new_id,
        "ts": utc_now(),
        "user_id": user_id,
        "username": username,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "detail": json.dumps(detail or {}, sort_keys=True, separators=(",", ":")),
        "prev_hash": prev_hash,
    }
    row["hash"] = _row_hash(row)
    audit_sql.insert(conn, row)
    settings_sql.put(conn, HEAD_KEY, {"id": new_id, "hash": row["hash"]})
    return new_id


def append_unattended(
    store: Store, username: str, action: str, object_type: str = "", object_id: str | int = ""
) -> int:
    """One row, in its own write transaction, for an action no signed-in user took (the
    store's key recovered from the recovery sheet): ``username`` says what acted."""
    with store.db.write() as conn:
        return append(conn, None, username, action, object_type, object_id)


@dataclass
class AuditReport:
    rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(conn: Connection) -> AuditReport:
    """Walk the chain and say where it is broken: edits, removals and re-orderings."""
    report = AuditReport()
    prev_hash = GENESIS
    expected_id = 1
    last_id = 0
    for row in audit_sql.iter_rows(conn):
        report.rows += 1
        rid = int(row["id"])
        if rid != expected_id:
            if rid > expected_id:
                report.problems.append(f"audit rows {expected_id}..{rid - 1} are missing (removed)")
            else:
                report.problems.append(f"audit row {rid} is out of order")
        if row["prev_hash"] != prev_hash:
            report.problems.append(
                f"audit row {rid} does not follow the row before it (removed or re-ordered)"
            )
        if _row_hash(row) != row["hash"]:
            report.problems.append(f"audit row {rid} was edited after it was written")
        prev_hash = row["hash"]
        expected_id = rid + 1
        last_id = rid
    seq = audit_sql.sequence(conn)
    if seq > last_id:
        report.problems.append(f"the newest audit rows {last_id + 1}..{seq} were removed")
    head = settings_sql.get(conn, HEAD_KEY)
    if head is not None and (head.get("id") != last_id or head.get("hash") != prev_hash):
        report.problems.append("the audit trail does not end where it last ended (rows removed)")
    return report
