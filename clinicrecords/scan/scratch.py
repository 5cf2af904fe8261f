"""Where a scanner's pages wait between the driver writing them and the encrypted store.

``scanimage`` can only write files. They are plain images of patient records, so they go to
RAM (``/dev/shm``) where the machine has it, in a folder only this user can open, and are
deleted as soon as the batch is committed. A folder left by a crash is removed the next time
a scan starts.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from clinicrecords.common import oscompat

PREFIX = "cr-scan-"
STALE_SECONDS = 3600


def scratch_root() -> str | None:
    """RAM where the machine has it (not on Windows), else the system temporary folder."""
    return oscompat.scratch_root()


def _remove_stale(root: str | None) -> None:
    base = Path(root or tempfile.gettempdir())
    cutoff = time.time() - STALE_SECONDS
    for folder in base.glob(PREFIX + "*"):
        try:
            if (
                folder.is_dir()
                and folder.stat().st_mtime < cutoff
                and folder.owner() == Path.home().owner()
            ):
                shutil.rmtree(folder, ignore_errors=True)
        except (OSError, KeyError, NotImplementedError):
            continue


@contextmanager
def scan_scratch_dir() -> Iterator[Path]:
    root = scratch_root()
    _remove_stale(root)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))  # mode 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
