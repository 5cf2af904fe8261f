"""The Windows branches of common/oscompat.py, run on Linux with the platform flag set to
Windows wherever their system calls exist here: folder fsync skipped, backup folder lock
(msvcrt byte lock; tests/winshim.py stands in for the msvcrt module on fcntl byte locks),
scanner scratch folder outside /dev/shm, helper processes without a console window, and the
Tesseract bundled beside the frozen program (Windows installer) with its own language data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from clinicrecords.admin import backup
from clinicrecords.clinic.session import Session
from clinicrecords.common import fileio, oscompat
from clinicrecords.common.errors import BadInput
from clinicrecords.scan import ocr, scratch
from tests import winshim

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oscompat, "WINDOWS", True)
    if sys.platform != "win32":  # on Windows itself (the CI workflow) the real msvcrt runs
        monkeypatch.setitem(sys.modules, "msvcrt", winshim.module())


def test_a_durable_write_on_windows_never_opens_a_folder(
    windows: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real_open = os.open

    def spy(path, flags, *args):  # type: ignore[no-untyped-def]
        opened.append(str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(oscompat.os, "open", spy)
    target = tmp_path / "key.json"
    fileio.write_atomically(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert str(tmp_path) not in opened  # Windows cannot open a folder for fsync

    if sys.platform != "win32":  # (Windows itself cannot open a folder: the point above)
        monkeypatch.setattr(oscompat, "WINDOWS", False)
        fileio.write_atomically(target, b"[]")
        assert str(tmp_path) in opened  # POSIX: the rename is made durable by the folder's fsync


_HOLD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from clinicrecords.admin import backup
    from clinicrecords.common import oscompat
    from tests import winshim
    oscompat.WINDOWS = True
    if sys.platform != "win32":
        sys.modules["msvcrt"] = winshim.module()
    with backup._folder_lock(Path(sys.argv[1]), exclusive=True):
        print("held", flush=True)
        sys.stdin.read()
    """
)


def test_windows_backup_lock_refuses_a_second_backup_and_dies_with_its_process(
    windows: None, admin_session: Session, tmp_path: Path
) -> None:
    dest = tmp_path / "backups"
    backup.backup(admin_session, dest)  # a backup folder, made with the Windows lock
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(dest)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        with pytest.raises(BadInput, match="A backup into that folder is running"):
            backup.backup(admin_session, dest)
        with (
            pytest.raises(BadInput, match="A backup into that folder is running"),
            backup._folder_lock(dest, exclusive=False),  # a restore waits too
        ):
            pass
    finally:
        holder.kill()  # as a power cut or Task Manager would: no unlock, no clean-up
        holder.wait(30)
    result = backup.backup(admin_session, dest)  # the dead process's lock is gone
    assert result.generation


def test_windows_scanner_scratch_is_the_users_temp_folder(windows: None) -> None:
    assert oscompat.scratch_root() is None
    with scratch.scan_scratch_dir() as folder:
        assert folder.parent == Path(tempfile.gettempdir())
        assert not str(folder).startswith("/dev/shm")
        (folder / "page-1.pnm").write_bytes(b"P5")
    assert not folder.exists()


def test_helper_processes_get_no_console_window_on_windows(windows: None) -> None:
    flags = oscompat.quiet_subprocess_flags()
    assert flags & 0x08000000  # CREATE_NO_WINDOW
    assert flags & 0x00004000  # BELOW_NORMAL_PRIORITY_CLASS


def test_no_creation_flags_off_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oscompat, "WINDOWS", False)
    assert oscompat.quiet_subprocess_flags() == 0  # Popen refuses them on POSIX


def _system_tessdata() -> Path:
    out = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30
    ).stdout
    first = out.splitlines()[0]
    return Path(first[first.index('"') + 1 : first.rindex('"')])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
@pytest.mark.skipif(sys.platform == "win32", reason="symlinks stand in for the installed copy")
def test_the_frozen_program_uses_the_tesseract_installed_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Windows installer puts Tesseract in {app}\\tesseract with eng + osd data; the program
    finds it there before PATH and points it at that data."""
    from tests.scanfixtures import page_pdf, rasterise

    app = tmp_path / "ClinicRecords"
    (app / "tesseract" / "tessdata").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "clinicrecords.exe"))
    monkeypatch.delenv("CLINICRECORDS_TESSERACT", raising=False)
    real = shutil.which("tesseract")
    assert real is not None

    monkeypatch.setattr(oscompat, "WINDOWS", True)  # the Windows name, tesseract.exe
    assert ocr.tesseract_path() == real  # nothing bundled yet: PATH, as before
    (app / "tesseract" / "tesseract.exe").symlink_to(real)
    assert ocr.tesseract_path() == str(app / "tesseract" / "tesseract.exe")
    assert ocr.tesseract_env()["TESSDATA_PREFIX"] == str(app / "tesseract" / "tessdata")

    # Read a page with the bundled copy (the Linux name, so Popen takes no Windows flags).
    monkeypatch.setattr(oscompat, "WINDOWS", False)
    (app / "tesseract" / "tesseract").symlink_to(real)
    page = rasterise(page_pdf())
    engine = ocr.OcrEngine()
    with pytest.raises(ocr.OcrFailed):  # its tessdata is still empty: not the system's data
        engine.header_pass(page)
    # What the installer copies: both languages and configs/ (the "tsv" output format is a
    # config file there; without it Tesseract reads the page and prints nothing).
    for name in ("eng.traineddata", "osd.traineddata", "configs"):
        (app / "tesseract" / "tessdata" / name).symlink_to(_system_tessdata() / name)
    words = engine.header_pass(page).text
    assert "Albermarle" in words


def _sharing_violations(monkeypatch: pytest.MonkeyPatch, count: int) -> list[int]:
    """os.replace fails ``count`` times as Windows does while another process reads the file
    (Linux never refuses a rename for an open file, so only this error is simulated)."""
    calls: list[int] = []
    real_replace = os.replace

    def replace(src, dst):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) <= count:
            raise PermissionError(13, "The process cannot access the file")
        return real_replace(src, dst)

    monkeypatch.setattr(oscompat.os, "replace", replace)
    monkeypatch.setattr(oscompat, "SHARING_WAIT_S", 0.001)
    return calls


def test_windows_outlasts_a_moments_sharing_violation(
    windows: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _sharing_violations(monkeypatch, 3)
    target = tmp_path / "audit-head"
    fileio.write_atomically(target, b"new")
    assert target.read_bytes() == b"new" and len(calls) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["audit-head"]  # no temp file left


def test_a_lasting_sharing_violation_is_reported_on_windows(
    windows: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _sharing_violations(monkeypatch, 10_000)
    with pytest.raises(PermissionError):
        fileio.write_atomically(tmp_path / "audit-head", b"new")
    assert len(calls) == oscompat.SHARING_RETRIES


def test_posix_reports_a_permission_error_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oscompat, "WINDOWS", False)
    calls = _sharing_violations(monkeypatch, 1)
    with pytest.raises(PermissionError):
        fileio.write_atomically(tmp_path / "audit-head", b"new")
    assert len(calls) == 1
