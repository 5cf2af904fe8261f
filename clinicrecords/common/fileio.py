"""Writing a whole file or nothing: page-store objects, the key file, and the files a person
exports (release packets, cover sheets).

Why one helper outside ``db/``: the page store needs it, but so do services and screens that
write a file where the user chose, and those must not import the database layer. A crash, a
power cut or a full disk leaves either the old file or the new one, never a torn file, and a
full disk is a sentence the user can act on (``DiskFull``), not an OSError.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from clinicrecords.common import oscompat
from clinicrecords.common.errors import DiskFull


def write_atomically(path: Path, payload: bytes) -> None:
    """Write a whole file or nothing; ENOSPC becomes a DiskFull the user can act on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        oscompat.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(
                "The disk is full: nothing was saved. Free some space and try again."
            ) from exc
        raise


def fsync_dir(folder: Path) -> None:
    """Durable rename or new file in ``folder`` (skipped on Windows: see common/oscompat.py)."""
    oscompat.fsync_dir(folder)
