"""The authorization panel: which scanned form in the chart, its dates, the core elements the
clerk checked off, and the sensitive categories it names explicitly.

The problems the rules find (expired, unsigned, elements missing) are shown as the clerk
fills the form in, before anything is saved; Ctrl+Shift+R records it and re-runs the
selection under it.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.common.timeutil import today
from clinicrecords.release import rules
from clinicrecords.release.service import AuthorizationInput
from clinicrecords.ui.plaintext import plain_label
from clinicrecords.ui.release.data import RequestDetail, sensitive_categories
from clinicrecords.ui.release.forms import date_edit, pydate, qdate
from clinicrecords.ui.style import tone


class _OptionalDate(QWidget):
    """A date that may be absent: a checkbox turns the date on."""

    def __init__(self, label: str, name: str) -> None:
        super().__init__()
        self.check = QCheckBox(label)
        self.check.setObjectName(name + "Check")
        self.edit: QDateEdit = date_edit(name)
        self.edit.setEnabled(False)
        self.check.toggled.connect(self.edit.setEnabled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.check)
        row.addWidget(self.edit)
        row.addStretch(1)

    def value(self) -> date | None:
        return pydate(self.edit.date()) if self.check.isChecked() else None

    def set_value(self, value: date | None) -> None:
        self.check.setChecked(value is not None)
        self.edit.setDate(qdate(value or today()))


class AuthorizationPanel(QScrollArea):
    save_requested = Signal(object)  # AuthorizationInput

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("authorizationPanel")
        self.setWidgetResizable(True)
        body = QWidget()
        self.setWidget(body)

        self.document = QComboBox()
        self.document.setObjectName("authDocument")
        self.signed = _OptionalDate("Signed on", "authSigned")
        self.expires = _OptionalDate("Expires on", "authExpires")
        self.expiry_event = QLineEdit()
        self.expiry_event.setObjectName("authExpiryEvent")
        self.expiry_event.setPlaceholderText("or an expiry event, e.g. 'end of the claim'")
        self.revoked = _OptionalDate("Revoked on", "authRevoked")
        form = QFormLayout()
        form.addRow("Signed form in the chart", self.document)
        form.addRow("", self.signed)
        form.addRow("", self.expires)
        form.addRow("Expiry event", self.expiry_event)
        form.addRow("", self.revoked)

        self.elements: dict[str, QCheckBox] = {}
        elements_box = QGroupBox("Core elements present on the form")
        grid = QGridLayout(elements_box)
        for i, (code, text) in enumerate(rules.CORE_ELEMENTS.items()):
            box = QCheckBox(text[0].upper() + text[1:])
            box.setObjectName(f"authElement_{code}")
            self.elements[code] = box
            grid.addWidget(box, i // 2, i % 2)
        self.all_elements = QPushButton("All &present")
        self.all_elements.setObjectName("authAllElements")
        self.all_elements.clicked.connect(
            lambda: [b.setChecked(True) for b in self.elements.values()]
        )
        grid.addWidget(self.all_elements, (len(self.elements) + 1) // 2, 1)

        self.categories_box = QGroupBox("Sensitive categories the form names explicitly")
        self.categories_layout = QVBoxLayout(self.categories_box)
        self.categories: dict[str, QCheckBox] = {}
        self._set_categories([(c, rules.category_label(c)) for c in rules.SENSITIVE_CATEGORIES])

        self.problems = plain_label()
        self.problems.setObjectName("authProblems")
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet(f"color: {tone('error')};")
        self.save_button = QPushButton("&Record authorization (Ctrl+Shift+R)")
        self.save_button.setObjectName("saveAuthorizationButton")
        self.save_button.clicked.connect(self._save)

        layout = QVBoxLayout(body)
        layout.addLayout(form)
        layout.addWidget(elements_box)
        layout.addWidget(self.categories_box)
        layout.addWidget(self.problems)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout.addLayout(buttons)
        layout.addStretch(1)

        for w in (self.signed.check, self.expires.check, self.revoked.check):
            w.toggled.connect(self._refresh_problems)
        for w in (self.signed.edit, self.expires.edit, self.revoked.edit):
            w.dateChanged.connect(self._refresh_problems)
        self.expiry_event.textChanged.connect(self._refresh_problems)
        for b in self.elements.values():
            b.toggled.connect(self._refresh_problems)

    def _set_categories(self, cats: list[tuple[str, str]]) -> None:
        for code, label in cats:
            if code in self.categories:
                continue
            box = QCheckBox(label[0].upper() + label[1:])
            box.setObjectName(f"authCategory_{code}")
            self.categories[code] = box
            self.categories_layout.addWidget(box)

    def load(self, detail: RequestDetail) -> None:
        """Show the request's recorded authorization, or a blank form with the newest signed
        form in the chart suggested (never attached until the clerk records it)."""
        self._set_categories(sensitive_categories(detail.selection))
        auth = detail.authorization
        self.document.clear()
        self.document.addItem("(none picked)", None)
        forms = sorted(detail.documents, key=lambda d: (d.doc_type != "roi_authorization", -(d.id)))
        for d in forms:
            when = d.doc_date.isoformat() if d.doc_date else "undated"
            label = d.title or d.doc_type.replace("_", " ")
            self.document.addItem(f"{label}, {when} ({d.page_count} p.)", d.id)
        wanted = auth.document_id if auth else detail.suggested_form
        i = self.document.findData(wanted) if wanted is not None else 0
        self.document.setCurrentIndex(max(0, i))
        self.signed.set_value(auth.signed_on if auth else None)
        self.expires.set_value(auth.expires_on if auth else None)
        self.expiry_event.setText(auth.expiry_event if auth else "")
        self.revoked.set_value(auth.revoked_on if auth else None)
        for code, box in self.elements.items():
            box.setChecked(bool(auth) and code in auth.elements)
        for code, box in self.categories.items():
            box.setChecked(bool(auth) and code in auth.categories)
        editable = detail.request.status in rules.OPEN_STATUSES
        self.widget().setEnabled(editable)
        self._recorded = auth is not None
        self._refresh_problems()

    def value(self) -> AuthorizationInput:
        return AuthorizationInput(
            signed_on=self.signed.value(),
            expires_on=self.expires.value(),
            expiry_event=self.expiry_event.text().strip(),
            revoked_on=self.revoked.value(),
            elements=frozenset(c for c, b in self.elements.items() if b.isChecked()),
            categories=frozenset(c for c, b in self.categories.items() if b.isChecked()),
            document_id=self.document.currentData(),
        )

    def _refresh_problems(self) -> None:
        v = self.value()
        auth = rules.Authorization(
            v.signed_on, v.expires_on, v.expiry_event, v.revoked_on, v.elements, v.categories
        )
        problems = auth.problems(today())
        head = "" if getattr(self, "_recorded", False) else "No authorization recorded yet. "
        self.problems.setText(head + " ".join(problems) if problems else head + "In force today.")
        self.problems.setStyleSheet(f"color: {tone('error' if problems else 'ok')};")

    def _save(self) -> None:
        self.save_requested.emit(self.value())
