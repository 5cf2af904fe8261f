"""Benchmark: build an N-page release packet from a real encrypted store.

    .venv/bin/python bench/packet.py --pages 500

Builds a throw-away store with one chart holding N synthetic scanned pages (mostly 300 dpi
bilevel PNG, some 200 dpi greyscale JPEG, like a mixed scanner batch), then times writing the
whole packet (cover letter, index, N stamped pages: decrypt, verify, embed) to a file.
The last line is machine-readable: `pages=N seconds=X peak_rss_mb=Y`, where peak RSS is the
whole process's high-water mark (store building included). Target at N=500: <= 10 s, <= 300 MB.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw  # noqa: E402

from clinicrecords.clinic import auth
from clinicrecords.clinic.store import Store  # noqa: E402
from clinicrecords.records.documents import PageInput, add_document  # noqa: E402
from clinicrecords.registry.patients import PatientInput, register_patient  # noqa: E402
from clinicrecords.release import service  # noqa: E402

PASSWORD = "bench-password-1"
TYPES = ("lab", "progress_note", "consult", "imaging", "discharge", "medication")


def synthetic_page(rng: random.Random, number: int) -> PageInput:
    """A page that looks like typed text: grey bars for lines, a unique page number."""
    jpeg = number % 5 == 4
    size = (1700, 2200) if jpeg else (2550, 3300)
    im = Image.new("L", size, 255)
    draw = ImageDraw.Draw(im)
    margin, y = size[0] // 10, size[1] // 12
    draw.text((margin, y // 2), f"Synthetic page {number}", fill=0)
    while y < size[1] - size[1] // 10:
        x = margin
        while x < size[0] - margin:
            w = rng.randint(size[0] // 60, size[0] // 12)
            draw.rectangle((x, y, min(x + w, size[0] - margin), y + size[1] // 160), fill=0)
            x += w + size[0] // 80
        y += size[1] // 55
    buf = io.BytesIO()
    if jpeg:
        im.save(buf, "JPEG", quality=75, dpi=(200, 200))
        return PageInput(buf.getvalue(), "image/jpeg")
    im.convert("1").save(buf, "PNG", dpi=(300, 300))
    return PageInput(buf.getvalue(), "image/png")


def build_store(folder: Path, pages: int) -> tuple[Store, int]:
    store, _ = Store.create(folder, "bench passphrase for a synthetic clinic", "Bench Clinic")
    auth.create_first_admin(store, "admin", PASSWORD, "Bench Admin")
    session = auth.login(store, "admin", PASSWORD)
    patient = register_patient(session, PatientInput("Benchmark", "Bea", date(1970, 1, 2), "F"))
    rng = random.Random(5)
    made, doc_no = 0, 0
    while made < pages:
        n = min(rng.randint(1, 12), pages - made)
        batch = [synthetic_page(rng, made + i + 1) for i in range(n)]
        add_document(session, patient.id, TYPES[doc_no % len(TYPES)],
                     date(2020, 1, 1) + timedelta(days=7 * doc_no), batch)  # fmt: skip
        made += n
        doc_no += 1
    req = service.create_request(
        session, patient.id, "Bench Recipient", "benchmark", requester_type="provider",
        requester_org="Bench Hospital", watermark="Bench Hospital",
    )  # fmt: skip
    return store, req.id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store, request_id = build_store(Path(tmp) / "store", args.pages)
        print(f"store built in {time.perf_counter() - t0:.1f} s", flush=True)
        session = auth.login(store, "admin", PASSWORD)
        out = Path(tmp) / "packet.pdf"
        t0 = time.perf_counter()
        with open(out, "wb") as fh:
            result = service.build_packet(session, request_id, fh)
        seconds = time.perf_counter() - t0
        size_mb = out.stat().st_size / 1e6
        store.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"packet: {result.pages} PDF pages ({result.front_pages} letter/index), {size_mb:.1f} MB")
    print(f"pages={args.pages} seconds={seconds:.2f} peak_rss_mb={peak_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
