"""When two written names may belong to the same person.

Used before a new patient is saved (duplicate check) and at the desk (the
"name alert" when two of today's patients could be confused). The rules are
deliberately generous: a false alarm costs a glance, a missed duplicate
splits a chart. Everything works on ``fold``-ed names (case, accents and
punctuation removed).
"""

from __future__ import annotations

from functools import lru_cache

from ma_desk.text import fold

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


@lru_cache(maxsize=4096)
def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment): one typo, one swap = 1."""
    if a == b:
        return 0
    if not a or not b:
        return len(a) or len(b)
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


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
    parts_a = {fold(p) for p in a.replace("-", " ").split() if len(fold(p)) >= 3}
    parts_b = {fold(p) for p in b.replace("-", " ").split() if len(fold(p)) >= 3}
    return bool(parts_a & parts_b) and (len(parts_a) > 1 or len(parts_b) > 1)


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
