"""Where a clinic's data lives on this workstation."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "MA Desk"
APP_AUTHOR = "MA Desk"
STORE_FILENAME = "clinic.madesk"
KEYINFO_FILENAME = "keyinfo.json"
DATA_DIR_ENV = "MA_DESK_DATA_DIR"

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--data-dir`` wins, then ``MA_DESK_DATA_DIR``, then the platform's user data dir."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_data_dir()


def store_path(data_dir: Path) -> Path:
    return data_dir / STORE_FILENAME


def keyinfo_path(data_dir: Path) -> Path:
    return data_dir / KEYINFO_FILENAME


def resource(*parts: str) -> Path:
    return RESOURCES_DIR.joinpath(*parts)
