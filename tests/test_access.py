"""Roles: each service checks its permission; emergency access is loud."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords import auth, backup
from clinicrecords.documents import PageInput, add_document, read_page
from clinicrecords.errors import AccessDenied
from clinicrecords.patient_import import import_patients_csv
from clinicrecords.patients import PatientInput, register_patient
from tests.helpers import png_page


def test_clerk_cannot_administer(session_for, tmp_path) -> None:
    clerk = session_for("clerk")
    with pytest.raises(AccessDenied):
        auth.add_user(clerk, "mallory", "admin", "password123")
    with pytest.raises(AccessDenied):
        backup.backup(clerk, tmp_path / "b")
    with pytest.raises(AccessDenied):
        backup.verify(clerk)
    with pytest.raises(AccessDenied):
        import_patients_csv(clerk, tmp_path / "x.csv")
    denied = (
        clerk.db.connection()
        .execute("SELECT count(*) FROM audit_log WHERE action = 'access.denied'")
        .fetchone()[0]
    )
    assert denied == 4


def test_sensitive_page_needs_role_or_emergency_access(session_for) -> None:
    admin = session_for("admin")
    p = register_patient(admin, PatientInput(family="Vale", given="Iris", dob=date(1985, 4, 4)))
    doc = add_document(
        admin, p.id, "mental_health", date(2026, 2, 2), [PageInput(png_page("note"))]
    )
    page_id = (
        admin.db.connection()
        .execute("SELECT id FROM pages WHERE document_id = ?", (doc,))
        .fetchone()[0]
    )
    clerk = session_for("clerk")
    with pytest.raises(AccessDenied):
        read_page(clerk, page_id)
    clerk.break_glass("Patient in crisis at the front desk, clinician asked for the note")
    assert read_page(clerk, page_id)
    rows = (
        clerk.db.connection()
        .execute(
            "SELECT action, detail FROM audit_log WHERE user_id = ? ORDER BY id", (clerk.user.id,)
        )
        .fetchall()
    )
    actions = [r[0] for r in rows]
    assert "emergency.start" in actions and "emergency.use" in actions
    assert any('"emergency":true' in r[1] for r in rows if r[0] == "page.view")
    assert session_for("release") and read_page(session_for("release"), page_id)
