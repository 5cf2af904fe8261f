"""What the release screen loads and changes, as plain functions that run on a worker.

Each function takes the Session first, calls only release (and chart) services, and returns
plain data, so the screen can hand any of them to ``run_in_background`` unchanged and stays
free of SQL. Nothing here imports Qt.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from threading import Event

from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import date_order, get_setting
from clinicrecords.common.domain import Document, Patient
from clinicrecords.common.errors import BadInput
from clinicrecords.common.fileio import write_atomically
from clinicrecords.common.taxonomy import DEFAULT_DOC_TYPES
from clinicrecords.records import documents
from clinicrecords.registry import lookup, patients
from clinicrecords.release import rules, service
from clinicrecords.release.model import ReleaseRequest, SelectedPage
from clinicrecords.release.packet import PacketResult


@dataclass(frozen=True)
class LogRow:
    """One row of the request log: the request and the patient's two identifiers."""

    request: ReleaseRequest
    patient_name: str
    patient_dob: date | None

    @property
    def code(self) -> str:
        return self.request.code


@dataclass(frozen=True)
class LogData:
    rows: list[LogRow]
    due: list[LogRow]
    due_days: int
    date_order: str = "MDY"  # how typed dates are read (locale.date_order)


@dataclass(frozen=True)
class RequestDetail:
    request: ReleaseRequest
    patient: Patient
    selection: list[SelectedPage]
    blockers: list[str]
    authorization: rules.Authorization | None
    documents: list[Document]  # the chart's documents, for picking the signed form
    suggested_form: int | None
    # document id -> "amendment" / "statement of disagreement": it goes out after the document
    carrying: dict[int, str] = field(default_factory=dict)


def _names(session: Session) -> Callable[[int], Patient | None]:
    index = lookup.index_for(session.store)
    return index.get  # type: ignore[no-any-return]


def load_log(session: Session) -> LogData:
    """The whole request log (soonest due first), the due list, and the due-days setting."""
    requests = service.list_requests(session)
    due_codes = {r.code for r in service.due_list(session)}
    patient_of = _names(session)
    rows = []
    for r in requests:
        p = patient_of(r.patient_id)
        rows.append(LogRow(r, p.display_name if p else "", p.dob if p else None))
    return LogData(
        rows,
        [row for row in rows if row.code in due_codes],
        int(get_setting(session, "release.due_days")),
        date_order(session),
    )


def load_detail(session: Session, request_id: int) -> RequestDetail:
    from clinicrecords.records.amendments import carrying_documents

    request = service.get_request(session, request_id)
    selection = service.get_selection(session, request_id)
    return RequestDetail(
        request=request,
        patient=patients.get_patient(session, request.patient_id),
        selection=selection,
        blockers=service.send_blockers(session, request_id),
        authorization=service.get_authorization(session, request_id),
        documents=documents.list_documents(session, request.patient_id),
        suggested_form=service.suggest_authorization_document(session, request.patient_id),
        carrying=carrying_documents(session, sorted({s.document_id for s in selection})),
    )


def doc_type_choices() -> list[tuple[str, str, bool]]:
    """(code, label, sensitive) for the scope picker: the stable default taxonomy."""
    return [(t.code, t.label, t.sensitive) for t in DEFAULT_DOC_TYPES]


def sensitive_categories(selection: list[SelectedPage]) -> list[tuple[str, str]]:
    """The sensitive categories an authorization can name: the standard four plus any the
    chart's held-back pages fall under (a clinic may mark its own types sensitive)."""
    codes = list(rules.SENSITIVE_CATEGORIES)
    for s in selection:
        if s.reason_code.startswith("sensitive:"):
            code = s.reason_code.split(":", 1)[1]
            if code not in codes:
                codes.append(code)
    return [(c, rules.category_label(c)) for c in codes]


# --- changes ---------------------------------------------------------------------------


def toggle_page(session: Session, request_id: int, page_id: int, include: bool, note: str) -> int:
    service.exclude_page(session, request_id, page_id, None if include else note)
    return request_id


def reselect(session: Session, request_id: int) -> int:
    service.reselect(session, request_id)
    return request_id


def set_scope(
    session: Session,
    request_id: int,
    date_from: date | None,
    date_to: date | None,
    doc_types: list[str],
    include_sensitive: bool,
) -> int:
    service.set_scope(
        session,
        request_id,
        date_from=date_from,
        date_to=date_to,
        doc_types=doc_types,
        include_sensitive=include_sensitive,
    )
    return request_id


def record_authorization(
    session: Session, request_id: int, auth: service.AuthorizationInput
) -> int:
    service.record_authorization(session, request_id, auth)
    return request_id


def waive_fee(session: Session, request_id: int, waived: bool) -> int:
    service.waive_fee(session, request_id, waived)
    return request_id


def close_request(session: Session, request_id: int, status: str, reason: str) -> int:
    service.set_status(session, request_id, status, reason)
    return request_id


def send(session: Session, request_id: int) -> int:
    service.send_request(session, request_id)
    return request_id


# --- the packet ------------------------------------------------------------------------


class Cancelled(BadInput):
    pass


def build_packet_bytes(
    session: Session,
    request_id: int,
    total: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cancel: Event | None = None,
) -> tuple[bytes, PacketResult]:
    """Build the packet in memory for preview and printing.

    Nothing unencrypted touches the disk until the user saves the packet somewhere on purpose
    (an explicit export); a preview lives only as long as the screen shows it.
    """
    buf = io.BytesIO()

    def step(done: int) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("Building the packet was cancelled.")
        if progress is not None:
            progress(done, total)

    result = service.build_packet(session, request_id, buf, step)
    return buf.getvalue(), result


def save_packet_bytes(data: bytes, target: Path) -> Path:
    """Write a built packet where the user chose, whole or not at all."""
    target = Path(target)
    write_atomically(target, data)  # a full disk says so in a sentence (DiskFull)
    return target
