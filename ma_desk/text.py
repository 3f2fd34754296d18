"""Normalising what people type, for search and comparison."""

from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Romanised, case-, accent- and punctuation-insensitive key, in any script:
    "O'Brién-Smith" -> "obriensmith", "Иван" -> "ivan", "Nguyễn" -> "nguyen".

    Only letters, digits and marks are romanised (an emoji's name is not a name).
    Cached: the same few hundred names are folded again and again (sorting, the
    pairwise name alerts of the day's patients).
    """
    # NFC first: a compatibility ideograph (U+FA15) and its unified form (U+51DE) are one
    # letter to staff, but anyascii reads them differently ("ki" / "xi").
    composed = unicodedata.normalize("NFC", text)
    wordy = "".join(ch if unicodedata.category(ch)[0] in "LNM" else " " for ch in composed)
    key = _NON_ALNUM.sub("", anyascii(wordy.casefold()).lower())
    if key or not wordy.strip():
        return key
    # Letters with no romanisation: their code points, so the same name typed again matches.
    return "".join(f"u{ord(ch):x}" for ch in unicodedata.normalize("NFC", wordy.casefold())
                   if unicodedata.category(ch)[0] in "LN")  # fmt: skip


def phone_digits(text: str) -> str:
    """Digits of a phone number; a leading US country code 1 on 11 digits is dropped."""
    digits = "".join(filter(str.isdigit, text))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def format_us_phone(digits: str) -> str:
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return digits


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix`` (for range scans)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
