"""Page images as encrypted files beside the database vs BLOBs inside SQLCipher.

Measures write and read throughput for N synthetic page-sized objects both ways, then the cost
of a *second* nightly backup after 1 % more pages arrive: a full database copy for BLOBs vs the
incremental copy the content-addressed store allows. Last line:
``pages=N files_write_ms=.. blob_write_ms=.. files_read_ms=.. blob_read_ms=.. nightly_files_s=.. nightly_blob_s=..``

    .venv/bin/python bench/pagestore.py --pages 3000 --kb 60
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from clinicrecords.clinic import keys
from clinicrecords.db.connection import open_connection
from clinicrecords.db.pagestore import PageStore


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=3000)
    ap.add_argument("--kb", type=int, default=60, help="size of one stored page image")
    args = ap.parse_args()
    n, size = args.pages, args.kb * 1024
    master = keys.new_master_key()
    dk = keys.derive_keys(master)
    root = Path(tempfile.mkdtemp(prefix="cr-bench-"))
    try:
        payloads = [os.urandom(size) for _ in range(min(n, 200))]

        def page(i: int) -> bytes:
            return i.to_bytes(8, "big") + payloads[i % len(payloads)][8:]

        store = PageStore(root / "pages", dk.page_enc, dk.page_name)
        t = time.perf_counter()
        ids = [store.put(page(i))[0] for i in range(n)]
        files_write = (time.perf_counter() - t) / n * 1000

        db = open_connection(root / "blobs.db", dk.database)
        db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, data BLOB)")
        t = time.perf_counter()
        for i in range(n):  # one transaction per page, as a filing clerk commits them
            db.execute("BEGIN")
            db.execute("INSERT INTO b (id, data) VALUES (?, ?)", (i, page(i)))
            db.execute("COMMIT")
        blob_write = (time.perf_counter() - t) / n * 1000

        sample = range(0, n, max(1, n // 500))
        t = time.perf_counter()
        for i in sample:
            store.get(ids[i])
        files_read = (time.perf_counter() - t) / len(sample) * 1000
        t = time.perf_counter()
        for i in sample:
            db.execute("SELECT data FROM b WHERE id = ?", (i,)).fetchone()
        blob_read = (time.perf_counter() - t) / len(sample) * 1000

        # first backups
        shutil.copytree(root / "pages", root / "bk_pages")
        bk = open_connection(root / "bk_blobs.db", dk.database)
        db.backup(bk)
        bk.close()
        # 1 % more pages, then the nightly backup each way
        extra = max(1, n // 100)
        new_ids = [store.put(page(n + i))[0] for i in range(extra)]
        for i in range(extra):
            db.execute("INSERT INTO b (id, data) VALUES (?, ?)", (n + i, page(n + i)))
        t = time.perf_counter()
        for blob_id in new_ids:
            dst = root / "bk_pages" / blob_id[:2] / blob_id
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(store.path_for(blob_id), dst)
        # (a real run also lists the store to find new names: measured separately below)
        t_list = time.perf_counter()
        sum(1 for _ in store.iter_blob_ids())
        list_s = time.perf_counter() - t_list
        nightly_files = time.perf_counter() - t
        t = time.perf_counter()
        (root / "bk_blobs.db").unlink()
        bk = open_connection(root / "bk_blobs.db", dk.database)
        db.backup(bk)
        bk.close()
        nightly_blob = time.perf_counter() - t
        db.close()
        scale = 500_000 / n
        print(f"stored {n} pages of {args.kb} KB; {extra} new pages before the nightly backup")
        print(f"listing the page store: {list_s:.3f} s")
        print(
            f"extrapolated to 500,000 pages: nightly backup files ~{nightly_files * scale:.0f} s "
            f"vs BLOB database copy ~{nightly_blob * scale:.0f} s (and {500_000 * size / 1e9:.0f} GB "
            "rewritten every night)"
        )
        print(
            f"pages={n} files_write_ms={files_write:.2f} blob_write_ms={blob_write:.2f} "
            f"files_read_ms={files_read:.2f} blob_read_ms={blob_read:.2f} "
            f"nightly_files_s={nightly_files:.2f} nightly_blob_s={nightly_blob:.2f}"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
