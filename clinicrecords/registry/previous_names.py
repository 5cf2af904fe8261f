"""A chart's previous names: maiden names, former legal names, names it is also known by.

Kept because mail about a patient from before a marriage or a name change carries the old
name: search and the scan suggestions count each one as a name of the chart (and say which
kind matched, "maiden name"). The list is edited as a whole (the chart and registration
screens show it as "also known as"); every change is audited and becomes one clinic-network
event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import PREVIOUS_NAME_KINDS, Patient, PreviousName
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events.previous_names import previous_names_changed
from clinicrecords.registry.patients import _NAME_OK, _check_text, notify_patient_changed

MAX_PREVIOUS_NAMES = 20


def parse_previous_name(text: str, kind: str = "maiden") -> PreviousName:
    """ "FAMILY, Given" or "FAMILY" (the given name unchanged), as typed on the command line
    or in the "also known as" box."""
    family, _, given = text.partition(",")
    return check_previous_name(PreviousName(family.strip(), given.strip(), kind))


def check_previous_name(name: PreviousName) -> PreviousName:
    """The registration rules for names (``patients.validate``), and a known kind."""
    family, given = name.family.strip(), name.given.strip()
    if not family:
        raise BadInput("A previous name needs its family name.")
    for label, value in (("family name", family), ("given name", given)):
        _check_text(label, value)
        if value and not _NAME_OK.match(value):
            raise BadInput(f"The previous {label} has characters a name cannot have.")
    kind = (name.kind or "maiden").strip().lower()
    if kind not in PREVIOUS_NAME_KINDS:
        raise BadInput("A previous name is a maiden name, a previous legal name or an alias.")
    return PreviousName(family, given, kind)


def write_previous_names(
    conn: Connection, patient_id: int, names: Iterable[PreviousName], by: str | None = None
) -> tuple[PreviousName, ...]:
    """Inside a caller's write transaction (registration, CSV import, edits): the list, its
    event. Duplicates and a name equal to the chart's own are dropped."""
    current = patients_sql.get(conn, patient_id)
    if current is None:
        raise NotFound("That chart does not exist.")
    kept: list[PreviousName] = []
    seen: set[tuple[str, str]] = {(current.family.lower(), "")}
    for n in names:
        n = check_previous_name(n)
        given = "" if n.given.lower() == current.given.lower() else n.given
        key = (n.family.lower(), given.lower())
        if key in seen:
            continue
        seen.add(key)
        kept.append(PreviousName(n.family, given, n.kind))
    if len(kept) > MAX_PREVIOUS_NAMES:
        raise BadInput(f"A chart keeps at most {MAX_PREVIOUS_NAMES} previous names.")
    before = current.previous_names
    patients_sql.replace_previous_names(conn, patient_id, kept)
    previous_names_changed(conn, patient_id, before, kept, by=by)
    return tuple(kept)


def set_previous_names(session: Session, patient_id: int, names: Iterable[PreviousName]) -> Patient:
    """Replace a chart's previous names (the "also known as" list)."""
    session.require("patient.edit")
    with session.db.write() as conn:
        before = patients_sql.get(conn, patient_id)
        if before is None:
            raise NotFound("That chart does not exist.")
        after = write_previous_names(conn, patient_id, names, by=session.user.username)
        if after != before.previous_names:
            # Counts and kinds only: the names themselves are patient data.
            session.audit(
                "patient.previous_names",
                "patient",
                patient_id,
                conn=conn,
                before=len(before.previous_names),
                after=len(after),
                kinds=sorted({n.kind for n in after}),
            )
        patient = patients_sql.get(conn, patient_id)
    assert patient is not None
    notify_patient_changed(session, patient)
    return patient


def add_previous_name(session: Session, patient_id: int, name: PreviousName) -> Patient:
    """One more name on the list (``patients edit MRN --aka``)."""
    session.require("patient.edit")
    with session.db.read() as conn:
        current = patients_sql.previous_names_of(conn, patient_id)
    return set_previous_names(session, patient_id, (*current, name))


def remove_previous_name(
    session: Session, patient_id: int, family: str, given: str = ""
) -> Patient:
    """Drop a name typed in error (matched without regard to case)."""
    session.require("patient.edit")
    with session.db.read() as conn:
        current = patients_sql.previous_names_of(conn, patient_id)
    rest = [
        n
        for n in current
        if not (
            n.family.lower() == family.strip().lower()
            and (not given.strip() or n.given.lower() == given.strip().lower())
        )
    ]
    if len(rest) == len(current):
        raise NotFound("The chart has no such previous name.")
    return set_previous_names(session, patient_id, rest)
