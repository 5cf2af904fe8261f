"""The clinic's domain events: what one workstation tells the others.

Events describe changes in the clinic's own terms, never SQL: each replica applies them
through the same projector (``projectors.py``), so replicas converge by construction and a
schema change on one PC does not break another. Payloads name records by clinic-wide ids
(UUIDv7 ``uid``), since each replica numbers its rows itself.

In this slice:
- ``patient.registered``    {uid, fields{...}, source, source_id, merged_into, aliases[]}
- ``patient.field_changed`` {uid, field, old, new}  (``old`` finds concurrent edits)
- ``patient.mrn_confirmed`` {uid, provisional, mrn}  (a provisional MRN replaced; kept as alias)
- ``patient.previous_names_changed`` {uid, old, new}  (the "also known as" list, as JSON text;
  ``previous_names.py``)
- ``conflict.resolved``     {conflict, value, by}
- ``user.added``, ``user.changed`` (``accounts.py``); ``setting.changed`` (``clinic_settings.py``)
- ``document.filed`` (``documents.py``): a document with its pages; their page-store objects
  are pushed before it and fetched before it is applied

- ``merge.applied``, ``merge.undone`` (``merges.py``): charts merged and unmerged
- ``release.created``, ``release.changed``, ``release.status_changed``, ``release.sent``
  (``releases.py``): release of information and the accounting of disclosures
- ``audit.appended`` (``audit_chain.py``): a batch of one workstation's own audit rows
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PATIENT_REGISTERED = "patient.registered"
PATIENT_FIELD_CHANGED = "patient.field_changed"
PATIENT_MRN_CONFIRMED = "patient.mrn_confirmed"
CONFLICT_RESOLVED = "conflict.resolved"

PATIENT = "patient"  # entity name in sync_ids / sync_shadow / sync_conflicts


@dataclass(frozen=True)
class Event:
    """One event as a replica applies it (opened, in the clinic's order)."""

    id: str
    type: str
    data: dict[str, Any]
    workstation_id: str
    lamport: int
    wseq: int
    seq: int  # the server's order
    own: bool  # written by this workstation (already applied here when it was made)


def pages_named(type_: str, data: dict[str, Any]) -> list[str]:
    """Page-store objects an event refers to: pushed before it, fetched before it is applied."""
    if type_ == "document.filed":
        return [page["blob_id"] for page in data.get("pages", ())]
    return list(data.get("pages", ())) if type_.startswith("page.") else []
