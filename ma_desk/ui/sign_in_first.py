"""The sign-in screen first, the clinic store opening behind it while staff type.

Opening the store (SQLAlchemy, SQLCipher, the keyring, the schema check) and
loading the services take most of a second: done before the sign-in, staff
would wait for it before they could type. Here the sign-in dialog shows at
once; from its first paint the store opens on a background thread (the
worker helper). Enter signs in if the store is ready, or says "Opening the
clinic's records…" and signs in the moment it is. A question only a dialog
can ask (a store passphrase, a server password, a recovery-key re-keying) sends
the open back to the UI thread, with its usual dialogs over the sign-in screen;
an error opening the store is shown, and ends the start as before.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from ma_desk.errors import MADeskError
from ma_desk.ui import startup_probe
from ma_desk.ui.common.worker import run_in_background
from ma_desk.ui.security.sign_in import SignInDialog

if TYPE_CHECKING:
    from ma_desk.db.store import OpenedStore
    from ma_desk.services import Services
    from ma_desk.ui.warm_up import MainWindowWarmUp

SETTLE_SECONDS = 120.0  # a background open still running at quit is waited for this long


@dataclass
class OpenedClinic:
    """What the sign-in screen needs from the opened store."""

    opened: OpenedStore
    services: Services
    clinic: str
    has_users: bool


def open_clinic(args: argparse.Namespace, *, interactive: bool) -> OpenedClinic:
    """Open the store and load the services, signed out (off the UI thread unless
    ``interactive``)."""
    from ma_desk.services import Services
    from ma_desk.services.accounts import signed_out_actor
    from ma_desk.ui.app import open_or_create

    opened = open_or_create(args, interactive=interactive)
    try:
        services = Services(opened.db, actor=signed_out_actor())
        return OpenedClinic(opened, services, services.settings.clinic_name(),
                            services.accounts.has_users())  # fmt: skip
    except BaseException:
        opened.db.close()
        raise


class StoreOpening(QObject):
    """Opens the store from the sign-in dialog's first paint on, and hands it the result."""

    def __init__(self, dialog: SignInDialog, args: argparse.Namespace,
                 warm_up: MainWindowWarmUp) -> None:  # fmt: skip
        super().__init__(dialog)
        self.dialog = dialog
        self.args = args
        self.warm_up = warm_up
        warm_up.start_later()  # after the store: one thread at a time on the interpreter
        self.clinic: OpenedClinic | None = None
        self.error: MADeskError | None = None
        self.needs_administrator = False
        self._running = False
        dialog.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt name)
        if event.type() == QEvent.Type.Paint:
            self.dialog.removeEventFilter(self)
            QTimer.singleShot(0, self.start)  # once this paint is done: never delay it
        return False

    def start(self) -> None:
        if self._running or self.settled:
            return
        self._running = True
        run_in_background(self, lambda: open_clinic(self.args, interactive=False),
                          self._opened, self._failed)  # fmt: skip

    @property
    def settled(self) -> bool:
        return self.clinic is not None or self.error is not None

    def _opened(self, clinic: OpenedClinic) -> None:
        self._running = False
        self.clinic = clinic
        startup_probe.mark("store_ready")
        if clinic.opened.recovery_key:  # a re-keyed store: its new key is shown even on Quit
            from ma_desk.ui.app import show_recovery_key

            show_recovery_key(clinic.opened.recovery_key)
        if not self.dialog.isVisible():
            return  # Quit was pressed meanwhile: the caller closes the store
        self.warm_up.start()
        if not clinic.has_users:  # a store with no account: its administrator first
            self.needs_administrator = True
            self.dialog.reject()
            return
        self.dialog.store_ready(clinic.services, clinic.clinic)

    def _failed(self, error: MADeskError) -> None:
        self._running = False
        from ma_desk.ui.app import PromptNeeded

        if isinstance(error, PromptNeeded) and self.dialog.isVisible():
            try:  # the usual dialogs, over the sign-in screen
                self._opened(open_clinic(self.args, interactive=True))
            except MADeskError as exc:
                self._failed(exc)
            except SystemExit:  # Cancel on one of them: quit, as before the sign-in screen
                self.dialog.reject()
            return
        self.error = error
        if self.dialog.isVisible():
            QMessageBox.critical(self.dialog, "MA Desk — cannot open the clinic store", str(error))
            self.dialog.reject()

    def settle(self) -> None:
        """After the dialog closed: let a running open end and deliver its result, so an
        opened store is never left open."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while self._running and time.monotonic() < deadline:  # its result comes as an event
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 100)


def sign_in_while_opening(
    args: argparse.Namespace, warm_up: MainWindowWarmUp
) -> tuple[OpenedStore, Services] | None:
    """The sign-in dialog at once, the store opening behind it. The store and the signed-in
    services, or None = quit (the store closed again)."""
    from ma_desk.ui.app import close_store

    dialog = SignInDialog(None)
    opening = StoreOpening(dialog, args, warm_up)
    accepted = dialog.exec()
    opening.settle()
    if opening.error is not None:
        raise opening.error
    clinic = opening.clinic
    if clinic is None:  # quit before the store opened, and it never did
        return None
    if opening.needs_administrator:
        from ma_desk.ui.security.sign_in import FirstAdministratorDialog

        accepted = FirstAdministratorDialog(clinic.services).exec()
    if not accepted:
        close_store(clinic.opened)
        return None
    return clinic.opened, clinic.services
