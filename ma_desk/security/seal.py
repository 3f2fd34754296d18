"""Audit seals: an HMAC over the chain's head with a key only administrators can open.

The hash chain can be recomputed by anyone holding the store key (in a clinic
without a keyring, everyone who types the passphrase at the start of the day).
A seal cannot: it is HMAC-SHA256 over "entry N has hash H, after seal P" with a
random 256-bit seal key that is kept in the store only wrapped, once per
administrator, under a key derived (Argon2id) from that administrator's
password. The seal key is in memory only while an administrator is signed in;
each administrator's sign-in (and each ``audit verify`` by one) first checks
every earlier seal, then seals the head.

What this buys: whoever holds the store key but no administrator's password
cannot change, delete or reorder any entry at or before the newest seal they
leave in place, cannot forge a seal, and cannot swap in their own seal key
without the next administrator's sign-in noticing that their copy no longer
opens the key the seals were made with. What it does not: the entries after
the newest seal (since an administrator last signed in) are protected only by
the chain, the witness files, backups and printed anchors.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

SEAL_KEY_BYTES = 32
SALT_BYTES = 16
# Argon2id for the wrapping key: the same cost as a password hash (OWASP's minimum).
KDF_TIME_COST = 2
KDF_MEMORY_KIB = 19456
KDF_PARALLELISM = 1


@dataclass(frozen=True)
class WrappedSealKey:
    """One administrator's copy: the seal key XOR a key derived from their password."""

    salt: str  # hex
    wrapped: str  # hex, SEAL_KEY_BYTES long
    key_id: str  # identifies the seal key itself; reveals nothing about it


def new_seal_key() -> bytes:
    return secrets.token_bytes(SEAL_KEY_BYTES)


def key_id(key: bytes) -> str:
    return hmac.new(key, b"ma-desk audit seal key id", hashlib.sha256).hexdigest()[:32]


def _wrapping_key(password: str, salt: bytes) -> bytes:
    from argon2.low_level import Type, hash_secret_raw

    from ma_desk.security.passwords import normalize

    return hash_secret_raw(
        normalize(password).encode("utf-8"), salt, time_cost=KDF_TIME_COST,
        memory_cost=KDF_MEMORY_KIB, parallelism=KDF_PARALLELISM, hash_len=SEAL_KEY_BYTES,
        type=Type.ID,
    )  # fmt: skip


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def wrap(key: bytes, password: str) -> WrappedSealKey:
    """A copy of ``key`` that only ``password`` opens (a fresh salt every time)."""
    salt = secrets.token_bytes(SALT_BYTES)
    return WrappedSealKey(salt.hex(), _xor(key, _wrapping_key(password, salt)).hex(), key_id(key))


def unwrap(copy: WrappedSealKey, password: str) -> bytes | None:
    """The seal key, or None when ``password`` does not open this copy."""
    try:
        salt, wrapped = bytes.fromhex(copy.salt), bytes.fromhex(copy.wrapped)
    except ValueError:
        return None
    if len(wrapped) != SEAL_KEY_BYTES or len(salt) != SALT_BYTES:
        return None
    key = _xor(wrapped, _wrapping_key(password, salt))
    return key if hmac.compare_digest(key_id(key), copy.key_id) else None


def seal_mac(key: bytes, sealed_id: int, sealed_hash: str, previous_seal: int) -> str:
    """The MAC a seal entry carries: entry ``sealed_id`` has ``sealed_hash``, after a seal."""
    message = f"ma-desk seal v1|{sealed_id}|{sealed_hash}|{previous_seal}".encode("ascii")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def mac_matches(key: bytes, sealed_id: int, sealed_hash: str, previous_seal: int, mac: str) -> bool:
    return hmac.compare_digest(seal_mac(key, sealed_id, sealed_hash, previous_seal), mac)
