"""The change bus: one Qt signal carrying a ``Changes`` notice to every screen."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from clinicrecords.common.changes import Changes


class ChangeBus(QObject):
    changed = Signal(object)  # Changes

    def notify(self, changes: Changes) -> None:
        self.changed.emit(changes)
