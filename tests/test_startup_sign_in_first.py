"""The sign-in screen before the store: nothing heavy imported for it, the store opening
behind it, Enter waiting for the store, and every start-up question still asked."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

from ma_desk.errors import MADeskError
from ma_desk.paths import store_path
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.ui.security.sign_in import OPENING_MESSAGE, SignInDialog
from ma_desk.ui.sign_in_first import sign_in_while_opening
from ma_desk.ui.warm_up import start_main_window_warm_up
from tests.conftest import PASSPHRASE

# What the sign-in screen must show without: the store, ORM, services, documents, keyring.
NOT_BEFORE_SIGN_IN = ("sqlalchemy", "sqlcipher3", "alembic", "reportlab", "keyring", "argon2",
                      "psycopg", "ma_desk.services", "ma_desk.db", "ma_desk.audit",
                      "ma_desk.ui.main_window", "PySide6.QtCharts", "PySide6.QtPdf")  # fmt: skip


def test_the_gui_start_imports_nothing_the_sign_in_screen_does_not_need() -> None:
    """The GUI's whole path up to showing the sign-in dialog, in a fresh interpreter."""
    code = textwrap.dedent("""
        import json, sys
        import ma_desk.cli
        args = ma_desk.cli.parse(["--data-dir", "somewhere", "--user", "ma"])
        assert args.func is ma_desk.cli._run_gui
        import ma_desk.ui.app, ma_desk.ui.sign_in_first, ma_desk.ui.crash
        print(json.dumps(sorted(sys.modules)))
    """)
    env = {key: value for key, value in os.environ.items() if not key.startswith("MA_DESK_")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.splitlines()[-1])
    heavy = [m for m in modules for p in NOT_BEFORE_SIGN_IN if m == p or m.startswith(p + ".")]
    assert heavy == []


@pytest.mark.parametrize("argv", [["check"], ["--data-dir", "x", "check"], ["check", "--verbose"]])
def test_commands_still_get_the_full_parser(argv) -> None:
    import ma_desk.cli

    assert ma_desk.cli.parse(argv).func is not ma_desk.cli._run_gui


@pytest.mark.parametrize(("argv", "shown"), [(["--help"], "check"),
                                             (["no-such-command"], "invalid choice")])  # fmt: skip
def test_help_and_unknown_commands_get_the_full_parser(argv, shown, capsys) -> None:
    import ma_desk.cli

    with pytest.raises(SystemExit):
        ma_desk.cli.parse(argv)
    printed = capsys.readouterr()
    assert shown in printed.out + printed.err


def test_gui_options_parse_as_the_full_parser_does() -> None:
    import ma_desk.cli

    argv = ["--data-dir", "d", "--user", "ma", "--debug", "--recovery-key", "k",
            "--database-url", "postgresql://x/y", "--exit-after-paint"]  # fmt: skip
    quick, full = ma_desk.cli.parse(argv), ma_desk.cli.build_parser().parse_args(argv)
    for name in ("data_dir", "user", "debug", "recovery_key", "database_url", "exit_after_paint"):
        assert getattr(quick, name) == getattr(full, name)


# ---------------------------------------------------------------- the dialog before the store
def test_enter_before_the_store_opened_waits_then_signs_in(qtbot, demo_services) -> None:
    dialog = SignInDialog(None)
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    assert "MA Desk" in dialog.heading.text()
    QTest.keyClicks(dialog.form.username, "ma")
    QTest.keyClick(dialog.form.username, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.form.password
    QTest.keyClicks(dialog.form.password, DEMO_PASSWORD)
    QTest.keyClick(dialog.form.password, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.waiting_for_store
    assert dialog.form.message.text() == OPENING_MESSAGE
    assert not dialog.form.isEnabled() and not dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=30_000):
        dialog.store_ready(demo_services, "Maple Grove <Family>")
    assert demo_services.accounts.signed_in and demo_services.actor.username == "ma"
    assert "Maple Grove &lt;Family&gt;" in dialog.heading.text()


def test_a_wrong_password_after_waiting_is_refused_and_can_be_typed_again(qtbot, demo_services):
    dialog = SignInDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.form.username.setText("ma")
    dialog.form.password.setText("not the password")
    QTest.keyClick(dialog.form.password, Qt.Key.Key_Return)
    with qtbot.waitSignal(dialog.refused, timeout=30_000):
        dialog.store_ready(demo_services, "Clinic")
    assert dialog.isVisible() and demo_services.actor.username != "ma"
    assert dialog.form.isEnabled() and dialog.ok_button.isEnabled()
    assert dialog.form.password.text() == "" and dialog.form.message.text()


def test_enter_after_the_store_opened_signs_in_at_once(qtbot, demo_services) -> None:
    dialog = SignInDialog(None)
    qtbot.addWidget(dialog)
    dialog.store_ready(demo_services, "Clinic")
    dialog.show()
    dialog.form.username.setText("ma")
    dialog.form.password.setText(DEMO_PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        QTest.keyClick(dialog.form.password, Qt.Key.Key_Return)
    assert not dialog.waiting_for_store


# ---------------------------------------------------------------- the whole flow, in-process
@pytest.fixture
def warm_up(qapp):
    """The app's warm-up of the main window's imports; joined before the next test runs."""
    made = start_main_window_warm_up(qapp)
    yield made
    made.wait()


def start_args(data_dir) -> argparse.Namespace:
    return argparse.Namespace(data_dir=str(data_dir), database_url=None, recovery_key=None)


class Staff:
    """Answers what the start-up shows, as a person would, from a timer on the UI thread."""

    def __init__(self, *, passphrase: str | None = None, password: str = DEMO_PASSWORD,
) -> None:  # fmt: skip
        self.passphrase = passphrase
        self.password = password
        self.seen: list[str] = []
        self.timer = QTimer()
        self.timer.timeout.connect(self.look)
        self.timer.start(20)

    def look(self) -> None:
        for top in QApplication.topLevelWidgets():
            if not shiboken6.isValid(top) or not top.isVisible():
                continue
            if isinstance(top, QMessageBox):
                self.seen.append(f"box: {top.text()}")
                top.accept()
            elif isinstance(top, QInputDialog):
                self.seen.append("passphrase asked")
                top.setTextValue(self.passphrase or "")
                top.accept()
            elif isinstance(top, SignInDialog) and "typed" not in self.seen:
                self.seen.append("typed")
                top.findChild(QLineEdit, "signin_username").setText("ma")
                top.findChild(QLineEdit, "signin_password").setText(self.password)
                top.ok_button.click()

    def stop(self) -> None:
        self.timer.stop()


def finish(started) -> None:
    from ma_desk.ui.app import close_store

    opened, services = started
    services.accounts.sign_out()
    close_store(opened)


def test_the_store_opens_behind_the_sign_in_and_staff_get_in(warm_up, demo_dir, monkeypatch):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    staff = Staff()
    try:
        started = sign_in_while_opening(start_args(demo_dir), warm_up)
    finally:
        staff.stop()
    assert started is not None
    assert started[1].actor.username == "ma"
    finish(started)


def test_a_passphrase_to_ask_is_asked_over_the_sign_in_screen(warm_up, demo_dir, monkeypatch):
    monkeypatch.delenv("MA_DESK_PASSPHRASE", raising=False)
    staff = Staff(passphrase=PASSPHRASE)
    try:
        started = sign_in_while_opening(start_args(demo_dir), warm_up)
    finally:
        staff.stop()
    assert "passphrase asked" in staff.seen
    assert started is not None and started[1].actor.username == "ma"
    finish(started)


def test_a_cancelled_passphrase_quits(warm_up, demo_dir, monkeypatch):
    monkeypatch.delenv("MA_DESK_PASSPHRASE", raising=False)

    class Cancels(Staff):
        def look(self) -> None:
            for top in QApplication.topLevelWidgets():
                if isinstance(top, QInputDialog) and top.isVisible():
                    self.seen.append("passphrase asked")
                    top.reject()
                elif isinstance(top, QMessageBox) and top.isVisible():
                    self.seen.append(f"box: {top.text()}")
                    top.accept()

    staff = Cancels()
    try:
        with pytest.raises(MADeskError) as raised:  # no passphrase: it cannot open, and says so
            sign_in_while_opening(start_args(demo_dir), warm_up)
    finally:
        staff.stop()
    assert staff.seen == ["passphrase asked", f"box: {raised.value}"]


def test_an_error_opening_the_store_is_shown_and_ends_the_start(warm_up, tmp_path, monkeypatch):
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    data_dir = tmp_path / "clinic"
    data_dir.mkdir()
    (store_path(data_dir)).write_bytes(b"this is not a clinic store" * 100)
    staff = Staff(password="anything")
    try:
        with pytest.raises(MADeskError) as raised:
            sign_in_while_opening(start_args(data_dir), warm_up)
    finally:
        staff.stop()
    assert f"box: {raised.value}" in staff.seen


def test_quit_while_the_store_opens_closes_it_again(demo_dir) -> None:
    """Quit the moment the sign-in shows (the store still opening): exit 0, and the store
    was closed as the next start expects it (it opens again, unharmed)."""
    from ma_desk.db.store import open_store

    env = probe_env(MA_DESK_STARTUP_PROBE="sign-in")
    for _ in range(3):
        result = subprocess.run([sys.executable, "-m", "ma_desk", "--data-dir", str(demo_dir)],
                                capture_output=True, text=True, env=env, timeout=180,
                                stdin=subprocess.DEVNULL)  # fmt: skip
        assert result.returncode == 0, result.stderr
    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    assert not opened.db.read_only
    opened.db.close()


def probe_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MA_DESK_")}
    env.update(PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", QT_QPA_PLATFORM="offscreen",
               MA_DESK_STATE_DIR=os.environ["MA_DESK_STATE_DIR"], MA_DESK_NO_CRASH_DIALOG="1",
               MA_DESK_PASSPHRASE=PASSPHRASE, **extra)  # fmt: skip
    return env


def test_probe_marks_show_enter_waiting_for_the_store(demo_dir) -> None:
    """Enter pressed the moment the sign-in shows: signed in once the store is ready."""
    env = probe_env(MA_DESK_STARTUP_PROBE="main-window", MA_DESK_USER="ma",
                    MA_DESK_PASSWORD=DEMO_PASSWORD)  # fmt: skip
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "ma_desk", "--data-dir", str(demo_dir)],
                            capture_output=True, text=True, env=env, timeout=180,
                            stdin=subprocess.DEVNULL)  # fmt: skip
    assert result.returncode == 0, result.stderr
    marks = json.loads([line for line in result.stdout.splitlines() if line.startswith("{")][0])
    assert started < marks["sign_in_paint"] <= marks["enter"] < marks["store_ready"]
    assert marks["store_ready"] <= marks["signed_in"] <= marks["main_paint"]
    assert marks["store_ready"] <= marks["warmed"]
