"""Smoke check of a built program (the bundle, the installed .deb or the Windows install), run
with an almost empty environment from a folder with no project files:
demo clinic → verify → OCR of a synthetic scan (words and the patient suggestion) → ingest →
backup (→ backup drill, status --json, where this version has them) → restore into an empty
folder → verify there → the desktop's sign-in window (offscreen, ``CLINICRECORDS_EXIT_WHEN_READY``).

    python installer/smoke.py dist/ClinicRecords/clinicrecords      (Linux)
    python installer\\smoke.py "C:\\Program Files\\ClinicRecords\\clinicrecords.exe"

This script runs with the build's Python (it draws the scan with ReportLab and pypdfium2); the
program under test gets none of it: no PYTHONPATH, no venv, no checkout. Prints one line per
step and, last, ``smoke=ok cold_start_s=…``; exits non-zero at the first failure.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PASSPHRASE = "demo-clinic-passphrase"
PASSWORD = "demo-password"


def clean_env(home: Path) -> dict[str, str]:
    """What a clinic PC's session gives a program, and nothing from the build."""
    env = {
        "HOME": str(home),
        "CLINICRECORDS_PASSPHRASE": PASSPHRASE,
        "CLINICRECORDS_USER": "admin",
        "CLINICRECORDS_PASSWORD": PASSWORD,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if sys.platform == "win32":
        for key in ("SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "TEMP", "TMP", "COMSPEC"):
            if key in os.environ:
                env[key] = os.environ[key]
        env["USERPROFILE"] = str(home)
        env["APPDATA"] = str(home / "AppData" / "Roaming")
        env["LOCALAPPDATA"] = str(home / "AppData" / "Local")
        env["PATH"] = os.path.join(os.environ.get("SYSTEMROOT", r"C:\Windows"), "System32")
    else:
        env["PATH"] = "/usr/bin:/bin"
    return env


def page_png(lines: list[str]) -> bytes:
    """A letter page at 300 dpi, as a scanner would deliver it (text drawn, then rasterised)."""
    import pypdfium2 as pdfium
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=letter)
    y = letter[1] - 72
    for i, line in enumerate(lines):
        c.setFont("Helvetica-Bold" if i < 2 else "Helvetica", 13)
        c.drawString(72, y, line)
        y -= 22
    c.showPage()
    c.save()
    pdf = pdfium.PdfDocument(buf.getvalue())
    image = pdf[0].render(scale=300 / 72, grayscale=True).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue()


class Smoke:
    def __init__(self, exe: Path, work: Path) -> None:
        self.exe = exe
        self.work = work
        self.home = work / "home"
        self.home.mkdir()
        self.env = clean_env(self.home)
        self.data = work / "data"

    def run(self, *args: str, data: Path | None = None, timeout: float = 600, **extra: str):
        env = {**self.env, **extra}
        cmd = [str(self.exe), "--data-dir", str(data or self.data), *args]
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=self.work, env=env, capture_output=True, text=True, timeout=timeout
        )
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])
            raise SystemExit(f"smoke: `{' '.join(args[:2])}` exited {proc.returncode}")
        print(f"smoke: {' '.join(a for a in args[:2] if not a.startswith('/'))} ok {seconds:.1f}s")
        return proc

    def check(self) -> float:
        self.run("demo", "--patients", "30", "--charts-with-documents", "3")
        self.run("verify")
        patients = json.loads(self.run("patients", "list", "--json").stdout)["patients"]
        who = patients[0]
        y, m, d = who["dob"].split("-")
        scan = self.work / "scan-0001.png"
        scan.write_bytes(
            page_png(
                [
                    "Riverside Cardiology Associates",
                    "CONSULTATION NOTE",
                    f"Patient: {who['given']} {who['family']}",
                    f"DOB: {m}/{d}/{y}    MRN: {who['mrn']}",
                    "Date of service: 2024-05-02",
                    "Reason for referral: palpitations; echocardiogram reviewed.",
                ]
            )
        )
        found = json.loads(self.run("suggest", str(scan), "--json").stdout)
        assert found["pages"] == 1, found
        top = found["patient"][0] if found["patient"] else {}
        assert top.get("mrn") == who["mrn"], "OCR did not find the patient on the page"
        words = " ".join(e["text"] for e in top["evidence"]).lower()
        assert who["family"].lower() in words or who["mrn"] in words, top["evidence"]
        print(f"smoke: OCR suggests the page's patient (score {top['score']})")
        self.run("ingest", str(scan), "--json")
        backups = self.work / "backups"
        self.run("backup", str(backups))
        # Commands other parts of issue 12 add (backup drill, status): checked once they exist.
        if "drill" in self.run("backup", "--help").stdout:
            self.run("backup", "drill", str(backups), "--json")
        if re.search(r"^\s+status\s", self.run("--help").stdout, re.MULTILINE):
            status = json.loads(self.run("status", "--json").stdout)
            assert "last_backup" in status, sorted(status)
        restored = self.work / "restored"
        self.run("restore", str(backups), data=restored)
        self.run("verify", data=restored)
        t0 = time.perf_counter()
        proc = self.run("gui", CLINICRECORDS_EXIT_WHEN_READY="1", timeout=120)
        cold = time.perf_counter() - t0
        assert "clinicrecords: ready LoginDialog" in proc.stdout, proc.stdout
        return cold


def main() -> int:
    exe = Path(sys.argv[1]).resolve()
    with tempfile.TemporaryDirectory(prefix="clinicrecords-smoke-") as tmp:
        cold = Smoke(exe, Path(tmp)).check()
    print(f"smoke=ok cold_start_s={cold:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
