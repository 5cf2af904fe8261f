"""The one way to run work off the UI thread.

``run_in_background(fn, ...)`` runs ``fn`` on a QThreadPool worker and hands its result, its
error or its progress back to the UI thread through queued signals, so no widget is ever
touched from a worker. A ``cancel`` event is passed to ``fn`` when it accepts one. Errors are
reported in one place: a ClinicError's sentence goes to ``on_error``; anything else is logged
(scrubbed) and reported as a generic sentence.

Two pools, so that typing never waits behind paper: ``long_running=True`` jobs (importing and
reading batches, scanning, backups) run on their own pool; everything else (search as you
type, opening a chart, showing a page) runs on the interactive pool, which long jobs never
occupy. Before, both shared Qt's global pool of one thread per core: on a 2-core PC an import
plus a watched-folder batch held both threads and a search waited for a batch to finish. The
OCR itself runs on the one executor in ``scan/ocr.py``; long jobs mostly wait for it.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal

from clinicrecords.common import devlog
from clinicrecords.common.errors import ClinicError, explain

UNEXPECTED = "Something went wrong; the details were written to the developer log."


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str, object)
    progress = Signal(int, int)


class TaskHandle:
    def __init__(self) -> None:
        self.cancel_event = threading.Event()
        self.finished = False

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


class _Runnable(QRunnable):
    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple,
        kwargs: dict,
        signals: _Signals,
        handle: TaskHandle,
    ) -> None:
        super().__init__()
        self.fn, self.args, self.kwargs, self.signals, self.handle = (
            fn,
            args,
            kwargs,
            signals,
            handle,
        )
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self.fn(*self.args, **self.kwargs)
        except ClinicError as exc:
            self.signals.failed.emit(exc.message, exc)
        except Exception as exc:  # noqa: BLE001 - reported in one place
            devlog.log_unexpected(exc, getattr(self.fn, "__qualname__", "background task"))
            known = explain(exc)  # a damaged page or a full disk, said as such
            self.signals.failed.emit(known.message if known else UNEXPECTED, exc)
        else:
            self.signals.done.emit(result)
        finally:
            self.handle.finished = True


_keeper: QObject | None = None


def _owner() -> QObject:
    """A UI-thread parent for every task's signal object, so that the Qt object is owned and
    deleted on the UI thread (deleteLater after it reports), never when a worker thread happens
    to drop the last Python reference to it."""
    global _keeper
    if _keeper is None:
        _keeper = QObject()
        _keeper.setObjectName("backgroundTaskSignals")
    return _keeper


# Interactive jobs are short, but a slow one (a large chart, a packet preview) must not hold
# the only free thread either: a few more threads than cores cost nothing while idle.
MIN_INTERACTIVE_THREADS = 4
LONG_THREADS = 4  # long jobs mostly wait on the OCR executor or the disk

_long_pool: QThreadPool | None = None


def pool() -> QThreadPool:
    """The interactive pool (Qt's global one, never given long jobs)."""
    p = QThreadPool.globalInstance()
    if p.maxThreadCount() < MIN_INTERACTIVE_THREADS:
        p.setMaxThreadCount(MIN_INTERACTIVE_THREADS)
    return p


def long_pool() -> QThreadPool:
    """The pool for long jobs (import, batch reading, scanning, backup)."""
    global _long_pool
    if _long_pool is None:
        # Owned by the application (deleted with it, on the UI thread): a parentless pool
        # left to Python's exit crashed the interpreter's final garbage collection.
        _long_pool = QThreadPool(QCoreApplication.instance())
        _long_pool.setObjectName("longJobs")
        _long_pool.setMaxThreadCount(LONG_THREADS)
    return _long_pool


def wait_for_all(msecs: int = 10_000) -> bool:
    """Let every background job finish (before the store's connections are closed)."""
    ok = long_pool().waitForDone(msecs)
    return QThreadPool.globalInstance().waitForDone(msecs) and ok


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    context: QObject | None = None,
    long_running: bool = False,
    **kwargs: Any,
) -> TaskHandle:
    """Run ``fn`` on a worker; callbacks run on the UI thread, and not at all if ``context``
    (usually the widget that asked) has been deleted meanwhile. ``long_running``: seconds or
    more of work (import, OCR, scan, backup): kept off the interactive pool."""
    handle = TaskHandle()
    signals = _Signals(_owner())
    params = inspect.signature(fn).parameters
    if "cancel" in params:
        kwargs["cancel"] = handle.cancel_event
    if "progress" in params:
        kwargs["progress"] = lambda done, total: signals.progress.emit(done, total)

    def alive() -> bool:
        return context is None or shiboken6.isValid(context)

    def finished(result: Any) -> None:
        signals.deleteLater()
        if on_done and not handle.cancelled and alive():
            on_done(result)

    def failed(message: str, exc: object) -> None:
        signals.deleteLater()
        if on_error and alive():
            on_error(message)

    signals.done.connect(finished)
    signals.failed.connect(failed)
    if on_progress:
        signals.progress.connect(on_progress)
    (long_pool() if long_running else pool()).start(_Runnable(fn, args, kwargs, signals, handle))
    return handle


class BusyTasks:
    """For a dialog whose service calls run in the background: ``_run`` counts them
    (``busy``), clears ``self.error`` first, shows a failure there, and calls the dialog's
    ``_update_buttons`` as each starts and ends, so that what must wait is disabled meanwhile.
    The dialog provides ``error`` and ``status`` labels and ``_update_buttons``."""

    _busy = 0

    def _run(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None]) -> None:
        self._busy += 1
        self.error.setText("")  # type: ignore[attr-defined]
        self._update_buttons()  # type: ignore[attr-defined]

        def done(result: Any) -> None:
            self._busy -= 1
            self._update_buttons()  # type: ignore[attr-defined]
            on_done(result)

        def failed(message: str) -> None:
            self._busy -= 1
            self._update_buttons()  # type: ignore[attr-defined]
            self._failed(message)

        run_in_background(fn, *args, on_done=done, on_error=failed, context=self)  # type: ignore[arg-type]

    def _failed(self, message: str) -> None:
        self.status.setText("")  # type: ignore[attr-defined]
        self.error.setText(message)  # type: ignore[attr-defined]

    @property
    def busy(self) -> bool:
        return self._busy > 0
