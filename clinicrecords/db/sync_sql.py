"""This PC's side of the clinic network: SQL for the sync_* tables (migration 0003).

The protocol and its reasons are in ``clinicrecords/sync/__init__.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection


@dataclass(frozen=True)
class SyncState:
    server_url: str
    clinic_id: str
    workstation_id: str
    workstation_no: int
    workstation: str
    cursor: int
    lamport: int
    wseq: int
    provisional_no: int
    last_sync: str | None


@dataclass(frozen=True)
class OutboxRow:
    pos: int
    id: str
    type: str
    payload: str
    lamport: int
    wseq: int
    created: str


# --- state ---------------------------------------------------------------------------------


def state(conn: Connection) -> SyncState | None:
    row = conn.execute(
        "SELECT server_url, clinic_id, workstation_id, workstation_no, workstation, cursor, "
        "lamport, wseq, provisional_no, last_sync FROM sync_state WHERE id = 1"
    ).fetchone()
    return None if row is None else SyncState(*row)


def is_attached(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM sync_state WHERE id = 1").fetchone() is not None


def init_state(
    conn: Connection,
    server_url: str,
    clinic_id: str,
    workstation_id: str,
    workstation_no: int,
    workstation: str,
) -> None:
    conn.execute(
        "INSERT INTO sync_state (id, server_url, clinic_id, workstation_id, workstation_no, "
        "workstation, attached_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
        (server_url, clinic_id, workstation_id, workstation_no, workstation, utc_now()),
    )


def next_clocks(conn: Connection) -> tuple[int, int]:
    """Advance the Lamport clock and this workstation's event counter; returns both."""
    row = conn.execute(
        "UPDATE sync_state SET lamport = lamport + 1, wseq = wseq + 1 WHERE id = 1 "
        "RETURNING lamport, wseq"
    ).fetchone()
    return int(row[0]), int(row[1])


def advance(conn: Connection, cursor: int, lamport_seen: int) -> None:
    conn.execute(
        "UPDATE sync_state SET cursor = max(cursor, ?), lamport = max(lamport, ?) WHERE id = 1",
        (cursor, lamport_seen),
    )


def raise_wseq(conn: Connection, wseq: int) -> None:
    conn.execute("UPDATE sync_state SET wseq = max(wseq, ?) WHERE id = 1", (wseq,))


def set_last_sync(conn: Connection, when: str) -> None:
    conn.execute("UPDATE sync_state SET last_sync = ? WHERE id = 1", (when,))


def next_provisional_no(conn: Connection) -> int:
    row = conn.execute(
        "UPDATE sync_state SET provisional_no = provisional_no + 1 WHERE id = 1 "
        "RETURNING provisional_no"
    ).fetchone()
    return int(row[0])


# --- outbox --------------------------------------------------------------------------------


def outbox_add(
    conn: Connection, event_id: str, type_: str, payload: str, lamport: int, wseq: int
) -> None:
    conn.execute(
        "INSERT INTO sync_outbox (id, type, payload, lamport, wseq, created) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (event_id, type_, payload, lamport, wseq, utc_now()),
    )


def outbox_unpushed(conn: Connection, limit: int) -> list[OutboxRow]:
    cur = conn.execute(
        "SELECT pos, id, type, payload, lamport, wseq, created FROM sync_outbox "
        "WHERE pushed_at IS NULL ORDER BY pos LIMIT ?",
        (limit,),
    )
    return [OutboxRow(*r) for r in cur]


def outbox_mark_pushed(conn: Connection, ids: Iterable[str]) -> None:
    now = utc_now()
    conn.executemany(
        "UPDATE sync_outbox SET pushed_at = ? WHERE id = ? AND pushed_at IS NULL",
        [(now, i) for i in ids],
    )


def outbox_has(conn: Connection, event_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sync_outbox WHERE id = ?", (event_id,)).fetchone() is not None
    )


def outbox_remove(conn: Connection, event_id: str) -> None:
    conn.execute("DELETE FROM sync_outbox WHERE id = ?", (event_id,))


def outbox_counts(conn: Connection) -> tuple[int, int]:
    """(events not yet sent, events sent but not yet back in the clinic's order)."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE pushed_at IS NULL), "
        "count(*) FILTER (WHERE pushed_at IS NOT NULL) FROM sync_outbox"
    ).fetchone()
    return int(row[0]), int(row[1])


def pending_registration(conn: Connection, uid: str) -> str | None:
    """The id of this PC's registration event for ``uid`` while the server has not ordered it."""
    row = conn.execute(
        "SELECT id FROM sync_outbox WHERE type = 'patient.registered' "
        "AND json_extract(payload, '$.uid') = ?",
        (uid,),
    ).fetchone()
    return None if row is None else str(row[0])


# --- applied events and peers -------------------------------------------------------------


def is_applied(conn: Connection, event_id: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM sync_applied WHERE id = ?", (event_id,)).fetchone() is not None
    )


def mark_applied(conn: Connection, event_id: str, seq: int) -> None:
    conn.execute("INSERT INTO sync_applied (id, seq) VALUES (?, ?)", (event_id, seq))


def applied_count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM sync_applied").fetchone()[0])


def peer_last_wseq(conn: Connection, workstation_id: str) -> int:
    row = conn.execute(
        "SELECT last_wseq FROM sync_peers WHERE workstation_id = ?", (workstation_id,)
    ).fetchone()
    return 0 if row is None else int(row[0])


def set_peer_last_wseq(conn: Connection, workstation_id: str, wseq: int) -> None:
    conn.execute(
        "INSERT INTO sync_peers (workstation_id, last_wseq) VALUES (?, ?) ON CONFLICT "
        "(workstation_id) DO UPDATE SET last_wseq = max(last_wseq, excluded.last_wseq)",
        (workstation_id, wseq),
    )


# --- clinic-wide ids -----------------------------------------------------------------------


def local_id(conn: Connection, entity: str, uid: str) -> int | None:
    row = conn.execute(
        "SELECT local_id FROM sync_ids WHERE entity = ? AND uid = ?", (entity, uid)
    ).fetchone()
    return None if row is None else int(row[0])


def uid_of(conn: Connection, entity: str, local: int) -> str | None:
    row = conn.execute(
        "SELECT uid FROM sync_ids WHERE entity = ? AND local_id = ?", (entity, local)
    ).fetchone()
    return None if row is None else str(row[0])


def add_uid(conn: Connection, entity: str, uid: str, local: int) -> None:
    conn.execute(
        "INSERT INTO sync_ids (entity, uid, local_id) VALUES (?, ?, ?)", (entity, uid, local)
    )


def patients_without_uid(conn: Connection) -> int:
    return int(
        conn.execute(
            "SELECT count(*) FROM patients p WHERE NOT EXISTS (SELECT 1 FROM sync_ids s "
            "WHERE s.entity = 'patient' AND s.local_id = p.id)"
        ).fetchone()[0]
    )


def patient_ids_without_uid(conn: Connection) -> list[int]:
    """Charts the clinic network has not heard of, survivors of merges before merged ones."""
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT p.id FROM patients p WHERE NOT EXISTS (SELECT 1 FROM sync_ids s "
            "WHERE s.entity = 'patient' AND s.local_id = p.id) "
            "ORDER BY p.merged_into IS NOT NULL, p.id"
        )
    ]


def document_ids_without_uid(conn: Connection) -> list[int]:
    """Documents the clinic network has not heard of (filed before this PC attached)."""
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT d.id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM sync_ids s "
            "WHERE s.entity = 'document' AND s.local_id = d.id) ORDER BY d.id"
        )
    ]


# --- shadow values (fields with edits the server has not ordered yet) ----------------------


def shadow_get(conn: Connection, entity: str, uid: str, field: str) -> tuple[str, int] | None:
    row = conn.execute(
        "SELECT value, pending FROM sync_shadow WHERE entity = ? AND uid = ? AND field = ?",
        (entity, uid, field),
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def shadow_put(
    conn: Connection, entity: str, uid: str, field: str, value: str, pending: int
) -> None:
    if pending <= 0:
        conn.execute(
            "DELETE FROM sync_shadow WHERE entity = ? AND uid = ? AND field = ?",
            (entity, uid, field),
        )
        return
    conn.execute(
        "INSERT INTO sync_shadow (entity, uid, field, value, pending) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (entity, uid, field) DO UPDATE SET value = excluded.value, "
        "pending = excluded.pending",
        (entity, uid, field, value, pending),
    )


# --- conflicts ------------------------------------------------------------------------------


def add_conflict(
    conn: Connection,
    conflict_id: str,
    kind: str,
    entity: str,
    uid: str,
    seq: int,
    field: str = "",
    kept: str = "",
    replaced: str = "",
    kept_ws: str = "",
) -> None:
    """Record a conflict once (a replica that meets it twice keeps the first record)."""
    conn.execute(
        "INSERT INTO sync_conflicts (id, kind, entity, uid, field, kept, replaced, kept_ws, seq, "
        "detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (conflict_id, kind, entity, uid, field, kept, replaced, kept_ws, seq, utc_now()),
    )


def conflict_seen_at(conn: Connection, conflict_id: str, seq: int) -> None:
    """A conflict this PC found early (its own chart yielded) takes its event's place."""
    conn.execute("UPDATE sync_conflicts SET seq = ? WHERE id = ?", (seq, conflict_id))


def conflicts(conn: Connection, include_resolved: bool = False) -> list[dict]:
    where = "" if include_resolved else "WHERE resolved_at IS NULL "
    cur = conn.execute(
        "SELECT id, kind, entity, uid, field, kept, replaced, kept_ws, seq, detected_at, "
        f"resolved_at, resolved_by, resolution FROM sync_conflicts {where}ORDER BY seq, id"
    )
    return [dict(r) for r in cur]


def conflicts_by_prefix(conn: Connection, prefix: str) -> list[dict]:
    cur = conn.execute(
        "SELECT id, kind, entity, uid, field, kept, replaced, kept_ws, seq, detected_at, "
        "resolved_at, resolved_by, resolution FROM sync_conflicts WHERE id LIKE ? ESCAPE '\\'",
        (prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%",),
    )
    return [dict(r) for r in cur]


def open_conflict_count(conn: Connection) -> int:
    return int(
        conn.execute("SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL").fetchone()[0]
    )


def resolve_conflict(conn: Connection, conflict_id: str, by: str, resolution: str) -> None:
    conn.execute(
        "UPDATE sync_conflicts SET resolved_at = ?, resolved_by = ?, resolution = ? "
        "WHERE id = ? AND resolved_at IS NULL",
        (utc_now(), by, resolution, conflict_id),
    )


# --- MRN blocks and provisional numbers -----------------------------------------------------


def add_mrn_block(conn: Connection, first: int, last: int) -> None:
    conn.execute(
        "INSERT INTO sync_mrn_blocks (first, last, next) VALUES (?, ?, ?) "
        "ON CONFLICT (first) DO NOTHING",
        (first, last, first),
    )


def take_block_number(conn: Connection) -> int | None:
    row = conn.execute(
        "SELECT first, next FROM sync_mrn_blocks WHERE next <= last ORDER BY first LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    conn.execute("UPDATE sync_mrn_blocks SET next = next + 1 WHERE first = ?", (row[0],))
    return int(row[1])


def block_numbers_left(conn: Connection) -> int:
    row = conn.execute(
        "SELECT coalesce(sum(last - next + 1), 0) FROM sync_mrn_blocks WHERE next <= last"
    ).fetchone()
    return int(row[0])


def add_provisional(conn: Connection, uid: str, mrn: str) -> None:
    conn.execute(
        "INSERT INTO sync_provisional (uid, mrn, issued_at) VALUES (?, ?, ?)",
        (uid, mrn, utc_now()),
    )


def provisional(conn: Connection) -> list[tuple[str, str]]:
    return [
        (str(r[0]), str(r[1]))
        for r in conn.execute("SELECT uid, mrn FROM sync_provisional ORDER BY issued_at, uid")
    ]


def remove_provisional(conn: Connection, uid: str) -> None:
    conn.execute("DELETE FROM sync_provisional WHERE uid = ?", (uid,))


# --- patient rows the projectors need beyond db/patients.py ---------------------------------


def patient_id_with_mrn(conn: Connection, mrn: str) -> int | None:
    """The chart whose own MRN (not an alias) is ``mrn``."""
    row = conn.execute("SELECT id FROM patients WHERE mrn = ?", (mrn,)).fetchone()
    return None if row is None else int(row[0])


def patient_field(conn: Connection, patient_id: int, field: str) -> str | None:
    from clinicrecords.db.patients import FIELDS

    if field not in FIELDS:
        raise KeyError(field)
    row = conn.execute(f"SELECT {field} FROM patients WHERE id = ?", (patient_id,)).fetchone()
    return None if row is None else str(row[0])


def patient_source(conn: Connection, patient_id: int) -> tuple[str | None, str | None]:
    row = conn.execute(
        "SELECT source, source_id FROM patients WHERE id = ?", (patient_id,)
    ).fetchone()
    return (None, None) if row is None else (row[0], row[1])


def clear_patient_source(conn: Connection, patient_id: int) -> None:
    conn.execute("UPDATE patients SET source = NULL, source_id = NULL WHERE id = ?", (patient_id,))


def set_merged_into(conn: Connection, patient_id: int, survivor_id: int) -> None:
    conn.execute("UPDATE patients SET merged_into = ? WHERE id = ?", (survivor_id, patient_id))


def add_alias(conn: Connection, mrn: str, patient_id: int) -> None:
    conn.execute(
        "INSERT INTO patient_aliases (mrn, patient_id, merge_id, created_at) "
        "VALUES (?, ?, NULL, ?) ON CONFLICT (mrn) DO NOTHING",
        (mrn, patient_id, utc_now()),
    )


# --- accounts (sync/accounts.py) ------------------------------------------------------------


def user_ids_without_uid(conn: Connection) -> list[int]:
    """Accounts the clinic network has not heard of (a store attached by an earlier version)."""
    return [
        int(r[0])
        for r in conn.execute(
            "SELECT u.id FROM users u WHERE NOT EXISTS (SELECT 1 FROM sync_ids s "
            "WHERE s.entity = 'user' AND s.local_id = u.id) ORDER BY u.id"
        )
    ]


def pending_user_added(conn: Connection, key: str) -> str | None:
    """The id of this PC's ``user.added`` for ``key`` while the server has not ordered it."""
    row = conn.execute(
        "SELECT id FROM sync_outbox WHERE type = 'user.added' "
        "AND json_extract(payload, '$.key') = ?",
        (key,),
    ).fetchone()
    return None if row is None else str(row[0])
