"""Documents after filing (move, edit, void, undo) and the privacy officer's list: SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection

# The index fields a correction may change (``documents`` columns).
EDITABLE_FIELDS = ("doc_type", "doc_date", "author", "facility")


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ids = list(ids)
    return [ids[i : i + 500] for i in range(0, len(ids), 500)]  # under SQLite's parameter limit


# --- documents -----------------------------------------------------------------------------


def set_patient(conn: Connection, document_id: int, patient_id: int) -> None:
    conn.execute("UPDATE documents SET patient_id = ? WHERE id = ?", (patient_id, document_id))


def set_fields(conn: Connection, document_id: int, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in EDITABLE_FIELDS:
            raise ValueError(f"not an editable document field: {name}")
        conn.execute(f"UPDATE documents SET {name} = ? WHERE id = ?", (value, document_id))


def set_voided(
    conn: Connection, document_id: int, voided: bool, user_id: int | None, reason: str
) -> None:
    if voided:
        conn.execute(
            "UPDATE documents SET voided_at = ?, voided_by = ?, void_reason = ? WHERE id = ?",
            (utc_now(), user_id, reason, document_id),
        )
    else:
        conn.execute(
            "UPDATE documents SET voided_at = NULL, voided_by = NULL, void_reason = '' "
            "WHERE id = ?",
            (document_id,),
        )


def live_page_ids(conn: Connection, document_id: int) -> list[int]:
    """The document's pages in order (set-aside pages are not part of it)."""
    cur = conn.execute(
        "SELECT id FROM pages WHERE document_id = ? AND status != 'deleted' ORDER BY seq, id",
        (document_id,),
    )
    return [int(r[0]) for r in cur]


def put_pages(conn: Connection, page_ids: Sequence[int], document_id: int) -> None:
    """Make ``page_ids`` the pages of ``document_id`` after the ones it has, in this order."""
    row = conn.execute(
        "SELECT coalesce(max(seq) + 1, 0) FROM pages WHERE document_id = ?", (document_id,)
    ).fetchone()
    start = int(row[0])
    conn.executemany(
        "UPDATE pages SET document_id = ?, seq = ? WHERE id = ?",
        [(document_id, start + n, pid) for n, pid in enumerate(page_ids)],
    )


def set_page_order(conn: Connection, order: Sequence[tuple[int, int]]) -> None:
    """(page_id, seq) pairs: an undo puts pages back where they were."""
    conn.executemany("UPDATE pages SET seq = ? WHERE id = ?", [(s, p) for p, s in order])


def page_seqs(conn: Connection, page_ids: Sequence[int]) -> dict[int, tuple[int | None, int]]:
    """page id -> (document id, seq)."""
    out: dict[int, tuple[int | None, int]] = {}
    for chunk in _chunks(page_ids):
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(
            f"SELECT id, document_id, seq FROM pages WHERE id IN ({marks})", tuple(chunk)
        ):
            out[int(r[0])] = (None if r[1] is None else int(r[1]), int(r[2]))
    return out


def unfile_pages(conn: Connection, page_ids: Sequence[int], status: str = "ready") -> None:
    """Pages of an undone filing go back to their batch, ready to file again."""
    conn.executemany(
        "UPDATE pages SET document_id = NULL, status = ? WHERE id = ?",
        [(status, pid) for pid in page_ids],
    )


def reopen_batch(conn: Connection, batch_id: int) -> None:
    conn.execute("UPDATE batches SET status = 'open' WHERE id = ? AND status = 'done'", (batch_id,))


def forget_page_uids(conn: Connection, page_ids: Sequence[int]) -> None:
    """Pages taken back out of a document get new clinic-wide ids when they are filed again
    (the other PCs keep the first filing's pages, in the voided document)."""
    for chunk in _chunks(page_ids):
        marks = ",".join("?" * len(chunk))
        conn.execute(
            f"DELETE FROM sync_ids WHERE entity = 'page' AND local_id IN ({marks})", tuple(chunk)
        )


def voided_documents(conn: Connection, patient_id: int) -> list[dict]:
    cur = conn.execute(
        "SELECT d.id, d.doc_type, d.doc_date, d.voided_at, d.void_reason, t.label, "
        "coalesce(u.username, '') AS voided_by_name, "
        "(SELECT count(*) FROM pages p WHERE p.document_id = d.id AND p.status != 'deleted') "
        "AS pages FROM documents d JOIN doc_types t ON t.code = d.doc_type "
        "LEFT JOIN users u ON u.id = d.voided_by "
        "WHERE d.patient_id = ? AND d.voided_at IS NOT NULL ORDER BY d.voided_at, d.id",
        (patient_id,),
    )
    return [dict(r) for r in cur]


# --- corrections (history) -----------------------------------------------------------------


def add_correction(
    conn: Connection,
    document_id: int,
    action: str,
    reason: str,
    detail: dict[str, Any],
    user_id: int | None,
    username: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO document_corrections (document_id, action, reason, detail, made_by, "
        "made_by_name, made_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            document_id,
            action,
            reason,
            json.dumps(detail, sort_keys=True),
            user_id,
            username,
            utc_now(),
        ),
    )
    return int(cur.lastrowid)


def _correction(row: Any) -> dict:
    out = dict(row)
    out["detail"] = json.loads(out["detail"] or "{}")
    return out


def correction(conn: Connection, correction_id: int) -> dict | None:
    row = conn.execute(
        "SELECT * FROM document_corrections WHERE id = ?", (correction_id,)
    ).fetchone()
    return None if row is None else _correction(row)


def corrections_for_document(conn: Connection, document_id: int) -> list[dict]:
    """Corrections of this document, and moves that took pages out of it into a new one."""
    cur = conn.execute(
        "SELECT * FROM document_corrections WHERE document_id = ? ORDER BY id", (document_id,)
    )
    return [_correction(r) for r in cur]


def later_moves(conn: Connection, document_id: int, after_id: int) -> int:
    """Moves of the document after ``after_id`` that were not undone."""
    row = conn.execute(
        "SELECT count(*) FROM document_corrections WHERE document_id = ? AND id > ? "
        "AND action = 'move' AND undone_at IS NULL",
        (document_id, after_id),
    ).fetchone()
    return int(row[0])


def mark_undone(conn: Connection, correction_id: int, user_id: int | None) -> None:
    conn.execute(
        "UPDATE document_corrections SET undone_by = ?, undone_at = ? WHERE id = ?",
        (user_id, utc_now(), correction_id),
    )


# --- releases the pages went out in, and the privacy officer's list -----------------------


def releases_of_pages(conn: Connection, page_ids: Sequence[int]) -> list[dict]:
    """Sent releases that included any of these pages: request, requester, date, how many."""
    found: dict[int, dict] = {}
    for chunk in _chunks(page_ids):
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(
            "SELECT r.id, r.code, r.patient_id, r.requester_name, r.requester_org, "
            "r.requester_address, r.sent_at, x.disclosed_on, count(s.page_id) AS pages "
            "FROM release_pages s JOIN release_requests r ON r.id = s.request_id "
            "LEFT JOIN disclosures x ON x.request_id = r.id "
            f"WHERE s.included = 1 AND r.status = 'sent' AND s.page_id IN ({marks}) "
            "GROUP BY r.id",
            tuple(chunk),
        ):
            d = dict(r)
            if d["id"] in found:
                found[d["id"]]["pages"] += d["pages"]
            else:
                found[d["id"]] = d
    return sorted(found.values(), key=lambda d: (d["disclosed_on"] or d["sent_at"] or "", d["id"]))


def add_disclosure_review(
    conn: Connection,
    correction_id: int | None,
    request_id: int,
    document_id: int,
    from_patient: int,
    to_patient: int,
    pages: int,
) -> int:
    cur = conn.execute(
        "INSERT INTO disclosure_reviews (correction_id, request_id, document_id, from_patient, "
        "to_patient, pages, found_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (correction_id, request_id, document_id, from_patient, to_patient, pages, utc_now()),
    )
    return int(cur.lastrowid)


_REVIEW_SELECT = (
    "SELECT v.*, r.code, r.requester_name, r.requester_org, r.requester_address, r.sent_at, "
    "x.disclosed_on, d.doc_type, d.doc_date, t.label AS type_label, "
    "pf.mrn AS from_mrn, pf.family AS from_family, pf.given AS from_given, pf.dob AS from_dob, "
    "pt.mrn AS to_mrn, pt.family AS to_family, pt.given AS to_given, pt.dob AS to_dob, "
    "coalesce(c.made_by_name, '') AS moved_by, coalesce(c.reason, '') AS move_reason "
    "FROM disclosure_reviews v JOIN release_requests r ON r.id = v.request_id "
    "LEFT JOIN disclosures x ON x.request_id = r.id "
    "JOIN documents d ON d.id = v.document_id JOIN doc_types t ON t.code = d.doc_type "
    "JOIN patients pf ON pf.id = v.from_patient JOIN patients pt ON pt.id = v.to_patient "
    "LEFT JOIN document_corrections c ON c.id = v.correction_id "
)


def disclosure_reviews(conn: Connection, include_assessed: bool = False) -> list[dict]:
    where = "" if include_assessed else "WHERE v.status = 'open' "
    cur = conn.execute(_REVIEW_SELECT + where + "ORDER BY v.found_at, v.id")
    return [dict(r) for r in cur]


def disclosure_review(conn: Connection, review_id: int) -> dict | None:
    row = conn.execute(_REVIEW_SELECT + "WHERE v.id = ?", (review_id,)).fetchone()
    return None if row is None else dict(row)


def assess_review(conn: Connection, review_id: int, user_id: int | None, outcome: str) -> None:
    conn.execute(
        "UPDATE disclosure_reviews SET status = 'assessed', assessed_by = ?, assessed_at = ?, "
        "outcome = ? WHERE id = ?",
        (user_id, utc_now(), outcome, review_id),
    )
