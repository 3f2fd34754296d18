"""The crash hook reports a code location without data, once per distinct error."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication

from ma_desk.ui import crash


def test_crash_hook_emits_location_without_message(qtbot, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(crash.QMessageBox, "critical", lambda *a: shown.append(a[2]))
    signal = crash.CrashSignal()
    signal.install()
    try:
        try:
            raise ValueError("Patient Zebulonia Quillfeatherstone")
        except ValueError:
            exc_info = sys.exc_info()
        with qtbot.waitSignal(signal.crashed) as blocker:
            sys.excepthook(*exc_info)
        qtbot.waitUntil(lambda: len(shown) == 1)  # the dialog's slot runs queued
        with qtbot.waitSignal(signal.crashed):  # the hook reports it again (the log)...
            sys.excepthook(*exc_info)
        QCoreApplication.processEvents()  # ...and the queued dialog slot runs now
    finally:
        signal.uninstall()
    assert "ValueError" in blocker.args[0]
    assert "Zebulonia" not in blocker.args[0]
    assert len(shown) == 1 and "Zebulonia" not in shown[0]  # ...but shows it once
