"""Patient rows: SQL for the registry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from clinicrecords.common.domain import Patient, PreviousName
from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection

FIELDS = (
    "mrn",
    "family",
    "given",
    "middle",
    "dob",
    "sex",
    "phone",
    "address",
    "city",
    "state",
    "zip",
)
_SELECT = (
    "SELECT p.id, p.mrn, p.family, p.given, p.middle, p.dob, p.sex, p.phone, p.address, p.city, "
    "p.state, p.zip, p.merged_into, p.last_activity FROM patients p"
)


def _row_to_patient(
    row: Any, aliases: tuple[str, ...] = (), previous: tuple[PreviousName, ...] = ()
) -> Patient:
    return Patient(
        id=row[0],
        mrn=row[1],
        family=row[2],
        given=row[3],
        middle=row[4],
        dob=date.fromisoformat(row[5]),
        sex=row[6],
        phone=row[7],
        address=row[8],
        city=row[9],
        state=row[10],
        zip=row[11],
        merged_into=row[12],
        last_activity=row[13],
        aliases=aliases,
        previous_names=previous,
    )


def _value(obj: Any, name: str) -> Any:
    val = obj.get(name, "") if isinstance(obj, dict) else getattr(obj, name, "")
    if isinstance(val, date):
        return val.isoformat()
    return "" if val is None else val


def insert(
    conn: Connection, fields: dict, source: str | None = None, source_id: str | None = None
) -> int:
    now = utc_now()
    cur = conn.execute(
        f"INSERT INTO patients ({', '.join(FIELDS)}, source, source_id, created_at, updated_at) "
        f"VALUES ({', '.join('?' * len(FIELDS))}, ?, ?, ?, ?)",
        [_value(fields, f) for f in FIELDS] + [source, source_id, now, now],
    )
    return int(cur.lastrowid)


def insert_many(conn: Connection, patients: Iterable[Any], source: str | None = None) -> int:
    """Bulk insert (objects or dicts with the FIELDS names; ``source_id`` used when present)."""
    now = utc_now()
    rows = (
        [_value(p, f) for f in FIELDS]
        + [source, _value(p, "source_id") or None if source else None, now, now]
        for p in patients
    )
    cur = conn.executemany(
        f"INSERT INTO patients ({', '.join(FIELDS)}, source, source_id, created_at, updated_at) "
        f"VALUES ({', '.join('?' * len(FIELDS))}, ?, ?, ?, ?)",
        rows,
    )
    return cur.rowcount


def update(conn: Connection, patient_id: int, fields: dict) -> None:
    cols = [f for f in FIELDS if f in fields]
    conn.execute(
        f"UPDATE patients SET {', '.join(f'{c} = ?' for c in cols)}, updated_at = ? WHERE id = ?",
        [_value(fields, c) for c in cols] + [utc_now(), patient_id],
    )


def _aliases(conn: Connection) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for mrn, pid in conn.execute("SELECT mrn, patient_id FROM patient_aliases"):
        out.setdefault(pid, []).append(mrn)
    return {k: tuple(v) for k, v in out.items()}


_PREVIOUS = "SELECT patient_id, family, given, kind FROM patient_previous_names"


def _previous_names(conn: Connection) -> dict[int, tuple[PreviousName, ...]]:
    out: dict[int, list[PreviousName]] = {}
    for pid, family, given, kind in conn.execute(_PREVIOUS + " ORDER BY id"):
        out.setdefault(pid, []).append(PreviousName(family, given, kind))
    return {k: tuple(v) for k, v in out.items()}


def previous_names_of(conn: Connection, patient_id: int) -> tuple[PreviousName, ...]:
    return tuple(
        PreviousName(r[1], r[2], r[3])
        for r in conn.execute(_PREVIOUS + " WHERE patient_id = ? ORDER BY id", (patient_id,))
    )


def replace_previous_names(
    conn: Connection, patient_id: int, names: Iterable[PreviousName]
) -> None:
    """The chart's whole list at once: edits, imports and the clinic network all set a list."""
    conn.execute("DELETE FROM patient_previous_names WHERE patient_id = ?", (patient_id,))
    now = utc_now()
    conn.executemany(
        "INSERT INTO patient_previous_names (patient_id, family, given, kind, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [(patient_id, n.family, n.given, n.kind, now) for n in names],
    )


def load_patients(conn: Connection, include_merged: bool = True) -> list[Patient]:
    aliases = _aliases(conn)
    previous = _previous_names(conn)
    where = "" if include_merged else " WHERE p.merged_into IS NULL"
    return [
        _row_to_patient(r, aliases.get(r[0], ()), previous.get(r[0], ()))
        for r in conn.execute(_SELECT + where)
    ]


def get(conn: Connection, patient_id: int) -> Patient | None:
    row = conn.execute(_SELECT + " WHERE p.id = ?", (patient_id,)).fetchone()
    if row is None:
        return None
    aliases = tuple(
        r[0]
        for r in conn.execute("SELECT mrn FROM patient_aliases WHERE patient_id = ?", (patient_id,))
    )
    return _row_to_patient(row, aliases, previous_names_of(conn, patient_id))


def id_by_mrn(conn: Connection, mrn: str) -> int | None:
    row = conn.execute("SELECT id FROM patients WHERE mrn = ?", (mrn,)).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT patient_id FROM patient_aliases WHERE mrn = ?", (mrn,)
        ).fetchone()
    return None if row is None else int(row[0])


def id_by_source(conn: Connection, source: str, source_id: str) -> int | None:
    row = conn.execute(
        "SELECT id FROM patients WHERE source = ? AND source_id = ?", (source, source_id)
    ).fetchone()
    return None if row is None else int(row[0])


def list_page(conn: Connection, limit: int, offset: int = 0) -> list[Patient]:
    return [
        _row_to_patient(r)
        for r in conn.execute(
            _SELECT
            + " WHERE p.merged_into IS NULL ORDER BY p.family, p.given, p.dob LIMIT ? OFFSET ?",
            (limit, offset),
        )
    ]


def touch(conn: Connection, patient_id: int) -> None:
    conn.execute("UPDATE patients SET last_activity = ? WHERE id = ?", (utc_now(), patient_id))


def count(conn: Connection) -> int:
    return int(
        conn.execute("SELECT count(*) FROM patients WHERE merged_into IS NULL").fetchone()[0]
    )


def max_mrn_number(conn: Connection) -> int:
    """Highest clinic-issued MRN body (digits without check digit) in use, or 0."""
    row = conn.execute(
        "SELECT max(CAST(substr(mrn, 1, length(mrn) - 1) AS INTEGER)) FROM patients "
        "WHERE mrn GLOB '[0-9]*' AND length(mrn) = 8"
    ).fetchone()
    return int(row[0] or 0)
