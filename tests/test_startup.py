"""Start-up: the sign-in screen comes before the main window's imports, which are warmed while
staff type; MA_DESK_STARTUP_PROBE reports the times the start-up benchmark needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

from ma_desk.security.demo_accounts import DEMO_PASSWORD
from tests.conftest import PASSPHRASE

# Only the main window (its tabs, charts, PDF viewer, printing) needs these.
MAIN_WINDOW_ONLY = ("reportlab", "matplotlib", "pandas", "ma_desk.ui.main_window",
                    "ma_desk.ui.schedule", "ma_desk.ui.vitals", "ma_desk.ui.printing",
                    "PySide6.QtCharts", "PySide6.QtPdf", "PySide6.QtPrintSupport")  # fmt: skip


def run_python(code: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MA_DESK_")}
    env.update(QT_QPA_PLATFORM="offscreen", MA_DESK_STATE_DIR=os.environ["MA_DESK_STATE_DIR"],
               PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", **env_extra)  # fmt: skip
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip


def loaded(modules: list[str], prefix: str) -> list[str]:
    return [name for name in modules if name == prefix or name.startswith(prefix + ".")]


def test_the_sign_in_modules_import_nothing_only_the_main_window_needs() -> None:
    result = run_python("""
        import json, sys
        import ma_desk.cli, ma_desk.ui.app, ma_desk.ui.security.sign_in
        ma_desk.cli.build_parser()
        print(json.dumps(sorted(sys.modules)))
    """)
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.splitlines()[-1])
    for prefix in MAIN_WINDOW_ONLY:
        assert not loaded(modules, prefix), prefix


def run_app_probe(data_dir, mode: str, **env_extra: str) -> subprocess.CompletedProcess:
    """The venv's app as staff start it, timed by the start-up probe."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MA_DESK_")}
    env.update(PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring", QT_QPA_PLATFORM="offscreen",
               MA_DESK_STATE_DIR=os.environ["MA_DESK_STATE_DIR"], MA_DESK_NO_CRASH_DIALOG="1",
               MA_DESK_PASSPHRASE=PASSPHRASE, MA_DESK_STARTUP_PROBE=mode, **env_extra)  # fmt: skip
    return subprocess.run([sys.executable, "-m", "ma_desk", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)  # fmt: skip


def probe_marks(result: subprocess.CompletedProcess) -> dict[str, float]:
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def test_probe_times_the_sign_in_screen_and_quits_there(demo_dir) -> None:
    started = time.monotonic()
    marks = probe_marks(run_app_probe(demo_dir, "sign-in"))
    assert set(marks) == {"sign_in_paint", "sign_in_cpu"}
    assert started < marks["sign_in_paint"] < time.monotonic()


def test_probe_signs_in_by_the_dialog_and_times_the_main_window(demo_dir) -> None:
    result = run_app_probe(demo_dir, "main-window", MA_DESK_USER="ma",
                           MA_DESK_PASSWORD=DEMO_PASSWORD, MA_DESK_STARTUP_PROBE_TYPING="0.3")  # fmt: skip
    marks = probe_marks(result)
    typed = 0.3 * 0.95  # Qt's coarse timers may fire up to 5 % early
    assert (
        marks["sign_in_paint"] + typed
        <= marks["enter"]
        <= marks["signed_in"]
        <= marks["main_paint"]
    )
    assert DEMO_PASSWORD not in result.stdout + result.stderr


def test_probe_reports_a_refused_sign_in_without_a_main_window(demo_dir) -> None:
    result = run_app_probe(demo_dir, "main-window", MA_DESK_USER="ma",
                           MA_DESK_PASSWORD="not the password")  # fmt: skip
    marks = probe_marks(result)
    assert "signed_in" not in marks and "main_paint" not in marks
    assert {"sign_in_paint", "enter"} <= set(marks)


def test_unknown_probe_mode_changes_nothing(qapp, monkeypatch) -> None:
    from ma_desk.ui.startup_probe import install_startup_probe

    for mode in ("", "main", "SIGN-IN", "sign-in "):
        monkeypatch.setenv("MA_DESK_STARTUP_PROBE", mode)
        assert install_startup_probe(qapp) is None


def test_warm_up_imports_the_main_window_after_the_first_dialog_paint() -> None:
    result = run_python("""
        import sys, time
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout
        from ma_desk.ui.warm_up import start_main_window_warm_up

        app = QApplication([])
        warm_up = start_main_window_warm_up(app)
        app.processEvents()
        before_paint = "ma_desk.ui.main_window" in sys.modules
        dialog = QDialog()
        QVBoxLayout(dialog).addWidget(QLineEdit())
        painted = []

        class Seen(QObject):
            def eventFilter(self, watched, event):
                if event.type() == QEvent.Type.Paint:
                    painted.append("ma_desk.ui.main_window" in sys.modules)
                return False

        seen = Seen()
        app.installEventFilter(seen)
        dialog.show()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "ma_desk.ui.main_window" not in sys.modules:
            app.processEvents()  # the import runs on its own thread meanwhile
        warm_up.wait()
        print(before_paint, painted[0], "ma_desk.ui.main_window" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]


def test_warm_up_not_started_never_starts_after_wait() -> None:
    """--exit-after-paint shows no dialog: wait() returns at once and nothing runs later."""
    result = run_python("""
        import sys
        from PySide6.QtWidgets import QApplication, QDialog
        from ma_desk.ui.warm_up import start_main_window_warm_up

        app = QApplication([])
        warm_up = start_main_window_warm_up(app)
        warm_up.wait()
        dialog = QDialog()
        dialog.show()
        for _ in range(50):
            app.processEvents()
        print("ma_desk.ui.main_window" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"]
