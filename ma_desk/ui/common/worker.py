"""The one worker helper: run slow work (a document, a downtime copy, a long read) off the UI thread.

The callable runs on Qt's global thread pool; its result or its MADeskError
comes back on the UI thread through a queued signal. Bugs (any other exception)
are re-raised on the UI thread so the crash dialog sees them.

Every job reports through one dispatcher that lives as long as the application
and is never deleted: a worker thread then never holds (or drops) the last
reference to a QObject that the UI thread may be deleting at the same moment, a
race that can crash PySide6 (a closed dialog's relay object was such a QObject).
The callbacks are kept here, on the UI thread, keyed by job number, and are
skipped when their owner has been deleted meanwhile.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

from ma_desk.errors import MADeskError

_Callbacks = tuple[QObject, Callable[[Any], None], Callable[[MADeskError], None]]


UNEXPECTED_MESSAGE = (
    "Something unexpected went wrong and this was not finished. Nothing half-done was saved; "
    "try again, and tell your administrator if it happens again."
)


class _Dispatcher(QObject):
    """Lives on the UI thread for the application's lifetime; jobs' signals arrive queued."""

    done = Signal(int, object)
    failed = Signal(int, object)

    def __init__(self) -> None:
        super().__init__(None)
        self.waiting: dict[int, _Callbacks] = {}
        self.done.connect(self._finished)
        self.failed.connect(self._failed)

    def _take(self, number: int) -> _Callbacks | None:
        callbacks = self.waiting.pop(number, None)
        if callbacks is None or not shiboken6.isValid(callbacks[0]):
            return None  # the dialog (or window) was closed meanwhile: nobody waits
        return callbacks

    @Slot(int, object)
    def _finished(self, number: int, result: Any) -> None:
        callbacks = self._take(number)
        if callbacks is not None:
            callbacks[1](result)

    @Slot(int, object)
    def _failed(self, number: int, error: BaseException) -> None:
        callbacks = self._take(number)
        if not isinstance(error, MADeskError):
            # A bug: the screen still gets its error path (so nothing waits forever), then
            # the crash hook reports it.
            if callbacks is not None:
                callbacks[2](MADeskError(UNEXPECTED_MESSAGE))
            raise error
        if callbacks is not None:
            callbacks[2](error)


_dispatcher: _Dispatcher | None = None
_numbers = itertools.count(1)


def _the_dispatcher() -> _Dispatcher:
    global _dispatcher
    if _dispatcher is None:
        _dispatcher = _Dispatcher()
        _dispatcher.moveToThread(QCoreApplication.instance().thread())
    return _dispatcher


class _Job(QRunnable):
    def __init__(self, number: int, work: Callable[[], Any], dispatcher: _Dispatcher) -> None:
        super().__init__()
        self.number = number
        self.work = work
        self.dispatcher = dispatcher

    def run(self) -> None:
        try:
            result = self.work()
        except BaseException as error:  # noqa: BLE001 - handed to the UI thread as it is
            self._emit(self.dispatcher.failed, error)
            return
        self._emit(self.dispatcher.done, result)

    def _emit(self, signal, value: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the application is shutting down
            signal.emit(self.number, value)


def run_in_background(
    owner: QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[MADeskError], None],
) -> None:
    """Run ``work()`` off the UI thread; ``on_done``/``on_error`` run on the UI thread
    (neither runs once ``owner`` has been deleted)."""
    dispatcher = _the_dispatcher()
    number = next(_numbers)
    dispatcher.waiting[number] = (owner, on_done, on_error)
    QThreadPool.globalInstance().start(_Job(number, work, dispatcher))
