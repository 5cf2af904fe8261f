"""Conflicts go to a person: list them, and resolve one (which the whole clinic then sees).

The clinic's order already decided every conflict the same way on every PC (the later edit
won). Resolving confirms that value (``server``), restores the one it replaced on this PC
(``local``), or sets another value: the change is an ordinary audited edit
(``patient.field_changed``) followed by ``conflict.resolved``, so every replica closes it.

A document's index field edited on two PCs apart is settled the same way (the change is an
ordinary correction, ``document.edited``). Other conflicts (a release sent twice, merges, a
document moved and voided apart, accounts, settings) can only be confirmed here: the person
corrects the thing itself on its own screen first. ``Conflict.choices`` says which of
"server", "local" and "value" a conflict allows and ``Conflict.why`` why, in a clerk's words,
so the admin screen offers only what works.

Conflicts are identity problems, like duplicates: the roles that may merge charts handle them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import documents_sql, sync_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.events import corrections as document_events
from clinicrecords.events import previous_names
from clinicrecords.events import types as ev
from clinicrecords.events.documents import DOCUMENT
from clinicrecords.events.outbox import emit

PERMISSION = "patient.merge"
_FIELD_KINDS = ("field", "mrn")
ALL_CHOICES = ("server", "local", "value")
DOCUMENT_FIELDS = {"doc_type": "document type", "doc_date": "document date",
                   "author": "author", "facility": "facility"}  # fmt: skip
CONFIRM_ONLY = (
    "This conflict can only be confirmed as the clinic's order settled it (keep the server's "
    "value): {what}"
)
_WHY = {
    "release": "a release that went out cannot be undone; open the request in Release of "
    "information and correct it there if needed, then confirm.",
    "merge": "undo or redo the merge from the chart's merge dialog if needed, then confirm.",
    "duplicate": "if the two charts are one person, merge them by hand, then confirm.",
    "document": "move the document to the right chart, or undo its void, by hand if needed, "
    "then confirm.",
    "user": "change the account in Users and passwords if needed, then confirm.",
    "setting": "change the setting in Settings if needed, then confirm.",
}
_WHY_OTHER = "correct it by hand where it is kept if needed, then confirm."


class ConfirmOnly(BadInput):
    """Another choice than "server" for a conflict that can only be confirmed. ``what`` is
    what the person does instead; the command line names its own flag with it."""

    def __init__(self, message: str, what: str) -> None:
        super().__init__(message)
        self.what = what


@dataclass(frozen=True)
class Conflict:
    id: str
    kind: str
    patient_id: int | None
    mrn: str
    field: str
    server: str  # the value the clinic's order kept (on every PC now)
    replaced: str  # the value it replaced
    local: str  # this PC's value when it wrote one of the two, else the value replaced
    current: str
    kept_here: bool  # the kept value was written on this PC
    kept_ws: str  # the workstation that wrote it (id; ``workstation_names`` gives names)
    detected_at: str
    resolved_at: str | None
    resolution: str | None
    entity: str = ev.PATIENT  # what the conflict is about: patient, document, release, user…
    document_id: int | None = None
    choices: tuple[str, ...] = ALL_CHOICES  # what resolve accepts: server, local, value
    why: str = ""  # why only some choices, for a clerk ("" when all apply)

    def as_dict(self) -> dict:
        return asdict(self)


def _what(kind: str, entity: str) -> str:
    return _WHY.get(kind, _WHY.get(entity, _WHY_OTHER))


def _why(kind: str, entity: str) -> str:
    return CONFIRM_ONLY.format(what=_what(kind, entity))


def _view(conn, row: dict, workstation_id: str) -> Conflict:
    entity, field = row["entity"], row["field"]
    pid = sync_sql.local_id(conn, ev.PATIENT, row["uid"]) if entity == ev.PATIENT else None
    doc_id = sync_sql.local_id(conn, DOCUMENT, row["uid"]) if entity == DOCUMENT else None
    doc = documents_sql.document(conn, doc_id) if doc_id is not None else None
    if doc is not None:
        pid = int(doc["patient_id"])
    patient = patients_sql.get(conn, pid) if pid is not None else None
    current = ""
    if doc is not None:
        current = _document_state(conn, doc, field)
    elif patient is not None and field in patients_sql.FIELDS:
        current = sync_sql.patient_field(conn, pid, field) or ""
    elif patient is not None and field == previous_names.SHADOW_FIELD:
        current = previous_names.as_text(patient.previous_names)
    kept_here = bool(row["kept_ws"]) and row["kept_ws"] == workstation_id
    valued = row["kind"] in _FIELD_KINDS and (
        (entity == ev.PATIENT and patient is not None)
        or (doc is not None and field in DOCUMENT_FIELDS)
    )
    return Conflict(
        id=row["id"],
        kind=row["kind"],
        patient_id=pid,
        mrn=patient.mrn if patient else "",
        field=field,
        server=row["kept"],
        replaced=row["replaced"],
        local=row["kept"] if kept_here else row["replaced"],
        current=current,
        kept_here=kept_here,
        kept_ws=row["kept_ws"],
        detected_at=row["detected_at"],
        resolved_at=row["resolved_at"],
        resolution=row["resolution"],
        entity=entity,
        document_id=doc_id,
        choices=ALL_CHOICES if valued else ("server",),
        why="" if valued else _why(row["kind"], entity),
    )


def _document_state(conn, doc: dict, field: str) -> str:
    """What the document shows now, in the words its conflicts use."""
    if field in DOCUMENT_FIELDS:
        return document_events.as_text(doc[field])
    chart = patients_sql.get(conn, int(doc["patient_id"]))
    where = f"in chart {chart.mrn if chart else '?'}"
    return f"voided {where}" if doc.get("voided_at") else where


def list_conflicts(session: Session, include_resolved: bool = False) -> list[Conflict]:
    session.require(PERMISSION)
    with session.db.read() as conn:
        state = sync_sql.state(conn)
        ws = state.workstation_id if state else ""
        return [_view(conn, r, ws) for r in sync_sql.conflicts(conn, include_resolved)]


def resolve_conflict(session: Session, conflict_id: str, keep: str) -> Conflict:
    """``keep``: 'server', 'local', or the value to set."""
    session.require(PERMISSION)
    from clinicrecords.registry.patients import change_fields

    conflict_id = conflict_id.strip().lower()
    if len(conflict_id) < 8:
        raise BadInput("Give at least the first 8 characters of the conflict's id.")
    with session.db.write() as conn:
        rows = sync_sql.conflicts_by_prefix(conn, conflict_id)
        if not rows:
            raise NotFound("No conflict has that id.")
        if len(rows) > 1:
            raise BadInput("Several conflicts start with that id: give more of it.")
        state = sync_sql.state(conn)
        conflict = _view(conn, rows[0], state.workstation_id if state else "")
        if conflict.resolved_at:
            raise BadInput("That conflict was already resolved.")
        if keep != "server" and "local" not in conflict.choices:
            raise ConfirmOnly(conflict.why, _what(conflict.kind, conflict.entity))
        if conflict.entity == DOCUMENT and conflict.field in DOCUMENT_FIELDS:
            value = {"server": conflict.server, "local": conflict.local}.get(keep, keep)
            if value != conflict.current and conflict.document_id is not None:
                _edit_document(session, conflict.document_id, conflict.field, value)
        elif conflict.kind in _FIELD_KINDS and conflict.patient_id is not None:
            value = {"server": conflict.server, "local": conflict.local}.get(keep, keep)
            if value != conflict.current and conflict.field == previous_names.SHADOW_FIELD:
                from clinicrecords.registry.previous_names import set_previous_names

                set_previous_names(session, conflict.patient_id, previous_names.from_text(value))
            elif value != conflict.current:
                change_fields(session, conflict.patient_id, {conflict.field: value})
        else:
            value = conflict.current
        emit(
            conn,
            ev.CONFLICT_RESOLVED,
            {"conflict": conflict.id, "value": value, "by": session.user.username},
        )
        sync_sql.resolve_conflict(conn, conflict.id, session.user.username, value)
        session.audit(
            "sync.conflict_resolved",
            "conflict",
            conflict.id,
            conn=conn,
            kind=conflict.kind,
            field=conflict.field,
            keep=keep if keep in ("server", "local") else "value",
        )
        return _view(
            conn,
            sync_sql.conflicts_by_prefix(conn, conflict.id)[0],
            state.workstation_id if state else "",
        )


def _edit_document(session: Session, document_id: int, field: str, value: str) -> None:
    """The chosen value, as an ordinary audited correction that every PC follows."""
    from clinicrecords.clinic.settings import date_order
    from clinicrecords.common.dates import read_date
    from clinicrecords.records.corrections import edit_document

    arg: object = value
    if field == "doc_date":
        arg = read_date(value, date_order(session)) if value else None
        if arg is None:
            raise BadInput("Type the document date as a date, for example 2025-01-31.")
    edit_document(session, document_id, reason="sync conflict settled", **{field: arg})


def workstation_names(session: Session) -> dict[str, str]:
    """Workstation id → the name people gave the PC, from the server (names are in clear
    there); {} when it cannot be reached: the conflicts screen then says "another PC"."""
    import psycopg

    from clinicrecords.common.errors import ClinicError
    from clinicrecords.db import server_sql
    from clinicrecords.sync import address

    session.require(PERMISSION)
    with session.db.read() as conn:
        state = sync_sql.state(conn)
    if state is None:
        return {}
    try:
        with address.connect(state.server_url) as pg:
            names = server_sql.workstation_names(pg, state.clinic_id)
    except (ClinicError, psycopg.Error):
        return {}
    names[state.workstation_id] = state.workstation
    return names
