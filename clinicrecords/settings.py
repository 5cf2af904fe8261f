"""Clinic settings, declared once with their types and defaults; every change is audited.

Values live (encrypted) in the database's settings table, so a restored backup brings the
clinic's configuration with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clinicrecords.db import settings_sql
from clinicrecords.errors import BadInput
from clinicrecords.session import Session


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    label: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


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
            "scan.remove_originals", bool, False, "Remove imported files after they are stored"
        ),
        Setting("scan.watch_folder", str, "", "Scan-to-folder directory to watch"),
    )
}


def get_setting(session_or_conn: Any, key: str) -> Any:
    spec = SETTINGS[key]
    if isinstance(session_or_conn, Session):
        with session_or_conn.db.read() as conn:
            value = settings_sql.get(conn, key, spec.default)
    else:
        value = settings_sql.get(session_or_conn, key, spec.default)
    return value


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
    session.require("settings.edit")
    if key not in SETTINGS:
        raise BadInput(f"There is no setting called '{key}'.")
    value = coerce(SETTINGS[key], value)
    with session.db.write() as conn:
        old = settings_sql.get(conn, key, SETTINGS[key].default)
        settings_sql.put(conn, key, value)
        session.audit("settings.change", "setting", key, conn=conn, old=old, new=value)
    return value


def all_settings(session: Session) -> dict[str, Any]:
    with session.db.read() as conn:
        return {k: settings_sql.get(conn, k, s.default) for k, s in SETTINGS.items()}
