"""The patient registry: register, edit, read. Chart lookup is in ``lookup.py``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from clinicrecords.clinic.session import Session
from clinicrecords.common import mrn as mrn_rules
from clinicrecords.common.domain import SEXES, Patient
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.common.timeutil import today
from clinicrecords.db import patients as patients_sql
from clinicrecords.db import settings_sql
from clinicrecords.db.connection import Connection
from clinicrecords.events import capture, mrnblocks


@dataclass
class PatientInput:
    family: str
    given: str
    dob: date
    sex: str = "U"
    middle: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    mrn: str = ""  # empty: the clinic's next MRN is assigned


_NAME_OK = re.compile(r"^[^\d@#$%^*_=+<>{}\[\]|\\/]+$")

# Longest value each field may hold. Generous for real data (the longest names in national
# registries are well under 100 characters), and small enough that a broken CSV, whose one
# "field" swallowed the rest of the file, is refused rather than saved as a name.
MAX_LENGTH = {
    "family name": 100,
    "given name": 100,
    "middle name": 100,
    "phone number": 40,
    "address": 200,
    "city": 100,
    "state": 50,
    "ZIP code": 20,
    "MRN": 32,
}

# Characters that are invisible or reorder what is shown: control characters (Cc), format
# characters (Cf: zero-width U+200B-U+200F, bidi embeddings and overrides U+202A-U+202E,
# isolates U+2066-U+2069, U+FEFF, soft hyphen...), line/paragraph separators, private use and
# lone surrogates. In a name they make two charts look alike on screen while search and
# duplicate checks see different strings, or flip how a name (or a whole table row) reads.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Zl", "Zp"})


def has_invisible(value: str) -> bool:
    return any(unicodedata.category(ch) in _INVISIBLE_CATEGORIES for ch in value)


def _check_text(label: str, value: str) -> None:
    if has_invisible(value):
        raise BadInput(
            f"The {label} has an invisible or control character (such as a zero-width space "
            "or a text-direction mark); type it again."
        )
    limit = MAX_LENGTH[label]
    if len(value) > limit:
        raise BadInput(f"The {label} is longer than {limit} characters.")


def validate(p: PatientInput) -> PatientInput:
    """Normalise and check a registration; raises BadInput naming the field (no values).

    Every way a chart is written (the registration form, the command line, CSV import, edits)
    passes here, so a name with hidden characters or of absurd length is refused everywhere.
    """
    family, given = p.family.strip(), p.given.strip()
    if not family:
        raise BadInput("The family name is required.")
    if not given:
        raise BadInput("The given name is required.")
    for label, value in (("family name", family), ("given name", given), ("middle name", p.middle)):
        _check_text(label, value)
        if value and not _NAME_OK.match(value):
            raise BadInput(f"The {label} has characters a name cannot have.")
    for label, value in (
        ("phone number", p.phone),
        ("address", p.address),
        ("city", p.city),
        ("state", p.state),
        ("ZIP code", p.zip),
        ("MRN", p.mrn),
    ):
        _check_text(label, value.strip())
    if not isinstance(p.dob, date):
        raise BadInput("The date of birth is required.")
    if p.dob > today():
        raise BadInput("The date of birth cannot be in the future.")
    if p.dob.year < 1880:
        raise BadInput("The date of birth is too far in the past.")
    sex = (p.sex or "U").strip().upper()[:1]
    if sex not in SEXES:
        raise BadInput("Sex must be F, M, X or U (unknown).")
    phone = p.phone.strip()
    if phone and len(re.sub(r"\D", "", phone)) < 7:
        raise BadInput("The phone number needs at least 7 digits.")
    return PatientInput(
        family=family,
        given=given,
        dob=p.dob,
        sex=sex,
        middle=p.middle.strip(),
        phone=phone,
        address=p.address.strip(),
        city=p.city.strip(),
        state=p.state.strip(),
        zip=p.zip.strip(),
        mrn=p.mrn.strip(),
    )


def first_free_mrn_number(conn: Connection) -> int:
    return max(settings_sql.get(conn, "mrn.next", 1), patients_sql.max_mrn_number(conn) + 1)


def next_mrn(conn: Connection) -> str:
    """The clinic's next MRN: a counter kept in settings, never reused.

    On a clinic network the counter is the server's: MRNs come from this PC's reserved block,
    or are provisional when it ran out offline (``sync/mrnblocks.py``).
    """
    networked = mrnblocks.take_mrn(conn)
    if networked is not None:
        return networked
    n = first_free_mrn_number(conn)
    while True:
        candidate = mrn_rules.make_mrn(n)
        n += 1
        if patients_sql.id_by_mrn(conn, candidate) is None:
            settings_sql.put(conn, "mrn.next", n)
            return candidate


def insert_validated(
    session: Session, conn: Connection, p: PatientInput, source: str | None, source_id: str | None
) -> int:
    fields = {**p.__dict__}
    if fields["mrn"]:
        if patients_sql.id_by_mrn(conn, fields["mrn"]) is not None:
            raise BadInput("That MRN is already in use by another chart.")
    else:
        fields["mrn"] = next_mrn(conn)
    pid = patients_sql.insert(conn, fields, source, source_id)
    # the clinic network's event, same transaction, naming the account that registered it
    capture.patient_registered(conn, pid, by=session.user.username)
    return pid


def register_patient(session: Session, p: PatientInput) -> Patient:
    """Save a new chart. Callers show likely duplicates first (``lookup.likely_duplicates``)."""
    session.require("patient.create")
    p = validate(p)
    with session.db.write() as conn:
        pid = insert_validated(session, conn, p, None, None)
        session.audit("patient.create", "patient", pid, conn=conn)
        patient = patients_sql.get(conn, pid)
    assert patient is not None
    notify_patient_changed(session, patient)
    return patient


def edit_patient(session: Session, patient_id: int, p: PatientInput) -> Patient:
    session.require("patient.edit")
    p = validate(p)
    with session.db.write() as conn:
        before = patients_sql.get(conn, patient_id)
        if before is None:
            raise NotFound("That chart does not exist.")
        fields = {k: v for k, v in p.__dict__.items() if k != "mrn"}
        if p.mrn and p.mrn != before.mrn:
            if patients_sql.id_by_mrn(conn, p.mrn) is not None:
                raise BadInput("That MRN is already in use by another chart.")
            fields["mrn"] = p.mrn
        changed = sorted(k for k, v in fields.items() if str(getattr(before, k)) != str(v))
        patients_sql.update(conn, patient_id, fields)
        session.audit("patient.edit", "patient", patient_id, conn=conn, fields=changed)
        patient = patients_sql.get(conn, patient_id)
        assert patient is not None
        capture.patient_fields_changed(conn, before, patient, by=session.user.username)
    notify_patient_changed(session, patient)
    return patient


EDITABLE = ("family", "given", "middle", "dob", "sex", "phone", "address", "city", "state", "zip")


def change_fields(session: Session, patient_id: int, changes: dict[str, str]) -> Patient:
    """Change some fields of a chart, the rest as they are (``patients edit``, conflicts)."""
    unknown = sorted(set(changes) - set(EDITABLE) - {"mrn"})
    if unknown:
        raise BadInput(f"These cannot be edited: {', '.join(unknown)}.")
    session.require("patient.edit")
    with session.db.write() as conn:  # read and write in one transaction: no lost update
        current = patients_sql.get(conn, patient_id)
        if current is None:
            raise NotFound("That chart does not exist.")
        values = {k: getattr(current, k) for k in (*EDITABLE, "mrn")}
        for key, value in changes.items():
            if key == "dob" and not isinstance(value, date):
                try:
                    value = date.fromisoformat(str(value).strip())
                except ValueError:
                    raise BadInput("Give the date of birth as YYYY-MM-DD.") from None
            values[key] = value
        return edit_patient(session, patient_id, PatientInput(**values))


def get_patient(session: Session, patient_id: int) -> Patient:
    """Read one chart's demographics (not audited: opening a chart is, in ``charts.py``)."""
    session.require("patient.read")
    with session.db.read() as conn:
        patient = patients_sql.get(conn, patient_id)
    if patient is None:
        raise NotFound("That chart does not exist.")
    return patient


def patient_by_mrn(session: Session, mrn: str) -> Patient:
    session.require("patient.read")
    with session.db.read() as conn:
        pid = patients_sql.id_by_mrn(conn, mrn.strip())
        patient = patients_sql.get(conn, pid) if pid is not None else None
    if patient is None:
        raise NotFound("No chart has that MRN.")
    if patient.merged_into:
        return get_patient(session, patient.merged_into)
    return patient


def patient_id_by_mrn(session: Session, mrn: str) -> int:
    """The id of the chart with this MRN (or holding it as an alias). Unlike ``patient_by_mrn``
    a merged chart's MRN names that chart itself, not its survivor: merge and unmerge need it."""
    session.require("patient.read")
    with session.db.read() as conn:
        pid = patients_sql.id_by_mrn(conn, mrn.strip())
    if pid is None:
        raise NotFound("No chart has that MRN.")
    return pid


def list_patients(session: Session, limit: int = 100, offset: int = 0) -> list[Patient]:
    session.require("patient.read")
    with session.db.read() as conn:
        return patients_sql.list_page(conn, limit, offset)


def notify_patient_changed(session: Session, patient: Patient) -> None:
    """Keep the in-memory lookup index in step with the registry."""
    from clinicrecords.registry import lookup

    lookup.on_patient_changed(session.store, patient)
