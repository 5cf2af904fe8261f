"""The command line as a script would use it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import contextlib
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

    # Several accounts and no --user: the command asks who is acting instead of guessing.
    r = run(
        ["--data-dir", str(store_dir), "patients", "list"],
        {"CLINICRECORDS_PASSPHRASE": PASSPHRASE, "CLINICRECORDS_PASSWORD": PASSWORD},
    )
    assert r.returncode == 4 and "--user NAME" in r.stderr


def test_key_recover_from_recovery_key(store_dir: Path, tmp_path: Path) -> None:
    from clinicrecords.clinic.store import Store

    s = Store.open(store_dir, PASSPHRASE)
    recovery = s.recovery_key()
    s.close()
    (store_dir / "keyfile.json").unlink()
    other, other_recovery = Store.create(tmp_path / "other", PASSPHRASE)
    other.close()
    r = run(  # another store's recovery key does not open this one: no key file is written
        ["--data-dir", str(store_dir), "key", "recover", "--recovery-key", other_recovery],
        {"CLINICRECORDS_PASSPHRASE": "a brand new passphrase"},
    )
    assert r.returncode == 3 and "cannot be read" in r.stderr
    assert not (store_dir / "keyfile.json").exists()
    r = run(
        ["--data-dir", str(store_dir), "key", "recover", "--recovery-key", recovery],
        {"CLINICRECORDS_PASSPHRASE": "a brand new passphrase"},
    )
    assert r.returncode == 0, r.stderr
    s = Store.open(store_dir, "a brand new passphrase")
    try:  # the recovery is in the audit trail, chained like any other row
        from clinicrecords.clinic import audit

        conn = s.db.connection()
        last = conn.execute(
            "SELECT user_id, username, action, object_type, object_id FROM audit_log "
            "ORDER BY id DESC LIMIT 1"
        ).fetchone()
        assert tuple(last) == (None, "(recovery)", "key.recover", "store", s.store_id)
        assert audit.verify(conn).ok
    finally:
        s.close()


def test_key_recover_reads_the_recovery_key_from_standard_input(store_dir: Path) -> None:
    """Not on the command line, where it would stay in the shell's history."""
    from clinicrecords.clinic.store import Store

    s = Store.open(store_dir, PASSPHRASE)
    recovery = s.recovery_key()
    s.close()
    (store_dir / "keyfile.json").unlink()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env["CLINICRECORDS_PASSPHRASE"] = "a brand new passphrase"
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(store_dir), "key", "recover"],
        input=recovery + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "keyfile.json" in r.stdout and "Lock the recovery sheet away" in r.stdout
    Store.open(store_dir, "a brand new passphrase").close()


# --- defect 11: key material only where the person chose --------------------------------


def _init(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = {"CLINICRECORDS_PASSPHRASE": PASSPHRASE, "CLINICRECORDS_PASSWORD": PASSWORD}
    return run(
        ["--data-dir", str(tmp_path / "clinic"), "init", "--admin", "boss", *extra], env, work
    )


def test_init_without_a_place_for_the_recovery_sheet_refuses_and_writes_nothing(
    tmp_path: Path,
) -> None:
    r = _init(tmp_path)
    assert r.returncode == 2
    assert "--recovery-sheet" in r.stderr and "master key" in r.stderr
    assert r.stderr.strip().count("\n") == 0
    assert not (tmp_path / "clinic").exists()
    assert list((tmp_path / "work").iterdir()) == []


def test_init_refuses_a_recovery_sheet_in_the_data_folder_or_over_a_file(tmp_path: Path) -> None:
    (tmp_path / "clinic").mkdir()
    r = _init(tmp_path, "--recovery-sheet", str(tmp_path / "clinic" / "sheet.pdf"))
    assert r.returncode == 2 and "data folder" in r.stderr
    assert list((tmp_path / "clinic").iterdir()) == []

    old = tmp_path / "old-sheet.pdf"
    old.write_bytes(b"an older sheet")
    r = _init(tmp_path, "--recovery-sheet", str(old))
    assert r.returncode == 2 and "already exists" in r.stderr
    assert old.read_bytes() == b"an older sheet"
    assert list((tmp_path / "clinic").iterdir()) == []

    r = _init(tmp_path, "--recovery-sheet", str(tmp_path / "no-such-folder" / "sheet.pdf"))
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert list((tmp_path / "clinic").iterdir()) == []
    assert list((tmp_path / "work").iterdir()) == []


def test_init_writes_the_sheet_only_where_asked_owner_only_and_says_so(tmp_path: Path) -> None:
    stick = tmp_path / "usb-stick"
    stick.mkdir()
    r = _init(tmp_path, "--recovery-sheet", str(stick))
    assert r.returncode == 0, r.stderr
    sheet = stick / "clinicrecords-recovery-sheet.pdf"
    assert sheet.read_bytes().startswith(b"%PDF")
    if os.name == "posix":
        assert sheet.stat().st_mode & 0o777 == 0o600
    assert str(sheet) in r.stdout and "lock the paper away" in r.stdout
    assert "delete the file" in r.stdout
    assert list((tmp_path / "work").iterdir()) == []  # nothing in the current folder
    from pypdf import PdfReader

    from clinicrecords.clinic.keys import decode_recovery_key
    from clinicrecords.clinic.store import Store

    lines = PdfReader(str(sheet)).pages[0].extract_text().splitlines()
    start = lines.index("Recovery key") + 1
    printed = " ".join(lines[start : start + 3])  # 14 groups, six to a line
    with Store.open(tmp_path / "clinic", PASSPHRASE) as store:
        assert decode_recovery_key(printed) == decode_recovery_key(store.recovery_key())


def test_key_sheet_rewrites_the_sheet_only_where_asked_and_is_audited(
    store_dir: Path, tmp_path: Path
) -> None:
    env = {
        "CLINICRECORDS_PASSPHRASE": PASSPHRASE,
        "CLINICRECORDS_PASSWORD": PASSWORD,
        "CLINICRECORDS_USER": "admin",
    }
    work = tmp_path / "work"
    work.mkdir()
    r = run(["--data-dir", str(store_dir), "key", "sheet"], env, work)
    assert r.returncode == 2 and "--recovery-sheet" in r.stderr
    r = run(
        ["--data-dir", str(store_dir), "key", "sheet", "--recovery-sheet", str(tmp_path / "s.pdf")],
        env,
        work,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")
    assert list(work.iterdir()) == []
    r = run(["--data-dir", str(store_dir), "audit", "list", "--json"], env)
    assert any(row["action"] == "key.recovery_sheet" for row in json.loads(r.stdout)["rows"])
    r = run(
        [
            "--data-dir",
            str(store_dir),
            "--user",
            "clerk1",
            "key",
            "sheet",
            "--recovery-sheet",
            str(tmp_path / "clerk.pdf"),
        ],
        env,
    )
    assert r.returncode == 5 and not (tmp_path / "clerk.pdf").exists()


def test_demo_writes_no_key_material_outside_its_data_folder(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    r = run(
        [
            "--data-dir",
            str(tmp_path / "demo"),
            "demo",
            "--patients",
            "3",
            "--charts-with-documents",
            "0",
        ],
        {"XDG_STATE_HOME": str(tmp_path / "state")},
        work,
    )
    assert r.returncode == 0, r.stderr
    assert list(work.iterdir()) == []
    assert not list(tmp_path.glob("*.pdf"))


def test_init_on_a_full_sheet_disk_keeps_the_store_and_says_how_to_get_the_sheet(
    tmp_path: Path,
) -> None:
    """The sheet's place is reserved before the store exists; if the sheet then cannot be
    written (the USB stick is full), the store is still finished and the message says how to
    write the sheet; no empty or half file is left to be mistaken for a sheet."""
    import pytest

    stick = tmp_path / "stick"
    stick.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(stick)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs is not permitted here")
    try:
        with open(stick / "filler", "wb") as fh, contextlib.suppress(OSError):
            fh.write(b"\0" * 1_000_000)
        r = _init(tmp_path, "--recovery-sheet", str(stick / "sheet.pdf"))
        assert r.returncode == 7, r.stderr
        assert "disk is full" in r.stderr and "key sheet --recovery-sheet" in r.stderr
        assert r.stderr.strip().count("\n") == 0
        assert not (stick / "sheet.pdf").exists()
        (stick / "filler").unlink()
        r = run(
            [
                "--data-dir",
                str(tmp_path / "clinic"),
                "--user",
                "boss",
                "key",
                "sheet",
                "--recovery-sheet",
                str(stick / "sheet.pdf"),
            ],
            {"CLINICRECORDS_PASSPHRASE": PASSPHRASE, "CLINICRECORDS_PASSWORD": PASSWORD},
        )
        assert r.returncode == 0, r.stderr
        assert (stick / "sheet.pdf").read_bytes().startswith(b"%PDF")
    finally:
        subprocess.run(["umount", str(stick)], check=False)


def test_damaged_key_file_has_its_own_message_not_wrong_passphrase(store_dir: Path) -> None:
    path = store_dir / "keyfile.json"
    doc = json.loads(path.read_text())
    wrapped = doc["wrapped_key"]
    doc["wrapped_key"] = wrapped[:9] + ("A" if wrapped[9] != "A" else "B") + wrapped[10:]
    path.write_text(json.dumps(doc, indent=2))
    r = run(
        ["--data-dir", str(store_dir), "--user", "admin", "patients", "list"],
        {"CLINICRECORDS_PASSPHRASE": PASSPHRASE, "CLINICRECORDS_PASSWORD": PASSWORD},
    )
    assert r.returncode == 3 and r.stderr.strip().count("\n") == 0
    assert "key file (keyfile.json) is damaged" in r.stderr
    assert "restore keyfile.json from a backup" in r.stderr and "recovery key" in r.stderr
    assert "passphrase is not correct" not in r.stderr
