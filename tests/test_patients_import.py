"""Patient CSV import: Synthea, mapped CSV, idempotent re-import, bad rows."""

from __future__ import annotations

from pathlib import Path

from clinicrecords.db import patients as patients_sql
from clinicrecords.patient_import import import_patients_csv, parse_mapping
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


def test_unknown_csv_needs_a_mapping(admin_session, tmp_path: Path) -> None:
    import pytest

    from clinicrecords.errors import BadInput

    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(BadInput, match="mapping"):
        import_patients_csv(admin_session, path)
