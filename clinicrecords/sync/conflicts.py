"""Conflicts go to a person: list them, and resolve one (which the whole clinic then sees).

The clinic's order already decided every conflict the same way on every PC (the later edit
won). Resolving confirms that value (``server``), restores the one it replaced on this PC
(``local``), or sets another value: the change is an ordinary audited edit
(``patient.field_changed``) followed by ``conflict.resolved``, so every replica closes it.

Conflicts are identity problems, like duplicates: the roles that may merge charts handle them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import patients as patients_sql
from clinicrecords.db import sync_sql
from clinicrecords.events import previous_names
from clinicrecords.events import types as ev
from clinicrecords.events.outbox import emit

PERMISSION = "patient.merge"
_FIELD_KINDS = ("field", "mrn")


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

    def as_dict(self) -> dict:
        return asdict(self)


def _view(conn, row: dict, workstation_id: str) -> Conflict:
    pid = sync_sql.local_id(conn, ev.PATIENT, row["uid"]) if row["entity"] == ev.PATIENT else None
    patient = patients_sql.get(conn, pid) if pid is not None else None
    current = ""
    if patient is not None and row["field"] in patients_sql.FIELDS:
        current = sync_sql.patient_field(conn, pid, row["field"]) or ""
    elif patient is not None and row["field"] == previous_names.SHADOW_FIELD:
        current = previous_names.as_text(patient.previous_names)
    kept_here = bool(row["kept_ws"]) and row["kept_ws"] == workstation_id
    return Conflict(
        id=row["id"],
        kind=row["kind"],
        patient_id=pid,
        mrn=patient.mrn if patient else "",
        field=row["field"],
        server=row["kept"],
        replaced=row["replaced"],
        local=row["kept"] if kept_here else row["replaced"],
        current=current,
        kept_here=kept_here,
        kept_ws=row["kept_ws"],
        detected_at=row["detected_at"],
        resolved_at=row["resolved_at"],
        resolution=row["resolution"],
    )


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
        if conflict.kind in _FIELD_KINDS and conflict.patient_id is not None:
            value = {"server": conflict.server, "local": conflict.local}.get(keep, keep)
            if value != conflict.current and conflict.field == previous_names.SHADOW_FIELD:
                from clinicrecords.registry.previous_names import set_previous_names

                set_previous_names(session, conflict.patient_id, previous_names.from_text(value))
            elif value != conflict.current:
                change_fields(session, conflict.patient_id, {conflict.field: value})
        elif keep != "server":
            raise BadInput(
                "This conflict has no value to choose: confirm it with --keep server (merge "
                "duplicate charts by hand first)."
            )
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
