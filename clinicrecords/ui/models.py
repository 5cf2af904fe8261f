"""Qt item models over service results (plain dataclasses in, rows out)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from clinicrecords.ui.plaintext import plain_tooltip

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel, Generic[T]):
    """A read-only table of objects; each column is (header, getter)."""

    def __init__(self, columns: Sequence[tuple[str, Callable[[T], Any]]], parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[T] = []

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_object(self, row: int) -> T | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        obj = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            value = self.columns[index.column()][1](obj)
            text = "" if value is None else str(value)
            # Cells are drawn as plain text; tooltips would take names or OCR text that look
            # like HTML for markup.
            return plain_tooltip(text) if role == Qt.ToolTipRole else text
        if role == Qt.UserRole:
            return obj
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole
    ) -> Any:  # noqa: N802
        if role == Qt.DisplayRole and orientation == Qt.Horizontal:
            return self.columns[section][0]
        return None
