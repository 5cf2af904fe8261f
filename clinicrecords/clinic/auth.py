"""Accounts: password hashing (Argon2id), sign-in with lock-out, and account management.

A failed sign-in is audited with the name that was tried; five failures in a row lock the
account for fifteen minutes, which stops guessing at a shared front-desk PC without locking
staff out for the day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clinicrecords.clinic import audit
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.domain import ROLES, User
from clinicrecords.common.errors import AuthError, BadInput
from clinicrecords.common.timeutil import utc_now
from clinicrecords.db import users_sql
from clinicrecords.events import accounts as shared

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD = 8
_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 defaults


def _user(row: dict) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        full_name=row["full_name"],
        role=row["role"],
        active=bool(row["active"]),
    )


def _check_new_account(username: str, role: str, password: str) -> None:
    if not username or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise BadInput("A user name may hold letters, digits, dots, dashes and underscores.")
    if role not in ROLES:
        raise BadInput(f"The role must be one of: {', '.join(ROLES)}.")
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"A password must be at least {MIN_PASSWORD} characters long.")


def create_first_admin(store: Store, username: str, password: str, full_name: str = "") -> User:
    """The store's first account, made at set-up before anyone can sign in."""
    _check_new_account(username, "admin", password)
    with store.db.write() as conn:
        if users_sql.count_active(conn) > 0:
            raise AuthError("This store already has accounts: an administrator adds users.")
        uid = users_sql.insert(
            conn, username, full_name, "admin", _hasher.hash(password), utc_now()
        )
        audit.append(
            conn, uid, username, "user.create", "user", uid, {"role": "admin", "first": True}
        )
        shared.user_added(conn, uid, by=username)
        return _user(users_sql.by_id(conn, uid))


def add_user(
    session: Session, username: str, role: str, password: str, full_name: str = ""
) -> User:
    session.require("user.manage")
    _check_new_account(username, role, password)
    with session.db.write() as conn:
        if users_sql.by_username(conn, username):
            raise BadInput("That user name is taken.")
        uid = users_sql.insert(conn, username, full_name, role, _hasher.hash(password), utc_now())
        session.audit("user.create", "user", uid, conn=conn, role=role, username=username)
        shared.user_added(conn, uid, by=session.user.username)
        return _user(users_sql.by_id(conn, uid))


def active_usernames(store: Store) -> list[str]:
    """Who could sign in, read before anyone has: a store with one account lets the command
    line act as that account without ``--user`` (the password is still asked for)."""
    with store.db.read() as conn:
        return [u["username"] for u in users_sql.all_users(conn) if u["active"]]


def list_users(session: Session) -> list[User]:
    session.require("user.manage")
    with session.db.read() as conn:
        return [_user(r) for r in users_sql.all_users(conn)]


def set_active(session: Session, username: str, active: bool) -> None:
    session.require("user.manage")
    with session.db.write() as conn:
        row = users_sql.by_username(conn, username)
        if row is None:
            raise BadInput("There is no such user.")
        users_sql.set_active(conn, row["id"], active)
        session.audit(
            "user.activate" if active else "user.deactivate", "user", row["id"], conn=conn
        )
        shared.user_changed(
            conn, row["id"], "active", row["active"], active, by=session.user.username
        )


def set_role(session: Session, username: str, role: str) -> None:
    """Give an account another role (every PC of a clinic network follows)."""
    session.require("user.manage")
    if role not in ROLES:
        raise BadInput(f"The role must be one of: {', '.join(ROLES)}.")
    with session.db.write() as conn:
        row = users_sql.by_username(conn, username)
        if row is None:
            raise BadInput("There is no such user.")
        if row["role"] == role:
            return
        users_sql.update_fields(conn, row["id"], {"role": role})
        session.audit("user.role", "user", row["id"], conn=conn, old=row["role"], new=role)
        shared.user_changed(conn, row["id"], "role", row["role"], role, by=session.user.username)


def change_password(session: Session, old: str, new: str) -> None:
    if len(new) < MIN_PASSWORD:
        raise BadInput(f"A password must be at least {MIN_PASSWORD} characters long.")
    with session.db.write() as conn:
        row = users_sql.by_id(conn, session.user.id)
        if row is None or not _verify(row["password_hash"], old):
            raise AuthError("The current password is not correct.")
        new_hash = _hasher.hash(new)
        users_sql.set_password(conn, row["id"], new_hash)
        session.audit("user.password", "user", row["id"], conn=conn)
        shared.user_changed(
            conn,
            row["id"],
            "password_hash",
            row["password_hash"],
            new_hash,
            by=session.user.username,
        )


def reset_password(session: Session, username: str, new: str) -> None:
    session.require("user.manage")
    if len(new) < MIN_PASSWORD:
        raise BadInput(f"A password must be at least {MIN_PASSWORD} characters long.")
    with session.db.write() as conn:
        row = users_sql.by_username(conn, username)
        if row is None:
            raise BadInput("There is no such user.")
        new_hash = _hasher.hash(new)
        users_sql.set_password(conn, row["id"], new_hash)
        users_sql.set_failures(conn, row["id"], 0, None)
        session.audit("user.password_reset", "user", row["id"], conn=conn)
        shared.user_changed(
            conn,
            row["id"],
            "password_hash",
            row["password_hash"],
            new_hash,
            by=session.user.username,
        )


def _verify(pw_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(pw_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def login(store: Store, username: str, password: str) -> Session:
    """Sign a user in; every attempt, good or bad, is audited."""
    refused = AuthError("The user name or password is not correct.")
    with store.db.write(essential=True) as conn:  # signing in works on a full disk (reserve)
        row = users_sql.by_username(conn, username)
        if row is None or not row["active"]:
            audit.append(conn, None, username[:64], "login.failed", "user", "", {"why": "unknown"})
            raise refused
        now = datetime.now(UTC)
        if row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now:
            audit.append(
                conn,
                row["id"],
                row["username"],
                "login.failed",
                "user",
                row["id"],
                {"why": "locked"},
            )
            raise AuthError(
                "This account is locked after too many wrong passwords. Try again in 15 "
                "minutes or ask an administrator to reset it."
            )
        if not _verify(row["password_hash"], password):
            failures = row["failed_logins"] + 1
            locked = (now + LOCKOUT).isoformat() if failures >= MAX_FAILURES else None
            users_sql.set_failures(conn, row["id"], failures, locked)
            audit.append(
                conn,
                row["id"],
                row["username"],
                "login.failed",
                "user",
                row["id"],
                {"why": "password", "failures": failures, "locked": bool(locked)},
            )
        else:
            if _hasher.check_needs_rehash(row["password_hash"]):
                users_sql.set_password(conn, row["id"], _hasher.hash(password))
            users_sql.set_failures(conn, row["id"], 0, None)
            audit.append(conn, row["id"], row["username"], "login", "user", row["id"])
            return Session(store, _user(row))
    # reached only after a wrong password: the failure row above is committed first
    raise refused


def logout(session: Session) -> None:
    session.end_emergency()
    session.audit("logout", "user", session.user.id)
