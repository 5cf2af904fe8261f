"""The audit trail: what is recorded, and that each kind of tampering is found."""

from __future__ import annotations

from datetime import date

import pytest

from clinicrecords.clinic import audit, auth
from clinicrecords.common.errors import AuthError
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.conftest import PASSWORD, USERS


def _actions(session) -> list[str]:
    return [
        r[0] for r in session.db.connection().execute("SELECT action FROM audit_log ORDER BY id")
    ]


def _make_rows(session, n: int = 5) -> None:
    for i in range(n):
        register_patient(
            session,
            PatientInput(family=f"Tamper{chr(65 + i)}", given="Test", dob=date(1980, 1, 1 + i)),
        )


def _unlock(conn) -> None:
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")


def test_logins_failures_and_actions_are_recorded(store, admin_session) -> None:
    with pytest.raises(AuthError):
        auth.login(store, USERS["clerk"], "wrong password")
    clerk = auth.login(store, USERS["clerk"], PASSWORD)
    register_patient(clerk, PatientInput(family="Row", given="Ann", dob=date(1970, 2, 3)))
    auth.logout(clerk)
    actions = _actions(admin_session)
    for expected in ("login", "login.failed", "patient.create", "logout"):
        assert expected in actions
    assert audit.verify(admin_session.db.connection()).ok


def test_audit_table_refuses_update_and_delete(admin_session) -> None:
    conn = admin_session.db.connection()
    with pytest.raises(Exception, match="append-only"):
        conn.execute("UPDATE audit_log SET action = 'x' WHERE id = 1")
    with pytest.raises(Exception, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE id = 1")


def test_edited_row_is_found(admin_session) -> None:
    _make_rows(admin_session)
    conn = admin_session.db.connection()
    _unlock(conn)
    conn.execute("UPDATE audit_log SET username = 'someone' WHERE id = 3")
    report = audit.verify(conn)
    assert not report.ok
    assert any("row 3 was edited" in p for p in report.problems)


def test_deleted_row_is_found(admin_session) -> None:
    _make_rows(admin_session)
    conn = admin_session.db.connection()
    _unlock(conn)
    conn.execute("DELETE FROM audit_log WHERE id = 4")
    report = audit.verify(conn)
    assert not report.ok
    assert any("missing" in p or "removed" in p for p in report.problems)


def test_deleted_newest_rows_are_found(admin_session) -> None:
    _make_rows(admin_session)
    conn = admin_session.db.connection()
    _unlock(conn)
    last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE id >= ?", (last - 1,))
    report = audit.verify(conn)
    assert not report.ok
    assert any("newest" in p or "removed" in p for p in report.problems)


def test_reordered_rows_are_found(admin_session) -> None:
    _make_rows(admin_session)
    conn = admin_session.db.connection()
    _unlock(conn)
    # swap rows 3 and 4 whole (every column, hashes included), i.e. re-order the log
    cols = "ts, user_id, username, action, object_type, object_id, detail, prev_hash, hash"
    r3 = conn.execute(f"SELECT {cols} FROM audit_log WHERE id = 3").fetchone()
    r4 = conn.execute(f"SELECT {cols} FROM audit_log WHERE id = 4").fetchone()
    conn.execute("UPDATE audit_log SET hash = 'tmp' WHERE id = 3")
    sets = ", ".join(f"{c} = ?" for c in cols.split(", "))
    conn.execute(f"UPDATE audit_log SET {sets} WHERE id = 4", tuple(r3))
    conn.execute(f"UPDATE audit_log SET {sets} WHERE id = 3", tuple(r4))
    report = audit.verify(conn)
    assert not report.ok
    assert any("row 3" in p or "row 4" in p for p in report.problems)


def test_lockout_after_repeated_failures(store) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthError):
            auth.login(store, USERS["clerk"], "bad guess 123")
    with pytest.raises(AuthError, match="locked"):
        auth.login(store, USERS["clerk"], PASSWORD)


def test_cli_audit_list_and_verify(admin_session, store_dir, cli_env, capsys, monkeypatch) -> None:
    import json

    from clinicrecords.cli import main

    _make_rows(admin_session, 3)
    base = ["--data-dir", str(store_dir), "audit"]
    assert main([*base, "list", "--limit", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["action"] for r in rows] == ["login", "patient.create"]  # newest first: the CLI's
    assert set(rows[0]) == {"id", "ts", "username", "action", "object_type", "object_id", "detail"}
    assert main([*base, "list", "--limit", "-1", "--json"]) == 0  # SQLite's "no limit"
    ids = [r["id"] for r in json.loads(capsys.readouterr().out)["rows"]]
    assert ids == list(range(ids[0], 0, -1))  # every row, newest first
    assert main([*base, "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    _unlock(admin_session.db.connection())
    admin_session.db.connection().execute("UPDATE audit_log SET action = 'x' WHERE id = 2")
    assert main([*base, "verify"]) == 8
    assert "PROBLEM" in capsys.readouterr().out
    monkeypatch.setenv("CLINICRECORDS_USER", USERS["clerk"])
    assert main([*base, "list"]) == 5 and main([*base, "verify"]) == 5
