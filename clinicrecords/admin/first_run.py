"""First run on a PC with no clinic store: start a new clinic (joining a clinic server and
restoring a backup are ``sync.server.join_open`` and ``admin.backup.restore``).

The desktop's wizard (``ui/first_run.py``) calls these off the UI thread; ``check_new_clinic``
runs before anything is created, so a typo costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clinicrecords.admin.recovery_sheet import sheet_destination, write_recovery_sheet
from clinicrecords.clinic import auth, keys
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import BadInput


@dataclass
class NewClinic:
    store: Store
    session: Session
    recovery_key: str
    clinic_name: str


def check_new_clinic(
    admin: str, password: str, password_again: str, passphrase: str, passphrase_again: str
) -> None:
    """Everything a person typed, checked before a store exists (one sentence per problem)."""
    if passphrase != passphrase_again:
        raise BadInput("The two passphrases differ.")
    keys.check_passphrase_strength(passphrase)
    if password != password_again:
        raise BadInput("The two passwords differ.")
    auth._check_new_account(admin.strip(), "admin", password)


def create_clinic(
    data_dir: Path,
    clinic_name: str,
    admin: str,
    admin_name: str,
    password: str,
    passphrase: str,
) -> NewClinic:
    """A new encrypted store, its first administrator, signed in. The recovery key is
    returned for the sheet, which the person prints or saves where they choose."""
    name = clinic_name.strip() or "Our Clinic"
    store, recovery_key = Store.create(Path(data_dir), passphrase, name)
    try:
        auth.create_first_admin(store, admin.strip(), password, admin_name.strip())
        session = auth.login(store, admin.strip(), password)
    except BaseException:
        store.close()
        raise
    return NewClinic(store, session, recovery_key, name)


def check_sheet_place(chosen: Path, data_dir: Path) -> Path:
    """Where the sheet goes, refused inside the data folder (before the store exists)."""
    return sheet_destination(chosen, data_dir, may_replace=True)


def save_sheet(clinic: NewClinic, path: Path) -> Path:
    """The sheet written where the person chose, audited (it holds the master key)."""
    write_recovery_sheet(
        path, clinic.clinic_name, clinic.store.store_id, clinic.recovery_key, replace=True
    )
    clinic.session.audit("key.recovery_sheet", "store", clinic.store.store_id)
    return path
