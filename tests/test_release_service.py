"""Release services on a real encrypted store: selection, packet, sending, accounting."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageDraw

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import AccessDenied, BadInput
from clinicrecords.common.timeutil import today
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import accounting, service
from clinicrecords.release.service import AuthorizationInput
from tests.helpers import assert_qpdf_check

FULL = frozenset({"all"})


def page_png(label: str, mode: str = "1") -> bytes:
    im = Image.new("L", (425, 550), 255)
    draw = ImageDraw.Draw(im)
    draw.rectangle((20, 20, 405, 530), outline=0, width=3)
    draw.text((40, 40), label, fill=0)
    buf = io.BytesIO()
    (im.convert("1") if mode == "1" else im).save(buf, "PNG", dpi=(50, 50))
    return buf.getvalue()


def page_jpeg(label: str) -> bytes:
    im = Image.new("RGB", (425, 550), (250, 250, 240))
    ImageDraw.Draw(im).text((40, 40), label, fill=(0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=80, dpi=(50, 50))
    return buf.getvalue()


CHART = [  # doc_type, date, pages
    ("lab", date(2023, 1, 10), 2),
    ("mental_health", date(2023, 6, 1), 1),
    ("consult", date(2024, 5, 1), 1),
    ("substance_use", date(2024, 2, 1), 2),
    ("roi_authorization", date(2026, 1, 5), 1),
]


@pytest.fixture
def release(session_for: Callable[[str], Session]) -> Session:
    return session_for("release")


@pytest.fixture
def chart(admin_session: Session) -> dict:
    return make_chart(admin_session, "Testperson", "Alma")


def make_chart(admin_session: Session, family: str, given: str) -> dict:
    """A chart with every kind of page the release rules treat differently (CHART)."""
    patient = register_patient(admin_session, PatientInput(family, given, date(1961, 7, 14), "F"))
    docs = {}
    for doc_type, doc_date, n in CHART:
        pages = [
            PageInput(page_jpeg(f"{doc_type} {i}"), "image/jpeg")
            if doc_type == "consult"
            else PageInput(page_png(f"{doc_type} {i}"))
            for i in range(n)
        ]
        docs[doc_type] = add_document(admin_session, patient.id, doc_type, doc_date, pages)
    return {"patient": patient, "docs": docs}


def valid_auth(**kw) -> AuthorizationInput:
    base = {
        "signed_on": today() - timedelta(days=10),
        "expires_on": today() + timedelta(days=200),
        "elements": FULL,
    }
    return AuthorizationInput(**{**base, **kw})


def packet(session: Session, request_id: int, tmp_path: Path) -> pypdf.PdfReader:
    out = tmp_path / "packet.pdf"
    with open(out, "wb") as fh:
        service.build_packet(session, request_id, fh)
    assert_qpdf_check(out)
    return pypdf.PdfReader(out)


def test_clerk_cannot_create_or_send(session_for: Callable[[str], Session], chart: dict) -> None:
    clerk = session_for("clerk")
    with pytest.raises(AccessDenied):
        service.create_request(clerk, chart["patient"].id, "Dr Who", "care")
    with pytest.raises(AccessDenied):
        service.list_requests(clerk)
    req = service.create_request(
        session_for("release"), chart["patient"].id, "Dr Who", "care", requester_type="provider"
    )
    with pytest.raises(AccessDenied):
        service.send_request(clerk, req.id)


def test_due_date_uses_setting(release: Session, admin_session: Session, chart: dict) -> None:
    from clinicrecords.clinic.settings import set_setting

    req = service.create_request(
        release, chart["patient"].id, "X", "Y", received_on=date(2026, 1, 1)
    )
    assert req.due_on == date(2026, 1, 31)
    set_setting(admin_session, "release.due_days", 10)
    req = service.create_request(
        release, chart["patient"].id, "X", "Y", received_on=date(2026, 1, 1)
    )
    assert req.due_on == date(2026, 1, 11)
    old = service.create_request(
        release, chart["patient"].id, "X", "Y", received_on=today() - timedelta(days=40)
    )
    assert old.id in {r.id for r in service.due_list(release)}
    assert service.get_request(release, old.id).due_state == "overdue"


def test_packet_without_authorization_holds_sensitive_back(
    release: Session, chart: dict, tmp_path: Path
) -> None:
    req = service.create_request(
        release, chart["patient"].id, "Dr Who", "continuing care", requester_type="provider",
        requester_org="Springfield Clinic", include_sensitive=True, watermark="Springfield Clinic",
    )  # fmt: skip
    sel = service.get_selection(release, req.id)
    held = [s for s in sel if not s.included]
    assert {s.doc_type for s in held} == {"mental_health", "substance_use"}
    assert all("authorization" in s.reason for s in held)
    assert req.pages_out == 4 and req.fee_cents == 0  # treatment: no fee

    reader = packet(release, req.id, tmp_path)
    texts = [p.extract_text() for p in reader.pages]
    front = len(texts) - 4
    assert front >= 2  # cover letter + index
    for n, text in enumerate(texts, start=1):
        assert f"{req.code}-{n:04d}" in text
        assert "CONFIDENTIAL" in text
    letter = texts[0]
    assert "TESTPERSON, Alma" in letter and "1961-07-14" in letter
    assert "continuing care" in letter and "Dr Who" in letter and "Springfield Clinic" in letter
    assert "special protection" in letter  # withheld, in general terms
    assert "substance" not in letter.lower() and "mental" not in letter.lower()
    assert "42 CFR" not in " ".join(texts)
    index = texts[1]
    assert "Index of enclosed documents" in index and "Consult" in index and "Lab" in index
    # The page images went in untouched: the JPEG as DCT, the bilevel PNGs as 1-bit.
    filters = []
    for p in reader.pages[front:]:
        for obj in p["/Resources"]["/XObject"].values():
            img = obj.get_object()
            filters.append((img["/Filter"], img["/BitsPerComponent"]))
    assert ("/DCTDecode", 8) in filters and ("/FlateDecode", 1) in filters


def test_authorized_sensitive_goes_out_with_part2_notice(
    release: Session, chart: dict, tmp_path: Path
) -> None:
    req = service.create_request(
        release, chart["patient"].id, "Lee Lawyer", "claim", requester_type="attorney",
        include_sensitive=True,
        authorization=valid_auth(categories=frozenset({"substance_use", "mental_health"}),
                                 document_id=chart["docs"]["roi_authorization"]),
    )  # fmt: skip
    sel = service.get_selection(release, req.id)
    assert all(s.included for s in sel)
    assert service.send_blockers(release, req.id) == []
    texts = [p.extract_text() for p in packet(release, req.id, tmp_path).pages]
    joined = " ".join(texts)
    assert "42 CFR part 2" in joined and "redisclosure" in joined.lower()
    assert sum("42 CFR Part 2 record" in t for t in texts) == 2  # the two SUD pages


def test_authorization_document_must_be_in_this_chart(
    release: Session, admin_session: Session, chart: dict
) -> None:
    other = make_chart(admin_session, "Otherperson", "Bea")
    req = service.create_request(release, chart["patient"].id, "Lee Lawyer", "claim",
                                 requester_type="attorney")  # fmt: skip
    for document_id in (other["docs"]["roi_authorization"], 999_999):
        with pytest.raises(BadInput, match="in this patient's chart"):
            service.record_authorization(release, req.id, valid_auth(document_id=document_id))
    service.record_authorization(
        release, req.id, valid_auth(document_id=chart["docs"]["roi_authorization"])
    )
    recorded = service.get_authorization(release, req.id)
    assert recorded is not None and recorded.document_id == chart["docs"]["roi_authorization"]


def test_expired_authorization_blocks_sending(release: Session, chart: dict) -> None:
    req = service.create_request(
        release, chart["patient"].id, "Ins Co", "underwriting", requester_type="insurer",
        basis="authorization", doc_types=("lab",),
        authorization=valid_auth(expires_on=today() - timedelta(days=1)),
    )  # fmt: skip
    with pytest.raises(BadInput, match="expired"):
        service.send_request(release, req.id)
    service.record_authorization(release, req.id, valid_auth())
    service.send_request(release, req.id)
    assert service.get_request(release, req.id).status == "sent"


def test_missing_authorization_blocks_third_party(
    release: Session, chart: dict, tmp_path: Path
) -> None:
    req = service.create_request(release, chart["patient"].id, "Lee Lawyer", "claim",
                                 requester_type="attorney")  # fmt: skip
    with pytest.raises(BadInput, match="signed authorization"):
        service.send_request(release, req.id)
    # A packet printed for review meanwhile says on every page that it is a draft.
    assert all("DRAFT" in p.extract_text() for p in packet(release, req.id, tmp_path).pages)
    service.record_authorization(release, req.id, valid_auth(elements=frozenset({"purpose"})))
    with pytest.raises(BadInput, match="core elements"):
        service.send_request(release, req.id)


def test_minimum_necessary_by_hand_and_by_range(release: Session, chart: dict) -> None:
    req = service.create_request(
        release, chart["patient"].id, "Pat", "own copy", requester_type="patient",
        date_from=date(2023, 1, 1), date_to=date(2023, 12, 31),
    )  # fmt: skip
    sel = service.get_selection(release, req.id)
    assert {s.doc_type for s in sel} == {"lab", "mental_health"}
    first_lab = next(s for s in sel if s.doc_type == "lab")
    service.exclude_page(release, req.id, first_lab.page_id, "duplicate")
    after = {s.page_id: s for s in service.get_selection(release, req.id)}
    assert not after[first_lab.page_id].included
    assert after[first_lab.page_id].reason == "Left out by hand: duplicate."
    service.exclude_page(release, req.id, first_lab.page_id, None)
    assert {s.page_id: s for s in service.get_selection(release, req.id)}[
        first_lab.page_id
    ].included


def test_set_scope_narrows_and_widens_the_selection(release: Session, chart: dict) -> None:
    req = service.create_request(release, chart["patient"].id, "Pat", "own copy",
                                 requester_type="patient")  # fmt: skip
    sel = service.set_scope(
        release, req.id, date_from=date(2024, 1, 1), date_to=date(2024, 12, 31),
        doc_types=("consult", "lab"), include_sensitive=False,
    )  # fmt: skip
    assert {s.doc_type for s in sel} == {"consult"}
    stored = service.get_request(release, req.id)
    assert (stored.date_from, stored.date_to) == (date(2024, 1, 1), date(2024, 12, 31))
    assert stored.doc_types == ("consult", "lab") and not stored.include_sensitive
    sel = service.set_scope(
        release, req.id, date_from=None, date_to=None, doc_types=(), include_sensitive=True
    )
    assert {s.doc_type for s in sel} >= {"lab", "consult", "mental_health"}
    stored = service.get_request(release, req.id)
    assert stored.date_from is None and stored.doc_types == () and stored.include_sensitive
    with pytest.raises(BadInput):
        service.set_scope(
            release, req.id, date_from=date(2024, 2, 1), date_to=date(2024, 1, 1),
            doc_types=(), include_sensitive=False,
        )  # fmt: skip


def test_status_flow(release: Session, chart: dict) -> None:
    req = service.create_request(release, chart["patient"].id, "X", "Y", requester_type="patient")
    with pytest.raises(BadInput, match="reason"):
        service.set_status(release, req.id, "denied")
    service.set_status(release, req.id, "denied", "not signed by the patient")
    got = service.get_request(release, req.id)
    assert got.status == "denied" and got.status_reason == "not signed by the patient"
    with pytest.raises(BadInput):
        service.send_request(release, req.id)


def test_accounting_includes_and_excludes_per_rule(
    release: Session, chart: dict, tmp_path: Path
) -> None:
    pid = chart["patient"].id
    own = service.create_request(release, pid, "Alma", "own copy", requester_type="patient")
    court = service.create_request(
        release, pid, "Clerk of Court", "court order 26-1", requester_type="agency",
        basis="judicial", requester_address="1 Court St",
    )  # fmt: skip
    authz = service.create_request(release, pid, "Lee", "claim", requester_type="attorney",
                                   authorization=valid_auth())  # fmt: skip
    for r in (own, court, authz):
        service.send_request(release, r.id)
    # An old disclosure, beyond six years, is out of the period.
    old = service.create_request(release, pid, "Old", "old", requester_type="agency",
                                 basis="public_health")  # fmt: skip
    service.send_request(release, old.id, on=today() - timedelta(days=6 * 366 + 2))

    report = accounting.accounting(release, pid)
    data = report.to_json()
    by_code = {d["request_id"]: d for d in data["disclosures"]}
    assert set(by_code) == {own.code, court.code, authz.code}
    assert by_code[court.code]["in_accounting"] is True
    assert by_code[own.code]["in_accounting"] is False
    assert by_code[authz.code]["in_accounting"] is False
    assert data["accounting_count"] == 1
    assert [d.request_code for d in report.shown] == [court.code]
    assert len(accounting.accounting(release, pid, include_all=True).shown) == 3
    assert by_code[court.code]["pages"] == 4 and by_code[court.code]["recipient"]

    pdf = tmp_path / "acct.pdf"
    accounting.write_accounting_pdf(report, pdf, "Test Clinic")
    assert_qpdf_check(pdf)
    text = pypdf.PdfReader(pdf).pages[0].extract_text()
    assert "court order 26-1" in text and "Lee" not in text


@pytest.mark.slow
def test_cli_create_pdf_send_accounting(
    cli_env: dict,
    store_dir: Path,
    chart: dict,
    store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from clinicrecords.cli import main

    mrn = chart["patient"].mrn
    store.close()  # the command line opens the store itself

    def run(*args: str) -> dict:
        capsys.readouterr()
        code = main(["--data-dir", str(store_dir), "release", *args, "--json"])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return json.loads(captured.out)

    made = run("create", "--patient", mrn, "--requester", "Dr Who", "--purpose", "care",
               "--requester-type", "provider", "--include-sensitive")  # fmt: skip
    assert made["pages"] == 4 and len(made["held_back"]) == 3
    assert all(h["reason"] for h in made["held_back"])
    out = tmp_path / "p.pdf"
    pdf = run("pdf", made["request_id"], "--out", str(out))
    assert_qpdf_check(out)
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == pdf["pages"]
    assert f"{made['request_id']}-0001" in reader.pages[0].extract_text()
    run("send", made["request_id"])
    listed = run("list")
    assert listed["requests"][0]["status"] == "sent"
    acct = run("accounting", "--patient", mrn, "--all")
    assert acct["disclosures"][0]["request_id"] == made["request_id"]
    assert acct["disclosures"][0]["in_accounting"] is False

    # A third party without an authorization: refused with a sentence, exit status non-zero.
    made = run("create", "--patient", mrn, "--requester", "Lee", "--purpose", "claim")
    assert made["blockers"]
    code = main(["--data-dir", str(store_dir), "release", "send", made["request_id"]])
    assert code != 0 and "authorization" in capsys.readouterr().err


def test_accounting_follows_a_merge(release: Session, admin_session: Session, chart: dict) -> None:
    """A disclosure made from a duplicate chart stays in the patient's accounting once the
    duplicate is merged into the surviving chart (the disclosure log itself never changes)."""
    from clinicrecords.registry.merge import merge_charts

    dup = register_patient(
        admin_session, PatientInput(family="Duplicate", given="Alma", dob=date(1950, 1, 1))
    )
    add_document(admin_session, dup.id, "lab", date(2024, 1, 1), [PageInput(page_png("dup"))])
    court = service.create_request(
        release, dup.id, "Clerk of Court", "court order 26-7", requester_type="agency",
        basis="judicial",
    )  # fmt: skip
    service.send_request(release, court.id)
    merge_charts(admin_session, chart["patient"].id, dup.id, "same person, registered twice")
    codes = [
        d["request_id"]
        for d in accounting.accounting(release, chart["patient"].id).to_json()["disclosures"]
    ]
    assert court.code in codes
