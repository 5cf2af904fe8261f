"""Patient CSV import: Synthea, mapped CSV, idempotent re-import, bad rows; encodings,
separators, limits and hidden characters in names (issue 8, defect 7)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from clinicrecords.common.errors import BadInput
from clinicrecords.db import patients as patients_sql
from clinicrecords.registry.patient_import import import_patients_csv, parse_mapping
from clinicrecords.registry.patients import PatientInput, edit_patient, register_patient
from clinicrecords.synthetic import generate_patients, write_synthea_csv


def _count(session) -> int:
    return patients_sql.count(session.db.connection())


def test_synthea_import_and_reimport_adds_nothing_twice(admin_session, tmp_path: Path) -> None:
    people = generate_patients(60, seed=3)
    csv_path = tmp_path / "patients.csv"
    write_synthea_csv(people, csv_path, digits_in_names=True)
    first = import_patients_csv(admin_session, csv_path)
    assert first.imported and first.added == 60 and not first.bad_rows
    again = import_patients_csv(admin_session, csv_path)
    assert again.added == 0 and again.already_present == 60
    assert _count(admin_session) == 60
    # Synthea's digits are stripped from names
    names = [r[0] for r in admin_session.db.connection().execute("SELECT given FROM patients")]
    assert not any(ch.isdigit() for n in names for ch in n)


def test_bad_row_reported_with_line_number_and_nothing_imported(
    admin_session, tmp_path: Path
) -> None:
    path = tmp_path / "clinic.csv"
    path.write_text(
        "MRN,Last,First,DOB,Sex\n"
        "00000017,Okafor,Nia,1990-02-03,F\n"
        "00000025,Lund,Per,31/31/1980,M\n"  # line 3: impossible date
        "00000033,,Ana,1970-01-01,F\n"  # line 4: no family name
        "00000041,Ng,Tam,2990-01-01,M\n"  # line 5: future DOB
    )
    mapping = parse_mapping("mrn=MRN,family=Last,given=First,dob=DOB,sex=Sex")
    result = import_patients_csv(admin_session, path, mapping)
    assert not result.imported
    assert [b.line for b in result.bad_rows] == [3, 4, 5]
    assert "date of birth" in result.bad_rows[0].message
    assert _count(admin_session) == 0
    partial = import_patients_csv(admin_session, path, mapping, skip_bad=True)
    assert partial.imported and partial.added == 1
    assert _count(admin_session) == 1
    again = import_patients_csv(admin_session, path, mapping, skip_bad=True)
    assert again.added == 0


@pytest.mark.parametrize(
    ("cell", "order", "outcome"),
    [
        ("1967-03-04", "MDY", date(1967, 3, 4)),
        ("03/04/1967", "MDY", date(1967, 3, 4)),
        ("03/04/1967", "DMY", date(1967, 4, 3)),
        ("3.4.1967", "DMY", date(1967, 4, 3)),
        ("4 Mar 1967", "MDY", date(1967, 3, 4)),
        # One order for the whole file: a day over 12 in the month's place means the file
        # was written in the other order, so the row is refused, not swapped.
        ("13/04/1967", "MDY", "the date of birth is not a date"),
        ("03/04/67", "MDY", "the date of birth is not a date"),  # no century guessed
        ("03/04/2990", "MDY", "the date of birth cannot be in the future"),
    ],
)
def test_dob_cells_are_read_by_the_date_reader_strictly(
    admin_session, tmp_path: Path, cell: str, order: str, outcome: date | str
) -> None:
    path = tmp_path / "dob.csv"
    path.write_text(f"Last,First,DOB\nOkafor,Nia,{cell}\n", encoding="utf-8")
    mapping = parse_mapping("family=Last,given=First,dob=DOB")
    result = import_patients_csv(admin_session, path, mapping, date_order=order)
    if isinstance(outcome, date):
        assert result.imported and result.added == 1
        dob = admin_session.db.connection().execute("SELECT dob FROM patients").fetchone()[0]
        assert dob == outcome.isoformat()
    else:
        assert not result.imported
        assert [b.message for b in result.bad_rows] == [outcome]


def test_unknown_csv_needs_a_mapping(admin_session, tmp_path: Path) -> None:
    import pytest

    from clinicrecords.common.errors import BadInput

    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(BadInput, match="mapping"):
        import_patients_csv(admin_session, path)


# --- reading real-world files (issue 8, defect 7) ----------------------------------------------

ACCENTED = [("Zoë", "Müller"), ("Renée", "Niño"), ("José", "Gómez"), ("Chloé", "Brontë")]


def _rows(names=ACCENTED) -> list[list[str]]:
    header = ["Id", "BIRTHDATE", "FIRST", "LAST", "GENDER"]
    return [header] + [
        [f"id-{i}", f"19{60 + i}-0{1 + i % 9}-1{i % 10}", given, family, "F"]
        for i, (given, family) in enumerate(names)
    ]


def _csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _names(session) -> set[tuple[str, str]]:
    rows = session.db.connection().execute("SELECT given, family FROM patients").fetchall()
    return {(r[0], r[1]) for r in rows}


def test_utf8_file_with_one_latin1_line_is_refused_naming_the_line(
    admin_session, tmp_path: Path
) -> None:
    """Old code fell back to cp1252 for the whole file: every UTF-8 'Zoë' became 'ZoÃ«', exit 0."""
    text = _csv_text(_rows()).splitlines(keepends=True)
    raw = b"".join(
        line.encode("latin-1") if n == 3 else line.encode("utf-8")
        for n, line in enumerate(text, start=1)
    )
    path = tmp_path / "patients.csv"
    path.write_bytes(raw)
    with pytest.raises(BadInput) as err:
        import_patients_csv(admin_session, path)
    assert "line 3 is" in err.value.message and "encodings" in err.value.message
    assert "Ren" not in err.value.message  # the line number, never the value
    assert _count(admin_session) == 0


@pytest.mark.parametrize(
    ("encoding", "names"),
    [
        ("cp1252", ACCENTED),
        ("cp1250", [("Łukasz", "Wąs"), ("Zoë", "Żak"), ("Agnieszka", "Dąbrowska")]),
        ("mac_roman", ACCENTED),
        ("utf-16", ACCENTED),  # with a BOM: a spreadsheet's "Unicode text"
        ("utf-8-sig", ACCENTED),
    ],
)
def test_file_in_another_encoding_imports_names_as_written(
    admin_session, tmp_path: Path, encoding: str, names
) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes(_csv_text(_rows(names)).encode(encoding))
    result = import_patients_csv(admin_session, path)
    assert result.imported and result.added == len(names), result.bad_rows
    assert _names(admin_session) == set(names)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_synthea_export_resaved_with_other_separator_imports(
    admin_session, tmp_path: Path, delimiter: str
) -> None:
    """A spreadsheet outside the US saves 'CSV' with ';'; old code said 'not Synthea's'."""
    people = generate_patients(30, seed=5)
    original = write_synthea_csv(people, tmp_path / "orig.csv")
    with original.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    path = tmp_path / "patients.csv"
    path.write_text(_csv_text(rows, delimiter), encoding="utf-8")
    result = import_patients_csv(admin_session, path)
    assert result.imported and result.added == 30 and result.delimiter == delimiter


def test_mapped_semicolon_csv_imports(admin_session, tmp_path: Path) -> None:
    path = tmp_path / "clinic.csv"
    path.write_text("Last;First;DOB\nOkafor;Nia;1990-02-03\nLund;Per;1980-12-01\n")
    result = import_patients_csv(
        admin_session, path, parse_mapping("family=Last,given=First,dob=DOB")
    )
    assert result.imported and result.added == 2
    assert _names(admin_session) == {("Nia", "Okafor"), ("Per", "Lund")}


def test_megabyte_field_is_refused_with_its_line(admin_session, tmp_path: Path) -> None:
    """Old code: csv's 'field larger than field limit' escaped as exit 70."""
    rows = _rows()
    rows[3][3] = "x" * 1_000_000
    path = tmp_path / "patients.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    with pytest.raises(BadInput, match="Line 4 "):
        import_patients_csv(admin_session, path)
    assert _count(admin_session) == 0


NAME_TRAPS = {
    "control character": "Zo\x07e",
    "zero-width space": "Zo\u200be",
    "zero-width joiner": "Zo\u200de",
    "left-to-right mark": "Zo\u200ee",
    "right-to-left override": "\u202eeoZ",
    "bidi isolate": "Zo\u2066e\u2069",
    "BOM inside": "Zo\ufeffe",
    "line separator": "Zo\u2028e",
}


@pytest.mark.parametrize("trap", sorted(NAME_TRAPS))
def test_names_with_invisible_characters_refused_naming_line_and_field(
    admin_session, tmp_path: Path, trap: str
) -> None:
    rows = _rows()
    rows[2][3] = NAME_TRAPS[trap]  # line 3, LAST → family name
    path = tmp_path / "patients.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    result = import_patients_csv(admin_session, path)
    assert not result.imported
    assert [(b.line, "family name" in b.message) for b in result.bad_rows] == [(3, True)]
    assert "Zo" not in result.bad_rows[0].message and "Ren" not in result.bad_rows[0].message
    assert _count(admin_session) == 0


def test_absurdly_long_name_refused_in_import(admin_session, tmp_path: Path) -> None:
    rows = _rows()
    rows[4][2] = "A" * 101  # line 5, FIRST → given name
    path = tmp_path / "patients.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    result = import_patients_csv(admin_session, path)
    assert not result.imported
    assert [b.line for b in result.bad_rows] == [5]
    assert "given name" in result.bad_rows[0].message and "100" in result.bad_rows[0].message
    assert _count(admin_session) == 0
    rows[4][2] = "A" * 100  # the limit itself is a name
    path.write_text(_csv_text(rows), encoding="utf-8")
    assert import_patients_csv(admin_session, path).added == len(ACCENTED)


@pytest.mark.parametrize("trap", sorted(NAME_TRAPS))
def test_registration_and_edit_refuse_the_same_names(admin_session, trap: str) -> None:
    good = PatientInput(family="Okafor", given="Nia", dob=date(1990, 2, 3))
    with pytest.raises(BadInput, match="given name has an invisible"):
        register_patient(
            admin_session, PatientInput(**{**good.__dict__, "given": NAME_TRAPS[trap]})
        )
    assert _count(admin_session) == 0
    p = register_patient(admin_session, good)
    with pytest.raises(BadInput, match="family name has an invisible"):
        edit_patient(
            admin_session, p.id, PatientInput(**{**good.__dict__, "family": NAME_TRAPS[trap]})
        )
    with pytest.raises(BadInput, match="middle name is longer than 100"):
        edit_patient(admin_session, p.id, PatientInput(**{**good.__dict__, "middle": "b" * 101}))
    assert _names(admin_session) == {("Nia", "Okafor")}


def _cli(args: list[str], cli_env: dict[str, str], store_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **cli_env},
        timeout=120,
    )


def test_cli_refused_import_exits_2_with_one_line_on_stderr(
    cli_env, store_dir: Path, tmp_path: Path
) -> None:
    """Old code: exit 2 with nothing on stderr (defect 12); a 1 MB field: exit 70 (defect 7)."""
    rows = _rows()
    rows[2][3] = "Zo\u200be"
    path = tmp_path / "Renée Niño.csv"
    path.write_text(_csv_text(rows), encoding="utf-8")
    r = _cli(["patients", "import", str(path), "--json"], cli_env, store_dir)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Nothing was imported: 1 bad row" in r.stderr
    out = json.loads(r.stdout)
    assert not out["imported"] and out["bad_rows"][0]["line"] == 3
    r = _cli(["patients", "import", str(path)], cli_env, store_dir)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert r.stdout.startswith("line 3: the family name has an invisible")

    rows = _rows()
    rows[3][3] = "x" * 1_000_000
    path.write_text(_csv_text(rows), encoding="utf-8")
    r = _cli(["patients", "import", str(path)], cli_env, store_dir)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and "Line 4 " in r.stderr
    r = _cli(["patients", "list", "--json"], cli_env, store_dir)
    assert json.loads(r.stdout)["patients"] == []
