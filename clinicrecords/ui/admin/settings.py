"""Clinic settings: one field per declared setting, of the kind its type, choices and range ask.

Only values that differ from what was loaded are written, all together (``save_settings``
checks every one before it writes any), and each is audited by ``settings.set_setting``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from clinicrecords.admin import review as admin_review
from clinicrecords.clinic import settings
from clinicrecords.clinic.session import Session
from clinicrecords.clinic.settings import SETTINGS, Setting
from clinicrecords.common.errors import ClinicError
from clinicrecords.ui.admin.users import button, message_label, shortcut
from clinicrecords.ui.style import tone
from clinicrecords.ui.workers import run_in_background

INT_LIMIT = 2_147_483_647  # QSpinBox holds a C int


def widget_name(key: str) -> str:
    """``security.idle_minutes`` → ``setting_security_idle_minutes`` (for tests and styles)."""
    return "setting_" + key.replace(".", "_")


def _range_hint(spec: Setting) -> str:
    if spec.minimum is None and spec.maximum is None:
        return ""
    return f"From {spec.minimum:,g} to {spec.maximum:,g}."


class SettingField:
    """One setting's widget, with a uniform way to show and read a value."""

    def __init__(self, spec: Setting) -> None:
        self.spec = spec
        self.widget: QWidget
        if spec.choices:
            combo = QComboBox()
            for choice in spec.choices:
                combo.addItem(str(choice), choice)
            self.widget = combo
        elif spec.type is bool:
            self.widget = QCheckBox()
        elif spec.type is int:
            spin = QSpinBox()
            spin.setRange(
                int(spec.minimum) if spec.minimum is not None else -INT_LIMIT,
                int(spec.maximum) if spec.maximum is not None else INT_LIMIT,
            )
            spin.setGroupSeparatorShown(True)
            self.widget = spin
        elif spec.type is float:
            dspin = QDoubleSpinBox()
            dspin.setDecimals(1)
            dspin.setSingleStep(0.5)
            dspin.setRange(
                spec.minimum if spec.minimum is not None else -1e9,
                spec.maximum if spec.maximum is not None else 1e9,
            )
            self.widget = dspin
        else:
            self.widget = QLineEdit()
        if isinstance(self.widget, QSpinBox | QDoubleSpinBox | QComboBox):
            self.widget.setMinimumWidth(self.widget.fontMetrics().horizontalAdvance("0" * 12))
        self.widget.setObjectName(widget_name(spec.key))
        hint = _range_hint(spec)
        self.widget.setToolTip(f"{spec.key}. {hint}".strip())

    def set_value(self, value: Any) -> None:
        try:
            value = settings.coerce(self.spec, value)
        except ClinicError:  # a value stored by an older version: show the default
            value = self.spec.default
        w = self.widget
        if isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QSpinBox | QDoubleSpinBox):
            w.setValue(value)
        elif isinstance(w, QLineEdit):
            w.setText(str(value))
            w.setCursorPosition(0)

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QSpinBox | QDoubleSpinBox):
            return w.value()
        assert isinstance(w, QLineEdit)
        return w.text().strip()


class SettingsDialog(QDialog):
    """Ctrl+S (or Enter) saves what changed; Esc closes without saving."""

    saved = Signal(dict)  # {key: new value} of what was written

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        session.require("settings.edit")
        self.session = session
        self.loaded: dict[str, Any] | None = None
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Clinic settings")

        intro = QLabel(
            "Only what you change is saved, and each change is recorded in the audit trail."
        )
        intro.setWordWrap(True)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.ExpandingFieldsGrow)
        self.fields: dict[str, SettingField] = {}
        for key, spec in SETTINGS.items():
            f = SettingField(spec)
            self.fields[key] = f
            label = QLabel(spec.label)
            label.setBuddy(f.widget)
            hint = _range_hint(spec)
            if hint:
                row = QHBoxLayout()
                row.addWidget(f.widget)
                small = QLabel(hint)
                small.setStyleSheet(f"color: {tone('muted')};")
                row.addWidget(small)
                row.addStretch(1)
                self.form.addRow(label, row)
            elif key == "scan.watch_folder":
                row = QHBoxLayout()
                row.addWidget(f.widget, 1)
                self.browse_button = button("&Browse…", "browseWatchFolderButton", self._browse)
                row.addWidget(self.browse_button)
                self.form.addRow(label, row)
            else:
                self.form.addRow(label, f.widget)
            if isinstance(f.widget, QLineEdit):
                f.widget.returnPressed.connect(self.save)

        self.error = message_label("errorLabel", error=True)
        self.status = message_label("statusLabel")
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.Save)
        self.save_button.setObjectName("saveSettingsButton")
        self.save_button.setText("&Save  (Ctrl+S)")
        self.save_button.setDefault(True)  # Enter in a number box or list saves, too
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        shortcut(self, "Ctrl+S", self.save)
        self.resize(720, 520)

        self._enable(False)
        self.status.setText("Loading…")
        run_in_background(
            settings.all_settings,
            session,
            on_done=self._loaded,
            on_error=self.error.setText,
            context=self,
        )

    def _enable(self, on: bool) -> None:
        for f in self.fields.values():
            f.widget.setEnabled(on)
        self.save_button.setEnabled(on)

    def _loaded(self, values: dict[str, Any]) -> None:
        self.loaded = {}
        for key, f in self.fields.items():
            f.set_value(values.get(key, f.spec.default))
            self.loaded[key] = f.value()  # as the widget shows it, so an untouched field is equal
        self.status.setText("")
        self._enable(True)
        first = next(iter(self.fields.values()))
        first.widget.setFocus()

    def changes(self) -> dict[str, Any]:
        if self.loaded is None:
            return {}
        return {k: f.value() for k, f in self.fields.items() if f.value() != self.loaded[k]}

    def save(self) -> None:
        if self.loaded is None or not self.save_button.isEnabled():
            return
        changes = self.changes()
        if not changes:
            self.accept()
            return
        self.error.setText("")
        self.status.setText("Saving…")
        self._enable(False)
        run_in_background(
            admin_review.save_settings,
            self.session,
            changes,
            on_done=self._saved,
            on_error=self._failed,
            context=self,
        )

    def _saved(self, written: dict[str, Any]) -> None:
        self.loaded = {**(self.loaded or {}), **written}
        self.status.setText(f"Saved {len(written)} change(s).")
        self.saved.emit(written)
        self.accept()

    def _failed(self, message: str) -> None:
        self.status.setText("")
        self.error.setText(message)
        self._enable(True)

    def _browse(self) -> None:
        f = self.fields["scan.watch_folder"]
        assert isinstance(f.widget, QLineEdit)
        folder = QFileDialog.getExistingDirectory(self, "Folder the scanner saves into", f.value())
        if folder:
            f.widget.setText(folder)
