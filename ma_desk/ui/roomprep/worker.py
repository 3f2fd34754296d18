"""Run a slow read (a long compliance range) off the UI thread and hand back the result.

Only the newest request's answer is shown: a filter changed while a query runs
makes the older answer stale, and it is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ma_desk.ui.common.worker import run_in_background


class LatestOnly(QObject):
    """Submit reads; ``finished``/``failed`` fire on the UI thread for the newest one only."""

    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._number = 0
        self.busy = False

    def submit(self, call: Callable[[], Any]) -> None:
        self._number += 1
        number = self._number
        self.busy = True
        run_in_background(self, call, lambda result: self._done(number, result),
                          lambda error: self._error(number, error))  # fmt: skip

    def _done(self, number: int, result: object) -> None:
        if number == self._number:
            self.busy = False
            self.finished.emit(result)

    def _error(self, number: int, error: object) -> None:
        if number == self._number:
            self.busy = False
            self.failed.emit(error)
