"""Accounts and clinic settings travel between workstations (``sync/accounts.py``,
``sync/clinic_settings.py``): a user signs in on any PC, offline too; a joining PC gets the
clinic's accounts; settings changed on one PC reach the others; changes made apart are
decided the same way everywhere and listed."""

from __future__ import annotations

import pytest

from clinicrecords.clinic import auth, settings
from clinicrecords.common.errors import AuthError
from clinicrecords.sync import server
from clinicrecords.sync.conflicts import list_conflicts
from tests.conftest import PASSWORD, USERS

NEW_PASSWORD = "battery-staple-9"


def _roles(ws) -> dict[str, tuple[str, bool]]:  # type: ignore[no-untyped-def]
    with ws.store.db.read() as conn:
        return {
            r["username"]: (r["role"], bool(r["active"]))
            for r in conn.execute("SELECT username, role, active FROM users")
        }


def test_accounts_reach_every_pc_and_sign_in_works_offline(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")  # signs in with the clinic's own admin account
    assert _roles(ws2) == _roles(ws1)
    assert auth.login(ws2.store, USERS["clerk"], PASSWORD).user.role == "clerk"

    auth.add_user(ws1.session, "nurse.jo", "clerk", NEW_PASSWORD, "Jo Nurse")
    auth.reset_password(ws1.session, USERS["clerk"], NEW_PASSWORD)
    auth.set_role(ws1.session, USERS["release"], "admin")
    auth.set_active(ws1.session, "nurse.jo", False)
    auth.set_active(ws1.session, "nurse.jo", True)
    clinic.sync_all()
    assert _roles(ws2) == _roles(ws1)
    assert _roles(ws2)["nurse.jo"] == ("clerk", True)
    assert _roles(ws2)[USERS["release"]] == ("admin", True)

    clinic.pg.cluster.stop()  # sign-in is local: the server is never asked
    try:
        assert auth.login(ws2.store, "nurse.jo", NEW_PASSWORD).user.full_name == "Jo Nurse"
        assert auth.login(ws2.store, USERS["clerk"], NEW_PASSWORD)
        with pytest.raises(AuthError):
            auth.login(ws2.store, USERS["clerk"], PASSWORD)  # the old password is gone
        jo = auth.login(ws2.store, "nurse.jo", NEW_PASSWORD)
        auth.change_password(jo, NEW_PASSWORD, "another-pass-77")  # offline, on PC 2
    finally:
        clinic.pg.cluster.start()
    auth.set_active(ws1.session, USERS["clerk"], False)
    clinic.sync_all()
    assert auth.login(ws1.store, "nurse.jo", "another-pass-77")
    with pytest.raises(AuthError):
        auth.login(ws2.store, USERS["clerk"], NEW_PASSWORD)  # deactivated on PC 1
    assert list_conflicts(ws1.session) == list_conflicts(ws2.session) == []

    dump = clinic.pg.cluster.pg_dump(clinic.pg.name)
    assert "$argon2id$" not in dump and "nurse.jo" not in dump and "Jo Nurse" not in dump


def test_one_account_changed_on_two_pcs_apart_converges_and_is_listed(clinic) -> None:
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    auth.set_role(ws1.session, USERS["clerk"], "release")
    auth.set_role(ws2.session, USERS["clerk"], "admin")
    auth.add_user(ws1.session, "temp.a", "clerk", NEW_PASSWORD, "From PC 1")
    auth.add_user(ws2.session, "temp.a", "release", NEW_PASSWORD, "From PC 2")
    clinic.sync_all()
    assert _roles(ws1) == _roles(ws2)
    assert _roles(ws1)[USERS["clerk"]][0] in ("release", "admin")
    lists = [list_conflicts(ws.session) for ws in (ws1, ws2)]
    assert [sorted((c.kind, c.field) for c in lst) for lst in lists] == [
        [("duplicate", "username"), ("field", "role")]
    ] * 2
    assert {c.id for c in lists[0]} == {c.id for c in lists[1]}


def test_joining_needs_no_account_of_its_own_and_checks_the_one_given(clinic) -> None:
    ws1 = clinic.attach_first()
    ws1.sync()
    store, user, _ = server.join_open(clinic.tmp / "quiet", clinic.url, _phrase(), None, None)
    try:
        assert user is None and auth.login(store, USERS["admin"], PASSWORD)
    finally:
        store.close()
    with pytest.raises(AuthError, match="joined the clinic"):
        server.join_open(clinic.tmp / "typo", clinic.url, _phrase(), USERS["admin"], "wrong-pw-1")


def _phrase() -> str:
    from tests.conftest import PASSPHRASE

    return PASSPHRASE


def test_clinic_settings_travel_but_this_pcs_folders_stay(clinic, tmp_path) -> None:
    ws1 = clinic.attach_first()
    settings.set_setting(ws1.session, "clinic.name", "Riverside Family Practice")
    ws2 = clinic.join("front-2")  # joins after the change: gets it from the log
    assert settings.get_setting(ws2.session, "clinic.name") == "Riverside Family Practice"
    settings.set_setting(ws1.session, "release.fee_per_page_cents", 40)
    settings.set_setting(ws1.session, "security.idle_minutes", 12.5)
    settings.set_setting(ws1.session, "scan.watch_folder", str(tmp_path))
    clinic.sync_all()
    assert settings.get_setting(ws2.session, "release.fee_per_page_cents") == 40
    assert settings.get_setting(ws2.session, "security.idle_minutes") == 12.5
    assert settings.get_setting(ws2.session, "scan.watch_folder") == ""  # PC 1's own folder

    settings.set_setting(ws1.session, "release.due_days", 20)  # apart, on two PCs
    settings.set_setting(ws2.session, "release.due_days", 45)
    clinic.sync_all()
    kept = settings.get_setting(ws1.session, "release.due_days")
    assert kept == settings.get_setting(ws2.session, "release.due_days") and kept in (20, 45)
    (c1,) = list_conflicts(ws1.session)
    (c2,) = list_conflicts(ws2.session)
    assert c1.id == c2.id and c1.field == "release.due_days" and c1.server == str(kept)


def test_a_clinic_without_accounts_gets_its_first_administrator_at_the_join(
    clinic, store_dir
) -> None:
    """An attach that stopped before anything reached the server leaves a clinic with a key
    file and no accounts: the joining PC makes the first administrator, and the clinic hears
    of it."""
    import json

    from clinicrecords.clinic import keys
    from clinicrecords.clinic.store import Store
    from clinicrecords.common.errors import BadInput
    from clinicrecords.db import server_sql
    from clinicrecords.sync import address
    from tests.conftest import PASSPHRASE

    with Store.open(store_dir, PASSPHRASE) as store:
        clinic_id = store.store_id
    doc = json.loads((store_dir / keys.KEYFILE_NAME).read_text("utf-8"))
    with address.connect(clinic.url) as pg:
        server.ensure_schema(pg)
        with pg.transaction():
            server_sql.insert_clinic(pg, clinic_id, doc)
            server_sql.init_mrn_counter(pg, clinic_id, 1)
    folder = clinic.tmp / "first-of-clinic"
    with pytest.raises(BadInput, match="no accounts"):
        server.join_open(folder, clinic.url, PASSPHRASE, None, None)
    assert not folder.exists()  # nothing half-made is left in the way of the next try
    store, user, _ = server.join_open(folder, clinic.url, PASSPHRASE, "chief", NEW_PASSWORD)
    try:
        assert user is not None and user.role == "admin"
    finally:
        store.close()
    other, _, _ = server.join_open(
        clinic.tmp / "second", clinic.url, PASSPHRASE, "chief", NEW_PASSWORD
    )
    try:
        assert auth.login(other, "chief", NEW_PASSWORD).user.role == "admin"
    finally:
        other.close()
