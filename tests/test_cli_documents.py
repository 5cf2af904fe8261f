"""``clinicrecords documents ...`` as scripts run it: real subprocesses on a real store, real
import and OCR of a batch, JSON read back, the privacy officer's letter read back with pypdf."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pypdf
import pytest

from clinicrecords.intake.batches import process_batch
from clinicrecords.intake.importing import import_files
from clinicrecords.registry.patients import PatientInput, register_patient
from tests.helpers import png_page

pytestmark = pytest.mark.slow


def _cli(store_dir: Path, *args: str, ok: bool = True) -> dict | subprocess.CompletedProcess:
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir), *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=120,
    )
    if not ok:
        return r
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _main(capsys: pytest.CaptureFixture[str], store_dir: Path, *args: str) -> dict:
    """The same command in this process (no interpreter start: the steps around the ones
    under test)."""
    from clinicrecords.cli import main

    capsys.readouterr()
    code = main(["--data-dir", str(store_dir), *args, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_file_move_after_release_edit_void_from_the_command_line(
    store, store_dir: Path, admin_session, cli_env, tmp_path: Path, capsys
) -> None:
    a = register_patient(admin_session, PatientInput("Łukasz", "Ó Súilleabháin", date(1980, 1, 2)))
    b = register_patient(admin_session, PatientInput("Otherchart", "Bo", date(1990, 3, 4)))
    paths = []
    for n in range(2):
        paths.append(tmp_path / f"scan{n}.png")
        paths[-1].write_bytes(png_page(f"Laboratory report page {n + 1}"))
    batch_id = import_files(admin_session, paths).batch_id
    process_batch(admin_session, batch_id)
    store.close()  # the command line opens the store itself

    filed = _cli(store_dir, "documents", "file", str(batch_id), "--pages", "1", "--patient",
                 a.mrn, "--type", "lab", "--date", "2025-01-10", "--json")  # fmt: skip
    doc = filed["document_id"]
    assert filed["pages"] == 1
    chart = _main(capsys, store_dir, "chart", a.mrn)
    assert [d["document_id"] for d in chart["documents"]] == [doc]

    made = _main(capsys, store_dir, "release", "create", "--patient", a.mrn, "--requester",
                 "Dr Who", "--purpose", "care", "--requester-type", "provider")  # fmt: skip
    _main(capsys, store_dir, "release", "send", made["request_id"])

    moved = _cli(store_dir, "documents", "move", str(doc), "--to", b.mrn, "--reason",
                 "misfile: other patient", "--json")  # fmt: skip
    assert [(r["request_id"], r["requester"], r["date"]) for r in moved["releases"]] == [
        (made["request_id"], "Dr Who", date.today().isoformat())
    ]
    assert _main(capsys, store_dir, "chart", a.mrn)["documents"] == []
    review = _cli(store_dir, "documents", "disclosures-review", "--json")["reviews"]
    assert [(r["request_id"], r["from_mrn"], r["to_mrn"]) for r in review] == [
        (made["request_id"], a.mrn, b.mrn)
    ]
    letter = tmp_path / "letter.pdf"
    _main(capsys, store_dir, "documents", "disclosure-letter", str(review[0]["review_id"]),
          "--out", str(letter))  # fmt: skip
    text = "".join(p.extract_text() for p in pypdf.PdfReader(letter).pages)
    assert made["request_id"] in text and "Dr Who" in text

    edited = _main(capsys, store_dir, "documents", "edit", str(doc), "--type", "imaging",
                   "--author", "Dr. Nguyễn", "--reason", "typo")  # fmt: skip
    assert edited["changed"]["doc_type"] == {"old": "lab", "new": "imaging"}
    history = _main(capsys, store_dir, "documents", "history", str(doc))["history"]
    assert history[1]["detail"]["new"]["author"] == "Dr. Nguyễn"  # as written
    assert [h["action"] for h in history] == ["move", "edit"]
    assert history[1]["detail"]["old"] == {"doc_type": "lab", "author": ""}

    # The rest of the batch, filed as a duplicate into B, then voided: gone from the chart
    # and from a new release's selection.
    dup = _main(capsys, store_dir, "documents", "file", str(batch_id), "--patient", b.mrn,
                "--type", "lab", "--date", "2025-01-10")["document_id"]  # fmt: skip
    _cli(store_dir, "documents", "void", str(dup), "--reason", "duplicate scan", "--json")
    listed = [d["document_id"] for d in _main(capsys, store_dir, "chart", b.mrn)["documents"]]
    assert listed == [doc]
    rel_b = _main(capsys, store_dir, "release", "create", "--patient", b.mrn, "--requester",
                  "Dr Who", "--purpose", "care", "--requester-type", "provider")  # fmt: skip
    assert rel_b["pages"] == 1
    voided = _main(capsys, store_dir, "documents", "voided", b.mrn)["documents"]
    assert [v["document_id"] for v in voided] == [dup]

    # A refusal is a sentence on stderr and a non-zero status, no traceback, no MRN.
    r = _cli(store_dir, "documents", "move", str(dup), "--to", a.mrn, "--reason", "x y z",
             ok=False)  # fmt: skip
    assert r.returncode != 0 and "voided" in r.stderr and a.mrn not in r.stderr
    assert "Traceback" not in r.stderr
