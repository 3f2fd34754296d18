"""The daily backup while the app is open: checked hourly, written off the UI thread.

The backup goes to the data folder's ``backups/`` and the last
``settings.backup_keep`` are kept. A failure is shown once in the status bar
(never with patient data) and retried at the next check.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from ma_desk.backup import backup_due
from ma_desk.display_format import file_stamp
from ma_desk.errors import MADeskError
from ma_desk.services import Services

log = logging.getLogger("ma_desk.backup")
CHECK_MS = 60 * 60 * 1000
FIRST_CHECK_MS = 2 * 60 * 1000


class BackupScheduler(QObject):
    finished = Signal(str)

    def __init__(self, services: Services, data_dir: Path, window: QMainWindow) -> None:
        super().__init__(window)
        self.services = services
        self.data_dir = data_dir
        self.window = window
        self._running = threading.Lock()
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self.finished.connect(self._show)

    def start(self) -> None:
        QTimer.singleShot(FIRST_CHECK_MS, self.check)
        self._timer.start(CHECK_MS)

    def stop(self) -> None:
        self._timer.stop()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def check(self) -> None:
        store = self.services.store
        if store.read_only or store.on_server:
            # A damaged store is never copied into backups/ (its pruning would delete a good
            # one); a clinic server is backed up by `ma-desk backup` in server mode.
            return
        now = self.services.now()
        if not backup_due(self.data_dir, now.date()) or not self._running.acquire(blocking=False):
            return
        keep = self.services.settings.get().backup_keep
        self._thread = threading.Thread(target=self._run, args=(keep, now), daemon=True)
        self._thread.start()

    def run_now_blocking(self) -> str:
        """For tests and the CLI-less case: run the check in this thread."""
        now = self.services.now()
        keep = self.services.settings.get().backup_keep
        with self._running:
            return self._backup(keep, now)

    def _run(self, keep: int, now) -> None:
        try:
            self.finished.emit(self._backup(keep, now))
        finally:
            self._running.release()

    def _backup(self, keep: int, now) -> str:
        try:
            result = self.services.backups.daily_backup(self.data_dir, keep=keep, now=now)
        except MADeskError as exc:
            log.warning("scheduled backup failed: %s", type(exc).__name__)
            return f"Daily backup failed: {exc}"
        return f"Daily backup written ({result.path.name})" if result else ""

    def _show(self, text: str) -> None:
        if text:
            self.window.statusBar().showMessage(text, 15_000)


def ask_backup_path(parent, suggested: str) -> Path | None:
    """Where to write a backup the user asked for; tests replace this function."""
    from PySide6.QtWidgets import QFileDialog

    path, _ = QFileDialog.getSaveFileName(parent, "Back up the clinic store", suggested,
                                          "MA Desk backup (*.madesk)")  # fmt: skip
    return Path(path) if path else None


class BackupNow(QObject):
    """``Back up now…``: one backup to a chosen file, written on a worker thread."""

    finished = Signal(str)

    def __init__(self, services: Services, window: QMainWindow) -> None:
        super().__init__(window)
        self.services = services
        self.window = window
        self._thread: threading.Thread | None = None
        self.finished.connect(lambda text: self.window.statusBar().showMessage(text, 20_000))

    def start(self) -> bool:
        """Ask where, then back up in the background; False when refused or cancelled."""
        from ma_desk.ui.common.dialogs import dialogs

        try:
            self.services.settings.check("backup.run")
        except MADeskError as exc:
            dialogs.warn(self.window, "Back up", str(exc))
            return False
        now = self.services.now()
        target = ask_backup_path(self.window, f"clinic-{file_stamp(now)}.madesk")
        if target is None:
            return False
        if target.suffix != ".madesk":
            target = target.with_name(target.name + ".madesk")
        self._thread = threading.Thread(target=self._run, args=(target,), daemon=True)
        self._thread.start()
        return True

    def _run(self, target: Path) -> None:
        try:
            result = self.services.backups.back_up_to(target)
        except MADeskError as exc:
            self.finished.emit(f"Backup failed: {exc}")
            return
        self.finished.emit(f"Backup written: {result.path.name} (SHA-256 beside it)")
