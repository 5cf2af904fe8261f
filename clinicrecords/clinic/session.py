"""A signed-in user working on an unlocked store: the first argument of every service call."""

from __future__ import annotations

from typing import Any

from clinicrecords.clinic import access, audit
from clinicrecords.clinic.store import Store
from clinicrecords.common.domain import User
from clinicrecords.common.errors import AccessDenied
from clinicrecords.db.connection import Connection, Database
from clinicrecords.db.pagestore import PageStore


class Session:
    def __init__(self, store: Store, user: User) -> None:
        self.store = store
        self.user = user
        self.emergency_reason: str | None = None

    @property
    def db(self) -> Database:
        return self.store.db

    @property
    def pages(self) -> PageStore:
        return self.store.pages

    @property
    def emergency(self) -> bool:
        return self.emergency_reason is not None

    def can(self, permission: str) -> bool:
        return access.allowed(self.user.role, permission, self.emergency)

    def require(self, permission: str) -> None:
        """Raise AccessDenied (and audit the refusal) unless the user's role allows it."""
        if access.allowed(self.user.role, permission):
            return
        if self.emergency and permission in access.EMERGENCY_GRANTS:
            self.audit("emergency.use", "permission", permission, reason=self.emergency_reason)
            return
        self.audit("access.denied", "permission", permission)
        raise AccessDenied(
            f"Your role ({self.user.role}) does not allow this. Ask an administrator."
        )

    def audit(
        self,
        action: str,
        object_type: str = "",
        object_id: str | int = "",
        conn: Connection | None = None,
        **detail: Any,
    ) -> int:
        """Record an action. Pass the action's own connection to commit both together."""
        if self.emergency:
            detail = {**detail, "emergency": True}
        if conn is not None and conn.in_transaction:
            return audit.append(
                conn, self.user.id, self.user.username, action, object_type, object_id, detail
            )
        # Only an audit row: allowed to use the disk reserve (db/space.py), so that reading a
        # chart and signing out still work on a full disk.
        with self.db.write(essential=True) as c:
            return audit.append(
                c, self.user.id, self.user.username, action, object_type, object_id, detail
            )

    def break_glass(self, reason: str) -> None:
        """Emergency access: wider reading rights for this session, loudly audited."""
        reason = reason.strip()
        if len(reason) < 10:
            from clinicrecords.common.errors import BadInput

            raise BadInput("Say why emergency access is needed (at least a short sentence).")
        self.emergency_reason = reason
        self.audit("emergency.start", "user", self.user.id, reason=reason)
        from clinicrecords.db import settings_sql

        with self.db.write() as conn:
            pending = settings_sql.get(conn, "emergency.pending_review", [])
            pending.append({"user": self.user.username, "reason": reason})
            settings_sql.put(conn, "emergency.pending_review", pending)

    def end_emergency(self) -> None:
        if self.emergency:
            self.audit("emergency.end", "user", self.user.id)
            self.emergency_reason = None
