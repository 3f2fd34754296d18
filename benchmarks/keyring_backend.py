"""A keyring for benchmark clinics: the key of the synthetic store comes from an env variable.

Benchmarks run headless (no Secret Service), but "opening the store" should
take the app's keyring path, not the Argon2 passphrase path. This backend
stands in for the OS keyring, in this process (``install()``) and in child
processes (``PYTHON_KEYRING_BACKEND=benchmarks.keyring_backend.BenchKeyring``).
Only the synthetic benchmark clinics use it.
"""

from __future__ import annotations

import os

import keyring
from keyring.backend import KeyringBackend

KEY_ENV = "MA_DESK_BENCH_KEY"
BACKEND_PATH = "benchmarks.keyring_backend.BenchKeyring"


class BenchKeyring(KeyringBackend):
    """One entry for every account: the key of the clinic being benchmarked."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return os.environ.get(KEY_ENV) or None

    def set_password(self, service: str, username: str, password: str) -> None:
        os.environ[KEY_ENV] = password

    def delete_password(self, service: str, username: str) -> None:
        os.environ.pop(KEY_ENV, None)


def install(key_hex: str | None = None) -> None:
    """Use the benchmark keyring in this process, handing out ``key_hex`` if given."""
    if not isinstance(keyring.get_keyring(), BenchKeyring):
        keyring.set_keyring(BenchKeyring())
    if key_hex is not None:
        os.environ[KEY_ENV] = key_hex


def child_env(key_hex: str) -> dict[str, str]:
    """Environment for a child process that opens a benchmark clinic offscreen."""
    env = dict(os.environ)
    env.update({
        KEY_ENV: key_hex, "PYTHON_KEYRING_BACKEND": BACKEND_PATH, "QT_QPA_PLATFORM": "offscreen",
    })  # fmt: skip
    for name in ("MA_DESK_PASSPHRASE", "MA_DESK_RECOVERY_KEY", "MA_DESK_DATA_DIR"):
        env.pop(name, None)
    return env
