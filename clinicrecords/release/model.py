"""Plain data the release services return to the CLI and the UI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    id: int
    code: str  # e.g. R00012: the request's name on screen and in every Bates number
    patient_id: int
    mrn: str
    requester_name: str
    requester_org: str
    requester_address: str
    requester_type: str
    purpose: str
    basis: str
    delivery: str
    received_on: date
    due_on: date
    status: str
    status_reason: str
    date_from: date | None
    date_to: date | None
    doc_types: tuple[str, ...]
    include_sensitive: bool
    watermark: str
    fee_cents: int | None
    fee_note: str
    fee_waived: bool
    pages_out: int = 0
    pages_held: int = 0
    due_state: str = ""  # 'overdue' / 'due_soon' / 'on_time' while open, else ''
    sent_at: str | None = None

    @property
    def fee_display(self) -> str:
        if self.fee_waived:
            return "waived"
        cents = self.fee_cents or 0
        return f"${cents // 100}.{cents % 100:02d}"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("received_on", "due_on", "date_from", "date_to"):
            out[key] = out[key].isoformat() if out[key] else None
        out["request_id"] = self.code
        out["doc_types"] = list(self.doc_types)
        return out


@dataclass(frozen=True, slots=True)
class SelectedPage:
    """One page in scope of a request: going out, or held back and why."""

    position: int
    page_id: int
    document_id: int
    doc_type: str
    doc_label: str
    doc_date: date | None
    included: bool
    reason: str
    reason_code: str

    def to_json(self) -> dict[str, Any]:
        return {
            "page_id": self.page_id,
            "document_id": self.document_id,
            "doc_type": self.doc_type,
            "doc_date": self.doc_date.isoformat() if self.doc_date else None,
            "included": self.included,
            "reason": self.reason,
            "reason_code": self.reason_code,
        }


@dataclass(frozen=True, slots=True)
class Disclosure:
    """One row of the accounting of disclosures."""

    id: int
    request_code: str
    disclosed_on: date
    recipient: str
    recipient_address: str
    purpose: str
    basis: str
    description: str
    pages: int
    in_accounting: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_code,
            "date": self.disclosed_on.isoformat(),
            "recipient": self.recipient,
            "recipient_address": self.recipient_address,
            "purpose": self.purpose,
            "basis": self.basis,
            "description": self.description,
            "pages": self.pages,
            "in_accounting": self.in_accounting,
        }
