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
    pass


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


class NotYetAvailable(ClinicError):
    exit_code = 2


class ServerUnreachable(ClinicError):
    """The clinic server does not answer; work on this PC goes on and is sent later."""

    exit_code = 9


class ServerRefused(ClinicError):
    """The clinic server answered but cannot be used as it is (not set up, altered data)."""

    exit_code = 10
