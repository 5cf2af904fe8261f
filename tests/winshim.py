"""A stand-in for Windows' ``msvcrt`` module on Linux, for tests that select the Windows branch
of ``common/oscompat.py``. ``msvcrt.locking(fd, LK_NBLCK, n)`` locks n bytes from the file's
current position, fails at once with OSError when another process holds them, and the lock
goes with the process; ``fcntl.lockf`` byte-range locks have the same three properties, so the
branch's own code (seek, lock, error translation) runs for real against real processes.
"""

from __future__ import annotations

import errno
import fcntl
import os
import types

LK_NBLCK = 2


def locking(fd: int, mode: int, nbytes: int) -> None:
    if mode != LK_NBLCK:
        raise ValueError("the program only takes non-blocking locks")
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, nbytes, 0, os.SEEK_CUR)
    except OSError:
        raise OSError(errno.EACCES, "Permission denied") from None  # what msvcrt raises


def module() -> types.ModuleType:
    shim = types.ModuleType("msvcrt")
    shim.LK_NBLCK = LK_NBLCK  # type: ignore[attr-defined]
    shim.locking = locking  # type: ignore[attr-defined]
    return shim
