"""Starting the GUI: open (or create) the store, sign in, then show the main window.

Only Qt and the sign-in dialog are imported before the sign-in screen shows
(tests/test_startup.py guards it): the store, SQLAlchemy and the services load
on a background thread while staff type (ma_desk/ui/sign_in_first.py).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from ma_desk import __version__
from ma_desk.errors import MADeskError
from ma_desk.paths import resolve_data_dir, resource
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.passphrase_fields import PassphraseFields
from ma_desk.ui.common.text_size import scaled_stylesheet
from ma_desk.ui.common.widgets import named
from ma_desk.ui.startup_probe import install_startup_probe
from ma_desk.ui.warm_up import start_main_window_warm_up

if TYPE_CHECKING:
    from ma_desk.db.store import OpenedStore
    from ma_desk.services import Services


def ask_passphrase_dialog(prompt: str) -> str | None:
    text, ok = QInputDialog.getText(
        None, "MA Desk — clinic store", prompt, QLineEdit.EchoMode.Password
    )
    return text if ok and text else None


def _lay_out_prompt(dialog: QDialog, intro: QWidget, form: QFormLayout, accept) -> None:
    """The start-up prompts' shape: what is asked, the fields, OK (checked) and Cancel."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    layout.addLayout(form)
    layout.addWidget(buttons)


class NewPassphraseDialog(QDialog):
    """A new store passphrase, typed twice, with a generated one to copy (Suggest).

    OK is refused, with the reason under the fields, until both fields agree and
    the passphrase passes the store's rules (keys.passphrase_problem).
    """

    def __init__(self, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("new_passphrase_dialog")
        self.setWindowTitle("MA Desk — new passphrase for the clinic store")
        self.setMinimumWidth(520)
        intro = QLabel(prompt)
        intro.setWordWrap(True)
        self.fields = PassphraseFields()
        self.passphrase, self.repeat = self.fields.passphrase, self.fields.repeat
        self.suggestion = self.fields.suggestion
        self.fields.suggest_button.clicked.connect(self.suggest)
        self.message = FieldMessage("new_passphrase")
        form = QFormLayout()
        form.addRow("Suggestion", self.fields.suggestion_row)
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Repeat", self.repeat)
        form.addRow("", self.message)
        _lay_out_prompt(self, intro, form, self._accept)
        self.passphrase.setFocus()

    def suggest(self) -> None:
        """Show six random words and put them in the first field; the user types them again."""
        self.fields.fill_suggestion()
        self.message.show_message(
            "Write the suggestion down (or copy it), then type it again under Repeat."
        )

    def _accept(self) -> None:
        from ma_desk.db import keys

        text = self.passphrase.text()
        if text != self.repeat.text():
            self.message.show_message("The two passphrases differ; type the same one twice.")
            self.repeat.clear()
            self.repeat.setFocus()
            return
        problem = keys.passphrase_problem(text)
        if problem:
            self.message.show_message(problem)
            self.passphrase.setFocus()
            return
        self.accept()


def ask_new_passphrase_dialog(prompt: str) -> str | None:
    """keys.NewPassphrasePrompt for the GUI: None when cancelled."""
    dialog = NewPassphraseDialog(prompt)
    return dialog.passphrase.text() if dialog.exec() else None


class DatabasePasswordDialog(QDialog):
    """The clinic server's database password, asked when the keyring holds none (or it
    was refused); the last refusal is shown under the field."""

    def __init__(self, prompt: str, problem: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("database_password_dialog")
        self.setWindowTitle("MA Desk — clinic server")
        self.setMinimumWidth(480)
        intro = QLabel(prompt)
        intro.setWordWrap(True)
        self.password = named(QLineEdit(), "database_password", "Database password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = FieldMessage("database_password")
        if problem:
            self.message.show_message(problem)
        form = QFormLayout()
        form.addRow("Password", self.password)
        form.addRow("", self.message)
        _lay_out_prompt(self, intro, form, self._accept)
        self.password.setFocus()

    def _accept(self) -> None:
        if not self.password.text():
            self.message.show_message("Type the password, or Cancel to quit.")
            return
        self.accept()


SERVER_PASSWORD_TRIES = 3


class _PasswordAsker:
    """``ask_password`` for open_server: the dialog, showing the last refusal."""

    def __init__(self) -> None:
        self.problem = ""
        self.asked = False

    def __call__(self, prompt: str) -> str:
        self.asked = True
        dialog = DatabasePasswordDialog(prompt, self.problem)
        if not dialog.exec():
            raise SystemExit(0)
        return dialog.password.text()


def open_server_asking(url: str, data_dir) -> OpenedStore:
    """Connect to the clinic server; a refused typed password is asked again (3 tries).

    A password from the keyring or MA_DESK_DATABASE_PASSWORD that is refused is
    reported at once: asking would not change it. Cancel quits.
    """
    from ma_desk.db.server import open_server
    from ma_desk.errors import ServerAuthenticationError

    asker = _PasswordAsker()
    tries = 0
    while True:
        asker.asked = False
        tries += 1
        try:
            return open_server(url, data_dir, ask_password=asker)
        except ServerAuthenticationError as exc:
            if not asker.asked or tries == SERVER_PASSWORD_TRIES:
                raise
            asker.problem = str(exc)


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
        system_points = QFontInfo(app.font()).pointSizeF()
        app.setStyleSheet(scaled_stylesheet(path.read_text(encoding="utf-8"), system_points))


class PromptNeeded(MADeskError):
    """The background open behind the sign-in screen reached a question only a dialog can
    ask (passphrase, server password, re-keying, first-run wizard): the UI thread opens."""


def _needs_prompt(prompt: str = "") -> str:
    raise PromptNeeded(prompt)


def open_or_create(args: argparse.Namespace, *, interactive: bool = True) -> OpenedStore:
    """Open the store; offer a new one only where no store, and no trace of one, exists.

    An empty, cut-short or vanished store is reported by ``open_store``, never
    replaced by a new, empty clinic. Not ``interactive`` (off the UI thread), every
    dialog this would show raises PromptNeeded instead, and a new recovery key is
    left in the result for the caller to show.
    """
    from ma_desk.db.server import database_url
    from ma_desk.db.store import open_store, store_exists

    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    url = database_url(getattr(args, "database_url", None), data_dir)
    if url:  # --database-url, MA_DESK_DATABASE_URL or the profile (ma-desk server connect)
        if not interactive:
            from ma_desk.db.server import open_server

            return open_server(url, data_dir, ask_password=_needs_prompt)
        return open_server_asking(url, data_dir)
    if store_exists(data_dir):
        ask, ask_new = ((ask_passphrase_dialog, ask_new_passphrase_dialog) if interactive
                        else (_needs_prompt, _needs_prompt))  # fmt: skip
        opened = open_store(data_dir, recovery_key=getattr(args, "recovery_key", None),
                            ask_passphrase=ask, ask_new_passphrase=ask_new)  # fmt: skip
        if opened.recovery_key and interactive:  # re-keyed after a recovery-key open
            show_recovery_key(opened.recovery_key)
        return opened
    if not interactive:
        raise PromptNeeded("first run")
    from ma_desk.ui.setup.wizard import run_setup_wizard

    made = run_setup_wizard(data_dir)  # first run: the whole clinic, or nothing at all
    if made is None:
        raise SystemExit(0)
    opened, args.first_sign_in = made
    return opened


def store_label(opened: OpenedStore) -> str:
    if opened.db.kind == "postgresql":
        return f"Clinic server {opened.db.where} · schema {opened.revision}"
    return f"Encrypted store · key: {opened.key_source} · schema {opened.revision}"


def sign_in_at_start(services: Services, clinic: str, first_sign_in=None) -> bool:
    """The administrator the set-up wizard just made (``first_sign_in``, an AdminPlan) is
    signed in; a store with no account gets its administrator; otherwise the sign-in
    dialog. False = quit."""
    from ma_desk.ui.security.sign_in import FirstAdministratorDialog, SignInDialog

    if first_sign_in is not None:
        try:
            services.accounts.sign_in(first_sign_in.username, first_sign_in.password)
            return True
        except MADeskError:  # e.g. the new store opened read-only: the dialog says why
            pass
    if not services.accounts.has_users():
        return bool(FirstAdministratorDialog(services).exec())
    return bool(SignInDialog(services, clinic=clinic).exec())


def open_then_sign_in(args: argparse.Namespace) -> tuple[OpenedStore, Services] | None:
    """The store first, then the sign-in dialog: first run (the wizard) and --exit-after-paint
    (no dialog at all). None = quit (the store closed)."""
    from ma_desk.services import Services
    from ma_desk.services.accounts import signed_out_actor
    from ma_desk.ui.paint_check import open_and_sign_in_for_check

    if getattr(args, "exit_after_paint", False):
        return open_and_sign_in_for_check(args)
    try:
        opened = open_or_create(args)
    except MADeskError as exc:
        QMessageBox.critical(None, "MA Desk — cannot open the clinic store", str(exc))
        raise
    services = Services(opened.db, actor=signed_out_actor())
    try:
        signed_in = sign_in_at_start(services, services.settings.clinic_name(),
                                     getattr(args, "first_sign_in", None))  # fmt: skip
    except BaseException:
        close_store(opened)
        raise
    if not signed_in:
        close_store(opened)
        return None
    return opened, services


def close_store(opened: OpenedStore) -> None:
    """Leave the store as the next start expects it: its witness written, closed."""
    from ma_desk.security.witness import write_witness

    # A read-only store's witness stays as the evidence left it; a server has none.
    if not opened.db.read_only and opened.db.kind == "sqlcipher":
        write_witness(opened.data_dir, opened.db)
    opened.db.close()


def sign_in_first_applies(args: argparse.Namespace) -> bool:
    """The usual start: a store file in the data folder, staff at the screen. The sign-in
    shows at once and the store opens behind it (a server profile or a passphrase to ask
    is found there, and handled, too)."""
    from ma_desk.paths import store_path

    if getattr(args, "exit_after_paint", False):
        return False
    return store_path(resolve_data_dir(getattr(args, "data_dir", None))).exists()


def run_app(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_ENABLE_HIGHDPI_SCALING", "1")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MA Desk")
    app.setOrganizationName("MA Desk")
    app.setApplicationVersion(__version__)
    load_stylesheet(app)
    install_startup_probe(app)
    warm_up = start_main_window_warm_up(app)
    from ma_desk.ui.crash import CrashSignal

    crash_signal = CrashSignal(app)
    crash_signal.install()
    if sign_in_first_applies(args):
        from ma_desk.ui.sign_in_first import sign_in_while_opening

        started = sign_in_while_opening(args, warm_up)
    else:
        started = open_then_sign_in(args)
    if started is None:
        return 0
    opened, services = started
    return run_main_window(app, opened, services, warm_up, crash_signal,
                           check_paint=bool(getattr(args, "exit_after_paint", False)))  # fmt: skip


def run_main_window(app: QApplication, opened: OpenedStore, services: Services, warm_up,
                    crash_signal, *, check_paint: bool) -> int:  # fmt: skip
    """The signed-in main window, until it closes; the store is closed afterwards."""
    from ma_desk.db.health import BackgroundCheck
    from ma_desk.ui.paint_check import FirstPaintExit, paint_check_result

    # Every page and b-tree, off the UI thread: seconds on a large clinic. Damage found
    # switches the store to read-only, and the window's banner says so.
    store_check = BackgroundCheck(opened.db)
    try:
        warm_up.wait()
        from ma_desk.ui.main_window import MainWindow
        from ma_desk.ui.security.backup_schedule import BackupScheduler

        window = MainWindow(services, store_label=store_label(opened),
                            settings_file=opened.data_dir / "window.ini", lazy_tabs=True)  # fmt: skip
        crash_signal.known_error.connect(window.selection.report_error)
        from ma_desk.ui.downtime_view import install_downtime_copies

        install_downtime_copies(window, services, opened.data_dir, ask_passphrase_dialog,
                                ask_new_passphrase_dialog)  # fmt: skip
        scheduler = BackupScheduler(services, opened.data_dir, window)
        window.show()
        paint_exit = FirstPaintExit(app, window) if check_paint else None
        if not check_paint and not opened.db.read_only:  # never rotate good backups out for
            scheduler.start()  # copies of damage (a paint check leaves both to the app)
            if opened.db.kind == "sqlcipher":  # a server checks its own pages
                store_check.start()
        code = app.exec()
        scheduler.stop()
        window.session.shutdown()
        if services.accounts.signed_in:
            services.accounts.sign_out()
        if paint_exit is not None:
            return paint_check_result(paint_exit.painted)
        return code
    finally:
        store_check.stop()
        close_store(opened)
