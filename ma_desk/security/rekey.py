"""Rotating the store's key (PRAGMA rekey) and keeping the keyring / keyinfo in step.

The order protects the data: the new key is made, the store is re-encrypted
in one SQLCipher transaction and re-opened with the new key, and only then
are the keyring entry or ``keyinfo.json`` changed. If the keyring refuses the
new key, the store is put back on the old key, so it never ends up under a
key nobody keeps. A new recovery key is returned to show once; backups made
earlier still need the earlier recovery key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from ma_desk.db import keys
from ma_desk.db.engine import connect_raw
from ma_desk.errors import KeyUnavailableError, StoreError
from ma_desk.paths import store_path


@dataclass(frozen=True)
class RekeyResult:
    key_source: str
    recovery_key: str


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
    """Re-encrypt the (closed) store under a fresh key; returns the new recovery key."""
    path = store_path(data_dir)
    info = keys.read_keyinfo(data_dir) or keys.KeyInfo(source=keys.SOURCE_KEYRING)
    if info.source == keys.SOURCE_PASSPHRASE or new_passphrase:
        if not new_passphrase:
            raise KeyUnavailableError(
                "This store's key comes from a passphrase: give the new passphrase "
                f"(asked for, or {keys.PASSPHRASE_ENV}_NEW)."
            )
        keys.check_new_passphrase(new_passphrase)
        salt = secrets.token_hex(16)
        new = keys.StoreKey(keys.derive_key(new_passphrase, salt), keys.SOURCE_PASSPHRASE)
        _rekey_file(path, old, new)
        keys.write_keyinfo(
            data_dir,
            keys.KeyInfo(
                source=keys.SOURCE_PASSPHRASE, salt=salt, kdf_params=dict(keys.ARGON2_PARAMS)
            ),  # fmt: skip
        )
        return RekeyResult(keys.SOURCE_PASSPHRASE, keys.format_recovery_key(new.raw))
    new = keys.StoreKey(secrets.token_bytes(keys.KEY_BYTES), keys.SOURCE_KEYRING)
    _rekey_file(path, old, new)
    if not keys.keyring_set(data_dir, new.raw):
        _rekey_file(path, new, old)
        keys.keyring_set(data_dir, old.raw)
        raise StoreError(
            "The keyring did not accept the new key, so the store was put back on its old "
            "key. Nothing else changed."
        )
    return RekeyResult(keys.SOURCE_KEYRING, keys.format_recovery_key(new.raw))
