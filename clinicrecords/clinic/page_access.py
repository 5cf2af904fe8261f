"""One access check and one audit path for every read of a page, and one rule for changing
a page from the index screen.

A page's bytes, its OCR words, its thumbnail and its place in a release packet are all the
same record, so every service that hands any of them out calls ``open_page`` (one page) or
``open_pages`` (a packet) instead of checking on its own. The rule, from the page's row:

* a page not yet filed (no document: still in a batch, or set aside) belongs to the index
  screen: ``scan.ingest``;
* a filed page is part of a chart: ``document.read``, and when its document type is sensitive
  also ``document.read_sensitive``, which a clerk has only under emergency access. That is
  the rule the chart view uses to show its "restricted" placeholder (``charts.open_chart``).

Each allowed read writes exactly one audit row, ``page.<what>``; a read allowed only by
emergency access says so in that same row (``grant``), rather than in a second one. A refused
read writes ``access.denied`` (``Session.require``) and returns nothing.

Changes made through the index screen's page functions (rotate, set aside, reorder) are for
pages still to be filed: ``batch_pages_to_change`` refuses a filed page and a page of another
batch, so those functions cannot alter a chart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from clinicrecords.clinic import access
from clinicrecords.clinic.session import Session
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import documents_sql, ingest_sql
from clinicrecords.db.connection import Connection

T = TypeVar("T")

UNFILED_PERMISSION = "scan.ingest"
FILED_PERMISSION = "document.read"
SENSITIVE_PERMISSION = "document.read_sensitive"


def is_filed(row: dict) -> bool:
    """A page is in a chart once it belongs to a document, whatever its status says."""
    return row.get("document_id") is not None


def permissions_for(row: dict) -> tuple[str, ...]:
    """What reading this page needs (the module docstring gives the rule)."""
    if not is_filed(row):
        return (UNFILED_PERMISSION,)
    if row.get("sensitive"):
        return (FILED_PERMISSION, SENSITIVE_PERMISSION)
    return (FILED_PERMISSION,)


def may_read(session: Session, row: dict) -> bool:
    """The same rule without auditing: for hiding what a session may not see (search hits)."""
    return all(session.can(p) for p in permissions_for(row))


def _grants(session: Session, row: dict) -> list[str]:
    """Check the rule; return the permissions that only emergency access granted.

    A refusal is audited and raised by ``Session.require``. A grant by emergency access is
    not written here (``Session.require`` would add an ``emergency.use`` row): the read's own
    audit row names it, so one read is one row."""
    by_emergency = []
    for permission in permissions_for(row):
        if access.allowed(session.user.role, permission):
            continue
        if session.emergency and permission in access.EMERGENCY_GRANTS:
            by_emergency.append(permission)
            continue
        session.require(permission)  # audits the refusal and raises AccessDenied
    return by_emergency


def _where(row: dict) -> dict[str, Any]:
    if is_filed(row):
        return {"patient_id": row["patient_id"], "document_id": row["document_id"]}
    return {"batch_id": row["batch_id"]}


def open_page(
    session: Session,
    page_id: int,
    what: str,
    load: Callable[[dict], T],
    **detail: Any,
) -> T:
    """Check the session may read this page, ``load(row)`` what is asked for, audit the read.

    ``row`` is the page's row (with its document's patient and sensitivity). The audit row,
    ``page.<what>`` ("view", "thumbnail", "words"), is written after ``load`` succeeds: a page that cannot be read
    (damaged in the store) is not recorded as seen.
    """
    with session.db.read() as conn:
        row = documents_sql.page(conn, page_id)
    if row is None:
        raise NotFound("That page does not exist.")
    by_emergency = _grants(session, row)
    result = load(row)
    extra = {"grant": by_emergency} if by_emergency else {}
    session.audit("page." + what, "page", page_id, **_where(row), **extra, **detail)
    return result


def open_pages(
    session: Session,
    page_ids: Sequence[int],
    action: str,
    object_type: str,
    object_id: str | int,
    conn: Connection | None = None,
    **detail: Any,
) -> None:
    """Check every page of a set that is read as one act (a release packet) and audit the
    act once: ``action`` on ``object_type``/``object_id``.

    Only filed pages can be part of such a set: an unfiled page is refused as not found in
    a chart. Any page the session may not read refuses the whole set.
    """
    ids = list(dict.fromkeys(page_ids))
    if conn is None:
        with session.db.read() as c:
            rows = documents_sql.pages_for_access(c, ids)
    else:
        rows = documents_sql.pages_for_access(conn, ids)
    if len(rows) != len(ids) or not all(is_filed(r) for r in rows):
        raise NotFound("A page of this set is no longer in the chart. Look at the pages again.")
    by_emergency: set[str] = set()
    for r in rows:
        by_emergency.update(_grants(session, r))
    extra = {"grant": sorted(by_emergency)} if by_emergency else {}
    session.audit(action, object_type, object_id, conn=conn, **extra, **detail)


def batch_pages_to_change(
    conn: Connection, page_ids: Sequence[int], batch_id: int | None = None
) -> list[dict]:
    """The rows of pages the index screen may change: each exists, none is filed, and each is
    in ``batch_id`` when given. Call inside the change's write transaction."""
    ids = list(dict.fromkeys(page_ids))
    rows = ingest_sql.pages_by_id(conn, ids)
    if len(rows) != len(ids):
        raise NotFound("A page does not exist (any more); reload the batch.")
    if any(is_filed(r) or r["status"] == "filed" for r in rows):
        raise BadInput("A page already filed in a chart cannot be changed here.")
    if batch_id is not None and any(r["batch_id"] != batch_id for r in rows):
        raise BadInput("A page is not part of this batch; reload the batch.")
    return rows
