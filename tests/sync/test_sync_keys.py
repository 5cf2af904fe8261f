"""A changed recovery passphrase reaches the clinic server (``key change-passphrase``): the
old passphrase no longer joins a PC, also when the server was away at the change."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from clinicrecords.common.errors import ServerRefused, WrongPassphrase
from clinicrecords.sync import client, server
from tests.conftest import PASSPHRASE, PASSWORD, USERS

NEW_PASSPHRASE = "a brand new clinic passphrase 2026"


def _change_passphrase(ws, new: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_PASSWORD=PASSWORD,
        CLINICRECORDS_USER=USERS["admin"],
        CLINICRECORDS_NEW_PASSPHRASE=new,
    )
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(ws.data_dir), "key",
         "change-passphrase", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert PASSPHRASE not in r.stdout + r.stderr and new not in r.stdout + r.stderr
    return json.loads(r.stdout)


def _join(clinic, name: str, phrase: str):  # type: ignore[no-untyped-def]
    return server.join_open(
        clinic.tmp / name, clinic.url, phrase, USERS["admin"], PASSWORD, workstation_name=name
    )


@pytest.mark.slow
def test_old_passphrase_no_longer_joins_after_a_change(clinic) -> None:
    ws1 = clinic.attach_first()
    ws1.register("Keyes", "Ada", "1970-07-07")
    ws1.sync()
    assert _change_passphrase(ws1, NEW_PASSPHRASE) == {"ok": True, "server_has_it": True}
    with pytest.raises(WrongPassphrase):
        _join(clinic, "old-phrase", PASSPHRASE)
    store, _, result = _join(clinic, "new-phrase", NEW_PASSPHRASE)
    try:
        assert result.pulled >= 1
    finally:
        store.close()


@pytest.mark.slow
def test_a_change_made_offline_reaches_the_server_at_the_next_sync(clinic) -> None:
    ws1 = clinic.attach_first()
    clinic.pg.cluster.stop()
    try:
        out = _change_passphrase(ws1, NEW_PASSPHRASE)
    finally:
        clinic.pg.cluster.start()
    assert out == {"ok": True, "server_has_it": False}
    store, _, _ = _join(clinic, "before-sync", PASSPHRASE)  # the server has not heard yet
    store.close()
    ws1.sync()
    with pytest.raises(WrongPassphrase):
        _join(clinic, "after-sync", PASSPHRASE)
    store, _, _ = _join(clinic, "after-sync-new", NEW_PASSPHRASE)
    store.close()


def test_an_older_server_is_refused_with_the_upgrade_command(clinic) -> None:
    ws1 = clinic.attach_first()
    with clinic.pg.cluster.admin_connect(clinic.pg.name) as pg:
        pg.execute("UPDATE cr_meta SET value = '1' WHERE key = 'schema'")
        pg.commit()
    with pytest.raises(ServerRefused, match="init-db --upgrade"):
        client.sync_once(ws1.store)
    script = server.init_db_script(upgrade=True)
    assert "CREATE ROLE" not in script and "keyfiles" in script
    with clinic.pg.cluster.admin_connect(clinic.pg.name) as pg:
        server.ensure_schema(pg)  # the owner runs the schema again: upgraded
    assert client.sync_once(ws1.store).online
