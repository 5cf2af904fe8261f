"""Merging two charts of one person, and undoing a merge.

A merge moves every document (and so every page) of the merged chart into the survivor,
marks the merged chart ``merged_into`` the survivor, and keeps its MRN as an alias that
still finds the survivor. Charts earlier merged into the merged chart follow it, and its own
aliases move with it. What moved is written in the ``merges`` row, so an administrator can
undo exactly that; documents filed into the survivor after the merge stay there.

Release requests and disclosures keep the chart they were made for (the accounting of
disclosures is append-only); the chart view shows those of merged charts with the survivor.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Patient
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import charts_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import merges as merge_events
from clinicrecords.registry import lookup

MIN_REASON = 5


@dataclass(frozen=True)
class MergeResult:
    merge_id: int
    survivor: Patient
    merged: Patient
    documents_moved: int
    pages_moved: int


@dataclass(frozen=True)
class MergeRecord:
    id: int
    survivor_id: int
    survivor_mrn: str
    merged_id: int
    merged_mrn: str
    reason: str
    merged_by: str
    merged_at: str
    documents_moved: int
    undone_by: str | None
    undone_at: str | None

    @property
    def undone(self) -> bool:
        return self.undone_at is not None


def merge_charts(session: Session, survivor_id: int, merged_id: int, reason: str) -> MergeResult:
    """Merge chart `merged_id` into `survivor_id`; audited with who and why."""
    session.require("patient.merge")
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise BadInput("Say why these two charts are the same person.")
    if survivor_id == merged_id:
        raise BadInput("A chart cannot be merged into itself.")
    with session.db.write() as conn:
        survivor = patients_sql.get(conn, survivor_id)
        merged = patients_sql.get(conn, merged_id)
        if survivor is None or merged is None:
            raise NotFound("That chart does not exist.")
        if survivor.merged_into is not None or merged.merged_into is not None:
            raise BadInput("One of these charts was already merged into another chart.")
        merge_events.ensure_shared(conn, [survivor_id, merged_id])
        merge_id, docs, followers, pages = apply_merge(
            conn, survivor_id, merged_id, reason, session.user.id
        )
        merge_events.merge_applied(conn, merge_id, survivor_id, merged_id, reason, session.user)
        session.audit(
            "patient.merge",
            "patient",
            survivor_id,
            conn=conn,
            merge_id=merge_id,
            merged_id=merged_id,
            reason=reason,
            documents=len(docs),
            pages=pages,
        )
        survivor_after = patients_sql.get(conn, survivor_id)
        merged_after = patients_sql.get(conn, merged_id)
    assert survivor_after is not None and merged_after is not None
    _reindex(session, [merged_after, survivor_after], followers)
    return MergeResult(merge_id, survivor_after, merged_after, len(docs), pages)


def unmerge(session: Session, merge_id: int, reason: str = "") -> MergeResult:
    """Undo a merge (administrators only): the moved documents go back, the alias goes."""
    session.require("patient.unmerge")
    with session.db.write() as conn:
        row = charts_sql.merge(conn, merge_id)
        if row is None:
            raise NotFound("That merge does not exist.")
        if row["undone_at"]:
            raise BadInput("That merge was already undone.")
        survivor_id, merged_id = int(row["survivor_id"]), int(row["merged_id"])
        survivor = patients_sql.get(conn, survivor_id)
        assert survivor is not None
        if survivor.merged_into is not None:
            raise BadInput(
                "The surviving chart was merged again since; undo that later merge first."
            )
        back, followers, pages = undo_merge(conn, row, session.user.id)
        merge_events.merge_undone(conn, merge_id, reason.strip(), session.user)
        session.audit(
            "patient.unmerge",
            "patient",
            survivor_id,
            conn=conn,
            merge_id=merge_id,
            merged_id=merged_id,
            documents=len(back),
            reason=reason.strip(),
        )
        survivor_after = patients_sql.get(conn, survivor_id)
        merged_after = patients_sql.get(conn, merged_id)
    assert survivor_after is not None and merged_after is not None
    _reindex(session, [survivor_after, merged_after], followers)
    return MergeResult(merge_id, survivor_after, merged_after, len(back), pages)


def apply_merge(
    conn: Connection, survivor_id: int, merged_id: int, reason: str, user_id: int | None
) -> tuple[int, list[int], list[int], int]:
    """The merge itself, inside the caller's write transaction: (merge id, documents moved,
    charts that followed, pages). The service runs it, and so does every other PC of a clinic
    network when the merge arrives (``sync/merges.py``), so all replicas move the same way."""
    _docs, pages = charts_sql.page_counts(conn, merged_id)
    merged = patients_sql.get(conn, merged_id)
    assert merged is not None
    merge_id = charts_sql.insert_merge(conn, survivor_id, merged_id, reason, user_id)
    docs = charts_sql.move_documents(
        conn, charts_sql.document_ids(conn, merged_id), merged_id, survivor_id
    )
    aliases = charts_sql.aliases_of(conn, merged_id)
    charts_sql.repoint_aliases(conn, aliases, survivor_id)
    followers = charts_sql.merged_into(conn, merged_id)
    charts_sql.repoint_merged_charts(conn, followers, survivor_id)
    charts_sql.insert_alias(conn, merged.mrn, survivor_id, merge_id)
    charts_sql.set_merged_into(conn, merged_id, survivor_id)
    charts_sql.set_moved(
        conn, merge_id, {"documents": docs, "aliases": aliases, "charts": followers}
    )
    patients_sql.touch(conn, survivor_id)
    return merge_id, docs, followers, pages


def undo_merge(
    conn: Connection, row: dict, user_id: int | None
) -> tuple[list[int], list[int], int]:
    """Undo one merge (``charts_sql.merge`` row) inside the caller's write transaction:
    (documents moved back, charts that went back, pages now in the merged chart). Shared with
    the sync projector, like ``apply_merge``."""
    survivor_id, merged_id = int(row["survivor_id"]), int(row["merged_id"])
    moved = row["moved"]
    back = charts_sql.move_documents(
        conn, [int(d) for d in moved.get("documents", [])], survivor_id, merged_id
    )
    charts_sql.delete_aliases_of_merge(conn, int(row["id"]))
    charts_sql.repoint_aliases(conn, list(moved.get("aliases", [])), merged_id)
    followers = [int(c) for c in moved.get("charts", [])]
    charts_sql.repoint_merged_charts(conn, followers, merged_id)
    charts_sql.set_merged_into(conn, merged_id, None)
    charts_sql.mark_undone(conn, int(row["id"]), user_id)
    _docs, pages = charts_sql.page_counts(conn, merged_id)
    patients_sql.touch(conn, survivor_id)
    patients_sql.touch(conn, merged_id)
    return back, followers, pages


def merge_history(session: Session, patient_id: int) -> list[MergeRecord]:
    """Merges this chart took part in, newest first."""
    session.require("patient.read")
    with session.db.read() as conn:
        rows = charts_sql.merges_for_patient(conn, patient_id)
    return [
        MergeRecord(
            id=r["id"],
            survivor_id=r["survivor_id"],
            survivor_mrn=r["survivor_mrn"],
            merged_id=r["merged_id"],
            merged_mrn=r["merged_mrn"],
            reason=r["reason"],
            merged_by=r["merged_by_name"] or "",
            merged_at=r["merged_at"],
            documents_moved=len(_json_list(r["moved"], "documents")),
            undone_by=r["undone_by_name"],
            undone_at=r["undone_at"],
        )
        for r in rows
    ]


def _json_list(text: str, key: str) -> list:
    import json

    try:
        return list(json.loads(text or "{}").get(key, []))
    except ValueError:
        return []


def _reindex(session: Session, patients: list[Patient], followers: list[int]) -> None:
    """Keep the lookup index in step: merged charts leave it, survivors carry the aliases."""
    for p in patients:
        lookup.on_patient_changed(session.store, p)
    if followers:
        with session.db.read() as conn:
            for pid in followers:
                p = patients_sql.get(conn, pid)
                if p is not None:
                    lookup.on_patient_changed(session.store, p)
