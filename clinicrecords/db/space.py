"""Disk space for the data folder: a full disk is reported as such, and a small reserve keeps
the store usable while it is full.

Why a reserve: SQLite needs a little room to open a WAL database (the ``-shm`` index, the
``-wal`` journal) and every sign-in, chart opening and ``verify`` writes an audit row. On a
disk with 0 bytes free all of these fail, the clinic cannot even look up a chart, and the
errors used to read as a damaged database. So the store keeps ``reserve.bin`` (a few MB of
preallocated space) in the data folder while the disk has room. When the room left for work
falls below the reserve's size, the reserve is deleted, giving its space to the things that
must keep working (sign-in, reading charts, ``verify``: "essential" writes, which write only
audit rows), while every other write is refused with a sentence saying how much to free. When
space returns, the reserve is written again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from clinicrecords.common import oscompat
from clinicrecords.common.errors import DiskFull

RESERVE_NAME = "reserve.bin"
RESERVE_ENV = "CLINICRECORDS_RESERVE_MB"
DEFAULT_RESERVE_MB = 8
MB = 1024 * 1024


def reserve_bytes() -> int:
    """The reserve's size: 8 MB (room for thousands of audit rows and the WAL files); the
    test suite sets CLINICRECORDS_RESERVE_MB=0 so that its thousand throw-away stores do not
    each hold one."""
    try:
        return max(0, int(os.environ.get(RESERVE_ENV, DEFAULT_RESERVE_MB))) * MB
    except ValueError:
        return DEFAULT_RESERVE_MB * MB


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class SpaceGuard:
    """The reserve of one data folder, and the test "is there room for work?"."""

    def __init__(self, folder: Path, size: int | None = None) -> None:
        self.folder = Path(folder)
        self.size = reserve_bytes() if size is None else size
        self.path = self.folder / RESERVE_NAME

    def free(self) -> int:
        try:
            return shutil.disk_usage(self.folder).free
        except OSError:
            return 1 << 62  # cannot tell: do not refuse work on a guess

    def held(self) -> bool:
        return self.path.exists()

    def work_room(self) -> int:
        """Free bytes for work once the reserve has its share (held or still owed)."""
        free = self.free()
        return free if self.held() or not self.size else free - self.size

    def check(self) -> int:
        """Release the reserve when the disk has filled, write it again when space has
        returned; returns the room for work."""
        if not self.size:
            return self.free()
        room = self.work_room()
        if room < self.size:
            if self.held():
                self.release()
        elif not self.held():
            self._create()
        return room

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _create(self) -> None:
        tmp = self.path.with_name(f".{RESERVE_NAME}.tmp")
        try:
            with open(tmp, "wb") as fh:
                # Real blocks, not a sparse file: the point is to hold the space.
                chunk = b"\0" * MB
                for _ in range(self.size // MB):
                    fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            oscompat.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)  # no room after all (or a read-only folder): no reserve

    def before_write(self, essential: bool = False) -> None:
        """Refuse a write that would eat into the reserve; essential writes (audit rows of a
        sign-in, a chart opening, a verify) may use it."""
        if not self.size:
            return
        room = self.check()
        if room < self.size and not essential:
            raise self.full_error(room)

    def full_error(self, room: int | None = None, *, readable: bool = True) -> DiskFull:
        """'The disk is full', with how much to free: enough to give the reserve back its
        share and leave as much again for work. ``readable``: whether signing in and reading
        still work (they do once the reserve has been given up; not when even opening failed).
        """
        if room is None:
            self.check()
            room = self.work_room()
        floor = self.size or 8 * MB
        mb = -(-max(2 * floor - room, MB) // MB)
        if not readable:
            return DiskFull(
                "The disk that holds the clinic's data is full, so the records database "
                f"cannot be opened: free at least {mb} MB on it, then try again."
            )
        tail = " (signing in, reading charts and 'verify' still work)" if self.size else ""
        return DiskFull(
            f"The disk is full: nothing of this action was saved. Free at least {mb} MB on "
            f"the disk that holds the clinic's data, then try again{tail}."
        )
