"""The clinic server's address (a libpq URL) and the connection to it.

- A server on another machine must be reached with ``sslmode=verify-full``: TLS, and the
  server's certificate checked against its host name. Anything weaker lets someone on the
  clinic network read the sign-in or pose as the server. A Unix socket (``?host=/dir``) or
  localhost stays on this machine and may do without.
- The address, password included, is kept only inside the encrypted store; what people see
  (``sync status``, logs, error messages) never carries the password.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from clinicrecords.common.errors import BadInput, ServerRefused, ServerUnreachable

CONNECT_TIMEOUT_S = 5
LOCAL_HOSTS = frozenset({"", "localhost", "127.0.0.1", "::1"})


def parse(url: str) -> dict[str, str]:
    try:
        return {k: str(v) for k, v in conninfo_to_dict(url).items()}
    except psycopg.ProgrammingError:
        # psycopg's message quotes the address, password and all: never pass it on.
        raise BadInput(
            "That is not a server address: give it as "
            "postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full."
        ) from None


def is_local(params: dict[str, str]) -> bool:
    hosts = params.get("host", "").split(",")
    addrs = [a for a in params.get("hostaddr", "").split(",") if a]
    return all(h.startswith("/") or h in LOCAL_HOSTS for h in hosts) and all(
        a in LOCAL_HOSTS for a in addrs
    )


def check(url: str) -> dict[str, str]:
    """Refuse an address that would cross the network without a verified, encrypted link."""
    params = parse(url)
    if not params.get("dbname"):
        raise BadInput("The server address must name the database (…/DATABASE).")
    if not is_local(params) and params.get("sslmode") != "verify-full":
        raise BadInput(
            "A clinic server on another machine must be reached with sslmode=verify-full in "
            "its address, so the connection is encrypted and the server proven."
        )
    return params


def redact(url: str) -> str:
    """The address as people may see it: everything but the password."""
    if re.match(r"^postgres(ql)?://", url):
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, hostpart = netloc.rsplit("@", 1)
            netloc = userinfo.split(":", 1)[0] + "@" + hostpart
        query = urlencode(
            [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"],
            safe="/,:",
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    params = parse(url)
    params.pop("password", None)
    return make_conninfo(**params)


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection (statements group in ``with pg.transaction():``)."""
    try:
        return psycopg.connect(
            url,
            connect_timeout=CONNECT_TIMEOUT_S,
            autocommit=True,
            application_name="clinicrecords",
        )
    except psycopg.ProgrammingError:
        parse(url)  # raises the clerk-readable sentence for a malformed address
        raise
    except psycopg.OperationalError as exc:
        text = str(exc).lower()
        if "authentication" in text or "password" in text or "role" in text:
            raise ServerRefused(
                "The clinic server refused the sign-in: check the user name and password in "
                "the server address."
            ) from None
        if "certificate" in text or "ssl" in text:
            raise ServerRefused(
                "The clinic server's certificate could not be verified for that address: check "
                "the server name and the clinic's certificate (sslrootcert)."
            ) from None
        if "does not exist" in text:
            raise ServerRefused("The clinic server has no database of that name.") from None
        raise ServerUnreachable(
            "The clinic server cannot be reached; work on this PC goes on and is sent when "
            "the server is back."
        ) from None


def lost() -> ServerUnreachable:
    """The error to raise when the server went away in the middle of a conversation."""
    return ServerUnreachable(
        "The clinic server stopped answering during sync; nothing was lost, and the next "
        "sync carries on where this one stopped."
    )
