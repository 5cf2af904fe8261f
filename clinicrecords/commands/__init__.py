"""Command-line subcommands, one module per area; each exposes ``register(subparsers)``.

A handler is ``fn(args, ctx) -> int | None`` and is set with ``parser.set_defaults(handler=fn)``.
``ctx`` (a :class:`CommandContext`) opens the store, signs the user in and prints results.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import PASSPHRASE_ENV, Store, default_data_dir
from clinicrecords.common.errors import AuthError, PassphraseRequired

USER_ENV = "CLINICRECORDS_USER"
PASSWORD_ENV = "CLINICRECORDS_PASSWORD"


def add_common(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Options accepted before or after the subcommand (`--json` anywhere, as scripts expect)."""
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="the clinic's data folder (default: the per-user data folder)",
    )
    parser.add_argument(
        "--user",
        default=argparse.SUPPRESS,
        help=f"acting user (or {USER_ENV}); password from {PASSWORD_ENV} or a prompt",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print one JSON document on stdout",
    )
    return parser


class CommandContext:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._store: Store | None = None
        self._session: Session | None = None

    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    @property
    def data_dir(self) -> Path:
        return Path(getattr(self.args, "data_dir", None) or default_data_dir())

    def passphrase(self, prompt: str = "Recovery passphrase: ") -> str | None:
        value = os.environ.get(PASSPHRASE_ENV)
        if value:
            return value
        if sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(prompt)
        return None

    def store(self, allow_loss: bool = False) -> Store:
        """The store, opened. ``allow_loss``: also when work was lost (for ``verify``)."""
        if self._store is None:
            try:
                self._store = Store.open(self.data_dir, allow_loss=allow_loss)
            except PassphraseRequired:
                phrase = self.passphrase()
                if not phrase:
                    raise
                self._store = Store.open(self.data_dir, phrase, allow_loss=allow_loss)
        return self._store

    def unlocked_store(self) -> Store:
        """The keys only, the database untouched: for ``verify`` of a damaged database."""
        if self._store is None:
            try:
                self._store = Store.unlock(self.data_dir)
            except PassphraseRequired:
                phrase = self.passphrase()
                if not phrase:
                    raise
                self._store = Store.unlock(self.data_dir, phrase)
        return self._store

    def password(self, username: str) -> str:
        value = os.environ.get(PASSWORD_ENV)
        if value is not None:
            return value
        if sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(f"Password for {username}: ")
        raise AuthError(f"No password: set {PASSWORD_ENV} or run from a terminal.")

    def username(self, store: Store) -> str:
        name = getattr(self.args, "user", None) or os.environ.get(USER_ENV)
        if name:
            return name
        from clinicrecords.clinic.auth import active_usernames

        active = active_usernames(store)
        if len(active) == 1:  # a store with one account: that is who is acting
            return active[0]
        raise AuthError(f"Say who is acting: --user NAME (or set {USER_ENV}).")

    def session(self, allow_loss: bool = False) -> Session:
        if self._session is None:
            from clinicrecords.clinic.auth import login

            store = self.store(allow_loss)
            name = self.username(store)
            self._session = login(store, name, self.password(name))
        return self._session

    def emit(self, obj: Any, text: str | None = None) -> None:
        if self.json:
            sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
        elif text is not None:
            sys.stdout.write(text.rstrip("\n") + "\n")
        else:
            sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")

    def close(self) -> None:
        if self._session is not None:
            from clinicrecords.clinic.auth import logout

            with contextlib.suppress(Exception):  # closing must not hide the command's result
                logout(self._session)
        if self._store is not None:
            self._store.close()
