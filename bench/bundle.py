"""What the Linux build costs and how fast the built program starts.

Runs ``installer/build.sh`` (PyInstaller bundle + .deb) unless ``--no-build``, then starts the
bundle with an empty environment from a folder with no project files: a demo clinic is made,
and the desktop is launched offscreen until its sign-in window is shown
(``CLINICRECORDS_EXIT_WHEN_READY``). The first launch after the build is the cold start (files
not yet read by any run of the program); ``warm_start_s`` is the median of three more.
Last line: ``build_s=.. bundle_mb=.. deb_mb=.. cold_start_s=.. warm_start_s=..``

    .venv/bin/python bench/bundle.py [--no-build]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"


def folder_mb(folder: Path) -> float:
    """Bytes on disk / 1e6; PyInstaller links shared libraries by symlink: counted once."""
    return (
        sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        / 1e6
    )


def launch(exe: Path, data: Path, home: Path) -> float:
    env = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "QT_QPA_PLATFORM": "offscreen",
        "CLINICRECORDS_PASSPHRASE": "demo-clinic-passphrase",
        "CLINICRECORDS_EXIT_WHEN_READY": "1",
    }
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "--data-dir", str(data), "gui"],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed the moment the sign-in window is visible
    seconds = time.perf_counter() - t0
    proc.wait(60)
    if "ready LoginDialog" not in line:
        raise SystemExit(f"the program did not show its sign-in window: {line!r}")
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-build", action="store_true", help="measure the existing dist/")
    args = ap.parse_args()
    build_s = float("nan")
    if not args.no_build:
        t0 = time.perf_counter()
        env = {**os.environ, "PYTHON": os.environ.get("PYTHON", sys.executable)}
        subprocess.run(["bash", str(ROOT / "installer" / "build.sh")], check=True, env=env)
        build_s = time.perf_counter() - t0
    exe = DIST / "ClinicRecords" / "clinicrecords"
    (deb,) = DIST.glob("clinicrecords_*_amd64.deb")
    with tempfile.TemporaryDirectory(prefix="clinicrecords-bench-") as tmp:
        home = Path(tmp)
        data = home / "data"
        subprocess.run(
            [
                str(exe),
                "--data-dir",
                str(data),
                "demo",
                "--patients",
                "30",
                "--charts-with-documents",
                "0",
                "--json",
            ],
            cwd=home,
            env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
            check=True,
            capture_output=True,
        )
        cold = launch(exe, data, home)
        warm = statistics.median(launch(exe, data, home) for _ in range(3))
    print(
        f"build_s={build_s:.0f} bundle_mb={folder_mb(DIST / 'ClinicRecords'):.0f} "
        f"deb_mb={deb.stat().st_size / 1e6:.0f} cold_start_s={cold:.2f} warm_start_s={warm:.2f}"
    )


if __name__ == "__main__":
    main()
