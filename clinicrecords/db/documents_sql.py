"""Documents and pages: SQL."""

from __future__ import annotations

from clinicrecords.common.timeutil import utc_now
from clinicrecords.db.connection import Connection


def insert_document(
    conn: Connection,
    patient_id: int,
    doc_type: str,
    doc_date: str | None,
    title: str,
    author: str,
    facility: str,
    batch_id: int | None,
    created_by: int | None,
) -> int:
    cur = conn.execute(
        "INSERT INTO documents (patient_id, doc_type, doc_date, title, author, facility, batch_id, "
        "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (patient_id, doc_type, doc_date, title, author, facility, batch_id, created_by, utc_now()),
    )
    return int(cur.lastrowid)


def insert_page(
    conn: Connection,
    blob_id: str,
    sha256: str,
    media_type: str,
    width: int,
    height: int,
    dpi: int,
    document_id: int | None,
    seq: int,
    status: str,
    ocr_text: str | None = None,
    batch_id: int | None = None,
    file_id: int | None = None,
    source_page: int = 0,
) -> int:
    cur = conn.execute(
        "INSERT INTO pages (blob_id, sha256, media_type, width, height, dpi, document_id, seq, "
        "status, ocr_text, batch_id, file_id, source_page, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            blob_id,
            sha256,
            media_type,
            width,
            height,
            dpi,
            document_id,
            seq,
            status,
            ocr_text,
            batch_id,
            file_id,
            source_page,
            utc_now(),
        ),
    )
    return int(cur.lastrowid)


def documents_for_patient(conn: Connection, patient_id: int) -> list[dict]:
    cur = conn.execute(
        "SELECT d.id, d.patient_id, d.doc_type, d.doc_date, d.title, d.author, d.facility, "
        "d.created_at, t.sensitive, t.label, "
        "(SELECT count(*) FROM pages p WHERE p.document_id = d.id AND p.status != 'deleted') AS pages "
        "FROM documents d JOIN doc_types t ON t.code = d.doc_type WHERE d.patient_id = ? "
        "AND d.voided_at IS NULL ORDER BY t.label, d.doc_date DESC, d.id",
        (patient_id,),
    )
    return [dict(r) for r in cur]


def document(conn: Connection, document_id: int) -> dict | None:
    row = conn.execute(
        "SELECT d.*, t.sensitive, t.label FROM documents d JOIN doc_types t ON t.code = d.doc_type "
        "WHERE d.id = ?",
        (document_id,),
    ).fetchone()
    return None if row is None else dict(row)


def document_patient_id(conn: Connection, document_id: int) -> int | None:
    """The chart a document is filed in (None: no such document)."""
    row = conn.execute("SELECT patient_id FROM documents WHERE id = ?", (document_id,)).fetchone()
    return None if row is None else int(row[0])


def pages_for_document(conn: Connection, document_id: int) -> list[dict]:
    cur = conn.execute(
        "SELECT id, document_id, seq, sha256, media_type, width, height, rotation, blob_id "
        "FROM pages WHERE document_id = ? AND status != 'deleted' ORDER BY seq, id",
        (document_id,),
    )
    return [dict(r) for r in cur]


def page(conn: Connection, page_id: int) -> dict | None:
    row = conn.execute(
        "SELECT p.*, d.patient_id, d.doc_type, t.sensitive FROM pages p "
        "LEFT JOIN documents d ON d.id = p.document_id "
        "LEFT JOIN doc_types t ON t.code = d.doc_type WHERE p.id = ?",
        (page_id,),
    ).fetchone()
    return None if row is None else dict(row)


def pages_for_access(conn: Connection, page_ids: list[int]) -> list[dict]:
    """What the page access rule needs for many pages at once (a release packet)."""
    out: list[dict] = []
    for i in range(0, len(page_ids), 500):  # well under SQLite's bound-parameter limit
        chunk = page_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        out += [
            dict(r)
            for r in conn.execute(
                "SELECT p.id, p.batch_id, p.document_id, p.status, d.patient_id, t.sensitive "
                "FROM pages p LEFT JOIN documents d ON d.id = p.document_id "
                f"LEFT JOIN doc_types t ON t.code = d.doc_type WHERE p.id IN ({marks})",
                tuple(chunk),
            )
        ]
    return out


def doc_types(conn: Connection) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM doc_types ORDER BY label")]


def doc_type_exists(conn: Connection, code: str) -> bool:
    return conn.execute("SELECT 1 FROM doc_types WHERE code = ?", (code,)).fetchone() is not None


def all_page_blobs(conn: Connection) -> list[tuple[int, str, str]]:
    """Every page holding bytes (a page destroyed under the retention schedule holds none)."""
    cur = conn.execute("SELECT id, blob_id, sha256 FROM pages WHERE blob_id != ''")
    return [(r[0], r[1], r[2]) for r in cur]


def all_file_blobs(conn: Connection) -> list[tuple[int, str, str]]:
    return [
        (r[0], r[1], r[2])
        for r in conn.execute("SELECT id, blob_id, sha256 FROM imported_files WHERE blob_id != ''")
    ]


def search_text(conn: Connection, patient_id: int, fts_query: str, limit: int) -> list[dict]:
    cur = conn.execute(
        "SELECT p.id AS page_id, p.document_id, snippet(page_text, 0, '[', ']', '…', 12) AS snippet "
        "FROM page_text JOIN pages p ON p.id = page_text.rowid "
        "JOIN documents d ON d.id = p.document_id "
        "WHERE page_text MATCH ? AND d.patient_id = ? AND p.status != 'deleted' "
        "AND d.voided_at IS NULL "
        "ORDER BY rank LIMIT ?",
        (fts_query, patient_id, limit),
    )
    return [dict(r) for r in cur]


def page_documents(conn: Connection, page_ids: list[int]) -> dict[int, int | None]:
    """Page id → its document id (None for a page not filed yet): a restore names the
    documents whose page images it could not bring back."""
    out: dict[int, int | None] = {}
    for i in range(0, len(page_ids), 500):
        chunk = page_ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for r in conn.execute(f"SELECT id, document_id FROM pages WHERE id IN ({marks})", chunk):
            out[int(r[0])] = None if r[1] is None else int(r[1])
    return out


# What of a filed page travels to the clinic's other PCs (events/documents.py).
SHARED_PAGE_FIELDS = (
    "blob_id", "sha256", "media_type", "width", "height", "dpi", "rotation", "seq",
    "ocr_text", "ocr_words",
)  # fmt: skip


def pages_to_share(conn: Connection, document_id: int) -> list[dict]:
    cur = conn.execute(
        f"SELECT id, {', '.join(SHARED_PAGE_FIELDS)} FROM pages "
        "WHERE document_id = ? AND status != 'deleted' ORDER BY seq, id",
        (document_id,),
    )
    return [dict(r) for r in cur]


def set_page_view(conn: Connection, page_id: int, rotation: int, ocr_words: str | None) -> None:
    """A page filed on another PC: how it is turned and its OCR words, as filed there."""
    conn.execute(
        "UPDATE pages SET rotation = ?, ocr_words = ? WHERE id = ?",
        (rotation % 360, ocr_words, page_id),
    )
