"""Opening a chart: its identifiers, documents grouped by type and date, thumbnails, text
search inside its OCR text, its merges and its release history.

Every opening is audited (``chart.open``); every page view and every thumbnail is checked and
audited by ``page_access.open_page``, the one path for reading a page. Thumbnails are small
PNGs made from the page bytes and kept only in this process's memory (a bounded cache on the
store), never on disk.
"""

from __future__ import annotations

import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date

from PIL import Image, ImageOps

from clinicrecords.clinic import page_access
from clinicrecords.clinic.session import Session
from clinicrecords.common.domain import Document, PageRef, Patient
from clinicrecords.common.errors import BadInput, NotFound
from clinicrecords.db import charts_sql, documents_sql, retention_sql
from clinicrecords.db import patients as patients_sql
from clinicrecords.records import documents

THUMB_PX = 180  # longest side of a thumbnail
THUMB_CACHE_MAX = 3000  # thumbnails kept in memory per open store (~10 KB each)
_THUMB_KEY = "chart_thumbnails"
NO_RELEASES = "No releases"
RELEASES_NOT_ALLOWED = "Release history is visible to the release office and administrators."


@dataclass(frozen=True)
class ChartDocument:
    document: Document
    type_label: str
    pages: tuple[PageRef, ...]
    restricted: bool  # sensitive and this session may not see its pages
    destroyed: str = ""  # "Destroyed on … under policy …" once the retention schedule ran

    @property
    def id(self) -> int:
        return self.document.id


@dataclass(frozen=True)
class DocumentGroup:
    doc_type: str
    label: str
    sensitive: bool
    documents: tuple[ChartDocument, ...]


@dataclass(frozen=True)
class ReleaseEntry:
    code: str
    requester: str
    purpose: str
    status: str
    received_on: date | None
    sent_at: str | None
    pages_out: int


@dataclass(frozen=True)
class ChartView:
    patient: Patient
    groups: tuple[DocumentGroup, ...]
    releases: tuple[ReleaseEntry, ...] = ()
    release_note: str = NO_RELEASES  # shown when `releases` is empty
    merged_from: tuple[Patient, ...] = ()  # charts merged into this one
    opened_as: int | None = None  # the id asked for, when it was a merged-away chart
    can_see_sensitive: bool = False

    @property
    def documents(self) -> list[ChartDocument]:
        return [d for g in self.groups for d in g.documents]

    @property
    def page_count(self) -> int:
        return sum(len(d.pages) for d in self.documents)


@dataclass(frozen=True)
class TextHit:
    page_id: int
    document_id: int
    snippet: str  # matched words in [brackets]


# --- opening ---------------------------------------------------------------------------


def open_chart(session: Session, patient_id: int) -> ChartView:
    """Everything the chart view shows at once (not the page images). Audited."""
    session.require("patient.read")
    session.require("document.read")
    with session.db.read() as conn:
        patient = patients_sql.get(conn, patient_id)
        if patient is None:
            raise NotFound("That chart does not exist.")
        opened_as = None
        seen = {patient.id}
        while patient.merged_into is not None:  # an old chart id opens its survivor
            opened_as = opened_as or patient_id
            nxt = patients_sql.get(conn, patient.merged_into)
            if nxt is None or nxt.id in seen:
                raise NotFound("That chart does not exist.")
            seen.add(nxt.id)
            patient = nxt
        doc_rows = documents_sql.documents_for_patient(conn, patient.id)
        page_rows = charts_sql.pages_for_patient(conn, patient.id)
        merged_from = tuple(
            p
            for p in (patients_sql.get(conn, i) for i in charts_sql.merged_into(conn, patient.id))
            if p is not None
        )
        stones = retention_sql.tombstones(conn, patient.id)
    can_sensitive = session.can(page_access.SENSITIVE_PERMISSION)  # page_access's rule
    groups = _mark_destroyed(_group(doc_rows, page_rows, can_sensitive), stones)
    releases, note = release_history(session, [patient.id, *(p.id for p in merged_from)])
    view = ChartView(patient, groups, releases, note, merged_from, opened_as, can_sensitive)
    session.audit(
        "chart.open",
        "patient",
        patient.id,
        documents=len(view.documents),
        pages=view.page_count,
        **({"opened_as": opened_as} if opened_as else {}),
    )
    return view


def open_chart_by_mrn(session: Session, mrn: str) -> ChartView:
    """Open by MRN or by a former MRN (an alias left by a merge)."""
    session.require("patient.read")
    with session.db.read() as conn:
        pid = patients_sql.id_by_mrn(conn, mrn.strip())
    if pid is None:
        raise NotFound("No chart has that MRN.")
    return open_chart(session, pid)


def _group(
    doc_rows: list[dict], page_rows: list[dict], can_sensitive: bool
) -> tuple[DocumentGroup, ...]:
    pages: dict[int, list[PageRef]] = {}
    for r in page_rows:
        pages.setdefault(r["document_id"], []).append(documents.page_ref(r))
    by_type: dict[str, list[ChartDocument]] = {}
    labels: dict[str, tuple[str, bool]] = {}
    for r in doc_rows:
        doc = Document(
            id=r["id"],
            patient_id=r["patient_id"],
            doc_type=r["doc_type"],
            doc_date=date.fromisoformat(r["doc_date"]) if r["doc_date"] else None,
            page_count=r["pages"],
            title=r["title"],
            author=r["author"],
            facility=r["facility"],
            sensitive=bool(r["sensitive"]),
            created_at=r["created_at"],
        )
        labels[doc.doc_type] = (r["label"], doc.sensitive)
        by_type.setdefault(doc.doc_type, []).append(
            ChartDocument(
                doc, r["label"], tuple(pages.get(doc.id, ())), doc.sensitive and not can_sensitive
            )
        )
    out = []
    for code in sorted(by_type, key=lambda c: labels[c][0].lower()):
        docs = sorted(
            by_type[code], key=lambda d: (d.document.doc_date or date.min, d.id), reverse=True
        )  # newest first; undated last
        out.append(DocumentGroup(code, labels[code][0], labels[code][1], tuple(docs)))
    return tuple(out)


def destroyed_sentence(stone: dict) -> str:
    """What the chart says in place of a destroyed document's pages."""
    return f"Destroyed on {stone['disposed_at'][:10]} under policy {stone['policy']}"


def _mark_destroyed(
    groups: tuple[DocumentGroup, ...], stones: dict[int, dict]
) -> tuple[DocumentGroup, ...]:
    if not stones:
        return groups
    return tuple(
        replace(
            g,
            documents=tuple(
                replace(d, destroyed=destroyed_sentence(stones[d.id])) if d.id in stones else d
                for d in g.documents
            ),
        )
        for g in groups
    )


# --- release history -------------------------------------------------------------------


def release_history(
    session: Session, patient_ids: list[int]
) -> tuple[tuple[ReleaseEntry, ...], str]:
    """The chart's release requests (its own and those of charts merged into it).

    Returns the entries and the sentence to show when there are none. Uses the release
    service's ``list_requests(session, patient_id=...)``; a role without ``release.read``
    is told where the history is kept instead.
    """
    if not session.can("release.read"):
        return (), RELEASES_NOT_ALLOWED
    try:
        from clinicrecords.release.service import list_requests
    except ImportError:  # the release module is not installed in this build
        return (), NO_RELEASES
    entries = []
    for pid in patient_ids:
        for r in list_requests(session, patient_id=pid):
            requester = r.requester_name + (f" ({r.requester_org})" if r.requester_org else "")
            entries.append(
                ReleaseEntry(
                    r.code, requester, r.purpose, r.status, r.received_on, r.sent_at, r.pages_out
                )
            )
    entries.sort(key=lambda e: (e.received_on or date.min, e.code), reverse=True)
    return tuple(entries), NO_RELEASES


# --- text search -----------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """A typed phrase as an FTS5 query: every word must appear; the last may be a prefix."""
    words = _WORD.findall(text)
    if not words:
        return ""
    quoted = [f'"{w}"' for w in words]
    if len(words[-1]) >= 3:
        quoted[-1] += "*"
    return " ".join(quoted)


def search_chart_text(
    session: Session, patient_id: int, text: str, limit: int = 100
) -> list[TextHit]:
    """Pages of one chart whose OCR text has every typed word. Audited (what was looked at)."""
    session.require("document.read")
    query = fts_query(text)
    if not query:
        raise BadInput("Type a word to look for in the chart's text.")
    with session.db.read() as conn:
        rows = documents_sql.search_text(conn, patient_id, query, limit)
        pages = documents_sql.pages_for_access(conn, [r["page_id"] for r in rows])
    # the page access rule, unaudited: what may not be read is left out, not refused
    hidden = {p["id"] for p in pages if not page_access.may_read(session, p)}
    hits = [
        TextHit(r["page_id"], r["document_id"], " ".join(r["snippet"].split()))
        for r in rows
        if r["page_id"] not in hidden
    ]
    session.audit("chart.search_text", "patient", patient_id, hits=len(hits))
    return hits


# --- thumbnails ------------------------------------------------------------------------


class _ThumbCache:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, int, int]) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key: tuple[str, int, int], value: bytes) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.limit:
                self.items.popitem(last=False)


def _cache(session: Session) -> _ThumbCache:
    store = session.store
    with store.cache_lock:
        cache = store.cache.get(_THUMB_KEY)
        if cache is None:
            cache = _ThumbCache(THUMB_CACHE_MAX)
            store.cache[_THUMB_KEY] = cache
        return cache  # type: ignore[return-value]


def make_thumbnail(data: bytes, rotation: int = 0, size: int = THUMB_PX) -> bytes:
    """A small greyscale-friendly PNG of a page image, upright."""
    with Image.open(io.BytesIO(data)) as im:
        im.draft("L", (size * 2, size * 2))  # JPEG: decode at reduced size
        im = ImageOps.exif_transpose(im)
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB" if im.mode in ("RGBA", "P", "CMYK") else "L")
        im.thumbnail((size, size), Image.Resampling.LANCZOS)
        if rotation % 360:
            im = im.rotate(-(rotation % 360), expand=True)
        buf = io.BytesIO()
        im.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def thumbnail(session: Session, page_id: int, size: int = THUMB_PX) -> bytes:
    """A page's thumbnail (PNG bytes), from memory when made before in this session's store.

    Checked and audited (``page.thumbnail``) like the page itself, by
    ``page_access.open_page``: a thumbnail shows the page. The UI shows a placeholder instead
    of calling this for restricted documents.
    """

    def load(row: dict) -> bytes:
        key = (row["sha256"], int(row["rotation"]), size)
        cache = _cache(session)
        cached = cache.get(key)
        if cached is not None:
            return cached
        data = session.pages.get(row["blob_id"], row["sha256"])
        thumb = make_thumbnail(data, int(row["rotation"]), size)
        cache.put(key, thumb)
        return thumb

    return page_access.open_page(session, page_id, "thumbnail", load)


def page_image(session: Session, page_id: int) -> bytes:
    """A page for the viewer, as bytes Qt can show (TIFF and others become PNG). Audited."""
    data = documents.read_page(session, page_id, "view")
    if data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff":
        return data
    with Image.open(io.BytesIO(data)) as im:
        buf = io.BytesIO()
        im.convert("L" if im.mode in ("1", "L", "I;16") else "RGB").save(buf, format="PNG")
    return buf.getvalue()


@dataclass
class ChartSummary:
    """Counts for a merge confirmation: what would move."""

    patient: Patient
    documents: int = 0
    pages: int = 0
    merged_charts: list[int] = field(default_factory=list)


def chart_summary(session: Session, patient_id: int) -> ChartSummary:
    session.require("patient.read")
    with session.db.read() as conn:
        patient = patients_sql.get(conn, patient_id)
        if patient is None:
            raise NotFound("That chart does not exist.")
        docs, pages = charts_sql.page_counts(conn, patient_id)
        merged = charts_sql.merged_into(conn, patient_id)
    return ChartSummary(patient, docs, pages, merged)
