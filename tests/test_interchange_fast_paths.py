"""The faster forms of checks a 100,000-row import runs on every cell (issue 18 item 5) say
exactly what the plain character loops they replaced said."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from ma_desk.services.patients import _text_problem
from ma_desk.text import phone_digits


def _problem_by_loop(value: str) -> str | None:
    """The character loop _text_problem used before it became two regexes."""
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "broken"
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        return "control"
    return None


def _kind(problem: str | None) -> str | None:
    if problem is None:
        return None
    return "broken" if "broken character" in problem else "control"


def test_every_code_point_is_judged_as_the_loop_judged_it():
    wrong = [hex(code) for code in range(sys.maxunicode + 1)
             if _kind(_text_problem(f"ab{chr(code)}c")) != _problem_by_loop(f"ab{chr(code)}c")]  # fmt: skip
    assert wrong == []


@given(st.text(st.characters(codec=None), max_size=60))
def test_any_text_is_judged_as_the_loop_judged_it(value):
    assert _kind(_text_problem(value)) == _problem_by_loop(value)


@given(st.text(max_size=30))
def test_phone_digits_keeps_every_digit_the_loop_kept(text):
    digits = "".join(ch for ch in text if ch.isdigit())
    expected = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    assert phone_digits(text) == expected
