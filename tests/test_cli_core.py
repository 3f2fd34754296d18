"""The ma-desk command: help, version, exit codes, demo and check."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ma_desk import __version__
from ma_desk.cli import build_parser, main
from tests.conftest import PASSPHRASE


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        **(env_extra or {}),
    }
    return subprocess.run([sys.executable, "-m", "ma_desk", *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)  # fmt: skip


def test_version(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_every_command_has_help(capsys):
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"demo", "check"} <= set(commands)
    for name in commands:
        with pytest.raises(SystemExit) as excinfo:
            main([name, "--help"])
        assert excinfo.value.code == 0
        assert "usage:" in capsys.readouterr().out


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["demo", "--patients", "many"])
    assert excinfo.value.code == 2


def test_demo_then_check_then_wrong_passphrase(tmp_path):
    data_dir = str(tmp_path / "demo")
    env = {"MA_DESK_PASSPHRASE": PASSPHRASE}
    made = run_cli(
        "demo", "--data-dir", data_dir, "--patients", "150", "--seed", "3", env_extra=env
    )
    assert made.returncode == 0, made.stderr
    assert "RECOVERY KEY" in made.stdout and "150 patients" in made.stdout
    recovery = made.stdout.split("shown once):")[1].split()[0]

    checked = run_cli("check", "--data-dir", data_dir, env_extra=env)
    assert checked.returncode == 0, checked.stderr
    for expected in (
        "integrity check  ok",
        "patients",
        "150",
        "SQLCipher",
        "passphrase",
        "schema revision",
    ):
        assert expected in checked.stdout

    wrong = run_cli(
        "check", "--data-dir", data_dir, env_extra={"MA_DESK_PASSPHRASE": "wrong passphrase"}
    )
    assert wrong.returncode == 1
    assert len(wrong.stderr.strip().splitlines()) == 1
    assert "Traceback" not in wrong.stderr and "not changed" in wrong.stderr

    by_recovery = run_cli("check", "--data-dir", data_dir, "--recovery-key", recovery)
    assert by_recovery.returncode == 0, by_recovery.stderr

    again = run_cli("demo", "--data-dir", data_dir, env_extra=env)
    assert again.returncode == 1 and "already holds" in again.stderr


def test_missing_store_is_a_one_line_error(tmp_path):
    result = run_cli("check", "--data-dir", str(tmp_path / "none"))
    assert result.returncode == 1
    assert result.stderr.startswith("ma-desk: There is no clinic store")
    assert len(result.stderr.strip().splitlines()) == 1


def test_common_options_work_before_and_after_the_command(tmp_path):
    parser = build_parser()
    before = parser.parse_args(["--data-dir", str(tmp_path), "check"])
    after = parser.parse_args(["check", "--data-dir", str(tmp_path)])
    assert before.data_dir == after.data_dir == str(tmp_path)
    assert parser.parse_args(["check"]).data_dir is None
    assert parser.parse_args(["--debug", "check"]).debug is True
