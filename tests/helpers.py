"""Small helpers for tests: synthetic page images, and the structural check of every PDF the
program writes."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw


def png_page(text: str, size: tuple[int, int] = (850, 1100)) -> bytes:
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).text((60, 80), text, fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(100, 100))
    return buf.getvalue()


def assert_qpdf_check(pdf: Path | bytes) -> None:
    """``qpdf --check`` finds neither errors nor warnings in a PDF we wrote (a file or bytes).

    The README promises this of the release packet; every test that writes a packet, an
    accounting, cover sheets or a recovery sheet calls it, so a writer change that leaves a bad
    cross-reference table or stream length fails here rather than in a court's PDF reader.
    qpdf exits 0 when clean, 2 on errors, 3 on warnings.
    """
    qpdf = shutil.which("qpdf")
    if qpdf is None:
        pytest.fail("qpdf is not installed: installer/setup.sh installs it (apt package qpdf)")
    if isinstance(pdf, bytes | bytearray):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
            fh.write(pdf)
            fh.flush()
            _run_qpdf(qpdf, Path(fh.name))
    else:
        _run_qpdf(qpdf, Path(pdf))


def _run_qpdf(qpdf: str, path: Path) -> None:
    r = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"qpdf --check {path.name}: exit {r.returncode}\n{r.stdout}{r.stderr}"


def noise_page(seed: int, side: int = 400) -> bytes:
    """A PNG that does not compress (random pixels): about side² bytes in the page store."""
    import random

    rng = random.Random(seed)
    img = Image.frombytes("L", (side, side), rng.randbytes(side * side))
    buf = io.BytesIO()
    img.save(buf, format="PNG", dpi=(100, 100))
    return buf.getvalue()


def make_old_layout_backup(session, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """A backup folder as the single-generation version wrote it: clinic.db, keyfile.json and
    a version-1 manifest at the top, pages/ beside them (made by a backup, then rearranged and
    re-signed the way that version signed it)."""
    import json
    import shutil

    from clinicrecords.admin import backup

    backup.backup(session, folder)
    if not (folder / "generations").exists():  # run against the old version: it is that already
        return
    (gen,) = [p for p in (folder / "generations").iterdir() if "." not in p.name]
    for name in ("clinic.db", "keyfile.json"):
        (gen / name).rename(folder / name)
    new = json.loads((gen / "manifest.json").read_text())
    shutil.rmtree(folder / "generations")
    (folder / ".lock").unlink()
    keep = ("store_id", "created_at", "schema_version", "db_sha256", "pages", "audit_rows")
    old = {k: new[k] for k in keep}
    old |= {"format": "clinicrecords-backup", "version": 1, "audit_head": new["audit_head"]}
    old["hmac"] = backup._sign(old, session.store.derived.manifest)
    (folder / "manifest.json").write_text(json.dumps(old, indent=2))
