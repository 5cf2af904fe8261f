"""No patient identifier reaches the developer log or stderr (defect 12).

Scans are often named after the patient and libraries quote file paths in their errors, so a
canary name is put into a patient, file names and failing inputs; then every log file, every
file under the data folder and everything written on stderr is searched for it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinicrecords.common import devlog
from tests.conftest import PASSPHRASE, PASSWORD, USERS

CANARY = "Zyxwvqcanary"


def _files_holding_canary(*folders: Path) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and CANARY.lower().encode() in path.read_bytes().lower():
                found.append(path)
    return found


@pytest.fixture
def own_devlog(tmp_path: Path) -> Iterator[Path]:
    """devlog.setup() into a fresh folder, with whatever this test process had put aside."""
    root = logging.getLogger()
    earlier = [h for h in root.handlers if getattr(h, devlog._MARK, False)]
    for h in earlier:
        root.removeHandler(h)
    capturing = logging._warnings_showwarning is not None  # type: ignore[attr-defined]
    path = devlog.setup(folder=tmp_path / "log")
    assert path is not None
    try:
        yield path
    finally:
        for h in [h for h in root.handlers if getattr(h, devlog._MARK, False)]:
            root.removeHandler(h)
            h.close()
        for h in earlier:
            root.addHandler(h)
        if not capturing:
            logging.captureWarnings(False)


def test_log_filter_scrubs_library_errors_warnings_and_patient_fields(
    own_devlog: Path, tmp_path: Path, capfd
) -> None:
    """Real library errors (PIL, pypdf, the OS) quote the file's path; the filter on the log
    handler removes it from messages, exception text and tracebacks alike."""
    from PIL import Image
    from pypdf import PdfReader

    folder = tmp_path / f"{CANARY} Ann"
    folder.mkdir()
    (folder / f"{CANARY}.png").write_bytes(b"not a picture at all")
    (folder / f"{CANARY}.pdf").write_bytes(b"%PDF-1.4\nnot really\n")
    log = logging.getLogger("clinicrecords.test")
    try:
        Image.open(folder / f"{CANARY}.png")
    except Exception:
        log.exception("a scanned page could not be read")
    try:
        PdfReader(str(folder / f"{CANARY}.pdf"))
    except Exception as exc:
        log.error("a PDF could not be read", exc_info=exc)
    try:
        (folder / f"{CANARY}-missing.tif").read_bytes()
    except OSError as exc:
        devlog.log_unexpected(exc, "importing a file")
        log.warning("open failed: %s", exc)
    log.warning("import row: family=%s, given=Ann, dob=1970-01-02", CANARY)
    log.info("watched folder entry %s", folder / f"{CANARY}.pdf")
    logging.getLogger("pypdf").warning("Ignoring wrong pointing object in %s", folder)
    logging.getLogger("PIL.Image").warning("cannot identify image file %r", str(folder))
    for h in logging.getLogger().handlers:
        h.flush()

    text = own_devlog.read_text()
    assert CANARY.lower() not in text.lower(), text
    assert "UnidentifiedImageError" in text and "pypdf.errors" in text
    assert "FileNotFoundError [ENOENT]" in text
    assert "family=<removed>" in text and "<file>" in text
    assert CANARY.lower() not in capfd.readouterr().err.lower()


def test_every_handler_gets_the_filter(own_devlog: Path, tmp_path: Path) -> None:
    root = logging.getLogger()
    extra = logging.FileHandler(tmp_path / "other.log")
    devlog.LOG.addHandler(extra)
    try:
        devlog.install_filter()
        for handler in [*root.handlers, *devlog.LOG.handlers]:
            assert any(isinstance(f, devlog.PatientDataFilter) for f in handler.filters)
        devlog.LOG.warning("reading /srv/scans/%s.pdf", CANARY)
        extra.flush()
        assert CANARY not in (tmp_path / "other.log").read_text()
    finally:
        devlog.LOG.removeHandler(extra)
        extra.close()


def test_qt_warnings_go_to_the_scrubbed_log_not_the_terminal(qapp, own_devlog: Path, capfd) -> None:
    from PySide6.QtCore import qInstallMessageHandler, qWarning

    from clinicrecords.ui.app import route_qt_messages

    previous = route_qt_messages()
    try:
        qWarning(f"QFile::open: cannot open /srv/scans/{CANARY} Ann.pdf")
    finally:
        qInstallMessageHandler(previous)
    for h in logging.getLogger().handlers:
        h.flush()
    assert "QFile::open: cannot open <file>" in own_devlog.read_text()
    assert CANARY not in capfd.readouterr().err


def test_scrubbing_keeps_what_support_needs() -> None:
    line = devlog.scrub_text(
        '  File "' + devlog.__file__ + '", line 12, in setup; keyfile.json is damaged; '
        "tesseract exited with 1 (345 bytes on stderr); the page's text isn't here"
    )
    assert devlog.__file__ in line and "keyfile.json" in line and "345 bytes" in line
    assert "page's text isn't here" in line
    assert devlog.scrub_paths("'Clinic name' must be one of: a, b.") == (
        "'Clinic name' must be one of: a, b."
    )
    assert devlog.scrub_paths(f"Wrote C:\\Scans\\{CANARY} Ann.pdf: 3 pages") == (
        "Wrote <file>: 3 pages"
    )


# --- the canary run: real commands, real failures, real files -----------------------------


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "clinicrecords", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.slow
def test_canary_patient_and_file_names_reach_no_log_and_no_stderr(
    store_dir: Path, tmp_path: Path
) -> None:
    state, home, inbox = tmp_path / "state", tmp_path / "home", tmp_path / "inbox"
    for folder in (state, home, inbox):
        folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env |= {
        "XDG_STATE_HOME": str(state),
        "HOME": str(home),
        "CLINICRECORDS_PASSPHRASE": PASSPHRASE,
        "CLINICRECORDS_PASSWORD": PASSWORD,
        "CLINICRECORDS_USER": USERS["admin"],
        "CLINICRECORDS_DATA_DIR": str(store_dir),
    }
    stderr: list[str] = []

    def run(*args: str) -> subprocess.CompletedProcess:
        r = _run(list(args), env, inbox)
        stderr.append(r.stderr)
        return r

    r = run("patients", "add", "--family", CANARY, "--given", "Ann", "--dob", "1970-01-02")
    assert r.returncode == 0, r.stderr
    mrn = r.stdout.split("MRN ")[1].split(".")[0]

    from tests.helpers import png_page

    (inbox / f"{CANARY} Ann.png").write_bytes(png_page(f"{CANARY} Ann lab result"))
    (inbox / f"{CANARY}.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntrailer")
    (inbox / f"{CANARY}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    (inbox / f"{CANARY}.csv").write_text(f"Id,BIRTHDATE,FIRST,LAST\n1,{CANARY},Ann,{CANARY}\n")
    (inbox / f"{CANARY}-map.csv").write_text(f"family,given,dob\n{CANARY},Ann,{CANARY}\n")
    (inbox / f"{CANARY}-folder.pdf").mkdir()

    assert run("ingest", str(inbox / f"{CANARY} Ann.png"), "--json").returncode == 0
    assert run("ingest", str(inbox / f"{CANARY}.pdf")).returncode != 0  # a corrupt PDF
    assert run("ingest", str(inbox / f"{CANARY}-missing.pdf")).returncode != 0  # missing
    assert run("suggest", str(inbox / f"{CANARY}.png")).returncode != 0  # a broken image
    assert run("patients", "import", str(inbox / f"{CANARY}.csv")).returncode != 0  # bad CSV
    r = run(
        "patients",
        "import",
        str(inbox / f"{CANARY}-map.csv"),
        "--map",
        "family=family,given=given,dob=dob",
    )
    assert r.returncode != 0
    r = run("coversheet", mrn, "--type", "lab", "--out", str(inbox / f"{CANARY}-folder.pdf"))
    assert r.returncode == 2 and "cover sheets could not be written" in r.stderr
    r = run("release", "accounting", "--patient", mrn, "--pdf", str(inbox / "no" / "a.pdf"))
    assert r.returncode == 2 and "accounting PDF could not be written" in r.stderr
    assert run("patients", "list", str(inbox / f"{CANARY}.pdf")).returncode == 2  # argparse
    assert run("search", CANARY, "--json").returncode == 0

    # An error nobody expected, from a real library, quoting the path in its message.
    script = textwrap.dedent(
        f"""
        import sys
        from PIL import Image
        from clinicrecords import cli
        from clinicrecords.commands import admin

        def broken(args, ctx):
            Image.open({str(inbox / f"{CANARY}.png")!r})

        admin.run_users_list = broken
        sys.exit(cli.main(["users", "list"]))
        """
    )
    r = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=inbox,
        timeout=120,
    )
    stderr.append(r.stderr)
    assert r.returncode == 70 and "unexpected error" in r.stderr

    logs = list(state.rglob("*.log*"))
    assert logs and "UnidentifiedImageError" in "".join(p.read_text() for p in logs)
    assert _files_holding_canary(state, home, store_dir) == []
    leaked = [e for e in stderr if CANARY.lower() in e.lower()]
    assert leaked == []
