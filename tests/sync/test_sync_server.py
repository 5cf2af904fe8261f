"""The server side: the administrator's set-up script, what the program's role may do, the
append-only log, the wake-up notification, the address rules, and event sealing."""

from __future__ import annotations

import itertools
import secrets

import psycopg
import pytest

from clinicrecords.common.errors import BadInput, ServerRefused, ServerUnreachable
from clinicrecords.sync import address, client, seal, server
from tests.sync.workstations import Workstation, server_changes

_n = itertools.count(1)


def _set_up_with_init_db(pg_cluster) -> tuple[str, str]:
    """Run `server init-db`'s script through psql as the administrator; returns (db, app url)."""
    k = next(_n)
    db, owner, role = f"cr_setup_{k}", f"cr_owner_{k}", f"cr_app_{k}"
    script = server.init_db_script(db, owner, role)
    done = pg_cluster.psql("postgres", script, "-v", "app_password=app-secret-pw")
    assert done.returncode == 0, done.stderr
    return db, pg_cluster.url(db, user=role)


def test_init_db_role_reads_and_appends_but_never_rewrites(pg_cluster, store_dir) -> None:
    db, app_url = _set_up_with_init_db(pg_cluster)
    ws = Workstation("front-1", store_dir, "admin")
    try:
        server.attach(ws.session, app_url, "front-1")  # the program's role does all it needs
        ws.register("Arslan", "Deniz", "1983-03-03")
        assert ws.sync().pushed == 1
        with psycopg.connect(app_url, autocommit=True) as pg:
            for sql in (
                "UPDATE events SET lamport = 0",
                "DELETE FROM events",
                "TRUNCATE events",
                "DELETE FROM pages",
                "UPDATE clinic SET keyfile = '{}'",
                "DELETE FROM keyfiles",
                "DROP TABLE events",
                "CREATE TABLE mine (x int)",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    pg.execute(sql)
        # Even the tables' owner (and a superuser) meets the triggers.
        with pg_cluster.admin_connect(db) as pg:
            for sql in ("UPDATE events SET lamport = 0", "DELETE FROM events", "TRUNCATE events"):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    pg.execute(sql)
            total = pg.execute("SELECT count(*) FROM events").fetchone()[0]
        # the chart, and at attach the 3 accounts and the clinic's name (and the audit rows)
        assert len(server_changes(ws)) == 1 + 3 + 1 and total > 1 + 3 + 1
    finally:
        ws.close()


def test_a_role_that_may_not_create_the_schema_is_told_to_run_init_db(pg_cluster, pg) -> None:
    role = f"cr_nobody_{next(_n)}"
    with pg_cluster.admin_connect(pg.name) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}")
    with (
        address.connect(pg_cluster.url(pg.name, user=role)) as conn,
        pytest.raises(ServerRefused, match="init-db"),
    ):
        server.ensure_schema(conn)


def test_an_insert_into_the_log_notifies_listeners(clinic) -> None:
    ws1 = clinic.attach_first()
    with psycopg.connect(clinic.url, autocommit=True) as listener:
        listener.execute("LISTEN clinicrecords_events")
        ws1.register("Tanaka", "Yui", "1994-04-04")
        ws1.sync()
        notes = list(listener.notifies(timeout=5, stop_after=1))
    assert notes and notes[0].payload == ws1.store.store_id  # the clinic id, nothing else


def test_page_objects_travel_encrypted_and_are_checked_on_arrival(clinic) -> None:
    """The page path later slices use: objects pushed as stored, authenticated on fetch."""
    ws1 = clinic.attach_first()
    ws2 = clinic.join("front-2")
    data = b"%PDF-1.4 a scanned page " + secrets.token_bytes(2000)
    blob_id, _ = ws1.store.pages.put(data)
    state = client.require_state(ws1.store)
    with address.connect(clinic.url) as pg:
        assert client.push_pages(ws1.store, pg, state.clinic_id, [blob_id]) == 1
        assert client.push_pages(ws1.store, pg, state.clinic_id, [blob_id]) == 0
        assert client.fetch_pages(ws2.store, pg, state.clinic_id, [blob_id]) == 1
    assert ws2.store.pages.get(blob_id) == data
    with clinic.pg.cluster.admin_connect(clinic.pg.name) as pg:
        stored = bytes(pg.execute("SELECT ciphertext FROM pages").fetchone()[0])
        assert data[:24] not in stored
        pg.execute("ALTER TABLE pages DISABLE TRIGGER pages_append_only")
        pg.execute("UPDATE pages SET ciphertext = overlay(ciphertext placing '\\x00' from 40)")
    ws2.store.pages.path_for(blob_id).unlink()
    with address.connect(clinic.url) as pg, pytest.raises(ServerRefused):
        client.fetch_pages(ws2.store, pg, state.clinic_id, [blob_id])
    assert not ws2.store.pages.exists(blob_id)


# --- addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:pw@db.clinic.lan/clinicrecords",
        "postgresql://app:pw@10.0.0.5/clinicrecords?sslmode=require",
        "postgresql://app:pw@db.clinic.lan/clinicrecords?sslmode=verify-ca",
        "host=db.clinic.lan dbname=clinicrecords sslmode=prefer",
        "postgresql://app@localhost,db.clinic.lan/clinicrecords",
    ],
)
def test_a_remote_server_needs_verify_full(url: str) -> None:
    with pytest.raises(BadInput, match="verify-full"):
        address.check(url)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:pw@db.clinic.lan:5432/clinicrecords?sslmode=verify-full",
        "postgresql://app@/clinicrecords?host=/var/run/postgresql",
        "postgresql://app@localhost/clinicrecords",
        "postgresql://app@127.0.0.1:5433/clinicrecords",
    ],
)
def test_verified_or_local_addresses_are_accepted(url: str) -> None:
    address.check(url)


def test_the_password_never_shows() -> None:
    assert address.redact("postgresql://app:s3cret@db.lan:5432/cr?sslmode=verify-full") == (
        "postgresql://app@db.lan:5432/cr?sslmode=verify-full"
    )
    assert "s3cret" not in address.redact("postgresql://app@/cr?host=/tmp/x&password=s3cret")
    assert "s3cret" not in address.redact("host=/tmp/x dbname=cr password=s3cret")
    with pytest.raises(BadInput) as err:
        address.parse("postgresql://app:s3cret@[::1/cr")
    assert "s3cret" not in str(err.value)


def test_an_unreachable_server_is_one_sentence(tmp_path) -> None:
    with pytest.raises(ServerUnreachable) as err:
        address.connect(f"postgresql://app:s3cret@/cr?host={tmp_path}")
    assert "s3cret" not in err.value.message and err.value.message.count(".") == 1


# --- sealing -------------------------------------------------------------------------------


def test_a_sealed_event_opens_only_where_it_was_sealed() -> None:
    key = secrets.token_bytes(32)
    clinic, ws, other_ws, event = "c-1", "ws-1", "ws-2", "ev-1"
    nonce, ct = seal.seal(key, clinic, ws, event, 7, {"v": 1, "type": "t", "data": {"a": "Ana"}})
    assert seal.open_sealed(key, clinic, ws, event, 7, nonce, ct)["data"] == {"a": "Ana"}
    assert b"Ana" not in ct
    tampered = bytearray(ct)
    tampered[3] ^= 1
    for args in (
        (key, "c-2", ws, event, 7, nonce, ct),  # moved to another clinic
        (key, clinic, other_ws, event, 7, nonce, ct),  # moved to another workstation
        (key, clinic, ws, "ev-2", 7, nonce, ct),  # renamed
        (key, clinic, ws, event, 8, nonce, ct),  # renumbered
        (key, clinic, ws, event, 7, nonce, bytes(tampered)),  # edited
        (secrets.token_bytes(32), clinic, ws, event, 7, nonce, ct),  # another clinic's key
    ):
        with pytest.raises(ServerRefused, match="integrity"):
            seal.open_sealed(*args)
