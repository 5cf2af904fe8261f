"""Workstations for the sync tests: real stores, real sessions, the real server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clinicrecords.clinic import auth
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.domain import Patient
from clinicrecords.db import patients as patients_sql
from clinicrecords.registry import lookup
from clinicrecords.registry.patients import (
    PatientInput,
    change_fields,
    patient_by_mrn,
    register_patient,
)
from clinicrecords.sync import client, server
from clinicrecords.sync.client import SyncResult
from tests.conftest import PASSPHRASE, PASSWORD, USERS


class Workstation:
    def __init__(self, name: str, data_dir: Path, username: str, session: Session | None = None):
        self.name = name
        self.data_dir = data_dir
        if session is None:
            session = auth.login(Store.open(data_dir, PASSPHRASE), username, PASSWORD)
        self.session = session
        self.store = session.store

    def register(self, family: str, given: str, dob: str, **more: str) -> Patient:
        return register_patient(
            self.session, PatientInput(family, given, date.fromisoformat(dob), **more)
        )

    def edit(self, chart_mrn: str, **changes: str) -> Patient:
        return change_fields(self.session, patient_by_mrn(self.session, chart_mrn).id, changes)

    def sync(self) -> SyncResult:
        return client.sync_once(self.store)

    def charts(self) -> dict[str, tuple]:
        """MRN -> (family, given, dob, phone, address), every chart, as stored."""
        with self.store.db.read() as conn:
            return {
                p.mrn: (p.family, p.given, p.dob.isoformat(), p.phone, p.address)
                for p in patients_sql.load_patients(conn)
            }

    def search(self, text: str) -> list[str]:
        return [r.patient.mrn for r in lookup.search_patients(self.session, text)]

    def close(self) -> None:
        self.store.close()


class Clinic:
    def __init__(self, pg, first_store_dir: Path, tmp_path: Path) -> None:
        self.pg = pg
        self.tmp = tmp_path
        self.url = pg.url
        self.first_dir = first_store_dir
        self.workstations: list[Workstation] = []

    def attach_first(self, name: str = "front-1") -> Workstation:
        ws = Workstation(name, self.first_dir, USERS["admin"])
        server.attach(ws.session, self.url, name)
        self.workstations.append(ws)
        return ws

    def join(self, name: str) -> Workstation:
        """A new PC joins while the others are online (they sync first)."""
        for ws in self.workstations:
            ws.sync()
        folder = self.tmp / name
        store, user, _ = server.join_open(
            folder, self.url, PASSPHRASE, USERS["admin"], PASSWORD, workstation_name=name
        )
        ws = Workstation(name, folder, USERS["admin"], Session(store, user))
        self.workstations.append(ws)
        return ws

    def sync_all(self, rounds: int = 2) -> None:
        for _ in range(rounds):
            for ws in self.workstations:
                ws.sync()

    def close(self) -> None:
        for ws in self.workstations:
            ws.close()


def server_events(ws: Workstation) -> list[tuple[int, str]]:
    """(seq, type) of every event on the clinic server, opened with the clinic's key: the
    server itself cannot tell a chart's change from a batch of audit rows."""
    from clinicrecords.db import server_sql
    from clinicrecords.sync import address, seal

    state = client.require_state(ws.store)
    key = ws.store.derived.sync
    out: list[tuple[int, str]] = []
    with address.connect(state.server_url) as pg:
        cursor = 0
        while rows := server_sql.events_after(pg, state.clinic_id, cursor, 1000):
            for row in rows:
                envelope = seal.open_sealed(
                    key, state.clinic_id, row.workstation_id, row.id, row.lamport, row.nonce,
                    row.ciphertext,
                )  # fmt: skip
                out.append((row.seq, envelope["type"]))
            cursor = rows[-1].seq
    return out


def server_changes(ws: Workstation) -> list[int]:
    """Server sequence numbers of the events that change records (not audit-row batches)."""
    return [seq for seq, type_ in server_events(ws) if type_ != "audit.appended"]
