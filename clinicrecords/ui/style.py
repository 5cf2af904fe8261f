"""The program's Qt stylesheet and its colours, every size derived from one base point size.

Its own module so that the start-up code (``app.py``) and the main window's View ▸ Larger
text (``main_window.py``) both use it without importing each other.

Colours are named by meaning (``tone("error")``), never written as a hex code in a screen, so
that one place decides how they look in the three situations a clinic PC can be in:

* the usual light theme: the program's own muted red/green/amber;
* a dark system theme: lighter variants that stay readable on a dark window;
* a high-contrast system theme (Windows "Contrast themes", GNOME/KDE high contrast), or
  ``CLINICRECORDS_HIGH_CONTRAST=1``: no colour of our own at all — every tone is the theme's
  own text or highlight colour, so the person's chosen contrast is what they see. That is why
  no signal may be colour alone: every state also says itself in words (OVERDUE, Confident,
  Review, Offline, — sensitive) or in bold.
"""

from __future__ import annotations

import os

BASE_POINT_SIZE = 11.0

# meaning -> (light theme, dark theme)
_TONES: dict[str, tuple[str, str]] = {
    "error": ("#b00020", "#ff8a80"),
    "ok": ("#1b5e20", "#a5d6a7"),
    "warn": ("#8a4b00", "#ffcc80"),
    "muted": ("#555555", "#bdbdbd"),
    "alert_bg": ("#b00020", "#b00020"),
    "alert_fg": ("#ffffff", "#ffffff"),
    "blocked_bg": ("#fde2e1", "#4a1c1c"),
    "blocked_fg": ("#7a0012", "#ffcdd2"),
    "ready_bg": ("#e3f4e6", "#1c3a22"),
    "ready_fg": ("#1e6b2e", "#c8e6c9"),
    "closed_bg": ("#eceff1", "#37474f"),
    "overdue_bg": ("#fde2e1", "#4a1c1c"),
    "due_soon_bg": ("#fff4d6", "#4a3c12"),
    "locked_fg": ("#8a1c1c", "#ff8a80"),
    "page_bg": ("#5f6368", "#303134"),
    "message_bg": ("#f1f3f4", "#303134"),
    "message_fg": ("#202124", "#e8eaed"),
    "restricted_bg": ("#fff4e5", "#4a3212"),
    "restricted_fg": ("#7a2e00", "#ffcc80"),
    "restricted_border": ("#b45309", "#ffb74d"),
    "header_bg": ("#e8f0fe", "#1c2a3f"),
    "header_border": ("#aac4f5", "#4a6fa5"),
    "panel_bg": ("#fafafa", "#2a2a2a"),
    "selection_bg": ("#1f6feb", "#1f6feb"),
    "selection_fg": ("#ffffff", "#ffffff"),
}

# Under high contrast: the theme's own roles (Qt stylesheet ``palette(...)`` names).
_HIGH_CONTRAST = {
    "alert_bg": "palette(highlight)",
    "alert_fg": "palette(highlighted-text)",
    "selection_bg": "palette(highlight)",
    "selection_fg": "palette(highlighted-text)",
    "page_bg": "palette(window)",
}


def high_contrast() -> bool:
    """The system asks for high contrast (Qt 6.10+ reports it), or the person forced it."""
    forced = os.environ.get("CLINICRECORDS_HIGH_CONTRAST", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance()
        if app is None:
            return False
        hints = app.styleHints()
        return hints.accessibility().contrastPreference() == Qt.ContrastPreference.HighContrast
    except (ImportError, AttributeError):  # an older Qt: no way to ask
        return False


def dark_theme() -> bool:
    try:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QGuiApplication

        app = QGuiApplication.instance()
        return app is not None and app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except (ImportError, AttributeError):
        return False


def tone(kind: str) -> str:
    """A CSS colour for a meaning; under high contrast the theme's own text/highlight colour."""
    if high_contrast():
        if kind in _HIGH_CONTRAST:
            return _HIGH_CONTRAST[kind]
        return "palette(base)" if kind.endswith("_bg") else "palette(window-text)"
    light, dark = _TONES[kind]
    return dark if dark_theme() else light


def tone_qcolor(kind: str):  # type: ignore[no-untyped-def]
    """For item models: None under high contrast (the view keeps the theme's colours)."""
    if high_contrast():
        return None
    from PySide6.QtGui import QColor

    return QColor(tone(kind))


def stylesheet(base_pt: float = BASE_POINT_SIZE) -> str:
    """The program's style, with every size derived from one base so View ▸ Larger text scales all."""
    return f"""
QWidget {{ font-size: {base_pt:.1f}pt; }}
QLineEdit#searchBox {{ font-size: {base_pt * 1.35:.1f}pt; padding: 6px; }}
QLabel#chartHeader {{ font-size: {base_pt * 1.45:.1f}pt; font-weight: bold; }}
QLabel#requestHeader {{ font-size: {base_pt * 1.1:.1f}pt; }}
QLabel#pageMessage {{ font-size: {base_pt * 1.2:.1f}pt; }}
QTableView {{ selection-background-color: {tone("selection_bg")};
              selection-color: {tone("selection_fg")}; }}
"""


_current_pt = BASE_POINT_SIZE


def apply_style(app, base_pt: float | None = None) -> None:  # type: ignore[no-untyped-def]
    """Set the program's style at a text size (None: the size in use)."""
    global _current_pt
    if base_pt is not None:
        _current_pt = base_pt
    app.setStyleSheet(stylesheet(_current_pt))


def follow_system_theme(app) -> None:  # type: ignore[no-untyped-def]
    """Re-style when the person switches to or from a dark or high-contrast theme while the
    program runs (screens built afterwards pick the new tones up as they are made)."""
    hints = app.styleHints()
    hints.colorSchemeChanged.connect(lambda *_: apply_style(app))
    accessibility = getattr(hints, "accessibility", None)
    if accessibility is not None:  # Qt 6.10+
        accessibility().contrastPreferenceChanged.connect(lambda *_: apply_style(app))
