"""Unexpected errors: one hook, one dialog on the UI thread, repeats dropped.

Known errors (the MADeskError family: a clinic server that went away, a refused
save) are not crashes: if one ever escapes a slot or a timer, the hook hands it to
``known_error`` (the window shows it as such: the server banner, the status bar)
and no crash dialog or traceback appears.

The hook only emits a signal (it may run on any thread); the dialog says that
nothing was saved half-way and where the log is. Patient data never appears in
it: only the exception type and the place in the code. ``MA_DESK_NO_CRASH_DIALOG``
turns the dialog off (CI), leaving the log entry.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from ma_desk.errors import MADeskError

log = logging.getLogger("ma_desk.crash")


def describe(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """Type and innermost MA Desk frame: enough to find the bug, no data values."""
    frames = traceback.extract_tb(tb) if tb else []
    ours = [f for f in frames if "ma_desk" in f.filename.replace("\\", "/")]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    place = f"{os.path.basename(where.filename)}:{where.lineno} in {where.name}" if where else "?"
    return f"{exc_type.__name__} at {place}"


class CrashSignal(QObject):
    crashed = Signal(str)
    known_error = Signal(object)  # a MADeskError that escaped to the event loop

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._seen: set[str] = set()
        self._previous_hook = sys.excepthook
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        sys.excepthook = self._hook

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook

    def _hook(self, exc_type, exc, tb) -> None:
        summary = describe(exc_type, tb)
        if isinstance(exc, MADeskError):
            log.warning("known error reached the event loop: %s", summary)
            self.known_error.emit(exc)
            return
        # The log gets the code location only: exception messages may quote patient data.
        log.error("unexpected error: %s", summary)
        self.crashed.emit(summary)

    def _show(self, summary: str) -> None:
        if summary in self._seen or os.environ.get("MA_DESK_NO_CRASH_DIALOG"):
            return
        self._seen.add(summary)
        QMessageBox.critical(
            None,
            "MA Desk — something went wrong",
            "MA Desk hit an unexpected problem and stopped what it was doing. Anything that "
            "was not saved yet was not written; saved records are safe.\n\n"
            f"Please tell your support contact: {summary}",
        )
