"""Chart-lookup benchmark: recall per query form and per-query latency at registry size N.

    python bench/search.py --patients 200000 [--queries 600] [--seed 0] [--no-store]

Generates a synthetic registry (with twins and look-alikes), saves it in a real encrypted store
and loads it back (unless --no-store), builds `PatientIndex`, then runs a fixed mix of
queries. A name-only query is answered correctly by any chart with the same name (there are
many John Smiths); a DOB-only query by any chart with that DOB; name+DOB, MRN and full phone
must find the very chart. The last line is machine-readable:
`patients=N p50_ms=X p95_ms=Y`.
"""

from __future__ import annotations

import argparse
import calendar
import gc
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from clinicrecords.common.domain import Patient  # noqa: E402
from clinicrecords.search import PatientIndex  # noqa: E402
from clinicrecords.search.nicknames import equivalents  # noqa: E402
from clinicrecords.search.normalize import name_tokens, normalize_phone  # noqa: E402
from clinicrecords.synthetic.patients import REFERENCE_DATE, generate_patients  # noqa: E402

MONTH_ABBR = list(calendar.month_abbr)[1:]
MONTH_FULL = list(calendar.month_name)[1:]
DOB_FORMS: tuple[Callable[[date], str], ...] = (
    lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",
    lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
    lambda d: f"{d.month:02d}{d.day:02d}{d.year}",
    lambda d: d.isoformat(),
    lambda d: f"{d.day} {MONTH_ABBR[d.month - 1]} {d.year}",
    lambda d: f"{MONTH_FULL[d.month - 1]} {d.day} {d.year}",
    lambda d: f"{d.month}-{d.day}-{d.year}",
)
# Share of the query mix per category (sums to 1).
MIX = {
    "exact_name": 0.10,
    "typo_name": 0.12,
    "nickname": 0.08,
    "family_given_comma": 0.08,
    "dob_only": 0.10,
    "name_dob_typo": 0.12,
    "lookalike_name_dob": 0.08,
    "mrn_whole": 0.08,
    "mrn_tail6": 0.06,
    "phone_full": 0.10,
    "name_last4": 0.08,
}


def typo(rng: random.Random, word: str) -> str:
    """One keying slip: swap two neighbours, drop, double or replace a letter."""
    if len(word) < 3:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 1:
        return word[:i] + word[i + 1 :]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioustrnl") + word[i + 1 :]


def key(p: Patient) -> tuple[str, str]:
    return " ".join(name_tokens(p.family)), " ".join(name_tokens(p.given))


def _same_family_tail(p: Patient, family: str, tail: str) -> bool:
    return key(p)[0] == family and (normalize_phone(p.phone).endswith(tail) or p.mrn.endswith(tail))


def make_queries(
    rng: random.Random, patients: list[Patient], count: int, lookalikes: list[Patient]
) -> list[tuple[str, str, Callable[[Patient], bool]]]:
    """(category, query text, is-this-hit-correct) triples, in a fixed mix.

    `lookalikes`: charts that have a twin / same-name / similar-name / swapped-DOB neighbour;
    the `lookalike_name_dob` category draws its targets only from them."""
    out: list[tuple[str, str, Callable[[Patient], bool]]] = []
    for cat, share in MIX.items():
        made = 0
        while made < round(count * share):
            t = rng.choice(lookalikes if cat == "lookalike_name_dob" else patients)
            tk = key(t)
            fam, giv = t.family, t.given
            same_name: Callable[[Patient], bool] = lambda p, tk=tk: key(p) == tk  # noqa: E731
            exact: Callable[[Patient], bool] = lambda p, t=t: p.id == t.id  # noqa: E731
            if cat == "exact_name":
                q, ok = f"{giv} {fam}", same_name
            elif cat == "typo_name":
                if rng.random() < 0.6:
                    q = f"{giv} {typo(rng, fam.lower())}"
                else:
                    q = f"{typo(rng, giv.lower())} {fam}"
                ok = same_name
            elif cat == "nickname":
                nicks = [n for n, w in equivalents(giv.lower()).items() if w >= 1.0]
                if not nicks:
                    continue
                nick = rng.choice(nicks)
                q = f"{nick} {fam}"
                # A chart literally named what was typed ("Jon Johnson") is right too.
                ok = lambda p, tk=tk, n=nick: key(p) in (tk, (tk[0], n))  # noqa: E731
            elif cat == "family_given_comma":
                q, ok = f"{fam}, {giv}", same_name
            elif cat == "dob_only":
                q = rng.choice(DOB_FORMS)(t.dob)
                ok = lambda p, d=t.dob: p.dob == d  # noqa: E731
            elif cat in ("name_dob_typo", "lookalike_name_dob"):
                f2, g2 = (typo(rng, fam), giv) if rng.random() < 0.5 else (fam, typo(rng, giv))
                dob = rng.choice(DOB_FORMS)(t.dob)
                q = f"{f2}, {g2} {dob}" if rng.random() < 0.3 else f"{g2} {f2} {dob}"
                ok = lambda p, tk=tk, d=t.dob: key(p) == tk and p.dob == d  # noqa: E731
            elif cat == "mrn_whole":
                q, ok = t.mrn, exact
            elif cat == "mrn_tail6":
                q, ok = t.mrn[-6:], exact
            elif cat == "phone_full":
                digits = normalize_phone(t.phone)
                if len(digits) < 10:
                    continue
                form = rng.randrange(3)
                a, b, c = digits[:3], digits[3:6], digits[6:]
                q = (f"({a}) {b}-{c}", f"{a}.{b}.{c}", digits)[form]
                ok = lambda p, ph=digits: normalize_phone(p.phone) == ph  # noqa: E731
            else:  # name_last4: "smith 2233"
                digits = normalize_phone(t.phone)
                if len(digits) < 4:
                    continue
                q = f"{fam} {digits[-4:]}"
                # "Torres 4658" is as much an MRN tail as a phone tail: either is right.
                ok = partial(_same_family_tail, family=tk[0], tail=digits[-4:])
            out.append((cat, q, ok))
            made += 1
    return out


def to_patient(i: int, s: object) -> Patient:
    return Patient(
        id=i,
        mrn=s.mrn,
        family=s.family,
        given=s.given,
        middle=s.middle,
        dob=s.dob,
        sex=s.sex,
        phone=s.phone,
        address=s.address,
        city=s.city,
        state=s.state,
        zip=s.zip,
    )


def load_via_store(synth: list, tmp: Path) -> tuple[list[Patient], float, float]:
    """Write the registry into a real encrypted store and read it back like the app does."""
    from clinicrecords.clinic.store import Store
    from clinicrecords.db.patients import insert_many, load_patients

    store, _recovery = Store.create(tmp / "store", "bench-Passphrase-2026-long-enough")
    try:
        t0 = time.perf_counter()
        with store.db.write() as conn:
            insert_many(conn, synth)
        t_insert = time.perf_counter() - t0
        t0 = time.perf_counter()
        patients = load_patients(store.db.connection())
        t_load = time.perf_counter() - t0
    finally:
        store.close()
    return patients, t_insert, t_load


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--show-misses", action="store_true", help="print synthetic misses")
    ap.add_argument("--no-store", action="store_true", help="skip the encrypted store round trip")
    args = ap.parse_args(argv)
    n = args.patients
    proc = psutil.Process(os.getpid())

    t0 = time.perf_counter()
    synth = generate_patients(n, seed=args.seed)
    print(f"generate: {time.perf_counter() - t0:.2f} s")
    if args.no_store:
        patients = [to_patient(i + 1, s) for i, s in enumerate(synth)]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            patients, t_insert, t_load = load_via_store(synth, Path(tmp))
        print(f"store: insert {t_insert:.2f} s, load_patients {t_load:.2f} s ({len(patients)})")
    confusing = {s.mrn for s in synth if s.kind != "normal"}
    confusing |= {s.confusable_of for s in synth if s.confusable_of}
    del synth
    gc.collect()

    rss0 = proc.memory_info().rss
    t0, c0 = time.perf_counter(), time.process_time()
    index = PatientIndex(patients)
    t_build, c_build = time.perf_counter() - t0, time.process_time() - c0
    gc.collect()
    rss1 = proc.memory_info().rss
    print(
        f"index: build {t_build:.2f} s (cpu {c_build:.2f} s), RSS {rss1 / 2**20:.0f} MiB total "
        f"(+{(rss1 - rss0) / 2**20:.0f} MiB for the index), {len(index)} charts"
    )

    rng = random.Random(args.seed + 1)
    lookalikes = [p for p in patients if p.mrn in confusing]
    queries = make_queries(rng, patients, args.queries, lookalikes)
    for _cat, q, _ok in queries[:20]:  # warm caches / code paths
        index.search(q, today=REFERENCE_DATE)

    times: list[float] = []
    cpu_times: list[float] = []  # CPU time too: on a shared machine wall time includes waits
    stats: dict[str, list[int]] = {c: [0, 0, 0] for c in MIX}  # n, top1, top5
    for cat, q, ok in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        hits = index.search(q, limit=20, today=REFERENCE_DATE)
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
        found = [ok(index.get(h.patient_id)) for h in hits]
        s = stats[cat]
        s[0] += 1
        s[1] += bool(found[:1] and found[0])
        s[2] += any(found[:5])
        if args.show_misses and not (found[:1] and found[0]):
            want = next((p for p in patients if ok(p)), None)
            got = [index.get(h.patient_id) for h in hits[:3]]
            print("MISS", cat, repr(q), "want", want and (want.given, want.family, want.dob))
            for h, p in zip(hits[:3], got, strict=False):
                print("   ", h.score, h.matched, p.given, p.middle, p.family, p.dob, p.phone)

    print(f"{'category':<20} {'n':>4} {'top1':>7} {'top5':>7}")
    for cat, (cnt, top1, top5) in stats.items():
        print(f"{cat:<20} {cnt:>4} {100 * top1 / cnt:>6.1f}% {100 * top5 / cnt:>6.1f}%")
    times.sort()
    p50 = statistics.median(times)
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    cpu_times.sort()
    cpu_p95 = cpu_times[min(len(cpu_times) - 1, int(0.95 * len(cpu_times)))]
    print(
        f"queries={len(times)} max_ms={times[-1]:.1f} "
        f"cpu_p50_ms={statistics.median(cpu_times):.1f} cpu_p95_ms={cpu_p95:.1f} "
        f"loadavg={os.getloadavg()[0]:.1f}"
    )
    print(f"patients={n} p50_ms={p50:.1f} p95_ms={p95:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
