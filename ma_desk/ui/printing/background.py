"""Build a document on a worker thread so the window stays responsive (end of day: ~0.5 s).

The callable runs on Qt's global thread pool; its result or its MADeskError
comes back on the UI thread through a queued signal. Bugs (any other exception)
are re-raised on the UI thread so the crash dialog sees them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from ma_desk.errors import MADeskError


class _Relay(QObject):
    """Lives on the UI thread: the worker's signals reach its slots queued, on that thread."""

    done = Signal(object)
    failed = Signal(object)

    def __init__(self, owner: QObject, on_done, on_error) -> None:
        super().__init__(owner)
        self._on_done = on_done
        self._on_error = on_error
        self.done.connect(self._finished)
        self.failed.connect(self._failed)

    @Slot(object)
    def _finished(self, result: Any) -> None:
        self.deleteLater()
        self._on_done(result)

    @Slot(object)
    def _failed(self, error: BaseException) -> None:
        self.deleteLater()
        if not isinstance(error, MADeskError):
            raise error
        self._on_error(error)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work = work
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.work()
        except BaseException as error:  # noqa: BLE001 - handed to the UI thread as it is
            self._emit(self.relay.failed, error)
            return
        self._emit(self.relay.done, result)

    @staticmethod
    def _emit(signal, value: Any) -> None:
        # The dialog (and its relay) may have been closed meanwhile: then nobody waits.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


def run_in_background(
    owner: QObject,
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[MADeskError], None],
) -> None:
    """Run ``work()`` off the UI thread; ``on_done``/``on_error`` run on the UI thread."""
    relay = _Relay(owner, on_done, on_error)
    QThreadPool.globalInstance().start(_Job(work, relay))
