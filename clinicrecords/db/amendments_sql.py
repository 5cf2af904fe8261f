"""Amendment requests (45 CFR 164.526): SQL."""

from __future__ import annotations

import json
from collections.abc import Iterable

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection

_SELECT = (
    "SELECT a.*, p.mrn, coalesce(nullif(u.full_name, ''), u.username, '') AS decided_by_name "
    "FROM amendments a JOIN patients p ON p.id = a.patient_id "
    "LEFT JOIN users u ON u.id = a.decided_by "
)


def insert(
    conn: Connection,
    patient_id: int,
    document_id: int | None,
    text: str,
    received_on: str,
    due_on: str,
    user_id: int | None,
    at: str | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO amendments (patient_id, document_id, request_text, received_on, due_on, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (patient_id, document_id, text, received_on, due_on, user_id, at or utc_now()),
    )
    return int(cur.lastrowid)


def get(conn: Connection, amendment_id: int) -> dict | None:
    row = conn.execute(_SELECT + "WHERE a.id = ?", (amendment_id,)).fetchone()
    return None if row is None else dict(row)


def listing(conn: Connection, patient_id: int | None, open_only: bool) -> list[dict]:
    where, args = [], []
    if patient_id is not None:
        where.append("a.patient_id = ?")
        args.append(patient_id)
    if open_only:
        where.append("a.status = 'pending'")
    sql = _SELECT + (f"WHERE {' AND '.join(where)} " if where else "") + "ORDER BY a.due_on, a.id"
    return [dict(r) for r in conn.execute(sql, args)]


def extend(conn: Connection, amendment_id: int, on: str, reason: str, due_on: str) -> None:
    conn.execute(
        "UPDATE amendments SET extended_on = ?, extension_reason = ?, due_on = ? WHERE id = ?",
        (on, reason, due_on, amendment_id),
    )


def decide(
    conn: Connection,
    amendment_id: int,
    status: str,
    on: str,
    user_id: int | None,
    reason: str,
    notify: Iterable[str],
) -> None:
    conn.execute(
        "UPDATE amendments SET status = ?, decided_on = ?, decided_by = ?, decision_reason = ?, "
        "notify = ? WHERE id = ?",
        (status, on, user_id, reason, json.dumps(list(notify), ensure_ascii=False), amendment_id),
    )


def set_disagreement(conn: Connection, amendment_id: int, text: str, on: str) -> None:
    conn.execute(
        "UPDATE amendments SET disagreement = ?, disagreement_on = ? WHERE id = ?",
        (text, on, amendment_id),
    )


def travelling(conn: Connection, document_ids: list[int]) -> dict[int, list[dict]]:
    """Document id -> the amendments that go out with it: accepted ones, and denied ones
    with the patient's statement of disagreement."""
    out: dict[int, list[dict]] = {}
    for i in range(0, len(document_ids), 500):
        chunk = document_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        cur = conn.execute(
            _SELECT + f"WHERE a.document_id IN ({marks}) AND (a.status = 'accepted' OR "
            "(a.status = 'denied' AND a.disagreement != '')) ORDER BY a.id",
            chunk,
        )
        for r in cur:
            out.setdefault(int(r["document_id"]), []).append(dict(r))
    return out


def release_recipients(conn: Connection, document_id: int) -> list[dict]:
    """Everyone a document went out to in a sent release (the accounting's recipients)."""
    cur = conn.execute(
        "SELECT DISTINCT r.code, r.requester_name, r.requester_org, r.requester_address, "
        "substr(r.sent_at, 1, 10) AS sent_on FROM release_requests r "
        "JOIN release_pages rp ON rp.request_id = r.id "
        "WHERE rp.document_id = ? AND rp.included = 1 AND r.status = 'sent' ORDER BY r.id",
        (document_id,),
    )
    return [dict(r) for r in cur]
