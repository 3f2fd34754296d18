"""``ma-desk --exit-after-paint``: start the GUI on the clinic store and exit at first paint.

For CI (the frozen build) and for installers and support staff checking a workstation:
it proves the platform plugin, styles, the store and sign-in all work, without
waiting on any dialog. Signing in follows the other commands (``--user`` /
``MA_DESK_USER``, ``MA_DESK_PASSWORD``; the store passphrase from
``MA_DESK_PASSPHRASE``); a failure is the command line's one-line error.
"""

from __future__ import annotations

import argparse

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from ma_desk import __version__
from ma_desk.db.store import OpenedStore
from ma_desk.errors import MADeskError
from ma_desk.services import Services

PAINT_TIMEOUT_MS = 60_000  # --exit-after-paint: a window never painted in this time is a failure


class FirstPaintExit(QObject):
    """--exit-after-paint: leave the event loop with 0 once the main window really paints.

    Watching the Paint event itself (not a timer after show) proves the platform
    plugin, styles and the window's widgets got as far as drawing pixels.
    """

    def __init__(self, app: QApplication, window: QWidget) -> None:
        super().__init__(app)
        self._app = app
        self._window = window
        self.painted = False
        app.installEventFilter(self)
        QTimer.singleShot(PAINT_TIMEOUT_MS, self._give_up)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if (not self.painted and event.type() == QEvent.Type.Paint
                and isinstance(watched, QWidget)
                and (watched is self._window or self._window.isAncestorOf(watched))):  # fmt: skip
            self.painted = True
            self._app.exit(0)  # the paint itself still runs: the loop ends after it
        return False

    def _give_up(self) -> None:
        if not self.painted:
            self._app.exit(1)


def open_and_sign_in_for_check(args: argparse.Namespace) -> tuple[OpenedStore, Services]:
    """--exit-after-paint: open and sign in without a dialog (a check must never wait).

    Same sources as the other commands: MA_DESK_PASSPHRASE, --user/MA_DESK_USER and
    MA_DESK_PASSWORD; a failure raises the command line's one-line error.
    """
    from ma_desk.cli.common import services_for_cli

    return services_for_cli(args)


def paint_check_result(painted: bool) -> int:
    """--exit-after-paint's verdict, one line: what a support call or CI log needs."""
    if painted:
        print(f"MA Desk {__version__}: signed in and painted the main window; exiting.")
        return 0
    raise MADeskError(
        f"The main window was not painted within {PAINT_TIMEOUT_MS // 1000} s; "
        "run again with --debug for details."
    )
