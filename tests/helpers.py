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
