"""The PDF/CSV builders on plain dataclasses: content, safety with hostile text, layout limits."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from reportlab.platypus.doctemplate import LayoutError

from ma_desk.reports import fonts
from ma_desk.reports.data import HandoutDoc, LabelData
from ma_desk.reports.day_summary import percentile_nearest_rank, summarise
from ma_desk.reports.document import money
from ma_desk.reports.end_of_day import build_end_of_day
from ma_desk.reports.end_of_day_csv import HEADER, build_end_of_day_csv, columns_markdown
from ma_desk.reports.handout import build_handouts
from ma_desk.reports.handout_markup import Block, inline, parse
from ma_desk.reports.labels import LAYOUTS, build_labels, make_barcode
from ma_desk.reports.visit_summary import build_visit_summary
from tests.report_helpers import (
    CLINIC,
    busy_day,
    decode_code128,
    pdf_pages,
    pdf_text,
    squash,
    summary_data,
)

HOSTILE = [
    "O'Brien <Jr> & Sons",
    "<b>bold",
    "BP 0.1 <A <0.9",
    '<img src="http://example.invalid/x.png"/>',
    "<font color=red>red</font> &amp; &#0; &bogus;",
    "</para><para>",
    "]]> <!-- -->",
]
NAMES = {
    "vietnamese": "Nguyễn Thị Minh Khai",
    "chinese": "王小明",
    "accented": "José Ångström-Müller Łukasz Ñúñez",
    "greek": "Γεώργιος Παπαδόπουλος",
    "cyrillic": "Анна Иванова",
}


# ------------------------------------------------------------------ visit summary
def test_visit_summary_shows_patient_vitals_follow_up_and_contact():
    text = pdf_text(build_visit_summary(summary_data()))
    for expected in ("After-Visit Summary", "Rosa María Pérez", "M100042", "Mar 14, 1961",
                     "Dr. Amara Okafor, MD", "Blood pressure follow-up", "142/91 mmHg",
                     "78 beats/min", "Stage 2 hypertension", "Penicillin", "Lisinopril 10 mg",
                     "Monday, December 7, 2026 at 9:15 AM", "Cut down on salt",
                     "Checking Your Blood Pressure at Home", "Questions? Call (555) 010-0100"):  # fmt: skip
        assert expected in text, expected


def test_typical_visit_fits_two_pages_with_name_and_page_numbers_on_each():
    pages = pdf_pages(build_visit_summary(summary_data()))
    assert 1 <= len(pages) <= 2
    for number, page in enumerate(pages, start=1):
        assert "Rosa María Pérez" in page
        assert f"Page {number} of {len(pages)}" in page


def test_visit_summary_without_vitals_or_follow_up_says_so():
    text = pdf_text(build_visit_summary(summary_data(vitals=(), follow_up=None, instructions="",
                                                     allergies="", medications="")))  # fmt: skip
    assert "No vital signs were recorded" in text
    assert "No follow-up appointment is booked" in text
    assert "No allergies recorded" in text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_markup_in_every_field_prints_literally(hostile):
    from ma_desk.reports.data import FollowUp, PatientHeader, VitalLine

    data = summary_data(
        patient=PatientHeader(hostile, dt.date(1990, 1, 1), hostile[:20]),
        provider=hostile, reason=hostile, allergies=hostile, medications=hostile,
        instructions=hostile, handouts=(hostile,),
        vitals=(VitalLine(hostile, hostile, hostile, "critical"),),
        follow_up=FollowUp(dt.datetime(2026, 12, 1, 8), hostile, hostile, hostile),
    )  # fmt: skip
    text = squash(pdf_text(build_visit_summary(data)))
    assert squash(hostile) in text


def test_img_tag_in_a_name_is_never_fetched(monkeypatch):
    import urllib.request

    def refuse(*_args, **_kwargs):
        raise AssertionError("ReportLab tried to fetch a URL")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    from ma_desk.reports.data import PatientHeader

    data = summary_data(patient=PatientHeader('<img src="http://example.invalid/a.png"/>',
                                              dt.date(1990, 1, 1), "M1"))  # fmt: skip
    assert "example.invalid" in pdf_text(build_visit_summary(data))


@pytest.mark.parametrize("script", sorted(NAMES))
def test_non_latin_names_print_and_extract(script):
    from ma_desk.reports.data import PatientHeader

    name = NAMES[script]
    data = summary_data(patient=PatientHeader(name, dt.date(1980, 5, 4), "M100001"))
    pages = pdf_pages(build_visit_summary(data))
    assert all(name in page for page in pages)


def test_arabic_name_prints_joined_in_logical_order():
    import unicodedata

    from ma_desk.reports.data import PatientHeader

    name = "محمد علي"
    text = pdf_text(
        build_visit_summary(summary_data(patient=PatientHeader(name, dt.date(1980, 5, 4), "M1")))
    )
    assert "ﻣﺤﻤﺪ" in text  # joined presentation forms (initial, medial, final)
    assert name in unicodedata.normalize("NFKC", text)  # and read back in logical order


def test_very_long_words_and_huge_instructions_lay_out():
    long_word = "x" * 5000
    instructions = ("Take one tablet by mouth. " * 4000) + long_word
    data = summary_data(reason=long_word, allergies=long_word, medications=long_word,
                        instructions=instructions)  # fmt: skip
    pages = pdf_pages(build_visit_summary(data))
    assert len(pages) > 5
    assert "xxxxxxxxxx" in pages[-1] or "xxxxxxxxxx" in pages[-2]


def test_font_runs_switch_only_for_missing_glyphs():
    pieces = fonts.runs("Anh 王小明 Nguyễn")
    assert pieces[0] == (fonts.REGULAR, "Anh ")
    assert (fonts.CJK, "王小明") in pieces
    assert fonts.para("a<b>&c") == "a&lt;b&gt;&amp;c"
    assert fonts.clean("a\x00b\x07c\ud800d") == "abcd"


# ------------------------------------------------------------------ handouts
def test_markup_parser_blocks():
    blocks = parse(
        "## Before\nLine one\nline two\n\n- first\n  continued\n1. step\n!! Call 911\n### Small"
    )
    assert blocks == [
        Block("h2", "Before"), Block("para", "Line one line two"),
        Block("bullet", "first continued"), Block("number", "step", 1),
        Block("callout", "Call 911"), Block("h3", "Small"),
    ]  # fmt: skip
    assert inline("**bold** and <i>") == "<b>bold</b> and &lt;i&gt;"
    assert inline("a ** b") == "a ** b"


def test_handout_pdf_personalised_in_spanish():
    doc = HandoutDoc(CLINIC, "Después de su vacuna", "## Qué ayuda\n- Tome **muchos** líquidos",
                     "es", "Rosa Pérez", dt.date(2026, 11, 23))  # fmt: skip
    text = pdf_text(build_handouts([doc]))
    assert "Preparado para Rosa Pérez el 23 de noviembre de 2026" in text
    assert "Qué ayuda" in text and "muchos" in text and "Página 1 de 1" in text


def test_several_handouts_each_start_a_page():
    docs = [HandoutDoc(CLINIC, f"Topic {i}", "Short text.", "en", "Ann Lee", dt.date(2026, 11, 23))
            for i in range(3)]  # fmt: skip
    pages = pdf_pages(build_handouts(docs))
    assert len(pages) == 3 and all(f"Topic {i}" in pages[i] for i in range(3))


# ------------------------------------------------------------------ end of day
def test_percentile_nearest_rank():
    assert percentile_nearest_rank([], 90) is None
    assert percentile_nearest_rank([5], 90) == 5
    assert percentile_nearest_rank(list(range(1, 11)), 90) == 9
    assert percentile_nearest_rank(list(range(1, 101)), 90) == 90


def test_csv_has_one_documented_row_per_appointment_and_totals_match_pdf():
    data = busy_day(300)
    rows = list(csv.DictReader(io.StringIO(build_end_of_day_csv(data))))
    assert len(rows) == 300
    assert list(rows[0]) == HEADER
    for name in HEADER:
        assert f"`{name}`" in columns_markdown()
    summary = summarise(data.visits, data.providers)
    csv_totals = {
        "scheduled": sum(r["walk_in"] == "no" for r in rows),
        "walk_ins": sum(r["walk_in"] == "yes" for r in rows),
        "arrived": sum(bool(r["arrived_at"]) for r in rows),
        "no_show": sum(r["status"] == "no_show" for r in rows),
        "cancelled": sum(r["status"] == "cancelled" for r in rows),
        "checked_out": sum(r["status"] == "checked_out" for r in rows),
    }
    for key, value in csv_totals.items():
        assert getattr(summary, key) == value, key
    expected = round(sum(float(r["copay_expected"]) for r in rows) * 100)
    collected = round(sum(float(r["copay_collected"]) for r in rows) * 100)
    assert (expected, collected) == (summary.copay_expected_cents, summary.copay_collected_cents)

    text = pdf_text(build_end_of_day(data))
    figures = re.search(r"(\d+)\s*(\d+)\s*(\d+)\s*(\d+)\s*Scheduled\s*Walk-ins\s*Arrived\s*No-shows",
                        text)  # fmt: skip
    assert figures, text[:600]
    assert [int(x) for x in figures.groups()] == [csv_totals["scheduled"], csv_totals["walk_ins"],
                                                  csv_totals["arrived"], csv_totals["no_show"]]  # fmt: skip
    total_line = re.search(r"Total\s+(\d+)\s+(\$[\d,]+\.\d\d)\s+(\$[\d,]+\.\d\d)", text)
    assert total_line and total_line.group(2) == money(expected)
    assert total_line.group(3) == money(collected)
    waits = [float(r["wait_to_room_min"]) for r in rows if r["wait_to_room_min"]]
    assert f"{sum(waits) / len(waits):.1f}" in text
    assert "All appointments (300)" in text and "Open items (2)" in text


def test_csv_neutralises_spreadsheet_formulas():
    from dataclasses import replace

    data = busy_day(3)
    visits = (replace(data.visits[0], patient_name='=HYPERLINK("http://x")'),) + data.visits[1:]
    rows = list(csv.reader(io.StringIO(build_end_of_day_csv(replace(data, visits=visits)))))
    assert rows[1][HEADER.index("patient_name")].startswith("'=")


def test_empty_day_still_builds():
    from dataclasses import replace

    data = replace(busy_day(0), open_items=())
    text = pdf_text(build_end_of_day(data))
    assert "Nothing left open" in text and "All appointments (0)" in text
    assert build_end_of_day_csv(data).strip() == ",".join(HEADER)


# ------------------------------------------------------------------ labels
def test_barcode_encodes_the_value():
    for value in ("M100042", "S261123-501-1", "S261123-12345-12"):
        assert decode_code128(make_barcode(value, 20, 180)) == value


def test_label_sheet_geometry_matches_avery_5160():
    sheet = LAYOUTS["sheet"]
    assert sheet.per_page == 30
    assert sheet.origin(0) == (0.1875 * 72, 11 * 72 - 0.5 * 72 - 72)
    x, y = sheet.origin(29)
    assert x + sheet.label_width <= 8.5 * 72 and y >= 0.5 * 72 - 0.01


def test_labels_pdf_pages_and_text():
    patient = LabelData("patient", "M100042", "Pérez, Rosa", dt.date(1961, 3, 14), "M100042")
    specimen = LabelData("specimen", "S261123-42-1", "Pérez, Rosa", dt.date(1961, 3, 14),
                         "M100042", "Blood, lavender", dt.datetime(2026, 11, 23, 9, 50), "J. Lee")  # fmt: skip
    pages = pdf_pages(build_labels([patient] * 31 + [specimen], "sheet", start_position=2))
    assert len(pages) == 2  # 29 on the first sheet from position 2, 3 on the next
    assert "Pérez, Rosa" in pages[0] and "M100042" in pages[0]
    assert "S261123-42-1" in pages[1] and "Blood, lavender" in pages[1]
    roll = pdf_pages(build_labels([patient, specimen], "roll"))
    assert len(roll) == 2 and "Collected by J. Lee" in roll[1]


def test_label_layout_refuses_bad_positions():
    label = LabelData("patient", "M1", "A", dt.date(2000, 1, 1), "M1")
    with pytest.raises(ValueError):
        build_labels([label], "sheet", start_position=31)
    with pytest.raises(ValueError):
        build_labels([label], "envelope")


def test_layout_error_not_raised_for_a_huge_end_of_day():
    from dataclasses import replace

    data = busy_day(900)
    visits = tuple(replace(v, patient_name="W" * 400) for v in data.visits)
    try:
        pdf = build_end_of_day(replace(data, visits=visits))
    except LayoutError as error:  # pragma: no cover - the failure this test guards against
        pytest.fail(f"LayoutError: {error}")
    assert len(pdf_pages(pdf)) > 10


def test_clinic_logo_from_settings_is_drawn_and_a_broken_one_is_ignored(tmp_path):
    from dataclasses import replace

    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (120, 60), (31, 95, 139)).save(logo)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image at all")
    with_logo = build_visit_summary(summary_data(clinic=replace(CLINIC, logo_path=str(logo))))
    assert b"/Subtype /Image" in with_logo
    for path in (str(broken), str(tmp_path / "missing.png"), "http://example.invalid/logo.png"):
        pdf = build_visit_summary(summary_data(clinic=replace(CLINIC, logo_path=path)))
        assert b"/Subtype /Image" not in pdf and "Rosa María Pérez" in pdf_text(pdf)
