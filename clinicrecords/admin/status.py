"""How this PC's clinic store is doing: what ``status`` prints and Help ▸ About shows.

Nothing here names a patient: the version, folders, sizes, and when the last backup and the
last restore drill ran and how they went. It reads the store without a signed-in user (the
key from the keyring, as the nightly job does), so a support person can ask for it.

The clinic network's state is added by the caller (``sync`` is a sibling layer of ``admin``).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinicrecords import __version__
from clinicrecords.admin.drill import last_drill
from clinicrecords.admin.schedule import current_schedule
from clinicrecords.clinic.store import Store
from clinicrecords.db import audit_sql

BACKUP_MAX_AGE = timedelta(hours=26)  # a nightly backup, with two hours' grace
DRILL_MAX_AGE = timedelta(days=30)


def last_backup(store: Store) -> dict | None:
    """The newest backup attempt from the audit trail: when, into which folder, and whether
    it finished (``ok``), finished with warnings, or failed (started, never finished).
    ``last_good`` is when the newest one that finished did."""
    with store.db.read() as conn:
        starts = audit_sql.rows_with_action(conn, "backup.start")
        done = audit_sql.rows_with_action(conn, "backup.done")
    if not starts:
        return None
    start = starts[-1]
    finished = [d for d in done if d["id"] > start["id"]]
    folder = _detail(start).get("destination", "")
    good = done[-1]["ts"] if done else None
    if finished:
        detail = _detail(finished[0])
        warned = bool(detail.get("unavailable")) or detail.get("audit_anchor_ok") is False
        return {
            "time": finished[0]["ts"],
            "folder": folder,
            "result": "warnings" if warned else "ok",
            "generation": detail.get("generation", ""),
            "by": finished[0]["username"],
            "last_good": good,
        }
    return {
        "time": start["ts"],
        "folder": folder,
        "result": "failed",
        "generation": "",
        "by": start["username"],
        "last_good": good,
    }


def _detail(row: dict) -> dict:
    try:
        value = json.loads(row.get("detail") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def store_bytes(data_dir: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


def health(store: Store) -> dict:
    """Only what the administrator's warning needs: no walk over the page files, no server."""
    info = {"last_backup": last_backup(store), "last_drill": _drill_summary(store)}
    info["warnings"] = warnings(info)
    return info


def _drill_summary(store: Store) -> dict | None:
    drill = last_drill(store)
    return (
        None
        if drill is None
        else {
            "time": drill.get("at"),
            "result": "ok" if drill.get("ok") else "failed",
            "folder": drill.get("folder"),
            "generation": drill.get("generation"),
            "problems": drill.get("problems", []),
        }
    )


def status(store: Store) -> dict:
    data_dir = store.data_dir
    sched = current_schedule(store)
    return {
        "version": __version__,
        "data_dir": str(data_dir.resolve()),
        "store_id": store.store_id,
        "free_bytes": shutil.disk_usage(data_dir).free,
        "store_bytes": store_bytes(data_dir),
        "last_backup": last_backup(store),
        "last_drill": _drill_summary(store),
        "backup_schedule": None if sched is None else sched.as_dict(),
    }


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        t = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def warnings(info: dict, now: datetime | None = None) -> list[str]:
    """What an administrator should hear about (the desktop's banner): a good backup older
    than 26 hours, a drill older than 30 days or one that failed. Sentences, not colours."""
    now = now or datetime.now(UTC)
    out: list[str] = []
    backup = info.get("last_backup") or {}
    good = _parse(backup.get("last_good"))
    if good is None:
        out.append("No backup of this store has finished yet: set up the nightly backup.")
    elif now - good > BACKUP_MAX_AGE:
        hours = int((now - good).total_seconds() // 3600)
        out.append(f"The last good backup is {hours} hours old: check the nightly backup.")
    if backup.get("result") == "failed" and good is not None:
        out.append("The most recent backup did not finish.")
    drill = info.get("last_drill") or {}
    at = _parse(drill.get("time"))
    if at is None:
        out.append("No restore drill has been run: run one to prove the backup restores.")
    elif drill.get("result") != "ok":
        out.append("The last restore drill failed: the backup may not restore.")
    elif now - at > DRILL_MAX_AGE:
        out.append(f"The last restore drill is {(now - at).days} days old: run another.")
    return out


def describe(info: dict) -> str:
    """The status as lines a person reads (``status`` without ``--json``, Help ▸ About)."""
    b, d, sch = info.get("last_backup"), info.get("last_drill"), info.get("backup_schedule")
    sync = info.get("sync") or {}
    if not sync:
        network = "unknown"
    elif sync.get("joined"):
        network = ("online" if sync.get("online") else "offline") + (
            f", last sync {sync.get('last_sync') or 'never'}"
        )
    else:
        network = "not joined"
    lines = [
        f"ClinicRecords {info['version']}",
        f"Data folder: {info['data_dir']}",
        f"Store size: {info['store_bytes'] / 2**20:.1f} MB; free disk space: "
        f"{info['free_bytes'] / 2**30:.1f} GB",
        "Last backup: " + (f"{b['time']} into {b['folder']}: {b['result']}" if b else "never"),
        "Last restore drill: " + (f"{d['time']}: {d['result']}" if d else "never"),
        "Nightly backup: "
        + (f"{sch['at']} into {sch['folder']} ({sch['scheduler']})" if sch else "not set up"),
        f"Clinic network: {network}",
    ]
    return "\n".join(lines + [f"WARNING: {w}" for w in info.get("warnings", [])])
