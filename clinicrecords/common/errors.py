"""Errors a clinic user can meet.

Every message is a sentence written for a clerk or office manager. Messages never carry
patient data (names, dates of birth, MRNs, OCR text): they may be shown on screen, printed
by the command line, or end up in a support e-mail.
"""

from __future__ import annotations


class ClinicError(Exception):
    """Base of every error the program expects and explains to its user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def cannot_write(what: str, exc: OSError) -> ClinicError:
    """An OSError met while writing a file the user named, as one sentence naming the file by
    its role ("the cover sheets"), never by its path: files are often named after the patient,
    and stderr ends up in cron mail and logs."""
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(f"The disk is full: {what} could not be written. Free some space.")
    reason = {
        errno.EISDIR: "the name given is a folder",
        errno.ENOENT: "its folder does not exist",
        errno.ENOTDIR: "part of the path given is not a folder",
        errno.EACCES: "there is no permission to write there",
        errno.EPERM: "there is no permission to write there",
        errno.EROFS: "that disk is read-only",
        errno.EEXIST: "a file of that name already exists",
        errno.ENAMETOOLONG: "the name given is too long",
    }.get(exc.errno or 0, f"the system refused ({exc.strerror or 'error'})")
    return BadInput(f"{what[:1].upper()}{what[1:]} could not be written: {reason}.")


class StoreError(ClinicError):
    """The data directory cannot be opened or is damaged."""

    exit_code = 3


class StoreNotFound(StoreError):
    pass


class StoreExists(StoreError):
    pass


class KeyFileMissing(StoreError):
    pass


class KeyFileCorrupt(StoreError):
    pass


class WrongPassphrase(StoreError):
    pass


class PassphraseRequired(StoreError):
    pass


class StoreCorrupt(StoreError):
    """Part of the store cannot be read: a damaged file, or one from another clinic store.

    Its own exit status, apart from a wrong passphrase (3) and an unexpected error (70): a
    script (or the person reading its log) must know that restoring from a backup is the
    remedy, and that retyping the passphrase is not."""

    exit_code = 9


class WorkLost(StoreError):
    """Actions the store recorded as committed are no longer in the database (its journal,
    ``clinic.db-wal``, was damaged or removed). Normal work is refused until a backup is
    restored or an administrator accepts the loss, so nothing new is built on a gap."""

    exit_code = 10


class AuthError(ClinicError):
    """Sign-in failed or the account cannot act."""

    exit_code = 4


class AccessDenied(ClinicError):
    """The signed-in user's role does not allow this action."""

    exit_code = 5


class NotFound(ClinicError):
    exit_code = 6


class BadInput(ClinicError):
    """Input (a file, a form field, a CSV row) the program refuses, with the reason."""

    exit_code = 2


class DuplicateImport(BadInput):
    pass


class DiskFull(ClinicError):
    exit_code = 7


DAMAGED_DATABASE = (
    "The records database is damaged: part of it cannot be read. Run 'clinicrecords verify' "
    "to see what is damaged and which backup to restore."
)
DISK_FULL = "The disk is full: nothing of this action was saved. Free some space and try again."

# SQLite's primary result codes (the low byte of an extended code), as sqlcipher3 reports them
# in ``sqlite_errorcode``; named here so that this module needs no database import.
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_NOTADB = 11, 13, 26


def explain(exc: BaseException) -> ClinicError | None:
    """The ClinicError that a low-level failure means to the person, or None if it means
    nothing to them (a bug: the caller reports it as unexpected).

    Why one place: a damaged database page or a full disk can surface from any query or file
    write deep inside any service. The command line and the screens translate them here
    instead of every call site guessing, and the sentence is the same wherever it appears."""
    import errno

    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ClinicError):
            return e
        code = getattr(e, "sqlite_errorcode", None)
        if isinstance(code, int):
            primary = code & 0xFF
            if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
                return StoreCorrupt(DAMAGED_DATABASE)
            if primary == _SQLITE_FULL:
                return DiskFull(DISK_FULL)
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return DiskFull(DISK_FULL)
        e = e.__cause__ or e.__context__
    return None


class NotYetAvailable(ClinicError):
    exit_code = 2


class ServerUnreachable(ClinicError):
    """The clinic server does not answer; work on this PC goes on and is sent later."""

    exit_code = 11


class ServerRefused(ClinicError):
    """The clinic server answered but cannot be used as it is (not set up, altered data)."""

    exit_code = 12
