"""Password hashing and the NIST SP 800-63B rules for choosing a password.

Hashes are Argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1 at the
minimum; we use the same memory and one more pass). A stored hash made with
weaker parameters is re-hashed at the next successful sign-in. The rules are
length only (8 to 256 characters, any printable character or space) plus a
check against a bundled list of common passwords; no composition rules.
"""

from __future__ import annotations

import functools
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ma_desk.errors import ValidationError
from ma_desk.paths import resource

MIN_LENGTH = 8
MAX_LENGTH = 256
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
    """True when ``password`` matches; a missing or damaged hash never matches."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, normalize(password)) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with parameters below today's."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


@functools.cache
def common_passwords() -> frozenset[str]:
    path = resource("security", "common-passwords.txt")
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str, *, username: str = "", display_name: str = "") -> str | None:
    """Why ``password`` may not be used, or None when it is acceptable."""
    text = normalize(password)
    if len(text) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters (a short sentence is easy to remember)."
    if len(text) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        return "The password contains a control character; use letters, digits, symbols or spaces."
    folded = text.casefold()
    if folded in common_passwords() or folded.strip() in common_passwords():
        return "This password is on the list of commonly used passwords; choose another."
    if len(set(folded)) <= 2:
        return "This password repeats one or two characters; choose something less guessable."
    for own in (username, display_name):
        own = own.casefold().strip()
        if own and len(own) >= 3 and (folded == own or folded.startswith(own) and
                                      folded[len(own):].isdigit()):  # fmt: skip
            return "The password must not be your name or user name."
    return None


def check_new_password(password: str, *, username: str = "", display_name: str = "") -> None:
    """Raise ValidationError(field='password') when the password may not be used."""
    problem = password_problem(password, username=username, display_name=display_name)
    if problem:
        raise ValidationError(problem, field="password")
