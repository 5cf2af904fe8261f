"""The conflicts screen offers only what a conflict allows: a document's date typed two ways
can be settled with this PC's value or a typed one; a document moved to two charts apart can
only be confirmed, and the screen says why in a clerk's words (no command-line flag), while
the command line says which flag works."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt, QThreadPool

from clinicrecords.records import corrections as corr
from clinicrecords.records.documents import PageInput, add_document, list_documents
from clinicrecords.registry.patients import patient_by_mrn
from clinicrecords.sync.conflicts import list_conflicts
from clinicrecords.ui.admin.conflicts import ConflictsDialog
from tests.helpers import noise_page
from tests.sync.test_sync_cli import cli

pytestmark = pytest.mark.gui


def _two_conflicts(clinic):  # type: ignore[no-untyped-def]
    ws1 = clinic.attach_first()
    a = ws1.register("Nguyễn", "Ánh", "1980-03-04")
    b = ws1.register("Brandt", "Bea", "1975-05-06")
    c = ws1.register("Castillo", "Cy", "1971-07-08")
    lab = add_document(ws1.session, a.id, "lab", date(2025, 1, 10), [PageInput(noise_page(1, 40))])
    ws2 = clinic.join("front-2")
    lab2 = list_documents(ws2.session, patient_by_mrn(ws2.session, a.mrn).id)[0].id
    corr.edit_document(ws1.session, lab, doc_date=date(2025, 1, 11))
    corr.edit_document(ws2.session, lab2, doc_date=date(2025, 1, 12))
    clinic.sync_all()
    corr.move_document(ws1.session, lab, b.id, "lab is Bea's")
    corr.move_document(ws2.session, lab2, patient_by_mrn(ws2.session, c.mrn).id, "lab is Cy's")
    clinic.sync_all()
    return ws1, ws2


def test_confirm_only_conflicts_disable_the_other_choices_and_say_why(qtbot, clinic) -> None:
    ws1, ws2 = _two_conflicts(clinic)
    rows = {c.field: c for c in list_conflicts(ws1.session)}
    assert set(rows) == {"doc_date", "chart"}
    dlg = ConflictsDialog(ws1.session)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 2 and not dlg.busy, timeout=5000)
    whats = [dlg.model.data(dlg.model.index(r, 1)) for r in range(2)]
    assert whats == ["document date", "document's chart"]

    dlg.table.selectRow(1)  # the move: only "keep the server's value"
    assert dlg.server_button.isEnabled()
    assert not dlg.local_button.isEnabled() and not dlg.value_edit.isEnabled()
    assert not dlg.value_button.isEnabled()
    why = dlg.local_button.toolTip()
    assert "move the document to the right chart" in why and "--keep" not in why
    assert dlg.value_button.toolTip() == why and dlg.status.text() == why
    qtbot.keyClick(dlg, Qt.Key_T, Qt.AltModifier)  # a disabled button's mnemonic does nothing
    assert dlg.error.text() == "" and len(list_conflicts(ws1.session)) == 2

    dlg.table.selectRow(0)  # the date: every choice, and the reason is gone
    assert dlg.local_button.isEnabled() and dlg.value_edit.isEnabled()
    assert dlg.status.text() == "" and "--keep" not in dlg.local_button.toolTip()

    # The command line refuses "local" for the move in one sentence naming the flag that works.
    r = cli(ws2.data_dir, "conflicts", "resolve", rows["chart"].id, "--keep", "local")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "can only be confirmed, with '--keep server'" in r.stderr
    assert "move the document to the right chart" in r.stderr

    dlg.table.selectRow(1)
    qtbot.keyClick(dlg, Qt.Key_S, Qt.AltModifier)  # "Keep the &server's value"
    qtbot.waitUntil(lambda: dlg.model.rowCount() == 1 and not dlg.busy, timeout=5000)
    assert [c.field for c in list_conflicts(ws1.session)] == ["doc_date"]
    dlg.reject()
    QThreadPool.globalInstance().waitForDone(5000)  # no worker outlives the stores
