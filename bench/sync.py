"""Clinic-network benchmark: push, pull, propagation and join against a real PostgreSQL.

    python bench/sync.py --workstations 3 --events 1000 [--pages N] [--poll 30] [--samples 20]

Starts a throwaway PostgreSQL cluster (``tests/pgserver.py``; fsync on, as a real server).
Workstation 1 is a real encrypted store holding N charts and ``--pages`` filed pages (default
N/2, the clinic of the join target: 20,000 charts, 10,000 pages; one page per document, ~50 KB
of incompressible image bytes and ~1.5 KB of OCR text each), attached (its history uploaded);
workstations 2..W-1 join. Then:
- workstation 1 makes N changes offline (a day's work: 5 % new charts, 95 % edits of a phone
  number or an address, 50 changes per transaction): push rate;
- workstation 2 pulls and applies them: pull rate (push + pull = "N offline changes
  reconciled");
- propagation: every workstation runs the desktop's live sync loop (``sync/loop.py``: woken by
  LISTEN/NOTIFY and by its own outbox, polling every ``--poll`` seconds only as a fallback), a
  chart is registered on workstation 1 at random moments, and the time until workstation 2's
  store has it is measured;
- the last workstation joins only now, replaying the whole log: join time.
The last line is machine-readable:
`events=N push_per_s=X pull_per_s=Y propagation_p95_ms=Z join_s=W pages=P`.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402

from clinicrecords.clinic import auth  # noqa: E402
from clinicrecords.clinic.session import Session  # noqa: E402
from clinicrecords.clinic.store import Store  # noqa: E402
from clinicrecords.db import sync_sql  # noqa: E402
from clinicrecords.records.documents import PageInput, add_document  # noqa: E402
from clinicrecords.registry.patients import (  # noqa: E402
    PatientInput,
    change_fields,
    insert_validated,
    validate,
)
from clinicrecords.sync import address, client, server  # noqa: E402
from clinicrecords.sync.loop import SyncLoop  # noqa: E402
from clinicrecords.synthetic import generate_patients  # noqa: E402
from tests.pgserver import start_cluster  # noqa: E402

PASSPHRASE = "bench passphrase for a synthetic clinic"
PASSWORD = "bench-password-1"


def register_many(session: Session, people, per_tx: int = 100) -> None:
    for start in range(0, len(people), per_tx):
        with session.db.write() as conn:
            for p in people[start : start + per_tx]:
                fields = PatientInput(p.family, p.given, p.dob, p.sex, phone=p.phone)
                insert_validated(session, conn, validate(fields), None, None)


def offline_day(session: Session, new_people, rng: random.Random, per_tx: int = 50) -> None:
    """len(new_people) changes: 5 % registrations, the rest phone or address edits."""
    with session.db.read() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM patients")]
    for start in range(0, len(new_people), per_tx):
        with session.db.write():
            for i, p in enumerate(new_people[start : start + per_tx], start):
                if i % 20 == 0:
                    register_many(session, [p])
                elif i % 2:
                    change_fields(session, rng.choice(ids), {"phone": f"555-{i:04d}"})
                else:
                    change_fields(session, rng.choice(ids), {"address": f"{i} Offline Road"})


def file_pages(session: Session, count: int, rng: random.Random) -> None:
    """``count`` one-page documents spread over the charts, through the filing service."""
    with session.db.read() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM patients")]
    words = ("glucose", "sodium", "potassium", "creatinine", "referral", "follow-up", "history")
    for _ in range(count):
        side = 224  # ~50 KB of random pixels: about a compressed 300-dpi bilevel page
        img = Image.frombytes("L", (side, side), rng.randbytes(side * side))
        buf = io.BytesIO()
        img.save(buf, format="PNG", dpi=(300, 300))
        text = " ".join(rng.choice(words) for _ in range(200))
        add_document(
            session, rng.choice(ids), "lab", None, [PageInput(buf.getvalue(), ocr_text=text)]
        )


def has_chart(store: Store, mrn: str) -> bool:
    with store.db.read() as conn:
        return sync_sql.patient_id_with_mrn(conn, mrn) is not None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workstations", type=int, default=3)
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--pages", type=int, default=None, help="filed pages (default events/2)")
    ap.add_argument("--poll", type=float, default=30.0, help="the loops' fallback poll (s)")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.workstations < 3:
        ap.error("--workstations must be at least 3 (a producer, a puller, a late joiner)")
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    cluster = start_cluster(durable=True)
    stores: list[Store] = []
    try:
        url = cluster.create_database("bench")
        ws1_store, _ = Store.create(root / "ws1", PASSPHRASE, "Bench Clinic")
        stores.append(ws1_store)
        auth.create_first_admin(ws1_store, "admin", PASSWORD)
        ws1 = auth.login(ws1_store, "admin", PASSWORD)
        n = args.events
        people = generate_patients(2 * n + args.samples, seed=args.seed, confusable_rate=0)
        register_many(ws1, people[:n])
        n_pages = n // 2 if args.pages is None else args.pages
        t = time.perf_counter()
        file_pages(ws1, n_pages, rng)
        print(f"filing {n_pages} pages on ws1: {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        server.attach(ws1, url, "ws1")
        print(
            f"attach of a store with {n} charts and {n_pages} pages (history uploaded): "
            f"{time.perf_counter() - t:.2f} s"
        )
        for i in range(2, args.workstations):
            store, _, _ = server.join_open(
                root / f"ws{i}", url, PASSPHRASE, "admin", PASSWORD, workstation_name=f"ws{i}"
            )
            stores.append(store)
        ws2_store = stores[1]
        offline_day(ws1, people[n : 2 * n], rng)

        state1 = client.require_state(ws1_store)
        with address.connect(url) as pg:
            t = time.perf_counter()
            pushed = client.push(ws1_store, pg, state1)
            push_s = time.perf_counter() - t
        state2 = client.require_state(ws2_store)
        with address.connect(url) as pg:
            t = time.perf_counter()
            pulled, _ = client.pull(ws2_store, pg, state2)
            pull_s = time.perf_counter() - t
        assert pushed == args.events and pulled == args.events, (pushed, pulled)
        print(
            f"push {pushed} events: {push_s:.2f} s; pull+apply on ws2: {pull_s:.2f} s; "
            f"{args.events} offline changes reconciled in {push_s + pull_s:.2f} s"
        )
        for store in stores:
            client.sync_once(store)

        loops = [SyncLoop(s, poll_s=args.poll) for s in stores]
        for loop in loops:
            loop.start()
        while not all(loop.status().online for loop in loops):
            time.sleep(0.05)
        delays = []
        for p in people[2 * n :]:
            time.sleep(rng.uniform(0, 0.5))
            with ws1.db.write() as conn:
                pid = insert_validated(
                    ws1, conn, validate(PatientInput(p.family, p.given, p.dob, p.sex)), None, None
                )
                mrn = conn.execute("SELECT mrn FROM patients WHERE id = ?", (pid,)).fetchone()[0]
            t0 = time.perf_counter()
            while not has_chart(ws2_store, mrn):
                time.sleep(0.005)
            delays.append((time.perf_counter() - t0) * 1000)
        for loop in loops:
            loop.stop()
        delays.sort()
        p95 = delays[max(0, int(round(0.95 * len(delays))) - 1)]
        print(
            f"propagation ws1 -> ws2, live sync loops (LISTEN/NOTIFY, poll {args.poll:g} s): "
            f"median {statistics.median(delays):.0f} ms, p95 {p95:.0f} ms, max {delays[-1]:.0f} ms"
        )

        t = time.perf_counter()
        late, _, joined = server.join_open(
            root / "late", url, PASSPHRASE, "admin", PASSWORD, workstation_name="late"
        )
        join_s = time.perf_counter() - t
        stores.append(late)
        with late.db.read() as conn:
            charts = conn.execute("SELECT count(*) FROM patients").fetchone()[0]
            pages = conn.execute("SELECT count(*) FROM pages").fetchone()[0]
        assert pages == n_pages, (pages, n_pages)
        print(
            f"join: {joined.pulled} events replayed, {charts} charts, {pages} pages, {join_s:.2f} s"
        )
        print(
            f"events={args.events} push_per_s={args.events / push_s:.0f} "
            f"pull_per_s={args.events / pull_s:.0f} propagation_p95_ms={p95:.0f} "
            f"join_s={join_s:.2f} pages={pages}"
        )
    finally:
        for store in stores:
            store.close()
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
