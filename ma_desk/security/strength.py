"""How many guesses a secret would take, and a generated word passphrase.

The estimate is zxcvbn's (Dropbox's model of how real attackers guess: common
passwords, dictionary words, names, keyboard walks, dates, l33t, repeats), so
"Admin123!" counts as a few hundred thousand guesses however many character
classes it mixes. Words of the clinic itself (its name, its people) are added
to zxcvbn's dictionaries by the caller, because an attacker targeting one
clinic tries those first.

The suggested passphrase is six words drawn with ``secrets`` from the EFF's
long Diceware list (7,776 words, CC BY 3.0 US, shipped with the xkcdpass
package): log2(7776^6) = 77.5 bits, far beyond any offline attack on the
store file.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

# zxcvbn refuses longer input (its matching is quadratic); the first 72 characters
# are scored, a safe under-estimate for anything longer.
ESTIMATE_CHARS = 72
SUGGESTED_WORDS = 6
# Runs of words are formed from this many words of each text at most (a clinic name
# of 12 words gives 78 runs; zxcvbn's own lists have tens of thousands of entries).
MAX_WORDS_PER_TEXT = 12
# A suggestion is drawn again in the (astronomically rare) case zxcvbn thinks it weak.
SUGGEST_TRIES = 20
_WORD = re.compile(r"[^\W\d_]{2,}")
_SEPARATORS = re.compile(r"[\s\-_.,;:+/|]+")


def words_of(texts: Iterable[str]) -> list[str]:
    """Each text's words of 2+ letters, then every run of them written as one word.

    "Maple Grove Family Practice" gives maple ... practice, maplegrove,
    maplegrovefamily, grovefamilypractice ...: zxcvbn scores a known run as one
    cheap guess where it would count separate words as four pieces.
    """
    found: list[str] = []
    for text in texts:
        words = _WORD.findall(text.casefold())[:MAX_WORDS_PER_TEXT]
        found.extend(words)
        found.extend(
            "".join(words[start:end])
            for start in range(len(words))
            for end in range(start + 2, len(words) + 1)
        )
    return list(dict.fromkeys(found))


def squashed(secret: str) -> str:
    """Without spaces and the usual word separators."""
    return _SEPARATORS.sub("", secret)


@dataclass(frozen=True)
class Estimate:
    guesses: float  # how many guesses an attacker needs, by zxcvbn's model
    warning: str  # zxcvbn's hint ("This is a top-100 common password"), may be empty


def _zxcvbn(text: str, words: list[str]) -> Estimate:
    from zxcvbn import zxcvbn  # its word lists take ~0.1 s to load: not at start-up

    if not text:  # zxcvbn itself fails on ""
        return Estimate(1.0, "Nothing to guess")
    verdict = zxcvbn(text[:ESTIMATE_CHARS], user_inputs=words)
    return Estimate(float(verdict["guesses"]), str(verdict["feedback"].get("warning") or ""))


def estimate(secret: str, extra_words: Iterable[str] = ()) -> Estimate:
    """zxcvbn's estimate for ``secret`` (its first 72 characters), knowing ``extra_words``.

    zxcvbn adds a large penalty per extra piece of a password, so "amara okafor 1985"
    scores 10^12 with its spaces and 10^8 without. Attackers try word-space-word
    first, so the lower of the two estimates counts.
    """
    words = words_of(extra_words)
    return min((_zxcvbn(secret, words), _zxcvbn(squashed(secret), words)),
               key=lambda found: found.guesses)  # fmt: skip


def weakness(secret: str, min_guesses: float, extra_words: Iterable[str] = ()) -> Estimate | None:
    """None when ``secret`` needs at least ``min_guesses`` guesses, else the estimate."""
    found = estimate(secret, extra_words)
    return None if found.guesses >= min_guesses else found


def order_of(guesses_needed: float) -> str:
    """'about 10^5', for messages that say how quickly something would fall."""
    digits = max(0, len(str(int(guesses_needed))) - 1)
    return f"about 10^{digits}"


@functools.cache
def eff_long_words() -> tuple[str, ...]:
    """The EFF long word list, every one of its 7,776 words."""
    from xkcdpass import xkcd_password

    path = xkcd_password.locate_wordfile("eff-long")
    words = sorted(xkcd_password.generate_wordlist(wordfile=path, min_length=1, max_length=64))
    return tuple(words)


def suggest_passphrase(min_guesses: float, words: int = SUGGESTED_WORDS) -> str:
    """Random words from the EFF list, separated by spaces, that pass ``min_guesses``."""
    pool = eff_long_words()
    for _ in range(SUGGEST_TRIES):
        phrase = " ".join(secrets.choice(pool) for _ in range(words))
        if weakness(phrase, min_guesses) is None:
            return phrase
    raise RuntimeError("no strong passphrase in 20 draws: the word list is broken")
