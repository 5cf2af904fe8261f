"""The index screen says why it suggests a date, in words (issue 10)."""

from __future__ import annotations

from clinicrecords.scan.types import Evidence, ScoredValue, Suggestions
from clinicrecords.ui.index.form import IndexForm


def test_the_form_shows_the_reason_for_the_suggested_date(qtbot, admin_session) -> None:
    form = IndexForm(admin_session, [("lab", "Lab result"), ("other", "Other")])
    qtbot.addWidget(form)
    ev = Evidence("date", "collection date: 03/04/2025")
    form.fill(Suggestions(doc_date=(ScoredValue("2025-03-04", 0.9, (ev,)),)))
    assert form.doc_date.text() == "2025-03-04"
    assert form.date_reason.text() == "Why this date: collection date"
    form.clear()
    assert form.date_reason.text() == ""
