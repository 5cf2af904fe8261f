"""The program's Qt stylesheet, every size derived from one base point size.

Its own module so that the start-up code (``app.py``) and the main window's View ▸ Larger
text (``main_window.py``) both use it without importing each other.
"""

from __future__ import annotations

BASE_POINT_SIZE = 11.0


def stylesheet(base_pt: float = BASE_POINT_SIZE) -> str:
    """The program's style, with every size derived from one base so View ▸ Larger text scales all."""
    return f"""
QWidget {{ font-size: {base_pt:.1f}pt; }}
QLineEdit#searchBox {{ font-size: {base_pt * 1.35:.1f}pt; padding: 6px; }}
QLabel#chartHeader {{ font-size: {base_pt * 1.45:.1f}pt; font-weight: bold; }}
QTableView {{ selection-background-color: #1f6feb; selection-color: white; }}
"""


STYLE = stylesheet()
