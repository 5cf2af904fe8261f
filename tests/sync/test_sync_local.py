"""This PC's side of the network without the other PCs: change capture, ids, MRN forms."""

from __future__ import annotations

import time
import uuid
from datetime import date

import pytest

from clinicrecords.common.errors import AccessDenied
from clinicrecords.common.mrn import is_valid_mrn
from clinicrecords.db import sync_sql
from clinicrecords.events import mrnblocks
from clinicrecords.events.ids import uuid7
from clinicrecords.events.outbox import emit
from clinicrecords.registry.patients import (
    PatientInput,
    insert_validated,
    register_patient,
    validate,
)
from clinicrecords.sync.conflicts import list_conflicts


def test_a_stand_alone_store_writes_no_events(admin_session) -> None:
    p = register_patient(admin_session, PatientInput("Alone", "Ada", date(1970, 1, 1)))
    assert is_valid_mrn(p.mrn)
    with admin_session.db.write() as conn:
        assert emit(conn, "patient.registered", {}) is None
        assert sync_sql.outbox_counts(conn) == (0, 0)
        assert sync_sql.patients_without_uid(conn) == 1
    with pytest.raises(RuntimeError), admin_session.db.read() as conn:
        emit(conn, "patient.registered", {})  # only ever inside the change's transaction


def test_no_change_without_its_event_and_no_event_without_its_change(clinic) -> None:
    ws = clinic.attach_first()
    with ws.store.db.read() as conn:
        before = sync_sql.outbox_counts(conn)
    with pytest.raises(ZeroDivisionError), ws.session.db.write() as conn:
        fields = validate(PatientInput("Halfway", "Hal", date(1980, 1, 1)))
        insert_validated(ws.session, conn, fields, None, None)
        assert sync_sql.outbox_counts(conn)[0] == before[0] + 1
        _ = 1 / 0  # the action fails after its change and its event were written
    with ws.store.db.read() as conn:
        assert sync_sql.outbox_counts(conn) == before
    assert all(c[0] != "Halfway" for c in ws.charts().values())
    p = ws.register("Whole", "Wendy", "1981-01-01")
    with ws.store.db.read() as conn:
        assert sync_sql.outbox_counts(conn)[0] == before[0] + 1
        assert sync_sql.uid_of(conn, "patient", p.id) is not None


def test_uuid7_is_a_version_7_uuid_ordered_by_time() -> None:
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert uuid.UUID(first).version == 7 and uuid.UUID(first).variant == uuid.RFC_4122
    assert first < second
    assert len({uuid7() for _ in range(2000)}) == 2000


def test_provisional_mrns_carry_a_check_digit_and_their_workstation() -> None:
    mrn = mrnblocks.provisional_mrn(3, 17)
    assert mrn.startswith("P3-") and mrnblocks.is_provisional(mrn, 3)
    assert not mrnblocks.is_provisional(mrn, 4)
    typo = mrn[:-2] + str((int(mrn[-2]) + 1) % 10) + mrn[-1]
    assert not mrnblocks.is_provisional(typo)
    assert not mrnblocks.is_provisional("00000018")


def test_conflicts_are_for_the_roles_that_merge_charts(session_for) -> None:
    with pytest.raises(AccessDenied):
        list_conflicts(session_for("clerk"))
    assert list_conflicts(session_for("release")) == []
