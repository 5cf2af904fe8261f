"""A handful of release requests for the demo clinic, one in each state a manager meets.

Made through the release services (so every rule, audit entry and disclosure is real), for
synthetic patients only. The dates are relative to today so the due list always shows an
overdue request and one due soon.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Document
from clinicrecords.common.timeutil import today
from clinicrecords.records import documents
from clinicrecords.release import service
from clinicrecords.release.service import AuthorizationInput

ALL_ELEMENTS = frozenset({"all"})


def _auth(days_signed_ago: int = 12, expires_in: int = 180, **kw: object) -> AuthorizationInput:
    base: dict[str, object] = {
        "signed_on": today() - timedelta(days=days_signed_ago),
        "expires_on": today() + timedelta(days=expires_in),
        "elements": ALL_ELEMENTS,
    }
    return AuthorizationInput(**{**base, **kw})  # type: ignore[arg-type]


def seed_demo_requests(session: Session, patient_ids: list[int]) -> list[str]:
    """Create demo requests (new, in progress, sent, overdue, due soon, sensitive held back,
    a substance-use authorization, a denial) and return their codes.

    Charts with documents are preferred, and charts with the right sensitive documents for
    the two sensitive examples; with few charts the same chart serves several requests.
    """
    session.require("release.create")
    if not patient_ids:
        return []
    docs: dict[int, list[Document]] = {
        pid: documents.list_documents(session, pid) for pid in patient_ids
    }
    with_docs = [pid for pid in patient_ids if docs[pid]] or list(patient_ids)
    without_docs = [pid for pid in patient_ids if not docs[pid]]

    def having(doc_type: str) -> int | None:
        return next((p for p in with_docs if any(d.doc_type == doc_type for d in docs[p])), None)

    def any_sensitive() -> int | None:
        return next((p for p in with_docs if any(d.sensitive for d in docs[p])), None)

    def pick(i: int) -> int:
        return with_docs[i % len(with_docs)]

    def form_of(pid: int) -> int | None:
        return service.suggest_authorization_document(session, pid)

    codes: list[str] = []
    made: Callable[..., service.ReleaseRequest] = service.create_request

    # 1. New: the patient's own request for the whole chart, logged today.
    new_pid = without_docs[0] if without_docs else pick(0)
    r = made(
        session, new_pid, "The patient", "Own copy for a move to a new doctor",
        requester_type="patient", delivery="electronic",
    )  # fmt: skip
    codes.append(r.code)

    # 2. In progress: a referral to a specialist (treatment: no authorization, no fee).
    pid = pick(1)
    r = made(
        session, pid, "Dr. Priya Raman", "Continuing care: cardiology referral",
        requester_type="provider", requester_org="Riverside Cardiology",
        requester_address="400 River Road\nSpringfield, ST 00001",
        received_on=today() - timedelta(days=6), doc_types=("lab", "consult", "referral",
                                                            "imaging", "medication"),
    )  # fmt: skip
    codes.append(r.code)

    # 3. Overdue: an attorney's request with a signed authorization, received 34 days ago.
    pid = pick(2)
    r = made(
        session, pid, "J. Alvarez, Esq.", "Personal injury claim", requester_type="attorney",
        requester_org="Alvarez & Cole LLP", requester_address="18 Court Square\nSpringfield",
        received_on=today() - timedelta(days=34), watermark="Alvarez & Cole LLP",
        authorization=_auth(40, 320, document_id=form_of(pid)),
    )  # fmt: skip
    codes.append(r.code)

    # 4. Sensitive records held back: an insurer asks for everything, the form names none.
    pid = any_sensitive() or pick(3)
    r = made(
        session, pid, "Underwriting Dept.", "Life insurance application",
        requester_type="insurer", requester_org="Northgate Life", basis="authorization",
        include_sensitive=True, received_on=today() - timedelta(days=27),
        authorization=_auth(30, 365, document_id=form_of(pid)),
    )  # fmt: skip
    codes.append(r.code)

    # 5. A substance-use authorization (42 CFR Part 2): the form names that category.
    pid = having("substance_use") or any_sensitive() or pick(4)
    r = made(
        session, pid, "Case Manager", "Coordination of treatment programme",
        requester_type="agency", requester_org="County Recovery Services",
        requester_address="2 Civic Plaza\nSpringfield", include_sensitive=True,
        received_on=today() - timedelta(days=3),
        authorization=_auth(5, 365, categories=frozenset({"substance_use"}),
                            document_id=form_of(pid)),
    )  # fmt: skip
    codes.append(r.code)

    # 6. Sent: the patient's paper copy, and a court order (which the accounting lists).
    pid = pick(5)
    r = made(
        session, pid, "The patient", "Personal records", requester_type="patient",
        received_on=today() - timedelta(days=60),
    )  # fmt: skip
    if service.get_request(session, r.id).pages_out:
        service.send_request(session, r.id, on=today() - timedelta(days=52))
    codes.append(r.code)
    r = made(
        session, pid, "Clerk of the Circuit Court", "Subpoena duces tecum, case 25-CV-118",
        requester_type="agency", basis="judicial", requester_address="1 Court Street",
        received_on=today() - timedelta(days=90), doc_types=("lab", "progress_note", "consult"),
    )  # fmt: skip
    if service.get_request(session, r.id).pages_out:
        service.send_request(session, r.id, on=today() - timedelta(days=75))
    codes.append(r.code)

    # 7. Due soon, and blocked: its authorization has expired.
    pid = pick(6)
    r = made(
        session, pid, "Claims Unit", "Disability claim review", requester_type="insurer",
        requester_org="Keystone Disability", basis="authorization",
        received_on=today() - timedelta(days=27),
        authorization=_auth(400, -5, document_id=form_of(pid)),
    )  # fmt: skip
    codes.append(r.code)

    # 8. Denied, with its reason kept.
    pid = pick(7)
    r = made(session, pid, "M. Grant", "Records of a relative", requester_type="other",
             received_on=today() - timedelta(days=15))  # fmt: skip
    service.set_status(
        session, r.id, "denied", "Requester is not the patient's personal representative"
    )
    codes.append(r.code)
    return codes
