"""One offscreen QApplication for the in-process UI tasks."""

from __future__ import annotations

import os


def application():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(["ma-desk-benchmarks"])
