"""Who may do what. Every service call names one permission and the session checks it.

Kept as one table so that an auditor can read the whole access policy in one place.
"""

from __future__ import annotations

CLERK, RELEASE, ADMIN = "clerk", "release", "admin"
ALL = frozenset({CLERK, RELEASE, ADMIN})
# The nightly backup's own session (admin/schedule.py): no account, may only back up.
SCHEDULED = "scheduled"

PERMISSIONS: dict[str, frozenset[str]] = {
    # chart lookup
    "patient.read": ALL,
    "patient.create": ALL,
    "patient.edit": ALL,
    "patient.import": frozenset({ADMIN}),
    "patient.merge": frozenset({RELEASE, ADMIN}),
    "patient.unmerge": frozenset({ADMIN}),
    "document.read": ALL,
    "document.read_sensitive": frozenset({RELEASE, ADMIN}),  # clerks: emergency access only
    "document.edit": ALL,
    # documents after filing: anyone fixes a misfile (with a reason); an administrator undoes a
    # void or a move and reads the old values; the privacy officer reviews wrong-party releases
    "document.correct": ALL,
    "document.correct_undo": frozenset({ADMIN}),
    "disclosure.review": frozenset({ADMIN}),
    # scan and index
    "scan.ingest": ALL,
    "scan.file": ALL,
    # release of information
    "release.read": frozenset({RELEASE, ADMIN}),
    "release.create": frozenset({RELEASE, ADMIN}),
    "release.send": frozenset({RELEASE, ADMIN}),
    # records lifecycle: retention and disposal, legal holds, amendments (164.526)
    "retention.manage": frozenset({ADMIN}),
    "retention.hold": frozenset({RELEASE, ADMIN}),
    "amendment.request": ALL,
    "amendment.decide": frozenset({RELEASE, ADMIN}),
    # administration
    "user.manage": frozenset({ADMIN}),
    "settings.edit": frozenset({ADMIN}),
    "backup.run": frozenset({ADMIN, SCHEDULED}),
    "store.verify": frozenset({ADMIN}),
    "audit.read": frozenset({ADMIN}),
    "audit.verify": frozenset({ADMIN}),
}

# Permissions that emergency access ("break the glass") grants on top of a role, loudly audited.
EMERGENCY_GRANTS = frozenset({"document.read_sensitive", "patient.read", "document.read"})


def allowed(role: str, permission: str, emergency: bool = False) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    if role in PERMISSIONS[permission]:
        return True
    return emergency and permission in EMERGENCY_GRANTS
