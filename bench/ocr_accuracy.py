"""Suggestion accuracy on synthetic scans read by real Tesseract.

Renders K labelled synthetic documents (clinicrecords.synthetic), degrades them like a scan
or fax, runs the header pass and the full pass (OcrEngine: one process per core,
OMP_THREAD_LIMIT=1) and scores the suggestion engine's top-1 patient, document type and
document date against the labels, plus the number that matters most: confident suggestions
that name the wrong patient (target 0).

Usage:  python bench/ocr_accuracy.py [--docs K] [--patients N] [--seed S] [--workers W]
        [--profile mix|clean|office|fax|bad] [--train T]
        python bench/ocr_accuracy.py --corpus mail [--pages N] [--people M] [--cache DIR]
        [--show-misses]
``--corpus mail`` scores real-looking mail (clinicrecords.synthetic.mail: many dates per page,
stamps, fax headers, photos, photocopies, turned pages, 98-dpi faxes) through the intake
pipeline's own steps (cleanup, header pass with the orientation check, rest of the page), and
prints per class and per page quality: patient top-1, date, type, share sent to review,
confident-wrong; then the people classes (``synthetic.mail_people``: crowded pages, previous
names, twins / Jr-Sr; ``--people M`` pages each, in the same qualities, read the same way,
scored as bench/mail_people.py scores them: patient only); then the calibration table (top
patient score bucket -> share correct), over both.
``--cache DIR`` keeps each page's OCR words, so a change to the suggestion engine can be
measured again without OCR (delete DIR after changing cleanup, OCR or the corpus).
``--train T`` first teaches the classifier T confirmed documents (their ground-truth text,
no OCR) of another seed, to show what confirmations buy.

The last line is machine-readable JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/mail_people.py

from clinicrecords.common.domain import Patient  # noqa: E402
from clinicrecords.scan.doctype import DocTypeClassifier  # noqa: E402
from clinicrecords.scan.ocr import OcrEngine  # noqa: E402
from clinicrecords.scan.suggest import suggest  # noqa: E402
from clinicrecords.scan.types import OcrResult  # noqa: E402
from clinicrecords.search.index import PatientIndex  # noqa: E402
from clinicrecords.synthetic.documents import generate_documents  # noqa: E402
from clinicrecords.synthetic.patients import REFERENCE_DATE, generate_patients  # noqa: E402


def _charts(synthetic: list) -> list[Patient]:
    """The synthetic people as the registry's charts (ids 1..n, in order)."""
    return [
        Patient(
            id=i + 1,
            mrn=p.mrn,
            family=p.family,
            given=p.given,
            middle=p.middle,
            dob=p.dob,
            sex=p.sex if p.sex in ("F", "M", "X") else "U",
            phone=p.phone,
        )
        for i, p in enumerate(synthetic)
    ]


def _registry(n: int, seed: int) -> tuple[list, PatientIndex]:
    synthetic = generate_patients(n, seed=seed)
    charts = _charts(synthetic)
    return synthetic, PatientIndex(charts)


PROFILE_MIX = ("office", "office", "fax", "fax", "bad", "clean")


def _degrade(img, seed: int, profile: str):
    """A scanned- or faxed-looking copy; "mix" spreads pages over the generator's profiles."""
    from clinicrecords.synthetic.degrade import degrade

    rng = random.Random(seed)
    if profile == "mix":
        profile = PROFILE_MIX[seed % len(PROFILE_MIX)]
    return degrade(img, rng, profile)


def bench_pipeline(classifier: DocTypeClassifier | None = None):
    """The intake pipeline's own steps (``intake.pipeline.PagePipeline``) without a store:
    an empty registry (suggestions are made by the caller against its own index), the given
    classifier, month-first dates. Shared by every bench that reads pages like the intake."""
    from clinicrecords.intake.pipeline import PagePipeline

    class BenchPipeline(PagePipeline):
        def __init__(self) -> None:
            self.engine = OcrEngine(1)
            self.registry = PatientIndex([])
            self.classifier = classifier or DocTypeClassifier()
            self.date_order = "MDY"
            self.date_labels: dict[str, float] = {}

    return BenchPipeline()


def pipeline_read(pipe, img) -> tuple[OcrResult, OcrResult, float]:
    """Read one page the way the intake does: cleanup (deskew), header pass with the
    orientation check and the other-ways-up re-reads, then the rest of the page below the
    header (and the stamp pass when no date was found). Returns (header, whole page,
    seconds to the header's words)."""
    t0 = time.perf_counter()
    state = pipe.clean(img)
    pipe.read_header(state)
    header = state.header or OcrResult("")
    first_s = time.perf_counter() - t0
    whole, _ = pipe.full_text(state.image, list(header.words))
    return header, whole, first_s


def _mail_ocr(pipe, page_no: int, args) -> dict:
    """Generate page ``page_no`` and read it the way the intake pipeline does."""
    from clinicrecords.synthetic.mail import mail_page

    pg = mail_page(_MAIL_PATIENTS[0], page_no, seed=args.seed)
    header, whole, first_s = pipeline_read(pipe, pg.image)
    truth = {
        "mail_class": pg.mail_class,
        "quality": pg.quality,
        "doc_type": pg.doc_type,
        "doc_date": pg.doc_date.isoformat() if pg.doc_date else None,
        "patient_mrn": pg.patient_mrn,
        "date_label": pg.date_label,
        "layout": pg.layout,
        "extra_patients": pg.extra_patients,
    }
    return {"truth": truth, "header": header, "whole": whole, "first_s": first_s}


def _people_ocr(pipe, page, i: int, seed: int) -> dict:
    """One page of the people classes (``synthetic.mail_people``: crowded pages, previous
    names, twins / Jr-Sr) in one of the mail qualities, read like a mail page."""
    from clinicrecords.synthetic.degrade import mail_quality
    from clinicrecords.synthetic.mail import DPI, QUALITY_WEIGHTS

    rng = random.Random(f"people:{seed}:{i}")
    quality = rng.choices(list(QUALITY_WEIGHTS), weights=list(QUALITY_WEIGHTS.values()))[0]
    img = page.render(DPI)
    img.info["dpi"] = (DPI, DPI)
    header, whole, first_s = pipeline_read(pipe, mail_quality(img, rng, quality, DPI))
    return {"quality": quality, "header": header, "whole": whole, "first_s": first_s}


_MAIL_PATIENTS: list = []


def mail_main(args) -> int:
    """The mail corpus: per class and quality figures, calibration, one JSON line."""
    import pickle
    from concurrent.futures import ThreadPoolExecutor

    from clinicrecords.synthetic.mail import MAIL_VERSION
    from clinicrecords.synthetic.mailscore import ClassTally, calibration, format_calibration

    synthetic = generate_patients(args.patients, seed=args.seed)
    _MAIL_PATIENTS[:] = [synthetic]
    classifier = DocTypeClassifier()
    pipe = bench_pipeline(classifier)
    cache = Path(args.cache) if args.cache else None
    if cache:
        cache.mkdir(parents=True, exist_ok=True)

    def one(i: int) -> dict:
        path = (
            cache / f"mail_v{MAIL_VERSION}_s{args.seed}_p{args.patients}_{i}.pkl" if cache else None
        )
        if path and path.exists():
            return pickle.loads(path.read_bytes())
        got = _mail_ocr(pipe, i, args)
        if path:
            path.write_bytes(pickle.dumps(got))
        return got

    # The people classes (issue 10, classes 2-4) come as their own generators with their
    # own charts (previous names included); their pages carry no date or type truth, so
    # they get patient figures only, in rows of their own, and join the calibration.
    from mail_people import outcome

    from clinicrecords.synthetic.mail_people import MAIL_PEOPLE_CLASSES, charts_of

    people = [p for fn in MAIL_PEOPLE_CLASSES.values() for p in fn(args.seed, args.people)]

    def person(i: int) -> dict:
        path = cache / f"people_s{args.seed}_n{args.people}_{i}.pkl" if cache else None
        if path and path.exists():
            return pickle.loads(path.read_bytes())
        got = _people_ocr(pipe, people[i], i, args.seed)
        if path:
            path.write_bytes(pickle.dumps(got))
        return got

    started = time.perf_counter()
    with ThreadPoolExecutor(args.workers or 2) as pool:
        results = list(pool.map(one, range(args.pages)))
        people_read = list(pool.map(person, range(len(people))))
    ocr_seconds = time.perf_counter() - started

    extra = [p for r in results for p in r["truth"]["extra_patients"]]
    everyone = synthetic + [p for p in extra if p.mrn not in {s.mrn for s in synthetic}]
    charts = _charts(everyone)
    index = PatientIndex(charts + charts_of(people))  # people charts: ids from 1,000,001
    by_class: dict[str, ClassTally] = {}
    by_quality: dict[str, ClassTally] = {}
    total = ClassTally()
    scored: list[tuple[float, bool]] = []
    header_confident_wrong = 0
    suggest_ms: list[float] = []
    for r in results:
        t = r["truth"]
        t0 = time.perf_counter()
        s = suggest(r["whole"], index, classifier, today=REFERENCE_DATE)
        suggest_ms.append((time.perf_counter() - t0) * 1000)
        sh = suggest(r["header"], index, classifier, today=REFERENCE_DATE)
        if sh.confident_patient is not None and sh.confident_patient.mrn != t["patient_mrn"]:
            header_confident_wrong += 1
        tallies = (
            by_class.setdefault(t["mail_class"], ClassTally()),
            by_quality.setdefault(t["quality"], ClassTally()),
        )
        for tally in tallies:
            ok = tally.add(s, t["patient_mrn"], t["doc_type"], t["doc_date"])
        right, date_ok, type_ok = ok
        top = s.patient[0].score if s.patient else 0.0
        scored.append((top, right))
        if args.show_misses and not (date_ok and type_ok and (right or not t["patient_mrn"])):
            print(
                f"MISS {t['mail_class']}/{t['layout']}/{t['quality']} "
                f"patient_ok={right} type={[(v.value, v.score) for v in s.doc_type[:2]]} "
                f"truth_type={t['doc_type']} "
                f"date={[(v.value, v.score, v.evidence[0].text if v.evidence else '') for v in s.doc_date[:2]]} "
                f"truth_date={t['doc_date']}"
            )
    for tally in by_class.values():
        total.merge(tally)
    people_rows: dict[str, dict[str, int]] = {}
    for page, r in zip(people, people_read, strict=True):
        s = suggest(r["whole"], index, classifier, today=REFERENCE_DATE)
        right, wrong, review = outcome(page, s)
        for key in (page.cls, "people ALL"):
            t = people_rows.setdefault(
                key, {"pages": 0, "identifiable": 0, "top1": 0, "review": 0, "confident_wrong": 0}
            )
            t["pages"] += 1
            t["identifiable"] += page.identifiable
            t["top1"] += right
            t["review"] += review
            t["confident_wrong"] += wrong
        scored.append((s.patient[0].score if s.patient else 0.0, right))
        if args.show_misses and (wrong or (page.identifiable and not right)):
            got = [(x.name, x.score, x.reason) for x in s.patient[:2]]
            print(f"MISS {page.cls}/{page.layout}/{r['quality']} wrong={wrong} got={got}")
    people_rates = {
        k: {
            "pages": t["pages"],
            "patient_top1": round(t["top1"] / max(1, t["identifiable"]), 3),
            "review": round(t["review"] / max(1, t["pages"]), 3),
            "confident_wrong": t["confident_wrong"],
        }
        for k, t in people_rows.items()
    }

    def row(name: str, tally: ClassTally) -> str:
        r = tally.rates()
        return (
            f"  {name:18s} {r['pages']:5d} {r['patient_top1']:8.3f} {r['date']:6.3f} "
            f"{r['type']:6.3f} {r['review']:7.3f} {r['confident_wrong']:5d}"
        )

    head = f"  {'class':18s} {'pages':>5s} {'patient':>8s} {'date':>6s} {'type':>6s} {'review':>7s} {'cwrong':>5s}"
    print("per class")
    print(head)
    for name in sorted(by_class):
        print(row(name, by_class[name]))
    print("per page quality")
    print(head)
    for name in sorted(by_quality):
        print(row(name, by_quality[name]))
    print(row("ALL", total))
    if people_rates:
        print("people classes (patient only: no date or type truth on these pages)")
        print(head)
        for name in sorted(people_rates, key=lambda k: (k == "people ALL", k)):
            r = people_rates[name]
            print(
                f"  {name:18s} {r['pages']:5d} {r['patient_top1']:8.3f} {'-':>6s} {'-':>6s} "
                f"{r['review']:7.3f} {r['confident_wrong']:5d}"
            )
    print("calibration (top patient suggestion)")
    for line in format_calibration(calibration(scored)):
        print("  " + line)
    firsts = [r["first_s"] for r in results + people_read]
    result = {
        "corpus": "mail",
        "pages": len(results),
        "seed": args.seed,
        "patients": args.patients,
        **{f"all_{k}": v for k, v in total.rates().items() if k != "pages"},
        "header_confident_wrong": header_confident_wrong,
        "per_class": {k: v.rates() for k, v in sorted(by_class.items())},
        "per_quality": {k: v.rates() for k, v in sorted(by_quality.items())},
        "people_pages_per_class": args.people,
        "per_people_class": people_rates,
        "calibration": [[b.low, b.high, b.n, b.share] for b in calibration(scored)],
        "ocr_seconds_per_page": round(ocr_seconds / max(1, len(results) + len(people_read)), 3),
        "header_seconds_median": round(statistics.median(firsts), 3),
        "suggest_ms_median": round(statistics.median(suggest_ms), 2),
    }
    print(json.dumps(result, sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", choices=("documents", "mail"), default="documents")
    ap.add_argument("--pages", type=int, default=120, help="mail corpus: pages")
    ap.add_argument("--cache", default=None, help="mail corpus: keep OCR results here")
    ap.add_argument(
        "--people", type=int, default=12, help="mail corpus: pages per people class (0: none)"
    )
    ap.add_argument("--docs", type=int, default=40)
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--profile", default="mix", help="clean, office, fax, bad or mix")
    ap.add_argument("--train", type=int, default=0)
    ap.add_argument("--cleanup", action="store_true", help="run scan.cleanup.clean_page first")
    ap.add_argument(
        "--show-misses", action="store_true", help="print each miss (synthetic data only)"
    )
    args = ap.parse_args(argv)
    if args.corpus == "mail":
        return mail_main(args)

    synthetic, index = _registry(args.patients, args.seed)
    classifier = DocTypeClassifier()
    if args.train:
        for doc in generate_documents(synthetic, args.train, seed=args.seed + 1000, dpi=72):
            classifier.learn(doc.page_texts[0], doc.doc_type)

    docs = list(generate_documents(synthetic, args.docs, seed=args.seed))
    pages = [_degrade(d.pages[0], i, args.profile) for i, d in enumerate(docs)]
    if args.cleanup:
        from clinicrecords.scan.cleanup import clean_page

        pages = [clean_page(p).image for p in pages]
    started = time.perf_counter()
    with OcrEngine(args.workers) as engine:
        headers = [engine.submit_header(p) for p in pages]
        fulls = [engine.submit_full(p) for p in pages]
        header_results = [f.result() for f in headers]
        full_results = [f.result() for f in fulls]
    ocr_seconds = time.perf_counter() - started

    n = len(docs)
    tally = {
        "patient_top1": 0,
        "patient_top1_header": 0,
        "confident": 0,
        "confident_wrong": 0,
        "confident_wrong_header": 0,
        "type_top1": 0,
        "date_top1": 0,
        "date_is_fax_or_print": 0,
        "full_pass_fewer_words": 0,
        "facility_top1": 0,
        "author_top1": 0,
    }
    suggest_ms: list[float] = []
    per_type: dict[str, list[int]] = {}
    for doc, head, full in zip(docs, header_results, full_results, strict=True):
        if len(full.words) < len(head.words):
            # Layout analysis (psm 3) can find no text on a noisy page the header pass
            # (psm 6) reads; the service should then fall back to the header words too.
            tally["full_pass_fewer_words"] += 1
            full = head
        t0 = time.perf_counter()
        s = suggest(full, index, classifier, today=REFERENCE_DATE)
        suggest_ms.append((time.perf_counter() - t0) * 1000)
        sh = suggest(head, index, classifier, today=REFERENCE_DATE)
        right = bool(s.patient) and s.patient[0].mrn == doc.patient_mrn
        tally["patient_top1"] += right
        tally["patient_top1_header"] += bool(sh.patient) and sh.patient[0].mrn == doc.patient_mrn
        if s.confident_patient is not None:
            tally["confident"] += 1
            tally["confident_wrong"] += s.confident_patient.mrn != doc.patient_mrn
        if sh.confident_patient is not None:
            tally["confident_wrong_header"] += sh.confident_patient.mrn != doc.patient_mrn
        type_ok = bool(s.doc_type) and s.doc_type[0].value == doc.doc_type
        tally["type_top1"] += type_ok
        per_type.setdefault(doc.doc_type, [0, 0])
        per_type[doc.doc_type][0] += type_ok
        per_type[doc.doc_type][1] += 1
        top_date = s.doc_date[0].value if s.doc_date else None
        if args.show_misses and (not right or not type_ok or top_date != doc.doc_date.isoformat()):
            print(
                f"MISS {doc.doc_type} ids={doc.identifiers} layout={doc.layout} "
                f"patient_ok={right} got={[(p.name, p.score) for p in s.patient[:2]]} "
                f"truth={doc.patient_name_as_printed!r} dob={doc.dob_as_printed!r} "
                f"type={[(v.value, v.score) for v in s.doc_type[:2]]} "
                f"date={[(v.value, v.score) for v in s.doc_date[:2]]} truth_date={doc.doc_date}"
            )
        tally["date_top1"] += top_date == doc.doc_date.isoformat()
        facility = s.facility[0].value.lower() if s.facility else ""
        tally["facility_top1"] += facility == doc.facility.lower()
        author_family = doc.author.replace("Dr. ", "").split(",")[0].split()[-1].lower()
        tally["author_top1"] += bool(s.author) and author_family in s.author[0].value.lower()
        stamps = {d.isoformat() for d in (doc.fax_stamp_date, doc.print_date) if d}
        tally["date_is_fax_or_print"] += top_date in stamps and top_date != doc.doc_date.isoformat()

    result = {
        "docs": n,
        "patients": args.patients,
        "trained": args.train,
        "profile": args.profile,
        "ocr_seconds_per_page": round(ocr_seconds / n, 3),
        "suggest_ms_median": round(statistics.median(suggest_ms), 2),
        "suggest_ms_max": round(max(suggest_ms), 2),
        **{k: v for k, v in tally.items()},
        "patient_top1_rate": round(tally["patient_top1"] / n, 3),
        "confident_rate": round(tally["confident"] / n, 3),
        "type_top1_rate": round(tally["type_top1"] / n, 3),
        "date_top1_rate": round(tally["date_top1"] / n, 3),
    }
    for code, (ok, total) in sorted(per_type.items()):
        print(f"  {code:18s} {ok}/{total}")
    for key, value in result.items():
        print(f"{key:28s} {value}")
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
