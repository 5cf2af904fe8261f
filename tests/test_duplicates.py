"""Likely duplicates shown before a registration is saved."""

from __future__ import annotations

from datetime import date

from clinicrecords.registry import duplicates
from clinicrecords.registry.duplicates import likely_duplicates, normalize_address
from clinicrecords.registry.patients import PatientInput, register_patient


def _reg(session, family, given, dob, **kw):
    return register_patient(session, PatientInput(family=family, given=given, dob=dob, **kw))


def test_similar_name_same_dob_phone_and_address(admin_session) -> None:
    smith = _reg(
        admin_session,
        "Smith",
        "Jonathan",
        date(1967, 3, 4),
        phone="(555) 123-4567",
        address="12 Maple Street",
    )
    twin_dob_other_name = _reg(admin_session, "Okafor", "Chidi", date(1967, 3, 4))
    same_phone = _reg(admin_session, "Rivera", "Lucia", date(1990, 8, 8), phone="555.987.6543")
    same_addr = _reg(
        admin_session, "Kowalski", "Piotr", date(1955, 1, 1), address="7 Oak Avenue, Apt. 2"
    )
    _reg(admin_session, "Smith", "Jonathan", date(1999, 9, 9))  # same name, other DOB: not shown

    found = likely_duplicates(
        admin_session, PatientInput(family="Smyth", given="Jon", dob=date(1967, 3, 4))
    )
    assert [c.patient.id for c in found] == [smith.id]
    assert found[0].reasons == (duplicates.SAME_DOB,)

    found = likely_duplicates(
        admin_session,
        PatientInput(family="Rivers", given="Ana", dob=date(2001, 1, 1), phone="555-987-6543"),
    )
    assert [(c.patient.id, c.reasons) for c in found] == [(same_phone.id, (duplicates.SAME_PHONE,))]

    found = likely_duplicates(
        admin_session,
        PatientInput(
            family="Kowalsky", given="Peter", dob=date(1956, 1, 1), address="7 oak ave apt 2"
        ),
    )
    assert [(c.patient.id, c.reasons) for c in found] == [
        (same_addr.id, (duplicates.SAME_ADDRESS,))
    ]

    # every reason at once ranks first
    found = likely_duplicates(
        admin_session,
        PatientInput(
            family="Smith",
            given="John",
            dob=date(1967, 3, 4),
            phone="555 123 4567",
            address="12 maple st",
        ),
    )
    assert found[0].patient.id == smith.id and len(found[0].reasons) == 3
    assert twin_dob_other_name.id not in {c.patient.id for c in found}

    assert (
        likely_duplicates(
            admin_session, PatientInput(family="Nobody", given="Here", dob=date(2000, 1, 1))
        )
        == []
    )


def test_same_mrn_and_swapped_names(admin_session) -> None:
    p = _reg(admin_session, "Tran", "Minh", date(1988, 12, 1))
    found = likely_duplicates(
        admin_session, PatientInput(family="Minh", given="Tran", dob=date(1988, 12, 1))
    )
    assert [c.patient.id for c in found] == [p.id]
    found = likely_duplicates(
        admin_session, PatientInput(family="X", given="Y", dob=date(2000, 1, 1), mrn=p.mrn)
    )
    assert found[0].reasons == (duplicates.SAME_MRN,)


def test_merged_charts_are_not_offered(admin_session) -> None:
    from clinicrecords.registry.merge import merge_charts

    a = _reg(admin_session, "Haddad", "Rania", date(1975, 6, 6))
    b = _reg(admin_session, "Hadad", "Rania", date(1975, 6, 6))
    merge_charts(admin_session, a.id, b.id, "registered twice")
    found = likely_duplicates(
        admin_session, PatientInput(family="Haddad", given="Rania", dob=date(1975, 6, 6))
    )
    assert [c.patient.id for c in found] == [a.id]


def test_normalize_address() -> None:
    assert normalize_address("12 Maple Street, Apt. 3") == normalize_address("12 maple st apt 3")
    assert normalize_address("") == ""
