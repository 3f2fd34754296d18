"""Names in any script: what may be saved, their search keys, and when two may be one person.

A name is stored as typed (NFC-normalised, spaces collapsed) and searched by its
romanised key (``fold``: "Иван" -> "ivan"), so staff find a patient by typing the
name in Latin letters or in its own script. Names are checked at registration and
on every edit. Matching is used before a new patient is saved (duplicate check)
and at the desk (the "name alert" when two of today's patients could be confused).
The rules are deliberately generous: a false alarm costs a glance, a missed
duplicate splits a chart. Everything works on ``fold``-ed names (romanised; case,
accents and punctuation removed).
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

from ma_desk.text import fold

NAME_MAX_LENGTH = 80
# Zero-width joiner and non-joiner are spelling in Persian, Urdu and Indic scripts
# (and inside emoji sequences); every other format or control character is refused,
# e.g. the bidi overrides that make a name read differently from how it is stored.
ALLOWED_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})
# Where a name splits into parts for "any part of the name" search: spaces and dashes.
_PART_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30a0\ufe58\ufe63\uff0d]+")
# Search keys are lowercase ASCII letters and digits (``fold``).
_KEY_ALPHABET = string.ascii_lowercase + string.digits
TYPO_MIN_LENGTH = 4  # shorter names match exactly: "Lee" and "Lea" are different people


def clean_name(value: str) -> str:
    """A name as it will be stored: NFC (one code point per accented letter), spaces collapsed."""
    return unicodedata.normalize("NFC", " ".join(str(value).split()))


def name_problem(value: str) -> str | None:
    """What is wrong with a name (already ``clean_name``-ed), in words for the desk, or None."""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            return ("The name contains a broken character (half of a pair, often left by "
                    "copy and paste). Delete the name and type it again.")  # fmt: skip
        if category == "Cn":
            return ("The name contains a character this computer does not know "
                    f"(U+{ord(ch):04X}). Type the name again or leave that character out.")  # fmt: skip
        if category in ("Cc", "Co") or (category == "Cf" and ch not in ALLOWED_FORMAT_CHARACTERS):
            return ("The name contains an invisible control character "
                    f"(U+{ord(ch):04X}), often pasted from another program. "
                    "Delete the name and type it again.")  # fmt: skip
    if len(value) > NAME_MAX_LENGTH:
        return f"Names are limited to {NAME_MAX_LENGTH} characters."
    if not any(unicodedata.category(ch).startswith("L") for ch in value):
        return "A name needs at least one letter (in any alphabet or script)."
    return None


def name_part_keys(name: str) -> list[str]:
    """Search keys of the parts after the first ("López García" -> ["garcia"]), so that any
    part of a compound name, or a second given name ("Mary Ann" -> "ann"), finds it."""
    keys = [fold(part) for part in _PART_SEPARATORS.split(name)]
    keys = [key for key in keys if key]
    return list(dict.fromkeys(key for key in keys[1:] if key != keys[0]))


@lru_cache(maxsize=256)
def one_typo_keys(key: str) -> tuple[str, ...]:
    """Every search key one typo away (a letter wrong, missing, extra, or two swapped),
    none shorter than ``TYPO_MIN_LENGTH``; empty for a key shorter than that."""
    if len(key) < TYPO_MIN_LENGTH:
        return ()
    found: set[str] = set()
    for i in range(len(key) + 1):
        head, tail = key[:i], key[i:]
        found.update(head + ch + tail for ch in _KEY_ALPHABET)
        if tail:
            found.update(head + ch + tail[1:] for ch in _KEY_ALPHABET)
            found.add(head + tail[1:])
        if len(tail) > 1:
            found.add(head + tail[1] + tail[0] + tail[2:])
    found.discard(key)
    return tuple(sorted(k for k in found if len(k) >= TYPO_MIN_LENGTH))


# Each line is one group of given names people use interchangeably (US English
# usage). A name may sit in several groups (e.g. "al": Albert, Alfred, Alan).
_NICKNAME_GROUPS = """
abigail abby abbie gail
abraham abe bram
albert al bert bertie
alexander alex alec xander sandy lex
alexandra alex alexa sandra sandy lexi
alfred al fred freddie alfie
alan al allen allan
allison ally allie alison
amanda mandy manda
andrew andy drew
angela angie
anthony tony
antonio tony toni
arthur art artie
barbara barb barbie babs
benjamin ben benny benji
bernard bernie
beverly bev
bradley brad
calvin cal
cameron cam
carol carrie caroline carolyn
catherine cathy kate katie cat kathy
charles charlie chuck chas chaz
charlotte charlie lottie
christina chris tina christy kristy
christine chris tina chrissy
christopher chris kit topher
cynthia cindy
daniel dan danny
david dave davey
deborah debbie deb debra
dennis denny
donald don donnie
dorothy dot dottie dolly
douglas doug
edward ed eddie ted ned teddy
edwin ed eddie
eleanor ellie nora elly
elizabeth liz beth lizzie betty eliza libby betsy bess lisa
emily em emmy
emma em emmy
eugene gene
frances fran fannie frankie
francis frank fran
franklin frank
frederick fred freddie fritz
gabriel gabe
gabriella gabby ella
gerald gerry jerry
geraldine gerry jerry
gregory greg
harold hal harry
harrison harry
henry hank harry hal
herbert herb bert
isaac ike
isabel izzy bella isabella
jacob jake jay
james jim jimmy jamie
janet jan
jacqueline jackie jacqui
jeffrey jeff
jennifer jen jenny jenn
jessica jess jessie
john jack johnny jon
jonathan jon john jonny nathan
joseph joe joey jose
josephine jo josie
joshua josh
judith judy
julia julie jules
katherine kate katie kathy kat kay kitty katy
kathleen kathy kate kat
kenneth ken kenny
kimberly kim
lawrence larry laurie
leonard len lenny leo
leslie les
lillian lily lil
louis lou louie
louise lou lulu
lucas luke
lucille lucy
margaret maggie meg peggy marge margie greta daisy
martha marty mattie
martin marty
mary molly polly mae maria marie
matthew matt matty
melissa mel missy lisa
michael mike mikey mick mickey
michelle shelly micki
miriam mimi
mitchell mitch
nathaniel nate nathan nat
nicholas nick nicky
nicole nicky nikki
pamela pam
patricia pat patty trish tricia patsy
patrick pat paddy rick
peter pete
philip phil pip
phillip phil
rachel rach
raymond ray
rebecca becky becca
richard rick dick rich ricky richie
robert bob bobby rob robbie bert
roberta bobbie robbie
ronald ron ronnie
rosemary rose rosie
samantha sam sammy
samuel sam sammy
sandra sandy
sarah sally sadie sara
stephanie steph stephie
stephen steve stevie
steven steve stevie
susan sue susie suzy
suzanne sue susie suzy
terrence terry
theodore ted teddy theo
thomas tom tommy
timothy tim timmy
valerie val
veronica ronnie nica
victoria vicky tori vic
vincent vince vinny
walter walt wally
william bill will willy billy liam
zachary zach zack
"""


def _build_nickname_index() -> dict[str, frozenset[int]]:
    index: dict[str, set[int]] = {}
    for number, line in enumerate(_NICKNAME_GROUPS.strip().splitlines()):
        for name in line.split():
            index.setdefault(name, set()).add(number)
    return {name: frozenset(groups) for name, groups in index.items()}


_NICKNAMES = _build_nickname_index()


def nickname_related(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are nicknames of each other (Bob / Robert, Liz / Beth)."""
    fa, fb = fold(a), fold(b)
    return bool(fa and fb and _NICKNAMES.get(fa, frozenset()) & _NICKNAMES.get(fb, frozenset()))


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): one typo, one swap = 1."""
    return OSA.distance(a, b)


def _typo_allowance(a: str, b: str) -> int:
    shortest = min(len(a), len(b))
    if shortest <= 3:
        return 0
    return 1 if shortest <= 7 else 2


def similar_surname(a: str, b: str) -> bool:
    """Same family name give or take a typo or one half of a hyphenated name."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return False
    if fa == fb or edit_distance(fa, fb) <= _typo_allowance(fa, fb):
        return True
    # Halves of three letters or more: "Ng-Smith" and "Smith" share "smith"; "Ng" is too
    # short to count ("Ng-Smith" and "Ng-Brown" are different families).
    parts_a = {fold(p) for p in a.replace("-", " ").split() if len(fold(p)) >= 3}
    parts_b = {fold(p) for p in b.replace("-", " ").split() if len(fold(p)) >= 3}
    return bool(parts_a & parts_b)


def similar_given_name(a: str, b: str) -> bool:
    """Same given name give or take a typo, a nickname, or a shortening (Chris / Christopher)."""
    fa, fb = fold(a), fold(b)
    if not fa or not fb:
        return False
    if fa == fb or nickname_related(fa, fb):
        return True
    if edit_distance(fa, fb) <= _typo_allowance(fa, fb):
        return True
    short, long_ = sorted((fa, fb), key=len)
    return len(short) >= 3 and long_.startswith(short)


def same_person_name(first_a: str, last_a: str, first_b: str, last_b: str) -> str | None:
    """Why two names may be one person ("similar name", "first and last swapped"), or None."""
    if similar_surname(last_a, last_b) and similar_given_name(first_a, first_b):
        if fold(first_a) == fold(first_b) and fold(last_a) == fold(last_b):
            return "same name"
        return "similar name"
    if similar_surname(last_a, first_b) and similar_surname(first_a, last_b):
        return "first and last name swapped"
    return None


def could_be_confused(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """For the desk's name alert: same family name and a similar given name."""
    fa, fb = fold(last_a), fold(last_b)
    return bool(fa) and fa == fb and similar_given_name(first_a, first_b)
