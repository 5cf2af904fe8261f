"""Every screen and dialog, walked: each control a person can reach has an accessible name and
description (what a screen reader says), and colour is never the only signal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication, QWidget

from clinicrecords.clinic.session import Session
from clinicrecords.registry.patients import PatientInput, register_patient
from clinicrecords.ui import accessibility
from clinicrecords.ui.main_window import MainWindow
from tests.test_release_service import make_chart

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _words(qapp) -> Iterator[None]:
    accessibility.install(qapp)
    yield
    for _ in range(3):
        QThreadPool.globalInstance().waitForDone(20_000)
        QApplication.processEvents()


def missing_words(root: QWidget) -> list[str]:
    """Every focusable control under root (shown or not yet) lacking a name or a description."""
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        if not accessibility.needs_words(w):
            continue
        lacks = [
            k
            for k, v in (("name", w.accessibleName()), ("description", w.accessibleDescription()))
            if not v.strip()
        ]
        if lacks:
            out.append(f"{type(w).__name__}#{w.objectName() or '?'} lacks {' and '.join(lacks)}")
    return out


def shown(qtbot, w: QWidget) -> QWidget:
    qtbot.addWidget(w)
    w.resize(1366, 768)
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def window(qtbot, admin_session: Session) -> Iterator[MainWindow]:
    w = shown(qtbot, MainWindow(admin_session))
    yield w
    w._signing_out = True
    w.close()


def test_every_screen_of_the_main_window_names_its_controls(qtbot, window, admin_session) -> None:
    chart = make_chart(admin_session, "Quillfeather", "Odette")
    problems: list[str] = []
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        qtbot.wait(20)
        problems += missing_words(window)
    window.tabs.setCurrentIndex(0)
    window.chart_page.open_chart(chart["patient"].id)
    qtbot.waitUntil(lambda: window.chart_page.showing_chart, timeout=5000)
    qtbot.wait(50)
    problems += missing_words(window)
    view = window.chart_page.chart_view
    qtbot.waitUntil(lambda: view.current_doc is not None, timeout=5000)
    for action in ("move", "edit", "void"):
        dlg = view.corrections.open_dialog(action)
        qtbot.waitExposed(dlg)
        problems += [f"{action} dialog: {p}" for p in missing_words(dlg)]
        dlg.reject()
    release = window.release_page
    from clinicrecords.release import service

    req = service.create_request(admin_session, chart["patient"].id, "Dr. Pell", "continuing care")
    release.reload_log()
    release.open_request(req.id)
    qtbot.waitUntil(lambda: release.detail is not None, timeout=10_000)
    window.tabs.setCurrentWidget(release)
    for t in range(release.tabs.count()):
        release.tabs.setCurrentIndex(t)
        qtbot.wait(20)
        problems += missing_words(window)
    problems += missing_words(window)
    problems = sorted(set(problems))
    assert not problems, "\n".join(problems)


def _dialog_cases(admin_session: Session, tmp_path) -> list:
    from clinicrecords.ui.admin.audit import AuditDialog
    from clinicrecords.ui.admin.conflicts import ConflictsDialog
    from clinicrecords.ui.admin.disclosures import DisclosureReviewDialog
    from clinicrecords.ui.admin.operations import StatusDialog
    from clinicrecords.ui.admin.retention import RetentionDialog
    from clinicrecords.ui.admin.settings import SettingsDialog
    from clinicrecords.ui.admin.users import ResetPasswordDialog, UsersDialog
    from clinicrecords.ui.chart.merge_dialog import MergeDialog
    from clinicrecords.ui.chart.previous_names import AlsoKnownAsDialog
    from clinicrecords.ui.chart.registration import RegistrationDialog
    from clinicrecords.ui.dialogs import LoginDialog, UnlockDialog
    from clinicrecords.ui.first_run import FirstRunWizard
    from clinicrecords.ui.release.forms import NewRequestDialog, ReasonDialog

    survivor = register_patient(admin_session, PatientInput("Amberley", "Rose", date(1970, 1, 2)))
    return [
        lambda: FirstRunWizard(tmp_path / "wizard"),
        lambda: StatusDialog(admin_session.store),
        lambda: UnlockDialog(admin_session.store.data_dir),
        lambda: LoginDialog(admin_session.store),
        lambda: RegistrationDialog(admin_session),
        lambda: MergeDialog(admin_session, survivor),
        lambda: AlsoKnownAsDialog(admin_session, survivor),
        lambda: UsersDialog(admin_session),
        lambda: ResetPasswordDialog("clerk"),
        lambda: SettingsDialog(admin_session),
        lambda: AuditDialog(admin_session),
        lambda: ConflictsDialog(admin_session),
        lambda: DisclosureReviewDialog(admin_session),
        lambda: RetentionDialog(admin_session),
        lambda: NewRequestDialog(admin_session, 30),
        lambda: ReasonDialog("Deny the request", "Why is it denied?"),
    ]


def test_every_dialog_names_its_controls(qtbot, admin_session, tmp_path) -> None:
    problems: list[str] = []
    for make in _dialog_cases(admin_session, tmp_path):
        dlg = shown(qtbot, make())
        qtbot.wait(20)
        problems += [f"{type(dlg).__name__}: {p}" for p in missing_words(dlg)]
        dlg.close()
    assert not problems, "\n".join(problems)


def _styles(root: QWidget) -> list[tuple[str, str]]:
    return [
        (w.objectName() or type(w).__name__, w.styleSheet())
        for w in [root, *root.findChildren(QWidget)]
        if w.styleSheet()
    ]


def test_high_contrast_screens_use_only_the_theme_colours(
    qtbot, admin_session, monkeypatch
) -> None:
    """Under a high-contrast theme no screen paints a colour of its own: every tone is the
    theme's text, base or highlight colour."""
    import re

    from clinicrecords.ui.style import stylesheet, tone

    monkeypatch.setenv("CLINICRECORDS_HIGH_CONTRAST", "1")
    assert tone("error") == "palette(window-text)" and tone("alert_bg") == "palette(highlight)"
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b", stylesheet())
    chart = make_chart(admin_session, "Quillfeather", "Odette")
    w = shown(qtbot, MainWindow(admin_session))
    w.chart_page.open_chart(chart["patient"].id)
    qtbot.waitUntil(lambda: w.chart_page.showing_chart, timeout=5000)
    coloured = [(n, s) for n, s in _styles(w) if re.search(r"#[0-9a-fA-F]{3,6}\b", s)]
    w._signing_out = True
    w.close()
    assert coloured == []
    monkeypatch.setenv("CLINICRECORDS_HIGH_CONTRAST", "0")
    assert tone("error").startswith("#")  # the usual theme keeps the program's own colours


def test_text_size_scales_every_screen_and_no_screen_fixes_a_point_size(qtbot, window) -> None:
    """View ▸ Larger text reaches every label: no screen's own style names a point size."""
    import re

    fixed = [(n, s) for n, s in _styles(window) if re.search(r"\d\s*pt\b", s)]
    assert fixed == []
    header = window.chart_page.findChild(QWidget, "searchBox")
    before = header.font().pointSizeF()
    window.zoom_font(+4)
    QApplication.processEvents()
    assert header.font().pointSizeF() > before
    window.zoom_font(-4)


def test_overdue_and_due_soon_say_it_in_words_not_only_in_colour(
    admin_session, monkeypatch
) -> None:
    from datetime import timedelta

    from PySide6.QtCore import Qt

    from clinicrecords.common.timeutil import today
    from clinicrecords.release import service
    from clinicrecords.ui.release.data import LogRow
    from clinicrecords.ui.release.models import RequestLogModel

    chart = make_chart(admin_session, "Quillfeather", "Odette")
    made = service.create_request(
        admin_session,
        chart["patient"].id,
        "Dr. Pell",
        "care",
        received_on=today() - timedelta(days=40),
    )
    request = service.get_request(admin_session, made.id)
    assert request.due_state == "overdue"
    model = RequestLogModel()
    model.set_rows([LogRow(request, "Quillfeather, Odette", None)])
    tinted = model.data(model.index(0, 0), Qt.BackgroundRole)
    words = model.data(model.index(0, 2), Qt.DisplayRole)
    assert tinted is not None and "overdue" in words.lower()
    monkeypatch.setenv("CLINICRECORDS_HIGH_CONTRAST", "1")
    assert model.data(model.index(0, 0), Qt.BackgroundRole) is None  # the theme's colours
    assert "overdue" in model.data(model.index(0, 2), Qt.DisplayRole).lower()


def test_no_screen_writes_a_colour_of_its_own() -> None:
    """Colours live in ui/style.py by meaning (tone), so a high-contrast or dark theme reaches
    every screen: a hex colour written in a screen's code is found here."""
    import re
    from pathlib import Path

    ui = Path(accessibility.__file__).parent
    pattern = re.compile(r"""(color|background)[^"'\n]*#[0-9a-fA-F]{3,6}\b|QColor\(\s*["']#""")
    found = [
        f"{path.relative_to(ui)}:{n}"
        for path in sorted(ui.rglob("*.py"))
        if path.name != "style.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]
    assert found == []
