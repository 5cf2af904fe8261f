"""What the retention schedule and a disposal run cost on a large store.

Builds a real store with N one-page documents over N/5 charts (page files are small random
objects in the real encrypted page store, OCR text on every page, 1 % of charts under a legal
hold, half the documents past their period), then times ``retention.due`` (the list the
administrator's screen shows) and ``retention.dispose`` (destroy, tombstones, full-text index
rewrite, certificate PDF, unlinking). Last line:
``documents=N due=D held=H due_s=.. dispose_s=.. destroyed=.. objects=.. certificate_kb=..``

    .venv/bin/python bench/retention.py --documents 20000
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from clinicrecords.clinic import auth  # noqa: E402
from clinicrecords.clinic.store import Store  # noqa: E402
from clinicrecords.db import documents_sql, retention_sql  # noqa: E402
from clinicrecords.db import patients as patients_sql  # noqa: E402
from clinicrecords.records import retention  # noqa: E402

PASSPHRASE = "bench passphrase for a synthetic clinic"
PASSWORD = "bench-password-1"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--documents", type=int, default=20000)
    args = ap.parse_args()
    n = args.documents
    with tempfile.TemporaryDirectory() as tmp:
        store, _ = Store.create(Path(tmp) / "store", PASSPHRASE, "Bench Clinic")
        auth.create_first_admin(store, "admin", PASSWORD, "Ada Admin")
        session = auth.login(store, "admin", PASSWORD)
        charts = max(1, n // 5)
        with session.db.write() as conn:
            pids = [
                patients_sql.insert(
                    conn,
                    {"mrn": f"B{i:07d}", "family": f"Bench{i}", "given": "Test", "sex": "U",
                     "dob": "1950-01-01" if i % 3 else "2008-06-01"},
                )
                for i in range(charts)
            ]  # fmt: skip
            for i in range(n):
                blob, sha = session.pages.put(secrets.token_bytes(2048))
                year = 2005 + (i % 20)  # half before 2015: past a 10-year period
                doc = documents_sql.insert_document(
                    conn, pids[i % charts], "lab", f"{year}-03-0{1 + i % 9}", "", "", "",
                    None, session.user.id,
                )  # fmt: skip
                documents_sql.insert_page(
                    conn, blob, sha, "image/png", 100, 100, 300, doc, 0, "filed",
                    f"potassium sodium creatinine page {i} benchword{i % 97}",
                )  # fmt: skip
            for pid in pids[: max(1, charts // 100)]:
                retention_sql.add_hold(conn, pid, "bench matter", session.user.id)
        on = date(2026, 6, 1)
        t0 = time.perf_counter()
        due = retention.due(session, on)
        due_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = retention.dispose(session, Path(tmp) / "certificate.pdf", on)
        dispose_s = time.perf_counter() - t0
        cert_kb = (Path(tmp) / "certificate.pdf").stat().st_size // 1024
        print(f"documents due {len(due.documents)} of {n}; held {due.held}")
        print(f"due list {due_s:.2f} s; dispose {dispose_s:.2f} s")
        print(
            f"documents={n} due={len(due.documents)} held={due.held} due_s={due_s:.2f} "
            f"dispose_s={dispose_s:.2f} destroyed={len(result.documents)} "
            f"objects={result.objects_removed} certificate_kb={cert_kb}"
        )
        store.close()


if __name__ == "__main__":
    main()
