"""Amendments (45 CFR 164.526): the 60-day clock and its one 30-day extension, acceptance
naming whom to tell (the document's past recipients among them), denial with a letter read
back from its PDF, and the patient's statement of disagreement travelling with every later
release of the document (read back from the packet)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pypdf
import pytest

from clinicrecords.common.errors import AccessDenied, BadInput
from clinicrecords.common.timeutil import today
from clinicrecords.records import amendments
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import service as release_service
from tests.helpers import assert_qpdf_check, png_page


def _chart(session):
    p = register_patient(session, PatientInput(family="Quill", given="Ada", dob=date(1970, 2, 2)))
    lab = add_document(session, p.id, "lab", date(2025, 1, 5), [PageInput(png_page("lab"))])
    note = add_document(
        session, p.id, "progress_note", date(2025, 2, 5), [PageInput(png_page("note"))]
    )
    form = add_document(
        session, p.id, "roi_authorization", date(2025, 1, 1), [PageInput(png_page("form"))]
    )
    return p, lab, note, form


def _request(session, p, form, doc_types=("lab", "progress_note")):
    return release_service.create_request(
        session, p.id, "Lee Lawyer", "claim", requester_type="attorney",
        doc_types=doc_types,
        authorization=release_service.AuthorizationInput(
            signed_on=today() - timedelta(days=3), expires_on=today() + timedelta(days=100),
            elements=frozenset({"all"}), document_id=form,
        ),
    )  # fmt: skip


def _pdf_text(data: bytes) -> str:
    return "\n".join(pg.extract_text() for pg in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_clock_is_60_days_with_one_30_day_extension_and_a_notice(admin_session, tmp_path):
    p, lab, _note, _form = _chart(admin_session)
    received = today() - timedelta(days=10)
    a = amendments.request_amendment(admin_session, p.id, "HbA1c was 6.1, not 7.1", lab, received)
    assert a.due_on == received + timedelta(days=60) and a.status == "pending" and a.can_extend
    notice = tmp_path / "notice.pdf"
    a = amendments.extend(admin_session, a.id, "the lab must confirm the value", notice)
    assert a.due_on == received + timedelta(days=90) and a.extended_on == today()
    text = _pdf_text(notice.read_bytes())
    assert "the lab must confirm the value" in text and a.due_on.isoformat() in text
    with pytest.raises(BadInput):  # the rule allows one extension
        amendments.extend(admin_session, a.id, "still waiting")
    late = amendments.request_amendment(
        admin_session, p.id, "wrong allergy", None, today() - timedelta(days=61)
    )
    assert late.overdue and not late.can_extend
    with pytest.raises(BadInput):  # too late to extend: the 60 days have run
        amendments.extend(admin_session, late.id, "busy")
    listed = amendments.list_amendments(admin_session, p.id, open_only=True)
    assert [x.id for x in listed] == [late.id, a.id]  # soonest due first


def test_accept_appends_and_names_past_recipients(admin_session, session_for):
    p, lab, _note, form = _chart(admin_session)
    release = session_for("release")
    req = _request(release, p, form, ("lab",))
    release_service.send_request(release, req.id)
    clerk = session_for("clerk")
    a = amendments.request_amendment(clerk, p.id, "Add: sample was haemolysed", lab)
    with pytest.raises(AccessDenied):
        amendments.decide(clerk, a.id, "accept", "agreed")
    d = amendments.decide(release, a.id, "accept", "lab confirmed", ("Dr. Hale, cardiology",))
    assert d.amendment.status == "accepted" and d.amendment.decided_by == "Rae Release"
    names = [(r.name, r.request) for r in d.recipients]
    assert names == [("Dr. Hale, cardiology", ""), ("Lee Lawyer", req.code)]
    with pytest.raises(BadInput):
        amendments.decide(release, a.id, "deny", "changed my mind")
    # the accepted amendment goes out after the document in the next release
    req2 = _request(release, p, form, ("lab",))
    out = io.BytesIO()
    release_service.build_packet(release, req2.id, out)
    text = _pdf_text(out.getvalue())
    assert "Amendment" in text and "sample was haemolysed" in text


def test_denial_letter_and_disagreement_travel_with_later_releases(
    admin_session, session_for, tmp_path
):
    p, lab, note, form = _chart(admin_session)
    release = session_for("release")
    a = amendments.request_amendment(admin_session, p.id, "I never smoked", note)
    with pytest.raises(BadInput):  # no statement of disagreement before a denial
        amendments.file_disagreement(admin_session, a.id, "I disagree")
    letter = tmp_path / "denial.pdf"
    d = amendments.decide(
        release, a.id, "deny", "the note is accurate as recorded by the clinician", letter=letter
    )
    assert d.letter == letter and d.recipients == ()
    assert_qpdf_check(letter)
    text = " ".join(_pdf_text(letter.read_bytes()).split())  # line breaks depend on the font
    for expected in (
        "I never smoked",
        "accurate as recorded",
        "statement disagreeing",
        "Office for Civil Rights",
        "Ada Quill",
        "Rae Release",
    ):
        assert expected in text, expected  # fmt: skip

    # before the statement: nothing travels
    req = _request(release, p, form)
    out = io.BytesIO()
    release_service.build_packet(release, req.id, out)
    before = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    assert "disagreement" not in _pdf_text(out.getvalue()).lower()

    amendments.file_disagreement(admin_session, a.id, "I quit in 1990 and have not smoked since.")
    assert amendments.carrying_documents(release, [lab, note]) == {
        note: "statement of disagreement"
    }
    req = _request(release, p, form)
    out = io.BytesIO()
    result = release_service.build_packet(release, req.id, out)
    (tmp_path / "packet.pdf").write_bytes(out.getvalue())
    assert_qpdf_check(tmp_path / "packet.pdf")
    reader = pypdf.PdfReader(io.BytesIO(out.getvalue()))
    assert len(reader.pages) == len(before.pages) + 1 == result.pages
    texts = [pg.extract_text() for pg in reader.pages]
    stmt = next(i for i, t in enumerate(texts) if "Statement of disagreement" in t)
    assert "I quit in 1990" in texts[stmt] and "accurate as recorded" in texts[stmt]
    assert f"{req.code}-{stmt + 1:04d}" in texts[stmt]  # Bates-numbered like every page
    # it follows the progress note's page (and the lab page, earlier in the packet, has none)
    index = next(t for t in texts if "Index of enclosed documents" in t)
    row = next(line for line in index.splitlines() if "amendment/statement" in line)
    assert "2025-02-05" in row  # the progress note's row, whose range ends with the statement
    assert row.endswith(f"to {req.code}-{stmt + 1:04d}")
