"""Run a slow read (a long compliance range) on Qt's thread pool and hand back the result.

Only the newest request's answer is shown: a filter changed while a query runs
makes the older answer stale, and it is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ma_desk.errors import MADeskError


class _Signals(QObject):
    finished = Signal(int, object)  # request number, result
    failed = Signal(int, object)  # request number, MADeskError


class _Job(QRunnable):
    def __init__(self, number: int, call: Callable[[], Any], signals: _Signals) -> None:
        super().__init__()
        self.number, self.call, self.signals = number, call, signals

    def run(self) -> None:
        try:
            result = self.call()
        except MADeskError as error:  # shown to the user; anything else is a bug and propagates
            self.signals.failed.emit(self.number, error)
            return
        self.signals.finished.emit(self.number, result)


class LatestOnly(QObject):
    """Submit reads; ``finished``/``failed`` fire on the UI thread for the newest one only."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._number = 0
        self._signals = _Signals(self)
        self._signals.finished.connect(self._done)
        self._signals.failed.connect(self._error)
        self.busy = False

    def submit(self, call: Callable[[], Any]) -> None:
        self._number += 1
        self.busy = True
        QThreadPool.globalInstance().start(_Job(self._number, call, self._signals))

    def _done(self, number: int, result: object) -> None:
        if number == self._number:
            self.busy = False
            self.finished.emit(result)

    def _error(self, number: int, error: object) -> None:
        if number == self._number:
            self.busy = False
            self.failed.emit(error)
