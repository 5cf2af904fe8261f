"""The read-only row table every screen uses: one place for selection, keys and column sizing.

The table also adopts its model when the model has no Qt parent, so the model is destroyed
with its view on the UI thread, never by a garbage collection that happens on a worker.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget


def read_only_table(
    name: str,
    model: Any,
    *,
    stretch: int | None = -1,
    widths: tuple[int | str, ...] = (),
    parent: QWidget | None = None,
) -> QTableView:
    """A single-selection, whole-row table.

    ``stretch``: the column that takes the spare width (-1 the last one, None none).
    ``widths``: set, not measured, column widths (a sample text is measured once in the
    table's font, so it scales with it); measuring contents on every reload costs hundreds of
    milliseconds on a table of thousands of rows. Without ``widths`` columns fit their contents.
    """
    t = QTableView(parent)
    t.setObjectName(name)
    t.setModel(model)
    if model.parent() is None:
        model.setParent(t)
    t.setSelectionBehavior(QAbstractItemView.SelectRows)
    t.setSelectionMode(QAbstractItemView.SingleSelection)
    t.setEditTriggers(QAbstractItemView.NoEditTriggers)
    t.setTabKeyNavigation(False)  # Tab leaves the table for the next control
    t.verticalHeader().hide()
    t.setWordWrap(False)
    header = t.horizontalHeader()
    if widths:
        t.verticalHeader().setDefaultSectionSize(22)
        header.setSectionResizeMode(QHeaderView.Interactive)
        t.ensurePolished()
        metrics = t.fontMetrics()
        for col, width in enumerate(widths):
            px = metrics.horizontalAdvance(width) + 18 if isinstance(width, str) else width
            t.setColumnWidth(col, px)
    else:
        header.setSectionResizeMode(QHeaderView.ResizeToContents)
    if stretch is not None:
        if stretch == -1 or widths:
            header.setStretchLastSection(True)
        else:
            header.setSectionResizeMode(stretch, QHeaderView.Stretch)
    return t
