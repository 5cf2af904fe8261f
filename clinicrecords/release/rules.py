"""What may go out in a release of information, decided without a database or a UI.

Everything here is a pure function of plain values so that the rules a compliance officer
cares about (who needs a signed authorization, which sensitive pages stay back, when a
request is due, what may be charged, what the accounting of disclosures must list) can be
read in one place and tested without a store.

Legal basis (US): HIPAA 45 CFR 164.508 (authorizations), 164.524 (the patient's own access
and its fees), 164.528 (accounting of disclosures); 42 CFR Part 2 (substance-use records).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from clinicrecords.common.errors import BadInput

REQUESTER_TYPES = ("patient", "provider", "insurer", "attorney", "agency", "other")
STATUSES = ("new", "in_progress", "sent", "denied", "cancelled")
OPEN_STATUSES = ("new", "in_progress")
DELIVERIES = ("paper", "electronic")

# new -> in_progress -> sent, with denied / cancelled possible until it is sent.
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "new": ("in_progress", "denied", "cancelled"),
    "in_progress": ("sent", "denied", "cancelled"),
    "sent": (),
    "denied": (),
    "cancelled": (),
}

# The sensitive document types of the default taxonomy and how a letter names them when it
# says, in general terms, what was withheld (never which documents or dates).
SENSITIVE_CATEGORIES: Mapping[str, str] = {
    "mental_health": "mental health records",
    "substance_use": "substance use disorder treatment records",
    "hiv_sti": "HIV and sexually transmitted infection records",
    "genetic": "genetic test results",
}

# The elements an authorization must show before it can carry a disclosure
# (164.508(c)(1) and the right-to-revoke statement of 164.508(c)(2)(i)).
CORE_ELEMENTS: Mapping[str, str] = {
    "description": "what information is to be disclosed",
    "discloser": "who is authorized to disclose it",
    "recipient": "to whom it may be disclosed",
    "purpose": "the purpose of the disclosure",
    "expiry": "an expiry date or event",
    "revocation": "a statement of the right to revoke",
    "signature": "the patient's (or representative's) signature and date",
}


@dataclass(frozen=True, slots=True)
class Basis:
    """A legal basis for a disclosure and what it implies.

    `needs_authorization`: HIPAA lets the clinic disclose without a signed authorization
    (164.506 treatment/payment/operations, 164.524 the patient's own access, 164.512 the
    public-interest purposes); everything else needs one.
    `in_accounting`: whether 164.528(a)(1) leaves the disclosure in the accounting the patient
    may ask for. Exempt: (i) treatment, payment, health-care operations; (ii) to the patient;
    (iv) under an authorization. The 164.512 disclosures (required by law, public health,
    oversight, courts, law enforcement, research under a waiver) must be accounted for.
    """

    code: str
    label: str
    needs_authorization: bool
    in_accounting: bool
    rule: str


BASES: Mapping[str, Basis] = {
    b.code: b
    for b in (
        Basis("authorization", "Patient's signed authorization", True, False, "164.508"),
        Basis("individual", "Patient's own request (right of access)", False, False, "164.524"),
        Basis("treatment", "Treatment", False, False, "164.506"),
        Basis("payment", "Payment", False, False, "164.506"),
        Basis("operations", "Health care operations", False, False, "164.506"),
        Basis("required_by_law", "Required by law", False, True, "164.512(a)"),
        Basis("public_health", "Public health", False, True, "164.512(b)"),
        Basis("health_oversight", "Health oversight", False, True, "164.512(d)"),
        Basis("judicial", "Court order or subpoena", False, True, "164.512(e)"),
        Basis("law_enforcement", "Law enforcement", False, True, "164.512(f)"),
        Basis("research", "Research under a waiver", False, True, "164.512(i)"),
    )
}

# The basis assumed when the clerk does not name one. Anything we cannot place defaults to
# needing an authorization: the safe side.
DEFAULT_BASIS: Mapping[str, str] = {
    "patient": "individual",
    "provider": "treatment",
    "insurer": "payment",
    "attorney": "authorization",
    "agency": "authorization",
    "other": "authorization",
}

ACCOUNTING_YEARS = 6  # 164.528(a)(1): the six years before the request


def check_choice(value: str, allowed: Iterable[str], what: str) -> str:
    """Refuse a value outside a fixed list with a sentence a clerk understands."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise BadInput(f"Unknown {what} '{value}'. Choose one of: {', '.join(allowed)}.")
    return value


def category_label(code: str) -> str:
    """How a sensitive category is named to staff (a clinic may add its own types)."""
    return SENSITIVE_CATEGORIES.get(code, code.replace("_", " ") + " records")


def default_basis(requester_type: str) -> str:
    return DEFAULT_BASIS[check_choice(requester_type, REQUESTER_TYPES, "requester type")]


def due_date(received: date, due_days: int = 30) -> date:
    """164.524(b)(2): act on a request within 30 days of receipt (a clinic may set fewer)."""
    if due_days < 1:
        raise BadInput("The number of days to answer a request must be at least 1.")
    return received + timedelta(days=due_days)


def check_transition(current: str, new: str, reason: str = "") -> None:
    """Refuse a status change the request log does not allow; denials need a reason."""
    check_choice(new, STATUSES, "status")
    if new not in TRANSITIONS.get(current, ()):
        raise BadInput(f"A request that is '{current}' cannot become '{new}'.")
    if new in ("denied", "cancelled") and not reason.strip():
        raise BadInput(f"Give a reason when a request is {new}.")


def due_state(due: date, status: str, today: date, soon_days: int = 5) -> str:
    """'overdue', 'due_soon', 'on_time' for open requests; '' once closed."""
    if status not in OPEN_STATUSES:
        return ""
    if due < today:
        return "overdue"
    if (due - today).days <= soon_days:
        return "due_soon"
    return "on_time"


@dataclass(frozen=True, slots=True)
class Authorization:
    """The signed form as the release clerk recorded it (the scan itself is a document)."""

    signed_on: date | None = None
    expires_on: date | None = None
    expiry_event: str = ""  # e.g. "end of the litigation"; the clerk revokes when it happens
    revoked_on: date | None = None
    elements: frozenset[str] = frozenset()  # CORE_ELEMENTS codes checked off
    categories: frozenset[str] = frozenset()  # SENSITIVE_CATEGORIES codes it names explicitly
    document_id: int | None = None

    @property
    def missing_elements(self) -> tuple[str, ...]:
        return tuple(code for code in CORE_ELEMENTS if code not in self.elements)

    def in_force(self, on: date) -> bool:
        """Signed, not yet expired, not revoked on the given day."""
        return not self.expiry_problems(on)

    def lapse_problems(self, on: date) -> list[str]:
        """Expired or revoked: the patient's own limits, which bind every release."""
        problems = []
        if self.expires_on is not None and self.expires_on < on:
            problems.append("The authorization has expired.")
        if self.revoked_on is not None and self.revoked_on <= on:
            problems.append("The patient has revoked the authorization.")
        return problems

    def expiry_problems(self, on: date) -> list[str]:
        problems = []
        if self.signed_on is None:
            problems.append("The authorization has no signature date.")
        elif self.signed_on > on:
            problems.append("The authorization is dated in the future.")
        if self.expires_on is None and not self.expiry_event.strip():
            problems.append("The authorization names no expiry date or event.")
        return problems + self.lapse_problems(on)

    def problems(self, on: date) -> list[str]:
        """Everything that stops this authorization carrying a disclosure on the given day."""
        problems = self.expiry_problems(on)
        if self.missing_elements:
            names = "; ".join(CORE_ELEMENTS[c] for c in self.missing_elements)
            problems.append(f"The authorization is missing core elements: {names}.")
        return problems

    def covers(self, category: str, on: date) -> bool:
        return category in self.categories and self.in_force(on)


def parse_codes(text: str | Iterable[str], allowed: Iterable[str], what: str) -> frozenset[str]:
    """'a,b' or ['a','b'] or 'all' -> a checked set of codes."""
    allowed = tuple(allowed)
    items = text.split(",") if isinstance(text, str) else list(text)
    codes = {c.strip() for c in items if c.strip()}
    if "all" in codes:
        return frozenset(allowed)
    for code in codes:
        check_choice(code, allowed, what)
    return frozenset(codes)


# --- selection ("minimum necessary") -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A page in scope of a request (inside its date range and document types)."""

    page_id: int
    document_id: int
    doc_type: str
    doc_date: date | None
    sensitive: bool


@dataclass(frozen=True, slots=True)
class PageDecision:
    page_id: int
    document_id: int
    doc_type: str
    included: bool
    reason: str = ""  # why a held-back page stays back, in words a person can read
    reason_code: str = ""  # 'sensitive:<category>' or 'excluded'


def in_scope(
    doc_type: str,
    doc_date: date | None,
    *,
    date_from: date | None,
    date_to: date | None,
    types: frozenset[str],
) -> bool:
    """Whether a document falls inside the request's date range and types.

    An undated document is in scope only when the request names no date range: we cannot show
    it belongs to the period asked for, and sending it would not be minimum necessary.
    """
    if types and doc_type not in types:
        return False
    if date_from is None and date_to is None:
        return True
    if doc_date is None:
        return False
    if date_from is not None and doc_date < date_from:
        return False
    return not (date_to is not None and doc_date > date_to)


def decide_pages(
    candidates: Iterable[Candidate],
    authorization: Authorization | None,
    on: date,
    *,
    include_sensitive: bool,
    excluded: Mapping[int, str] | None = None,
) -> list[PageDecision]:
    """Include or hold back each page, giving every held-back page a readable reason.

    A sensitive page goes out only when the request asks for sensitive records
    (`include_sensitive`) and an authorization in force names its category explicitly:
    HIPAA 164.508(a)(2) for psychotherapy notes, 42 CFR 2.31 for substance use, and state
    law for HIV and genetic results all want specific consent, so general wording is not
    enough. Pages the clerk leaves out by hand keep the clerk's note.
    """
    excluded = excluded or {}
    decisions = []
    for c in candidates:
        label = category_label(c.doc_type)
        if c.page_id in excluded:
            note = excluded[c.page_id].strip() or "not needed for the stated purpose"
            decisions.append(
                PageDecision(
                    c.page_id,
                    c.document_id,
                    c.doc_type,
                    False,
                    f"Left out by hand: {note}.",
                    "excluded",
                )
            )
        elif c.sensitive and not include_sensitive:
            decisions.append(
                PageDecision(
                    c.page_id,
                    c.document_id,
                    c.doc_type,
                    False,
                    f"Sensitive ({label}): the request does not ask for sensitive records.",
                    f"sensitive:{c.doc_type}",
                )
            )
        elif c.sensitive and (authorization is None or not authorization.covers(c.doc_type, on)):
            why = (
                "there is no authorization on file"
                if authorization is None
                else "the authorization is not in force"
                if not authorization.in_force(on)
                else "the authorization does not name this category"
            )
            decisions.append(
                PageDecision(
                    c.page_id,
                    c.document_id,
                    c.doc_type,
                    False,
                    f"Sensitive ({label}): {why}.",
                    f"sensitive:{c.doc_type}",
                )
            )
        else:
            decisions.append(PageDecision(c.page_id, c.document_id, c.doc_type, True))
    return decisions


def send_blockers(
    *,
    basis: str,
    status: str,
    authorization: Authorization | None,
    sensitive_out: Iterable[str],
    page_count: int,
    on: date,
    always_require_authorization: bool = False,
) -> list[str]:
    """Every reason the request cannot be sent today; empty when it may go.

    Checked again at the moment of sending, not only at selection: an authorization can
    expire or be revoked between the two.
    """
    blockers = []
    if status not in OPEN_STATUSES:
        blockers.append(f"The request is already '{status}'.")
    if page_count == 0:
        blockers.append("Nothing is selected to send.")
    sensitive_out = sorted(set(sensitive_out))
    needs_auth = (
        BASES[basis].needs_authorization or always_require_authorization or bool(sensitive_out)
    )
    if authorization is None:
        if needs_auth:
            blockers.append("A signed authorization must be recorded before this can be sent.")
        return blockers
    # An authorization on file that has expired or been revoked blocks the release even where
    # the basis would not need one: the patient's stated limits are respected.
    if needs_auth:
        blockers.extend(authorization.expiry_problems(on))
    else:
        blockers.extend(authorization.lapse_problems(on))
    if needs_auth and authorization.missing_elements:
        names = "; ".join(CORE_ELEMENTS[c] for c in authorization.missing_elements)
        blockers.append(f"The authorization is missing core elements: {names}.")
    for category in sensitive_out:
        if category not in authorization.categories:
            blockers.append(f"The authorization does not cover {category_label(category)}.")
    return blockers


# --- fees ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Amounts in cents. Set per clinic (settings `release.fee_*`); state law caps vary."""

    per_page_cents: int = 25  # cost-based: labour + supplies per page copied
    base_cents: int = 0  # e.g. postage for a paper copy
    patient_electronic_flat_cents: int = 650  # HHS's flat-fee option for an electronic copy
    free_bases: frozenset[str] = field(default_factory=lambda: frozenset({"treatment"}))


@dataclass(frozen=True, slots=True)
class Fee:
    cents: int
    basis: str  # a short explanation printed on the letter and shown in the log

    @property
    def display(self) -> str:
        return f"${self.cents // 100}.{self.cents % 100:02d}"


def compute_fee(
    schedule: FeeSchedule, *, basis: str, requester_type: str, delivery: str, pages: int
) -> Fee:
    """The fee for a release.

    - No fee for provider-to-provider disclosures for treatment (the usual practice, and
      many states forbid a charge).
    - The patient's own copy (164.524(c)(4)): cost-based per page, or for an electronic copy
      the flat-fee option HHS allows in place of calculating actual cost.
    - Anyone else: cost-based per page plus the base amount.
    """
    check_choice(delivery, DELIVERIES, "delivery")
    if basis in schedule.free_bases:
        return Fee(0, "No charge: disclosure for treatment.")
    if basis == "individual" or requester_type == "patient":
        if delivery == "electronic":
            return Fee(
                schedule.patient_electronic_flat_cents,
                "Flat fee for the patient's electronic copy.",
            )
        cents = schedule.per_page_cents * pages
        return Fee(cents, f"Cost-based copy fee: {pages} pages.")
    cents = schedule.base_cents + schedule.per_page_cents * pages
    return Fee(cents, f"Copy fee: {pages} pages.")


# --- accounting ----------------------------------------------------------------------------


def in_legal_accounting(basis: str) -> bool:
    """Whether 164.528(a)(1) requires this disclosure in the patient's accounting."""
    return BASES[basis].in_accounting


def accounting_since(today: date, years: int = ACCOUNTING_YEARS) -> date:
    """The first day of the accounting period: the same day `years` years ago."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)
