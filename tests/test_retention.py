"""Retention and disposal: the schedule (adults, minors, the age of majority), legal holds
that stop disposal, destruction of page bytes and index entries with a tombstone and a
certificate read back from its PDF, and a store that still verifies afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pypdf
import pytest

from clinicrecords.admin.backup import verify_store
from clinicrecords.clinic.settings import set_setting
from clinicrecords.common.errors import AccessDenied, BadInput
from clinicrecords.records import retention
from clinicrecords.records.charts import open_chart, search_chart_text
from clinicrecords.records.documents import PageInput, add_document, read_page
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.helpers import assert_qpdf_check, png_page

ON = date(2026, 6, 1)


def _chart(session, family: str, dob: date):
    return register_patient(session, PatientInput(family=family, given="Test", dob=dob))


def _doc(session, pid: int, doc_type: str, day: date | None, text: str) -> int:
    return add_document(session, pid, doc_type, day, [PageInput(png_page(text), ocr_text=text)])


def test_the_schedule_keeps_minors_until_after_the_age_of_majority() -> None:
    born = date(2010, 3, 1)
    # a visit at 5: 10 years after service is 2025, but 3 years after turning 18 is 2031
    assert retention.keep_until(date(2015, 5, 1), born, 10, 3, 18) == date(2031, 3, 1)
    # an adult's visit: only the years after the date of service count
    assert retention.keep_until(date(2015, 5, 1), date(1970, 1, 1), 10, 3, 18) == date(2025, 5, 1)
    # a state with majority at 21 keeps the child's record three years longer
    assert retention.keep_until(date(2015, 5, 1), born, 10, 3, 21) == date(2034, 3, 1)
    assert retention.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_due_list_follows_policy_and_hold_stops_disposal(admin_session, session_for, tmp_path):
    adult = _chart(admin_session, "Oldfile", date(1960, 1, 1))
    child = _chart(admin_session, "Younger", date(2010, 3, 1))
    old_lab = _doc(admin_session, adult.id, "lab", date(2012, 4, 2), "potassium")
    recent = _doc(admin_session, adult.id, "lab", date(2020, 4, 2), "sodium")
    kid = _doc(admin_session, child.id, "lab", date(2012, 4, 2), "measles")
    due = {d.document_id for d in retention.due(admin_session, ON).documents}
    assert due == {old_lab}  # the minor's 2012 visit waits until 2031
    retention.set_policy(admin_session, "lab", 5, None)
    due = {d.document_id for d in retention.due(admin_session, ON).documents}
    assert due == {old_lab, recent}
    with pytest.raises(AccessDenied):
        retention.due(session_for("clerk"), ON)
    with pytest.raises(AccessDenied):
        retention.place_hold(session_for("clerk"), adult.id, "Smith v. Clinic")

    hold = retention.place_hold(session_for("release"), adult.id, "Smith v. Clinic")
    assert hold.reason == "Smith v. Clinic" and hold.placed_by == "Rae Release"
    listed = retention.due(admin_session, ON)
    assert listed.documents == () and listed.held == 2
    with pytest.raises(BadInput):  # nothing may go while the chart is held
        retention.dispose(admin_session, tmp_path / "cert.pdf", ON)
    assert not (tmp_path / "cert.pdf").exists()
    assert read_page(admin_session, open_chart(admin_session, adult.id).documents[0].pages[0].id)

    assert retention.release_hold(admin_session, adult.id, "case settled") == 1
    assert {d.document_id for d in retention.due(admin_session, ON).documents} == {
        old_lab, recent,
    }  # fmt: skip
    assert kid not in {d.document_id for d in retention.due(admin_session, ON).documents}


def test_disposal_destroys_bytes_and_words_keeps_tombstone_and_verifies(
    admin_session, store, store_dir, tmp_path, cli_env, capsys
):
    p = _chart(admin_session, "Oldfile", date(1960, 1, 1))
    gone = _doc(admin_session, p.id, "lab", date(2012, 4, 2), "potassium xylophone")
    kept = _doc(admin_session, p.id, "consult", date(2024, 4, 2), "cardiology zeppelin")
    view = open_chart(admin_session, p.id)
    page = next(d for d in view.documents if d.id == gone).pages[0]
    with admin_session.db.read() as conn:
        blob = conn.execute("SELECT blob_id FROM pages WHERE id = ?", (page.id,)).fetchone()[0]
    assert store.pages.path_for(blob).exists()
    assert search_chart_text(admin_session, p.id, "xylophone")

    cert = tmp_path / "certificate.pdf"
    wal = Path(f"{store.db.path}-wal")
    assert wal.stat().st_size > 0
    result = retention.dispose(admin_session, cert, ON)
    assert wal.stat().st_size == 0  # older page versions holding the text left the journal
    assert [d.document_id for d in result.documents] == [gone]
    assert result.pages == 1 and result.objects_removed == 1

    assert not store.pages.path_for(blob).exists()  # the page bytes are gone
    assert search_chart_text(admin_session, p.id, "xylophone") == []  # and its words
    assert search_chart_text(admin_session, p.id, "zeppelin")  # the rest is untouched
    with admin_session.db.read() as conn:
        row = conn.execute(
            "SELECT ocr_text, ocr_words, blob_id FROM pages WHERE id = ?", (page.id,)
        ).fetchone()
        assert tuple(row) == (None, None, "")
        hits = conn.execute(
            "SELECT count(*) FROM page_text WHERE page_text MATCH 'xylophone'"
        ).fetchone()[0]
        assert hits == 0
        stone = dict(
            conn.execute(
                "SELECT * FROM document_disposals WHERE document_id = ?", (gone,)
            ).fetchone()
        )
        audit = [
            r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE '%destroy%'"
                                       " OR action = 'retention.dispose'")
        ]  # fmt: skip
    assert stone["doc_type"] == "lab" and stone["date_from"] == "2012-04-02"
    assert "10 years" in stone["policy"] and stone["certificate_id"] == result.certificate_id
    assert audit == ["document.destroy", "retention.dispose"]

    assert_qpdf_check(cert)
    text = "\n".join(pg.extract_text() for pg in pypdf.PdfReader(str(cert)).pages)
    for expected in (
        "Certificate of Destruction",
        str(gone),
        p.mrn,
        "2012-04-02",
        "lab: 10 years",
        "Method of destruction",
        "Ada Admin",
        "Witness",
    ):
        assert expected in text, expected  # fmt: skip
    assert "Oldfile" not in text  # documents by number and MRN, never a name

    view = open_chart(admin_session, p.id)
    destroyed = next(d for d in view.documents if d.id == gone)
    assert destroyed.pages == () and "Destroyed on" in destroyed.destroyed
    assert "lab: 10 years" in destroyed.destroyed
    assert next(d for d in view.documents if d.id == kept).destroyed == ""

    report = verify_store(store)
    assert report.ok, report.problems
    assert not any("belong to no page" in n for n in report.notes)
    from clinicrecords.cli import main

    assert main(["--data-dir", str(store_dir), "chart", p.mrn, "--json"]) == 0
    docs = {d["id"]: d for d in json.loads(capsys.readouterr().out)["documents"]}
    assert docs[gone]["destroyed"].startswith("Destroyed on") and "destroyed" not in docs[kept]
    with pytest.raises(BadInput):  # a second run finds nothing left to destroy
        retention.dispose(admin_session, tmp_path / "again.pdf", ON)
    from clinicrecords.records import amendments

    with pytest.raises(BadInput, match="destroyed"):
        amendments.request_amendment(admin_session, p.id, "fix it", gone)


def test_a_page_shared_with_a_kept_document_keeps_its_bytes(admin_session, store, tmp_path):
    """Identical scans share one page-store object: destroying one must not break the other."""
    p = _chart(admin_session, "Oldfile", date(1960, 1, 1))
    _doc(admin_session, p.id, "lab", date(2012, 4, 2), "same scan")
    kept = _doc(admin_session, p.id, "lab", date(2025, 4, 2), "same scan")
    result = retention.dispose(admin_session, tmp_path / "c.pdf", ON)
    assert result.objects_removed == 0
    page = open_chart(admin_session, p.id)
    assert read_page(admin_session, next(d for d in page.documents if d.id == kept).pages[0].id)
    assert verify_store(store).ok


def test_age_of_majority_setting_moves_a_minors_record_into_the_due_list(admin_session):
    child = _chart(admin_session, "Younger", date(2010, 3, 1))
    doc = _doc(admin_session, child.id, "lab", date(2014, 4, 2), "rubella")
    assert doc not in {d.document_id for d in retention.due(admin_session, ON).documents}
    set_setting(admin_session, "retention.age_of_majority", 14)  # 2024 + 3 = 2027: still kept
    assert doc not in {d.document_id for d in retention.due(admin_session, ON).documents}
    retention.set_policy(admin_session, "lab", 10, 0)
    assert doc in {d.document_id for d in retention.due(admin_session, ON).documents}


# --- the command line ------------------------------------------------------------------------


def _cli(store_dir, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_PASSWORD=PASSWORD,
        CLINICRECORDS_USER=USERS["admin"],
    )
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_cli_policy_due_hold_dispose_verify_and_amend(
    admin_session, store, store_dir, tmp_path, cli_env, capsys
):
    """The JSON commands scripts rely on run as real subprocesses; the others in-process
    (``cli.main``, the same code) to keep the test short."""
    from clinicrecords.cli import main

    def cli(*args: str) -> int:
        return main(["--data-dir", str(store_dir), *args])

    p = _chart(admin_session, "Oldfile", date(1960, 1, 1))
    old = _doc(admin_session, p.id, "lab", date(2012, 4, 2), "potassium")
    _doc(admin_session, p.id, "consult", date(2019, 4, 2), "cardiology")

    assert cli("retention", "policy", "set", "consult", "--years", "5", "--minor-years", "2") == 0
    r = _cli(store_dir, "retention", "due", "--json")
    assert r.returncode == 0, r.stderr
    due = json.loads(r.stdout)["documents"]
    assert {d["type"] for d in due} == {"lab", "consult"}
    first = next(d for d in due if d["document_id"] == old)
    assert first["mrn"] == p.mrn and first["date"] == "2012-04-02"

    assert cli("retention", "hold", p.mrn, "--reason", "Doe v. Clinic") == 0
    capsys.readouterr()
    assert cli("retention", "dispose", "--certificate", str(tmp_path / "c.pdf")) != 0
    err = capsys.readouterr().err
    assert "No document is due" in err and p.mrn not in err
    assert not (tmp_path / "c.pdf").exists()
    assert cli("retention", "release-hold", p.mrn) == 0

    r = _cli(store_dir, "retention", "dispose", "--certificate", str(tmp_path / "c.pdf"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert len(out["documents"]) == 2 and out["objects_removed"] == 2
    text = pypdf.PdfReader(str(tmp_path / "c.pdf")).pages[0].extract_text()
    assert "Certificate of Destruction" in text and "consult: 5 years" in text

    r = _cli(store_dir, "verify", "--json")
    assert r.returncode == 0, r.stdout + r.stderr

    r = _cli(store_dir, "amend", "request", p.mrn, "--text", "wrong date", "--json")
    assert r.returncode == 0, r.stderr
    aid = json.loads(r.stdout)["amendment_id"]
    letter = tmp_path / "denial.pdf"
    assert cli("amend", "decide", str(aid), "deny", "--reason", "accurate", "--letter",
               str(letter)) == 0  # fmt: skip
    assert "accurate" in pypdf.PdfReader(str(letter)).pages[0].extract_text()


def test_destroyed_pages_leave_the_backup_folder_after_keep_more_backups(admin_session, tmp_path):
    """The README's bound: a destroyed page's file stays in a backup folder while a kept
    generation names it, and is gone ``keep`` backups after the disposal."""
    from clinicrecords.admin.backup import backup

    p = _chart(admin_session, "Oldfile", date(1960, 1, 1))
    _doc(admin_session, p.id, "lab", date(2012, 4, 2), "potassium")
    _doc(admin_session, p.id, "consult", date(2025, 4, 2), "kept")
    with admin_session.db.read() as conn:
        blob = conn.execute(
            "SELECT p.blob_id FROM pages p JOIN documents d ON d.id = p.document_id "
            "WHERE d.doc_type = 'lab'"
        ).fetchone()[0]
    dest = tmp_path / "backups"
    backup(admin_session, dest, keep=2)
    in_backup = lambda: any(f.name == blob for f in dest.rglob(blob))  # noqa: E731
    assert in_backup()
    retention.dispose(admin_session, tmp_path / "c.pdf", ON)
    backup(admin_session, dest, keep=2)
    assert in_backup()  # the older generation still names it
    backup(admin_session, dest, keep=2)
    assert not in_backup()  # two backups later (keep=2) it is gone from the folder
