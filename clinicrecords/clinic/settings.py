"""Clinic settings, declared once with their types and defaults; every change is audited.

Values live (encrypted) in the database's settings table, so a restored backup brings the
clinic's configuration with it. This registry is the only way to read or write them: reading
an undeclared key is a programming error (``KeyError``), not a silent default, so a setting
saved under one name cannot be read under another. Each declared setting changes what the
program does (``tests/test_settings.py`` proves it for every one). The program's own state in
the same table (store id, MRN counter, audit head) is ``db.settings_sql.get`` / ``put``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput
from clinicrecords.db import settings_sql


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    label: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    edit_permission: str = "settings.edit"


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("clinic.name", str, "Our Clinic", "Clinic name (letterhead)"),
        Setting("clinic.address", str, "", "Clinic address (letterhead)"),
        Setting("clinic.phone", str, "", "Clinic phone (letterhead)"),
        Setting("locale.date_order", str, "MDY", "Day/month order on paper", ("MDY", "DMY")),
        Setting(
            "security.idle_minutes", float, 5.0, "Lock the screen after idle minutes", (), 1, 120
        ),
        Setting("release.due_days", int, 30, "Days to answer a release request", (), 1, 90),
        Setting(
            "release.due_soon_days", int, 5, "Requests count as due soon within days", (), 1, 30
        ),
        Setting("release.fee_per_page_cents", int, 25, "Copy fee per page (cents)", (), 0, 10_000),
        Setting("release.fee_base_cents", int, 0, "Base fee per request (cents)", (), 0, 100_000),
        Setting(
            "release.fee_patient_electronic_cents",
            int,
            650,
            "Flat fee for a patient's own electronic copy (cents)",
            (),
            0,
            100_000,
        ),
        Setting(
            "release.require_authorization_always",
            bool,
            False,
            "Require a signed authorization for every release",
        ),
        Setting(
            "retention.age_of_majority",
            int,
            18,
            "Age of majority for record retention (state law decides)",
            (),
            14,
            25,
        ),
        Setting(
            "scan.remove_originals", bool, False, "Remove imported files after they are stored"
        ),
        Setting(
            "scan.watch_folder",
            str,
            "",
            "Scan-to-folder directory to watch",
            edit_permission="scan.ingest",  # chosen on the index screen by whoever scans
        ),
    )
}


DATE_ORDERS = ("MDY", "DMY")


def _spec(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise KeyError(
            f"{key!r} is not a declared setting (clinicrecords.clinic.settings)"
        ) from None


def get_setting(session_or_conn: Any, key: str) -> Any:
    """A declared setting's value (its default until an administrator changes it)."""
    spec = _spec(key)
    if isinstance(session_or_conn, Session):
        with session_or_conn.db.read() as conn:
            value = settings_sql.read_declared(conn, key, spec.default)
    else:
        value = settings_sql.read_declared(session_or_conn, key, spec.default)
    return value


def date_order(session_or_conn: Any) -> str:
    """The clinic's day/month order ("MDY" or "DMY") for every date read from paper or typed:
    scan suggestions, chart lookup, date fields in forms, patient import."""
    value = get_setting(session_or_conn, "locale.date_order")
    return value if value in DATE_ORDERS else SETTINGS["locale.date_order"].default


def initial_setting(conn: Any, key: str, value: Any) -> None:
    """A setting's first value, written while a store is made (no one is signed in yet)."""
    settings_sql.write_declared(conn, key, coerce(_spec(key), value))


def coerce(spec: Setting, value: Any) -> Any:
    try:
        if spec.type is bool and isinstance(value, str):
            v: Any = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            v = spec.type(value)
    except (TypeError, ValueError):
        raise BadInput(f"'{spec.label}' must be a {spec.type.__name__}.") from None
    if spec.choices and v not in spec.choices:
        raise BadInput(f"'{spec.label}' must be one of: {', '.join(map(str, spec.choices))}.")
    if (
        spec.minimum is not None
        and v < spec.minimum
        or spec.maximum is not None
        and v > spec.maximum
    ):
        raise BadInput(f"'{spec.label}' must be between {spec.minimum} and {spec.maximum}.")
    return v


def set_setting(session: Session, key: str, value: Any) -> Any:
    if key not in SETTINGS:
        session.require("settings.edit")
        raise BadInput(f"There is no setting called '{key}'.")
    spec = SETTINGS[key]
    session.require(spec.edit_permission)
    value = coerce(spec, value)
    with session.db.write() as conn:
        old = settings_sql.read_declared(conn, key, spec.default)
        settings_sql.write_declared(conn, key, value)
        session.audit("settings.change", "setting", key, conn=conn, old=old, new=value)
        from clinicrecords.events.clinic_settings import setting_changed

        # the clinic network hears of it (if any), and of who changed it
        setting_changed(conn, key, old, value, by=session.user.username)
    return value


def apply_synced(conn: Any, key: str, value: Any) -> None:
    """A setting another workstation changed, applied in the clinic's order (sync)."""
    settings_sql.write_declared(conn, key, coerce(_spec(key), value))


def all_settings(session: Session) -> dict[str, Any]:
    with session.db.read() as conn:
        return {k: settings_sql.read_declared(conn, k, s.default) for k, s in SETTINGS.items()}
