"""Units of the vital signs, stated exactly: what staff type, the words they see when it
is refused, and how converted values are shown (killing mutation survivors, issue 17)."""

from __future__ import annotations

import pytest

from ma_desk.clinical import units as u
from ma_desk.clinical.units import CEL, CM, DEGF, IN, KG, KG_M2, LB, MMHG, PER_MIN, UnitError


# ------------------------------------------------------------------ parsing: what is kept
@pytest.mark.parametrize(
    ("typed", "unit", "value", "kept_unit", "kept_text"),
    [
        ("70 kg", LB, 70.0, KG, "70"),  # a suffix switches the unit; the text is the number
        ("70.500 kg", LB, 70.5, KG, "70.5"),
        ("98.6F", CEL, 98.6, DEGF, "98.6"),
        (" 7 lb 8 oz ", LB, 7.5, LB, "7 lb 8 oz"),  # compound forms keep what was typed
        ("7 8", LB, 7.5, LB, "7 8"),
        ("8 oz", LB, 0.5, LB, "8 oz"),
        ("5'7\"", IN, 67.0, IN, "5'7\""),
        ("5 ft", IN, 60.0, IN, "5 ft"),  # feet alone: no inches, not one
        ("6'", IN, 72.0, IN, "6'"),
    ],
)
def test_what_is_typed_is_read_and_kept(typed, unit, value, kept_unit, kept_text):
    parsed = u.parse_quantity(typed, unit)
    assert parsed == u.Parsed(pytest.approx(value), kept_unit, kept_text)


@pytest.mark.parametrize(
    "typed", ["7 LB 8 OZ", "7 Lb 8 Oz", "7 # 8", "7# 8", "7 lb 8", "7 LB 8", "7 8 oz", "7 8 OZ"]
)
def test_pounds_and_ounces_are_read_in_any_case_and_with_a_hash_in_a_kg_field(typed):
    """In a kg field a bare "7 8" is not pounds and ounces; a typed mark makes it so."""
    assert u.parse_quantity(typed, KG) == u.Parsed(7.5, LB, typed)


@pytest.mark.parametrize("typed", ["8 OZ", "8 Oz"])
def test_ounces_alone_in_any_case(typed):
    assert u.parse_quantity(typed, KG) == u.Parsed(0.5, LB, typed)


def test_a_bare_pair_of_numbers_is_not_pounds_and_ounces_in_a_kg_field():
    with pytest.raises(UnitError, match=r"^'7 8' is not a number\.$"):
        u.parse_quantity("7 8", KG)


def test_a_field_without_alternatives_reads_only_its_own_unit():
    assert u.parse_quantity("72", PER_MIN) == u.Parsed(72.0, PER_MIN, "72")
    with pytest.raises(UnitError, match=r"^'kg' is not a unit for this field\.$"):
        u.parse_quantity("72 kg", PER_MIN)


# ------------------------------------------------------------------ parsing: refusals
@pytest.mark.parametrize(
    ("typed", "unit", "message"),
    [
        ("", LB, "Empty."),
        ("   ", LB, "Empty."),
        ("1" * 21, LB, "Too long: type just the number."),
        ("7 lb 16 oz", LB, "Ounces must be under 16 (16 oz = 1 lb)."),
        ("5'12\"", IN, "Inches after feet must be under 12."),
        ("70 cm", LB, "'cm' is not a unit for this field."),
        ("abcdefghijklmnop", LB, "'abcdefghijkl…' is not a number."),
    ],
)
def test_refusals_say_what_to_fix_in_these_words(typed, unit, message):
    with pytest.raises(UnitError) as refused:
        u.parse_quantity(typed, unit)
    assert str(refused.value) == message


@pytest.mark.parametrize(("length", "refused"), [(19, False), (20, False), (21, True)])
def test_the_longest_text_is_twenty_characters(length, refused):
    typed = "x" * length  # never a number: refused either way, but in which words?
    for parse in (lambda t: u.parse_quantity(t, LB), u.parse_plain):
        with pytest.raises(UnitError) as error:
            parse(typed)
        too_long = str(error.value) == "Too long: type just the number."
        assert too_long is refused


@pytest.mark.parametrize(
    ("typed", "message"),
    [("x" * 21, "Too long: type just the number."), ("12a", "'12a' is not a number."),
     ("abcdefghijklm", "'abcdefghijkl…' is not a number.")],
)  # fmt: skip
def test_plain_numbers_refuse_in_these_words(typed, message):
    with pytest.raises(UnitError) as refused:
        u.parse_plain(typed)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("text", "clipped"),
    [("a" * 11, "a" * 11), ("a" * 12, "a" * 12), ("a" * 13, "a" * 12 + "…")],
)
def test_a_refused_text_is_quoted_up_to_twelve_characters(text, clipped):
    assert u._clip(text) == clipped


# ------------------------------------------------------------------ display
@pytest.mark.parametrize(
    ("unit", "value", "decimals"),
    [(KG, 9.99, 2), (KG, 10.0, 1), (KG, 10.5, 1), (KG, -9.99, 2), (KG, None, 1),
     (LB, 9.0, 1), (CM, 5.0, 1), (IN, 5.0, 1), (CEL, 5.0, 1), (DEGF, 5.0, 1),
     (KG_M2, 5.0, 1), (MMHG, 5.0, 0), (PER_MIN, 5.0, 0)],
)  # fmt: skip
def test_display_decimals_per_unit(unit, value, decimals):
    assert u.display_decimals(unit, value) == decimals


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [(70.0, 1, "70"), (70.5, 1, "70.5"), (70.50, 3, "70.5"), (100.0, 0, "100"),
     (-0.0, 1, "0"), (-0.04, 1, "0"), (0.0, 2, "0"), (float("nan"), 1, ""),
     (float("inf"), 1, "")],
)  # fmt: skip
def test_format_number_drops_only_needless_zeros(value, decimals, text):
    assert u.format_number(value, decimals) == text


def test_small_kilograms_are_shown_with_two_decimals_and_others_with_one():
    assert u.format_in(3.456, KG) == "3.46"  # an infant: grams matter
    assert u.format_in(70.456, KG) == "70.5"
    assert u.format_in(2.54, IN) == "1"
    assert u.format_in(25.4, IN) == "10"
    assert u.format_in(100.0, IN) == "39.4"


@pytest.mark.parametrize(
    ("kg", "text"), [(3.402, "7 lb 8 oz"), (0.45359237, "1 lb 0 oz"), (7.711, "17 lb 0 oz")]
)
def test_infant_weights_in_pounds_and_ounces(kg, text):
    assert u.format_pounds_ounces(kg) == text


def test_labels_of_known_and_unknown_units():
    assert u.label(LB) == "lb" and u.label(CEL) == "°C"
    assert u.label("mystery") == "mystery"
