"""MA_DESK_STARTUP_PROBE: when the GUI's start-up screens first paint, for benchmarks/startup.py.

Set by the start-up benchmark (and usable by support staff timing a slow
workstation); unset, nothing here runs. Two modes:

- ``sign-in``: at the sign-in screen's first paint, print the time and quit
  (the dialog is cancelled, as staff pressing Quit would).
- ``main-window``: at the sign-in screen's first paint, wait
  ``MA_DESK_STARTUP_PROBE_TYPING`` seconds (a person typing; default 0), fill in
  ``MA_DESK_USER`` and ``MA_DESK_PASSWORD`` and press Sign in; print the times
  once the main window first paints, and quit (a refused sign-in prints the
  times reached, without ``main_paint``, and quits). An Enter pressed before the
  store has opened signs in once it has (``signed_in`` then includes that wait).

The one output line is JSON of CLOCK_MONOTONIC seconds (comparable with the
parent process's ``time.monotonic()``): ``sign_in_paint``, ``enter``,
``signed_in`` (the password checked, the dialog closing) and ``main_paint``; in
``main-window`` mode also the background steps the start-up marks (``store_ready``:
the store open and the services loaded; ``warmed``: the main window's modules
imported), where they happened. ``*_cpu`` beside a mark: the process's CPU time
(user + system, every thread) at that moment, for comparing runs on a busy machine.
No user name or password is ever printed.
"""

from __future__ import annotations

import json
import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMainWindow, QPushButton, QWidget

PROBE_ENV = "MA_DESK_STARTUP_PROBE"
TYPING_ENV = "MA_DESK_STARTUP_PROBE_TYPING"
MODES = ("sign-in", "main-window")
SIGN_IN_DIALOG = "signin_dialog"  # SignInDialog's objectName (its module is not imported here)
_installed: StartupProbe | None = None


def mark(name: str) -> None:
    """Note when a start-up step ended (a no-op without a main-window probe)."""
    if _installed is not None and _installed.mode == "main-window":
        _installed.marks.setdefault(name, time.monotonic())


class StartupProbe(QObject):
    """Watches every Paint event until the screens of its mode have painted once."""

    def __init__(self, app: QApplication, mode: str, typing_seconds: float) -> None:
        super().__init__(app)
        self._app = app
        self.mode = mode
        self._typing_ms = max(0, round(typing_seconds * 1000))
        self.marks: dict[str, float] = {}
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget):
            self._painted(watched.window())
        return False

    def _painted(self, window: QWidget) -> None:
        """The first Paint event of a screen: timed once its whole paint pass is done."""
        if "sign_in_paint" not in self.marks and window.objectName() == SIGN_IN_DIALOG:
            self.marks["sign_in_paint"] = 0.0  # seen; the time follows the paint
            QTimer.singleShot(0, lambda: self._sign_in_painted(window))
        elif "main_paint" not in self.marks and isinstance(window, QMainWindow):
            self.marks["main_paint"] = 0.0
            QTimer.singleShot(0, self._main_window_painted)

    def _sign_in_painted(self, dialog: QDialog) -> None:
        self.marks["sign_in_paint"] = time.monotonic()
        self.marks["sign_in_cpu"] = time.process_time()
        if self.mode == "sign-in":
            self._finish()
            dialog.reject()
        else:
            QTimer.singleShot(self._typing_ms, lambda: self._sign_in(dialog))

    def _main_window_painted(self) -> None:
        self.marks["main_paint"] = time.monotonic()
        self.marks["main_cpu"] = time.process_time()
        self._finish()
        self._app.exit(0)

    def _sign_in(self, dialog: QDialog) -> None:
        """Type the user name and password, then press Sign in (as Enter would)."""
        dialog.findChild(QLineEdit, "signin_username").setText(os.environ.get("MA_DESK_USER", ""))
        dialog.findChild(QLineEdit, "signin_password").setText(
            os.environ.get("MA_DESK_PASSWORD", "")
        )
        dialog.accepted.connect(lambda: self.marks.setdefault("signed_in", time.monotonic()))
        dialog.refused.connect(lambda: self._refused(dialog))
        self.marks["enter"] = time.monotonic()
        self.marks["enter_cpu"] = time.process_time()
        dialog.findChild(QPushButton, "signin_button").click()

    def _refused(self, dialog: QDialog) -> None:
        """Report what was reached, and quit."""
        self._finish()
        dialog.reject()

    def _finish(self) -> None:
        self._app.removeEventFilter(self)
        sys.stdout.write(json.dumps(self.marks) + "\n")
        sys.stdout.flush()


def install_startup_probe(app: QApplication) -> StartupProbe | None:
    """The probe MA_DESK_STARTUP_PROBE asks for, or None (the normal case)."""
    mode = os.environ.get(PROBE_ENV, "")
    if mode not in MODES:
        return None
    try:
        typing_seconds = float(os.environ.get(TYPING_ENV, "0") or 0)
    except ValueError:
        typing_seconds = 0.0
    global _installed
    _installed = StartupProbe(app, mode, typing_seconds)
    return _installed
