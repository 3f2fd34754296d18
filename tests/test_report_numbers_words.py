"""Numbers and every fixed word of a printed document in the patient's language.

Spanish documents print decimal commas ("37,2 °C", "70,5 kg") through the one helper
``Words.number``; every meaning the vital-sign rules can write reaches a Spanish summary
in Spanish. Checked in the PDFs with poppler's pdftotext, as a reader would see them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import subprocess
import tempfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ma_desk.clinical import codes
from ma_desk.paths import resource
from ma_desk.reports import i18n
from ma_desk.reports.data import ClinicHeader, HandoutDoc, LabelData, PatientHeader, VitalLine
from ma_desk.reports.handout import build_handouts
from ma_desk.reports.labels import build_labels
from ma_desk.reports.visit_summary import build_visit_summary
from ma_desk.services.reports import vital_lines
from tests.conftest import NOW
from tests.pdf_extract import have_pdftotext
from tests.report_helpers import summary_data

pytestmark = pytest.mark.skipif(not have_pdftotext(), reason="poppler-utils (pdftotext) missing")

SPANISH_CLINIC = ClinicHeader("Clínica del Valle", "Calle Mayor 5, Springfield", "(555) 010-0100")
PATIENT = PatientHeader("Rosa María Pérez", dt.date(1961, 3, 14), "M100042", "Español")
DAY = dt.date(2026, 11, 23)
TOKEN = re.compile(r"[^\W\d_]{2,}")


def pdftotext(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"],
                              capture_output=True, check=True, timeout=60)  # fmt: skip
    return " ".join(done.stdout.decode("utf-8").split())


def _language_file(code: str) -> dict:
    return json.loads(resource("i18n", f"{code}.json").read_text(encoding="utf-8"))


def _tokens(texts) -> set[str]:
    return {
        t.casefold() for text in texts for t in TOKEN.findall(re.sub(r"\{[a-z_]+\}", " ", text))
    }


def english_only_words() -> set[str]:
    """Words of en.json (fixed words and phrase templates) that no Spanish text uses."""
    english, spanish = _language_file("en"), _language_file("es")
    en = _tokens([v for v in english.values() if isinstance(v, str)] + list(english["phrases"]))
    es = _tokens([v for v in spanish.values() if isinstance(v, str)]
                 + list(spanish["phrases"].values()) + spanish["names"])  # fmt: skip
    return en - es - {"english", "inglés", "ingles", "en"}


UNIT_INCH = re.compile(r"(?<=\d) in\b")  # "67,0 in": the inch's international symbol


def english_in(text: str) -> set[str]:
    return _tokens([UNIT_INCH.sub(" ", text)]) & english_only_words()


# ------------------------------------------------------------------ every meaning the rules write
AGES_DAYS = (3, 20, 60, 200, 400, 800, 1500, 3000, 4500, 5500, 7000, 12000, 25000)
SINGLE = {
    codes.HEART_RATE: (20, 50, 90, 150, 200, 260),
    codes.RESPIRATORY_RATE: (5, 12, 30, 50, 80),
    codes.TEMPERATURE: (33.0, 36.8, 38.2, 39.6, 41.0),
    codes.SPO2: (80, 91, 98),
    codes.PAIN: (2, 5, 8),
}
BP = ((60, 30), (85, 50), (100, 60), (118, 70), (125, 78), (135, 85), (150, 95), (190, 125))
BODY = ((3.5, 50, 14), (10, 75, 17), (20, 110, 16.5), (40, 150, 22), (70, 170, 24),
        (120, 165, 44), (50, 170, 17))  # fmt: skip


def every_vital_line() -> list[VitalLine]:
    """Each distinct line ``vital_lines`` writes over ages, sexes, units and values across
    every cut-off (normal, low, high, critical; AAP with and without a height)."""
    found: dict[tuple[str, str, str], VitalLine] = {}
    for days, sex, us in itertools.product(AGES_DAYS, ("male", "female", "unknown"), (False, True)):
        settings = SimpleNamespace(units_weight="lb" if us else "kg",
                                   units_length="in" if us else "cm",
                                   units_temperature="F" if us else "C")  # fmt: skip
        dob = DAY - dt.timedelta(days=days)
        readings = [{key: v} for key, values in SINGLE.items() for v in values]
        for (s, d), height in itertools.product(BP, (None, 50 + days / 30, 120, 175)):
            readings.append({codes.SYSTOLIC: s, codes.DIASTOLIC: d}
                            | ({codes.HEIGHT: height} if height else {}))  # fmt: skip
        for weight, height, bmi in BODY:
            readings.append(
                {
                    codes.WEIGHT: weight,
                    codes.HEIGHT: height,
                    codes.BMI: bmi,
                    codes.HEAD_CIRCUMFERENCE: 35 + days / 100 if days < 800 else 50,
                }
            )
        for values in readings:
            for line in vital_lines(values, dob, DAY, sex, settings):
                found[(line.label, line.value, line.meaning)] = line
    return list(found.values())


def test_the_sweep_reaches_every_kind_of_meaning():
    meanings = " ".join(line.meaning for line in every_vital_line())
    for kind in ("Critically low", "Critically high", "Low (normal", "High (normal", "infant",
                 "year-old", "Hypothermia", "Fever in an infant", "High fever", "Fever (",
                 "Hypertensive crisis", "Normal for age (AAP 2017", "Stage 1 hypertension (AAP",
                 "Elevated blood pressure", "At least stage 2", "Below 120/80", "sex male/female",
                 "WHO 2006", "for length", "CDC 2000): Obesity", "Underweight", "Obesity class",
                 "No BMI-for-age", "Severe pain", "Moderate pain", "In the usual range"):  # fmt: skip
        assert kind in meanings, kind
    values = " ".join(line.value for line in every_vital_line())
    assert " in (" in values and " lb (" in values and "°F (" in values


def test_spanish_file_translates_every_english_phrase():
    english, spanish = _language_file("en"), _language_file("es")
    assert set(english["phrases"]) <= set(spanish["phrases"])
    assert all(source == target for source, target in english["phrases"].items())


def test_every_vital_meaning_prints_in_spanish_on_the_summary():
    lines = every_vital_line()
    spanish = i18n.words("es")
    leftover = {line: english_in(" ".join(spanish.phrase(t) for t in
                                          (line.label, line.value, line.meaning)))
                for line in lines}  # fmt: skip
    assert {k: v for k, v in leftover.items() if v} == {}
    for start in range(0, len(lines), 60):  # the printed summaries, as a patient gets them
        data = summary_data(clinic=SPANISH_CLINIC, patient=PATIENT, reason="Control",
                            vitals=tuple(lines[start:start + 60]), instructions="Descanse.",
                            provider="Dra. Amara Okafor", follow_up=None,
                            handouts=("Después de su vacuna",))  # fmt: skip
        text = pdftotext(build_visit_summary(data))
        assert english_in(text) == set(), start
        assert "Sus signos vitales" in text


def test_spanish_handout_and_labels_have_no_english_fixed_word():
    handout = HandoutDoc(SPANISH_CLINIC, "Después de su vacuna", "## Qué ayuda\n- Descanse", "es",
                         "Rosa Pérez", NOW.date(), dt.date(1961, 3, 14), "M100042")  # fmt: skip
    assert english_in(pdftotext(build_handouts([handout]))) == set()
    labels = [LabelData("patient", "M100042", "Pérez, Rosa", dt.date(1961, 3, 14), "M100042",
                        language="es"),
              LabelData("specimen", "S261123-7-1", "Pérez, Rosa", dt.date(1961, 3, 14),
                        "M100042", "", NOW, "", "es")]  # fmt: skip
    for layout in ("sheet", "roll"):
        assert english_in(pdftotext(build_labels(labels, layout))) == set(), layout


# ------------------------------------------------------------------ numbers
def _summary_with(value_lines: tuple[VitalLine, ...], language: str) -> str:
    data = summary_data(patient=replace(PATIENT, preferred_language=language), vitals=value_lines)
    return pdftotext(build_visit_summary(data))


def test_spanish_summary_prints_decimal_commas_english_points():
    lines = (VitalLine("Temperature", "37.2 °C (99.0 °F)", "In the usual range"),
             VitalLine("Weight", "70.5 kg (155.4 lb)", "Up 2.50 kg"),
             VitalLine("Body mass index (BMI)", "24.1", "Healthy weight"),
             VitalLine("Blood pressure", "120/80 mmHg", "Normal"))  # fmt: skip
    spanish = _summary_with(lines, "Spanish")
    for text in ("37,2 °C (99,0 °F)", "70,5 kg (155,4 lb)", "2,50 kg", "24,1", "120/80 mmHg"):
        assert text in spanish, text
    assert not re.search(r"\d\.\d", spanish.replace("Dra.", "")), spanish
    english = _summary_with(lines, "English")
    for text in ("37.2 °C (99.0 °F)", "70.5 kg (155.4 lb)", "24.1", "120/80 mmHg"):
        assert text in english, text


def test_spanish_fever_limit_from_the_rules_prints_with_commas():
    settings = SimpleNamespace(units_weight="kg", units_length="cm", units_temperature="C")
    lines = tuple(vital_lines({codes.TEMPERATURE: 38.4, codes.WEIGHT: 70.5}, dt.date(1980, 1, 1),
                              DAY, "female", settings))  # fmt: skip
    text = _summary_with(lines, "es")
    assert "38,4 °C" in text and "Fiebre (≥ 38,0 °C / 100,4 °F)" in text and "70,5 kg" in text


@pytest.mark.parametrize(("code", "value", "decimals", "expected"), [
    ("en", 37.25, 1, "37.2"), ("es", 37.25, 1, "37,2"), ("es", 37.35, 1, "37,4"),
    ("es", Decimal("0.04"), 2, "0,04"), ("es", -0.5, 1, "-0,5"), ("es", 12345.6, 1, "12345,6"),
    ("en", 12345.6, 1, "12345.6"), ("es", 99.95, 1, "100,0"), ("es", 7, 0, "7"),
    ("es", 0.5, 0, "0"), ("es", 1.5, 0, "2"),
])  # fmt: skip
def test_number_in_the_language(code, value, decimals, expected):
    assert i18n.words(code).number(value, decimals) == expected


@given(st.decimals(min_value=-100000, max_value=100000, places=2, allow_nan=False),
       st.integers(min_value=0, max_value=3))  # fmt: skip
def test_spanish_number_is_the_english_one_with_a_comma(value, decimals):
    english = i18n.words("en").number(value, decimals)
    assert i18n.words("es").number(value, decimals) == english.replace(".", ",")
    assert Decimal(english) == round(value, decimals)


@given(st.text(alphabet=st.sampled_from("0123456789.,/ -abc°C%"), max_size=30))
@example("00.0")  # found by hypothesis: digits stay as written, only the sign changes
def test_only_decimal_numbers_change(text):
    assert i18n.words("en").numbers(text) == text
    spanish = i18n.words("es").numbers(text)
    assert len(spanish) == len(text)
    changed = [i for i, (a, b) in enumerate(zip(text, spanish, strict=True)) if a != b]
    for i in changed:
        assert text[i] == "." and spanish[i] == ","
        assert text[i - 1].isdigit() and text[i + 1].isdigit()
