"""The demo clinic that the README's first command opens: synthetic, complete, usable."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinicrecords.clinic import auth
from clinicrecords.clinic.store import Store
from clinicrecords.registry import lookup
from clinicrecords.release import service as release_service
from clinicrecords.synthetic import demo


@pytest.mark.slow
def test_demo_clinic_has_patients_documents_sensitive_records_and_requests(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("CLINICRECORDS_PASSPHRASE", raising=False)
    monkeypatch.delenv("CLINICRECORDS_PASSWORD", raising=False)
    result = demo.build_demo(
        tmp_path / "demo", None, n_patients=40, charts_with_documents=6, seed=3
    )
    assert result["created"] and result["documents"] >= 12
    store = Store.open(tmp_path / "demo", demo.DEMO_PASSPHRASE)
    try:
        for name, role, _ in demo.DEMO_USERS:
            session = auth.login(store, name, demo.DEMO_PASSWORD)
            assert session.user.role == role
        manager = auth.login(store, "manager", demo.DEMO_PASSWORD)
        conn = manager.db.connection()
        assert conn.execute("SELECT count(*) FROM patients").fetchone()[0] == 40
        sensitive = conn.execute(
            "SELECT count(*) FROM documents d JOIN doc_types t ON t.code = d.doc_type WHERE t.sensitive = 1"
        ).fetchone()[0]
        assert sensitive >= 1
        per_chart = conn.execute(
            "SELECT min(n) FROM (SELECT count(*) AS n FROM documents GROUP BY patient_id)"
        ).fetchone()[0]
        assert per_chart >= 2
        assert len(release_service.list_requests(manager)) >= 3
        some = conn.execute("SELECT family, dob FROM patients LIMIT 1").fetchone()
        hits = lookup.search_patients(manager, f"{some[0]} {some[1]}", 3)
        assert hits and hits[0].patient.family == some[0]
    finally:
        store.close()
