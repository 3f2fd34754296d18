"""The store's 256-bit key: where it is kept and how it is recovered.

A new store gets a random key kept in the OS keyring (one entry per data
dir). Where no keyring works (headless Linux), the key is derived from a
passphrase with Argon2id; the salt and parameters sit in ``keyinfo.json``
beside the store, which never holds a secret. Either way the user is shown a
recovery key once: the raw key in a typo-checked, readable form, which opens
the store when the keyring entry or passphrase is lost.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ma_desk.atomic_file import write_text_atomic
from ma_desk.errors import KeyUnavailableError, NotAStoreError, ValidationError
from ma_desk.paths import keyinfo_path

log = logging.getLogger("ma_desk.db.keys")

KEYRING_SERVICE = "MA Desk"
PASSPHRASE_ENV = "MA_DESK_PASSPHRASE"
RECOVERY_ENV = "MA_DESK_RECOVERY_KEY"
KEY_BYTES = 32
MIN_PASSPHRASE = 8

# OWASP's Argon2id recommendation (m=46 MiB, t=1, p=1); derived once per open.
ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 47104, "parallelism": 1}

SOURCE_KEYRING = "keyring"
SOURCE_PASSPHRASE = "passphrase"

PassphrasePrompt = Callable[[str], str | None]


@dataclass(frozen=True)
class KeyInfo:
    """What keyinfo.json says: how to find the key, never the key itself."""

    source: str
    salt: str | None = None
    kdf_params: dict | None = None
    format: int = 1

    def to_json(self) -> str:
        return json.dumps(
            {
                "app": "ma-desk",
                "format": self.format,
                "key_source": self.source,
                "kdf": None
                if self.salt is None
                else {"name": "argon2id", "salt": self.salt, **(self.kdf_params or {})},
            },
            indent=2,
        )


@dataclass(frozen=True)
class StoreKey:
    raw: bytes
    source: str

    def pragma_value(self) -> str:
        return f"x'{self.raw.hex()}'"

    def __repr__(self) -> str:  # never show key material in a traceback
        return f"StoreKey(source={self.source!r})"


# ---------------------------------------------------------------- recovery key
def format_recovery_key(raw: bytes) -> str:
    """Key + 2-byte checksum in base32, grouped by five: 11 groups to write down."""
    check = hashlib.sha256(raw).digest()[:2]
    text = base64.b32encode(raw + check).decode("ascii").rstrip("=")
    return "-".join(text[i : i + 5] for i in range(0, len(text), 5))


def parse_recovery_key(text: str) -> bytes:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    try:
        data = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except (ValueError, base64.binascii.Error) as exc:
        raise ValidationError(
            "That recovery key is not valid: check it against the printed copy.",
            field="recovery_key",
        ) from exc
    raw, check = data[:KEY_BYTES], data[KEY_BYTES:]
    if len(raw) != KEY_BYTES or hashlib.sha256(raw).digest()[:2] != check:
        raise ValidationError(
            "That recovery key has a typo: check each group against the printed copy.",
            field="recovery_key",
        )
    return raw


# ---------------------------------------------------------------- keyring
def keyring_account(data_dir: Path) -> str:
    return f"store:{data_dir.resolve()}"


def keyring_get(data_dir: Path) -> bytes | None:
    """The key from the OS keyring, or None when there is no entry or no keyring."""
    try:
        import keyring
        from keyring.errors import KeyringError

        value = keyring.get_password(KEYRING_SERVICE, keyring_account(data_dir))
    except (KeyringError, RuntimeError) as exc:
        log.info("no usable keyring: %s", type(exc).__name__)
        return None
    if not value:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw if len(raw) == KEY_BYTES else None


def keyring_set(data_dir: Path, raw: bytes) -> bool:
    """Store the key; True only if it can be read back (the null backend drops it)."""
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, keyring_account(data_dir), raw.hex())
    except (KeyringError, RuntimeError) as exc:
        log.info("keyring refused the key: %s", type(exc).__name__)
        return False
    return keyring_get(data_dir) == raw


def keyring_delete(data_dir: Path) -> None:
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.delete_password(KEYRING_SERVICE, keyring_account(data_dir))
    except (KeyringError, RuntimeError):
        pass


# ---------------------------------------------------------------- passphrase
def derive_key(passphrase: str, salt_hex: str, params: dict | None = None) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    p = {**ARGON2_PARAMS, **(params or {})}
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        bytes.fromhex(salt_hex),
        time_cost=int(p["time_cost"]),
        memory_cost=int(p["memory_cost"]),
        parallelism=int(p["parallelism"]),
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def check_new_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise ValidationError(
            f"The passphrase must have at least {MIN_PASSPHRASE} characters.", field="passphrase"
        )


# ---------------------------------------------------------------- keyinfo file
def read_keyinfo(data_dir: Path) -> KeyInfo | None:
    path = keyinfo_path(data_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        kdf = data.get("kdf") or None
        if data.get("app") != "ma-desk" or data["key_source"] not in (
            SOURCE_KEYRING,
            SOURCE_PASSPHRASE,
        ):
            raise KeyError("app")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotAStoreError(
            f"{path} is damaged or not an MA Desk key description. Restore it from a backup "
            "or open the store with its recovery key."
        ) from exc
    params = None
    if kdf:
        params = {k: kdf[k] for k in ("time_cost", "memory_cost", "parallelism") if k in kdf}
    return KeyInfo(source=data["key_source"], salt=kdf["salt"] if kdf else None, kdf_params=params)


def write_keyinfo(data_dir: Path, info: KeyInfo) -> None:
    """Atomic write: temp file, fsync, replace."""
    write_text_atomic(keyinfo_path(data_dir), info.to_json())


# ---------------------------------------------------------------- the two flows
@dataclass(frozen=True)
class NewKey:
    key: StoreKey
    info: KeyInfo
    recovery_key: str


def create_key(
    data_dir: Path,
    *,
    passphrase: str | None = None,
    ask_passphrase: PassphrasePrompt | None = None,
    use_keyring: bool = True,
) -> NewKey:
    """A key for a new store: keyring first, passphrase where no keyring works."""
    passphrase = passphrase or os.environ.get(PASSPHRASE_ENV) or None
    if use_keyring and not passphrase:
        raw = secrets.token_bytes(KEY_BYTES)
        if keyring_set(data_dir, raw):
            info = KeyInfo(source=SOURCE_KEYRING)
            return NewKey(StoreKey(raw, SOURCE_KEYRING), info, format_recovery_key(raw))
    if not passphrase and ask_passphrase is not None:
        passphrase = ask_passphrase(
            "This computer has no keyring for the clinic key. Choose a passphrase for the "
            f"store (at least {MIN_PASSPHRASE} characters)."
        )
        if passphrase:
            check_new_passphrase(passphrase)
            # A typo here would lock the clinic out of its own store: ask twice.
            if ask_passphrase("Type the same passphrase again to confirm it.") != passphrase:
                raise ValidationError(
                    "The two passphrases were not the same; nothing was created. Try again.",
                    field="passphrase",
                )
    if not passphrase:
        raise KeyUnavailableError(
            "This computer has no usable keyring to keep the clinic key. Set a passphrase "
            f"(the {PASSPHRASE_ENV} environment variable, or enter it when asked)."
        )
    check_new_passphrase(passphrase)
    salt = secrets.token_hex(16)
    raw = derive_key(passphrase, salt)
    info = KeyInfo(source=SOURCE_PASSPHRASE, salt=salt, kdf_params=dict(ARGON2_PARAMS))
    return NewKey(StoreKey(raw, SOURCE_PASSPHRASE), info, format_recovery_key(raw))


def find_key(
    data_dir: Path,
    info: KeyInfo,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    ask_passphrase: PassphrasePrompt | None = None,
) -> StoreKey:
    """The key of an existing store, from the recovery key, keyring or passphrase."""
    recovery_key = recovery_key or os.environ.get(RECOVERY_ENV) or None
    if recovery_key:
        return StoreKey(parse_recovery_key(recovery_key), "recovery key")
    if info.source == SOURCE_KEYRING:
        raw = keyring_get(data_dir)
        if raw is None:
            raise KeyUnavailableError(
                f"The key for the store in {data_dir} is not in this computer's keyring. "
                "Open it with the recovery key shown when the store was created "
                "(ma-desk --recovery-key ..., or MA_DESK_RECOVERY_KEY)."
            )
        return StoreKey(raw, SOURCE_KEYRING)
    passphrase = passphrase or os.environ.get(PASSPHRASE_ENV) or None
    if not passphrase and ask_passphrase is not None:
        passphrase = ask_passphrase(f"Enter the passphrase of the clinic store in {data_dir}.")
    if not passphrase:
        raise KeyUnavailableError(
            f"The store in {data_dir} is protected by a passphrase. Enter it, set "
            f"{PASSPHRASE_ENV}, or use the recovery key."
        )
    assert info.salt is not None
    return StoreKey(derive_key(passphrase, info.salt, info.kdf_params), SOURCE_PASSPHRASE)
