"""The whole scan pipeline on a labelled synthetic corpus: speed and suggestion accuracy.

Writes a corpus with the synthetic generator (mixed degradation: clean, office, fax, bad; PDF,
TIFF, PNG, JPEG; a few pages upside down), creates a fresh encrypted store with the corpus's
patients, then times what a clinic PC does with the paper:

    import_files (copy + commit)  ->  process_batch (split, cleanup, header OCR, suggestions,
    page stored; then full-page OCR), on ``--workers`` cores (default 2).

Figures:
* pages_per_min: pages / wall time from the first import to the last full-page text.
* first_suggestion_median_s: per page, the time from a worker picking the page up (cleaned,
  header read, suggestions made, page encoded) to its suggestions; the wait a clerk sees for
  a page that arrives at an idle pipeline. The time from the batch's start to its first
  suggestion (including the import) is printed too.
* accuracy, per document (its pages' suggestions merged): patient top-1, type top-1, date
  top-1, and confident suggestions naming the wrong patient (per page; target 0).

Usage: python bench/ocr.py [--pages N] [--seed S] [--workers W] [--patients P] [--keep DIR]
The last line is machine-readable: ``pages=N pages_per_min=X first_suggestion_median_s=Y``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
os.environ["OMP_THREAD_LIMIT"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clinicrecords.clinic import auth
from clinicrecords.clinic.store import Store  # noqa: E402
from clinicrecords.intake.batches import PageEvent, process_batch  # noqa: E402
from clinicrecords.intake.codec import suggestions_from_json  # noqa: E402
from clinicrecords.intake.grouping import merge_suggestions  # noqa: E402
from clinicrecords.intake.importing import import_files  # noqa: E402
from clinicrecords.registry.patient_import import import_patients_csv  # noqa: E402
from clinicrecords.synthetic.corpus import build_corpus  # noqa: E402

PASSWORD = "bench-password-1"


def _corpus(out: Path, pages: int, seed: int, patients: int) -> list[dict]:
    """Documents from the generator until there are ``pages`` pages (last one trimmed off)."""
    docs = max(1, round(pages / 1.1))  # the generator averages ~1.2-1.4 pages a document
    build_corpus(out, docs, seed=seed, profile="mixed", n_patients=patients, jobs=2)
    labels = json.loads((out / "labels.json").read_text("utf-8"))["documents"]
    chosen, total = [], 0
    for lab in labels:
        if total >= pages:
            break
        chosen.append(lab)
        total += lab["pages"]
    return chosen


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--patients", type=int, default=500)
    ap.add_argument("--keep", type=Path, default=None, help="reuse/keep the corpus here")
    a = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    corpus_dir = a.keep or tmp / "corpus"
    t = time.perf_counter()
    if (corpus_dir / "labels.json").exists():
        labels = json.loads((corpus_dir / "labels.json").read_text("utf-8"))["documents"]
        chosen, total = [], 0
        for lab in labels:
            if total >= a.pages:
                break
            chosen.append(lab)
            total += lab["pages"]
    else:
        chosen = _corpus(corpus_dir, a.pages, a.seed, a.patients)
    print(
        f"corpus: {len(chosen)} documents, {sum(c['pages'] for c in chosen)} pages "
        f"({time.perf_counter() - t:.0f} s to write; not timed)"
    )

    store, _ = Store.create(tmp / "store", "bench passphrase for a synthetic clinic", "Bench")
    auth.create_first_admin(store, "admin", PASSWORD, "Bench Admin")
    session = auth.login(store, "admin", PASSWORD)
    imported = import_patients_csv(session, corpus_dir / "patients.csv")
    with store.db.read() as conn:
        by_source = {r[0]: r[1] for r in conn.execute("SELECT source_id, id FROM patients")}
    print(f"registry: {imported.added} patients")

    events: list[PageEvent] = []
    first_at: list[float] = []
    t0 = time.perf_counter()
    cpu0 = os.times()

    def on_page(ev: PageEvent) -> None:
        if ev.kind == "suggested" and not first_at:
            first_at.append(time.perf_counter() - t0)
        events.append(ev)

    files = [corpus_dir / c["file"] for c in chosen]
    report = import_files(session, files, source="import")
    t_import = time.perf_counter() - t0
    result = process_batch(session, report.batch_id, on_page=on_page, workers=a.workers)
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    cpu = sum(cpu1[:4]) - sum(cpu0[:4])  # user + system, ours and Tesseract's
    n_pages = result.pages

    # -- accuracy ------------------------------------------------------------------------
    with store.db.read() as conn:
        rows = conn.execute(
            "SELECT p.id, p.suggestion, f.original_name FROM pages p "
            "JOIN imported_files f ON f.id = p.file_id WHERE p.batch_id = ? ORDER BY p.seq",
            (report.batch_id,),
        ).fetchall()
    per_file: dict[str, list] = {}
    for _pid, sugg, name in rows:
        per_file.setdefault(name, []).append(suggestions_from_json(sugg))
    ok_patient = ok_type = ok_date = confident_wrong = confident = 0
    for lab in chosen:
        truth = by_source.get(lab["patient_source_id"])
        pages = per_file.get(Path(lab["file"]).name, [])
        for s in pages:
            c = s.confident_patient
            if c is not None:
                confident += 1
                if c.patient_id != truth:
                    confident_wrong += 1
        merged = merge_suggestions(pages)
        ok_patient += bool(merged.patient) and merged.patient[0].patient_id == truth
        ok_type += bool(merged.doc_type) and merged.doc_type[0].value == lab["doc_type"]
        ok_date += bool(merged.doc_date) and merged.doc_date[0].value == lab["doc_date"]
    n_docs = len(chosen)
    sugg_times = [e.seconds for e in events if e.kind == "suggested"]
    text_times = [e.seconds for e in events if e.kind == "text"]
    median_first = statistics.median(sugg_times) if sugg_times else float("nan")
    print(f"import (copy + commit + check) {t_import:.1f} s for {len(files)} files")
    print(
        f"per page: suggestions median {median_first:.2f} s (p90 "
        f"{sorted(sugg_times)[int(0.9 * (len(sugg_times) - 1))]:.2f} s), full text median "
        f"{statistics.median(text_times) if text_times else 0:.2f} s"
    )
    print(f"batch start to first suggestion: {first_at[0] if first_at else float('nan'):.2f} s")
    print(f"problems: {len(result.problems)}")
    print(
        f"documents {n_docs}: patient top-1 {ok_patient / n_docs:.1%}, type top-1 "
        f"{ok_type / n_docs:.1%}, date top-1 {ok_date / n_docs:.1%}"
    )
    print(
        f"confident patient suggestions: {confident} of {n_pages} pages; confident wrong: "
        f"{confident_wrong}"
    )
    print(
        f"wall {wall:.1f} s on {a.workers} worker(s); cpu count {os.cpu_count()}; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"cpu {cpu:.1f} s ({cpu / max(n_pages, 1):.2f} s a page): on {a.workers} idle cores "
        f"that is {n_pages / (cpu / a.workers) * 60:.0f} pages/min"
    )
    session.store.close()
    shutil.rmtree(tmp, ignore_errors=True)  # the store (and the corpus, unless --keep)
    print(
        f"pages={n_pages} pages_per_min={n_pages / wall * 60:.1f} "
        f"first_suggestion_median_s={median_first:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
