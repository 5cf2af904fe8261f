"""Retention and disposal: how long each kind of record is kept, legal holds that stop the
clock, and destruction with proof (DESIGN.md section 6).

A policy per document type keeps a document ``years`` after its date of service; for a patient
who was a minor on that date, also ``minor_years`` after the age of majority, whichever is
later (the shape most state statutes take). The numbers are the clinic's to set: state law
decides them, the program only applies them. A document with no date of service counts from
the day it was filed, which is later, so it is never destroyed early.

Disposal destroys the page images (the page store's objects are unlinked, and an imported
original once none of its pages keeps bytes), the OCR text (gone from the full-text index) and
words, and the free-text index fields; it keeps a tombstone per document (what, which chart,
which dates, under which policy, when, by whom) and writes a certificate of destruction. A
chart under a legal hold, or a document in a release not yet sent, is never disposed of.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import get_setting
from clinicrecords.common.errors import BadInput, NotFound, cannot_write
from clinicrecords.common.fileio import write_atomically
from clinicrecords.common.timeutil import today, utc_now
from clinicrecords.db import documents_sql, retention_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection, DatabaseError
from clinicrecords.db.pagestore import PageStore
from clinicrecords.events import retention as retention_events

DEFAULT_YEARS = 10  # a type without a policy of its own
DEFAULT_MINOR_YEARS = 3
METHOD = (
    "Page images deleted from the encrypted page store (AES-256-GCM objects unlinked); "
    "OCR text and words removed from the database and its full-text index (freed space "
    "overwritten, journal emptied); title, author and facility cleared. A tombstone keeps "
    "the document number, chart, type and dates."
)
STATE_LAW_NOTE = (
    "State law (and payer contracts) decide how long records must be kept; set each period "
    "to what applies to this clinic."
)


@dataclass(frozen=True)
class Policy:
    doc_type: str
    label: str
    years: int
    minor_years: int
    own: bool  # False: the defaults apply

    def describe(self, majority: int) -> str:
        return (
            f"{self.doc_type}: {self.years} years after the date of service; minors "
            f"{self.minor_years} years after age {majority}"
        )


@dataclass(frozen=True)
class DueDocument:
    document_id: int
    patient_id: int
    mrn: str
    doc_type: str
    doc_date: date | None  # None: undated, counted from the filing date
    keep_until: date
    pages: int
    policy: str


@dataclass(frozen=True)
class DueList:
    documents: tuple[DueDocument, ...]
    held: int  # due, but the chart is under a legal hold
    in_release: int  # due, but in a release not yet sent
    unshared: int = 0  # due, but its filing has not been pushed to the clinic server yet


@dataclass(frozen=True)
class Hold:
    id: int
    patient_id: int
    mrn: str
    reason: str
    placed_by: str
    placed_at: str


@dataclass(frozen=True)
class DisposalResult:
    certificate_id: int
    documents: tuple[DueDocument, ...]
    pages: int
    objects_removed: int
    originals_kept: int  # imported originals still holding pages of a document not yet due
    certificate: Path


# --- policies ------------------------------------------------------------------------------


def _labels(conn: Connection) -> dict[str, str]:
    return {r["code"]: r["label"] for r in documents_sql.doc_types(conn)}


def list_policies(session: Session) -> list[Policy]:
    session.require("document.read")
    with session.db.read() as conn:
        own = retention_sql.policies(conn)
        labels = _labels(conn)
    return [
        Policy(code, label, *own.get(code, (DEFAULT_YEARS, DEFAULT_MINOR_YEARS)), code in own)
        for code, label in sorted(labels.items(), key=lambda kv: kv[1].lower())
    ]


def set_policy(session: Session, doc_type: str, years: int, minor_years: int | None) -> Policy:
    """An administrator sets how long a type is kept (audited; the clinic network hears)."""
    session.require("retention.manage")
    if not 1 <= years <= 100:
        raise BadInput("Years to keep must be between 1 and 100.")
    with session.db.write() as conn:
        if not documents_sql.doc_type_exists(conn, doc_type):
            raise BadInput("That document type does not exist.")
        old = retention_sql.policies(conn).get(doc_type, (DEFAULT_YEARS, DEFAULT_MINOR_YEARS))
        minor = old[1] if minor_years is None else minor_years
        if not 0 <= minor <= 100:
            raise BadInput("Years after the age of majority must be between 0 and 100.")
        retention_sql.set_policy(conn, doc_type, years, minor, session.user.id)
        retention_events.policy_set(conn, doc_type, years, minor)
        session.audit(
            "retention.policy_set", "doc_type", doc_type, conn=conn,
            old=list(old), years=years, minor_years=minor,
        )  # fmt: skip
        label = _labels(conn)[doc_type]
    return Policy(doc_type, label, years, minor, True)


# --- the schedule --------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def keep_until(service: date, dob: date, years: int, minor_years: int, majority: int) -> date:
    """The last day a document must be kept: ``years`` after the date of service, or for a
    patient who was a minor then, ``minor_years`` after reaching the age of majority if later."""
    until = add_years(service, years)
    came_of_age = add_years(dob, majority)
    if service < came_of_age:
        until = max(until, add_years(came_of_age, minor_years))
    return until


def _schedule(conn: Connection, on: date) -> DueList:
    majority = int(get_setting(conn, "retention.age_of_majority"))
    own = retention_sql.policies(conn)
    due, held, in_release, unshared = [], 0, 0, 0
    for r in retention_sql.candidates(conn):
        years, minor = own.get(r["doc_type"], (DEFAULT_YEARS, DEFAULT_MINOR_YEARS))
        service = date.fromisoformat(r["doc_date"]) if r["doc_date"] else None
        counted = service or date.fromisoformat(r["filed_on"])
        until = keep_until(counted, date.fromisoformat(r["dob"]), years, minor, majority)
        if until >= on:
            continue
        if r["on_hold"]:
            held += 1
            continue
        if r["in_release"]:
            in_release += 1
            continue
        if r["unshared"]:
            unshared += 1
            continue
        policy = Policy(r["doc_type"], "", years, minor, r["doc_type"] in own)
        due.append(
            DueDocument(
                r["document_id"], r["patient_id"], r["mrn"], r["doc_type"], service, until,
                int(r["pages"]), policy.describe(majority),
            )
        )  # fmt: skip
    return DueList(tuple(due), held, in_release, unshared)


def due(session: Session, on: date | None = None) -> DueList:
    """Documents whose retention period has ended, not under a hold: what disposal would take."""
    session.require("retention.manage")
    with session.db.read() as conn:
        result = _schedule(conn, on or today())
    session.audit("retention.due", "store", "", documents=len(result.documents))
    return result


# --- legal holds ---------------------------------------------------------------------------


def _patient_id(conn: Connection, mrn: str) -> int:
    pid = patients_sql.id_by_mrn(conn, mrn.strip())
    if pid is None:
        raise NotFound("No chart has that MRN.")
    return pid


def place_hold(session: Session, patient_id: int, reason: str) -> Hold:
    """A legal hold (litigation, audit, investigation): nothing in the chart is disposed of
    until every hold on it is released."""
    session.require("retention.hold")
    reason = reason.strip()
    if not reason:
        raise BadInput("Say why the chart is held (the case or matter).")
    with session.db.write() as conn:
        if patients_sql.get(conn, patient_id) is None:
            raise NotFound("That chart does not exist.")
        hold_id = retention_sql.add_hold(conn, patient_id, reason, session.user.id)
        hold = next(h for h in retention_sql.active_holds(conn, patient_id) if h["id"] == hold_id)
        retention_events.hold_placed(
            conn, hold_id, patient_id, reason, session.user.username, hold["placed_at"]
        )
        session.audit("retention.hold", "patient", patient_id, conn=conn, hold=hold_id)
    return Hold(**hold)


def place_hold_by_mrn(session: Session, mrn: str, reason: str) -> Hold:
    session.require("retention.hold")
    with session.db.read() as conn:
        pid = _patient_id(conn, mrn)
    return place_hold(session, pid, reason)


def release_hold(session: Session, patient_id: int, reason: str = "") -> int:
    """Release every active hold on a chart; returns how many were released."""
    session.require("retention.hold")
    with session.db.write() as conn:
        at = utc_now()
        released = retention_sql.release_holds(conn, patient_id, session.user.id, reason, at)
        if not released:
            raise BadInput("That chart is not under a legal hold.")
        retention_events.hold_released(conn, patient_id, reason, session.user.username, at)
        session.audit("retention.release_hold", "patient", patient_id, conn=conn, holds=released)
    return len(released)


def release_hold_by_mrn(session: Session, mrn: str, reason: str = "") -> int:
    session.require("retention.hold")
    with session.db.read() as conn:
        pid = _patient_id(conn, mrn)
    return release_hold(session, pid, reason)


def holds(session: Session, patient_id: int | None = None) -> list[Hold]:
    session.require("document.read")
    with session.db.read() as conn:
        return [Hold(**h) for h in retention_sql.active_holds(conn, patient_id)]


# --- disposal ------------------------------------------------------------------------------


def dispose(session: Session, certificate: Path, on: date | None = None) -> DisposalResult:
    """Destroy every due document not under a hold and write the certificate of destruction.

    The certificate is written (whole or not at all) before the database commit, so no
    disposal happens without its proof; if the commit fails the certificate is removed. The
    page store's objects are unlinked after the commit: a crash in between leaves objects no
    page names, which ``verify`` notes and ``verify --remove-orphans`` clears.
    """
    from clinicrecords.records.certificates import certificate_pdf

    session.require("retention.manage")
    on = on or today()
    certificate = Path(certificate)
    written = False
    own = session.db.connection()  # the connection write() uses on this thread
    retention_sql.secure_delete(own, True)
    try:
        with session.db.write() as conn:
            schedule = _schedule(conn, on)
            if not schedule.documents:
                raise BadInput("No document is due for destruction.")
            docs = schedule.documents
            now = utc_now()
            dates = [d.doc_date.isoformat() for d in docs if d.doc_date]
            date_from, date_to = (min(dates), max(dates)) if dates else (None, None)
            pages = sum(d.pages for d in docs)
            cert_id = retention_sql.add_certificate(
                conn, session.user.id, METHOD, len(docs), pages, date_from, date_to
            )
            blobs: set[str] = set()
            for d in docs:
                day = d.doc_date.isoformat() if d.doc_date else None
                blobs |= destroy_document(
                    conn, d.document_id, d.patient_id, d.doc_type, day, d.pages, d.policy,
                    cert_id, session.user.id, now,
                )  # fmt: skip
                retention_events.document_destroyed(
                    conn, d.document_id,
                    {"policy": d.policy, "date_from": day, "date_to": day, "pages": d.pages,
                     "by": session.user.username, "at": now},
                )  # fmt: skip
                session.audit(
                    "document.destroy", "document", d.document_id, conn=conn,
                    patient_id=d.patient_id, certificate=cert_id, pages=d.pages,
                )  # fmt: skip
            unused, originals_kept = unused_objects(conn, blobs)
            retention_sql.optimize_text_index(conn)
            by = session.user.full_name or session.user.username
            clinic = str(get_setting(conn, "clinic.name") or "")
            pdf = certificate_pdf(cert_id, clinic, now, by, METHOD, docs, date_from, date_to)
            retention_sql.set_certificate_hash(conn, cert_id, hashlib.sha256(pdf).hexdigest())
            session.audit(
                "retention.dispose", "certificate", cert_id, conn=conn,
                documents=len(docs), pages=pages, objects=len(unused),
            )  # fmt: skip
            try:
                write_atomically(certificate, pdf)
            except OSError as exc:
                raise cannot_write("the certificate of destruction", exc) from None
            written = True
    except BaseException:
        if written:  # the commit failed: no certificate for a destruction that did not happen
            certificate.unlink(missing_ok=True)
        raise
    finally:
        retention_sql.secure_delete(own, False)
    with contextlib.suppress(DatabaseError):  # best effort: a busy reader only delays it
        retention_sql.checkpoint_truncate(own)
    removed = remove_objects(session.pages, unused)
    _forget_thumbnails(session)
    return DisposalResult(cert_id, docs, pages, removed, originals_kept, certificate)


def destroy_document(
    conn: Connection,
    document_id: int,
    patient_id: int,
    doc_type: str,
    day: str | None,
    pages: int,
    policy: str,
    certificate_id: int | None,
    user_id: int | None,
    at: str,
) -> set[str]:
    """Forget a document's pages (bytes, words, text) and leave its tombstone, inside the
    caller's transaction; returns the page-store objects its pages named (imported originals
    are resolved by ``unused_objects``). The same on the PC that disposed and on every PC
    that applies its ``document.destroyed``."""
    blobs = {f"page:{b}" for _, b, _ in retention_sql.document_blobs(conn, document_id)}
    blobs |= {
        f"file:{f}" for _, _, f in retention_sql.document_blobs(conn, document_id) if f is not None
    }
    retention_sql.destroy_pages(conn, document_id)
    retention_sql.add_tombstone(
        conn, document_id, patient_id, doc_type, day, day, pages, policy, certificate_id,
        user_id, at,
    )  # fmt: skip
    return blobs


def unused_objects(conn: Connection, named: set[str]) -> tuple[list[str], int]:
    """The page-store objects no page or original names any more (to unlink after the
    commit), and how many imported originals stay because some of their pages are kept."""
    blobs = {n[5:] for n in named if n.startswith("page:")}
    kept = 0
    for file_id in sorted({int(n[5:]) for n in named if n.startswith("file:")}):
        if retention_sql.file_fully_destroyed(conn, file_id):
            blob = retention_sql.forget_file(conn, file_id)
            if blob:
                blobs.add(blob)
        else:
            kept += 1
    used = retention_sql.blobs_in_use(conn, sorted(blobs))
    return sorted(blobs - used), kept


def remove_objects(pages: PageStore, blob_ids: list[str]) -> int:
    """Unlink page-store objects (after the commit that stopped naming them)."""
    removed = 0
    for blob_id in blob_ids:
        try:
            pages.path_for(blob_id).unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def _forget_thumbnails(session: Session) -> None:
    """Thumbnails made earlier in this process show destroyed pages: drop them all."""
    from clinicrecords.records import charts

    with session.store.cache_lock:
        session.store.cache.pop(charts._THUMB_KEY, None)
