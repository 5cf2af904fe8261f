"""The demo clinic's release requests, and how the release screen shows them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from clinicrecords.clinic.session import Session
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import accounting, service
from clinicrecords.release.demo_seed import seed_demo_requests
from clinicrecords.ui.bus import ChangeBus
from clinicrecords.ui.release.view import ReleasePage
from tests.test_ui_release import WAIT, chart, drain  # noqa: F401 - `chart` is a fixture


def test_demo_requests_cover_every_state(
    qtbot,
    session_for: Callable[[str], Session],
    admin_session: Session,
    chart,  # noqa: F811
) -> None:
    empty = register_patient(admin_session, PatientInput("Nofiles", "Nia", date(1990, 1, 2)))
    manager = session_for("release")
    codes = seed_demo_requests(manager, [chart["patient"].id, empty.id])
    reqs = {r.code: r for r in service.list_requests(manager)}
    assert set(codes) == set(reqs) and len(codes) >= 8
    statuses = {r.status for r in reqs.values()}
    assert statuses == {"new", "in_progress", "sent", "denied"}
    states = {r.due_state for r in reqs.values()}
    assert {"overdue", "due_soon"} <= states
    held = [
        s
        for r in reqs.values()
        for s in service.get_selection(manager, r.id)
        if s.reason_code.startswith("sensitive")
    ]
    assert any("does not name this category" in s.reason for s in held)
    part2 = [
        r for r in reqs.values()
        if (a := service.get_authorization(manager, r.id)) and "substance_use" in a.categories
    ]  # fmt: skip
    assert part2 and any(
        s.doc_type == "substance_use" and s.included
        for s in service.get_selection(manager, part2[0].id)
    )
    blocked = [
        r for r in reqs.values() if "expired" in " ".join(service.send_blockers(manager, r.id))
    ]
    assert blocked
    report = accounting.accounting(manager, chart["patient"].id)
    assert [d.basis for d in report.shown] == ["judicial"]

    page = ReleasePage(manager, ChangeBus())
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.log_model.rowCount() == len(codes), timeout=WAIT)
    assert page.due_model.rowCount() >= 2 and "1 overdue" in page.due_label.text()
    page.focus_default()
    qtbot.waitUntil(lambda: page.detail is not None, timeout=WAIT)
    drain()
    page.close()
