"""One offscreen QApplication for the in-process UI tasks, and its orderly end."""

from __future__ import annotations

import os

_NONE_BALLAST: list[None] = []


def void_call_leaks_none() -> bool:
    """True when each call of a void Qt method drops a reference to None.

    PySide6 6.12.0 on Python 3.11 does (3.12+ is immune: None is immortal there).
    None's count then reaches zero after some ten thousand calls and the process
    aborts with "Fatal Python error: none_dealloc" - painting a day of the
    schedule makes thousands of such calls.
    """
    import sys

    from PySide6.QtCore import QRect

    rect = QRect(0, 0, 5, 5)
    before = sys.getrefcount(None)
    for _ in range(10):
        rect.setWidth(3)
    return sys.getrefcount(None) < before - 5


def application():
    """The QApplication; where PySide6 leaks None references, enough are added to survive.

    The benchmarks measure the app's speed; the leak itself is a crash of the app
    that BENCHMARKS.md reports, not something to time.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    if not _NONE_BALLAST and void_call_leaks_none():
        _NONE_BALLAST.extend([None] * 50_000_000)
    return QApplication.instance() or QApplication(["ma-desk-benchmarks"])


def shutdown() -> None:
    """Close and delete every window while Python is still whole (if Qt was used at all)."""
    import sys

    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in app.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    app.processEvents()
    app.sendPostedEvents()
