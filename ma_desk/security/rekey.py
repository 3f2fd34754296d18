"""Rotating the store's key (PRAGMA rekey) and keeping the keyring / keyinfo in step.

The order protects the data: the new key is made, the store is re-encrypted
in one SQLCipher transaction and re-opened with the new key, and only then
are the keyring entry or ``keyinfo.json`` changed. If the keyring refuses the
new key, or keyinfo.json cannot be written, the store is put back on the old
key, so it never ends up under a key nobody keeps. A new recovery key is
returned to show once; backups made earlier still need the earlier recovery key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ma_desk.db import keys
from ma_desk.db.engine import connect_raw
from ma_desk.errors import KeyUnavailableError, StoreError
from ma_desk.paths import store_path


@dataclass(frozen=True)
class RekeyResult:
    key_source: str
    recovery_key: str
    key: keys.StoreKey = field(repr=False)  # opens the store from now on


def _rekey_file(path: Path, old: keys.StoreKey, new: keys.StoreKey) -> None:
    raw = connect_raw(path, old)
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute(f'PRAGMA rekey = "{new.pragma_value()}"')
    finally:
        raw.close()
    connect_raw(path, new).close()  # proves the new key opens it


def rotate_key(
    data_dir: Path, old: keys.StoreKey, *, new_passphrase: str | None = None
) -> RekeyResult:
    """Re-encrypt the (closed) store under a fresh key; returns the new recovery key.

    With ``new_passphrase`` the new key comes from it (keyinfo.json is rewritten);
    without, a random key goes into the keyring. A store whose keyinfo.json says
    passphrase needs a new passphrase.
    """
    if new_passphrase:
        return _rotate_to_passphrase(data_dir, old, new_passphrase)
    info = keys.read_keyinfo(data_dir)
    if info is not None and info.source == keys.SOURCE_PASSPHRASE:
        raise KeyUnavailableError(
            "This store's key comes from a passphrase: give the new passphrase "
            f"(asked for, or {keys.NEW_PASSPHRASE_ENV})."
        )
    return _rotate_into_keyring(data_dir, old)


def _rotate_to_passphrase(data_dir: Path, old: keys.StoreKey, passphrase: str) -> RekeyResult:
    path = store_path(data_dir)
    raw, info = keys.passphrase_key(passphrase)
    new = keys.StoreKey(raw, keys.SOURCE_PASSPHRASE)
    _rekey_file(path, old, new)
    try:
        keys.write_keyinfo(data_dir, info)
    except BaseException:
        _rekey_file(path, new, old)
        raise
    return RekeyResult(keys.SOURCE_PASSPHRASE, keys.format_recovery_key(new.raw), new)


def _rotate_into_keyring(data_dir: Path, old: keys.StoreKey) -> RekeyResult:
    path = store_path(data_dir)
    new = keys.StoreKey(secrets.token_bytes(keys.KEY_BYTES), keys.SOURCE_KEYRING)
    _rekey_file(path, old, new)
    if not keys.keyring_set(data_dir, new.raw):
        _rekey_file(path, new, old)
        keys.keyring_set(data_dir, old.raw)
        raise StoreError(
            "The keyring did not accept the new key, so the store was put back on its old "
            "key. Nothing else changed."
        )
    return RekeyResult(keys.SOURCE_KEYRING, keys.format_recovery_key(new.raw), new)
