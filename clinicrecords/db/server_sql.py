"""The clinic server (PostgreSQL): its schema, its roles, and every statement the program sends.

What the server holds, and why it can see nothing of a patient (DESIGN.md section 8):

- ``clinic``        one row per clinic: its id and the key file (the master key wrapped by the
                    recovery passphrase with Argon2id; useless without the passphrase).
- ``workstations``  id, a small number, the name people gave the PC, when it joined.
- ``events``        the clinic's log: ``seq`` (the server's total order), the event id (UUIDv7),
                    the workstation, its Lamport clock, a time, and the sealed payload
                    (AES-256-GCM; the associated data binds clinic, workstation, event id and
                    Lamport clock, so a row moved or edited fails to open on every PC).
- ``pages``         page-store objects, already encrypted by the page store (named by an HMAC).
- ``mrn_counter``, ``mrn_blocks``  which MRN numbers went to which workstation (numbers only).

``events`` and ``pages`` are append-only twice over: the application role is granted only
INSERT and SELECT on them, and triggers refuse UPDATE, DELETE and TRUNCATE even from their
owner (an owner can drop the triggers: that is a deliberate, visible act, not an accident).
An insert into ``events`` notifies channel ``clinicrecords_events`` with the clinic id, so
online workstations can wake up (used by a later slice; polling works without it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import psycopg

SCHEMA_VERSION = 2  # 2: keyfiles (a changed recovery passphrase reaches the server)
CHANNEL = "clinicrecords_events"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS cr_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
CREATE TABLE IF NOT EXISTS clinic (
    id      uuid PRIMARY KEY,
    keyfile jsonb NOT NULL,
    created timestamptz NOT NULL DEFAULT now()
);
-- A key file re-wrapped under a new recovery passphrase: the newest one is what joins; the
-- first is in clinic.keyfile. Append-only, so an old passphrase cannot be put back quietly.
CREATE TABLE IF NOT EXISTS keyfiles (
    seq       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    clinic_id uuid NOT NULL REFERENCES clinic (id),
    keyfile   jsonb NOT NULL,
    created   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS workstations (
    id        uuid PRIMARY KEY,
    clinic_id uuid NOT NULL REFERENCES clinic (id),
    number    integer NOT NULL,
    name      text NOT NULL,
    created   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (clinic_id, number)
);
CREATE TABLE IF NOT EXISTS events (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             uuid NOT NULL UNIQUE,
    clinic_id      uuid NOT NULL REFERENCES clinic (id),
    workstation_id uuid NOT NULL REFERENCES workstations (id),
    lamport        bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    nonce          bytea NOT NULL,
    ciphertext     bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS events_clinic_seq ON events (clinic_id, seq);
CREATE TABLE IF NOT EXISTS pages (
    clinic_id  uuid NOT NULL REFERENCES clinic (id),
    blob_id    text NOT NULL,
    ciphertext bytea NOT NULL,
    created    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, blob_id)
);
CREATE TABLE IF NOT EXISTS mrn_counter (
    clinic_id uuid PRIMARY KEY REFERENCES clinic (id),
    next      bigint NOT NULL
);
CREATE TABLE IF NOT EXISTS mrn_blocks (
    clinic_id      uuid NOT NULL REFERENCES clinic (id),
    workstation_id uuid NOT NULL REFERENCES workstations (id),
    first          bigint NOT NULL,
    last           bigint NOT NULL,
    issued_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (clinic_id, first)
);
CREATE OR REPLACE FUNCTION cr_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the clinic log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END $$;
CREATE OR REPLACE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION cr_refuse_change();
CREATE OR REPLACE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION cr_refuse_change();
CREATE OR REPLACE TRIGGER pages_append_only BEFORE UPDATE OR DELETE ON pages
    FOR EACH ROW EXECUTE FUNCTION cr_refuse_change();
CREATE OR REPLACE TRIGGER pages_no_truncate BEFORE TRUNCATE ON pages
    FOR EACH STATEMENT EXECUTE FUNCTION cr_refuse_change();
CREATE OR REPLACE TRIGGER keyfiles_append_only BEFORE UPDATE OR DELETE ON keyfiles
    FOR EACH ROW EXECUTE FUNCTION cr_refuse_change();
CREATE OR REPLACE TRIGGER mrn_blocks_append_only BEFORE UPDATE OR DELETE ON mrn_blocks
    FOR EACH ROW EXECUTE FUNCTION cr_refuse_change();
CREATE OR REPLACE FUNCTION cr_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.clinic_id::text);
    RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER events_notify AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION cr_notify_event();
INSERT INTO cr_meta (key, value) VALUES ('schema', '{SCHEMA_VERSION}')
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
"""

_APP_TABLES_READ_APPEND = ("events", "pages", "clinic", "keyfiles", "workstations", "mrn_blocks")


def grants(app_role: str) -> str:
    """What the application role may do: read and append; move the MRN counter; nothing else."""
    role = _ident(app_role)
    return "\n".join(
        [
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
            f"GRANT USAGE ON SCHEMA public TO {role};",
            f"GRANT SELECT, INSERT ON {', '.join(_APP_TABLES_READ_APPEND)} TO {role};",
            f"GRANT SELECT, INSERT, UPDATE ON mrn_counter TO {role};",
            f"GRANT SELECT ON cr_meta TO {role};",
            f"REVOKE UPDATE, DELETE, TRUNCATE ON events, pages, keyfiles, mrn_blocks FROM {role};",
        ]
    )


def init_db_script(database: str, owner: str, app_role: str) -> str:
    """A psql script for the server's administrator: roles, database, schema, grants.

    The application role's password is taken from the psql variable ``app_password``
    (``psql -v app_password=...``), so it is never written into the script.
    """
    db, own, app = _ident(database), _ident(owner), _ident(app_role)
    return "\n".join(
        [
            "-- ClinicRecords clinic server: run once, as the PostgreSQL administrator:",
            "--   clinicrecords server init-db | sudo -u postgres psql -v ON_ERROR_STOP=1 "
            "-v app_password='...'",
            f"-- {own} owns the tables (no one signs in as it); the program signs in as {app},",
            "-- which may only read and append to the clinic's log (see db/server_sql.py).",
            f"CREATE ROLE {own} NOLOGIN;",
            f"CREATE ROLE {app} LOGIN PASSWORD :'app_password';",
            f"CREATE DATABASE {db} OWNER {own} ENCODING 'UTF8' TEMPLATE template0;",
            f"REVOKE ALL ON DATABASE {db} FROM PUBLIC;",
            f"GRANT CONNECT ON DATABASE {db} TO {app};",
            f"\\connect {db}",
            f"SET ROLE {own};",
            SCHEMA.strip(),
            grants(app_role),
            "RESET ROLE;",
            "",
        ]
    )


def upgrade_script(database: str, owner: str, app_role: str) -> str:
    """The schema and grants again, for a server set up by an older version (every statement
    is idempotent; the schema version is raised last)."""
    db, own = _ident(database), _ident(owner)
    return "\n".join(
        [
            "-- ClinicRecords clinic server: upgrade the schema, as the PostgreSQL administrator:",
            "--   clinicrecords server init-db --upgrade | sudo -u postgres psql -v ON_ERROR_STOP=1",
            f"\\connect {db}",
            f"SET ROLE {own};",
            SCHEMA.strip(),
            grants(app_role),
            "RESET ROLE;",
            "",
        ]
    )


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha() or not name.isascii():
        raise ValueError("an identifier must be letters, digits and underscores")
    return name.lower()


# --- schema ---------------------------------------------------------------------------------


def schema_version(pg: psycopg.Connection) -> int | None:
    """The server schema's version, or None when the database has not been set up."""
    try:
        with pg.transaction():
            row = pg.execute("SELECT value FROM cr_meta WHERE key = 'schema'").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return None if row is None else int(row[0])


def create_schema(pg: psycopg.Connection) -> None:
    with pg.transaction():
        pg.execute(SCHEMA)


# --- clinics and workstations ---------------------------------------------------------------


def lock_clinic(pg: psycopg.Connection, clinic_id: str) -> None:
    """Serialise writers of one clinic's log for the current transaction.

    Sequence numbers are handed out at insert time but become visible at commit: two
    workstations pushing at once could commit seq 11 before seq 10, and a reader that saw 11
    would skip 10 for ever. Under this lock a clinic's events commit in ``seq`` order.
    """
    key = int.from_bytes(hashlib.sha256(b"clinicrecords:" + clinic_id.encode()).digest()[:8])
    pg.execute("SELECT pg_advisory_xact_lock(%s)", (key - (1 << 63),))


def clinics(pg: psycopg.Connection) -> list[tuple[str, dict]]:
    """Each clinic with its current key file (the newest re-wrapped one, else the first)."""
    return [
        (str(r[0]), r[1])
        for r in pg.execute(
            "SELECT c.id, coalesce((SELECT k.keyfile FROM keyfiles k WHERE k.clinic_id = c.id "
            "ORDER BY k.seq DESC LIMIT 1), c.keyfile) FROM clinic c ORDER BY c.created"
        )
    ]


def insert_keyfile(pg: psycopg.Connection, clinic_id: str, keyfile: dict) -> None:
    pg.execute(
        "INSERT INTO keyfiles (clinic_id, keyfile) VALUES (%s, %s)",
        (clinic_id, psycopg.types.json.Jsonb(keyfile)),
    )


def clinic_exists(pg: psycopg.Connection, clinic_id: str) -> bool:
    return pg.execute("SELECT 1 FROM clinic WHERE id = %s", (clinic_id,)).fetchone() is not None


def insert_clinic(pg: psycopg.Connection, clinic_id: str, keyfile: dict) -> None:
    pg.execute(
        "INSERT INTO clinic (id, keyfile) VALUES (%s, %s)",
        (clinic_id, psycopg.types.json.Jsonb(keyfile)),
    )


def add_workstation(pg: psycopg.Connection, clinic_id: str, ws_id: str, name: str) -> int:
    """Register a workstation (under the clinic lock); returns its small number."""
    row = pg.execute(
        "INSERT INTO workstations (id, clinic_id, number, name) VALUES (%s, %s, "
        "(SELECT coalesce(max(number), 0) + 1 FROM workstations WHERE clinic_id = %s), %s) "
        "RETURNING number",
        (ws_id, clinic_id, clinic_id, name),
    ).fetchone()
    return int(row[0])


def workstation_names(pg: psycopg.Connection, clinic_id: str) -> dict[str, str]:
    return {
        str(r[0]): r[1]
        for r in pg.execute("SELECT id, name FROM workstations WHERE clinic_id = %s", (clinic_id,))
    }


def count_events(pg: psycopg.Connection, clinic_id: str) -> int:
    return int(
        pg.execute("SELECT count(*) FROM events WHERE clinic_id = %s", (clinic_id,)).fetchone()[0]
    )


# --- MRN numbers ----------------------------------------------------------------------------


def init_mrn_counter(pg: psycopg.Connection, clinic_id: str, first_free: int) -> None:
    pg.execute(
        "INSERT INTO mrn_counter (clinic_id, next) VALUES (%s, %s) ON CONFLICT (clinic_id) "
        "DO UPDATE SET next = greatest(mrn_counter.next, excluded.next)",
        (clinic_id, first_free),
    )


def reserve_mrn_block(
    pg: psycopg.Connection, clinic_id: str, ws_id: str, size: int
) -> tuple[int, int]:
    """Hand ``size`` MRN numbers to a workstation; returns (first, last). Never reused."""
    row = pg.execute(
        "UPDATE mrn_counter SET next = next + %s WHERE clinic_id = %s RETURNING next - %s",
        (size, clinic_id, size),
    ).fetchone()
    first = int(row[0])
    last = first + size - 1
    pg.execute(
        "INSERT INTO mrn_blocks (clinic_id, workstation_id, first, last) VALUES (%s, %s, %s, %s)",
        (clinic_id, ws_id, first, last),
    )
    return first, last


# --- events and pages -----------------------------------------------------------------------


@dataclass(frozen=True)
class ServerEvent:
    seq: int
    id: str
    workstation_id: str
    lamport: int
    created_at: datetime
    nonce: bytes
    ciphertext: bytes


def insert_events(
    pg: psycopg.Connection,
    clinic_id: str,
    rows: Sequence[tuple[str, str, int, datetime, bytes, bytes]],
) -> None:
    """Append (id, workstation, lamport, created_at, nonce, ciphertext) rows in order.

    An id already in the log is skipped: pushing again after a crash is harmless.
    """
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO events (id, clinic_id, workstation_id, lamport, created_at, nonce, "
            "ciphertext) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
            [(r[0], clinic_id, r[1], r[2], r[3], r[4], r[5]) for r in rows],
        )


def events_after(
    pg: psycopg.Connection, clinic_id: str, after_seq: int, limit: int
) -> list[ServerEvent]:
    cur = pg.execute(
        "SELECT seq, id, workstation_id, lamport, created_at, nonce, ciphertext FROM events "
        "WHERE clinic_id = %s AND seq > %s ORDER BY seq LIMIT %s",
        (clinic_id, after_seq, limit),
    )
    return [
        ServerEvent(int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4], bytes(r[5]), bytes(r[6]))
        for r in cur
    ]


def insert_pages(
    pg: psycopg.Connection, clinic_id: str, pages: Sequence[tuple[str, bytes]]
) -> None:
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO pages (clinic_id, blob_id, ciphertext) VALUES (%s, %s, %s) "
            "ON CONFLICT (clinic_id, blob_id) DO NOTHING",
            [(clinic_id, b, data) for b, data in pages],
        )


def page_blob(pg: psycopg.Connection, clinic_id: str, blob_id: str) -> bytes | None:
    row = pg.execute(
        "SELECT ciphertext FROM pages WHERE clinic_id = %s AND blob_id = %s", (clinic_id, blob_id)
    ).fetchone()
    return None if row is None else bytes(row[0])


def page_blobs(pg: psycopg.Connection, clinic_id: str, blob_ids: Sequence[str]) -> dict[str, bytes]:
    """Many page objects in one round trip (a join fetches thousands)."""
    if not blob_ids:
        return {}
    return {
        r[0]: bytes(r[1])
        for r in pg.execute(
            "SELECT blob_id, ciphertext FROM pages WHERE clinic_id = %s AND blob_id = ANY(%s)",
            (clinic_id, list(blob_ids)),
        )
    }


def missing_pages(pg: psycopg.Connection, clinic_id: str, blob_ids: Sequence[str]) -> set[str]:
    if not blob_ids:
        return set()
    have = {
        r[0]
        for r in pg.execute(
            "SELECT blob_id FROM pages WHERE clinic_id = %s AND blob_id = ANY(%s)",
            (clinic_id, list(blob_ids)),
        )
    }
    return set(blob_ids) - have
