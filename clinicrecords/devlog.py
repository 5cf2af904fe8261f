"""The developer log: tracebacks and timings for support, never patient data.

It is a plain-text file, so nothing that identifies a patient may be written to it: messages
are fixed sentences and ids; exception *messages* from lower layers are dropped in favour of
their type, because a database or parser error can quote the value it choked on.
"""

from __future__ import annotations

import logging
import logging.handlers
import traceback
from pathlib import Path

import platformdirs

LOG = logging.getLogger("clinicrecords")


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("ClinicRecords", "ClinicRecords"))


def setup(level: int = logging.INFO) -> Path | None:
    if LOG.handlers:
        return None
    folder = log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / "clinicrecords.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(level)
    return folder / "clinicrecords.log"


def scrubbed_traceback(exc: BaseException) -> str:
    """A traceback with file/line/function names only, and exception types without messages."""
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
    chain = []
    e: BaseException | None = exc
    while e is not None:
        chain.append(type(e).__module__ + "." + type(e).__qualname__)
        e = e.__cause__ or e.__context__
    return "Traceback (messages removed):\n" + "\n".join(lines) + "\n" + " <- ".join(chain)


def log_unexpected(exc: BaseException, where: str) -> None:
    LOG.error("unexpected error in %s\n%s", where, scrubbed_traceback(exc))
