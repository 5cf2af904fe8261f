"""Charts: SQL for the chart view, chart merges and the aliases a merge leaves behind."""

from __future__ import annotations

import json
from typing import Any

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection


def pages_for_patient(conn: Connection, patient_id: int) -> list[dict]:
    """Every live page of every document in one chart, in document then page order."""
    cur = conn.execute(
        "SELECT p.id, p.document_id, p.seq, p.sha256, p.media_type, p.width, p.height, "
        "p.rotation FROM pages p JOIN documents d ON d.id = p.document_id "
        "WHERE d.patient_id = ? AND p.status != 'deleted' AND d.voided_at IS NULL "
        "ORDER BY p.document_id, p.seq, p.id",
        (patient_id,),
    )
    return [dict(r) for r in cur]


def page_counts(conn: Connection, patient_id: int) -> tuple[int, int]:
    """(documents, live pages) in one chart."""
    row = conn.execute(
        "SELECT count(DISTINCT d.id), count(p.id) FROM documents d "
        "LEFT JOIN pages p ON p.document_id = d.id AND p.status != 'deleted' "
        "WHERE d.patient_id = ? AND d.voided_at IS NULL",
        (patient_id,),
    ).fetchone()
    return int(row[0]), int(row[1])


def merged_into(conn: Connection, survivor_id: int) -> list[int]:
    """Charts currently merged into `survivor_id`."""
    cur = conn.execute("SELECT id FROM patients WHERE merged_into = ? ORDER BY id", (survivor_id,))
    return [int(r[0]) for r in cur]


def has_table(conn: Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None


# --- merges -------------------------------------------------------------------------------


def insert_merge(
    conn: Connection, survivor_id: int, merged_id: int, reason: str, user_id: int
) -> int:
    cur = conn.execute(
        "INSERT INTO merges (survivor_id, merged_id, reason, merged_by, merged_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (survivor_id, merged_id, reason, user_id, utc_now()),
    )
    return int(cur.lastrowid)


def set_moved(conn: Connection, merge_id: int, moved: dict[str, Any]) -> None:
    conn.execute(
        "UPDATE merges SET moved = ? WHERE id = ?", (json.dumps(moved, sort_keys=True), merge_id)
    )


def merge(conn: Connection, merge_id: int) -> dict | None:
    row = conn.execute("SELECT * FROM merges WHERE id = ?", (merge_id,)).fetchone()
    if row is None:
        return None
    out = dict(row)
    out["moved"] = json.loads(out["moved"] or "{}")
    return out


def merges_for_patient(conn: Connection, patient_id: int) -> list[dict]:
    """Merges in which the chart took part (either side), newest first, with user names."""
    cur = conn.execute(
        "SELECT m.*, p.mrn AS merged_mrn, s.mrn AS survivor_mrn, u.username AS merged_by_name, "
        "v.username AS undone_by_name FROM merges m "
        "JOIN patients p ON p.id = m.merged_id JOIN patients s ON s.id = m.survivor_id "
        "LEFT JOIN users u ON u.id = m.merged_by LEFT JOIN users v ON v.id = m.undone_by "
        "WHERE m.survivor_id = ? OR m.merged_id = ? ORDER BY m.id DESC",
        (patient_id, patient_id),
    )
    return [dict(r) for r in cur]


def mark_undone(conn: Connection, merge_id: int, user_id: int | None) -> None:
    conn.execute(
        "UPDATE merges SET undone_by = ?, undone_at = ? WHERE id = ?",
        (user_id, utc_now(), merge_id),
    )


def document_ids(conn: Connection, patient_id: int) -> list[int]:
    cur = conn.execute("SELECT id FROM documents WHERE patient_id = ? ORDER BY id", (patient_id,))
    return [int(r[0]) for r in cur]


def move_documents(
    conn: Connection, document_ids: list[int], from_id: int, to_id: int
) -> list[int]:
    """Move documents (and so their pages) between charts; returns the ids actually moved."""
    moved = []
    for doc_id in document_ids:
        cur = conn.execute(
            "UPDATE documents SET patient_id = ? WHERE id = ? AND patient_id = ?",
            (to_id, doc_id, from_id),
        )
        if cur.rowcount:
            moved.append(doc_id)
    return moved


def set_merged_into(conn: Connection, patient_id: int, survivor_id: int | None) -> None:
    conn.execute(
        "UPDATE patients SET merged_into = ?, updated_at = ? WHERE id = ?",
        (survivor_id, utc_now(), patient_id),
    )


def aliases_of(conn: Connection, patient_id: int) -> list[str]:
    cur = conn.execute(
        "SELECT mrn FROM patient_aliases WHERE patient_id = ? ORDER BY mrn", (patient_id,)
    )
    return [r[0] for r in cur]


def insert_alias(conn: Connection, mrn: str, patient_id: int, merge_id: int) -> None:
    conn.execute(
        "INSERT INTO patient_aliases (mrn, patient_id, merge_id, created_at) VALUES (?, ?, ?, ?)",
        (mrn, patient_id, merge_id, utc_now()),
    )


def repoint_aliases(conn: Connection, mrns: list[str], patient_id: int) -> None:
    conn.executemany(
        "UPDATE patient_aliases SET patient_id = ? WHERE mrn = ?",
        [(patient_id, m) for m in mrns],
    )


def delete_aliases_of_merge(conn: Connection, merge_id: int) -> None:
    conn.execute("DELETE FROM patient_aliases WHERE merge_id = ?", (merge_id,))


def repoint_merged_charts(conn: Connection, chart_ids: list[int], survivor_id: int) -> None:
    conn.executemany(
        "UPDATE patients SET merged_into = ?, updated_at = ? WHERE id = ?",
        [(survivor_id, utc_now(), c) for c in chart_ids],
    )
