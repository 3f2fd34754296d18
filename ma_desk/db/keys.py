"""The store's 256-bit key: where it is kept and how it is recovered.

A new store gets a random key kept in the OS keyring (one entry per data
dir). Where no keyring works (headless Linux), the key is derived from a
passphrase with Argon2id; the salt and parameters sit in ``keyinfo.json``
beside the store, which never holds a secret. Either way the user is shown a
recovery key once: the raw key in a typo-checked, readable form, which opens
the store when the keyring entry or passphrase is lost.

``keyinfo.json`` is read as untrusted input: anything malformed is refused
with a message naming the file, and Argon2 parameters outside sane bounds are
refused before Argon2 runs (an absurd cost would otherwise hang the app).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw

from ma_desk.atomic_file import write_text_atomic
from ma_desk.errors import KeyUnavailableError, NotAStoreError, ValidationError
from ma_desk.paths import keyinfo_path
from ma_desk.security import strength

log = logging.getLogger("ma_desk.db.keys")

KEYRING_SERVICE = "MA Desk"
PASSPHRASE_ENV = "MA_DESK_PASSPHRASE"
NEW_PASSPHRASE_ENV = "MA_DESK_PASSPHRASE_NEW"
RECOVERY_ENV = "MA_DESK_RECOVERY_KEY"
KEY_BYTES = 32
SALT_BYTES = 16
KEYINFO_FORMAT = 1
# A real keyinfo.json is about 200 bytes; a bigger one is not read at all.
KEYINFO_MAX_BYTES = 4096

# OWASP's Argon2id recommendation (m=46 MiB, t=1, p=1); derived once per open.
ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 47104, "parallelism": 1}
# What keyinfo.json may ask for. Below: OWASP's weakest listed configuration (m=7 MiB,
# t=5, i.e. 35,840 KiB-passes): less would make a stolen file cheap to attack. Above:
# 256 MiB and 1 GiB-passes of work, about 1 s on a 2024 desktop core and a few seconds
# on an old clinic PC; more would be a denial of service, not protection.
MIN_MEMORY_KIB = 7168
MAX_MEMORY_KIB = 256 * 1024
MAX_TIME_COST = 16
MAX_PARALLELISM = 8
MIN_WORK_KIB_PASSES = 7168 * 5
MAX_WORK_KIB_PASSES = 1024 * 1024

# The store passphrase must survive an offline attack on a stolen file: at 10^12
# guesses even a GPU rig at Argon2id's cost needs years. Six suggested words are ~10^23.
STORE_MIN_GUESSES = 10**12
MIN_PASSPHRASE = 12  # below this no passphrase reaches 10^12 guesses; says so sooner
MAX_PASSPHRASE = 1024

SOURCE_KEYRING = "keyring"
SOURCE_PASSPHRASE = "passphrase"
SOURCE_RECOVERY = "recovery key"

# Asks for the passphrase of an existing store; None when there is nobody to ask.
PassphrasePrompt = Callable[[str], str | None]
# Asks for a NEW passphrase: the UI has it typed twice and offers suggest_passphrase();
# None when cancelled or there is nobody to ask. The rules are checked here again.
NewPassphrasePrompt = Callable[[str], str | None]


class KeyInfoError(NotAStoreError):
    """keyinfo.json is unreadable, malformed or asks for something MA Desk refuses."""


@dataclass(frozen=True)
class KeyInfo:
    """What keyinfo.json says: how to find the key, never the key itself."""

    source: str
    salt: str | None = None
    kdf_params: dict[str, Any] | None = None
    format: int = KEYINFO_FORMAT

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
    except (ValueError, binascii.Error) as exc:
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
def derive_key(passphrase: str, salt_hex: str, params: dict[str, Any] | None = None) -> bytes:
    """Argon2id; ``params`` come from a checked KeyInfo or ARGON2_PARAMS."""
    p = {**ARGON2_PARAMS, **(params or {})}
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        bytes.fromhex(salt_hex),
        time_cost=p["time_cost"],
        memory_cost=p["memory_cost"],
        parallelism=p["parallelism"],
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def passphrase_problem(passphrase: str) -> str | None:
    """Why ``passphrase`` may not protect a store, or None when it is strong enough."""

    if len(passphrase) < MIN_PASSPHRASE:
        return (
            f"The passphrase must have at least {MIN_PASSPHRASE} characters: use four or "
            "more unrelated words, or the suggested passphrase."
        )
    if len(passphrase) > MAX_PASSPHRASE:
        return f"The passphrase may have at most {MAX_PASSPHRASE} characters."
    weak = strength.weakness(passphrase, STORE_MIN_GUESSES)
    if weak is None:
        return None
    reason = f" ({weak.warning.rstrip('.')})" if weak.warning else ""
    return (
        f"Someone who steals the store file could guess this passphrase in "
        f"{strength.order_of(weak.guesses)} tries{reason}; it must take more than 10^12. "
        "Use four or more unrelated words (not a saying, a name or a date), or the "
        "suggested passphrase."
    )


def check_new_passphrase(passphrase: str) -> None:
    problem = passphrase_problem(passphrase)
    if problem:
        raise ValidationError(problem, field="passphrase")


def suggest_passphrase() -> str:
    """Six random words from the EFF list (77 bits), strong enough for the store."""
    return strength.suggest_passphrase(STORE_MIN_GUESSES)


# ---------------------------------------------------------------- keyinfo file
_SALT_HEX = re.compile(rf"^[0-9a-f]{{{2 * SALT_BYTES}}}$")


class _Malformed(Exception):
    """What is wrong with keyinfo.json, in words for the message."""


def _integer(kdf: dict[str, Any], name: str, low: int, high: int) -> int:
    value = kdf.get(name)
    if type(value) is not int:  # bool is an int subclass; JSON floats are not wanted
        raise _Malformed(f"the Argon2 setting {name} is missing or not a whole number")
    if not low <= value <= high:
        raise _Malformed(f"the Argon2 setting {name} = {value} is outside {low} to {high}")
    return value


def _kdf_params(kdf: object) -> tuple[str, dict[str, Any]]:
    """Salt and Argon2id parameters, each checked before Argon2 could ever run."""
    if not isinstance(kdf, dict):
        raise _Malformed("a passphrase store needs its Argon2 settings (kdf)")
    if kdf.get("name") != "argon2id":
        raise _Malformed("the key derivation is not argon2id")
    salt = kdf.get("salt")
    if not isinstance(salt, str) or not _SALT_HEX.match(salt):
        raise _Malformed(f"the salt is not {SALT_BYTES} bytes of lower-case hex")
    params = {
        "time_cost": _integer(kdf, "time_cost", 1, MAX_TIME_COST),
        "memory_cost": _integer(kdf, "memory_cost", MIN_MEMORY_KIB, MAX_MEMORY_KIB),
        "parallelism": _integer(kdf, "parallelism", 1, MAX_PARALLELISM),
    }
    work = params["time_cost"] * params["memory_cost"]
    if not MIN_WORK_KIB_PASSES <= work <= MAX_WORK_KIB_PASSES:
        raise _Malformed(
            "the Argon2 cost (time_cost x memory_cost) is outside "
            f"{MIN_WORK_KIB_PASSES:,} to {MAX_WORK_KIB_PASSES:,}"
        )
    return salt, params


def _parse_keyinfo(data: object) -> KeyInfo:
    if not isinstance(data, dict):
        raise _Malformed("it is not a JSON object")
    if data.get("app") != "ma-desk":
        raise _Malformed("it is not an MA Desk key description")
    if type(data.get("format")) is not int or data["format"] != KEYINFO_FORMAT:
        raise _Malformed(f"its format {data.get('format')!r} is not one this MA Desk knows")
    source = data.get("key_source")
    if source == SOURCE_KEYRING:
        if data.get("kdf") is not None:
            raise _Malformed("a keyring store must not have Argon2 settings")
        return KeyInfo(source=SOURCE_KEYRING)
    if source == SOURCE_PASSPHRASE:
        salt, params = _kdf_params(data.get("kdf"))
        return KeyInfo(source=SOURCE_PASSPHRASE, salt=salt, kdf_params=params)
    raise _Malformed(f"the key source {source!r} is neither keyring nor passphrase")


def read_keyinfo(data_dir: Path) -> KeyInfo | None:
    """The checked contents of keyinfo.json; None when there is none; KeyInfoError if bad."""
    path = keyinfo_path(data_dir)
    try:
        if path.stat().st_size > KEYINFO_MAX_BYTES:
            raise _Malformed(f"it is larger than {KEYINFO_MAX_BYTES:,} bytes")
        text = path.read_bytes().decode("utf-8")
        return _parse_keyinfo(json.loads(text))
    except FileNotFoundError:
        return None
    except (_Malformed, OSError, ValueError, RecursionError) as exc:
        raise KeyInfoError(
            f"{path} is damaged ({_what_is_wrong(exc)}), so MA Desk does not know how to find the key; "
            "nothing was changed. Restore keyinfo.json from a copy of this folder, or open "
            "the store with its recovery key (ma-desk --recovery-key ...), which writes a "
            "new one."
        ) from exc


def _what_is_wrong(exc: Exception) -> str:
    if isinstance(exc, _Malformed):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return "it is not UTF-8 text"
    if isinstance(exc, OSError):
        return exc.strerror or "it cannot be read"
    return "it is not valid JSON"


def write_keyinfo(data_dir: Path, info: KeyInfo) -> None:
    """Atomic write: temp file, fsync, replace."""
    write_text_atomic(keyinfo_path(data_dir), info.to_json())


def set_aside_damaged_keyinfo(data_dir: Path) -> None:
    """Keep a damaged keyinfo.json as evidence under another name before replacing it."""
    path = keyinfo_path(data_dir)
    if path.exists():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        os.replace(path, path.with_name(f"{path.name}.damaged-{stamp}"))


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
    ask_new_passphrase: NewPassphrasePrompt | None = None,
    use_keyring: bool = True,
) -> NewKey:
    """A key for a new store: keyring first, passphrase where no keyring works."""
    passphrase = passphrase or os.environ.get(PASSPHRASE_ENV) or None
    if use_keyring and not passphrase:
        raw = secrets.token_bytes(KEY_BYTES)
        if keyring_set(data_dir, raw):
            info = KeyInfo(source=SOURCE_KEYRING)
            return NewKey(StoreKey(raw, SOURCE_KEYRING), info, format_recovery_key(raw))
    if not passphrase and ask_new_passphrase is not None:
        passphrase = ask_new_passphrase(
            "This computer has no keyring for the clinic key. Choose a passphrase for the "
            "store: four or more unrelated words, or the suggested passphrase."
        )
    if not passphrase:
        raise KeyUnavailableError(
            "This computer has no usable keyring to keep the clinic key. Set a passphrase "
            f"(the {PASSPHRASE_ENV} environment variable, or enter it when asked)."
        )
    raw, info = passphrase_key(passphrase)
    return NewKey(StoreKey(raw, SOURCE_PASSPHRASE), info, format_recovery_key(raw))


def passphrase_key(passphrase: str) -> tuple[bytes, KeyInfo]:
    """A checked new passphrase's key under a fresh salt, and the keyinfo that finds it."""
    check_new_passphrase(passphrase)
    salt = secrets.token_hex(SALT_BYTES)
    info = KeyInfo(source=SOURCE_PASSPHRASE, salt=salt, kdf_params=dict(ARGON2_PARAMS))
    return derive_key(passphrase, salt), info


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
        return StoreKey(parse_recovery_key(recovery_key), SOURCE_RECOVERY)
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
    return StoreKey(derive_key(passphrase, info.salt or "", info.kdf_params), SOURCE_PASSPHRASE)


def key_for_open(
    data_dir: Path,
    *,
    passphrase: str | None = None,
    recovery_key: str | None = None,
    ask_passphrase: PassphrasePrompt | None = None,
) -> tuple[StoreKey, KeyInfo | None]:
    """The key to try on an existing store, and keyinfo.json (None: missing or damaged).

    Without keyinfo.json only the recovery key can open the store; with it, a
    missing or damaged file is replaced afterwards (see ``settle_key``).
    """
    recovery_key = recovery_key or os.environ.get(RECOVERY_ENV) or None
    try:
        info = read_keyinfo(data_dir)
    except KeyInfoError:
        if not recovery_key:
            raise
        info = None
    if info is None:
        if not recovery_key:
            raise NotAStoreError(
                f"{keyinfo_path(data_dir)} is missing, so MA Desk does not know where the key "
                "of this store is kept. Open it with the recovery key."
            )
        return StoreKey(parse_recovery_key(recovery_key), SOURCE_RECOVERY), None
    key = find_key(data_dir, info, passphrase=passphrase, recovery_key=recovery_key,
                   ask_passphrase=ask_passphrase)  # fmt: skip
    return key, info


# ---------------------------------------------------------------- after a recovery-key open
@dataclass(frozen=True)
class SettledKey:
    """How the store opens from now on, after ``settle_key``."""

    key: StoreKey  # the key that opens the file now
    source: str  # where it is kept: keyring or passphrase
    recovery_key: str | None = None  # a NEW recovery key (after a re-key): show it once


RECOVERED_ASK = (
    "The store was opened with its recovery key and this computer has no keyring to keep "
    "the key. Choose a new passphrase for the store (four or more unrelated words, or the "
    "suggested passphrase); the store is re-encrypted and gets a new recovery key."
)


def settle_key(
    data_dir: Path,
    info: KeyInfo | None,
    key: StoreKey,
    *,
    release_store: Callable[[], None],
    new_passphrase: str | None = None,
    ask_new_passphrase: NewPassphrasePrompt | None = None,
) -> SettledKey:
    """After a successful open: make sure the normal way in works next time.

    A keyring or passphrase open changes nothing. After a recovery-key open the
    key goes into this computer's keyring if the keyring really keeps it. If not,
    a new passphrase (given, ``MA_DESK_PASSPHRASE_NEW``, or asked for) re-keys
    the file (``release_store`` closes the open store first; a new recovery key
    comes back to show once). With no new passphrase, a store whose keyinfo.json
    describes a passphrase keeps it; anything else is refused, unchanged, rather
    than record a way in that does not work.
    """
    if key.source != SOURCE_RECOVERY:
        return SettledKey(key, key.source)
    if keyring_set(data_dir, key.raw):
        if info is None:
            set_aside_damaged_keyinfo(data_dir)
        if info is None or info.source != SOURCE_KEYRING:
            write_keyinfo(data_dir, KeyInfo(source=SOURCE_KEYRING))
        log.info("recovery key put into this computer's keyring")
        return SettledKey(StoreKey(key.raw, SOURCE_KEYRING), SOURCE_KEYRING)
    keeps_passphrase = info is not None and info.source == SOURCE_PASSPHRASE
    new_passphrase = new_passphrase or os.environ.get(NEW_PASSPHRASE_ENV) or None
    if not new_passphrase and ask_new_passphrase is not None:
        ask = RECOVERED_ASK + (" Cancel keeps the current passphrase." if keeps_passphrase else "")
        new_passphrase = ask_new_passphrase(ask)
    if new_passphrase:
        from ma_desk.security.rekey import rotate_key

        check_new_passphrase(new_passphrase)
        release_store()
        if info is None:
            set_aside_damaged_keyinfo(data_dir)
        result = rotate_key(data_dir, key, new_passphrase=new_passphrase)
        return SettledKey(result.key, SOURCE_PASSPHRASE, result.recovery_key)
    if keeps_passphrase:
        return SettledKey(StoreKey(key.raw, SOURCE_PASSPHRASE), SOURCE_PASSPHRASE)
    raise KeyUnavailableError(
        f"The store in {data_dir} opened with its recovery key, but this computer has no "
        "keyring to keep the key, so it needs a new passphrase: type one when asked, or "
        f"set {NEW_PASSPHRASE_ENV}. Nothing was changed."
    )
