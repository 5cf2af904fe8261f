"""``CLINICRECORDS_EXIT_WHEN_READY=1``: start the desktop, say when its first window (sign-in,
unlock or first run) is on screen, and leave.

Why: the installers' smoke checks and ``bench/bundle.py`` measure a cold start of the real
program (bundle or .deb) up to the moment a clerk could type, and must not hang on a modal
dialog nobody will fill in. Nothing else changes: the store is opened exactly as on a clinic
PC. The line printed is ``clinicrecords: ready <WindowClass>`` on stdout.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog

ENV = "CLINICRECORDS_EXIT_WHEN_READY"


def requested() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


def watch(app: QApplication) -> QTimer:
    """Poll (every 10 ms, on the UI thread) for the first visible window; report it and close
    it, so the program returns from its dialog and ends with status 0."""
    timer = QTimer(app)
    timer.setInterval(10)

    def check() -> None:
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible() and widget.isWindow():
                timer.stop()
                sys.stdout.write(f"clinicrecords: ready {type(widget).__name__}\n")
                sys.stdout.flush()
                app.setProperty("clinicrecords_ready", True)
                if isinstance(widget, QDialog):
                    widget.reject()
                else:
                    widget.close()
                QTimer.singleShot(0, app.quit)
                return

    timer.timeout.connect(check)
    timer.start()
    return timer
