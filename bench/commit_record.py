"""What the record of the newest commit (``audit-head``, see ``clinicrecords/clinic/audit.py``) costs.

Registers N patients (one committed, audited action each, as a clerk's form does) in four
fresh stores: without the record, with it written by rename only, with an fsync of the file
before the rename, and with the file and its folder fsynced (what the store does). The
database itself commits with ``synchronous=FULL`` in every store. The four take turns in
rounds of 25 registrations, so that other load on the machine falls on all of them alike;
the figure is the median round, in ms per registration. Last line:
``patients=N none_ms=.. rename_ms=.. fsync_file_ms=.. fsync_file_dir_ms=..``

    .venv/bin/python bench/commit_record.py --patients 1000 --data-dir /path/on/the/real/disk
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from clinicrecords.clinic import audit, auth
from clinicrecords.clinic import store as store_mod
from clinicrecords.clinic.store import Store  # noqa: E402
from clinicrecords.db.pagestore import fsync_dir  # noqa: E402
from clinicrecords.registry.patients import PatientInput, register_patient  # noqa: E402

PASSPHRASE = "bench passphrase, synthetic only"
MODES = ("none", "rename", "fsync_file", "fsync_file_dir")
ROUND = 25


def set_mode(mode: str) -> None:
    store_mod.DURABLE_HEAD = mode in ("fsync_file", "fsync_file_dir")
    # fsync of the file but not of its folder: the rename itself may be lost at a power cut
    audit.fsync_dir = (lambda folder: None) if mode == "fsync_file" else fsync_dir  # type: ignore[assignment]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--data-dir", type=Path, default=None, help="a folder on the disk to measure")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cr-bench-", dir=args.data_dir))
    stores, sessions = {}, {}
    try:
        for mode in MODES:
            store, _ = Store.create(root / mode, PASSPHRASE, "Bench")
            auth.create_first_admin(store, "admin", "bench-password-1", "Admin")
            sessions[mode] = auth.login(store, "admin", "bench-password-1")
            if mode == "none":
                store.db.after_commit = None
            stores[mode] = store
        rounds: dict[str, list[float]] = {m: [] for m in MODES}
        for r in range(max(1, args.patients // ROUND)):
            for mode in MODES:
                set_mode(mode)
                start = time.perf_counter()
                for i in range(r * ROUND, (r + 1) * ROUND):
                    register_patient(
                        sessions[mode],
                        PatientInput(
                            family=f"Bench{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}",
                            given="Ann",
                            dob=date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                        ),
                    )
                rounds[mode].append((time.perf_counter() - start) / ROUND * 1000)
        set_mode("fsync_file_dir")
        figures = {m: statistics.median(v) for m, v in rounds.items()}
        for mode in MODES:
            print(f"{mode:16} {figures[mode]:.2f} ms per registration (median of rounds)")
        print(
            f"patients={args.patients} none_ms={figures['none']:.2f} "
            f"rename_ms={figures['rename']:.2f} fsync_file_ms={figures['fsync_file']:.2f} "
            f"fsync_file_dir_ms={figures['fsync_file_dir']:.2f}"
        )
    finally:
        for store in stores.values():
            store.close()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
