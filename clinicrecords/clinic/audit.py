"""The audit trail: append-only and hash-chained.

Each row's hash covers its own id and content and the hash of the row before it, so editing a
row, removing one or moving one breaks the chain at that point. Removing the newest rows is
caught by SQLite's AUTOINCREMENT sequence and by the chain head kept in the settings table.
The table also refuses UPDATE and DELETE by trigger, so only someone who deliberately drops
the triggers can tamper, and ``audit verify`` then says where.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from clinicrecords.common import oscompat
from clinicrecords.common.timeutil import utc_now
from clinicrecords.db import audit_sql, settings_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.pagestore import fsync_dir

if TYPE_CHECKING:
    from clinicrecords.clinic.store import Store

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
    # On a clinic network (``audit_chains.py``): one entry per workstation's chain, this PC's
    # first, and the server's order as this replica received it.
    workstations: list[dict] = field(default_factory=list)
    server_order: list[str] | None = None

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


# --- the head, recorded outside the database ---------------------------------------------
#
# Why: the database runs in WAL mode, so the newest committed transactions live only in
# ``clinic.db-wal`` until a checkpoint copies them into ``clinic.db``. If that file is damaged
# or removed, SQLite silently opens the database as it was at the last checkpoint: committed
# work is gone, and the chain above still verifies, because the head kept in the settings
# table went with it. So after every commit the store also writes ``audit-head`` beside the
# database: the number of commits so far, the newest audit row's id and hash, signed with a
# key derived from the master key (so it cannot be edited to match a shorter trail). A
# database behind that record has lost work; one ahead of it is fine (the program stopped
# between a commit and the record's update).

HEAD_FILE = "audit-head"
HEAD_FORMAT = "clinicrecords-audit-head"
COMMITS_KEY = "store.commits"


@dataclass(frozen=True)
class Head:
    commits: int  # write transactions committed by this store, ever
    audit_id: int  # newest audit row (ids are 1..N, so this is also the row count)
    audit_hash: str
    at: str  # UTC time the record was made


@dataclass(frozen=True)
class Loss:
    """Committed work the record says existed and the database no longer holds."""

    lost_commits: int
    lost_actions: int | None  # None: rows were replaced by others, the count is unknown
    recorded: Head
    surviving_at: str | None  # time of the newest audit row the database still holds

    def sentence(self, backup: tuple[str, str] | None) -> str:
        """One line for the clerk: what was lost, and which backup (if any) holds it.
        ``backup`` is (folder, created_at) of the newest backup known, or None."""
        upto = _when(self.recorded.at)
        if self.lost_actions:
            what = f"The last {self.lost_actions} recorded actions (up to {upto})"
        elif self.lost_actions is None:
            what = f"Recorded actions (up to {upto})"
        else:
            what = f"The last {self.lost_commits} saved changes (up to {upto})"
        head = (
            f"{what} are missing from the database: its journal (clinic.db-wal) was damaged "
            "or removed."
        )
        keep = "have an administrator run 'clinicrecords verify --accept-loss' to keep working"
        if backup is None:
            since = f" if it was made after {_when(self.surviving_at)}" if self.surviving_at else ""
            return f"{head} Restore from your most recent backup{since}, or {keep} without them."
        folder, made = backup
        if self.surviving_at is None or made > self.surviving_at:
            return (
                f"{head} Restore from the backup in {folder} (made {_when(made)}), or {keep} "
                "without them."
            )
        return (
            f"{head} The newest known backup ({folder}, made {_when(made)}) is older than what "
            f"remains, so re-enter that work and {keep}."
        )


def _when(ts: str | None) -> str:
    return "?" if not ts else ts.replace("T", " ").removesuffix("Z")[:16] + " UTC"


def count_commit(conn: Connection) -> Head:
    """Inside every write transaction, just before COMMIT: count it, and say what the head
    will be once it is committed."""
    commits = settings_sql.bump(conn, COMMITS_KEY)
    last = audit_sql.last_row(conn)
    return Head(commits, last[0] if last else 0, last[1] if last else GENESIS, utc_now())


def current_head(conn: Connection) -> Head:
    last = audit_sql.last_row(conn)
    return Head(
        int(settings_sql.get(conn, COMMITS_KEY, 0)),
        last[0] if last else 0,
        last[1] if last else GENESIS,
        utc_now(),
    )


def _head_body(store_id: str, head: Head) -> dict:
    return {
        "format": HEAD_FORMAT,
        "version": 1,
        "store_id": store_id,
        "commits": head.commits,
        "audit_id": head.audit_id,
        "audit_hash": head.audit_hash,
        "at": head.at,
    }


def _sign_head(body: dict, key: bytes) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def write_head_file(folder: Path, key: bytes, store_id: str, head: Head, durable: bool) -> None:
    """Atomically (temp file, rename): a crash leaves the old record or the new one.

    ``durable`` also fsyncs the file before the rename and the folder after it. See the
    README ("What survives what") for the measured cost and the choice."""
    body = _head_body(store_id, head)
    body["hmac"] = _sign_head(body, key)
    data = (json.dumps(body, indent=1) + "\n").encode()
    path = folder / HEAD_FILE
    tmp = folder / f".{HEAD_FILE}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        oscompat.replace(tmp, path)  # a reader in another process: retried on Windows
        if durable:
            fsync_dir(folder)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class HeadFileDamaged(ValueError):
    pass


def read_head_file(folder: Path, key: bytes, store_id: str) -> Head | None:
    """The recorded head, None if there is no record; HeadFileDamaged if it does not check."""
    try:
        doc = json.loads(oscompat.retry_on_sharing(lambda: (folder / HEAD_FILE).read_text("utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise HeadFileDamaged("unreadable") from exc
    if not isinstance(doc, dict) or doc.get("format") != HEAD_FORMAT:
        raise HeadFileDamaged("not a head record")
    body = {k: v for k, v in doc.items() if k != "hmac"}
    if not hmac.compare_digest(str(doc.get("hmac", "")), _sign_head(body, key)):
        raise HeadFileDamaged("signature does not match")
    if doc.get("store_id") != store_id:
        raise HeadFileDamaged("another store's record")
    try:
        return Head(
            int(doc["commits"]), int(doc["audit_id"]), str(doc["audit_hash"]), str(doc["at"])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise HeadFileDamaged("incomplete") from exc


def compare_head(conn: Connection, recorded: Head) -> Loss | None:
    """None if the database holds everything the record says was committed."""
    commits = int(settings_sql.get(conn, COMMITS_KEY, 0))
    last = audit_sql.last_row(conn)
    db_id = last[0] if last else 0
    replaced = False
    if recorded.audit_id and recorded.audit_id <= db_id:
        row = audit_sql.row_at(conn, recorded.audit_id)
        replaced = row is None or row[0] != recorded.audit_hash
    if commits >= recorded.commits and db_id >= recorded.audit_id and not replaced:
        return None
    return Loss(
        lost_commits=max(recorded.commits - commits, 0),
        lost_actions=None if replaced else recorded.audit_id - db_id,
        recorded=recorded,
        surviving_at=audit_sql.newest_ts(conn),
    )
