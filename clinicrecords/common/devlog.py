"""The developer log: tracebacks and timings for support, never patient data.

It is a plain-text file, so nothing that identifies a patient may be written to it: messages
are fixed sentences and ids; exception *messages* from lower layers are dropped in favour of
their type, because a database or parser error can quote the value it choked on.

A second line of defence, :class:`PatientDataFilter`, sits on every handler that
:func:`setup` knows of and scrubs each record as it is written: file paths and file names
(clinic scans are often named after the patient), quoted values, dates, long numbers and
``field=value`` pairs for patient fields. The log handler also sits on the root logger, so a
library's own warnings (pypdf, PIL, ``warnings.warn``) come here scrubbed instead of reaching
the terminal, and from there a cron job's mail.
"""

from __future__ import annotations

import errno
import logging
import logging.handlers
import re
import sys
import sysconfig
import traceback
from functools import lru_cache
from pathlib import Path

import platformdirs

LOG = logging.getLogger("clinicrecords")
_MARK = "_clinicrecords_devlog"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("ClinicRecords", "ClinicRecords"))


def setup(level: int = logging.INFO, folder: Path | None = None) -> Path | None:
    """Send the program's log (INFO and up) and every library's warnings to the log file.

    Why the root logger: with no handler there, Python prints library warnings on stderr
    (``logging.lastResort``), unscrubbed. If the log file cannot be opened, records are dropped
    rather than printed, for the same reason.
    """
    root = logging.getLogger()
    if any(getattr(h, _MARK, False) for h in root.handlers):
        return None
    folder = folder or log_dir()
    path: Path | None = folder / "clinicrecords.log"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler, path = logging.NullHandler(), None
    setattr(handler, _MARK, True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    LOG.setLevel(level)
    logging.captureWarnings(True)
    install_filter()
    return path


def install_filter() -> None:
    """Put the patient-data filter on every handler of the root and the program's loggers."""
    for logger in (logging.getLogger(), LOG):
        for handler in logger.handlers:
            if not any(isinstance(f, PatientDataFilter) for f in handler.filters):
                handler.addFilter(PatientDataFilter())


class PatientDataFilter(logging.Filter):
    """Rewrites each record to its scrubbed text (message, exception, stack), then lets it pass.

    An exception attached to the record is replaced by :func:`scrubbed_traceback`: its message
    is dropped, since a library's message can quote a patient's value without quotes.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + scrubbed_traceback(record.exc_info[1])
        elif record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + record.stack_info
        record.msg, record.args = scrub_text(text), None
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


# --- scrubbing -----------------------------------------------------------------------------

# The program's own files: naming them tells support what broke and says nothing of a patient.
OWN_FILES = frozenset(
    {
        "keyfile.json",
        "clinic.db",
        "clinic.db-wal",
        "manifest.json",
        "clinicrecords.log",
        "patients.csv",  # Synthea's standard export name
        "doctypes.json",
        "cover_letter.txt",
        "part2_redisclosure.txt",
    }
)
_EXT = (
    r"(?:pdf|png|jpe?g|jfif|tiff?|gif|bmp|webp|heic|pnm|pgm|ppm|csv|tsv|txt|json|xml|html?|"
    r"docx?|xlsx?|odt|ods|rtf|zip|db|log|part|tmp)"
)
_QUOTED = re.compile(r"""(?<!\w)(?:'([^'\n]*)'|"([^"\n]*)"|“([^”\n]*)”|‘([^’\n]*)’)""")
_STOP = "\\s'\"“”‘’<>|"  # characters no unquoted path is taken to run across
_WIN_PATH = re.compile(
    r"(?:\b[A-Za-z]:|\\\\[^\s\\]+)\\(?:[^\n'\"“”‘’<>|]*?\." + _EXT + r"\b|[^" + _STOP + r"]*)",
    re.I,
)
_POSIX_PATH = re.compile(
    r"(?<![\w.~/])(?:~|\.\.?)?/(?=[^\s/])(?:[^\n'\"“”‘’<>|]*?\." + _EXT + r"\b|[^" + _STOP + r"]*)",
    re.I,
)
_REL_PATH = re.compile(r"[^" + _STOP + r"]*[\\/][^" + _STOP + r"]*\." + _EXT + r"\b", re.I)
_FILE_NAME = re.compile(r"[^" + _STOP + r"/\\()\[\]]+\." + _EXT + r"\b", re.I)
_FIELD = re.compile(
    r"\b(name|family|given|middle|first_name|last_name|dob|birth_?date|birthdate|mrn|ssn|"
    r"phone|address|email|city|zip|ocr_text|text)\s*[=:]\s*[^,;\n]*",
    re.I,
)
_DATE = re.compile(
    r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{8})\b"
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{2,4}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b",
    re.I,
)
_PHONE = re.compile(r"\(?\b\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}\b|\b\d{3}-\d{2}-\d{4}\b")
_LONG_NUMBER = re.compile(r"\b\d{6,}\b")


@lru_cache(maxsize=1)
def _code_roots() -> tuple[str, ...]:
    """Folders holding the program's and Python's own code: paths there are no patient's."""
    roots = {str(Path(__file__).resolve().parents[2]), sys.prefix, sys.base_prefix}
    roots.update(str(v) for k, v in sysconfig.get_paths().items() if "lib" in k)
    if getattr(sys, "_MEIPASS", None):  # the PyInstaller bundle
        roots.add(str(sys._MEIPASS))  # type: ignore[attr-defined]
    return tuple(sorted((r.rstrip("/\\") + ("\\" if "\\" in r else "/") for r in roots), key=len))


def _is_code_path(text: str) -> bool:
    return text.startswith(_code_roots())


def _path(match: re.Match[str]) -> str:
    found = match.group(0)
    if _is_code_path(found):
        return found
    kept = found.rstrip(".,:;)!?")  # the sentence's punctuation after the path stays
    name = re.split(r"[\\/]", kept)[-1]
    return (name if name in OWN_FILES else "<file>") + found[len(kept) :]


def _file_name(match: re.Match[str]) -> str:
    found = match.group(0)
    return found if found in OWN_FILES or found.startswith("<") else "<file>"


def _quoted(match: re.Match[str]) -> str:
    inner = next(g for g in match.groups() if g is not None)
    if not inner or _is_code_path(inner) or inner in OWN_FILES or inner in ("<file>",):
        return match.group(0)
    return match.group(0)[0] + "<removed>" + match.group(0)[-1]


def scrub_text(text: str) -> str:
    """``text`` with anything that could identify a patient replaced by a placeholder.

    Over-scrubs on purpose (a byte count of six digits becomes ``<number>``): the log serves
    developers, who can do without a value; a leaked name cannot be taken back.
    """
    text = _QUOTED.sub(_quoted, text)
    text = _WIN_PATH.sub(_path, text)
    text = _POSIX_PATH.sub(_path, text)
    text = _REL_PATH.sub(_path, text)
    text = _FILE_NAME.sub(_file_name, text)
    text = _FIELD.sub(lambda m: m.group(1) + "=<removed>", text)
    text = _DATE.sub("<date>", text)
    text = _PHONE.sub("<number>", text)
    return _LONG_NUMBER.sub("<number>", text)


def _quoted_path(match: re.Match[str]) -> str:
    inner = next(g for g in match.groups() if g is not None)
    if inner in OWN_FILES or _is_code_path(inner):
        return match.group(0)
    if re.search(r"[\\/]", inner) or re.search(r"\." + _EXT + r"$", inner, re.I):
        return match.group(0)[0] + "<file>" + match.group(0)[-1]
    return match.group(0)


def scrub_paths(text: str) -> str:
    """Only paths and file names scrubbed: for sentences shown to a person, whose quoted words
    and numbers (a setting's name, a page count) are the point of the sentence."""
    text = _QUOTED.sub(_quoted_path, text)
    text = _WIN_PATH.sub(_path, text)
    text = _POSIX_PATH.sub(_path, text)
    text = _REL_PATH.sub(_path, text)
    return _FILE_NAME.sub(_file_name, text)


def scrubbed_traceback(exc: BaseException) -> str:
    """A traceback with file/line/function names only, and exception types without messages.

    An OSError keeps its errno name (``ENOSPC``): the OS's own word, never the file's name.
    Frames in files outside the program's and Python's folders show ``<file>``.
    """
    lines = []
    for frame in traceback.extract_tb(exc.__traceback__):
        filename = frame.filename if _is_code_path(frame.filename) else "<file>"
        lines.append(f'  File "{filename}", line {frame.lineno}, in {frame.name}')
    chain = []
    e: BaseException | None = exc
    seen: set[int] = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        name = type(e).__module__ + "." + type(e).__qualname__
        if isinstance(e, OSError) and e.errno in errno.errorcode:
            name += f" [{errno.errorcode[e.errno]}]"
        chain.append(name)
        e = e.__cause__ or e.__context__
    return "Traceback (messages removed):\n" + "\n".join(lines) + "\n" + " <- ".join(chain)


def log_unexpected(exc: BaseException, where: str) -> None:
    LOG.error("unexpected error in %s\n%s", where, scrubbed_traceback(exc))
