"""Roles: each service checks its permission; emergency access is loud; every page read goes
through one check and one audit row."""

from __future__ import annotations

import ast
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

import clinicrecords
from clinicrecords.admin import backup
from clinicrecords.clinic import auth
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.store import Store
from clinicrecords.common.errors import AccessDenied
from clinicrecords.db import ingest_sql
from clinicrecords.intake.batches import SEQ_PER_FILE
from clinicrecords.intake.filing import file_document
from clinicrecords.intake.importing import import_files
from clinicrecords.intake.page_ops import (
    delete_pages,
    page_image,
    page_words,
    reorder_pages,
    rotate_page,
)
from clinicrecords.intake.review import batch_pages
from clinicrecords.records import charts, documents
from clinicrecords.records.documents import PageInput, add_document, read_page
from clinicrecords.registry.patient_import import import_patients_csv
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.release import service as release_service
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.helpers import png_page


def test_clerk_cannot_administer(session_for, tmp_path) -> None:
    clerk = session_for("clerk")
    with pytest.raises(AccessDenied):
        auth.add_user(clerk, "mallory", "admin", "password123")
    with pytest.raises(AccessDenied):
        backup.backup(clerk, tmp_path / "b")
    with pytest.raises(AccessDenied):
        backup.verify(clerk)
    with pytest.raises(AccessDenied):
        import_patients_csv(clerk, tmp_path / "x.csv")
    denied = (
        clerk.db.connection()
        .execute("SELECT count(*) FROM audit_log WHERE action = 'access.denied'")
        .fetchone()[0]
    )
    assert denied == 4


def test_sensitive_page_needs_role_or_emergency_access(session_for) -> None:
    admin = session_for("admin")
    p = register_patient(admin, PatientInput(family="Vale", given="Iris", dob=date(1985, 4, 4)))
    doc = add_document(
        admin, p.id, "mental_health", date(2026, 2, 2), [PageInput(png_page("note"))]
    )
    page_id = (
        admin.db.connection()
        .execute("SELECT id FROM pages WHERE document_id = ?", (doc,))
        .fetchone()[0]
    )
    clerk = session_for("clerk")
    with pytest.raises(AccessDenied):
        read_page(clerk, page_id)
    clerk.break_glass("Patient in crisis at the front desk, clinician asked for the note")
    assert read_page(clerk, page_id)
    rows = (
        clerk.db.connection()
        .execute(
            "SELECT action, detail FROM audit_log WHERE user_id = ? ORDER BY id", (clerk.user.id,)
        )
        .fetchall()
    )
    actions = [r[0] for r in rows]
    assert actions[-2:] == ["emergency.start", "page.view"]  # one read, one row
    view = json.loads(rows[-1][1])
    assert view["emergency"] is True and view["grant"] == ["document.read_sensitive"]
    assert session_for("release") and read_page(session_for("release"), page_id)


# --- one access check for every page read (issue 8, defect 9) --------------------------------
#
# The access table (README "Roles"; clinicrecords/clinic/page_access.py): a page still in a batch is
# the index screen's (every role that may scan); a filed page follows its chart: ordinary
# documents for every role, sensitive ones for release and admin, or a clerk under emergency
# access. Release packets additionally need release.create (the release role or admin).

KINDS = ("unfiled", "ordinary", "sensitive")
ROLES = ("clerk", "clerk+emergency", "release", "admin")
MAY_READ = {
    "clerk": {"unfiled": True, "ordinary": True, "sensitive": False},
    "clerk+emergency": {"unfiled": True, "ordinary": True, "sensitive": True},
    "release": {"unfiled": True, "ordinary": True, "sensitive": True},
    "admin": {"unfiled": True, "ordinary": True, "sensitive": True},
}
MAY_BUILD_PACKETS = {"clerk": False, "clerk+emergency": False, "release": True, "admin": True}


@dataclass(frozen=True)
class PageReader:
    """One service function that hands out a page's bytes, words, thumbnail or packet."""

    call: Callable[[Session, dict, str], Any]  # (session, clinic, page kind) -> result
    action: str  # the audit row one allowed read writes
    kinds: tuple[str, ...] = KINDS  # the pages it can be asked for
    needs_release: bool = False
    hides: bool = False  # a page it may not show is left out of the result, not refused


def _search(s: Session, clinic: dict, kind: str) -> list:
    hits = charts.search_chart_text(s, clinic["patient_id"], kind + "word")
    return [h for h in hits if h.page_id == clinic["pages"][kind]]


def _packet(s: Session, clinic: dict, kind: str) -> bytes:
    out = io.BytesIO()
    release_service.build_packet(s, clinic["requests"][kind], out)
    return out.getvalue()


READERS: dict[str, PageReader] = {
    "documents.read_page": PageReader(
        lambda s, c, k: documents.read_page(s, c["pages"][k]), "page.view"
    ),
    "charts.page_image": PageReader(
        lambda s, c, k: charts.page_image(s, c["pages"][k]), "page.view"
    ),
    "charts.thumbnail": PageReader(
        lambda s, c, k: charts.thumbnail(s, c["pages"][k]), "page.thumbnail"
    ),
    "charts.search_chart_text": PageReader(
        _search, "chart.search_text", ("ordinary", "sensitive"), hides=True
    ),
    "intake.page_ops.page_image": PageReader(
        lambda s, c, k: page_image(s, c["pages"][k]), "page.view"
    ),
    "intake.page_ops.page_words": PageReader(
        lambda s, c, k: page_words(s, c["pages"][k]), "page.words"
    ),
    "release.build_packet": PageReader(
        _packet, "release.packet", ("ordinary", "sensitive"), needs_release=True
    ),
}


def _unfiled_pages(admin: Session, folder: Path, texts: list[str]) -> list[int]:
    """A real imported batch whose pages are stored as the pipeline stores them (minus OCR:
    the words are given, so the matrix does not wait for Tesseract)."""
    paths = []
    for n, text in enumerate(texts):
        paths.append(folder / f"scan{n}.png")
        paths[-1].write_bytes(png_page(text))
    report = import_files(admin, paths)
    ids = []
    for n, (f, text) in enumerate(zip(report.files, texts, strict=True)):
        data = png_page(text)
        blob, sha = admin.pages.put(data)
        words = json.dumps([[text, 60, 80, 200, 12, 95.0, 0]])
        with admin.db.write() as conn:
            pid = ingest_sql.insert_scanned_page(
                conn, blob_id=blob, sha256=sha, media_type="image/png", width=850,
                height=1100, dpi=100, batch_id=report.batch_id, file_id=f.file_id,
                source_page=0, seq=n * SEQ_PER_FILE, status="review", blank_score=0.0,
                ocr_words=words, suggestion=None,
            )  # fmt: skip
            ingest_sql.set_page_text(conn, pid, text, words)
        ids.append(pid)
    return ids


@pytest.fixture(scope="module")
def matrix_clinic(template_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """One store for the whole matrix: a batch whose first page is still unfiled, whose second
    was filed as a lab result and whose third as a mental-health note (the pages a clerk
    reached through the index screen before), and a release request for each filed page."""
    folder = tmp_path_factory.mktemp("matrix")
    shutil.copytree(template_store, folder / "data")
    store = Store.open(folder / "data", PASSPHRASE)
    admin = auth.login(store, USERS["admin"], PASSWORD)
    p = register_patient(admin, PatientInput(family="Vale", given="Iris", dob=date(1985, 4, 4)))
    unfiled, ordinary, sensitive = _unfiled_pages(
        admin, folder, ["unfiledword", "ordinaryword", "sensitiveword"]
    )
    auth_doc = add_document(
        admin, p.id, "roi_authorization", date(2026, 1, 5), [PageInput(png_page("form"))]
    )
    file_document(admin, [ordinary], p.id, "lab", date(2026, 2, 1))
    file_document(admin, [sensitive], p.id, "mental_health", date(2026, 2, 2))
    release = auth.login(store, USERS["release"], PASSWORD)
    requests = {}
    for kind, doc_type in (("ordinary", "lab"), ("sensitive", "mental_health")):
        requests[kind] = release_service.create_request(
            release, p.id, "Lee Lawyer", "claim", requester_type="attorney",
            doc_types=(doc_type,), include_sensitive=True,
            authorization=release_service.AuthorizationInput(
                signed_on=date.today() - timedelta(days=3),
                expires_on=date.today() + timedelta(days=100),
                elements=frozenset({"all"}), categories=frozenset({"mental_health"}),
                document_id=auth_doc,
            ),
        ).id  # fmt: skip
        chosen = release_service.get_selection(release, requests[kind])
        assert [s.page_id for s in chosen if s.included] == [locals()[kind]]
    yield {
        "store": store,
        "patient_id": p.id,
        "pages": {"unfiled": unfiled, "ordinary": ordinary, "sensitive": sensitive},
        "requests": requests,
    }
    store.close()


def _session(store: Store, role: str) -> Session:
    s = auth.login(store, USERS[role.split("+")[0]], PASSWORD)
    if role.endswith("+emergency"):
        s.break_glass("Patient collapsed at the front desk; the clinician needs the history")
    return s


def _audit_rows_after(store: Store, last_id: int) -> list[tuple[str, str, dict]]:
    rows = store.db.connection().execute(
        "SELECT action, object_id, detail FROM audit_log WHERE id > ? ORDER BY id", (last_id,)
    )
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_page_read_is_checked_and_audited_once(matrix_clinic, reader, role, kind) -> None:
    spec = READERS[reader]
    if kind not in spec.kinds:
        pytest.skip(f"{reader} is never asked for an {kind} page (it reads a chart's pages)")
    store = matrix_clinic["store"]
    session = _session(store, role)
    allowed = MAY_READ[role][kind] and (MAY_BUILD_PACKETS[role] or not spec.needs_release)
    last = store.db.connection().execute("SELECT max(id) FROM audit_log").fetchone()[0]
    page_id = matrix_clinic["pages"][kind]
    if allowed:
        assert spec.call(session, matrix_clinic, kind)
        rows = _audit_rows_after(store, last)
        assert [r[0] for r in rows] == [spec.action]  # exactly one row, the read's own
        action, object_id, detail = rows[0]
        if action.startswith("page."):
            assert object_id == str(page_id)
            assert detail.get("batch_id" if kind == "unfiled" else "document_id")
            by_emergency = role.endswith("+emergency") and kind == "sensitive"
            assert detail.get("grant") == (["document.read_sensitive"] if by_emergency else None)
        assert detail.get("emergency", False) is role.endswith("+emergency")
    elif spec.hides:
        assert spec.call(session, matrix_clinic, kind) == []
        assert [r[0] for r in _audit_rows_after(store, last)] == [spec.action]
    else:
        with pytest.raises(AccessDenied):
            spec.call(session, matrix_clinic, kind)
        assert [r[0] for r in _audit_rows_after(store, last)] == ["access.denied"]


def _is_page_store(node: ast.expr) -> bool:
    """``session.pages``, ``store.pages``, ``self.session.pages`` or a local ``store`` (the
    release service's name for ``session.pages``); not a dict that happens to be called pages."""
    if isinstance(node, ast.Name):
        return node.id == "store"
    if not (isinstance(node, ast.Attribute) and node.attr == "pages"):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id in ("session", "store")) or (
        isinstance(owner, ast.Attribute) and owner.attr in ("session", "store")
    )


def test_the_matrix_covers_every_function_that_reads_page_bytes() -> None:
    """A tripwire: every place that fetches page bytes from the store (or the OCR words) is
    either a reader in READERS, reached only through page_access, or not a read for a person
    (the pipeline, backup). A new one fails here until it is added to the matrix."""
    root = Path(clinicrecords.__file__).parent
    found: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = path.relative_to(root).with_suffix("").as_posix().replace("/", ".")
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                reads_bytes = (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "get"
                    and _is_page_store(node.func.value)
                )
                reads_words = isinstance(node, ast.Constant) and node.value == "ocr_words"
                if reads_bytes or reads_words:
                    found.add(f"{module}.{fn.name}")
    through_page_access = {
        "records.documents.read_page",  # READERS: documents.read_page, charts.page_image
        "records.charts.thumbnail",
        "records.charts.load",  # charts.thumbnail's loader, called by page_access.open_page
        "intake.page_ops.page_image",
        "intake.page_ops.page_words",
        "release.service.build_packet",  # page_access.open_pages before any page is loaded
    }
    not_a_read_for_a_person = {
        "admin.backup.verify_store",  # checks every page's hash, shows nothing
        "admin.backup.pages",  # verify_store's own page check
        "intake.batches._iter_file_pages",  # the pipeline splitting a stored file into pages
        "intake.page_jobs.full_text",  # the pipeline reading a page's text
        "intake.filing.file_document",  # filing teaches the type classifier from the words
        "sync.client.fetch_pages",  # authenticates a page downloaded from the server
        "sync.documents._filed",  # stores the words of a page filed on another PC, shows none
    }
    assert found == through_page_access | not_a_read_for_a_person, sorted(found)


def test_a_packet_never_takes_an_unfiled_page(matrix_clinic) -> None:
    from clinicrecords.clinic import page_access
    from clinicrecords.common.errors import NotFound

    admin = _session(matrix_clinic["store"], "admin")
    with pytest.raises(NotFound):
        page_access.open_pages(
            admin, [matrix_clinic["pages"]["unfiled"]], "release.packet", "release_request", "X"
        )


def test_index_screen_page_changes_refuse_filed_pages_and_other_batches(
    admin_session, session_for, tmp_path
) -> None:
    """rotate_page / delete_pages / reorder_pages change pages still to be filed, in their own
    batch, and each change is audited; a filed page (even a sensitive one, even by an
    administrator) is part of a chart and cannot be changed through them."""
    from clinicrecords.common.errors import BadInput

    clerk = session_for("clerk")
    p = register_patient(
        admin_session, PatientInput(family="Vale", given="Iris", dob=date(1985, 4, 4))
    )
    a, b, filed = _unfiled_pages(admin_session, tmp_path, ["one", "two", "three"])
    (tmp_path / "other").mkdir()
    (other,) = _unfiled_pages(admin_session, tmp_path / "other", ["elsewhere"])
    file_document(admin_session, [filed], p.id, "mental_health", date(2026, 2, 2))
    batch_id = ingest_sql.pages_by_id(clerk.db.connection(), [a])[0]["batch_id"]
    for who in (clerk, admin_session):
        with pytest.raises(BadInput):
            rotate_page(who, filed, 90)
        with pytest.raises(BadInput):
            delete_pages(who, [a, filed])
        with pytest.raises(BadInput):
            reorder_pages(who, batch_id, [b, a, filed])
    with pytest.raises(BadInput):
        reorder_pages(clerk, batch_id, [b, other, a])  # a page of another batch
    with pytest.raises(BadInput):
        reorder_pages(clerk, batch_id, [b, a, a])
    assert ingest_sql.pages_by_id(clerk.db.connection(), [filed])[0]["rotation"] == 0

    assert rotate_page(clerk, a, 90) == 90
    reorder_pages(clerk, batch_id, [b, a])
    assert [pg.id for pg in batch_pages(clerk, batch_id)] == [b, a]
    rows = _audit_rows_after(clerk.store, 0)
    rotate = [r for r in rows if r[0] == "page.rotate"]
    reorder = [r for r in rows if r[0] == "page.reorder"]
    assert [(r[1], r[2]["rotation"]) for r in rotate] == [(str(a), 90)]
    assert [(r[1], r[2]["pages"]) for r in reorder] == [(str(batch_id), [b, a])]
