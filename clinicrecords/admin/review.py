"""What the administrator's screens read and do beyond ``auth`` and ``settings``.

Mostly review: the audit trail page by page, the chain check, and the emergency accesses
("break the glass") that wait for an administrator to look at what was read. Also the account
list with lock-outs, the account switch that refuses to leave the clinic without an active
administrator, and saving several settings as one change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clinicrecords.clinic import audit, audit_chains, auth, settings
from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput
from clinicrecords.db import audit_sql, settings_sql, sync_sql, users_sql

PENDING_KEY = "emergency.pending_review"
MAX_REVIEW_ROWS = 500  # rows shown per emergency access; the audit trail holds them all


# --- accounts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    full_name: str
    role: str
    active: bool
    locked_until: datetime | None  # set only while a lock-out is running
    failed_logins: int


def accounts(session: Session) -> list[Account]:
    """Every account with its lock-out state, which ``auth.list_users`` does not carry."""
    session.require("user.manage")
    now = datetime.now(UTC)
    out = []
    with session.db.read() as conn:
        for r in users_sql.all_users(conn):
            until = datetime.fromisoformat(r["locked_until"]) if r["locked_until"] else None
            out.append(
                Account(
                    username=r["username"],
                    full_name=r["full_name"] or "",
                    role=r["role"],
                    active=bool(r["active"]),
                    locked_until=until if until and until > now else None,
                    failed_logins=int(r["failed_logins"] or 0),
                )
            )
    return out


def set_account_active(session: Session, username: str, active: bool) -> None:
    """``auth.set_active``, refusing to switch off one's own account or the last administrator."""
    session.require("user.manage")
    if not active:
        if username == session.user.username:
            raise BadInput("You cannot deactivate your own account while signed in with it.")
        with session.db.read() as conn:
            rows = users_sql.all_users(conn)
        target = next((r for r in rows if r["username"] == username), None)
        admins = [r for r in rows if r["role"] == "admin" and r["active"]]
        if target is not None and target["role"] == "admin" and len(admins) <= 1:
            raise BadInput("This is the only active administrator: add another one first.")
    auth.set_active(session, username, active)


def save_settings(session: Session, changes: dict[str, Any]) -> dict[str, Any]:
    """Write several settings as one change: all are checked first, then all commit together."""
    session.require("settings.edit")
    for key, value in changes.items():
        if key not in settings.SETTINGS:
            raise BadInput(f"There is no setting called '{key}'.")
        settings.coerce(settings.SETTINGS[key], value)
    saved = {}
    with session.db.write():  # set_setting's own writes join this transaction
        for key, value in changes.items():
            saved[key] = settings.set_setting(session, key, value)
    return saved


# --- the audit trail ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    id: int
    ts: str  # UTC, ISO 8601 with a trailing Z
    username: str
    action: str
    object_type: str
    object_id: str
    detail: str  # JSON

    @property
    def object(self) -> str:
        return f"{self.object_type} {self.object_id}".strip()


def _row(r: dict) -> AuditRow:
    return AuditRow(
        id=int(r["id"]),
        ts=r["ts"],
        username=r["username"],
        action=r["action"],
        object_type=r["object_type"],
        object_id=str(r["object_id"]),
        detail=r["detail"],
    )


def recent_rows(session: Session, limit: int, offset: int = 0, text: str = "") -> list[AuditRow]:
    """The newest audit rows, ``text`` (if any) found in the action, user name or object."""
    session.require("audit.read")
    if limit < 1 or offset < 0:
        raise BadInput("Ask for at least one row, from the start or further on.")
    with session.db.read() as conn:
        return [_row(r) for r in audit_sql.page(conn, limit, offset, text.strip())]


def newest_rows(session: Session, limit: int) -> list[dict]:
    """The command line's ``audit list``: the newest rows as plain dicts for its JSON (SQLite's
    LIMIT: 0 gives none, a negative limit every row, which a script exporting the trail uses)."""
    session.require("audit.read")
    with session.db.read() as conn:
        return audit_sql.recent(conn, limit)


def verify_audit(session: Session) -> audit.AuditReport:
    """Walk the whole chain on a private connection (it may take a while on a large trail)."""
    session.require("audit.verify")
    conn = session.db.new_connection()
    try:
        report = audit.verify(conn)
        state = sync_sql.state(conn)
        if state is None:
            return report
        local = audit_chains.ChainReport(
            state.workstation_id, state.workstation, report.rows, list(report.problems)
        )
        others = audit_chains.verify_remote_chains(conn)
        for chain in others:
            report.problems += [f"workstation {chain.name}: {p}" for p in chain.problems]
        report.server_order = audit_chains.verify_server_order(conn)
        report.problems += report.server_order
        report.workstations = [local.as_dict() | {"this_pc": True}] + [
            c.as_dict() | {"this_pc": False} for c in others
        ]
        return report
    finally:
        conn.close()


# --- emergency access review ----------------------------------------------------------------


@dataclass(frozen=True)
class EmergencyReview:
    index: int  # position in the pending list, the argument of mark_reviewed
    username: str
    reason: str
    start_id: int | None  # the emergency.start audit row, when it could be matched
    started: str | None
    rows: list[AuditRow] = field(default_factory=list)  # written under this emergency access

    @property
    def entry(self) -> dict:
        return {"user": self.username, "reason": self.reason}


def _reviewed_start_ids(conn) -> set[int]:  # type: ignore[no-untyped-def]
    done = set()
    for r in audit_sql.rows_with_action(conn, "emergency.reviewed"):
        start = json.loads(r["detail"]).get("start_id")
        if isinstance(start, int):
            done.add(start)
    return done


def _reviews(conn) -> list[EmergencyReview]:  # type: ignore[no-untyped-def]
    pending = settings_sql.get(conn, PENDING_KEY, [])
    reviewed = _reviewed_start_ids(conn)
    unmatched: dict[str, list[dict]] = {}
    out: list[EmergencyReview] = []
    for index, entry in enumerate(pending):
        user, reason = str(entry.get("user", "")), str(entry.get("reason", ""))
        if user not in unmatched:
            unmatched[user] = [
                r
                for r in audit_sql.rows_with_action(conn, "emergency.start", user)
                if r["id"] not in reviewed
            ]
        start = next(
            (r for r in unmatched[user] if json.loads(r["detail"]).get("reason") == reason), None
        )
        if start is None:
            out.append(EmergencyReview(index, user, reason, None, None))
            continue
        unmatched[user].remove(start)
        end = audit_sql.next_id_with_actions(
            conn, user, ("emergency.end", "emergency.start"), start["id"]
        )
        rows = audit_sql.emergency_rows(conn, user, start["id"], end, MAX_REVIEW_ROWS)
        # the next emergency.start, if that is where this one stops, belongs to the next one
        rows = [r for r in rows if r["id"] != end or r["action"] == "emergency.end"]
        out.append(
            EmergencyReview(index, user, reason, start["id"], start["ts"], [_row(r) for r in rows])
        )
    return out


def pending_emergency_reviews(session: Session) -> list[EmergencyReview]:
    """Each pending emergency access with the rows its user wrote under it.

    The pending list (kept by ``Session.break_glass``) holds only the user and the reason, so
    each entry is matched, in order, to that user's not yet reviewed ``emergency.start`` row
    with the same reason; its rows run to the user's next ``emergency.end`` or ``.start``.
    """
    session.require("audit.read")
    with session.db.read() as conn:
        return _reviews(conn)


def mark_reviewed(session: Session, index: int, note: str, expected: dict | None = None) -> None:
    """Take one emergency access off the pending list, with the reviewer's note (audited).

    ``expected`` (the entry as the screen showed it) guards against a list that changed
    meanwhile, for instance another administrator reviewing the same entry.
    """
    session.require("audit.read")
    note = note.strip()
    if not note:
        raise BadInput("Write a short note on what you found before marking it reviewed.")
    with session.db.write() as conn:
        pending = settings_sql.get(conn, PENDING_KEY, [])
        if not 0 <= index < len(pending) or (expected is not None and pending[index] != expected):
            raise BadInput("The list of emergency accesses changed meanwhile. Look at it again.")
        start_id = next((r.start_id for r in _reviews(conn) if r.index == index), None)
        entry = pending.pop(index)
        settings_sql.put(conn, PENDING_KEY, pending)
        session.audit(
            "emergency.reviewed",
            "user",
            str(entry.get("user", "")),
            conn=conn,
            start_id=start_id,
            note=note,
        )


def pending_count(session: Session) -> int:
    """How many emergency accesses wait for review (for the status bar)."""
    session.require("audit.read")
    with session.db.read() as conn:
        return len(settings_sql.get(conn, PENDING_KEY, []))
