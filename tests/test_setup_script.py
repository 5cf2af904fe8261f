"""Set-up hygiene: SANE's virtual test scanner is for the tests, never on a clinic PC."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETUP = ROOT / "installer" / "setup.sh"
HYGIENE = ROOT / "installer" / "sane-hygiene.sh"


def test_setup_never_enables_the_virtual_scanner_system_wide() -> None:
    """No line of the set-up script writes the test backend into a SANE configuration."""
    for line in SETUP.read_text(encoding="utf-8").splitlines():
        code = line.split("#", 1)[0]
        if "dll.conf" in code or "sane.d" in code:
            assert not re.search(r"\b(tee|echo|>>)\b", code), line
    assert 'if [ "$mode" != "test" ]; then bash installer/sane-hygiene.sh; fi' in SETUP.read_text(
        encoding="utf-8"
    )


def test_hygiene_takes_the_test_backend_off_and_keeps_the_rest(tmp_path: Path) -> None:
    conf = tmp_path / "dll.conf"
    conf.write_text("# dll.conf\nepson2\n#test\nnet\ntest\n", encoding="utf-8")
    subprocess.run(["bash", str(HYGIENE), str(conf)], check=True, capture_output=True, timeout=30)
    assert conf.read_text(encoding="utf-8") == "# dll.conf\nepson2\n#test\nnet\n"
    # Run again: nothing to do, nothing changes.
    subprocess.run(["bash", str(HYGIENE), str(conf)], check=True, capture_output=True, timeout=30)
    assert conf.read_text(encoding="utf-8") == "# dll.conf\nepson2\n#test\nnet\n"


@pytest.mark.skipif(shutil.which("scanimage") is None, reason="sane-utils is not installed")
def test_the_tests_find_the_virtual_scanner_without_the_system_setting(tmp_path: Path) -> None:
    """The suite's own SANE folder enables it, whatever /etc/sane.d/dll.conf says; a config
    like a clinic PC's (test switched off) lists no virtual scanner."""
    env = dict(os.environ)
    assert (Path(env["SANE_CONFIG_DIR"]) / "dll.conf").read_text().split() == ["test"]
    listed = subprocess.run(
        ["scanimage", "-L"], env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert "test:0" in listed
    clinic = tmp_path / "sane.d"
    clinic.mkdir()
    (clinic / "dll.conf").write_text("#test\n", encoding="utf-8")
    env["SANE_CONFIG_DIR"] = str(clinic)
    listed = subprocess.run(
        ["scanimage", "-L"], env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert "test:" not in listed
