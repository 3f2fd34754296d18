"""``ma-desk --exit-after-paint``: the GUI on the clinic store, signed in without dialogs, ends
with 0 at the main window's first paint, or with a one-line error and no waiting dialog."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtWidgets import QLabel

from ma_desk.errors import MADeskError
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.ui import paint_check
from tests.conftest import PASSPHRASE


def run_gui_check(data_dir, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    """The venv's app as support staff would run it; a dialog left waiting would time out."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MA_DESK_")}
    env.update(
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        QT_QPA_PLATFORM="offscreen",
        MA_DESK_STATE_DIR=os.environ["MA_DESK_STATE_DIR"],
        MA_DESK_NO_CRASH_DIALOG="1",
        MA_DESK_PASSPHRASE=PASSPHRASE,
    )
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "ma_desk", "--data-dir", str(data_dir),
                           "--exit-after-paint", *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip


def test_signs_in_and_exits_at_first_paint(demo_dir):
    result = run_gui_check(demo_dir, "--user", "ma", MA_DESK_PASSWORD=DEMO_PASSWORD)
    assert result.returncode == 0, result.stderr
    assert "painted the main window" in result.stdout


def test_user_from_the_environment(demo_dir):
    result = run_gui_check(demo_dir, MA_DESK_USER="frontdesk", MA_DESK_PASSWORD=DEMO_PASSWORD)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--user", "ma"], {"MA_DESK_PASSWORD": "wrong"}, "The user name or password is wrong"),
        ([], {"MA_DESK_PASSWORD": DEMO_PASSWORD}, "Sign in first"),
        (["--user", "ma"], {}, "No password for ma"),
    ],
)
def test_sign_in_failure_is_one_line_and_non_zero(demo_dir, args, env, message):
    result = run_gui_check(demo_dir, *args, **env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("ma-desk:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.stderr


def test_wrong_passphrase_is_one_line_and_non_zero(demo_dir):
    result = run_gui_check(demo_dir, "--user", "ma", MA_DESK_PASSWORD=DEMO_PASSWORD,
                           MA_DESK_PASSPHRASE="not the passphrase of this store")  # fmt: skip
    assert result.returncode == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("ma-desk:")]
    assert "Traceback" not in result.stderr


def test_no_store_is_not_created(tmp_path):
    result = run_gui_check(tmp_path / "none", "--user", "ma", MA_DESK_PASSWORD=DEMO_PASSWORD)
    assert result.returncode == 1
    assert result.stderr.startswith("ma-desk: ")
    assert not (tmp_path / "none" / "clinic.madesk").exists()


def test_first_paint_of_the_window_ends_the_loop(qapp):
    window = QLabel("MA Desk")
    watcher = paint_check.FirstPaintExit(qapp, window)
    window.show()
    try:
        assert qapp.exec() == 0
    finally:
        qapp.removeEventFilter(watcher)
        window.close()
    assert watcher.painted
    assert paint_check.paint_check_result(True) == 0


def test_another_widget_painting_does_not_count(qapp, monkeypatch):
    monkeypatch.setattr(paint_check, "PAINT_TIMEOUT_MS", 300)
    window = QLabel("never shown")
    other = QLabel("another window")
    watcher = paint_check.FirstPaintExit(qapp, window)
    other.show()
    try:
        assert qapp.exec() == 1
    finally:
        qapp.removeEventFilter(watcher)
        other.close()
    assert not watcher.painted
    with pytest.raises(MADeskError, match="not painted"):
        paint_check.paint_check_result(False)
