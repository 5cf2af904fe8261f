"""Shared fixtures: every test gets a fresh, real, encrypted store in its own tmp folder.

Creating a store costs an Argon2id derivation and three password hashes, so one template store
is made per test session and copied (closed, as files) into each test's folder. The copy is a
real SQLCipher file opened with a real key: nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Tests never touch a developer's real keyring, and Qt never needs a screen.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["OMP_THREAD_LIMIT"] = "1"
# The developer log of commands run in-process goes to a throwaway folder, not the real home.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="clinicrecords-test-state-")
# scanimage loads only SANE's virtual "test" scanner: with the system's dll.conf it probes ~78
# backends (USB, network) on every call, and one such call hung a CI run for 300 s.
_sane_dir = tempfile.mkdtemp(prefix="clinicrecords-test-sane-")
with open(os.path.join(_sane_dir, "dll.conf"), "w") as _fh:
    _fh.write("test\n")
os.environ["SANE_CONFIG_DIR"] = _sane_dir
# No disk reserve (db/space.py) in the thousand throw-away stores; the full-disk tests set it.
os.environ["CLINICRECORDS_RESERVE_MB"] = "0"

from clinicrecords.clinic import auth  # noqa: E402
from clinicrecords.clinic.session import Session  # noqa: E402
from clinicrecords.clinic.store import Store  # noqa: E402

PASSPHRASE = "test passphrase for a synthetic clinic"
PASSWORD = "correct-horse-1"
USERS = {"admin": "admin", "clerk": "clerk1", "release": "release1"}


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "store"
    store, _ = Store.create(folder, PASSPHRASE, "Test Clinic")
    auth.create_first_admin(store, USERS["admin"], PASSWORD, "Ada Admin")
    admin = auth.login(store, USERS["admin"], PASSWORD)
    auth.add_user(admin, USERS["clerk"], "clerk", PASSWORD, "Cal Clerk")
    auth.add_user(admin, USERS["release"], "release", PASSWORD, "Rae Release")
    store.close()
    return folder


@pytest.fixture
def store_dir(template_store: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(template_store, dest)
    return dest


@pytest.fixture
def store(store_dir: Path) -> Iterator[Store]:
    s = Store.open(store_dir, PASSPHRASE)
    yield s
    if "PySide6.QtCore" in sys.modules:  # background jobs may still use the connections
        from clinicrecords.ui.workers import wait_for_all

        wait_for_all(10000)
    s.close()


@pytest.fixture
def session_for(store: Store) -> Callable[[str], Session]:
    def make(role: str) -> Session:
        return auth.login(store, USERS[role], PASSWORD)

    return make


@pytest.fixture
def admin_session(session_for: Callable[[str], Session]) -> Session:
    return session_for("admin")


@pytest.fixture
def cli_env(store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the command line against the test store."""
    env = {
        "CLINICRECORDS_PASSPHRASE": PASSPHRASE,
        "CLINICRECORDS_PASSWORD": PASSWORD,
        "CLINICRECORDS_USER": USERS["admin"],
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture(autouse=True)
def _gc_on_the_ui_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """GUI tests collect garbage on the UI thread only, as the program does (ui/gc_guard.py)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    import gc

    qapp = request.getfixturevalue("qapp")
    from clinicrecords.ui.gc_guard import UiThreadGarbageCollector

    collector = UiThreadGarbageCollector(qapp, interval_ms=500)
    try:
        yield
    finally:
        collector.timer.stop()
        collector.deleteLater()
        gc.enable()
        gc.collect()
