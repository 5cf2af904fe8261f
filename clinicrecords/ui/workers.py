"""The one way to run work off the UI thread.

``run_in_background(fn, ...)`` runs ``fn`` on a QThreadPool worker and hands its result, its
error or its progress back to the UI thread through queued signals, so no widget is ever
touched from a worker. A ``cancel`` event is passed to ``fn`` when it accepts one. Errors are
reported in one place: a ClinicError's sentence goes to ``on_error``; anything else is logged
(scrubbed) and reported as a generic sentence.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from clinicrecords import devlog
from clinicrecords.errors import ClinicError, explain

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


def pool() -> QThreadPool:
    return QThreadPool.globalInstance()


def run_in_background(
    fn: Callable[..., Any],
    *args: Any,
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    context: QObject | None = None,
    **kwargs: Any,
) -> TaskHandle:
    """Run ``fn`` on a worker; callbacks run on the UI thread, and not at all if ``context``
    (usually the widget that asked) has been deleted meanwhile."""
    handle = TaskHandle()
    signals = _Signals(_owner())
    params = inspect.signature(fn).parameters
    if "cancel" in params:
        kwargs["cancel"] = handle.cancel_event
    if "progress" in params:
        kwargs["progress"] = signals.progress.emit

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
    pool().start(_Runnable(fn, args, kwargs, signals, handle))
    return handle
