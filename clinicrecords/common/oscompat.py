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
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WINDOWS = sys.platform == "win32"


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
