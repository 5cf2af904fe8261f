"""PDFium is not thread-safe, even across documents: without one process-wide lock, two threads
reading PDFs at once crash the process (seen as a segmentation fault in the mail bench). The
import path, the synthetic renderer and the packet preview all share ``PDFIUM_LOCK``; this
runs them together on several threads in a child process, whose death would be the failure."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    import io, sys, threading
    from pathlib import Path
    from reportlab.lib.pagesizes import LETTER
    from reportlab.pdfgen import canvas
    from clinicrecords.scan.pdfpages import PdfPages
    from clinicrecords.synthetic.render import rasterise

    def make_pdf(pages):
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=LETTER)
        for i in range(pages):
            c.drawString(72, 700, f"page {i}")
            c.rect(72, 72, 400, 500)
            c.showPage()
        c.save()
        return buf.getvalue()

    pdf = make_pdf(6)
    path = Path(sys.argv[1])
    path.write_bytes(pdf)
    errors = []

    def importer():
        try:
            for _ in range(12):
                pages = PdfPages(path)
                try:
                    for page in pages:
                        assert page.image is not None
                finally:
                    pages.close()
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    def renderer():
        try:
            for _ in range(12):
                assert len(rasterise(pdf, 200)) == 6
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))

    threads = [threading.Thread(target=f) for f in (importer, renderer, importer, renderer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("ok" if not errors else errors)
    """
)


@pytest.mark.slow
def test_pdfs_read_on_several_threads_at_once_do_not_crash_the_process(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "x.pdf")],
        capture_output=True, text=True, timeout=240, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
