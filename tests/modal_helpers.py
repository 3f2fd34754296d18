"""Acting on a modal dialog from a test: the modal loop blocks the test's own code until
the dialog closes, so the test schedules what to do before it opens the dialog.

The poll stops at a deadline: a dialog that never opens fails its own test (nothing is
handled) instead of a stray timer pressing keys in a later test's dialog.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

POLL_MS = 20  # how often to look for the dialog; not a wait for anything
DEADLINE_S = 30.0  # generous: a loaded two-core CI machine opens dialogs slowly


def when_modal_shown(
    act: Callable[[QWidget], object],
    kind: type[QWidget] = QDialog,
    *,
    found: Callable[[], QWidget | None] | None = None,
    deadline_s: float = DEADLINE_S,
) -> list[QWidget]:
    """Call ``act(dialog)`` once the next visible modal ``kind`` is shown (or ``found()``
    returns a widget). Returns a list that holds the dialog once it was handled."""
    handled: list[QWidget] = []
    deadline = time.monotonic() + deadline_s
    look = found or QApplication.activeModalWidget

    def attempt() -> None:
        dialog = look()
        if isinstance(dialog, kind) and dialog.isVisible():
            handled.append(dialog)
            act(dialog)
        elif time.monotonic() < deadline:
            QTimer.singleShot(POLL_MS, attempt)

    QTimer.singleShot(0, attempt)
    return handled
