"""The command line as a script would use it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clinicrecords.synthetic import generate_patients, write_synthea_csv
from tests.conftest import PASSPHRASE, PASSWORD
from tests.helpers import assert_qpdf_check


def run(
    args: list[str], env_extra: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_init_import_search_backup_restore_verify(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    env = {"CLINICRECORDS_PASSPHRASE": PASSPHRASE, "CLINICRECORDS_PASSWORD": PASSWORD}
    r = run(
        [
            "--data-dir",
            str(data),
            "init",
            "--admin",
            "boss",
            "--json",
            "--recovery-sheet",
            str(tmp_path / "sheet.pdf"),
        ],
        env,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["admin"] == "boss" and Path(out["recovery_sheet"]).exists()
    from pypdf import PdfReader

    sheet_text = PdfReader(str(tmp_path / "sheet.pdf")).pages[0].extract_text()
    assert_qpdf_check(tmp_path / "sheet.pdf")
    assert "Recovery key" in sheet_text and "clinicrecords key recover" in sheet_text

    people = generate_patients(40, seed=11)
    write_synthea_csv(people, tmp_path / "patients.csv")
    r = run(
        [
            "--data-dir",
            str(data),
            "--user",
            "boss",
            "patients",
            "import",
            str(tmp_path / "patients.csv"),
            "--json",
        ],
        env,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 40
    r = run(
        ["--data-dir", str(data), "patients", "import", str(tmp_path / "patients.csv"), "--json"],
        env,
    )
    assert json.loads(r.stdout)["added"] == 0

    r = run(["--data-dir", str(data), "patients", "list", "--json", "--limit", "5"], env)
    assert r.returncode == 0 and len(json.loads(r.stdout)["patients"]) == 5

    target = people[7]
    r = run(
        [
            "--data-dir",
            str(data),
            "search",
            f"{target.family} {target.dob:%m/%d/%Y}",
            "--json",
            "--limit",
            "3",
        ],
        env,
    )
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)["results"]
    assert results[0]["family"] == target.family and results[0]["dob"] == target.dob.isoformat()
    assert set(results[0]) >= {"patient_id", "mrn", "family", "given", "dob", "sex", "score"}

    r = run(["--data-dir", str(data), "backup", str(tmp_path / "bk"), "--json"], env)
    assert r.returncode == 0, r.stderr
    r = run(
        ["--data-dir", str(tmp_path / "restored"), "restore", str(tmp_path / "bk"), "--json"], env
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ok"] is True
    r = run(["--data-dir", str(tmp_path / "restored"), "verify", "--json"], env)
    assert r.returncode == 0, r.stderr
    r = run(["--data-dir", str(tmp_path / "restored"), "audit", "verify"], env)
    assert r.returncode == 0 and "intact" in r.stdout


def test_errors_are_one_line_with_nonzero_exit(store_dir: Path, tmp_path: Path) -> None:
    r = run(
        ["--data-dir", str(store_dir), "--user", "admin", "patients", "list"],
        {"CLINICRECORDS_PASSPHRASE": "wrong passphrase here", "CLINICRECORDS_PASSWORD": PASSWORD},
    )
    assert r.returncode != 0
    assert r.stderr.strip().count("\n") == 0 and "passphrase is not correct" in r.stderr
    assert "Traceback" not in r.stderr

    r = run(
        ["--data-dir", str(tmp_path / "nothing"), "patients", "list"],
        {"CLINICRECORDS_PASSPHRASE": PASSPHRASE},
    )
    assert r.returncode != 0 and "no clinic store" in r.stderr.lower()

    r = run(
        ["--data-dir", str(store_dir), "--user", "clerk1", "backup", str(tmp_path / "b")],
        {"CLINICRECORDS_PASSPHRASE": PASSPHRASE, "CLINICRECORDS_PASSWORD": PASSWORD},
    )
    assert r.returncode == 5 and "role" in r.stderr

    r = run(
        ["--data-dir", str(store_dir), "--user", "admin", "patients", "list"],
        {"CLINICRECORDS_PASSPHRASE": PASSPHRASE, "CLINICRECORDS_PASSWORD": "nope nope"},
    )
    assert r.returncode == 4 and "not correct" in r.stderr


def test_key_recover_from_recovery_key(store_dir: Path, tmp_path: Path) -> None:
    from clinicrecords.store import Store

    s = Store.open(store_dir, PASSPHRASE)
    recovery = s.recovery_key()
    s.close()
    (store_dir / "keyfile.json").unlink()
    r = run(
        ["--data-dir", str(store_dir), "key", "recover", "--recovery-key", recovery],
        {"CLINICRECORDS_PASSPHRASE": "a brand new passphrase"},
    )
    assert r.returncode == 0, r.stderr
    Store.open(store_dir, "a brand new passphrase").close()
