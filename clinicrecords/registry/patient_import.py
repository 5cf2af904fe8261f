"""Import patients from CSV: Synthea's ``patients.csv`` or any CSV with a column mapping.

Policy on bad rows (see README): by default nothing is imported when any row is bad, and every
bad row is reported with its line number. A file with errors usually has a systematic problem
(a wrong column mapping, day and month swapped) that would also have corrupted rows that look
fine; all-or-nothing lets the office fix the file and run it again. ``skip_bad=True`` imports
the good rows and reports the rest. Either way a re-import never adds a patient twice: each
row is keyed by (source, source id): Synthea's ``Id``, else the mapped MRN, else a hash of the
demographics.

Reading the file (``read_csv_text``, ``sniff_delimiter``): files come from Synthea, from a
practice-management export, or re-saved by a spreadsheet, so the character encoding and the
separator are found, not assumed; when they cannot be found with confidence the file is refused
with a sentence saying what to do, never imported as mojibake.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes

from clinicrecords.clinic.session import Session
from clinicrecords.common.dates import in_future, read_date
from clinicrecords.common.domain import PreviousName
from clinicrecords.common.errors import BadInput
from clinicrecords.db import patients as patients_sql
from clinicrecords.registry.patients import PatientInput, insert_validated, validate
from clinicrecords.registry.previous_names import check_previous_name, write_previous_names

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
    "maiden": "MAIDEN",  # a married woman's family name before marriage: a previous name
}
TARGETS = (*patients_sql.FIELDS, "source_id", "maiden")
MAX_REPORTED = 50
MAX_FILE_BYTES = 256 * 1024 * 1024  # ~1 million patients; more is not a clinic's patient list
_SYNTHEA_DIGITS = re.compile(r"\d+$")
DELIMITERS = (",", ";", "\t", "|")
# BOMs are definitive: a spreadsheet's "Unicode text" is UTF-16 with one. UTF-32 is tested
# before UTF-16 because its little-endian BOM starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# When several legacy code pages read a file equally well (common: a names file has too little
# text for charset-normalizer's language models to decide), the one a clinic's PC most likely
# wrote wins: Windows Western, then Central European and Cyrillic, then the old Mac and DOS ones.
_PREFERRED = ("cp1252", "cp1250", "cp1251", "iso8859_15", "latin_1", "mac_roman", "cp850", "cp437")


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
    encoding: str = "utf-8"  # how the file was read (said in the output, so a wrong guess shows)
    delimiter: str = ","
    bad_count: int = 0  # every bad row; ``bad_rows`` keeps the first MAX_REPORTED

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "already_present": self.already_present,
            "imported": self.imported,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "bad_count": self.bad_count,
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
        if Path(path).stat().st_size > MAX_FILE_BYTES:
            raise BadInput(
                f"The CSV file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB: "
                "that is not a patient list. Check that the right file was chosen."
            )
        raw = Path(path).read_bytes()
    except OSError:
        raise BadInput("The CSV file cannot be read.") from None
    text, encoding = read_csv_text(raw)
    wanted = set(mapping.values()) if mapping else SYNTHEA_REQUIRED
    delimiter = sniff_delimiter(text, wanted)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = set(reader.fieldnames or [])
    except csv.Error:
        raise BadInput(_csv_error_message(1)) from None
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

    result = ImportResult(encoding=encoding, delimiter=delimiter)
    good: list[tuple[int, PatientInput, str, str]] = []
    seen: set[str] = set()
    while True:
        first_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise BadInput(_csv_error_message(first_line)) from None
        line = reader.line_num
        try:
            cell = {t: (row.get(c) or "").strip() for t, c in mapping.items()}
            # A file's dates are strict: one order, four-digit years (a row that reads only
            # the other way means the file was written in the other order).
            dob = read_date(cell["dob"], date_order, past_only=True, strict=True)
            if dob is None:
                if in_future(cell["dob"], date_order, strict=True):
                    raise BadInput("the date of birth cannot be in the future")
                raise BadInput("the date of birth is not a date")
            given, middle, family = cell.get("given", ""), cell.get("middle", ""), cell["family"]
            maiden = cell.get("maiden", "")
            if source == "synthea":  # Synthea appends digits to names: "Jon123"
                given, middle, family, maiden = (
                    _SYNTHEA_DIGITS.sub("", v) for v in (given, middle, family, maiden)
                )
            if maiden:
                check_previous_name(PreviousName(maiden))
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
        good.append((line, p, key, maiden))

    result.bad_count = len(result.bad_rows)
    if result.bad_rows and not skip_bad:
        result.imported = False
        result.bad_rows = result.bad_rows[:MAX_REPORTED]
        session.audit(
            "patient.import_refused", "file", Path(path).name, bad_rows=len(result.bad_rows)
        )
        return result

    with session.db.write() as conn:
        for _line, p, key, maiden in good:
            if patients_sql.id_by_source(conn, source, key) is not None:
                result.already_present += 1
                continue
            if p.mrn and patients_sql.id_by_mrn(conn, p.mrn) is not None:
                result.already_present += 1
                continue
            pid = insert_validated(session, conn, p, source, key)
            if maiden and maiden.lower() != p.family.lower():
                write_previous_names(
                    conn, pid, [PreviousName(maiden, "", "maiden")], by=session.user.username
                )
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
    from clinicrecords.registry import lookup

    lookup.invalidate(session.store)
    return result


_UNKNOWN_ENCODING = (
    "The character encoding of the CSV file cannot be recognised. Save it as CSV UTF-8 and "
    "run the import again."
)


def _csv_error_message(line: int) -> str:
    return (
        f"Line {line} of the CSV cannot be read: a field is longer than "
        f"{csv.field_size_limit() // 1024} KB, or a quotation mark is never closed. "
        "Nothing was imported; fix the file and run it again."
    )


def read_csv_text(raw: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in; BadInput when that cannot be told.

    A byte-order mark decides. Otherwise UTF-8 (what Synthea and most programs write) is taken
    when every byte reads as UTF-8. A file where some lines are UTF-8 with accents and others
    are not is refused with those lines' numbers: such a file was pieced together from two
    programs, and reading it either way garbles one part ("Zoë" → "ZoÃ«") with no error.
    Anything else is a legacy code page (a spreadsheet's "CSV" on Windows) or UTF-16 without a
    mark, which charset-normalizer identifies; see ``_legacy_encoding`` for how ties are broken.
    """
    for bom, name in _BOMS:
        if raw.startswith(bom):
            try:
                return _no_nul(raw.decode(name)), name.replace("-sig", "")
            except UnicodeDecodeError:
                raise BadInput(
                    "The CSV file starts with a Unicode mark but is damaged further on; "
                    "save it again from the program that made it."
                ) from None
    if b"\x00" not in raw:
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        _refuse_mixed_encodings(raw)
    encoding = _legacy_encoding(raw)
    try:
        return _no_nul(raw.decode(encoding)), encoding
    except UnicodeDecodeError:
        raise BadInput(_UNKNOWN_ENCODING) from None


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise BadInput(
            "The CSV file has NUL bytes: it is not a text file. Save it as CSV (UTF-8) and "
            "run the import again."
        )
    return text


def _refuse_mixed_encodings(raw: bytes) -> None:
    """Refuse a file whose accented lines are part UTF-8, part something else."""
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(number)
        except UnicodeDecodeError:
            other_lines.append(number)
    if not utf8_lines or not other_lines:
        return
    odd = other_lines if len(other_lines) <= len(utf8_lines) else utf8_lines
    shown = ", ".join(str(n) for n in odd[:10])
    if len(odd) > 10:
        shown += f" and {len(odd) - 10} more"
    which = f"line {shown} is" if len(odd) == 1 else f"lines {shown} are"
    raise BadInput(
        f"The CSV file mixes two character encodings: {which} written differently "
        "from the rest (often rows pasted in from another program), so accented letters "
        "would be garbled. Nothing was imported; save the file as CSV UTF-8 and run it again."
    )


def _legacy_encoding(raw: bytes) -> str:
    """The code page charset-normalizer finds; among equally good ones, the most plausible.

    A names file is short text with few accents, so several code pages read it with no
    "chaos" at all (cp1250 turns "Niño" into "Nińo" as cleanly as cp1252 reads it right).
    Candidates within a hair of the least chaos are compared by how many of their non-ASCII
    characters are not letters ("£ukasz" from a Polish cp1250 file read as cp1252 has a pound
    sign where a letter belongs), then by what clinic PCs most often write (``_PREFERRED``).
    """
    if b"\x00" in raw:  # UTF-16/32 without a mark: lines cannot be told apart as bytes
        sample = raw[:1_000_000]
    else:  # only the lines with accents tell code pages apart
        sample = b"\n".join(line for line in raw.split(b"\n") if not line.isascii())[:1_000_000]
    matches = list(from_bytes(sample))
    if not matches:
        raise BadInput(_UNKNOWN_ENCODING)
    least = min(m.percent_chaos for m in matches)
    candidates: list[str] = []
    for m in matches:
        if m.percent_chaos <= least + 1.0:
            candidates += [c for c in [m.encoding, *m.could_be_from_charset] if c not in candidates]

    def rank(name: str) -> tuple[int, int, int]:
        try:
            text = sample.decode(name)
        except (UnicodeDecodeError, LookupError):
            return (1 << 30, 0, 0)
        odd = sum(
            1
            for ch in text
            if ord(ch) > 127 and unicodedata.category(ch)[0] not in "LM" and not ch.isspace()
        )
        pref = _PREFERRED.index(name) if name in _PREFERRED else len(_PREFERRED)
        return (odd, pref, candidates.index(name))

    return min(candidates, key=rank)


def sniff_delimiter(text: str, wanted: set[str]) -> str:
    """The separator: the one that splits the header into the columns we need, else what
    ``csv.Sniffer`` finds, else a comma. A spreadsheet outside the US saves "CSV" with ``;``
    (the comma is its decimal mark), and "text" exports use tabs."""
    first = text.split("\n", 1)[0].rstrip("\r")
    for delimiter in DELIMITERS:
        try:
            names = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            continue
        if wanted <= set(names):
            return delimiter
    try:
        return csv.Sniffer().sniff(text[:65536], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        return ","
