"""Patient suggestions on mail pages about people (issue 10, classes 2-4).

Generates the pages of ``clinicrecords.synthetic.mail_people`` (crowded pages, previous
names, twins / Jr-Sr / look-alikes) against a registry of background charts plus each
scenario's own charts, and scores the patient suggestion per class:

- top1: the right chart first, over the pages a person could identify;
- confident_wrong: a confident suggestion naming the wrong chart, a chart for a page whose
  patient is not on file, or any chart on a page only a person can decide (target 0);
- review: share of pages without a confident suggestion.

Usage:  python bench/mail_people.py [--pages N] [--patients P] [--seed S] [--ocr]
        [--profile office|fax|bad|clean] [--cleanup] [--show-misses]
``--ocr`` renders each page, degrades it like a scan and reads it through the intake
pipeline's own steps (``ocr_accuracy.pipeline_read``: cleanup, header pass with the
orientation check and re-reads, rest of the page, stamp pass), as the mail corpus does; the
default builds the OCR word boxes from the printed text: fast, no OCR noise.
The last line is machine-readable JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ocr_accuracy.py

from clinicrecords.common.domain import Patient  # noqa: E402
from clinicrecords.scan.suggest import ocr_result_from_text, suggest  # noqa: E402
from clinicrecords.search.index import PatientIndex  # noqa: E402
from clinicrecords.synthetic.mail_people import MAIL_PEOPLE_CLASSES, charts_of  # noqa: E402
from clinicrecords.synthetic.patients import REFERENCE_DATE, generate_patients  # noqa: E402


def background(n: int, seed: int) -> list[Patient]:
    return [
        Patient(i + 1, p.mrn, p.family, p.given, p.dob, "U", p.middle, p.phone)
        for i, p in enumerate(generate_patients(n, seed=seed))
    ]


def outcome(page, s) -> tuple[bool, bool, bool]:
    """How one people page scored: (top-1 right on an identifiable page, confident-wrong,
    sent to review). Confident-wrong: a confident chart other than the page's patient, or
    any confident chart on a page only a person can decide. Shared with ocr_accuracy's
    mail corpus, which reads these pages too."""
    top = s.patient[0] if s.patient else None
    conf = s.confident_patient
    wrong = conf is not None and (page.must_review or conf.mrn != page.patient_mrn)
    right = page.identifiable and top is not None and top.mrn == page.patient_mrn
    return right, wrong, conf is None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=80, help="pages per class")
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--ocr", action="store_true")
    ap.add_argument("--profile", default="office")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument(
        "--cleanup", action="store_true", help="(kept for old commands: --ocr always cleans up)"
    )
    ap.add_argument("--show-misses", action="store_true")
    args = ap.parse_args(argv)

    pages = {c: fn(args.seed, args.pages) for c, fn in MAIL_PEOPLE_CLASSES.items()}
    everything = [p for ps in pages.values() for p in ps]
    index = PatientIndex([*background(args.patients, args.seed), *charts_of(everything)])

    results = {}
    if args.ocr:
        from concurrent.futures import ThreadPoolExecutor

        # The intake pipeline's own steps, the same code as ocr_accuracy's mail corpus:
        # cleanup, header pass (+ orientation check and re-reads), rest of the page.
        from ocr_accuracy import bench_pipeline, pipeline_read

        from clinicrecords.synthetic.degrade import degrade

        pipe = bench_pipeline()

        def read(i: int):
            img = degrade(everything[i].render(), random.Random(i), args.profile)
            return pipeline_read(pipe, img)[1]

        started = time.perf_counter()
        with ThreadPoolExecutor(args.workers or 2) as pool:
            ocr = list(pool.map(read, range(len(everything))))
        print(f"ocr {time.perf_counter() - started:.1f} s for {len(everything)} pages")
        results = {id(p): r for p, r in zip(everything, ocr, strict=True)}

    summary: dict[str, dict[str, float]] = {}
    total = {"pages": 0, "identifiable": 0, "top1": 0, "confident_wrong": 0, "review": 0}
    for cls, ps in pages.items():
        t = {k: 0 for k in ("pages", "identifiable", "top1", "confident_wrong", "review")}
        t["reason_ok"] = 0
        t["reason_expected"] = 0
        for p in ps:
            ocr = results[id(p)] if args.ocr else ocr_result_from_text(p.text)
            s = suggest(ocr, index, today=REFERENCE_DATE)
            top = s.patient[0] if s.patient else None
            right, wrong, review = outcome(p, s)
            t["pages"] += 1
            t["review"] += review
            t["confident_wrong"] += wrong
            if p.identifiable:
                t["identifiable"] += 1
                t["top1"] += right
            if p.expect_reason and p.identifiable:
                t["reason_expected"] += 1
                t["reason_ok"] += top is not None and p.expect_reason in top.reason
            missed = p.identifiable and (top is None or top.mrn != p.patient_mrn)
            if args.show_misses and (wrong or missed):
                got = [(x.name, x.score, x.reason) for x in s.patient[:2]]
                print(f"MISS {cls}/{p.layout} wrong={wrong} got={got}\n  {p.text!r}")
                if args.ocr:
                    print(f"  read: {ocr.text!r}")
        for k in total:
            total[k] += t[k]
        summary[cls] = {
            **t,
            "top1_rate": round(t["top1"] / max(1, t["identifiable"]), 3),
            "review_rate": round(t["review"] / max(1, t["pages"]), 3),
        }
        print(
            f"{cls:14s} pages {t['pages']:4d}  top1 {t['top1']}/{t['identifiable']} "
            f"({summary[cls]['top1_rate']:.1%})  confident-wrong {t['confident_wrong']}  "
            f"review {summary[cls]['review_rate']:.1%}  "
            f"reason {t['reason_ok']}/{t['reason_expected']}"
        )
    result = {
        "mode": "ocr" if args.ocr else "words",
        "profile": args.profile if args.ocr else None,
        "pages": total["pages"],
        "top1_rate": round(total["top1"] / max(1, total["identifiable"]), 3),
        "confident_wrong": total["confident_wrong"],
        "review_rate": round(total["review"] / max(1, total["pages"]), 3),
        "per_class": summary,
    }
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
