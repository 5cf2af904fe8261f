"""A patient's request to amend their record (45 CFR 164.526).

The rule's clock: a decision within 60 days of receiving the request, or, once, 30 days more
when the patient is told in writing (before the 60 days run out) why and by when. Accepting
appends the amendment to the record (it travels with the document from then on) and names
whom to tell: the persons the patient names and everyone the document already went out to.
Denying produces a denial letter with the patient's rights; a statement of disagreement the
patient then sends is stored and goes out with every later release of that document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from string import Template

from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import get_setting
from clinicrecords.common.errors import BadInput, NotFound, cannot_write
from clinicrecords.common.fileio import write_atomically
from clinicrecords.common.timeutil import today
from clinicrecords.db import amendments_sql, documents_sql, retention_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import retention as events

DECIDE_DAYS = 60
EXTENSION_DAYS = 30
DENIAL_LETTER = "amendment_denial.txt"
EXTENSION_LETTER = "amendment_extension.txt"
LETTER_FIELDS = frozenset(
    {
        "today", "amendment_id", "patient_name", "patient_dob", "received_on", "document",
        "request", "reason", "due_on", "clinic_name", "clinic_address", "clinic_phone",
        "decided_by",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Recipient:
    """Someone to tell of an accepted amendment: named by the patient, or a past recipient
    of the document (``request`` is the release request's code)."""

    name: str
    request: str = ""
    sent_on: str = ""


@dataclass(frozen=True)
class Amendment:
    id: int
    patient_id: int
    mrn: str
    document_id: int | None
    text: str
    received_on: date
    due_on: date
    extended_on: date | None
    extension_reason: str
    status: str  # 'pending', 'accepted', 'denied'
    decided_on: date | None
    decided_by: str
    reason: str
    notify: tuple[str, ...]
    disagreement: str
    disagreement_on: date | None

    @property
    def overdue(self) -> bool:
        return self.status == "pending" and today() > self.due_on

    @property
    def can_extend(self) -> bool:
        return self.status == "pending" and self.extended_on is None and today() <= self.due_on


@dataclass(frozen=True)
class Decision:
    amendment: Amendment
    recipients: tuple[Recipient, ...]  # accepted: whom to tell
    letter: Path | None  # denied: the denial letter, when asked for


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _amendment(row: dict) -> Amendment:
    return Amendment(
        id=row["id"],
        patient_id=row["patient_id"],
        mrn=row["mrn"],
        document_id=row["document_id"],
        text=row["request_text"],
        received_on=date.fromisoformat(row["received_on"]),
        due_on=date.fromisoformat(row["due_on"]),
        extended_on=_day(row["extended_on"]),
        extension_reason=row["extension_reason"],
        status=row["status"],
        decided_on=_day(row["decided_on"]),
        decided_by=row["decided_by_name"] or "",
        reason=row["decision_reason"],
        notify=tuple(json.loads(row["notify"] or "[]")),
        disagreement=row["disagreement"],
        disagreement_on=_day(row["disagreement_on"]),
    )


def _load(conn: Connection, amendment_id: int) -> Amendment:
    row = amendments_sql.get(conn, amendment_id)
    if row is None:
        raise NotFound("There is no amendment request with that number.")
    return _amendment(row)


def _text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise BadInput(f"Write {what}.")
    return value


# --- the request ---------------------------------------------------------------------------


def request_amendment(
    session: Session,
    patient_id: int,
    text: str,
    document_id: int | None = None,
    received_on: date | None = None,
) -> Amendment:
    """Log a request (from the day it was received: the 60 days run from then)."""
    session.require("amendment.request")
    text = _text(text, "what the patient asks to change")
    received = received_on or today()
    if received > today():
        raise BadInput("A request cannot be received in the future.")
    with session.db.write() as conn:
        if patients_sql.get(conn, patient_id) is None:
            raise NotFound("That chart does not exist.")
        if document_id is not None and documents_sql.document_patient_id(conn, document_id) != (
            patient_id
        ):
            raise BadInput("That document is not in this chart.")
        if document_id is not None and retention_sql.is_destroyed(conn, document_id):
            raise BadInput("That document was destroyed under the retention schedule.")
        due = received + timedelta(days=DECIDE_DAYS)
        aid = amendments_sql.insert(
            conn, patient_id, document_id, text, received.isoformat(), due.isoformat(),
            session.user.id,
        )  # fmt: skip
        events.amendment_requested(
            conn, aid,
            {"patient_id": patient_id, "document_id": document_id, "text": text,
             "received_on": received.isoformat(), "due_on": due.isoformat(),
             "by": session.user.username},
        )  # fmt: skip
        session.audit(
            "amendment.request", "patient", patient_id, conn=conn, amendment=aid,
            document=document_id,
        )  # fmt: skip
        return _load(conn, aid)


def request_by_mrn(
    session: Session, mrn: str, text: str, document_id: int | None = None
) -> Amendment:
    session.require("amendment.request")
    with session.db.read() as conn:
        pid = patients_sql.id_by_mrn(conn, mrn.strip())
    if pid is None:
        raise NotFound("No chart has that MRN.")
    return request_amendment(session, pid, text, document_id)


def list_amendments(
    session: Session, patient_id: int | None = None, open_only: bool = False
) -> list[Amendment]:
    """Requests, soonest due first (the log a privacy officer works through)."""
    session.require("document.read")
    with session.db.read() as conn:
        rows = amendments_sql.listing(conn, patient_id, open_only)
    return [_amendment(r) for r in rows]


def get_amendment(session: Session, amendment_id: int) -> Amendment:
    session.require("document.read")
    with session.db.read() as conn:
        return _load(conn, amendment_id)


# --- the clock -----------------------------------------------------------------------------


def extend(
    session: Session, amendment_id: int, reason: str, letter: Path | None = None
) -> Amendment:
    """The one 30-day extension: only while the first 60 days run, with a written notice
    (the reason and the new date) for the patient."""
    session.require("amendment.decide")
    reason = _text(reason, "why more time is needed (the patient is told)")
    with session.db.write() as conn:
        a = _load(conn, amendment_id)
        if a.status != "pending":
            raise BadInput("That request is already decided.")
        if a.extended_on is not None:
            raise BadInput("The deadline was already extended once; the rule allows one.")
        if today() > a.due_on:
            raise BadInput("The 60 days have passed: the deadline can no longer be extended.")
        due = a.due_on + timedelta(days=EXTENSION_DAYS)
        amendments_sql.extend(conn, amendment_id, today().isoformat(), reason, due.isoformat())
        events.amendment_changed(
            conn, events.AMENDMENT_EXTENDED, amendment_id,
            {"on": today().isoformat(), "reason": reason, "due_on": due.isoformat()},
        )  # fmt: skip
        session.audit("amendment.extend", "patient", a.patient_id, conn=conn, amendment=a.id)
        a = _load(conn, amendment_id)
        if letter is not None:
            _write_letter(session, conn, a, EXTENSION_LETTER, reason, letter)
    return a


def decide(
    session: Session,
    amendment_id: int,
    decision: str,
    reason: str,
    notify: tuple[str, ...] = (),
    letter: Path | None = None,
) -> Decision:
    """Accept (the amendment is appended to the record) or deny (with a denial letter)."""
    session.require("amendment.decide")
    if decision not in ("accept", "deny"):
        raise BadInput("Decide 'accept' or 'deny'.")
    reason = _text(reason, "the reason for the decision")
    status = "accepted" if decision == "accept" else "denied"
    notify = tuple(n.strip() for n in notify if n.strip())
    with session.db.write() as conn:
        a = _load(conn, amendment_id)
        if a.status != "pending":
            raise BadInput("That request is already decided.")
        amendments_sql.decide(
            conn, amendment_id, status, today().isoformat(), session.user.id, reason, notify
        )
        events.amendment_changed(
            conn, events.AMENDMENT_DECIDED, amendment_id,
            {"status": status, "on": today().isoformat(), "reason": reason,
             "notify": list(notify), "by": session.user.username},
        )  # fmt: skip
        session.audit(
            f"amendment.{status}", "patient", a.patient_id, conn=conn, amendment=a.id,
            late=today() > a.due_on,
        )  # fmt: skip
        recipients: list[Recipient] = [Recipient(n) for n in notify]
        if status == "accepted" and a.document_id is not None:
            for r in amendments_sql.release_recipients(conn, a.document_id):
                name = ", ".join(x for x in (r["requester_name"], r["requester_org"]) if x)
                recipients.append(Recipient(name, r["code"], r["sent_on"] or ""))
        a = _load(conn, amendment_id)
        written = None
        if status == "denied" and letter is not None:
            written = _write_letter(session, conn, a, DENIAL_LETTER, reason, letter)
    return Decision(a, tuple(recipients), written)


def file_disagreement(session: Session, amendment_id: int, text: str) -> Amendment:
    """Store the patient's statement of disagreement with a denial: from now on it goes out
    with every release of the document (164.526(d)(5))."""
    session.require("amendment.request")
    text = _text(text, "the patient's statement")
    with session.db.write() as conn:
        a = _load(conn, amendment_id)
        if a.status != "denied":
            raise BadInput("A statement of disagreement answers a denied request.")
        amendments_sql.set_disagreement(conn, amendment_id, text, today().isoformat())
        events.amendment_changed(
            conn, events.AMENDMENT_DISAGREEMENT, amendment_id,
            {"text": text, "on": today().isoformat()},
        )  # fmt: skip
        session.audit("amendment.disagreement", "patient", a.patient_id, conn=conn, amendment=a.id)
        return _load(conn, amendment_id)


def denial_letter(session: Session, amendment_id: int, out: Path) -> Path:
    """(Re)print the denial letter of a denied request."""
    session.require("amendment.decide")
    with session.db.read() as conn:
        a = _load(conn, amendment_id)
        if a.status != "denied":
            raise BadInput("Only a denied request has a denial letter.")
        return _write_letter(session, conn, a, DENIAL_LETTER, a.reason, out)


# --- what travels with a document -------------------------------------------------------------


def travelling_text(conn: Connection, document_ids: list[int]) -> dict[int, list[str]]:
    """Document id -> paragraphs to enclose right after it in a release: each accepted
    amendment, and each denied request with the patient's statement of disagreement."""
    out: dict[int, list[str]] = {}
    for doc_id, rows in amendments_sql.travelling(conn, document_ids).items():
        lines: list[str] = []
        for r in rows:
            if r["status"] == "accepted":
                lines += [
                    f"## Amendment {r['id']} to this document (45 CFR 164.526)",
                    f"Requested on {r['received_on']}; accepted on {r['decided_on']}.",
                    "Amendment:",
                    r["request_text"],
                    "",
                ]
            else:
                lines += [
                    f"## Statement of disagreement (amendment request {r['id']}, 45 CFR "
                    "164.526(d))",
                    f"The patient asked on {r['received_on']} to amend this document:",
                    r["request_text"],
                    f"The request was denied on {r['decided_on']}: {r['decision_reason']}",
                    f"The patient's statement of disagreement ({r['disagreement_on']}):",
                    r["disagreement"],
                    "",
                ]
        out[doc_id] = lines
    return out


def carrying_documents(session: Session, document_ids: list[int]) -> dict[int, str]:
    """Document id -> "amendment" / "statement of disagreement": what a screen marks."""
    session.require("document.read")
    with session.db.read() as conn:
        rows = amendments_sql.travelling(conn, document_ids)
    out = {}
    for doc_id, items in rows.items():
        kinds = sorted(
            {"amendment" if r["status"] == "accepted" else "statement of disagreement"
             for r in items}
        )  # fmt: skip
        out[doc_id] = " and ".join(kinds)
    return out


# --- letters -------------------------------------------------------------------------------


def _template(session: Session, name: str) -> str:
    """The clinic's own copy in <data dir>/letters/ wins over the shipped one."""
    from clinicrecords.release.letters import template_text

    return template_text(name, getattr(session.store, "data_dir", None))


def letter_lines(template: str, values: dict[str, str]) -> list[str]:
    body = [ln for ln in template.splitlines() if not (ln == "#" or ln.startswith("# "))]
    tmpl = Template("\n".join(body))
    unknown = set(tmpl.get_identifiers()) - LETTER_FIELDS
    if unknown or not tmpl.is_valid():
        names = ", ".join(sorted(unknown)) or "a '$' sign"
        raise BadInput(f"A letter template has a placeholder the program does not know: {names}.")
    filled = {k: values.get(k, "") for k in LETTER_FIELDS}
    return Template("\n".join(body)).substitute(filled).split("\n")


def _write_letter(
    session: Session, conn: Connection, a: Amendment, name: str, reason: str, out: Path
) -> Path:
    patient = patients_sql.get(conn, a.patient_id)
    assert patient is not None
    doc = documents_sql.document(conn, a.document_id) if a.document_id else None
    values = {
        "today": today().isoformat(),
        "amendment_id": str(a.id),
        "patient_name": f"{patient.given} {patient.family}".strip(),
        "patient_dob": patient.dob.isoformat(),
        "received_on": a.received_on.isoformat(),
        "document": (
            f"{doc['label']} of {doc['doc_date'] or 'no date'} (document {doc['id']})"
            if doc
            else "your record"
        ),
        "request": a.text,
        "reason": reason,
        "due_on": a.due_on.isoformat(),
        "clinic_name": str(get_setting(conn, "clinic.name") or ""),
        "clinic_address": str(get_setting(conn, "clinic.address") or ""),
        "clinic_phone": str(get_setting(conn, "clinic.phone") or ""),
        "decided_by": session.user.full_name or session.user.username,
    }
    pdf = letter_pdf(letter_lines(_template(session, name), values), values)
    try:
        write_atomically(Path(out), pdf)
    except OSError as exc:
        raise cannot_write("the letter", exc) from None
    session.audit("amendment.letter", "patient", a.patient_id, amendment=a.id, letter=name)
    return Path(out)


def letter_pdf(lines: list[str], values: dict[str, str]) -> bytes:
    """A plain letter on the clinic's letterhead ('## ' lines bold, '- ' lines bullets)."""
    from clinicrecords.common import pdfdoc

    st = pdfdoc.styles()
    story = [pdfdoc.para(values["clinic_name"], st["heading"])]
    for extra in (*values["clinic_address"].splitlines(), values["clinic_phone"]):
        if extra.strip():
            story.append(pdfdoc.para(extra.strip(), st["body"]))
    story.append(pdfdoc.Spacer(1, 14))
    story += pdfdoc.letter_story(lines, st["body"])
    return pdfdoc.build(story, title="Letter", margin=1.0)
