"""Push and pull: one round of sync between this PC's replica and the clinic server.

``sync_once`` = refill MRN blocks if low → push the outbox → pull and apply → confirm
provisional MRNs (and push those). Every step is resumable at any instant (kill -9, cable
pulled, server stopped):

- **Push** sends outbox rows in order, ``INSERT … ON CONFLICT (id) DO NOTHING``, a batch per
  server transaction under the clinic's lock (``server_sql.lock_clinic``), page objects named
  by an event in the same transaction before it. A row is marked sent after the server
  committed; a crash in between only means the batch is sent again, and the server skips it.
- **Pull** reads the clinic's log after this PC's cursor, in server order, and applies each
  batch through the projectors with the cursor and the ``sync_applied`` ids in the *same*
  SQLCipher transaction: a batch is applied exactly once or not at all. This PC's own events
  come back too, recognised by id (they are in the outbox), and confirm its edits.

Running continuously (the desktop) is ``loop.SyncLoop``, a thread around ``sync_once``:
``LISTEN clinicrecords_events`` on a second connection wakes it when another PC pushed (the
server's insert trigger notifies, payload = clinic id), a glance at the outbox when this PC
wrote; a poll covers a lost notification; while the server is away the wait doubles from 1 s
up to a minute.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

import psycopg

from clinicrecords.clinic import keys
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import BadInput, ClinicError, ServerRefused, ServerUnreachable
from clinicrecords.common.timeutil import utc_now
from clinicrecords.db import patients as patients_sql
from clinicrecords.db import server_sql, settings_sql, sync_sql
from clinicrecords.db.pagestore import write_atomically
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import audit_chain as audit_events
from clinicrecords.events import capture, mrnblocks
from clinicrecords.events import documents as document_events
from clinicrecords.events import releases as release_events
from clinicrecords.events import types as ev
from clinicrecords.events.types import Event
from clinicrecords.sync import accounts, address, audit_chain, projectors, seal

PUSH_BATCH = 500
PULL_BATCH = 500
PAGE_CHUNK = 64  # page objects per round trip (at most a few MB in memory)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SyncResult:
    pushed: int
    pulled: int
    conflicts: int  # open conflicts after this round
    online: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


def require_state(store: Store) -> SyncState:
    with store.db.read() as conn:
        state = sync_sql.state(conn)
    if state is None:
        raise BadInput(
            "This PC is not on a clinic network: attach it with 'clinicrecords server attach "
            "URL', or join one with 'clinicrecords join URL' in an empty folder."
        )
    return state


def sync_once(store: Store, progress: Progress | None = None) -> SyncResult:
    state = require_state(store)
    pg = address.connect(state.server_url)
    try:
        require_schema(pg)
        if not server_sql.clinic_exists(pg, state.clinic_id):
            raise ServerRefused(
                "The clinic server does not hold this clinic (was its database replaced?): "
                "nothing was sent; ask the administrator to restore the server's database."
            )
        refill_mrn_blocks(store, pg, state)
        with store.db.write() as conn:  # charts and accounts made before this PC attached
            capture.share_unshared_charts(conn)
            accounts.share_unshared_accounts(conn)
            document_events.share_unshared_documents(conn)
            release_events.share_unshared_requests(conn)
            audit_events.share_audit_rows(conn)
        pushed = push(store, pg, state)
        share_keyfile_now(store, pg, state)
        pulled, _ = pull(store, pg, state, progress)
        if confirm_provisional_mrns(store):
            pushed += push(store, pg, state)
        with store.db.write() as conn:
            sync_sql.set_last_sync(conn, utc_now())
            conflicts = sync_sql.open_conflict_count(conn)
    except psycopg.OperationalError:
        raise address.lost() from None
    finally:
        pg.close()
    return SyncResult(pushed=pushed, pulled=pulled, conflicts=conflicts)


def require_schema(pg: psycopg.Connection) -> None:
    version = server_sql.schema_version(pg)
    if version is None:
        raise ServerRefused(
            "The clinic server's database is not set up: run 'clinicrecords server init-db' "
            "for the server's administrator first."
        )
    if version < server_sql.SCHEMA_VERSION:
        raise ServerRefused(
            "The clinic server's database was set up by an older version of the program: its "
            "administrator upgrades it with 'clinicrecords server init-db --upgrade'."
        )
    if version > server_sql.SCHEMA_VERSION:
        raise ServerRefused(
            "The clinic server was set up by a newer version of the program: update this PC."
        )


# --- push -----------------------------------------------------------------------------------


def push(store: Store, pg: psycopg.Connection, state: SyncState) -> int:
    key = store.derived.sync
    sent = 0
    while True:
        with store.db.read() as conn:
            rows = sync_sql.outbox_unpushed(conn, PUSH_BATCH)
        if not rows:
            return sent
        sealed, blobs = [], []
        for row in rows:
            data = json.loads(row.payload)
            envelope = {"v": 1, "type": row.type, "data": data, "wseq": row.wseq, "at": row.created}
            nonce, ciphertext = seal.seal(
                key, state.clinic_id, state.workstation_id, row.id, row.lamport, envelope
            )
            created = datetime.fromisoformat(row.created)
            sealed.append((row.id, state.workstation_id, row.lamport, created, nonce, ciphertext))
            blobs += ev.pages_named(row.type, data)
        with pg.transaction():
            server_sql.lock_clinic(pg, state.clinic_id)
            if blobs:
                push_pages(store, pg, state.clinic_id, blobs)
            server_sql.insert_events(pg, state.clinic_id, sealed)
        with store.db.write() as conn:
            sync_sql.outbox_mark_pushed(conn, [r.id for r in rows])
        sent += sum(1 for r in rows if r.type != audit_events.AUDIT_APPENDED)  # changes only


def push_pages(store: Store, pg: psycopg.Connection, clinic_id: str, blob_ids: list[str]) -> int:
    """Upload page-store objects the server lacks, as they are on disk (already encrypted)."""
    missing = sorted(server_sql.missing_pages(pg, clinic_id, sorted(set(blob_ids))))
    for i in range(0, len(missing), PAGE_CHUNK):  # a batch's pages are never all in memory
        chunk = missing[i : i + PAGE_CHUNK]
        server_sql.insert_pages(
            pg, clinic_id, [(b, store.pages.path_for(b).read_bytes()) for b in chunk]
        )
    return len(missing)


def fetch_pages(store: Store, pg: psycopg.Connection, clinic_id: str, blob_ids: list[str]) -> int:
    """Download page-store objects this PC lacks; each is authenticated before it is kept."""
    fetched = 0
    wanted = [b for b in dict.fromkeys(blob_ids) if not store.pages.exists(b)]
    for i in range(0, len(wanted), PAGE_CHUNK):
        chunk = wanted[i : i + PAGE_CHUNK]
        blobs = server_sql.page_blobs(pg, clinic_id, chunk)
        for blob_id in chunk:
            raw = blobs.get(blob_id)
            if raw is None:
                raise ServerRefused(
                    "A page another workstation stored is missing on the clinic server; sync "
                    "stopped before the change that names it."
                )
            path = store.pages.path_for(blob_id)
            write_atomically(path, raw)
            try:
                store.pages.get(blob_id)
            except ClinicError:
                path.unlink(missing_ok=True)
                raise ServerRefused(
                    "A page on the clinic server failed its integrity check; sync stopped "
                    "before the change that names it."
                ) from None
            fetched += 1
    return fetched


# --- pull -----------------------------------------------------------------------------------


def pull(
    store: Store, pg: psycopg.Connection, state: SyncState, progress: Progress | None = None
) -> tuple[int, projectors.Applied]:
    key = store.derived.sync
    total = server_sql.count_events(pg, state.clinic_id) if progress else 0
    applied_all = projectors.Applied()
    pulled = 0
    with store.db.read() as conn:
        replaying = sync_sql.state(conn).cursor == 0  # type: ignore[union-attr]
    while True:
        with store.db.read() as conn:
            cursor = sync_sql.state(conn).cursor  # type: ignore[union-attr]
        rows = server_sql.events_after(pg, state.clinic_id, cursor, PULL_BATCH)
        if not rows:
            break
        opened, refused = [], None
        for row in rows:  # apply what opens; stop before the first event that does not
            try:
                opened.append(_open(key, state.clinic_id, row))
            except ServerRefused as exc:
                refused = exc
                break
        blobs = [b for row, env in opened for b in ev.pages_named(env["type"], env["data"])]
        if blobs:
            fetch_pages(store, pg, state.clinic_id, blobs)
        applied = projectors.Applied()
        with store.db.write() as conn:
            current = sync_sql.state(conn)
            assert current is not None
            lamport = current.lamport
            batch: list[Event] = []
            for row, envelope in opened:
                if row.seq <= current.cursor or sync_sql.is_applied(conn, row.id):
                    continue  # another sync on this PC got here first
                event = Event(
                    id=row.id,
                    type=envelope["type"],
                    data=envelope["data"],
                    workstation_id=row.workstation_id,
                    lamport=row.lamport,
                    wseq=int(envelope["wseq"]),
                    seq=row.seq,
                    own=sync_sql.outbox_has(conn, row.id),
                )
                _check_order(conn, event, applied)
                projectors.apply(conn, current, event, applied)
                sync_sql.mark_applied(conn, event.id, event.seq)
                batch.append(event)
                if event.own:
                    sync_sql.outbox_remove(conn, event.id)
                elif event.workstation_id == current.workstation_id:
                    # This PC's own later work, lost to a restore from backup: applied like
                    # any other; its counter moves past it so new events do not reuse numbers.
                    sync_sql.raise_wseq(conn, event.wseq)
                lamport = max(lamport, event.lamport)
                pulled += event.type != audit_events.AUDIT_APPENDED  # changes, not bookkeeping
            if replaying:
                audit_chain.batch_applied_here(conn, batch)
            else:
                audit_chain.applied_here(conn, batch)
            if opened:
                sync_sql.advance(conn, opened[-1][0].seq, lamport)
        if applied.destroyed_blobs:  # pages destroyed under the retention schedule elsewhere
            from clinicrecords.records.retention import remove_objects

            remove_objects(store.pages, sorted(applied.destroyed_blobs))
        _refresh_lookup(store, applied.patients)
        applied_all.patients |= applied.patients
        applied_all.conflicts += applied.conflicts
        if progress:
            progress(pulled, max(total, pulled))
        if refused is not None:
            raise refused
    return pulled, applied_all


def _open(key: bytes, clinic_id: str, row: server_sql.ServerEvent) -> tuple:
    envelope = seal.open_sealed(
        key, clinic_id, row.workstation_id, row.id, row.lamport, row.nonce, row.ciphertext
    )
    return row, envelope


def _check_order(conn, event: Event, applied: projectors.Applied) -> None:
    """Each workstation numbers its events 1, 2, 3…: a gap means the server lost or withheld
    some, which no one may decide silently."""
    last = sync_sql.peer_last_wseq(conn, event.workstation_id)
    if event.wseq != last + 1:
        sync_sql.add_conflict(
            conn,
            event.id,
            "order",
            "workstation",
            event.workstation_id,
            event.seq,
            field="wseq",
            kept=str(event.wseq),
            replaced=str(last + 1),
        )
        applied.conflicts += 1
    sync_sql.set_peer_last_wseq(conn, event.workstation_id, event.wseq)


def _refresh_lookup(store: Store, patient_ids: set[int]) -> None:
    if not patient_ids:
        return
    from clinicrecords.registry import lookup

    if len(patient_ids) > 200:  # a big batch (a join): rebuilding on next use is cheaper
        lookup.invalidate(store)
        return
    with store.db.read() as conn:
        for pid in patient_ids:
            patient = patients_sql.get(conn, pid)
            if patient is not None:
                lookup.on_patient_changed(store, patient)


# --- the key file ---------------------------------------------------------------------------


def keyfile_changed(store: Store) -> bool:
    """Call *before* the key file is re-wrapped (a new recovery passphrase): marks it for the
    clinic server, which hands the newest key file to joining PCs; the old passphrase then
    joins no more. Returns whether this PC is on a clinic network. The mark is set first, so a
    crash in between only sends an unchanged key file once more."""
    with store.db.write() as conn:
        if not sync_sql.is_attached(conn):
            return False
        settings_sql.put(conn, "sync.keyfile_pending", True)
    return True


def share_keyfile(store: Store) -> bool:
    """Send a marked key file now; False (still marked, sent by the next sync) when the server
    cannot be reached."""
    state = require_state(store)
    try:
        pg = address.connect(state.server_url)
    except ServerUnreachable:
        return False
    try:
        require_schema(pg)
        share_keyfile_now(store, pg, state)
    except (psycopg.OperationalError, ServerRefused):
        return False  # still marked: the next sync sends it (or says why it cannot)
    finally:
        pg.close()
    return True


def share_keyfile_now(store: Store, pg: psycopg.Connection, state: SyncState) -> None:
    with store.db.read() as conn:
        if not settings_sql.get(conn, "sync.keyfile_pending", False):
            return
    doc = json.loads((store.data_dir / keys.KEYFILE_NAME).read_text("utf-8"))
    with pg.transaction():
        server_sql.insert_keyfile(pg, state.clinic_id, doc)
    with store.db.write() as conn:
        settings_sql.put(conn, "sync.keyfile_pending", False)


# --- MRNs -----------------------------------------------------------------------------------


def refill_mrn_blocks(store: Store, pg: psycopg.Connection, state: SyncState) -> None:
    with store.db.read() as conn:
        size = mrnblocks.refill_size(conn)
    if not size:
        return
    with pg.transaction():
        first, last = server_sql.reserve_mrn_block(pg, state.clinic_id, state.workstation_id, size)
    # Lost if this PC dies right here: the numbers are skipped, never handed out twice.
    with store.db.write() as conn:
        sync_sql.add_mrn_block(conn, first, last)


def confirm_provisional_mrns(store: Store) -> int:
    """Give this PC's provisional charts clinic MRNs from its blocks (emits the events)."""
    from clinicrecords.events.outbox import emit

    done = 0
    with store.db.write() as conn:
        for uid, provisional in sync_sql.provisional(conn):
            pid = sync_sql.local_id(conn, ev.PATIENT, uid)
            if pid is None or sync_sql.patient_field(conn, pid, "mrn") != provisional:
                sync_sql.remove_provisional(conn, uid)  # changed by hand meanwhile
                continue
            mrn = mrnblocks.take_block_mrn(conn)
            if mrn is None:
                break
            projectors.confirm_mrn(conn, pid, provisional, mrn)
            emit(
                conn, ev.PATIENT_MRN_CONFIRMED, {"uid": uid, "provisional": provisional, "mrn": mrn}
            )
            sync_sql.remove_provisional(conn, uid)
            done += 1
    if done:
        from clinicrecords.registry import lookup

        lookup.invalidate(store)
    return done


# --- status ---------------------------------------------------------------------------------


def status(store: Store, probe: bool = True) -> dict:
    """What ``sync status`` shows, with the keys of the live loop's status (``loop.py``).

    A command has no loop behind it, so ``offline_since`` is the last time this PC completed a
    sync (it cannot know of an outage earlier than that) and ``last_error`` is why the probe
    failed now."""
    state = require_state(store)
    online = False
    error = ""
    if probe:
        try:
            pg = address.connect(state.server_url)
            try:
                pg.execute("SELECT 1")
                online = True
            finally:
                pg.close()
        except ClinicError as exc:
            error = str(exc)
        except psycopg.Error:
            error = str(address.lost())
    with store.db.read() as conn:
        unsent, unordered = sync_sql.outbox_counts(conn)
        return {
            "online": online,
            "outbox": unsent,
            "awaiting_order": unordered,
            "last_sync": state.last_sync,
            "offline_since": None if online else state.last_sync,
            "last_error": error,
            "server": address.redact(state.server_url),
            "clinic": state.clinic_id,
            "workstation": state.workstation,
            "workstation_id": state.workstation_id,
            "cursor": state.cursor,
            "conflicts": sync_sql.open_conflict_count(conn),
            "mrns_left": sync_sql.block_numbers_left(conn),
            "provisional_mrns": len(sync_sql.provisional(conn)),
            "unshared_charts": sync_sql.patients_without_uid(conn),
        }
