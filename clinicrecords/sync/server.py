"""A clinic server's life cycle: set it up, attach the first PC, join further PCs.

- ``init_db_script``: the SQL a server administrator runs once (roles, database, schema,
  grants; ``clinicrecords server init-db``). The program then signs in as a role that can only
  read and append the clinic's log (``db/server_sql.py``).
- ``attach``: an existing store becomes the clinic's first workstation. The server receives
  the key file (wrapped by the recovery passphrase) and every chart as a sealed event.
- ``join``: a new PC, in an empty folder, with the server address and the recovery
  passphrase: it fetches the key file, unwraps the master key, makes a local store keyed like
  every other PC's, and builds its replica by replaying the clinic's log.
"""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg

from clinicrecords.clinic import keys
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import DB_NAME, PAGES_DIR, Store
from clinicrecords.common.domain import User
from clinicrecords.common.errors import AuthError, BadInput, ServerRefused
from clinicrecords.db import server_sql, settings_sql, sync_sql
from clinicrecords.db.connection import open_connection
from clinicrecords.db.migrate import migrate
from clinicrecords.db.pagestore import write_atomically
from clinicrecords.events import capture
from clinicrecords.events import documents as document_events
from clinicrecords.events import releases as release_events
from clinicrecords.events.ids import uuid7
from clinicrecords.sync import accounts, address, client, clinic_settings

DEFAULT_DATABASE = "clinicrecords"
DEFAULT_OWNER = "clinicrecords_owner"
DEFAULT_APP_ROLE = "clinicrecords"


def init_db_script(
    database: str = DEFAULT_DATABASE,
    owner: str = DEFAULT_OWNER,
    app_role: str = DEFAULT_APP_ROLE,
    upgrade: bool = False,
) -> str:
    try:
        if upgrade:
            return server_sql.upgrade_script(database, owner, app_role)
        return server_sql.init_db_script(database, owner, app_role)
    except ValueError:
        raise BadInput(
            "Database and role names may hold only letters, digits and underscores."
        ) from None


def ensure_schema(pg: psycopg.Connection) -> None:
    """Create the server schema when the database is empty and this role may (a simple set-up
    where the program's role owns its database); otherwise it must exist already."""
    version = server_sql.schema_version(pg)
    if version is None or version < server_sql.SCHEMA_VERSION:
        try:
            server_sql.create_schema(pg)
        except psycopg.errors.InsufficientPrivilege:
            raise ServerRefused(
                "The clinic server's database is not set up, and this account may not set it "
                "up: ask the server's administrator to run 'clinicrecords server init-db'."
            ) from None
    client.require_schema(pg)


def _workstation_name(name: str | None) -> str:
    name = (name or socket.gethostname() or "workstation").strip()
    return name[:80]


@dataclass(frozen=True)
class AttachResult:
    clinic_id: str
    workstation: str
    workstation_no: int
    charts_shared: int
    pushed: int
    accounts_shared: int = 0
    settings_shared: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def attach(session: Session, url: str, workstation_name: str | None = None) -> AttachResult:
    """Make this store the clinic's first workstation and upload its history."""
    session.require("settings.edit")
    address.check(url)
    store = session.store
    with store.db.read() as conn:
        if sync_sql.is_attached(conn):
            raise BadInput(
                "This PC is already a workstation of a clinic network ('clinicrecords sync "
                "status' shows which)."
            )
    keyfile_doc = json.loads((store.data_dir / keys.KEYFILE_NAME).read_text("utf-8"))
    name = _workstation_name(workstation_name)
    ws_id = uuid7()
    clinic_id = store.store_id
    pg = address.connect(url)
    try:
        ensure_schema(pg)
        from clinicrecords.registry.patients import first_free_mrn_number

        with store.db.read() as conn:
            first_free = first_free_mrn_number(conn)
        with pg.transaction():
            server_sql.lock_clinic(pg, clinic_id)
            if server_sql.clinic_exists(pg, clinic_id):
                # Only an attach that stopped before this PC recorded it leaves an empty log.
                if server_sql.count_events(pg, clinic_id) > 0:
                    raise ServerRefused(
                        "This clinic is already on that server: a further PC joins it "
                        "('clinicrecords join URL' in an empty folder)."
                    )
            else:
                server_sql.insert_clinic(pg, clinic_id, keyfile_doc)
            ws_no = server_sql.add_workstation(pg, clinic_id, ws_id, name)
            server_sql.init_mrn_counter(pg, clinic_id, first_free)
        with store.db.write() as conn:
            sync_sql.init_state(conn, url, clinic_id, ws_id, ws_no, name)
            shared = capture.share_unshared_charts(conn)
            document_events.share_unshared_documents(conn)
            release_events.share_unshared_requests(conn)
            accounts_shared = accounts.share_unshared_accounts(conn)
            settings_shared = clinic_settings.share_settings(conn)
            session.audit(
                "sync.attach", "store", clinic_id, conn=conn, workstation=name, charts=shared
            )
    except psycopg.OperationalError:
        raise address.lost() from None
    finally:
        pg.close()
    result = client.sync_once(store)
    return AttachResult(
        clinic_id, name, ws_no, shared, result.pushed, accounts_shared, settings_shared
    )


@dataclass(frozen=True)
class JoinResult:
    clinic_id: str
    workstation: str
    workstation_no: int
    pulled: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def join(
    data_dir: Path,
    url: str,
    passphrase: str,
    admin: str | None,
    password: str | None,
    admin_name: str = "",
    workstation_name: str | None = None,
    clinic_id: str | None = None,
    progress: client.Progress | None = None,
) -> JoinResult:
    """Build this PC's replica of a clinic from its server (passphrase proves membership)."""
    store, _, result = join_open(
        data_dir,
        url,
        passphrase,
        admin,
        password,
        admin_name,
        workstation_name,
        clinic_id,
        progress,
    )
    store.close()
    return result


def join_open(
    data_dir: Path,
    url: str,
    passphrase: str,
    admin: str | None,
    password: str | None,
    admin_name: str = "",
    workstation_name: str | None = None,
    clinic_id: str | None = None,
    progress: client.Progress | None = None,
) -> tuple[Store, User | None, JoinResult]:
    """``join``, leaving the new store open (the desktop signs in straight away rather than
    unwrapping the key a second time).

    The clinic's accounts arrive with its log, so people sign in here as on every other PC;
    ``admin``/``password``, when given, are checked against them (a sign-in) and that user is
    returned. Only a clinic without accounts (attached by an earlier version) gets its first
    administrator made here, from ``admin``/``password``."""
    from clinicrecords.clinic import auth

    started = time.monotonic()
    address.check(url)
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise BadInput("Join into an empty folder: this one already holds files.")
    name = _workstation_name(workstation_name)
    pg = address.connect(url)
    try:
        client.require_schema(pg)
        clinic_id, keyfile_doc = _pick_clinic(pg, clinic_id)
        master = _unwrap(keyfile_doc, clinic_id, passphrase)
        ws_id = uuid7()
        with pg.transaction():
            server_sql.lock_clinic(pg, clinic_id)
            ws_no = server_sql.add_workstation(pg, clinic_id, ws_id, name)
    except psycopg.OperationalError:
        raise address.lost() from None
    finally:
        pg.close()
    store = create_replica_store(data_dir, master, clinic_id, keyfile_doc)
    try:
        from clinicrecords.clinic import audit
        from clinicrecords.db import users_sql

        with store.db.write() as conn:
            sync_sql.init_state(conn, url, clinic_id, ws_id, ws_no, name)
            audit.append(
                conn, None, "(join)", "sync.join", "store", clinic_id, {"workstation": name}
            )
        result = client.sync_once(store, progress)
        with store.db.read() as conn:
            has_accounts = users_sql.count_active(conn) > 0
        user: User | None = None
        if has_accounts:
            if admin:
                try:
                    user = auth.login(store, admin, password or "").user
                except AuthError:
                    raise AuthError(
                        "This PC joined the clinic, but that user name and password are not "
                        "one of the clinic's accounts: sign in with your clinic account."
                    ) from None
        elif admin and password:
            user = auth.create_first_admin(store, admin, password, admin_name)
            client.sync_once(store)  # the clinic hears of its first account
        else:
            store.close()
            shutil.rmtree(data_dir, ignore_errors=True)  # made here, in a folder found empty
            raise BadInput(
                "The clinic has no accounts yet: join again with --admin NAME to make its "
                "first administrator."
            )
    except BaseException:
        store.close()
        raise
    return (
        store,
        user,
        JoinResult(clinic_id, name, ws_no, result.pulled, time.monotonic() - started),
    )


def _pick_clinic(pg: psycopg.Connection, clinic_id: str | None) -> tuple[str, dict]:
    found = server_sql.clinics(pg)
    if clinic_id:
        found = [c for c in found if c[0] == clinic_id.lower()]
    if not found:
        raise ServerRefused(
            "No clinic is on that server yet: attach the first PC with 'clinicrecords server "
            "attach URL'."
            if not clinic_id
            else "That server holds no clinic with that id."
        )
    if len(found) > 1:
        raise BadInput("That server holds several clinics: say which with --clinic ID.")
    return found[0]


def _unwrap(keyfile_doc: dict, clinic_id: str, passphrase: str) -> bytes:
    """The master key from the server's key file (raises WrongPassphrase, nothing written)."""
    tmp = Path(tempfile.mkdtemp(prefix="clinicrecords-join-"))
    try:
        (tmp / keys.KEYFILE_NAME).write_text(json.dumps(keyfile_doc), "utf-8")
        keyfile = keys.read_keyfile(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if keyfile.store_id != clinic_id:
        raise ServerRefused("The clinic server's key file belongs to another clinic.")
    return keys.unwrap_master(keyfile, passphrase)


def create_replica_store(data_dir: Path, master: bytes, clinic_id: str, keyfile_doc: dict) -> Store:
    """A store keyed by the clinic's master key, empty but for its schema (as Store.create)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db_key = keys.derive_keys(master).database
    conn = open_connection(data_dir / DB_NAME, db_key)
    try:
        migrate(conn, data_dir / DB_NAME, db_key)
        conn.execute("BEGIN IMMEDIATE")
        settings_sql.put(conn, "store.id", clinic_id)
        conn.execute("COMMIT")
    finally:
        conn.close()
    # The key file is written last: a store without one is recognisably unfinished.
    write_atomically(
        data_dir / keys.KEYFILE_NAME, (json.dumps(keyfile_doc, indent=2) + "\n").encode()
    )
    (data_dir / PAGES_DIR).mkdir(exist_ok=True)
    store = Store(data_dir, master, clinic_id)
    store.in_keyring = keys.keyring_save(clinic_id, master)
    from clinicrecords.db.seed import seed_doc_types

    with store.db.write() as c:
        seed_doc_types(c)
    return store
