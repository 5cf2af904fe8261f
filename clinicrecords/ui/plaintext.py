"""Showing text that a person or a scan wrote (names, addresses, purposes, clinic settings, OCR)
in Qt exactly as written.

Qt guesses the format: a label, tooltip or message box whose text merely *looks* like HTML
(it starts with a tag Qt knows, such as ``<b>``, or holds ``&lt;``) is drawn as rich text. A
requester typed as ``<b>Dr</b> Who`` would show as a bold "Dr Who", and ``<img>`` or ``<span
style=...>`` in an OCR'd line could hide or fake what a clerk reads before releasing records.
So: a label that shows such text is a plain-text label (``plain_label`` / ``make_plain``); a
label that needs rich text for its own emphasis passes every value through ``esc``; a tooltip
goes through ``plain_tooltip``. Item views draw their cells as plain text already.
"""

from __future__ import annotations

import html

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def esc(value: object) -> str:
    """A value to put inside rich text (a label set to Qt.RichText)."""
    return html.escape(str(value), quote=False)


def make_plain(*widgets: QLabel | QMessageBox) -> None:
    for widget in widgets:
        widget.setTextFormat(Qt.PlainText)


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.PlainText)
    return label


def rich_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label whose own markup is meant; every value put in it must go through ``esc``."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.RichText)
    return label


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as written.

    Qt has no plain-text switch for tooltips (they are always "auto"), so text that Qt would
    take for HTML is escaped inside a ``<qt>`` wrapper; any other text is returned as it is,
    since escaping it would show "&amp;" to the user.
    """
    if not text or not QtGui.Qt.mightBeRichText(text):
        return text
    return "<qt>" + esc(text).replace("\n", "<br>") + "</qt>"
