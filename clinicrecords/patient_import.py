"""Import patients from CSV: Synthea's ``patients.csv`` or any CSV with a column mapping.

Policy on bad rows (see README): by default nothing is imported when any row is bad, and every
bad row is reported with its line number. A file with errors usually has a systematic problem
(a wrong column mapping, day and month swapped) that would also have corrupted rows that look
fine; all-or-nothing lets the office fix the file and run it again. ``skip_bad=True`` imports
the good rows and reports the rest. Either way a re-import never adds a patient twice: each
row is keyed by (source, source id): Synthea's ``Id``, else the mapped MRN, else a hash of the
demographics.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from clinicrecords.db import patients as patients_sql
from clinicrecords.errors import BadInput
from clinicrecords.patients import PatientInput, insert_validated, validate
from clinicrecords.session import Session

SYNTHEA_REQUIRED = {"Id", "BIRTHDATE", "FIRST", "LAST", "GENDER"}
SYNTHEA_MAP = {
    "source_id": "Id",
    "dob": "BIRTHDATE",
    "given": "FIRST",
    "middle": "MIDDLE",
    "family": "LAST",
    "sex": "GENDER",
    "address": "ADDRESS",
    "city": "CITY",
    "state": "STATE",
    "zip": "ZIP",
}
TARGETS = (*patients_sql.FIELDS, "source_id")
MAX_REPORTED = 50
_SYNTHEA_DIGITS = re.compile(r"\d+$")


@dataclass
class RowProblem:
    line: int
    message: str


@dataclass
class ImportResult:
    added: int = 0
    already_present: int = 0
    bad_rows: list[RowProblem] = field(default_factory=list)
    imported: bool = True  # False: nothing written because of bad rows

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "already_present": self.already_present,
            "imported": self.imported,
            "bad_rows": [{"line": p.line, "message": p.message} for p in self.bad_rows],
        }


def parse_mapping(text: str) -> dict[str, str]:
    """``family=Last Name,given=First,dob=DOB`` → {target: column}."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise BadInput("A column mapping is written target=Column, separated by commas.")
        target, column = (s.strip() for s in part.split("=", 1))
        if target not in TARGETS:
            raise BadInput(f"Unknown mapping target '{target}'. Use: {', '.join(TARGETS)}.")
        mapping[target] = column
    return mapping


def parse_csv_date(text: str, order: str = "MDY") -> date:
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return date(y, mo, d)
    m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if m:
        a, b, y = (int(g) for g in m.groups())
        mo, d = (a, b) if order == "MDY" else (b, a)
        return date(y, mo, d)
    raise ValueError("not a date")


def _sex(text: str) -> str:
    t = text.strip().upper()
    return {"FEMALE": "F", "MALE": "M", "F": "F", "M": "M", "X": "X", "": "U"}.get(t, "U")


def import_patients_csv(
    session: Session,
    path: Path,
    mapping: dict[str, str] | None = None,
    skip_bad: bool = False,
    date_order: str = "MDY",
) -> ImportResult:
    session.require("patient.import")
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise BadInput("The CSV file cannot be read.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = set(reader.fieldnames or [])
    if mapping:
        source = "csv"
        missing = [c for c in mapping.values() if c not in header]
        if missing:
            raise BadInput(f"The CSV has no column named: {', '.join(missing)}.")
    elif header >= SYNTHEA_REQUIRED:
        source, mapping = "synthea", SYNTHEA_MAP
    else:
        raise BadInput(
            "The CSV is not Synthea's patients.csv; give a column mapping "
            "(e.g. --map family=Last,given=First,dob=DOB,mrn=MRN)."
        )
    for needed in ("family", "given", "dob"):
        if needed not in mapping:
            raise BadInput(f"The column mapping must name a column for '{needed}'.")

    result = ImportResult()
    good: list[tuple[int, PatientInput, str]] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        try:
            cell = {t: (row.get(c) or "").strip() for t, c in mapping.items()}
            try:
                dob = parse_csv_date(cell["dob"], date_order)
            except ValueError:
                raise BadInput("the date of birth is not a date") from None
            given, middle, family = cell.get("given", ""), cell.get("middle", ""), cell["family"]
            if source == "synthea":  # Synthea appends digits to names: "Jon123"
                given, middle, family = (
                    _SYNTHEA_DIGITS.sub("", v) for v in (given, middle, family)
                )
            p = validate(
                PatientInput(
                    family=family,
                    given=given,
                    middle=middle,
                    dob=dob,
                    sex=_sex(cell.get("sex", "")),
                    phone=cell.get("phone", ""),
                    address=cell.get("address", ""),
                    city=cell.get("city", ""),
                    state=cell.get("state", ""),
                    zip=cell.get("zip", ""),
                    mrn=cell.get("mrn", ""),
                )
            )
        except BadInput as exc:
            msg = exc.message[0].lower() + exc.message[1:] if exc.message else "bad row"
            result.bad_rows.append(RowProblem(line, msg.rstrip(".")))
            continue
        key = (
            cell.get("source_id")
            or p.mrn
            or hashlib.sha256(f"{p.family}|{p.given}|{p.dob}".lower().encode()).hexdigest()[:32]
        )
        if key in seen:
            result.bad_rows.append(RowProblem(line, "this row repeats an earlier row of the file"))
            continue
        seen.add(key)
        good.append((line, p, key))

    if result.bad_rows and not skip_bad:
        result.imported = False
        result.bad_rows = result.bad_rows[:MAX_REPORTED]
        session.audit(
            "patient.import_refused", "file", Path(path).name, bad_rows=len(result.bad_rows)
        )
        return result

    with session.db.write() as conn:
        for _line, p, key in good:
            if patients_sql.id_by_source(conn, source, key) is not None:
                result.already_present += 1
                continue
            if p.mrn and patients_sql.id_by_mrn(conn, p.mrn) is not None:
                result.already_present += 1
                continue
            insert_validated(session, conn, p, source, key)
            result.added += 1
        session.audit(
            "patient.import",
            "file",
            Path(path).name,
            conn=conn,
            added=result.added,
            already_present=result.already_present,
            bad_rows=len(result.bad_rows),
        )
    result.bad_rows = result.bad_rows[:MAX_REPORTED]
    from clinicrecords import lookup

    lookup.invalidate(session.store)
    return result
