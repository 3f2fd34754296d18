"""Starting the GUI: open (or create) the store, then show the main window."""

from __future__ import annotations

import argparse
import os
import sys

from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from ma_desk import __version__
from ma_desk.db.store import OpenedStore, create_store, open_store, store_exists
from ma_desk.errors import MADeskError
from ma_desk.paths import resolve_data_dir, resource
from ma_desk.services import Services


def ask_passphrase_dialog(prompt: str) -> str | None:
    text, ok = QInputDialog.getText(
        None, "MA Desk — clinic store", prompt, QLineEdit.EchoMode.Password
    )
    return text if ok and text else None


def show_recovery_key(recovery_key: str) -> None:
    box = QMessageBox()
    box.setWindowTitle("MA Desk — recovery key")
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(
        "Write down or print this recovery key and keep it somewhere safe, away from this "
        "computer. It opens the clinic store if this computer's keyring or the passphrase "
        "is lost. It is shown only once."
    )
    box.setInformativeText(recovery_key)
    box.setTextInteractionFlags(box.textInteractionFlags())
    box.exec()


def load_stylesheet(app: QApplication) -> None:
    path = resource("styles", "clinic.qss")
    if path.exists():
        app.setStyleSheet(path.read_text(encoding="utf-8"))


def open_or_create(args: argparse.Namespace) -> OpenedStore:
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    if store_exists(data_dir):
        return open_store(data_dir, recovery_key=getattr(args, "recovery_key", None),
                          ask_passphrase=ask_passphrase_dialog)  # fmt: skip
    answer = QMessageBox.question(
        None,
        "MA Desk — first run",
        f"There is no clinic store in {data_dir}.\n\nCreate a new, empty, encrypted clinic store "
        "there? (To try MA Desk with a synthetic clinic, run 'ma-desk demo' instead.)",
    )
    if answer != QMessageBox.StandardButton.Yes:
        raise SystemExit(0)
    opened = create_store(data_dir, ask_passphrase=ask_passphrase_dialog)
    if opened.recovery_key:
        show_recovery_key(opened.recovery_key)
    return opened


def store_label(opened: OpenedStore) -> str:
    return f"Encrypted store · key: {opened.key_source} · schema {opened.revision}"


def sign_in_at_start(services: Services, clinic: str) -> bool:
    """First run: create the administrator; otherwise the sign-in dialog. False = quit."""
    from ma_desk.ui.security.sign_in import FirstAdministratorDialog, SignInDialog

    if not services.accounts.has_users():
        return bool(FirstAdministratorDialog(services).exec())
    return bool(SignInDialog(services, clinic=clinic).exec())


def run_app(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "1")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MA Desk")
    app.setOrganizationName("MA Desk")
    app.setApplicationVersion(__version__)
    load_stylesheet(app)
    from ma_desk.ui.crash import CrashSignal

    crash_signal = CrashSignal(app)
    crash_signal.install()
    try:
        opened = open_or_create(args)
    except MADeskError as exc:
        QMessageBox.critical(None, "MA Desk — cannot open the clinic store", str(exc))
        raise
    from ma_desk.security.witness import write_witness
    from ma_desk.services.accounts import signed_out_actor

    services = Services(opened.db, actor=signed_out_actor())
    try:
        if not sign_in_at_start(services, services.settings.clinic_name()):
            return 0
        from ma_desk.ui.main_window import MainWindow
        from ma_desk.ui.security.backup_schedule import BackupScheduler

        window = MainWindow(services, store_label=store_label(opened),
                            settings_file=opened.data_dir / "window.ini", lazy_tabs=True)  # fmt: skip
        scheduler = BackupScheduler(services, opened.data_dir, window)
        window.show()
        scheduler.start()
        code = app.exec()
        scheduler.stop()
        window.session.shutdown()
        if services.accounts.signed_in:
            services.accounts.sign_out()
        return code
    finally:
        write_witness(opened.data_dir, opened.db)
        opened.db.close()
