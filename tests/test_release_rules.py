"""Release rules without a store: due dates, transitions, authorizations, selection, fees."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.common.errors import BadInput
from clinicrecords.release import rules
from clinicrecords.release.letters import render_letter, template_text, withheld_sentence

D = date(2026, 3, 1)
FULL = frozenset(rules.CORE_ELEMENTS)


def auth(**kw) -> rules.Authorization:
    base = {"signed_on": date(2026, 2, 1), "expires_on": date(2026, 12, 31), "elements": FULL}
    return rules.Authorization(**{**base, **kw})


def test_due_date_defaults_to_thirty_days_and_is_configurable() -> None:
    assert rules.due_date(date(2026, 1, 15)) == date(2026, 2, 14)
    assert rules.due_date(date(2026, 12, 20), 15) == date(2027, 1, 4)
    with pytest.raises(BadInput):
        rules.due_date(D, 0)


def test_due_state() -> None:
    assert rules.due_state(date(2026, 2, 27), "new", D) == "overdue"
    assert rules.due_state(date(2026, 3, 4), "in_progress", D) == "due_soon"
    assert rules.due_state(date(2026, 3, 30), "new", D) == "on_time"
    assert rules.due_state(date(2026, 2, 1), "sent", D) == ""


def test_transitions_and_reasons() -> None:
    rules.check_transition("new", "in_progress")
    rules.check_transition("in_progress", "sent")
    with pytest.raises(BadInput):
        rules.check_transition("sent", "cancelled", "oops")
    with pytest.raises(BadInput, match="reason"):
        rules.check_transition("new", "denied", "  ")
    rules.check_transition("new", "denied", "not the patient's representative")


def test_authorization_validity() -> None:
    assert auth().problems(D) == []
    assert "expired" in " ".join(auth(expires_on=date(2026, 2, 28)).problems(D))
    assert auth(expires_on=None, expiry_event="end of the claim").problems(D) == []
    assert "no expiry" in " ".join(auth(expires_on=None).problems(D))
    assert "revoked" in " ".join(auth(revoked_on=date(2026, 2, 20)).problems(D))
    missing = auth(elements=FULL - {"revocation", "signature"}).problems(D)
    assert "right to revoke" in missing[0] and "signature" in missing[0]


def cand(page_id: int, doc_type: str, sensitive: bool = False) -> rules.Candidate:
    return rules.Candidate(page_id, page_id * 10, doc_type, date(2025, 1, 1), sensitive)


def test_sensitive_pages_need_request_and_authorization_naming_category() -> None:
    pages = [cand(1, "lab"), cand(2, "mental_health", True), cand(3, "substance_use", True)]
    none = rules.decide_pages(pages, None, D, include_sensitive=True)
    assert [d.included for d in none] == [True, False, False]
    assert all(d.reason for d in none if not d.included)
    assert "no authorization" in none[1].reason

    covered = rules.decide_pages(
        pages, auth(categories=frozenset({"mental_health"})), D, include_sensitive=True
    )
    assert [d.included for d in covered] == [True, True, False]
    assert "does not name" in covered[2].reason

    not_asked = rules.decide_pages(
        pages, auth(categories=frozenset({"mental_health"})), D, include_sensitive=False
    )
    assert [d.included for d in not_asked] == [True, False, False]

    lapsed = rules.decide_pages(
        pages,
        auth(categories=frozenset({"mental_health"}), expires_on=date(2026, 1, 1)),
        D,
        include_sensitive=True,
    )
    assert not lapsed[1].included and "not in force" in lapsed[1].reason


def test_pages_left_out_by_hand_keep_the_note() -> None:
    out = rules.decide_pages([cand(1, "lab"), cand(2, "lab")], None, D, include_sensitive=False,
                             excluded={2: "duplicate copy"})  # fmt: skip
    assert out[1].reason == "Left out by hand: duplicate copy."


def test_scope_by_date_and_type() -> None:
    scope = {"date_from": date(2024, 1, 1), "date_to": date(2024, 12, 31), "types": frozenset()}
    assert rules.in_scope("lab", date(2024, 6, 1), **scope)
    assert not rules.in_scope("lab", date(2023, 6, 1), **scope)
    assert not rules.in_scope("lab", None, **scope)  # undated: cannot show it is in range
    assert rules.in_scope("lab", None, date_from=None, date_to=None, types=frozenset())
    assert not rules.in_scope("consult", None, date_from=None, date_to=None,
                              types=frozenset({"lab"}))  # fmt: skip


def blockers(**kw) -> list[str]:
    base = {"basis": "authorization", "status": "in_progress", "authorization": auth(),
            "sensitive_out": (), "page_count": 3, "on": D}  # fmt: skip
    return rules.send_blockers(**{**base, **kw})


def test_send_blockers() -> None:
    assert blockers() == []
    assert "signed authorization" in blockers(authorization=None)[0]
    assert blockers(authorization=None, basis="treatment") == []
    assert blockers(authorization=None, basis="individual") == []
    assert blockers(authorization=None, basis="treatment", always_require_authorization=True)
    assert "expired" in " ".join(blockers(authorization=auth(expires_on=date(2026, 2, 1))))
    # An expired authorization on file blocks even a release that would not need one.
    assert blockers(basis="treatment", authorization=auth(expires_on=date(2026, 2, 1)))
    assert "missing core" in " ".join(blockers(authorization=auth(elements=frozenset())))
    assert "does not cover" in " ".join(blockers(sensitive_out={"hiv_sti"}))
    assert blockers(sensitive_out={"hiv_sti"}, authorization=auth(categories={"hiv_sti"})) == []
    assert "Nothing" in blockers(page_count=0)[0]
    assert "already" in blockers(status="sent")[0]


def test_fees() -> None:
    s = rules.FeeSchedule(per_page_cents=25, base_cents=500, patient_electronic_flat_cents=650)
    kw = {"delivery": "paper", "pages": 40}
    assert rules.compute_fee(s, basis="treatment", requester_type="provider", **kw).cents == 0
    assert rules.compute_fee(s, basis="individual", requester_type="patient", **kw).cents == 1000
    electronic = rules.compute_fee(
        s, basis="individual", requester_type="patient", delivery="electronic", pages=40
    )
    assert electronic.cents == 650 and electronic.display == "$6.50"
    assert (
        rules.compute_fee(s, basis="authorization", requester_type="attorney", **kw).cents == 1500
    )


def test_accounting_rule_follows_164_528() -> None:
    for basis in ("treatment", "payment", "operations", "individual", "authorization"):
        assert not rules.in_legal_accounting(basis)
    for basis in ("required_by_law", "public_health", "judicial", "law_enforcement"):
        assert rules.in_legal_accounting(basis)
    assert rules.accounting_since(date(2026, 5, 3)) == date(2020, 5, 3)
    assert rules.accounting_since(date(2028, 2, 29)) == date(2022, 2, 28)


def test_default_basis_is_safe() -> None:
    assert rules.default_basis("patient") == "individual"
    assert rules.default_basis("provider") == "treatment"
    assert rules.default_basis("attorney") == "authorization"
    assert rules.default_basis("other") == "authorization"


def test_letter_template_fills_and_refuses_unknown_placeholders() -> None:
    lines = render_letter(
        template_text("cover_letter.txt"),
        {"patient_name": "DOE, Jane", "requester_name": "Dr Who", "enclosed": "- Lab: 1\n- X"},
    )
    texts = [x.text for x in lines]
    assert any("DOE, Jane" in t for t in texts)
    assert not any(t.startswith("#") for t in texts)
    assert sum(1 for x in lines if x.bullet) >= 2
    with pytest.raises(BadInput, match="nickname"):
        render_letter("Dear $nickname", {})


def test_withheld_sentence_never_names_the_category() -> None:
    text = withheld_sentence(True, True)
    for word in ("substance", "mental", "HIV", "genetic"):
        assert word not in text
