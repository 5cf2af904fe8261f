"""The restore drill: prove that the newest backup would restore, before the day it must.

A backup that was written is not yet a backup that restores: a disk that returns other bytes
than it was given, a page copy damaged since, a manifest cut short. ``backup drill DIR`` does
what a restore does (into a temporary folder, with this store's own key, so no passphrase),
runs the full ``verify`` on the result, records what it found in the store (audited) and
removes the temporary folder, also when the drill fails or is interrupted.

Only the newest complete generation is drilled: a restore passes over a damaged newest
generation for an older one, but a drill that did so would call last night's broken backup
good.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from clinicrecords.admin import backup
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import ClinicError
from clinicrecords.common.timeutil import utc_now
from clinicrecords.db import settings_sql

LAST_DRILL_KEY = "backup.last_drill"
TEMP_PREFIX = "clinicrecords-drill-"


@dataclass
class DrillResult:
    at: str
    folder: str
    generation: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    backup_created: str = ""
    checked_pages: int = 0
    audit_rows: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def drill(session: Session, src: Path, scratch: Path | None = None) -> DrillResult:
    """Restore the newest complete generation in ``src`` into a temporary folder (under
    ``scratch``, else the system's temporary folder), verify it, record and return the result."""
    session.require("backup.run")
    store = session.store
    src = Path(src)
    started = time.monotonic()
    result = DrillResult(at=utc_now(), folder=str(src.resolve()), generation="", ok=False)
    tmp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=scratch))
    try:
        _restore_and_verify(store, src, tmp / "store", result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result.seconds = round(time.monotonic() - started, 2)
    with session.db.write(essential=True) as conn:
        settings_sql.put(
            conn,
            LAST_DRILL_KEY,
            {
                "at": result.at,
                "folder": result.folder,
                "generation": result.generation,
                "ok": result.ok,
                "problems": result.problems[:20],
            },
        )
        session.audit(
            "backup.drill",
            "store",
            store.store_id,
            conn=conn,
            folder=result.folder,
            generation=result.generation,
            ok=result.ok,
            problems=len(result.problems),
        )
    return result


def _restore_and_verify(store: Store, src: Path, target: Path, result: DrillResult) -> None:
    try:
        if not src.is_dir():
            raise ClinicError("The backup folder cannot be found.")
        newest = backup._scan(src).complete
        if not newest:
            raise ClinicError("That folder holds no complete backup to drill.")
        result.generation = newest[0].name or "old layout"
        restored = backup.restore(src, target, generation=newest[0].name, master=store.master_key())
    except ClinicError as exc:
        result.problems.append(exc.message)
        return
    try:
        # The full verify, again, on the store as restored (restore's own check stops at the
        # first damage that prevents a restore; this one lists everything).
        report = backup.verify_store(restored.store)
    finally:
        restored.store.close()
    result.backup_created = restored.backup_created
    # A restored store has no record of its newest commit yet: that note is the restore's own.
    result.notes = restored.notes + [n for n in report.notes if "audit-head" not in n]
    result.problems.extend(report.problems)
    result.checked_pages = report.checked_pages
    result.audit_rows = report.audit_rows
    result.ok = report.ok


def last_drill(store: Store) -> dict | None:
    """The newest drill's record (``at``, ``folder``, ``generation``, ``ok``, ``problems``)."""
    with store.db.read() as conn:
        doc = settings_sql.get(conn, LAST_DRILL_KEY)
    return doc if isinstance(doc, dict) else None
