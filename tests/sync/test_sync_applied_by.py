"""A change applied from another PC names, in the receiving PC's own audit row
(``sync.applied``), the account that made it as well as the PC: for charts (registration, a
field, previous names), documents (filing, a correction), accounts and settings. The account
travels inside the sealed event: the server's copy of the log never shows it."""

from __future__ import annotations

import json
from datetime import date

from clinicrecords.clinic import auth
from clinicrecords.clinic.settings import set_setting
from clinicrecords.common.domain import PreviousName
from clinicrecords.records import corrections as corr
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry.patients import change_fields
from clinicrecords.registry.previous_names import set_previous_names
from clinicrecords.sync import address, client
from tests.conftest import PASSWORD
from tests.helpers import noise_page

ACTOR = "nurse.kim"


def _applied(ws) -> list[dict]:
    conn = ws.store.db.connection()
    rows = conn.execute(
        "SELECT username, detail FROM audit_log WHERE action = 'sync.applied' ORDER BY id"
    )
    return [json.loads(detail) | {"row_user": user} for user, detail in rows]


def test_applied_rows_name_the_account_that_made_the_change(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    auth.add_user(ws1.session, ACTOR, "admin", PASSWORD)  # by the administrator
    kim = auth.login(ws1.store, ACTOR, PASSWORD)  # another account on the same PC
    chart = ws1.register("Nguyễn", "Ánh", "1980-03-04")  # by the administrator
    change_fields(kim, chart.id, {"phone": "555-0199"})
    set_previous_names(kim, chart.id, [PreviousName("Trần", "", "maiden")])
    doc = add_document(kim, chart.id, "lab", date(2025, 1, 10), [PageInput(noise_page(3, 40))])
    corr.edit_document(kim, doc, author="Dr. Ames", reason="typo")
    auth.reset_password(kim, "admin", PASSWORD + "!")
    set_setting(kim, "clinic.phone", "555-0100")
    before = len(_applied(ws2))
    clinic.sync_all()

    rows = _applied(ws2)[before:]
    by_type = {(r["type"], r["by"]) for r in rows}
    ws1_id = client.require_state(ws1.store).workstation_id
    assert all(r["workstation"] == ws1_id and r["row_user"] == "sync" for r in rows)
    assert {
        ("user.added", "admin"),
        ("patient.registered", "admin"),
        ("patient.field_changed", ACTOR),
        ("patient.previous_names_changed", ACTOR),
        ("document.filed", ACTOR),
        ("document.edited", ACTOR),
        ("user.changed", ACTOR),
        ("setting.changed", ACTOR),
    } <= by_type, by_type
    assert all(r["by"] for r in rows), rows  # no change arrives without its account

    # The account name is sealed: nowhere in the server's copy of the log.
    state = client.require_state(ws1.store)
    with address.connect(state.server_url) as pg:
        dump = repr(pg.execute("SELECT * FROM events").fetchall())
    assert ACTOR.encode().hex() not in dump and ACTOR not in dump
