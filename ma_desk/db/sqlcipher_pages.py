"""Checking SQLCipher 4 pages straight from the file, without SQLite.

SQLCipher answers "file is not a database" both for a wrong key and for a
damaged first page, because page 1 must authenticate before anything else
is read. Telling the two apart matters: someone told "wrong passphrase"
keeps retyping it instead of restoring a backup. Every page carries an
HMAC-SHA512 of its ciphertext, keyed from the store key and the file's salt,
so if the key authenticates other pages, the key is right and page 1 is
damaged. Only the HMAC is checked here; nothing is decrypted.

The layout is SQLCipher 4's default, which MA Desk never changes: 4096-byte
pages, the first 16 bytes of the file are the salt, each page ends with a
16-byte IV and a 64-byte HMAC over (ciphertext + IV + page number, little
endian); the HMAC key is PBKDF2-HMAC-SHA512(key, salt XOR 0x3a, 2 rounds).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

PAGE_SIZE = 4096
SALT_BYTES = 16
HMAC_BYTES = 64
HMAC_SALT_MASK = 0x3A
HMAC_KDF_ROUNDS = 2
KEY_BYTES = 32


def hmac_key(raw_key: bytes, salt: bytes) -> bytes:
    """The page-HMAC key SQLCipher derives from a raw 256-bit key and the file's salt."""
    hmac_salt = bytes(b ^ HMAC_SALT_MASK for b in salt)
    return hashlib.pbkdf2_hmac("sha512", raw_key, hmac_salt, HMAC_KDF_ROUNDS, KEY_BYTES)


def page_authenticates(page: bytes, pgno: int, mac_key: bytes) -> bool:
    """True when ``page`` (page number ``pgno``, 1-based) carries a valid HMAC under ``mac_key``."""
    if len(page) != PAGE_SIZE:
        return False
    start = SALT_BYTES if pgno == 1 else 0
    body, stored = page[start : PAGE_SIZE - HMAC_BYTES], page[PAGE_SIZE - HMAC_BYTES :]
    expected = hmac.new(mac_key, body + pgno.to_bytes(4, "little"), hashlib.sha512).digest()
    return hmac.compare_digest(expected, stored)


def authenticated_pages(path: Path, raw_key: bytes, pages: range) -> list[int]:
    """Which of ``pages`` authenticate under ``raw_key`` (pages past the end are skipped)."""
    with open(path, "rb") as fh:
        mac_key = hmac_key(raw_key, fh.read(SALT_BYTES))
        found = []
        for pgno in pages:
            fh.seek((pgno - 1) * PAGE_SIZE)
            if page_authenticates(fh.read(PAGE_SIZE), pgno, mac_key):
                found.append(pgno)
    return found


def key_fits_file(path: Path, raw_key: bytes, *, sample: int = 8) -> bool:
    """True when the key authenticates any of the first pages after page 1.

    A wrong key authenticates none (2^-512 per page by chance); a right key
    authenticates every undamaged page.
    """
    try:
        return bool(authenticated_pages(path, raw_key, range(2, 2 + sample)))
    except OSError:
        return False
