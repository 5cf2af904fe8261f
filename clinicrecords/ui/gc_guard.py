"""Python's garbage collector, run on the UI thread only.

The cycle collector runs on whichever thread happens to allocate when its threshold is
reached. If that is a worker thread and the garbage holds a Qt object (a model, a widget),
Qt destroys it from the wrong thread and the program can crash. Anki met the same problem
(``aqt.main.GarbageCollector``): switch automatic collection off and collect from a timer on
the UI thread. Reference counting still frees everything that is not in a cycle at once.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 3000


class UiThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect)
        self.timer.start(interval_ms)

    def collect(self) -> int:
        return gc.collect()
