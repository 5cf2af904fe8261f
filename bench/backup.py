"""What checking every backed-up page costs a nightly backup.

A backup no longer trusts a page file in the backup folder because its size looks right: each
page the new generation relies on is read and its AES-GCM tag checked, and a damaged one is
copied again. This builds a real store of N incompressible pages, makes a first backup, adds
1 % new pages, and times the nightly (second) backup as the program runs it, plus the page
check on its own against the size-only test it replaced, with the pages in the page cache
(warm) and, where this machine lets us drop the cache, read from the disk (cold). Last line:
``pages=N kb=K first_s=.. nightly_s=.. check_warm_ms=.. size_only_ms=.. check_cold_ms=..``
(milliseconds per page).

    .venv/bin/python bench/backup.py --pages 3000 --kb 60
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

from clinicrecords.admin import backup
from clinicrecords.clinic import auth
from clinicrecords.clinic.store import Store  # noqa: E402
from clinicrecords.db import documents_sql  # noqa: E402
from clinicrecords.db.pagestore import PageStore  # noqa: E402
from clinicrecords.records.documents import PageInput, add_document  # noqa: E402
from clinicrecords.registry.patients import PatientInput, register_patient  # noqa: E402

PASSPHRASE = "bench passphrase for a synthetic clinic"
PASSWORD = "bench-password-1"


def _page(rng: random.Random, kb: int) -> bytes:
    """An incompressible PNG of about ``kb`` KB (a scanned page's size in the store)."""
    import io

    from PIL import Image

    side = int((kb * 1024) ** 0.5)
    buf = io.BytesIO()
    Image.frombytes("L", (side, side), rng.randbytes(side * side)).save(buf, format="PNG")
    return buf.getvalue()


def _fill(session, rng: random.Random, pages: int, kb: int, start: int) -> None:  # type: ignore[no-untyped-def]
    per_doc = 30
    for d in range(0, pages, per_doc):
        n = min(per_doc, pages - d)
        name = "Bench" + "".join(chr(65 + int(c)) for c in str(start + d))
        p = register_patient(session, PatientInput(family=name, given="Pat", dob=date(1970, 1, 1)))
        add_document(session, p.id, "lab", None, [PageInput(_page(rng, kb)) for _ in range(n)])


def _drop_caches() -> bool:
    subprocess.run(["sync"], check=False)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=3000)
    ap.add_argument("--kb", type=int, default=60, help="size of one stored page image")
    ap.add_argument("--dir", type=Path, default=None, help="where to build (default: a temp dir)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="cr-bench-backup-", dir=args.dir))
    rng = random.Random(7)
    try:
        store, _ = Store.create(root / "data", PASSPHRASE, "Bench Clinic")
        auth.create_first_admin(store, "admin", PASSWORD, "Bench Admin")
        session = auth.login(store, "admin", PASSWORD)
        t = time.perf_counter()
        _fill(session, rng, args.pages, args.kb, 0)
        print(f"stored {args.pages} pages of ~{args.kb} KB in {time.perf_counter() - t:.0f} s")
        bk = root / "bk"
        t = time.perf_counter()
        backup.backup(session, bk)
        first = time.perf_counter() - t
        extra = max(1, args.pages // 100)
        _fill(session, rng, extra, args.kb, args.pages)
        t = time.perf_counter()
        nightly = backup.backup(session, bk)
        nightly_s = time.perf_counter() - t
        assert nightly.pages_copied == extra, nightly

        conn = store.db.connection()
        blobs = sorted({b for _, b, _ in documents_sql.all_page_blobs(conn)})
        bk_pages = PageStore(bk / "pages", store.derived.page_enc, store.derived.page_name)

        def check() -> float:
            t = time.perf_counter()
            for blob_id in blobs:
                assert backup._backed_up_state(bk_pages, blob_id) == "ok"
            return (time.perf_counter() - t) / len(blobs) * 1000

        def size_only() -> float:  # what the backup did before: compare sizes
            t = time.perf_counter()
            for blob_id in blobs:
                _ = bk_pages.path_for(blob_id).stat().st_size == (
                    store.pages.path_for(blob_id).stat().st_size
                )
            return (time.perf_counter() - t) / len(blobs) * 1000

        check()  # warm the cache
        warm = check()
        stat = size_only()
        cold = check() if _drop_caches() else float("nan")
        mb = sum(bk_pages.path_for(b).stat().st_size for b in blobs) / 1e6
        scale = 500_000 / len(blobs)
        print(
            f"first backup {first:.1f} s; nightly backup after {extra} new pages {nightly_s:.2f} s "
            f"({mb:.0f} MB of pages checked)"
        )
        print(
            f"page check {warm:.3f} ms/page from the page cache, {cold:.3f} ms/page from disk; "
            f"size-only test {stat:.3f} ms/page"
        )
        print(
            f"extrapolated to 500,000 pages: checking every page costs ~{warm * 500:.0f} s "
            f"(cached) to ~{cold * 500:.0f} s (read from this disk) a night, against "
            f"~{stat * 500:.0f} s for the size-only test; this nightly backup would take "
            f"~{nightly_s * scale:.0f} s with the pages cached"
        )
        print(
            f"pages={len(blobs)} kb={args.kb} first_s={first:.2f} nightly_s={nightly_s:.2f} "
            f"check_warm_ms={warm:.3f} size_only_ms={stat:.3f} check_cold_ms={cold:.3f}"
        )
        store.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
