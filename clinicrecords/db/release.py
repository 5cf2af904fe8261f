"""Release of information: SQL for requests, authorizations, page selection and disclosures."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection

_REQUEST_COLUMNS = (
    "patient_id",
    "requester_name",
    "requester_org",
    "requester_address",
    "requester_type",
    "purpose",
    "basis",
    "delivery",
    "received_on",
    "due_on",
    "date_from",
    "date_to",
    "doc_types",
    "include_sensitive",
    "watermark",
    "created_by",
)


def insert_request(conn: Connection, fields: dict[str, Any]) -> tuple[int, str]:
    """Insert a request and give it its code (`R` + 5 digits), the prefix of its Bates numbers."""
    now = utc_now()
    values = [fields[c] for c in _REQUEST_COLUMNS]
    cur = conn.execute(
        f"INSERT INTO release_requests ({', '.join(_REQUEST_COLUMNS)}, code, created_at, "
        f"updated_at) VALUES ({', '.join('?' * len(_REQUEST_COLUMNS))}, "
        "'pending-' || hex(randomblob(8)), ?, ?)",
        (*values, now, now),
    )
    request_id = int(cur.lastrowid)
    code = f"R{request_id:05d}"
    conn.execute("UPDATE release_requests SET code = ? WHERE id = ?", (code, request_id))
    return request_id, code


def request(conn: Connection, request_id: int) -> dict | None:
    row = conn.execute(
        "SELECT r.*, p.mrn FROM release_requests r JOIN patients p ON p.id = r.patient_id "
        "WHERE r.id = ?",
        (request_id,),
    ).fetchone()
    return None if row is None else dict(row)


def request_id_by_code(conn: Connection, code: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM release_requests WHERE code = ? COLLATE NOCASE", (code,)
    ).fetchone()
    return None if row is None else int(row[0])


def list_requests(
    conn: Connection,
    statuses: Iterable[str] | None = None,
    patient_id: int | None = None,
    request_id: int | None = None,
) -> list[dict]:
    sql = (
        "SELECT r.*, p.mrn, (SELECT count(*) FROM release_pages s WHERE s.request_id = r.id "
        "AND s.included = 1) AS pages_out, (SELECT count(*) FROM release_pages s "
        "WHERE s.request_id = r.id AND s.included = 0) AS pages_held "
        "FROM release_requests r JOIN patients p ON p.id = r.patient_id WHERE 1 = 1"
    )
    params: list[Any] = []
    if statuses is not None:
        statuses = list(statuses)
        sql += f" AND r.status IN ({', '.join('?' * len(statuses))})"
        params += statuses
    if patient_id is not None:
        sql += " AND r.patient_id = ?"
        params.append(patient_id)
    if request_id is not None:
        sql += " AND r.id = ?"
        params.append(request_id)
    sql += " ORDER BY r.due_on, r.id"
    return [dict(r) for r in conn.execute(sql, params)]


def set_status(
    conn: Connection, request_id: int, status: str, reason: str = "", sent_by: int | None = None
) -> None:
    now = utc_now()
    conn.execute(
        "UPDATE release_requests SET status = ?, status_reason = ?, updated_at = ?, "
        "sent_by = CASE WHEN ? = 'sent' THEN ? ELSE sent_by END, "
        "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
        (status, reason, now, status, sent_by, status, now, request_id),
    )


def set_fee(conn: Connection, request_id: int, cents: int, note: str, waived: bool) -> None:
    conn.execute(
        "UPDATE release_requests SET fee_cents = ?, fee_note = ?, fee_waived = ?, updated_at = ? "
        "WHERE id = ?",
        (cents, note, int(waived), utc_now(), request_id),
    )


def set_scope(
    conn: Connection,
    request_id: int,
    date_from: str | None,
    date_to: str | None,
    doc_types: list[str],
    include_sensitive: bool,
) -> None:
    conn.execute(
        "UPDATE release_requests SET date_from = ?, date_to = ?, doc_types = ?, "
        "include_sensitive = ? WHERE id = ?",
        (date_from, date_to, json.dumps(doc_types), int(include_sensitive), request_id),
    )


def set_watermark(conn: Connection, request_id: int, watermark: str) -> None:
    conn.execute(
        "UPDATE release_requests SET watermark = ?, updated_at = ? WHERE id = ?",
        (watermark, utc_now(), request_id),
    )


# --- authorization -------------------------------------------------------------------------


def authorization(conn: Connection, request_id: int) -> dict | None:
    row = conn.execute(
        "SELECT * FROM release_authorizations WHERE request_id = ?", (request_id,)
    ).fetchone()
    if row is None:
        return None
    out = dict(row)
    out["elements"] = json.loads(out["elements"])
    out["categories"] = json.loads(out["categories"])
    return out


def put_authorization(conn: Connection, request_id: int, fields: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO release_authorizations (request_id, document_id, signed_on, expires_on, "
        "expiry_event, revoked_on, elements, categories, recorded_by, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO UPDATE SET "
        "document_id = excluded.document_id, signed_on = excluded.signed_on, "
        "expires_on = excluded.expires_on, expiry_event = excluded.expiry_event, "
        "revoked_on = excluded.revoked_on, elements = excluded.elements, "
        "categories = excluded.categories, recorded_by = excluded.recorded_by, "
        "recorded_at = excluded.recorded_at",
        (
            request_id,
            fields.get("document_id"),
            fields.get("signed_on"),
            fields.get("expires_on"),
            fields.get("expiry_event", ""),
            fields.get("revoked_on"),
            json.dumps(sorted(fields.get("elements", ()))),
            json.dumps(sorted(fields.get("categories", ()))),
            fields.get("recorded_by"),
            utc_now(),
        ),
    )


def latest_authorization_document(conn: Connection, patient_id: int) -> int | None:
    """The newest roi_authorization document in the chart, a default the clerk can accept."""
    row = conn.execute(
        "SELECT id FROM documents WHERE patient_id = ? AND doc_type = 'roi_authorization' "
        "AND voided_at IS NULL ORDER BY doc_date DESC, id DESC LIMIT 1",
        (patient_id,),
    ).fetchone()
    return None if row is None else int(row[0])


# --- selection -----------------------------------------------------------------------------


def candidate_pages(conn: Connection, patient_id: int) -> list[dict]:
    """Every live filed page of the chart, in chart order (document date, then page order)."""
    cur = conn.execute(
        "SELECT p.id AS page_id, p.document_id, d.doc_type, d.doc_date, t.sensitive "
        "FROM pages p JOIN documents d ON d.id = p.document_id "
        "JOIN doc_types t ON t.code = d.doc_type "
        "WHERE d.patient_id = ? AND p.status != 'deleted' AND d.voided_at IS NULL "
        "ORDER BY d.doc_date IS NULL, d.doc_date, d.id, p.seq, p.id",
        (patient_id,),
    )
    return [dict(r) for r in cur]


def replace_selection(conn: Connection, request_id: int, rows: Iterable[tuple]) -> None:
    """rows: (page_id, document_id, included, reason, reason_code) in packet order."""
    conn.execute("DELETE FROM release_pages WHERE request_id = ?", (request_id,))
    conn.executemany(
        "INSERT INTO release_pages (request_id, position, page_id, document_id, included, "
        "reason, reason_code) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (request_id, pos, page_id, doc_id, int(inc), reason, code)
            for pos, (page_id, doc_id, inc, reason, code) in enumerate(rows, start=1)
        ),
    )


def selection(conn: Connection, request_id: int) -> list[dict]:
    cur = conn.execute(
        "SELECT s.position, s.page_id, s.document_id, s.included, s.reason, s.reason_code, "
        "d.doc_type, d.doc_date, d.title, t.label, t.sensitive "
        "FROM release_pages s JOIN documents d ON d.id = s.document_id "
        "JOIN doc_types t ON t.code = d.doc_type WHERE s.request_id = ? ORDER BY s.position",
        (request_id,),
    )
    return [dict(r) for r in cur]


def iter_included_pages(conn: Connection, request_id: int) -> Iterator[dict]:
    """The pages that go out, in packet order, with what is needed to fetch each image."""
    yield from (
        dict(r)
        for r in conn.execute(
            "SELECT s.page_id, s.document_id, d.doc_type, p.blob_id, p.sha256, p.media_type, "
            "p.rotation, p.dpi FROM release_pages s JOIN pages p ON p.id = s.page_id "
            "JOIN documents d ON d.id = s.document_id "
            "WHERE s.request_id = ? AND s.included = 1 ORDER BY s.position",
            (request_id,),
        )
    )


def exclusions(conn: Connection, request_id: int) -> dict[int, str]:
    return {
        int(r[0]): r[1]
        for r in conn.execute(
            "SELECT page_id, note FROM release_exclusions WHERE request_id = ?", (request_id,)
        )
    }


def set_exclusion(conn: Connection, request_id: int, page_id: int, note: str | None) -> None:
    """Leave a page out by hand (note given) or put it back (note None)."""
    if note is None:
        conn.execute(
            "DELETE FROM release_exclusions WHERE request_id = ? AND page_id = ?",
            (request_id, page_id),
        )
    else:
        conn.execute(
            "INSERT INTO release_exclusions (request_id, page_id, note) VALUES (?, ?, ?) "
            "ON CONFLICT (request_id, page_id) DO UPDATE SET note = excluded.note",
            (request_id, page_id, note),
        )


def sensitive_codes(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT code FROM doc_types WHERE sensitive = 1")]


def doc_type_codes(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT code FROM doc_types ORDER BY code")]


def doc_type_labels(conn: Connection) -> dict[str, str]:
    return {r[0]: r[1] for r in conn.execute("SELECT code, label FROM doc_types")}


# --- disclosures ---------------------------------------------------------------------------


def insert_disclosure(conn: Connection, fields: dict[str, Any]) -> int:
    cur = conn.execute(
        "INSERT INTO disclosures (request_id, patient_id, disclosed_on, recipient, "
        "recipient_address, purpose, basis, description, pages, in_accounting, sent_by, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            fields["request_id"],
            fields["patient_id"],
            fields["disclosed_on"],
            fields["recipient"],
            fields["recipient_address"],
            fields["purpose"],
            fields["basis"],
            fields["description"],
            fields["pages"],
            int(fields["in_accounting"]),
            fields["sent_by"],
            utc_now(),
        ),
    )
    return int(cur.lastrowid)


def disclosures_for_patient(conn: Connection, patient_id: int, since: str) -> list[dict]:
    """Disclosures of this chart and of every chart merged into it (a merge does not move the
    disclosure log, which is append-only, but the patient's accounting must include it)."""
    cur = conn.execute(
        "WITH RECURSIVE chart(id) AS (SELECT ? UNION SELECT p.id FROM patients p "
        "JOIN chart c ON p.merged_into = c.id) "
        "SELECT x.*, r.code FROM disclosures x JOIN release_requests r ON r.id = x.request_id "
        "WHERE x.patient_id IN (SELECT id FROM chart) AND x.disclosed_on >= ? "
        "ORDER BY x.disclosed_on, x.id",
        (patient_id, since),
    )
    return [dict(r) for r in cur]
