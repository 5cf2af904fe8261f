"""Every control a clerk can reach by keyboard has a name and a description for screen readers.

Qt reads a widget's accessible name from the property when set and otherwise guesses (a combo
box announces its current value, a table nothing at all), so a screen reader user hears
"Advance directive, combo box" instead of "Document type". Rather than scatter
``setAccessibleName`` over every screen (where each new control is one more to forget), one
event filter fills the gaps the moment a widget is shown, from what the screen already says:

1. an explicit ``setAccessibleName`` in the screen's code always wins;
2. the wording in ``accessible_text.WORDING`` for the widget's object name (one table, so the
   words are reviewed and translated in one place);
3. the form label beside the field (``QFormLayout``), a label whose buddy it is, a button's
   own text, the placeholder text.

The description comes from the wording table, the tooltip, the status tip or the placeholder.
``tests/test_accessibility.py`` walks every screen and dialog and fails on any focusable control
left without either, so a new control without words cannot slip in.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
    QWizard,
)

from clinicrecords.ui.accessible_text import WORDING

_AMPERSAND = re.compile(r"&(?!&)")


def _plain(text: str) -> str:
    return " ".join(_AMPERSAND.sub("", text).replace("&&", "&").split())


def is_internal(widget: QWidget) -> bool:
    """Qt's own parts of a compound control (a date edit's line edit, a combo box's popup list,
    a tab bar's scroll arrows): the compound control carries the name."""
    if widget.objectName().startswith("qt_") or widget.objectName().startswith("Scroll"):
        return True
    parent = widget.parentWidget()
    if isinstance(parent, QAbstractScrollArea) and widget is parent.viewport():
        return True
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox)):
            return True
        if parent.inherits("QComboBoxPrivateContainer"):
            return True
        parent = parent.parentWidget()
    return False


def needs_words(widget: QWidget) -> bool:
    """A control a person reaches with Tab or a click, other than Qt's internal parts."""
    return widget.focusPolicy() != Qt.NoFocus and not is_internal(widget)


def _form_label(widget: QWidget) -> str:
    parent = widget.parentWidget()
    while parent is not None:
        layout = parent.layout()
        for form in [layout, *(layout.findChildren(QFormLayout) if layout else [])]:
            if isinstance(form, QFormLayout):
                label = form.labelForField(widget)
                if isinstance(label, QLabel) and label.text().strip():
                    return _plain(label.text()).rstrip(":")
        if parent.isWindow():
            break
        parent = parent.parentWidget()
    return ""


def _buddy_label(widget: QWidget) -> str:
    window = widget.window()
    for label in window.findChildren(QLabel):
        if label.buddy() is widget and label.text().strip():
            return _plain(label.text()).rstrip(":")
    return ""


def _wording(widget: QWidget) -> tuple[str, str]:
    """The table's entry by object name, or by its prefix for families of controls built in a
    loop (``authElement_`` + element)."""
    name = widget.objectName()
    if name in WORDING:
        return WORDING[name]
    prefix = name.split("_", 1)[0] + "_"
    return WORDING.get(prefix, ("", "")) if "_" in name else ("", "")


def derived_name(widget: QWidget) -> str:
    name = _wording(widget)[0]
    if name:
        return name
    if isinstance(widget, QAbstractButton) and widget.text().strip():
        return _plain(widget.text())
    label = _form_label(widget) or _buddy_label(widget)
    if label:
        return label
    if isinstance(widget, QLineEdit) and widget.placeholderText().strip():
        return widget.placeholderText().strip()
    return ""


def derived_description(widget: QWidget) -> str:
    description = _wording(widget)[1]
    if description:
        return description
    for text in (widget.toolTip(), widget.statusTip(), widget.whatsThis()):
        if text.strip():
            return _plain(re.sub(r"<[^>]+>", " ", text))
    if isinstance(widget, QLineEdit) and widget.placeholderText().strip():
        return widget.placeholderText().strip()
    wizard = widget.window()
    if isinstance(wizard, QWizard) and isinstance(widget, QAbstractButton):
        for which, text in _WIZARD_BUTTONS.items():
            if wizard.button(which) is widget:
                return text
    box = widget.parentWidget()
    if isinstance(box, QDialogButtonBox) and isinstance(widget, QAbstractButton):
        return _BUTTON_ROLES.get(box.buttonRole(widget), "")
    return ""


# A dialog's standard buttons say what they do by their role, whatever their text.
_BUTTON_ROLES = {
    QDialogButtonBox.AcceptRole: "Confirms and closes this window",
    QDialogButtonBox.YesRole: "Confirms and closes this window",
    QDialogButtonBox.RejectRole: "Closes this window without making a change",
    QDialogButtonBox.NoRole: "Closes this window without making a change",
    QDialogButtonBox.DestructiveRole: "Discards what was entered and closes this window",
    QDialogButtonBox.ApplyRole: "Applies the changes and keeps this window open",
    QDialogButtonBox.ResetRole: "Puts back the values this window opened with",
    QDialogButtonBox.HelpRole: "Shows help for this window",
}

_WIZARD_BUTTONS = {
    QWizard.BackButton: "Goes back to the previous step",
    QWizard.NextButton: "Goes on to the next step",
    QWizard.CommitButton: "Carries out this step; it cannot be undone from here",
    QWizard.FinishButton: "Finishes the set-up",
    QWizard.CancelButton: "Stops the set-up; a clinic already created stays for next time",
    QWizard.HelpButton: "Shows help for this step",
}


def give_words(widget: QWidget) -> None:
    """Fill in what is missing; never overwrite what a screen set on purpose."""
    if not needs_words(widget):
        return
    if not widget.accessibleName():
        name = derived_name(widget)
        if name:
            widget.setAccessibleName(name)
    if not widget.accessibleDescription():
        description = derived_description(widget)
        if description:
            widget.setAccessibleDescription(description)


class AccessibleWords(QObject):
    """Application-wide filter: names each widget as it is first shown (a few microseconds)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Show and isinstance(obj, QWidget):
            give_words(obj)
            if obj.isWindow():  # its hidden parts too: a tab not yet opened, a form shown later
                for child in obj.findChildren(QWidget):
                    give_words(child)
        return False


_installed: AccessibleWords | None = None


def install(app: QApplication | None = None) -> None:
    """Once per application (the start-up code and the main window both call it)."""
    global _installed
    app = app or QApplication.instance()
    if app is None or _installed is not None:
        return
    _installed = AccessibleWords(app)
    app.installEventFilter(_installed)
