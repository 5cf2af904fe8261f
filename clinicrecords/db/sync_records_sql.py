"""SQL for what travels since migration 0007: merges (and their yielded offline merges) and
the bookkeeping the merge projector needs. The protocol is in ``clinicrecords/sync/merges.py``."""

from __future__ import annotations

import json

from clinicrecords.db.connection import Connection


def pending_merges(conn: Connection) -> list[tuple[str, str]]:
    """(event id, merge uid) of this PC's merges the server has not ordered yet, newest first."""
    cur = conn.execute(
        "SELECT id, payload FROM sync_outbox WHERE type = 'merge.applied' ORDER BY pos DESC"
    )
    return [(str(r[0]), str(json.loads(r[1])["uid"])) for r in cur]


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
