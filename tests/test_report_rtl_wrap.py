"""A right-to-left paragraph of several lines prints its lines in typed order.

Bidi is applied to each line after wrapping: reversing the whole paragraph first would put
its last words on the first line. Each note is made of distinct words, so every extracted
line must hold the next run of the note's words, in both extractors (pdftotext and pypdf).
"""

from __future__ import annotations

import datetime as dt
import itertools
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ma_desk.reports import fonts
from ma_desk.reports.data import HandoutDoc
from ma_desk.reports.handout import build_handouts
from ma_desk.reports.visit_summary import build_visit_summary
from tests.conftest import NOW
from tests.pdf_extract import have_pdftotext
from tests.report_helpers import CLINIC, pdf_text, summary_data

HEBREW = "אבגדהוזחטיכלמנסעפצקרשת"
ARABIC = "بتثجحخدذرزسشصضطظعغفقكمنهوي"  # no alef/lam: no ligature merges two words' letters


def distinct_words(letters: str, count: int) -> list[str]:
    """``count`` different three-letter words (every word appears once in the note)."""
    return ["".join(w) for w in itertools.islice(itertools.permutations(letters, 3), 0, None, 37)
            ][:count]  # fmt: skip


def pdftotext_lines(pdf: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
                              capture_output=True, check=True, timeout=60)  # fmt: skip
    return done.stdout.decode("utf-8").splitlines()


def note_lines(lines: list[str], words: list[str]) -> list[list[str]]:
    """Per printed line holding note words, those words (read either way, letters NFKC'd
    back from Arabic presentation forms), in the line's order top to bottom."""
    known = set(words)
    found = []
    for line in lines:
        visible = "".join(ch for ch in line if unicodedata.category(ch) != "Cf")  # bidi marks
        tokens = unicodedata.normalize("NFKC", visible).split()
        hits = [t if t in known else t[::-1] for t in tokens if t in known or t[::-1] in known]
        if hits:
            found.append(hits)
    return found


def assert_typed_line_order(lines: list[str], words: list[str]) -> None:
    printed = note_lines(lines, words)
    assert len(printed) >= 3, printed  # the note really wraps
    position = 0
    for line in printed:
        expected = words[position : position + len(line)]
        assert sorted(line) == sorted(expected), (line, expected)
        position += len(line)
    assert position == len(words)


@pytest.mark.skipif(not have_pdftotext(), reason="poppler-utils (pdftotext) missing")
@pytest.mark.parametrize("letters", [HEBREW, ARABIC], ids=["hebrew", "arabic"])
def test_long_rtl_note_on_the_summary_keeps_its_line_order(letters):
    words = distinct_words(letters, 90)
    allergies = distinct_words(letters[::-1], 30)  # in a half-width table cell
    pdf = build_visit_summary(summary_data(instructions=" ".join(words),
                                           allergies=" ".join(allergies)))  # fmt: skip
    for lines in (pdftotext_lines(pdf), pdf_text(pdf).splitlines()):
        assert_typed_line_order(lines, words)
        assert_typed_line_order(lines, allergies)


@pytest.mark.skipif(not have_pdftotext(), reason="poppler-utils (pdftotext) missing")
@pytest.mark.parametrize("letters", [HEBREW, ARABIC], ids=["hebrew", "arabic"])
def test_long_rtl_handout_paragraph_and_bullet_keep_their_line_order(letters):
    words = distinct_words(letters, 70)
    bullet = distinct_words(letters[::-1], 40)
    body = " ".join(words) + "\n\n- " + " ".join(bullet)
    doc = HandoutDoc(CLINIC, "Note", body, "en", "Rosa Pérez", NOW.date(),
                     dt.date(1961, 3, 14), "M100042")  # fmt: skip
    pdf = build_handouts([doc])
    for lines in (pdftotext_lines(pdf), pdf_text(pdf).splitlines()):
        assert_typed_line_order(lines, words)
        assert_typed_line_order(lines, bullet)


def test_mixed_line_keeps_left_to_right_parts_in_place():
    words = distinct_words(HEBREW, 40)
    text = "Take 2 tablets " + " ".join(words) + " then rest."
    lines = fonts.wrap_lines(text, 200, size=12)
    assert lines[0].startswith("Take 2 tablets")
    assert " ".join(lines) == text
    assert fonts.visual(lines[0]).startswith("Take 2 tablets")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(HEBREW + ARABIC + "abc 12\n"), max_size=300),
       st.floats(min_value=20, max_value=400))  # fmt: skip
def test_wrapped_lines_fit_and_lose_nothing(text, width):
    lines = fonts.wrap_lines(text, width, size=11)
    for line in lines:
        assert fonts.text_width(line, size=11) <= width + fonts.FIT_TOLERANCE or len(line) == 1
    assert "".join("".join(lines).split()) == "".join(fonts.clean(text).split())


@pytest.mark.parametrize("width", [5.0, 30.0, 30.5])
def test_a_word_wider_than_the_line_is_cut_between_letters(width):
    word = "".join(HEBREW)
    lines = fonts.wrap_lines(word, width, size=11)
    assert "".join(lines) == word and len(lines) > 1
    for line in lines:
        assert fonts.text_width(line, size=11) <= width + fonts.FIT_TOLERANCE or len(line) == 1
