"""A demo clinic made by ``ma-desk demo`` and the environment a CLI user signs in with."""

from __future__ import annotations

from pathlib import Path

import pytest

from ma_desk.cli import main
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from tests.conftest import PASSPHRASE


def make_cli_clinic(
    tmp_path_factory: pytest.TempPathFactory, name: str, *, patients: int, seed: int
) -> Path:
    """A demo clinic built by the CLI itself (one per test module: it takes seconds)."""
    data_dir = tmp_path_factory.mktemp(name) / "clinic"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
        argv = ["demo", "--data-dir", str(data_dir), "--patients", str(patients)]
        assert main([*argv, "--seed", str(seed)]) == 0
    return data_dir


def sign_in_cli(monkeypatch: pytest.MonkeyPatch, username: str) -> None:
    """The store's passphrase and a demo account, as a clinic's script would set them."""
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_USER", username)
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
