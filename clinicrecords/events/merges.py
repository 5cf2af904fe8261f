"""Merges travel (the capture side; ``sync/merges.py`` applies them): two charts of one person
merged at one desk are one chart on every PC, and an undo is undone everywhere.

Events (sealed like every event):
- ``merge.applied`` {uid, survivor, merged, reason, by}: charts by their clinic-wide ids,
  ``by`` the account's key (user name in lower case)
- ``merge.undone``  {uid, reason, by}: ``uid`` names the merge

Each PC moves what *it* holds in the merged chart at that point of the clinic's order (the
same documents on every PC, since every PC applies the same events in the same order), so the
event carries no local document ids. Conflicting merges (one chart merged into two others on
two PCs offline, two charts merged into each other) are decided by the clinic's order: the
earlier merge stands, the later one is not applied anywhere and is listed as a conflict.
"""

from __future__ import annotations

from clinicrecords.common.domain import User
from clinicrecords.db import sync_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import capture
from clinicrecords.events import types as ev
from clinicrecords.events.accounts import key_of
from clinicrecords.events.ids import uuid7
from clinicrecords.events.outbox import emit

MERGE = "merge"  # entity name in sync_ids
MERGE_APPLIED = "merge.applied"
MERGE_UNDONE = "merge.undone"


def ensure_shared(conn: Connection, patient_ids: list[int]) -> None:
    """Charts the clinic never heard of are registered first, so the merge can name them
    (call before the merge changes them, so their registration carries no merge)."""
    if not sync_sql.is_attached(conn):
        return
    for pid in patient_ids:
        if sync_sql.uid_of(conn, ev.PATIENT, pid) is None:
            capture.patient_registered(conn, pid)


def merge_applied(
    conn: Connection, merge_id: int, survivor_id: int, merged_id: int, reason: str, user: User
) -> None:
    """Inside the merge's write transaction, after the merge."""
    if not sync_sql.is_attached(conn):
        return
    survivor = sync_sql.uid_of(conn, ev.PATIENT, survivor_id)
    merged = sync_sql.uid_of(conn, ev.PATIENT, merged_id)
    if survivor is None or merged is None:
        return
    uid = uuid7()
    sync_sql.add_uid(conn, MERGE, uid, merge_id)
    emit(
        conn,
        MERGE_APPLIED,
        {
            "uid": uid,
            "survivor": survivor,
            "merged": merged,
            "reason": reason,
            "by": key_of(user.username),
        },
    )


def merge_undone(conn: Connection, merge_id: int, reason: str, user: User) -> None:
    """Inside the undo's write transaction. A merge made before this PC joined the network
    has no clinic-wide id: its undo stays on this PC, as the merge did."""
    if not sync_sql.is_attached(conn):
        return
    uid = sync_sql.uid_of(conn, MERGE, merge_id)
    if uid is None:
        return
    emit(conn, MERGE_UNDONE, {"uid": uid, "reason": reason, "by": key_of(user.username)})
