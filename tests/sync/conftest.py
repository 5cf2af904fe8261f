"""Fixtures for the clinic network: one real PostgreSQL cluster per test session (a throwaway
``initdb`` on a Unix socket, see ``tests/pgserver.py``), a fresh database per test, and
workstations (real encrypted stores) attached to it or joined to it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import PgCluster, find_pg_bin, start_cluster
from tests.sync.workstations import Clinic

_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    if find_pg_bin() is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed; "
            "'bash installer/setup.sh test' installs the postgresql package"
        )
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


class PgDatabase:
    def __init__(self, cluster: PgCluster, name: str) -> None:
        self.cluster = cluster
        self.name = name
        self.url = cluster.url(name)


@pytest.fixture
def pg(pg_cluster: PgCluster) -> Iterator[PgDatabase]:
    """A fresh, empty database on the session's cluster (restarted if a test stopped it)."""
    if not pg_cluster.running():
        pg_cluster.start()
    name = f"clinic_{next(_names)}"
    pg_cluster.create_database(name)
    try:
        yield PgDatabase(pg_cluster, name)
    finally:
        if not pg_cluster.running():
            pg_cluster.start()
        pg_cluster.drop_database(name)


@pytest.fixture
def clinic(pg: PgDatabase, store_dir: Path, tmp_path: Path) -> Iterator[Clinic]:
    """The test store attached as workstation 1; ``clinic.join()`` adds more."""
    c = Clinic(pg, store_dir, tmp_path)
    try:
        yield c
    finally:
        c.close()
