"""Import what the main window needs while staff type their password, off the UI thread.

The sign-in screen is shown before the main window's modules are imported (the
tabs, charts, PDF viewer and printing: some 0.3 s here), so that it appears
sooner; importing them only after Enter would put that time between signing in
and the main window. Instead they are imported on a background thread once the
first dialog has painted, while a person types (a user name, Tab, a password:
seconds). On Enter, run_app waits for the import to end before building the
window, so the UI thread never imports a module the worker is half-way through.

Where the store opens behind the sign-in screen (ma_desk/ui/sign_in_first.py)
the import starts once the store has opened instead: two threads importing at
once only take turns on the interpreter lock and both end later.

A plain Python thread, not the worker helper: nothing comes back to the UI
thread, and the interpreter joins the thread before it shuts down (Quit on the
sign-in screen while the import runs); a pool thread still emitting its result
signal then crashed the exit.
"""

from __future__ import annotations

import importlib
import threading

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from ma_desk.ui import startup_probe

# What run_app imports after signing in.
MAIN_WINDOW_MODULES = (
    "ma_desk.ui.main_window",
    "ma_desk.ui.security.backup_schedule",
    "ma_desk.ui.downtime_view",
)
WAIT_SECONDS = 60.0  # an import that takes longer is stuck; the UI thread then imports itself


class MainWindowWarmUp(QObject):
    """Starts importing MAIN_WINDOW_MODULES at the first paint of a dialog (or at start())."""

    def __init__(self, app: QApplication, modules: tuple[str, ...] = MAIN_WINDOW_MODULES) -> None:
        super().__init__(app)
        self._app = app
        self._modules = modules
        self._thread: threading.Thread | None = None
        self._waited = False
        app.installEventFilter(self)

    def start_later(self) -> None:
        """Not at the first paint: the caller calls start() (once the store has opened)."""
        self._app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if (event.type() == QEvent.Type.Paint and isinstance(watched, QWidget)
                and isinstance(watched.window(), QDialog)):  # fmt: skip
            self._app.removeEventFilter(self)
            QTimer.singleShot(0, self.start)  # once this paint is done: never delay it
        return False

    def start(self) -> None:
        if self._waited or self._thread is not None:  # started, or the UI thread imports
            return
        self._thread = threading.Thread(target=self._import_all, name="ma-desk-warm-up")
        self._thread.start()

    def _import_all(self) -> None:
        for name in self._modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the UI thread's own import raises it again,
                return  # where the start-up's error handling shows it
        startup_probe.mark("warmed")

    def wait(self) -> None:
        """Before the UI thread imports the main window: let a running warm-up end
        (one not started yet never starts: the UI thread imports the modules now)."""
        self._app.removeEventFilter(self)
        self._waited = True
        if self._thread is not None:
            self._thread.join(WAIT_SECONDS)


def start_main_window_warm_up(app: QApplication) -> MainWindowWarmUp:
    """Warm the main window's imports from the first dialog's paint on (see the module doc)."""
    return MainWindowWarmUp(app)
