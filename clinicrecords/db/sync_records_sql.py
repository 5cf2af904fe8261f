"""SQL for what travels since migration 0007: merges (and their yielded offline merges) and
the bookkeeping the merge projector needs. The protocol is in ``clinicrecords/sync/merges.py``."""

from __future__ import annotations

import json

from clinicrecords.db.connection import Connection


def pending_merges(conn: Connection) -> list[tuple[str, str, str]]:
    """(event id, type, merge uid) of this PC's merges and undos the server has not ordered
    yet, newest first."""
    cur = conn.execute(
        "SELECT id, type, payload FROM sync_outbox WHERE type IN ('merge.applied', "
        "'merge.undone') ORDER BY pos DESC"
    )
    return [(str(r[0]), str(r[1]), str(json.loads(r[2])["uid"])) for r in cur]


def add_yielded(conn: Connection, event_id: str, uid: str) -> None:
    conn.execute(
        "INSERT INTO sync_yielded (event_id, uid) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (event_id, uid),
    )


def take_yielded(conn: Connection, event_id: str) -> bool:
    """True (and forgotten) when this PC's merge ``event_id`` was undone to make way."""
    cur = conn.execute("DELETE FROM sync_yielded WHERE event_id = ?", (event_id,))
    return cur.rowcount > 0


def set_local_id(conn: Connection, entity: str, uid: str, local: int) -> None:
    """Point a clinic-wide id at another local row (a yielded merge, applied again)."""
    conn.execute(
        "INSERT INTO sync_ids (entity, uid, local_id) VALUES (?, ?, ?) "
        "ON CONFLICT (entity, uid) DO UPDATE SET local_id = excluded.local_id",
        (entity, uid, local),
    )


def open_merge_of(conn: Connection, merged_id: int) -> int | None:
    """The merge (not undone) that took chart ``merged_id`` away, if any."""
    row = conn.execute(
        "SELECT id FROM merges WHERE merged_id = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1",
        (merged_id,),
    ).fetchone()
    return None if row is None else int(row[0])


def add_moved_document(conn: Connection, merge_id: int, document_id: int) -> None:
    """A document that arrived for a merged-away chart joins what its merge moved, so undoing
    the merge takes it back too, as on the PC where it was filed before the merge."""
    row = conn.execute("SELECT moved FROM merges WHERE id = ?", (merge_id,)).fetchone()
    moved = json.loads(row[0] or "{}") if row else {}
    docs = list(moved.get("documents", []))
    if document_id not in docs:
        docs.append(document_id)
    moved["documents"] = docs
    conn.execute(
        "UPDATE merges SET moved = ? WHERE id = ?", (json.dumps(moved, sort_keys=True), merge_id)
    )


def first_user_id(conn: Connection) -> int | None:
    """Who a change made by an account this PC does not know is recorded under (the oldest
    administrator, else the oldest account): a merge row must name an account."""
    row = conn.execute("SELECT id FROM users ORDER BY role = 'admin' DESC, id LIMIT 1").fetchone()
    return None if row is None else int(row[0])


# --- release of information ----------------------------------------------------------------


def set_request_code(conn: Connection, request_id: int, code: str) -> None:
    conn.execute("UPDATE release_requests SET code = ? WHERE id = ?", (code, request_id))


def request_id_with_code(conn: Connection, code: str) -> int | None:
    row = conn.execute("SELECT id FROM release_requests WHERE code = ?", (code,)).fetchone()
    return None if row is None else int(row[0])


def request_ids_without_uid(conn: Connection) -> list[int]:
    cur = conn.execute(
        "SELECT id FROM release_requests WHERE id NOT IN "
        "(SELECT local_id FROM sync_ids WHERE entity = 'release') ORDER BY id"
    )
    return [int(r[0]) for r in cur]


def disclosure(conn: Connection, disclosure_id: int) -> dict:
    row = conn.execute("SELECT * FROM disclosures WHERE id = ?", (disclosure_id,)).fetchone()
    return dict(row)


def disclosure_id_of_request(conn: Connection, request_id: int) -> int | None:
    row = conn.execute(
        "SELECT id FROM disclosures WHERE request_id = ? ORDER BY id LIMIT 1", (request_id,)
    ).fetchone()
    return None if row is None else int(row[0])


REQUEST_TEXT_COLUMNS = frozenset(
    {
        "requester_name", "requester_org", "requester_address", "requester_type", "purpose",
        "basis", "delivery", "received_on", "due_on", "date_from", "date_to", "doc_types",
        "include_sensitive", "watermark", "fee_waived", "status", "status_reason", "sent_at",
    }
)  # fmt: skip


def update_request(conn: Connection, request_id: int, values: dict[str, object]) -> None:
    """Set request columns as another PC set them (names checked against the list above)."""
    bad = set(values) - REQUEST_TEXT_COLUMNS
    if bad:
        raise ValueError(f"not a synced request column: {sorted(bad)}")
    if not values:
        return
    sets = ", ".join(f"{c} = ?" for c in values)
    conn.execute(f"UPDATE release_requests SET {sets} WHERE id = ?", (*values.values(), request_id))


def set_sent_by(conn: Connection, request_id: int, user_id: int | None) -> None:
    conn.execute("UPDATE release_requests SET sent_by = ? WHERE id = ?", (user_id, request_id))


def delete_authorization(conn: Connection, request_id: int) -> None:
    conn.execute("DELETE FROM release_authorizations WHERE request_id = ?", (request_id,))


def replace_exclusions(conn: Connection, request_id: int, notes: dict[int, str]) -> None:
    conn.execute("DELETE FROM release_exclusions WHERE request_id = ?", (request_id,))
    conn.executemany(
        "INSERT INTO release_exclusions (request_id, page_id, note) VALUES (?, ?, ?)",
        [(request_id, p, n) for p, n in notes.items()],
    )


# --- the audit chains of other workstations ------------------------------------------------

AUDIT_COLUMNS = (
    "id",
    "ts",
    "user_id",
    "username",
    "action",
    "object_type",
    "object_id",
    "detail",
    "prev_hash",
    "hash",
)


def audit_rows_after(conn: Connection, after_id: int, limit: int) -> list[dict]:
    """This PC's own audit rows after ``after_id``, oldest first."""
    cur = conn.execute(
        f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
        (after_id, limit),
    )
    return [dict(r) for r in cur]


def add_remote_audit_rows(conn: Connection, workstation_id: str, rows: list[dict]) -> None:
    """Another workstation's audit rows as they arrived (a row seen twice is kept once)."""
    conn.executemany(
        f"INSERT INTO sync_audit (workstation_id, {', '.join(AUDIT_COLUMNS)}) VALUES "
        f"(?, {', '.join('?' * len(AUDIT_COLUMNS))}) ON CONFLICT DO NOTHING",
        [(workstation_id, *(r.get(c) for c in AUDIT_COLUMNS)) for r in rows],
    )


def set_workstation_name(conn: Connection, workstation_id: str, name: str) -> None:
    conn.execute(
        "INSERT INTO sync_workstations (workstation_id, name) VALUES (?, ?) "
        "ON CONFLICT (workstation_id) DO UPDATE SET name = excluded.name",
        (workstation_id, name),
    )


def remote_workstations(conn: Connection) -> list[tuple[str, str]]:
    """(id, name) of every other workstation whose audit rows arrived here."""
    cur = conn.execute(
        "SELECT a.workstation_id, coalesce(w.name, '') FROM "
        "(SELECT DISTINCT workstation_id FROM sync_audit) a "
        "LEFT JOIN sync_workstations w ON w.workstation_id = a.workstation_id ORDER BY 2, 1"
    )
    return [(str(r[0]), str(r[1])) for r in cur]


def iter_remote_audit(conn: Connection, workstation_id: str):  # type: ignore[no-untyped-def]
    cur = conn.execute(
        f"SELECT {', '.join(AUDIT_COLUMNS)} FROM sync_audit WHERE workstation_id = ? ORDER BY id",
        (workstation_id,),
    )
    for r in cur:
        yield dict(r)


def open_order_conflicts(conn: Connection) -> list[tuple[str, str, str]]:
    """(workstation id, expected counter, counter that came) of each unresolved gap."""
    cur = conn.execute(
        "SELECT uid, replaced, kept FROM sync_conflicts WHERE kind = 'order' "
        "AND resolved_at IS NULL ORDER BY seq"
    )
    return [(str(r[0]), str(r[1]), str(r[2])) for r in cur]


def applied_out_of_order(conn: Connection) -> int:
    """Applied events whose server sequence numbers repeat (the server's order must be one
    total order: every number once)."""
    row = conn.execute("SELECT count(*) - count(DISTINCT seq) FROM sync_applied").fetchone()
    return int(row[0])


def insert_request_as(conn: Connection, fields: dict[str, object], code: str) -> int:
    """A request another PC logged, under the code it printed (``release.insert_request``
    would number it from this PC's row id, which may be another request's code here)."""
    from clinicrecords.common.timeutil import utc_now

    columns = list(fields)
    now = utc_now()
    cur = conn.execute(
        f"INSERT INTO release_requests ({', '.join(columns)}, code, created_at, updated_at) "
        f"VALUES ({', '.join('?' * len(columns))}, ?, ?, ?)",
        (*fields.values(), code, now, now),
    )
    return int(cur.lastrowid)
