"""What differs between Linux and Windows, in one place, behind one flag.

Clinic PCs are mostly Windows; development and CI run on Linux. Every operating-system
difference the program depends on is a function here that branches on ``WINDOWS``, read at call
time, so a test on Linux can select the Windows branch (``monkeypatch.setattr(oscompat,
"WINDOWS", True)``) and run it wherever its system calls exist here too:

- ``fsync_dir``: POSIX makes a rename durable by fsyncing the folder; Windows cannot open a
  folder for fsync (NTFS journals the rename itself), so it is skipped there.
- ``lock_file``: one backup at a time per folder. POSIX ``flock`` (shared or exclusive); Windows
  ``msvcrt.locking`` on the lock file's first byte (exclusive only: a restore waits for a backup
  and a backup for a restore, which costs nothing in practice). Both locks belong to the open
  file and vanish with the process, so a killed backup never leaves its folder locked.
- ``quiet_subprocess_flags``: a helper process (Tesseract) started from the windowed program
  would flash a console window on Windows; ``CREATE_NO_WINDOW`` prevents it.
- ``scratch_root``: scanner pages wait in RAM (``/dev/shm``) where it exists; Windows has none
  and uses the per-user temporary folder (inside the user's profile, not shared).
- ``replace`` / ``retry_on_sharing``: on Windows a file another process has open (a scheduled
  backup reading ``audit-head``, an antivirus scanning a file just written) refuses a rename or
  an open with PermissionError for a moment; POSIX has no such thing, so there the error is
  real and raised at once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

WINDOWS = sys.platform == "win32"
# A sharing violation lasts as long as the other process's read: retry for up to a second.
SHARING_RETRIES = 20
SHARING_WAIT_S = 0.05

T = TypeVar("T")


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (no-op on Windows, see above)."""
    if WINDOWS:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def lock_file(fd: int, exclusive: bool) -> None:
    """Lock an open file without waiting; ``BlockingIOError`` when another process holds it."""
    if WINDOWS:
        import msvcrt

        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError as exc:  # Windows says EACCES / EDEADLOCK for "held by another"
            raise BlockingIOError(str(exc)) from None
        return
    import fcntl

    fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)


def quiet_subprocess_flags() -> int:
    """``creationflags`` for helper processes: below-normal priority, no console window."""
    if not WINDOWS:
        return 0
    return getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0x4000) | getattr(
        subprocess, "CREATE_NO_WINDOW", 0x08000000
    )


def scratch_root() -> str | None:
    """RAM-backed folder for scanner output, or None for the system temporary folder."""
    if WINDOWS:
        return None
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK):
        return shm
    return None


def executable_name(name: str) -> str:
    """``tesseract`` → ``tesseract.exe`` on Windows."""
    return f"{name}.exe" if WINDOWS else name


def retry_on_sharing(action: Callable[[], T]) -> T:
    """Run ``action``; on Windows, retry it while another process's handle makes it fail with
    PermissionError (up to ``SHARING_RETRIES`` times), then let the error through."""
    if not WINDOWS:
        return action()
    for attempt in range(SHARING_RETRIES):
        try:
            return action()
        except PermissionError:
            if attempt == SHARING_RETRIES - 1:
                raise
            time.sleep(SHARING_WAIT_S)
    raise AssertionError("unreachable")


def replace(src: Path, dst: Path) -> None:
    """``os.replace`` that outlasts a moment's sharing violation on Windows."""
    retry_on_sharing(lambda: os.replace(src, dst))
