"""Duplicate-name matching stated exactly: the typo allowance at 3, 4, 7 and 8 letters
(measured on the shorter name), hyphenated halves, nicknames and shortenings, swapped
first and last names, and what a name may contain, with the desk's words."""

from __future__ import annotations

import pytest

from ma_desk import names
from ma_desk.names import (
    could_be_confused,
    name_part_keys,
    name_problem,
    one_typo_keys,
    same_person_name,
    similar_given_name,
    similar_surname,
)


# ------------------------------------------------------------------ typo allowance
@pytest.mark.parametrize(
    "a, b, similar",
    [("Lee", "Lea", False),            # 3 letters: exact only
     ("Ross", "Rose", True),           # 4 letters: one typo
     ("Ross", "Rase", False),          # 4 letters: two typos
     ("Johnson", "Jonhson", True),     # 7 letters: a swap is one typo
     ("Johnson", "Jahnsan", False),    # 7 letters: two typos
     ("Anderson", "Endersan", True),   # 8 letters: two typos
     ("Anderson", "Enderzan", False),  # 8 letters: three typos
     ("Andersonn", "Andersn", False),  # the shorter name (7) sets the allowance: one
     ("Andersn", "Andersonn", False),
     ("ROSS", "rose", True)],          # case and accents do not count
)  # fmt: skip
def test_surname_typo_allowance_grows_with_the_shorter_name(a, b, similar):
    assert similar_surname(a, b) is similar
    assert similar_surname(b, a) is similar


@pytest.mark.parametrize(
    "a, b, similar",
    [("Ana", "Ane", False), ("Anya", "Anja", True), ("Anya", "Inja", False),
     ("Oyelaran", "Oyelaren", True), ("Oyelaran", "Oyalaren", True),
     ("Oyelaran", "Iyalaren", False)],
)  # fmt: skip
def test_given_name_typo_allowance_is_the_same(a, b, similar):
    assert similar_given_name(a, b) is similar
    assert similar_given_name(b, a) is similar


def test_edit_distance_counts_a_swap_as_one():
    assert names.edit_distance("ab", "ba") == 1
    assert names.edit_distance("abc", "abc") == 0
    assert names.edit_distance("abc", "xbcy") == 2


# ------------------------------------------------------------------ compound surnames
@pytest.mark.parametrize(
    "a, b, similar",
    [("García-López", "López", True), ("López", "García López", True),
     ("Lee-Smith", "Lee-Brown", True),   # a shared half of three letters counts
     ("Ng-Smith", "Ng-Brown", False),    # a shared half of two letters does not
     ("Van Dyke", "Van Horn", True),
     ("Ng-Smith", "Smith", True),       # the half left when a short one is not counted
     ("Li Smith", "Ng-Smith", True),
     ("Smith-Jones", "Brown", False), ("Smith", "Brown", False)],
)  # fmt: skip
def test_a_shared_half_of_a_compound_surname_matches(a, b, similar):
    assert similar_surname(a, b) is similar
    assert similar_surname(b, a) is similar


@pytest.mark.parametrize("a, b", [("", ""), ("", "Smith"), ("Smith", ""), ("!!", "!!")])
def test_a_name_without_letters_matches_nothing(a, b):
    assert similar_surname(a, b) is False
    assert similar_surname(b, a) is False
    assert similar_given_name(a, b) is False
    assert similar_given_name(b, a) is False
    assert names.nickname_related(a, b) is False


# ------------------------------------------------------------------ given names
@pytest.mark.parametrize(
    "a, b, similar",
    [("Bob", "Robert", True), ("Liz", "Beth", True), ("Bob", "Bill", False),
     ("Chris", "Christopher", True), ("Ven", "Venkatesh", True),  # shortening of 3+ letters
     ("Ve", "Venkatesh", False), ("Ven", "Vinkatesh", False), ("Maria", "maría", True)],
)  # fmt: skip
def test_given_names_match_by_nickname_or_shortening(a, b, similar):
    assert similar_given_name(a, b) is similar
    assert similar_given_name(b, a) is similar


def test_nicknames_are_related_both_ways_and_only_within_a_group():
    assert names.nickname_related("Bob", "ROBERT") and names.nickname_related("robert", "bob")
    assert not names.nickname_related("Bob", "Bill")
    assert not names.nickname_related("Venkatesh", "Venkatesh")  # not a nickname at all


# ------------------------------------------------------------------ the verdicts
@pytest.mark.parametrize(
    "a, b, why",
    [(("Maria", "Lopez"), ("MARÍA", "López"), "same name"),
     (("Maria", "Lopez"), ("Mária", "Lopes"), "similar name"),
     (("Robert", "Smith"), ("Bob", "Smith"), "similar name"),
     (("Maria", "Lopez"), ("Maria", "Smith"), None),
     (("Maria", "Lopez"), ("Lopez", "Maria"), "first and last name swapped"),
     (("Maria", "Lopez"), ("Lopes", "Marie"), "first and last name swapped"),
     (("Maria", "Lopez"), ("Lopez", "Anna"), None),
     (("Maria", "Lopez"), ("Smith", "Maria"), None)],
)  # fmt: skip
def test_why_two_names_may_be_one_person(a, b, why):
    assert same_person_name(*a, *b) == why
    assert same_person_name(*b, *a) == why


@pytest.mark.parametrize(
    "a, b, confused",
    [(("Chris", "Lee"), ("Christopher", "LEE"), True), (("Anya", "Lee"), ("Anja", "Lee"), True),
     (("Anya", "Lee"), ("Anja", "Lea"), False),       # family names must be the same
     (("Anya", "Lee"), ("Maria", "Lee"), False), (("Anya", ""), ("Anya", ""), False)],
)  # fmt: skip
def test_the_desk_alert_needs_the_same_family_name_and_a_similar_given_name(a, b, confused):
    assert could_be_confused(*a, *b) is confused
    assert could_be_confused(*b, *a) is confused


# ------------------------------------------------------------------ search keys
def test_one_typo_keys_are_every_key_one_typo_away_and_never_shorter_than_four():
    keys = one_typo_keys("abcd")
    assert len(keys) == 319 and list(keys) == sorted(keys)
    assert {"bacd", "abdc", "xbcd", "abxd", "abcdx", "xabcd", "abcxd"} <= set(keys)
    assert "abcd" not in keys and "abc" not in keys and "bcd" not in keys
    assert all(len(k) >= 4 and names.edit_distance("abcd", k) == 1 for k in keys)
    five = one_typo_keys("abcde")
    assert len(five) == 395
    assert {"abcd", "bcde", "abce", "bacde", "abced"} <= set(five)
    assert all(names.edit_distance("abcde", k) == 1 for k in five)


@pytest.mark.parametrize("key", ["", "a", "abc"])
def test_keys_shorter_than_four_have_no_typo_keys(key):
    assert one_typo_keys(key) == ()


def test_typo_min_length_is_four():
    assert names.TYPO_MIN_LENGTH == 4


def test_part_keys_are_the_later_parts_once_each_never_the_first():
    assert name_part_keys("López García") == ["garcia"]
    assert name_part_keys("Mary Ann") == ["ann"]
    assert name_part_keys("Jean-Luc Luc Jean") == ["luc"]
    assert name_part_keys("Ana – María ‐ Paz") == ["maria", "paz"]
    assert name_part_keys("Ana") == []
    assert name_part_keys("Ana !! Paz") == ["paz"]


# ------------------------------------------------------------------ what a name may hold
def test_clean_name_collapses_spaces_and_composes_accents():
    assert names.clean_name("  Ana \t  Mari\u0301a ") == "Ana Mar\u00eda"
    assert names.clean_name(" ") == ""


@pytest.mark.parametrize("length, ok", [(79, True), (80, True), (81, False)])
def test_names_are_limited_to_eighty_characters(length, ok):
    problem = name_problem("a" * length)
    assert problem == (None if ok else "Names are limited to 80 characters.")


@pytest.mark.parametrize(
    "name, problem",
    [("Ana\ud800", "The name contains a broken character (half of a pair, often left by "
                   "copy and paste). Delete the name and type it again."),
     ("Ana\u0378", "The name contains a character this computer does not know (U+0378). "
                   "Type the name again or leave that character out."),
     ("Ana\u0007", "The name contains an invisible control character (U+0007), often "
                   "pasted from another program. Delete the name and type it again."),
     ("Ana\ue000", "The name contains an invisible control character (U+E000), often "
                   "pasted from another program. Delete the name and type it again."),
     ("Ana\u202e", "The name contains an invisible control character (U+202E), often "
                   "pasted from another program. Delete the name and type it again."),
     ("123", "A name needs at least one letter (in any alphabet or script)."),
     ("", "A name needs at least one letter (in any alphabet or script)."),
     ("\u0645\u06cc\u200c\u0631\u0648\u062f", None), ("\u0915\u094d\u200d\u0937", None),
     ("A", None), ("李", None)],
)  # fmt: skip
def test_what_a_name_may_contain(name, problem):
    assert name_problem(name) == problem


def test_the_nickname_index_puts_each_name_in_every_group_it_belongs_to():
    index = names._build_nickname_index()
    assert index == names._NICKNAMES
    assert all(isinstance(groups, frozenset) and groups for groups in index.values())
    assert len(index["al"]) >= 2  # Albert, Alfred, Alan
    assert index["bob"] & index["robert"] and not index["bob"] & index["bill"]
    lines = names._NICKNAME_GROUPS.strip().splitlines()
    assert set(index) == {name for line in lines for name in line.split()}
    assert set().union(*index.values()) == set(range(len(lines)))
