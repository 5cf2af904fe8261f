"""Documents travel (the applying side; ``events/documents.py`` captures them).

``document.filed`` is append-only: it cannot conflict. The projector inserts the document and
its pages through the same SQL the filing service uses (``documents_sql``), so the chart, the
page viewer, page reads (checked against ``sha256`` and audited on the PC that reads) and the
chart's full-text index (the ``page_text`` trigger on ``pages``) work as for a page filed here.
The page objects were fetched and authenticated by ``client.fetch_pages`` before this runs.

The chart is named by its clinic-wide id; its ``patient.registered`` is earlier in the
clinic's order, so it is known here. When that chart was merged away (merges travel, in the
clinic's order: ``sync/merges.py``), the document follows the merge into the surviving chart
and joins what that merge moved, so undoing the merge takes it back.
"""

from __future__ import annotations

from clinicrecords.common.errors import ServerRefused
from clinicrecords.db import documents_sql, sync_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.db.connection import Connection
from clinicrecords.db.sync_sql import SyncState
from clinicrecords.events import types as ev
from clinicrecords.events.accounts import USER
from clinicrecords.events.documents import DOCUMENT, DOCUMENT_FILED, PAGE
from clinicrecords.events.types import Event


def surviving_chart(conn: Connection, patient_id: int) -> int:
    """The chart a page for ``patient_id`` belongs in: the end of its merge chain."""
    seen = {patient_id}
    while True:
        patient = patients_sql.get(conn, patient_id)
        if patient is None or not patient.merged_into or patient.merged_into in seen:
            return patient_id
        patient_id = patient.merged_into
        seen.add(patient_id)


def _filed(conn: Connection, state: SyncState, event: Event, out) -> None:  # type: ignore[no-untyped-def]
    data = event.data
    if event.own or sync_sql.local_id(conn, DOCUMENT, data["uid"]) is not None:
        return
    patient_id = sync_sql.local_id(conn, ev.PATIENT, data["patient"])
    if patient_id is None:
        raise ServerRefused(
            "Another workstation filed a document into a chart this PC never heard of; sync "
            "stopped before it (update this PC, or ask the administrator to check the server)."
        )
    if not documents_sql.doc_type_exists(conn, data["doc_type"]):
        raise ServerRefused(
            "Another workstation filed a document of a type this version of the program does "
            "not know: update this PC, then sync again."
        )
    filed_into, patient_id = patient_id, surviving_chart(conn, patient_id)
    author_key = data.get("created_by")
    created_by = sync_sql.local_id(conn, USER, author_key) if author_key else None
    doc_id = documents_sql.insert_document(
        conn,
        patient_id,
        data["doc_type"],
        data.get("doc_date"),
        data.get("title", ""),
        data.get("author", ""),
        data.get("facility", ""),
        None,  # batches are this PC's intake; the document came from another desk
        created_by,
    )
    sync_sql.add_uid(conn, DOCUMENT, data["uid"], doc_id)
    for page in data["pages"]:
        page_id = documents_sql.insert_page(
            conn,
            page["blob_id"],
            page["sha256"],
            page["media_type"],
            int(page["width"]),
            int(page["height"]),
            int(page["dpi"]),
            doc_id,
            int(page["seq"]),
            "filed",
            page.get("ocr_text"),
        )
        documents_sql.set_page_view(conn, page_id, int(page["rotation"]), page.get("ocr_words"))
        sync_sql.add_uid(conn, PAGE, page["uid"], page_id)
    if patient_id != filed_into:  # undoing the merge takes it back, as where it was filed
        from clinicrecords.sync.merges import document_followed

        document_followed(conn, filed_into, doc_id)
    patients_sql.touch(conn, patient_id)
    out.patients.add(patient_id)


PROJECTORS = {DOCUMENT_FILED: _filed}
