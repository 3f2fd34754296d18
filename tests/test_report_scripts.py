"""Every script a clinic meets, on every printed document.

The bundled fonts are checked by their own cmaps (fontTools, not ReportLab), and each
document builder is fed the same multi-script patients. The PDFs are read back with two
independent extractors (pypdf and poppler's pdftotext), which both put right-to-left text
back in logical order: a name must come back as it was typed (after NFKC, which turns
Arabic's joined presentation forms back into letters), no character may fall to a box,
and poppler's pdffonts must find every font embedded and subset.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from hypothesis import given, settings
from hypothesis import strategies as st

from ma_desk.downtime import FaceSheet, ScheduleLine, Snapshot
from ma_desk.paths import resource
from ma_desk.reports import fonts
from ma_desk.reports.data import HandoutDoc, LabelData, PatientHeader
from ma_desk.reports.downtime import face_sheet_pdf, schedule_pdf
from ma_desk.reports.end_of_day import build_end_of_day
from ma_desk.reports.handout import build_handouts
from ma_desk.reports.labels import build_labels
from ma_desk.reports.visit_summary import build_visit_summary
from tests.report_helpers import CLINIC, busy_day, pdf_text, summary_data

# What resources/fonts/README.md promises, script by script: sample text and the font file
# whose cmap must hold every character of it.
COVERAGE = {
    "Latin (accents)": ("José Ångström-Müller Łukasz Ñúñez ßøæœ", "DejaVuSans.ttf"),
    "Vietnamese": ("Nguyễn Văn An Trần Thị Hồng Phạm Đức Lưỡng", "DejaVuSans.ttf"),
    "Greek": ("Γεώργιος Παπαδόπουλος", "DejaVuSans.ttf"),
    "Cyrillic": ("Иван Петров Анна Іванівна Ђорђе", "DejaVuSans.ttf"),
    "Hebrew": ("דוד כהן שָׁלוֹם", "DejaVuSans.ttf"),
    "Arabic": ("محمد العلي فاطمة الزهراء", "DejaVuSans.ttf"),
    "Arabic joined forms": ("ﻣﺤﻤﺪ ﺍﻟﻌﻠﻲ ﻻ", "DejaVuSans.ttf"),
    "Chinese simplified": ("王小明 张伟 刘洋 医生 预约", "DroidSansFallbackFull.ttf"),
    "Chinese traditional": ("陳大文 黃誌明 醫師 預約", "DroidSansFallbackFull.ttf"),
    "Japanese": ("山田太郎 さくら カタカナ", "DroidSansFallbackFull.ttf"),
    "Korean": ("김민준 이서연 박지훈 최유진 한글", "MADeskHangul-Regular.ttf"),
    "Emoji": ("😀😂❤👍🙏🎉✅⚠💊🤒😷💉🩸"[:-1], "Symbola-Emoji.ttf"),
    "Emoji after Unicode 8": ("🥰🩺🫶🦷🧪🥼🩹🫁", "NotoEmoji-Subset.ttf"),
}

# The patients of the issue: one per script, as staff would type them.
PATIENTS = {
    "arabic": "محمد العلي",
    "hebrew": "דוד כהן",
    "korean": "김민준",
    "chinese": "王小明",
    "cyrillic": "Иван Петров",
    "vietnamese": "Nguyễn Văn An",
    "emoji": "José 😀",
}
DOB = dt.date(1984, 7, 9)
MRN = "M204871"
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def cmap(filename: str) -> dict[int, str]:
    return TTFont(str(resource("fonts", filename)), lazy=True).getBestCmap()


def readable(text: str) -> str:
    """Extracted text as a reader would type it: letters, no bidi marks, no whitespace."""
    text = BIDI_CONTROLS.sub("", unicodedata.normalize("NFKC", text))
    return "".join(text.split())


def pdftotext(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
                              capture_output=True, check=True, timeout=60)  # fmt: skip
    return done.stdout.decode("utf-8")


def pdffonts(pdf: bytes) -> list[list[str]]:
    """Rows of pdffonts: name, type, encoding, emb, sub, uni, object id."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True,
                              timeout=60, text=True)  # fmt: skip
    return [line.split() for line in done.stdout.splitlines()[2:] if line.strip()]


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None,
    reason="poppler-utils not installed here (apt-get install poppler-utils; CI installs it)",
)


# ------------------------------------------------------------------ fonts
@pytest.mark.parametrize("script", sorted(COVERAGE))
def test_bundled_font_covers_script(script):
    sample, filename = COVERAGE[script]
    have = cmap(filename)
    missing = {ch for ch in sample if not ch.isspace() and ord(ch) not in have}
    assert not missing, f"{filename} lacks {sorted(missing)}"
    assert not fonts.missing_glyphs(sample)


def test_readme_names_every_font_file_with_its_licence():
    readme = resource("fonts", "README.md").read_text(encoding="utf-8")
    files = {name for name in (f for _, f in COVERAGE.values())}
    files |= {filename for _, filename in fonts.FALLBACKS} | {"DejaVuSans-Bold.ttf"}
    for filename in files:
        assert f"`{filename}`" in readme
    on_disk = {p.name for p in Path(resource("fonts")).glob("*.ttf")}
    assert on_disk == files, "every bundled font is used and described; no stray files"
    for licence in ("LICENSE-DejaVu.txt", "LICENSE-DroidSansFallback-Apache-2.0.txt",
                    "LICENSE-Nanum-OFL-1.1.txt", "LICENSE-Symbola.txt",
                    "LICENSE-NotoEmoji-OFL-1.1.txt"):  # fmt: skip
        assert (Path(resource("fonts")) / licence).is_file()
        assert f"`{licence}`" in readme


def test_hangul_subset_does_not_use_the_reserved_name():
    """Nanum's OFL reserves its names for the original; the subset must be renamed."""
    names = TTFont(str(resource("fonts", "MADeskHangul-Regular.ttf")), lazy=True)["name"]
    for record in names.names:
        if record.nameID in (1, 4, 6, 16):
            assert "nanum" not in record.toUnicode().casefold()


def test_each_script_falls_back_to_its_font():
    assert {f for f, _ in fonts.runs("김민준")} == {fonts.HANGUL}
    assert {f for f, _ in fonts.runs("王小明")} == {fonts.CJK}
    assert {f for f, _ in fonts.runs("💊")} == {fonts.EMOJI}
    assert {f for f, _ in fonts.runs("Иван Nguyễn")} == {fonts.REGULAR}


def test_invisible_emoji_joiners_and_selectors_do_not_print_boxes():
    assert fonts.clean("⚠️ a\u200db\u200e") == "⚠ ab"
    assert not fonts.missing_glyphs("👍🏽 ❤️ 👨\u200d👩\u200d👧")


# ------------------------------------------------------------------ bidi and shaping
def test_arabic_is_joined_and_reversed_for_drawing():
    drawn = fonts.visual("محمد")
    assert drawn == "ﺪﻤﺤﻣ"  # final, medial, medial, initial: read right to left
    assert unicodedata.normalize("NFKC", drawn)[::-1] == "محمد"


def test_hebrew_reversed_and_latin_digits_keep_their_order():
    assert fonts.visual("דוד כהן") == "ןהכ דוד"
    line = "דוד כהן · DOB 07/09/1984 · MRN M204871"
    drawn = fonts.visual(line)
    assert drawn.endswith("DOB 07/09/1984 · MRN M204871")
    assert "1984" in fonts.visual("דוד 1984") and "M204871" in fonts.visual("כהן M204871")


def test_left_to_right_text_is_untouched():
    for text in ("Nguyễn Văn An", "王小明", "Иван Петров", "José 😀", "a < b & c"):
        assert fonts.visual(text) == text


RTL_LETTERS = st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوي" + "אבגדהוזחטיכלמנסעפצקרשת"))
WORDS = st.lists(st.text(RTL_LETTERS, min_size=1, max_size=8), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(words=WORDS, digits=st.integers(min_value=0, max_value=99_999_999))
def test_any_right_to_left_name_draws_without_boxes_and_keeps_numbers(words, digits):
    text = f"{' '.join(words)} MRN {digits}"
    drawn = fonts.visual(text)
    assert str(digits) in drawn and "MRN" in drawn
    assert not fonts.missing_glyphs(drawn)
    assert len(drawn.split()) == len(text.split())


# ------------------------------------------------------------------ every document
def _summary(name: str) -> bytes:
    return build_visit_summary(summary_data(patient=PatientHeader(name, DOB, MRN, "English")))


def _handout(name: str) -> bytes:
    doc = HandoutDoc(CLINIC, "After your flu shot", "## What helps\n- Rest", "en", name,
                     dt.date(2026, 11, 23), DOB, MRN)  # fmt: skip
    return build_handouts([doc])


def _labels(layout: str):
    def build(name: str) -> bytes:
        labels = [LabelData("patient", MRN, name, DOB, MRN),
                  LabelData("specimen", "S261123-7-1", name, DOB, MRN, "Urine",
                            dt.datetime(2026, 11, 23, 9, 30), "A. Rivera")]  # fmt: skip
        return build_labels(labels, layout)

    return build


def _end_of_day(name: str) -> bytes:
    data = busy_day(3)
    visits = tuple(replace(v, patient_name=name) for v in data.visits)
    return build_end_of_day(replace(data, visits=visits))


def _snapshot(name: str) -> tuple[Snapshot, FaceSheet]:
    sheet = FaceSheet(1, MRN, name, "", DOB, "F", "555-0100", "1 Main St", "Arabic", "", "",
                      "", ())  # fmt: skip
    line = ScheduleLine(dt.datetime(2026, 11, 23, 9), 20, "Dr. Okafor", 1, name, MRN, DOB,
                        "Follow-up", "", "scheduled")  # fmt: skip
    return Snapshot(dt.date(2026, 11, 23), dt.datetime(2026, 11, 23, 6), "Clinic", (line,),
                    {1: sheet}), sheet  # fmt: skip


def _downtime_schedule(name: str) -> bytes:
    return schedule_pdf(_snapshot(name)[0])


def _downtime_face_sheet(name: str) -> bytes:
    return face_sheet_pdf(*_snapshot(name))


DOCUMENTS = {
    "visit summary": _summary,
    "handout": _handout,
    "labels sheet": _labels("sheet"),
    "labels roll": _labels("roll"),
    "end of day": _end_of_day,
    "downtime schedule": _downtime_schedule,
    "downtime face sheet": _downtime_face_sheet,
}


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], bytes]:
    return {(doc, script): build(name) for doc, build in DOCUMENTS.items()
            for script, name in PATIENTS.items()}  # fmt: skip


@pytest.mark.parametrize("document", sorted(DOCUMENTS))
@pytest.mark.parametrize("script", sorted(PATIENTS))
def test_name_comes_back_in_logical_order_pypdf(rendered, document, script):
    name = PATIENTS[script]
    assert not fonts.missing_glyphs(name)
    assert readable(name) in readable(pdf_text(rendered[document, script]))


@needs_poppler
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
@pytest.mark.parametrize("script", sorted(PATIENTS))
def test_name_comes_back_in_logical_order_pdftotext(rendered, document, script):
    assert readable(PATIENTS[script]) in readable(pdftotext(rendered[document, script]))


@needs_poppler
@pytest.mark.parametrize("document", sorted(DOCUMENTS))
def test_every_font_embedded_and_subset(rendered, document):
    for script in PATIENTS:
        rows = pdffonts(rendered[document, script])
        assert rows
        for row in rows:
            name, emb, sub = row[0], row[-5], row[-4]
            assert (emb, sub) == ("yes", "yes"), (script, row)
            assert re.match(r"[A-Z]{6}\+", name), (script, row)


def test_arabic_prints_joined_forms(rendered):
    text = pdf_text(rendered["visit summary", "arabic"])
    assert "ﻣﺤﻤﺪ" in text and "ﺍﻟﻌﻠﻲ" in text
