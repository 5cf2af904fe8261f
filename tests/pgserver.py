"""A throwaway PostgreSQL cluster for tests and benches: the real server, on a Unix socket only.

``initdb`` + ``pg_ctl start`` in a fresh temporary folder, listening on no TCP port
(``listen_addresses=''``), only on a socket in that folder, so nothing outside the machine (or
another test run) can reach it. PostgreSQL refuses to run as root, so when the tests run as root
the cluster belongs to the ``postgres`` OS user (``runuser``) and the folder is handed to it.
Durability settings are relaxed (``fsync=off``): a test kills clients, never the server's disk.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
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

    def __init__(self, bin_dir: Path, durable: bool = False) -> None:
        self.bin = bin_dir
        self.durable = durable  # True: PostgreSQL's own defaults (fsync on), for benches
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
        opts = f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}' "
        opts += "-c max_connections=50 -c shared_buffers=32MB"
        if not self.durable:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.log, "-o", opts, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return (
            self._run(self.bin / "pg_ctl", "-D", self.data, "status", check=False).returncode == 0
        )

    def url(self, db: str = "postgres", user: str | None = None) -> str:
        return f"postgresql://{user or self.superuser}@/{db}?host={self.socket_dir}"

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
        cmd += ["-h", str(self.socket_dir), "-U", self.superuser, "-d", db]
        return subprocess.run(cmd, input=sql, capture_output=True, text=True, timeout=120)

    def pg_dump(self, db: str) -> str:
        cmd = [str(self.bin / "pg_dump"), "-h", str(self.socket_dir), "-U", self.superuser, db]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout

    def destroy(self) -> None:
        if self.data.exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster(durable: bool = False) -> PgCluster:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    cluster = PgCluster(bin_dir, durable)
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
