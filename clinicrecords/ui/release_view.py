"""Release of information (being built: see the release issue)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from clinicrecords.session import Session
from clinicrecords.ui.bus import ChangeBus


class ReleasePage(QWidget):
    def __init__(self, session: Session, bus: ChangeBus, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("releasePage")
        layout = QVBoxLayout(self)
        self.label = QLabel("Release of information")
        layout.addWidget(self.label)

    def focus_default(self) -> None:
        self.setFocus()
