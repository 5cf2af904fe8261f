"""Previous names (issue 10): kept per chart, imported from Synthea's MAIDEN, edited with
the command line, audited, found by search with the reason said ("maiden name")."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from clinicrecords.admin.review import recent_rows
from clinicrecords.common.domain import PreviousName
from clinicrecords.common.errors import BadInput
from clinicrecords.registry import lookup
from clinicrecords.registry.patient_import import import_patients_csv
from clinicrecords.registry.patients import PatientInput, get_patient, register_patient
from clinicrecords.registry.previous_names import (
    add_previous_name,
    parse_previous_name,
    remove_previous_name,
    set_previous_names,
)


def _woman(session):  # type: ignore[no-untyped-def]
    return register_patient(session, PatientInput("Whitfield", "Harriet", date(1961, 8, 14), "F"))


def test_previous_names_are_kept_audited_and_found_by_search(admin_session) -> None:
    p = _woman(admin_session)
    before = lookup.search_patients(admin_session, "Harriet Okonkwo")
    assert all("name" not in r.matched for r in before)  # the given name alone: no match
    after = add_previous_name(admin_session, p.id, PreviousName("Okonkwo"))
    assert after.previous_names == (PreviousName("Okonkwo", "", "maiden"),)
    assert get_patient(admin_session, p.id).previous_names == after.previous_names

    hits = lookup.search_patients(admin_session, "Harriet Okonkwo")
    assert hits and hits[0].patient.id == p.id and hits[0].score > before[0].score
    assert (
        "name" in hits[0].matched and "maiden name" in hits[0].matched
    )  # the clerk is told why the chart is listed
    own = lookup.search_patients(admin_session, "Harriet Whitfield")
    assert own[0].patient.id == p.id and "maiden name" not in own[0].matched

    row = next(r for r in recent_rows(admin_session, 20) if r.action == "patient.previous_names")
    assert row.object_id == str(p.id)
    assert "Okonkwo" not in row.detail  # counts and kinds only: names are patient data
    assert json.loads(row.detail)["after"] == 1

    # Removing it: search no longer finds her by that name.
    remove_previous_name(admin_session, p.id, "okonkwo")
    assert get_patient(admin_session, p.id).previous_names == ()
    gone = lookup.search_patients(admin_session, "Harriet Okonkwo")
    assert all("name" not in r.matched for r in gone)


def test_previous_legal_name_with_another_given_name(admin_session) -> None:
    p = _woman(admin_session)
    set_previous_names(admin_session, p.id, [PreviousName("Delacroix", "Henry", "previous")])
    hits = lookup.search_patients(admin_session, "Henry Delacroix")
    assert hits[0].patient.id == p.id and "previous name" in hits[0].matched


@pytest.mark.parametrize(
    ("text", "kind"),
    [("", "maiden"), ("J0nes", "maiden"), ("Jones", "nickname"), ("Jo\u200bnes", "maiden")],
)
def test_bad_previous_names_are_refused(text: str, kind: str) -> None:
    with pytest.raises(BadInput):
        parse_previous_name(text, kind)


def test_duplicates_and_the_charts_own_name_are_not_kept(admin_session) -> None:
    p = _woman(admin_session)
    after = set_previous_names(
        admin_session,
        p.id,
        [PreviousName("Okonkwo"), PreviousName("OKONKWO"), PreviousName("Whitfield")],
    )
    assert after.previous_names == (PreviousName("Okonkwo", "", "maiden"),)


def test_synthea_maiden_column_becomes_a_maiden_name(admin_session, tmp_path: Path) -> None:
    csv_path = tmp_path / "patients.csv"
    csv_path.write_text(
        "Id,BIRTHDATE,FIRST,MIDDLE,LAST,MAIDEN,GENDER\n"
        "a1,1958-02-03,Lorna123,,Beckett456,Fairbanks789,F\n"
        "a2,1990-05-06,Tomas12,,Reyes34,,M\n",
        encoding="utf-8",
    )
    result = import_patients_csv(admin_session, csv_path)
    assert result.added == 2
    hits = lookup.search_patients(admin_session, "Lorna Fairbanks")
    assert hits and hits[0].patient.family == "Beckett"
    assert hits[0].patient.previous_names == (PreviousName("Fairbanks", "", "maiden"),)
    assert "maiden name" in hits[0].matched
    tomas = lookup.search_patients(admin_session, "Tomas Reyes")[0].patient
    assert tomas.previous_names == ()


def test_cli_edit_aka_shown_in_chart_json(admin_session, store_dir, cli_env, capsys) -> None:
    from clinicrecords.cli import main

    p = _woman(admin_session)
    base = ["--data-dir", str(store_dir)]
    assert main([*base, "patients", "edit", p.mrn, "--aka", "OKONKWO"]) == 0
    code = main([*base, "patients", "edit", p.mrn, "--aka", "Delacroix, Hattie",
                 "--aka-kind", "previous", "--json"])  # fmt: skip
    assert code == 0
    capsys.readouterr()
    assert main([*base, "chart", p.mrn, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["patient"]["previous_names"]
    assert shown == [
        {"family": "OKONKWO", "given": "Harriet", "kind": "maiden"},
        {"family": "Delacroix", "given": "Hattie", "kind": "previous"},
    ]
    # A bad name is refused before anything is saved; one sentence, no name in it.
    code = main([*base, "patients", "edit", p.mrn, "--aka", "Sm1th", "--phone", "555-0100"])
    err = capsys.readouterr().err
    assert code == BadInput.exit_code and "Sm1th" not in err
    assert get_patient(admin_session, p.id).phone == ""
    assert main([*base, "patients", "edit", p.mrn, "--drop-aka", "okonkwo"]) == 0
    assert [n.family for n in get_patient(admin_session, p.id).previous_names] == ["Delacroix"]


def test_registering_again_under_the_maiden_name_shows_her_chart(admin_session) -> None:
    from clinicrecords.registry.duplicates import likely_duplicates

    p = _woman(admin_session)
    again = PatientInput("Okonkwo", "Harriet", date(1961, 8, 14), "F")
    assert all(c.patient.id != p.id for c in likely_duplicates(admin_session, again))
    add_previous_name(admin_session, p.id, PreviousName("Okonkwo"))
    found = likely_duplicates(admin_session, again)
    assert found[0].patient.id == p.id
    assert found[0].reasons == ("like its maiden name and the same date of birth",)
