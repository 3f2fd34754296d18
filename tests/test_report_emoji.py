"""Emoji after Unicode 8 print as glyphs (Noto Emoji subset), and a symbol no bundled font
has prints as its name in brackets, never as an empty box."""

from __future__ import annotations

import subprocess
import tempfile
import unicodedata
from pathlib import Path

import emoji
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ma_desk.reports import fonts
from ma_desk.reports.data import PatientHeader
from ma_desk.reports.visit_summary import build_visit_summary
from tests.pdf_extract import have_pdftotext
from tests.report_helpers import summary_data

NEW_EMOJI = "🥰🩺🫶🦷🧪🥼🩹🫁🩸"  # Unicode 10 to 14: Symbola 2.60 has none of them


def single_character_emoji() -> list[str]:
    """Every emoji of CLDR's list that is one character (with or without its U+FE0F)."""
    return sorted({e[0] for e in emoji.EMOJI_DATA if len(e) == 1 or e[1:] == "\ufe0f"})


def test_every_single_character_emoji_has_a_glyph():
    everyone = single_character_emoji()
    assert len(everyone) > 1300
    assert [e for e in everyone if fonts.missing_glyphs(e)] == []


def test_new_emoji_come_from_noto_emoji():
    assert {font for font, _ in fonts.runs(NEW_EMOJI)} == {fonts.NOTO_EMOJI}
    assert fonts.clean(NEW_EMOJI) == NEW_EMOJI


@pytest.mark.skipif(not have_pdftotext(), reason="poppler-utils (pdftotext) missing")
def test_new_emoji_print_and_read_back_from_the_summary():
    data = summary_data(patient=PatientHeader("Rosa 🥰 Pérez", summary_data().patient.dob,
                                              "M100042"),
                        instructions=f"Bring this {NEW_EMOJI} back.")  # fmt: skip
    pdf = build_visit_summary(data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        text = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
                              capture_output=True, check=True, text=True).stdout  # fmt: skip
        listed = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                                text=True).stdout  # fmt: skip
    assert NEW_EMOJI in "".join(text.split()) and "Rosa🥰Pérez" in "".join(text.split())
    row = next(line.split() for line in listed.splitlines() if "NotoEmoji" in line)
    assert row[-5:-2] == ["yes", "yes", "yes"]  # embedded, subset, with a ToUnicode map


def printed(text: str) -> str:
    """What a document draws for ``text`` (in drawing order; no right-to-left here)."""
    return "".join(run for _font, run in fonts.runs(fonts.clean(text)))


def _symbols_without_a_font() -> list[str]:
    return [chr(c) for c in range(0x2000, 0x20000)
            if unicodedata.category(chr(c)) == "So" and fonts.font_for(chr(c)) is None]  # fmt: skip


def test_a_symbol_no_font_has_prints_as_its_name():
    missing = _symbols_without_a_font()
    assert missing, "every symbol has a font now: this fallback can go"
    ch = missing[0]
    assert printed(f"a{ch}b") == f"a[{unicodedata.name(ch).lower()}]b"
    assert fonts.clean(f"a{ch}b") == f"a{ch}b"  # named on paper only, kept as typed elsewhere
    assert not fonts.missing_glyphs(f"a{ch}b")
    assert f"[{unicodedata.name(ch).lower()}]" in fonts.para(f"a{ch}b")


@given(st.text(alphabet=st.characters(categories=["So"]), max_size=20))
def test_no_symbol_ever_prints_as_a_box(text):
    assert not fonts.missing_glyphs(text)
    assert all(fonts.font_for(ch) for ch in printed(text))


def test_symbol_name_is_lower_case_in_brackets():
    assert fonts.symbol_name("\u214a") == "[property line]"
