"""Write a labelled corpus to disk: patients, document files and ``labels.json``.

    python -m clinicrecords.synthetic.corpus --out DIR --docs N [--seed S] [--profile mixed]

Output (all synthetic):
    patients.csv    Synthea patients.csv (what ``clinicrecords patients import`` reads)
    patients.json   the truth per patient: our MRN, phone, kind, confusable_of ...
    docs/           doc_00001.pdf / .tif / .png / .jpg, in the mix a scanner share receives
    blank/          blank and faint single pages (if --blanks), for blank-page detection
    labels.json     per file: doc_type, doc_date, patient_mrn, what was printed, profile ...
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from clinicrecords.synthetic.degrade import PROFILES, blank_page, degrade, fax_header_line
from clinicrecords.synthetic.documents import LabeledDocument, document_at
from clinicrecords.synthetic.patients import (
    REFERENCE_DATE,
    SyntheticPatient,
    generate_patients,
    patient_to_json,
    write_synthea_csv,
)
from clinicrecords.synthetic.writers import write_jpeg, write_pdf, write_png, write_tiff

MIXED_WEIGHTS = {"clean": 15, "office": 50, "fax": 20, "bad": 15}
UPSIDE_DOWN_RATE = 0.03


@dataclass(frozen=True, slots=True)
class CorpusSummary:
    out: Path
    documents: int
    pages: int
    seconds: float


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _choose_format(rng: random.Random, profile: str, pages: int) -> str:
    if profile == "fax":
        return rng.choices(("tiff", "pdf"), weights=(60, 40))[0]
    if pages > 1:
        return rng.choices(("pdf", "tiff"), weights=(65, 35))[0]
    if profile == "bad":
        return rng.choices(("jpeg", "pdf", "png"), weights=(60, 30, 10))[0]
    return rng.choices(("pdf", "tiff", "png", "jpeg"), weights=(40, 15, 20, 25))[0]


def _write(fmt: str, pages: list, path: Path) -> Path:
    if fmt == "pdf":
        return write_pdf(pages, path.with_suffix(".pdf"))
    if fmt == "tiff":
        bilevel = all(p.mode == "1" for p in pages)
        return write_tiff(pages, path.with_suffix(".tif"), "group4" if bilevel else "tiff_lzw")
    if fmt == "png":
        return write_png(pages[0], path.with_suffix(".png"))
    return write_jpeg(pages[0], path.with_suffix(".jpg"), quality=80)


def _label(doc: LabeledDocument, p: SyntheticPatient, file: str, **extra: Any) -> dict[str, Any]:
    return {
        "file": file,
        "pages": len(doc.pages),
        "doc_type": doc.doc_type,
        "doc_date": _iso(doc.doc_date),
        "patient_mrn": doc.patient_mrn,
        "patient_source_id": p.source_id,
        "patient_name_as_printed": doc.patient_name_as_printed,
        "dob_as_printed": doc.dob_as_printed,
        "mrn_as_printed": doc.mrn_as_printed,
        "phone_as_printed": doc.phone_as_printed,
        "identifiers": list(doc.identifiers),
        "facility": doc.facility,
        "author": doc.author,
        "outside_record_number": doc.outside_record_number,
        "fax_stamp_date": _iso(doc.fax_stamp_date),
        "print_date": _iso(doc.print_date),
        "layout": doc.layout,
        "font": doc.font,
        **extra,
        "text": doc.text,
    }


@dataclass(frozen=True, slots=True)
class _Job:
    out: Path
    seed: int
    profile: str
    n_patients: int
    dpi: int


_WORKER: dict[str, Any] = {}


def _patients_for(job: _Job) -> tuple[list[SyntheticPatient], set[str]]:
    """Per-process cache: each worker regenerates the (deterministic) registry once."""
    key = (job.n_patients, job.seed)
    if _WORKER.get("key") != key:
        pts = generate_patients(job.n_patients, seed=job.seed)
        _WORKER.update(key=key, patients=pts, ours={p.mrn for p in pts})
        _WORKER["by_mrn"] = {p.mrn: p for p in pts}
    return _WORKER["patients"], _WORKER["ours"]


def _one(job: _Job, i: int) -> dict[str, Any]:
    """Render, degrade and write document ``i`` (0-based); return its label."""
    patients, ours = _patients_for(job)
    doc = document_at(patients, i, seed=job.seed, dpi=job.dpi, _ours=ours)
    rng = random.Random(f"corpus:{job.seed}:{i}")
    prof = job.profile
    if prof == "mixed":
        prof = rng.choices(list(MIXED_WEIGHTS), weights=list(MIXED_WEIGHTS.values()))[0]
    fax_date = doc.fax_stamp_date
    pages = []
    upside: list[int] = []
    texts = list(doc.page_texts)
    for k, page in enumerate(doc.pages):
        header = None
        if prof == "fax" and doc.fax_stamp_date is None:
            # The fax machine's own stamp: a date that is not the document's date.
            if fax_date is None:
                later = doc.doc_date + timedelta(days=rng.randrange(1, 60))
                fax_date = min(later, REFERENCE_DATE)
            header = fax_header_line(fax_date, k + 1, len(doc.pages), doc.facility.upper(), rng)
            texts[k] = f"{header}\n{texts[k]}"  # the stamp is on the page: keep truth whole
        flip = job.profile == "mixed" and rng.random() < UPSIDE_DOWN_RATE
        if flip:
            upside.append(k)
        pages.append(
            degrade(page, rng, prof, rotate_upside_down=flip, fax_header=header, dpi=job.dpi)
        )
    fmt = _choose_format(rng, prof, len(pages))
    path = _write(fmt, pages, job.out / "docs" / f"doc_{i + 1:05d}")
    doc.fax_stamp_date = fax_date
    doc.page_texts = texts
    doc.text = "\f".join(texts)
    p = _WORKER["by_mrn"][doc.patient_mrn]
    return _label(
        doc,
        p,
        path.relative_to(job.out).as_posix(),
        format=fmt,
        profile=prof,
        upside_down_pages=upside,
    )


def _one_star(args: tuple[_Job, int]) -> dict[str, Any]:
    return _one(*args)


def build_corpus(
    out: str | Path,
    n_docs: int,
    seed: int = 0,
    profile: str = "mixed",
    n_patients: int = 500,
    dpi: int = 200,
    blanks: int = 0,
    progress: bool = False,
    jobs: int = 1,
) -> CorpusSummary:
    """Generate and write a corpus; returns counts (no patient data) for the caller to print.

    ``jobs`` > 1 renders in that many processes; the output is identical either way.
    """
    if profile != "mixed" and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}")
    t0 = time.perf_counter()
    out = Path(out)
    (out / "docs").mkdir(parents=True, exist_ok=True)
    patients = generate_patients(n_patients, seed=seed)
    write_synthea_csv(patients, out / "patients.csv", seed=seed)
    (out / "patients.json").write_text(
        json.dumps([patient_to_json(p) for p in patients], ensure_ascii=False, indent=0),
        encoding="utf-8",
    )
    job = _Job(out, seed, profile, n_patients, dpi)
    work = [(job, i) for i in range(n_docs)]
    labels: list[dict[str, Any]] = []
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(_one_star, work, chunksize=4)
            for label in results:
                labels.append(label)
                if progress and len(labels) % 25 == 0:
                    print(f"{len(labels)}/{n_docs} documents", file=sys.stderr)
    else:
        for w in work:
            labels.append(_one_star(w))
            if progress and len(labels) % 25 == 0:
                print(f"{len(labels)}/{n_docs} documents", file=sys.stderr)
    total_pages = sum(lab["pages"] for lab in labels)
    rng = random.Random(f"blanks:{seed}")
    blank_labels = []
    if blanks:
        (out / "blank").mkdir(exist_ok=True)
        for j in range(blanks):
            for faint in (False, True):
                img = blank_page((int(8.5 * dpi), 11 * dpi), faint=faint, rng_or_seed=rng, dpi=dpi)
                if profile == "mixed" and rng.random() < 0.3:
                    img = degrade(img, rng, "fax", dpi=dpi)
                name = f"blank/{'faint' if faint else 'blank'}_{j + 1:04d}.png"
                write_png(img, out / name)
                blank_labels.append({"file": name, "faint": faint, "blank": not faint})
    meta = {
        "seed": seed,
        "profile": profile,
        "patients": n_patients,
        "dpi": dpi,
        "documents": labels,
        "blank_pages": blank_labels,
    }
    (out / "labels.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    return CorpusSummary(out, len(labels), total_pages, time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a synthetic, labelled document corpus.")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", default="mixed", choices=("mixed", *PROFILES))
    ap.add_argument("--patients", type=int, default=500)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--blanks", type=int, default=0, help="blank + faint page pairs to add")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (output identical)")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args(argv)
    s = build_corpus(
        a.out, a.docs, a.seed, a.profile, a.patients, a.dpi, a.blanks, not a.quiet, a.jobs
    )
    print(f"wrote {s.documents} documents ({s.pages} pages) to {s.out} in {s.seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
