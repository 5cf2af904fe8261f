"""A ready-made synthetic demo clinic: patients, accounts and scanned documents.

Everything is generated (``clinicrecords.synthetic``); no real person is described. The demo's
passphrase and passwords are published in the README, so a demo store must never be used for
real records. A demo document's OCR text is the generator's ground-truth text, not a real OCR
run: building the demo stays quick, and the chart's text search has something to find.
"""

from __future__ import annotations

import io
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

from clinicrecords.clinic import auth
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import set_setting
from clinicrecords.clinic.store import PASSPHRASE_ENV, Store, is_store
from clinicrecords.common.errors import AuthError
from clinicrecords.db import patients as patients_sql
from clinicrecords.db import settings_sql
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry import lookup

DEMO_PASSPHRASE = "demo-clinic-passphrase"
DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    ("admin", "admin", "Avery Admin"),
    ("frontdesk", "clerk", "Casey Clerk"),
    ("manager", "release", "Morgan Manager"),
)
SENSITIVE_MIX = ("mental_health", "substance_use", "hiv_sti", "genetic")
COMMON_MIX = (
    "lab",
    "imaging",
    "consult",
    "referral",
    "discharge",
    "progress_note",
    "immunization",
    "medication",
    "insurance",
    "correspondence",
)


def print_progress(done: int, total: int, what: str) -> None:
    sys.stderr.write(f"\r{what}: {done}/{total}   ")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _png(image) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False, dpi=(150, 150))
    return buf.getvalue()


def build_demo(
    data_dir: Path,
    username: str | None,
    n_patients: int = 300,
    charts_with_documents: int = 40,
    seed: int = 7,
    progress: Callable[[int, int, str], None] | None = None,
) -> dict:
    """Create the demo store if absent (demo passphrase/passwords), then add patients and documents."""
    created = False
    password = os.environ.get("CLINICRECORDS_PASSWORD") or DEMO_PASSWORD
    if not is_store(Path(data_dir)):
        phrase = os.environ.get(PASSPHRASE_ENV) or DEMO_PASSPHRASE
        store, _ = Store.create(Path(data_dir), phrase, "Maple Street Family Clinic (DEMO)")
        created = True
        admin_name = username or "admin"
        auth.create_first_admin(store, admin_name, password, "Avery Admin")
        session = auth.login(store, admin_name, password)
        for name, role, full in DEMO_USERS:
            if name != admin_name:
                auth.add_user(session, name, role, password, full)
        set_setting(session, "clinic.address", "12 Maple Street, Springfield, ST 00000")
        set_setting(session, "clinic.phone", "(555) 010-2000")
        with store.db.write() as conn:
            settings_sql.put(conn, "demo", True)
    else:
        phrase = os.environ.get(PASSPHRASE_ENV) or DEMO_PASSPHRASE
        store = Store.open(Path(data_dir), phrase)
        name = username or os.environ.get("CLINICRECORDS_USER") or "admin"
        try:
            session = auth.login(store, name, password)
        except AuthError:
            store.close()
            raise
    try:
        added_docs = _fill(session, n_patients, charts_with_documents, seed, progress)
    finally:
        auth.logout(session)
        store.close()
    return {
        "data_dir": str(data_dir),
        "created": created,
        "patients": n_patients,
        "documents": added_docs,
        "users": [u[0] for u in DEMO_USERS] if created else [],
    }


def _fill(
    session: Session,
    n: int,
    charts_with_docs: int,
    seed: int,
    progress: Callable[[int, int, str], None] | None,
) -> int:
    from clinicrecords.synthetic import generate_patients
    from clinicrecords.synthetic.documents import generate_documents

    with session.db.read() as conn:
        start = patients_sql.max_mrn_number(conn) + 1
    people = generate_patients(n, seed=seed, start_mrn=start)
    with session.db.write() as conn:
        patients_sql.insert_many(conn, people, source=f"demo:{seed}:{start}")
        settings_sql.put(conn, "mrn.next", start + n)
        session.audit("patient.import", "demo", seed, conn=conn, added=n)
    lookup.invalidate(session.store)

    rng = random.Random(seed)
    chosen = people[: min(charts_with_docs, len(people))]
    with session.db.read() as conn:
        ids = {p.mrn: patients_sql.id_by_mrn(conn, p.mrn) for p in chosen}
    total = 0
    plan: list[tuple[object, str]] = []
    for i, p in enumerate(chosen):
        kinds = rng.sample(COMMON_MIX, rng.randint(2, 4))
        if i % 3 == 0:
            kinds.append(SENSITIVE_MIX[(i // 3) % len(SENSITIVE_MIX)])
        plan.extend((p, k) for k in kinds)
    for done, (p, kind) in enumerate(plan, 1):
        doc = next(generate_documents([p], 1, seed=seed * 1000 + done, doc_types=[kind], dpi=150))
        add_document(
            session,
            ids[p.mrn],
            doc.doc_type,
            doc.doc_date,
            [
                PageInput(_png(img), "image/png", doc.text if j == 0 else "")
                for j, img in enumerate(doc.pages)
            ],
            title=doc.doc_type.replace("_", " ").title(),
            author=doc.author,
            facility=doc.facility,
        )
        total += 1
        if progress:
            progress(done, len(plan), "Demo documents")
    from clinicrecords.release.demo_seed import seed_demo_requests

    seed_demo_requests(session, [ids[p.mrn] for p in chosen])
    return total


def describe(result: dict) -> str:
    lines = [
        f"Demo clinic in {result['data_dir']}: {result['patients']} patients added, "
        f"{result['documents']} documents."
    ]
    if result["created"]:
        lines.append(f"Passphrase: {DEMO_PASSPHRASE} (unless CLINICRECORDS_PASSPHRASE was set)")
        lines.append(
            f"Users: {', '.join(result['users'])}; password: {DEMO_PASSWORD} "
            "(unless CLINICRECORDS_PASSWORD was set)"
        )
    return "\n".join(lines)
