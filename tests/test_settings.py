"""Settings: typed, validated, admin only, audited; read only through the declared registry;
and every declared setting changes what the program does (issue 8, defect 10)."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest

import clinicrecords
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import SETTINGS, get_setting, set_setting
from clinicrecords.common.dates import read_date
from clinicrecords.common.errors import AccessDenied, BadInput
from clinicrecords.common.timeutil import today
from clinicrecords.db import settings_sql
from clinicrecords.intake.classifier import classifier_for
from clinicrecords.intake.importing import import_files
from clinicrecords.intake.pipeline import date_order_for
from clinicrecords.records.documents import PageInput, add_document
from clinicrecords.registry import lookup
from clinicrecords.registry.patients import PatientInput, list_patients, register_patient
from clinicrecords.release import service as release_service
from clinicrecords.scan.suggest import ocr_result_from_text, suggest
from tests.conftest import PASSPHRASE, PASSWORD, USERS
from tests.helpers import png_page


def test_settings_change_is_typed_and_audited(session_for) -> None:
    admin = session_for("admin")
    assert get_setting(admin, "release.due_days") == 30
    assert set_setting(admin, "release.due_days", "45") == 45
    assert get_setting(admin, "release.due_days") == 45
    with pytest.raises(BadInput):
        set_setting(admin, "locale.date_order", "YMD")
    with pytest.raises(BadInput):
        set_setting(admin, "security.idle_minutes", "0")
    with pytest.raises(AccessDenied):
        set_setting(session_for("clerk"), "release.due_days", 10)
    row = (
        admin.db.connection()
        .execute("SELECT detail FROM audit_log WHERE action = 'settings.change'")
        .fetchone()
    )
    assert '"new":45' in row[0] and '"old":30' in row[0]


def test_an_undeclared_key_is_a_programming_error_not_a_default(admin_session) -> None:
    """``clinic.date_order`` (the key ingest used to read while the screen saved
    ``locale.date_order``) can no longer be read at all; nor can a clinic setting be read
    around the registry with a default of its own."""
    with pytest.raises(KeyError):
        get_setting(admin_session, "clinic.date_order")
    with admin_session.db.read() as conn:
        with pytest.raises(KeyError):
            settings_sql.get(conn, "locale.date_order", "MDY")
        with pytest.raises(KeyError):
            settings_sql.get(conn, "clinic.date_order", "MDY")
        assert settings_sql.get(conn, "store.id")  # internal state has its own API


def test_only_the_registry_touches_declared_settings() -> None:
    """No module but ``settings.py`` calls the registry's raw functions, and no module names a
    declared key in a ``settings_sql.get`` / ``put`` call (it would raise at run time)."""
    root = Path(clinicrecords.__file__).parent
    raw, by_literal = [], []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            if not (isinstance(owner, ast.Name) and owner.id == "settings_sql"):
                continue
            if (
                node.func.attr in ("read_declared", "write_declared")
                and rel != "clinic/settings.py"
            ):
                raw.append(rel)
            key = node.args[1] if len(node.args) > 1 else None
            if isinstance(key, ast.Constant) and key.value not in settings_sql.INTERNAL_KEYS:
                by_literal.append(f"{rel}: {key.value}")
    assert raw == [] and by_literal == []


# --- every declared setting changes behaviour ------------------------------------------------


@dataclass
class Clinic:
    """What the behaviour checks work on: real sessions on one real store."""

    admin: Session
    release: Session
    qtbot: Any
    tmp_path: Path
    store_dir: Path
    _chart: dict | None = None

    def chart(self) -> dict:
        """A chart with a lab page, its signed authorization, and a few release requests."""
        if self._chart is None:
            p = register_patient(
                self.admin, PatientInput(family="Harrow", given="Elin", dob=date(1970, 2, 2))
            )
            add_document(self.admin, p.id, "lab", date(2025, 1, 5), [PageInput(png_page("lab"))])
            form = add_document(
                self.admin, p.id, "roi_authorization", date(2025, 1, 1),
                [PageInput(png_page("form"))],
            )  # fmt: skip
            self._chart = {"patient": p.id, "form": form}
        return self._chart

    def request(self, **kw: Any) -> release_service.ReleaseRequest:
        c = self.chart()
        args: dict[str, Any] = {
            "requester_type": "attorney",
            "authorization": release_service.AuthorizationInput(
                signed_on=today() - timedelta(days=3),
                expires_on=today() + timedelta(days=100),
                elements=frozenset({"all"}),
                document_id=c["form"],
            ),
        }
        return release_service.create_request(
            self.release, c["patient"], "Lee Lawyer", "claim", **{**args, **kw}
        )


def _packet_front(c: Clinic) -> str:
    """The text of a release packet's cover letter (with the letterhead)."""
    req = c.request(doc_types=("lab",))
    out = io.BytesIO()
    release_service.build_packet(c.release, req.id, out)
    return pypdf.PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()


def _main_window(c: Clinic) -> Any:
    from clinicrecords.ui.main_window import MainWindow

    w = MainWindow(c.admin)
    c.qtbot.addWidget(w)
    w._signing_out = True  # closing it must not quit the test's QApplication
    return w


def _index_page(c: Clinic) -> Any:
    from clinicrecords.ui.bus import ChangeBus
    from clinicrecords.ui.index.view import ScanIndexPage

    view = ScanIndexPage(c.admin, ChangeBus())
    c.qtbot.addWidget(view)
    view.stop_watching()
    return view


def _watched_folder(c: Clinic) -> str | None:
    from clinicrecords.ui.bus import ChangeBus
    from clinicrecords.ui.index.view import ScanIndexPage

    view = ScanIndexPage(c.admin, ChangeBus())
    c.qtbot.addWidget(view)
    folder = None if view.watcher is None else str(view.watcher.path)
    view.stop_watching()
    return folder


def _date_order_everywhere(c: Clinic) -> dict[str, Any]:
    """ "05/06/…" read by every part that reads a day and a month: each must follow the setting."""
    from clinicrecords.ui.chart.registration import RegistrationDialog
    from clinicrecords.ui.release import data as release_data
    from clinicrecords.ui.release.pages import parse_day

    if not lookup.search_patients(c.admin, "Ambry"):
        for dob in (date(1967, 5, 6), date(1967, 6, 5)):
            register_patient(c.admin, PatientInput(family="Ambry", given="Tove", dob=dob))
    found = {}
    # scan suggestions: what the pipeline (and `suggest`) hands the suggester
    ocr = ocr_result_from_text("Progress note\nDate of service: 05/06/2024")
    s = suggest(
        ocr, lookup.index_for(c.admin.store), classifier_for(c.admin),
        date_order_for(c.admin),
    )  # fmt: skip
    found["scan date"] = s.doc_date[0].value
    found["chart lookup"] = lookup.search_patients(c.admin, "Ambry 05/06/1967")[0].patient.dob
    dlg = RegistrationDialog(c.admin)
    c.qtbot.addWidget(dlg)
    dlg.family.setText("Quill")
    dlg.given.setText("Ada")
    dlg.dob.setText("05/06/1967")
    found["registration form"] = dlg.form_input().dob
    view = _index_page(c)
    found["index form"] = read_date("05/06/2024", view.date_order)  # as file_current reads it
    order = release_data.load_log(c.release).date_order
    found["release scope"] = parse_day("05/06/2024", "start", order)
    found["patient import"] = _import_one_by_cli(c, "05/06/1967")
    return found


def _import_one_by_cli(c: Clinic, dob: str) -> date:
    """`clinicrecords patients import` without --date-order, as a clinic runs it."""
    n = len(list_patients(c.admin, limit=10_000))
    csv = c.tmp_path / f"import{n}.csv"
    csv.write_text(f"Last,First,DOB\nImport{chr(65 + n % 26)}son,Bo,{dob}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICRECORDS_")}
    env.update(
        CLINICRECORDS_PASSPHRASE=PASSPHRASE,
        CLINICRECORDS_PASSWORD=PASSWORD,
        CLINICRECORDS_USER=USERS["admin"],
    )
    r = subprocess.run(
        [sys.executable, "-m", "clinicrecords", "--data-dir", str(c.store_dir), "patients",
         "import", str(csv), "--map", "family=Last,given=First,dob=DOB"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    newest = max(list_patients(c.admin, limit=10_000), key=lambda p: p.id)
    return newest.dob


def _remove_originals(c: Clinic) -> bool:
    """Whether an imported original is still where it was after `import_files`."""
    path = c.tmp_path / f"original{len(list(c.tmp_path.glob('original*')))}.png"
    path.write_bytes(png_page(path.name))
    report = import_files(c.admin, [path])
    assert report.count("stored") == 1
    return path.exists()


def _due_soon(c: Clinic) -> bool:
    req = c.request(received_on=today(), due_on=today() + timedelta(days=10))
    return req.id in {r.id for r in release_service.due_list(c.release)}


def _blockers(c: Clinic) -> list[str]:
    req = c.request(requester_type="provider", authorization=None, doc_types=("lab",))
    return release_service.send_blockers(c.release, req.id)


def _minor_due(c: Clinic) -> bool:
    """Whether a child's lab page from age 4 is due for destruction (kept 0 years after the
    age of majority, 1 year after service): 18 keeps it until 2028, 14 lets it go."""
    from clinicrecords.records import retention

    found = lookup.search_patients(c.admin, "Minora")
    if found:
        mrn = found[0].patient.mrn
    else:
        p = register_patient(
            c.admin, PatientInput(family="Minora", given="Lu", dob=date(2010, 3, 1))
        )
        add_document(c.admin, p.id, "lab", date(2014, 4, 2), [PageInput(png_page("child"))])
        retention.set_policy(c.admin, "lab", 1, 0)
        mrn = p.mrn
    return any(d.mrn == mrn for d in retention.due(c.admin, date(2026, 6, 1)).documents)


# key -> (a value other than the default, what the program does: run before and after)
BEHAVIOUR: dict[str, tuple[Any, Callable[[Clinic], Any]]] = {
    "clinic.name": ("Harbour Lane Practice", lambda c: "Harbour Lane" in _packet_front(c)),
    "clinic.address": ("7 Quay Road, Portwell", lambda c: "Quay Road" in _packet_front(c)),
    "clinic.phone": ("(555) 777-0199", lambda c: "777-0199" in _packet_front(c)),
    "locale.date_order": ("DMY", _date_order_everywhere),
    "security.idle_minutes": (12.0, lambda c: _main_window(c).idle.timer.interval()),
    "release.due_days": (10, lambda c: c.request(received_on=date(2026, 1, 1)).due_on),
    "release.due_soon_days": (15, _due_soon),
    "release.fee_per_page_cents": (40, lambda c: c.request(doc_types=("lab",)).fee_cents),
    "release.fee_base_cents": (500, lambda c: c.request(doc_types=("lab",)).fee_cents),
    "release.fee_patient_electronic_cents": (
        900,
        lambda c: (
            c.request(requester_type="patient", delivery="electronic", authorization=None).fee_cents
        ),
    ),
    "release.require_authorization_always": (True, _blockers),
    "retention.age_of_majority": (14, _minor_due),
    "scan.remove_originals": (True, _remove_originals),
    "scan.watch_folder": ("<tmp>", _watched_folder),
}


@pytest.mark.parametrize(
    "key",
    [
        pytest.param(k, marks=pytest.mark.slow) if k == "locale.date_order" else k  # ~10 s
        for k in sorted(SETTINGS)
    ],
)
def test_every_declared_setting_changes_behaviour(
    key, qtbot, admin_session, session_for, tmp_path, store_dir
) -> None:
    """A setting the screen saves but nothing reads (``locale.date_order`` read as
    ``clinic.date_order``, ``scan.remove_originals`` read nowhere) fails here: the program
    does the same thing before and after the change. A declared setting without a check
    fails too."""
    assert set(BEHAVIOUR) == set(SETTINGS), "every declared setting needs a behaviour check"
    value, check = BEHAVIOUR[key]
    if value == "<tmp>":
        (tmp_path / "watched").mkdir()
        value = str(tmp_path / "watched")
    assert value != SETTINGS[key].default
    clinic = Clinic(admin_session, session_for("release"), qtbot, tmp_path, store_dir)
    before = check(clinic)
    set_setting(admin_session, key, value)
    after = check(clinic)
    if isinstance(before, dict):  # one setting, several readers: each must follow it
        unchanged = [name for name in before if before[name] == after[name]]
        assert unchanged == [], f"{key} does not reach: {unchanged} ({before} -> {after})"
    else:
        assert before != after
