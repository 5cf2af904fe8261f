"""The status bar's clinic-network line: "Online · synced 3 s ago" or "Offline since 09:14 —
12 changes waiting".

The live sync loop (``sync/loop.py``) runs in its own thread; a QTimer reads its status
snapshot once a second (a lock and a copy: no network, no database on the UI thread), so a
slow or absent server never freezes a clerk's screen.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QStatusBar

from clinicrecords.clinic.session import Session
from clinicrecords.sync import loop as sync_loop
from clinicrecords.sync.loop import SyncLoop, describe
from clinicrecords.ui.plaintext import plain_label, plain_tooltip
from clinicrecords.ui.style import tone

REFRESH_MS = 1000


def is_attached(session: Session) -> bool:
    return sync_loop.is_attached(session.store)


class SyncStatus:
    """The loop and the label that shows it; ``start``/``stop`` follow the window's lock."""

    def __init__(self, session: Session, bar: QStatusBar) -> None:
        self.loop = SyncLoop(session.store)
        self.label = plain_label("")
        self.label.setObjectName("syncStatusLabel")
        self.label.setStyleSheet("padding:0 8px;")
        bar.addPermanentWidget(self.label)
        self.timer = QTimer(self.label)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self.loop.start()
        self.timer.start()
        self.refresh()

    def stop(self, wait: float = 0.0) -> None:
        self.timer.stop()
        self.loop.stop(wait)

    def refresh(self) -> None:
        s = self.loop.status()
        self.label.setText(describe(s))
        color = tone("ok") if s.online else tone("warn")
        self.label.setStyleSheet(f"padding:0 8px;color:{color};")
        self.label.setToolTip(plain_tooltip(s.last_error) if s.last_error else "")
