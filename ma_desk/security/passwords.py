"""Password hashing and the NIST SP 800-63B rules for choosing a password.

Hashes are Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1). A
stored hash made with weaker parameters is re-hashed at the next successful
sign-in. The rules (NIST SP 800-63B): 8 to 256 characters, any printable
character or space, no composition rules, and no password an attacker would
guess early: zxcvbn's estimate must reach 10^10 guesses, with the clinic's own
words (its name, its providers, user names) added to zxcvbn's lists of common
passwords, words and names.

Why 10^10 (zxcvbn's score 4) and not the store passphrase's 10^12: a user
password is only ever guessed online, through the sign-in that throttles
(lock-out doubling to 15 minutes) and runs Argon2id per try, or offline
against an Argon2id hash inside the encrypted store, which an attacker can
only read after breaking the store key. 10^10 puts even a million-guesses-a-
day attack decades away while still accepting three ordinary words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ma_desk.errors import ValidationError
from ma_desk.security import strength

MIN_LENGTH = 8
MAX_LENGTH = 256
MIN_GUESSES = 10**10
# OWASP Password Storage Cheat Sheet: Argon2id, m=19456 KiB, t=2, p=1 (minimum).
TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM)
# A hash to verify against when the username is unknown, so timing does not tell. Made
# once with the parameters above (hashing it at import cost every start an Argon2 run);
# made again at import only if those parameters change.
_DUMMY_HASH = "$argon2id$v=19$m=19456,t=2,p=1$gfNG/nJ65B4DxB+WglgNYw$ZZYDg+9KZqm6cWsaPOeF8x/sSlHb9O6j1rkDbHBWC+4"
if _hasher.check_needs_rehash(_DUMMY_HASH):
    _DUMMY_HASH = _hasher.hash("no such user: dummy password")


def normalize(password: str) -> str:
    """NFKC, as 800-63B asks, so the same password typed differently still matches."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(normalize(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or damaged hash never matches.

    Every call runs exactly one Argon2 verification (a missing or damaged hash is
    replaced by a dummy one), so the time taken does not tell which case it was.
    """
    usable = stored_hash if _parses(stored_hash) else None
    try:
        return _hasher.verify(usable or _DUMMY_HASH, normalize(password)) and usable is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _parses(stored_hash: str | None) -> bool:
    try:
        extract_parameters(stored_hash or "")
    except InvalidHashError:
        return False
    return True


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with parameters below today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def password_problem(
    password: str,
    *,
    username: str = "",
    display_name: str = "",
    clinic_words: Iterable[str] = (),
) -> str | None:
    """Why ``password`` may not be used, or None when it is acceptable."""
    text = normalize(password)
    if len(text) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (a few unrelated words are easy to remember)."
    if len(text) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        return "The password contains a control character; use letters, digits, symbols or spaces."
    weak = strength.weakness(text, MIN_GUESSES, [username, display_name, *clinic_words])
    if weak is None:
        return None
    lead = f"{weak.warning.rstrip('.')}. " if weak.warning else ""
    return (
        f"{lead}This password would be among the first {strength.order_of(weak.guesses)} "
        "guesses an attacker tries (common passwords, names, this clinic's words, with "
        "digits or symbols added). Use three or four unrelated words instead."
    )


def check_new_password(
    password: str,
    *,
    username: str = "",
    display_name: str = "",
    clinic_words: Iterable[str] = (),
) -> None:
    """Raise ValidationError(field='password') when the password may not be used."""
    problem = password_problem(password, username=username, display_name=display_name,
                               clinic_words=clinic_words)  # fmt: skip
    if problem:
        raise ValidationError(problem, field="password")
