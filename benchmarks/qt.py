"""One offscreen QApplication for the in-process UI tasks, and its orderly end."""

from __future__ import annotations

import os


def application():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

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
