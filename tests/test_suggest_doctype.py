"""Document-type suggestions: the default taxonomy, keyword rules and the learning classifier."""

from __future__ import annotations

import json
import random
from datetime import date

from clinicrecords.scan.doctype import DocTypeClassifier, default_taxonomy
from clinicrecords.scan.suggest import ocr_result_from_text, suggest
from clinicrecords.search.index import PatientIndex

CODES = [
    "lab",
    "imaging",
    "consult",
    "referral",
    "discharge",
    "progress_note",
    "immunization",
    "medication",
    "insurance",
    "consent",
    "roi_authorization",
    "intake",
    "correspondence",
    "billing",
    "advance_directive",
    "mental_health",
    "substance_use",
    "hiv_sti",
    "genetic",
    "other",
]


def test_default_taxonomy_matches_design() -> None:
    tax = default_taxonomy()
    assert [t.code for t in tax] == CODES
    sensitive = {t.code for t in tax if t.sensitive}
    assert sensitive == {"mental_health", "substance_use", "hiv_sti", "genetic"}
    assert all(t.label for t in tax)
    assert all(t.keywords for t in tax if t.code != "other")


def test_keywords_alone_without_training() -> None:
    c = DocTypeClassifier()
    cases = {
        "LABORATORY REPORT\nComplete blood count\nHemoglobin 13.1 g/dL reference range": "lab",
        "RADIOLOGY REPORT\nCT HEAD WITHOUT CONTRAST\nFindings: normal.\nImpression: no acute": "imaging",
        "DISCHARGE SUMMARY\nAdmission date 1/2/24\nHospital course: uneventful": "discharge",
        "AUTHORIZATION FOR RELEASE OF INFORMATION\nI authorize the disclosure": "roi_authorization",
        "Patient Statement\nAmount due $40.00\nPay this amount": "billing",
        "Psychiatric evaluation\nMood: low. PHQ-9 score 14. Psychotherapy weekly.": "mental_health",
        "Some words that mean nothing in particular": "other",
    }
    for text, code in cases.items():
        got = c.predict(text)
        assert got[0][0] == code, (text, got[:3])
        assert abs(sum(p for _, p in got) - 1.0) < 1e-6


def _referral_form(rng: random.Random) -> str:
    """This clinic's outgoing referral form: full of consult words, but it is a referral."""
    spec = rng.choice(["CARDIOLOGY", "DERMATOLOGY", "NEUROLOGY", "ORTHOPEDIC"])
    reason = rng.choice(["chest pain", "rash", "headaches", "knee pain", "palpitations"])
    return (
        f"{spec} CONSULTATION REQUEST\nMaple Street Family Practice outgoing form MS-12\n"
        f"Reason for consultation: {reason}\nConsultation requested by primary care\n"
        f"Specialist office to schedule the patient; form MS-12 tracking slip attached\n"
        f"Pertinent history enclosed. Tracking slip to be returned to the front desk.\n"
    )


def _consult_note(rng: random.Random) -> str:
    spec = rng.choice(["Cardiology", "Dermatology", "Neurology", "Endocrinology"])
    return (
        f"{spec} Consultation Note\nThank you for referring this patient.\n"
        f"History of present illness: {rng.choice(['two weeks', 'a month', 'years'])} of symptoms.\n"
        "Examination performed today. Assessment and plan: start treatment, recheck labs.\n"
        "Recommendations discussed with the patient.\n"
    )


def test_learning_fixes_a_confusable_type() -> None:
    rng = random.Random(4)
    c = DocTypeClassifier()
    probe = _referral_form(random.Random(99))
    before = c.predict(probe)
    assert before[0][0] == "consult"  # keywords alone are fooled by this clinic's form
    for _ in range(8):
        c.learn(_referral_form(rng), "referral")
        c.learn(_consult_note(rng), "consult")
        c.learn("LABORATORY REPORT\nGlucose 99 mg/dL\nreference range 70-99", "lab")
    after = dict(c.predict(probe))
    assert max(after, key=after.get) == "referral"
    # ...without breaking the real thing.
    assert c.predict(_consult_note(random.Random(98)))[0][0] == "consult"


def test_few_confirmations_move_little_many_move_more() -> None:
    rng = random.Random(5)
    probe = _referral_form(random.Random(77))
    c = DocTypeClassifier()
    c.learn(_consult_note(rng), "consult")
    c.learn(_referral_form(rng), "referral")
    one = dict(c.predict(probe))["referral"]
    for _ in range(10):
        c.learn(_consult_note(rng), "consult")
        c.learn(_referral_form(rng), "referral")
    many = dict(c.predict(probe))["referral"]
    assert many > one


def test_state_round_trip_and_custom_types() -> None:
    c = DocTypeClassifier()
    for i in range(5):
        c.learn(f"WORKERS COMPENSATION FORM claim {i}\nemployer injury report", "workers_comp")
        c.learn(f"LABORATORY REPORT {i}\nGlucose reference range", "lab")
    blob = c.to_json()
    assert json.loads(blob)["docs"] == {"workers_comp": 5, "lab": 5}
    d = DocTypeClassifier.from_json(blob)
    text = "WORKERS COMPENSATION FORM\nemployer injury report"
    assert d.predict(text) == c.predict(text)
    assert d.predict(text)[0][0] == "workers_comp"
    assert DocTypeClassifier.from_json('{"version": 999}').trained_documents == 0
    assert DocTypeClassifier.from_json("").trained_documents == 0


def test_suggest_reports_type_with_keyword_evidence() -> None:
    ocr = ocr_result_from_text(
        "DISCHARGE SUMMARY\nHospital course: uneventful\nDischarge date 1/2/24"
    )
    s = suggest(ocr, PatientIndex([]), today=date(2025, 1, 1))
    assert s.doc_type[0].value == "discharge"
    assert 0 < s.doc_type[0].score <= 1
    ev = s.doc_type[0].evidence
    assert ev and all(e.kind == "keyword" and e.boxes for e in ev)
    assert any("DISCHARGE SUMMARY" in e.text for e in ev)
