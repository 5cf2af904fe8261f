"""Chart lookup over the registry: one in-memory index per open store.

The index (``search.PatientIndex``) is built from the encrypted database on first use and then
kept in step with every registration, edit and merge, so a query never touches the disk. It
lives only in this process's memory: nothing about patients is written outside the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from clinicrecords.clinic import settings
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.domain import Patient
from clinicrecords.db import patients as patients_sql
from clinicrecords.search import PatientIndex

_KEY = "patient_index"


@dataclass(frozen=True)
class SearchResult:
    patient: Patient
    score: float
    matched: tuple[str, ...]


def index_for(store: Store) -> PatientIndex:
    with store.cache_lock:
        index = store.cache.get(_KEY)
        if index is None:
            with store.db.read() as conn:
                index = PatientIndex(patients_sql.load_patients(conn))
            store.cache[_KEY] = index
        return index  # type: ignore[return-value]


def on_patient_changed(store: Store, patient: Patient) -> None:
    with store.cache_lock:
        index = store.cache.get(_KEY)
    if index is not None:
        if patient.merged_into:
            index.remove(patient.id)  # type: ignore[attr-defined]
        else:
            index.upsert(patient)  # type: ignore[attr-defined]


def invalidate(store: Store) -> None:
    with store.cache_lock:
        store.cache.pop(_KEY, None)


def search_patients(session: Session, query: str, limit: int = 20) -> list[SearchResult]:
    session.require("patient.read")
    index = index_for(session.store)
    out = []
    for hit in index.search(query, limit=limit, order=settings.date_order(session)):
        patient = index.get(hit.patient_id)
        if patient is not None:
            out.append(SearchResult(patient, hit.score, tuple(hit.matched)))
    return out
