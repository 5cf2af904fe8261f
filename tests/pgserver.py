"""A throwaway PostgreSQL cluster for tests and benches: the real server, on a Unix socket only.

``initdb`` + ``pg_ctl start`` in a fresh temporary folder, listening on no TCP port
(``listen_addresses=''``), only on a socket in that folder, so nothing outside the machine (or
another test run) can reach it. PostgreSQL refuses to run as root, so when the tests run as root
the cluster belongs to the ``postgres`` OS user (``runuser``) and the folder is handed to it.
Durability settings are relaxed (``fsync=off``): a test kills clients, never the server's disk.
A cluster started with ``tls=(certificate, key)`` also listens on 127.0.0.1 (a free port) with
``ssl=on``, as a clinic server on the network does: the TLS tests reach it by a host name
(``hostaddr=127.0.0.1``), so libpq checks the certificate against that name.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def find_pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian layout), or whatever is on PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PgCluster:
    """One cluster; ``url(db)`` gives a libpq URL for a database on its socket."""

    def __init__(
        self, bin_dir: Path, durable: bool = False, tls: tuple[Path, Path] | None = None
    ) -> None:
        self.bin = bin_dir
        self.durable = durable  # True: PostgreSQL's own defaults (fsync on), for benches
        self.tls = tls  # (certificate chain, private key) in PEM: ssl=on over TCP
        self.port: int | None = None
        self.root = Path(tempfile.mkdtemp(prefix="crpg-"))  # short: socket paths max ~107 chars
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.log = self.root / "server.log"
        self.os_user: str | None = None
        if os.geteuid() == 0:
            self.os_user = "postgres"
            pw = pwd.getpwnam(self.os_user)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chmod(self.root, 0o755)  # clients (root) reach the socket; the data folder stays 0700
        self.superuser = self.os_user or pwd.getpwuid(os.geteuid()).pw_name

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self.os_user:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> None:
        self._run(
            self.bin / "initdb",
            "-D",
            self.data,
            "-A",
            "trust",
            "-U",
            self.superuser,
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        listen = ""
        if self.tls is not None:
            listen = "127.0.0.1"
            self.port = self.port or _free_port()
            self._install_tls()
        opts = f"-c listen_addresses='{listen}' -c unix_socket_directories='{self.socket_dir}' "
        if self.tls is not None:
            opts += f"-c port={self.port} -c ssl=on -c ssl_cert_file='{self.root}/server.crt' "
            opts += f"-c ssl_key_file='{self.root}/server.key' "
        opts += "-c max_connections=50 -c shared_buffers=32MB"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "start")

    def _install_tls(self) -> None:
        """The server's certificate and key beside its data, owned by the server's OS user
        (PostgreSQL refuses a key that others can read)."""
        assert self.tls is not None
        for src, name in zip(self.tls, ("server.crt", "server.key"), strict=True):
            dst = self.root / name
            shutil.copyfile(src, dst)
            os.chmod(dst, 0o600)
            if self.os_user:
                pw = pwd.getpwnam(self.os_user)
                os.chown(dst, pw.pw_uid, pw.pw_gid)

    def tcp_url(self, db: str, host: str, **params: str) -> str:
        """A URL naming the server by ``host`` (checked against its certificate), reaching it
        on 127.0.0.1."""
        query = "&".join(f"{k}={v}" for k, v in {"hostaddr": "127.0.0.1", **params}.items())
        return f"postgresql://{self.superuser}@{host}:{self.port}/{db}?{query}"

    def stop(self, mode: str = "fast") -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return (
            self._run(self.bin / "pg_ctl", "-D", self.data, "status", check=False).returncode == 0
        )

    def url(self, db: str = "postgres", user: str | None = None) -> str:
        port = f":{self.port}" if self.port else ""  # the socket file is named by the port
        return f"postgresql://{user or self.superuser}@{port}/{db}?host={self.socket_dir}"

    def admin_connect(self, db: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(db), autocommit=True)

    def create_database(self, name: str) -> str:
        with self.admin_connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self.admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def psql(self, db: str, sql: str, *extra: str) -> subprocess.CompletedProcess:
        """Run a script through psql as the superuser (what a clinic's administrator does)."""
        cmd = [str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", *extra]
        cmd += ["-h", str(self.socket_dir), "-p", str(self.port or 5432), "-U", self.superuser]
        cmd += ["-d", db]
        return subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=120)

    def pg_dump(self, db: str) -> str:
        cmd = [str(self.bin / "pg_dump"), "-h", str(self.socket_dir), "-U", self.superuser, db]
        cmd[3:3] = ["-p", str(self.port or 5432)]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout

    def destroy(self) -> None:
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_cluster(durable: bool = False, tls: tuple[Path, Path] | None = None) -> PgCluster:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PgCluster(bin_dir, durable, tls)
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


def wait_until(pred, timeout: float = 10.0, interval: float = 0.02) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(interval)
    return pred()
