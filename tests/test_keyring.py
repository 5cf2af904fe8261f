"""The OS-keyring path, through keyring's real API with an in-memory backend.

CI has no OS secret store (headless Linux), so the backend here keeps secrets in a dict; what
is tested is our side: when the key goes to the keyring, when it is trusted, and that the
passphrase is still needed when the keyring's entry does not open this store.
"""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from clinicrecords.clinic import keys
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import PassphraseRequired
from tests.conftest import PASSPHRASE


class MemoryKeyring(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username), None)


@pytest.fixture
def memory_keyring(monkeypatch) -> MemoryKeyring:
    monkeypatch.delenv("CLINICRECORDS_PASSPHRASE", raising=False)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(fail.Keyring())


def test_store_opens_from_the_keyring_without_a_passphrase(memory_keyring, tmp_path: Path) -> None:
    store, _ = Store.create(tmp_path / "s", PASSPHRASE)
    assert store.in_keyring and keys.keyring_available()
    store_id = store.store_id
    store.close()
    again = Store.open(tmp_path / "s")  # no passphrase given, none in the environment
    assert again.in_keyring and again.store_id == store_id
    again.close()


def test_a_keyring_entry_that_does_not_open_this_store_is_not_trusted(
    memory_keyring, tmp_path: Path
) -> None:
    store, _ = Store.create(tmp_path / "s", PASSPHRASE)
    store_id = store.store_id
    store.close()
    keys.keyring_save(store_id, keys.new_master_key())  # a wrong key under this store's name
    with pytest.raises(PassphraseRequired):
        Store.open(tmp_path / "s")
    Store.open(tmp_path / "s", PASSPHRASE).close()


def test_no_keyring_means_the_passphrase(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CLINICRECORDS_PASSPHRASE", raising=False)
    assert not keys.keyring_available()  # conftest selects keyring's fail backend
    store, _ = Store.create(tmp_path / "s", PASSPHRASE)
    assert not store.in_keyring
    store.close()
    with pytest.raises(PassphraseRequired):
        Store.open(tmp_path / "s")
