"""The program's own files travel with it: a built wheel carries resources/ and migrations."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import json, sys
import clinicrecords
from clinicrecords.common.resources import resource_dir
from clinicrecords.release.letters import template_text
from clinicrecords.scan.doctype import default_taxonomy
from clinicrecords.db.migrate import available_migrations
print(json.dumps({
    "package": clinicrecords.__file__,
    "resources": str(resource_dir()),
    "letter": template_text("cover_letter.txt"),
    "types": [t.code for t in default_taxonomy()],
    "migrations": [m.number for m in available_migrations()],
}))
"""


@pytest.mark.slow
def test_a_built_wheel_finds_its_resources_without_a_checkout(tmp_path: Path) -> None:
    # Built from a clean copy of the sources: a checkout's leftover build/ folder would hide a
    # build step that no longer copies the resources.
    source = tmp_path / "source"
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("clinicrecords", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=junk)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = wheels.glob("clinicrecords-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    shipped = sorted(p.relative_to(ROOT / "resources") for p in (ROOT / "resources").rglob("*"))
    for rel in shipped:  # the whole folder, whatever other parts add to it
        assert (site / "clinicrecords" / "resources" / rel).exists(), rel

    workdir = tmp_path / "elsewhere"  # no project files here or on the path
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    found = json.loads(out)
    assert Path(found["package"]).is_relative_to(site)
    assert Path(found["resources"]) == site / "clinicrecords" / "resources"
    expected = (ROOT / "resources" / "letters" / "cover_letter.txt").read_text(encoding="utf-8")
    assert found["letter"] == expected
    assert len(found["types"]) == len(
        json.loads((ROOT / "resources" / "doctypes.json").read_text(encoding="utf-8"))["types"]
    )
    on_disk = sorted(ROOT.glob("clinicrecords/db/migrations/[0-9][0-9][0-9][0-9]_*.sql"))
    assert found["migrations"] == list(range(1, len(on_disk) + 1))


@pytest.mark.slow
def test_the_desktop_says_when_its_sign_in_window_is_up_and_leaves(store_dir: Path) -> None:
    """CLINICRECORDS_EXIT_WHEN_READY (the smoke checks' and bench/bundle.py's cold start): the
    real start-up opens the store and shows the sign-in window, reports it, and ends with 0."""
    from tests.conftest import PASSPHRASE

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_EXIT_WHEN_READY="1",
        QT_QPA_PLATFORM="offscreen",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir), "gui"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "clinicrecords: ready LoginDialog"
