"""Documents in the patient's language: translation files complete, no English left in a
Spanish document, the language chosen per document, English when there is no file."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import string
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ma_desk.paths import resource
from ma_desk.reports import i18n
from ma_desk.reports.data import FollowUp, HandoutDoc, LabelData, PatientHeader, VitalLine
from ma_desk.reports.handout import build_handouts
from ma_desk.reports.labels import build_labels
from ma_desk.reports.visit_summary import build_visit_summary
from tests.conftest import NOW
from tests.report_helpers import CLINIC, pdf_pages, pdf_text, summary_data

# Fixed English words that must never appear in a Spanish document (whole words).
ENGLISH_WORDS = [
    "Phone", "Page", "of", "DOB", "Patient", "Date of birth", "Visit date", "Seen by",
    "After-Visit Summary", "Why you came in today", "Your vital signs", "Measurement",
    "Result", "What it means", "Allergies", "Medications", "Your next appointment", "With",
    "Instructions", "Handouts you were given", "Questions", "Call", "emergency", "Printed",
    "Prepared for", "Specimen", "Collected by", "Blood pressure", "Pulse", "Temperature",
    "Weight", "Height", "In the usual range", "beats", "breaths", "Ask your care team", "alerted", "Monday",
    "November", "Nov", "AM", "PM", "recorded", "Normal range",
]  # fmt: skip
FIELD = re.compile(r"\{([a-z_]+)\}")


def english_left(text: str) -> list[str]:
    return [w for w in ENGLISH_WORDS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]


def spanish_summary_data():
    vitals = (
        VitalLine("Blood pressure", "142/91 mmHg",
                  "Stage 2 hypertension. Ask your care team what this means for you.", "attention"),
        VitalLine("Pulse (heart rate)", "72 beats/min", "In the usual range"),
        VitalLine("Breathing rate", "16 breaths/min", "In the usual range"),
        VitalLine("Temperature", "37.0 °C (98.6 °F)", "In the usual range"),
        VitalLine("Weight", "70.0 kg", ""),
        VitalLine("Height", "165.0 cm", ""),
    )  # fmt: skip
    return summary_data(
        patient=PatientHeader("Rosa María Pérez", dt.date(1961, 3, 14), "M100042", "Spanish"),
        vitals=vitals, handouts=("Después de su vacuna",),
        reason="Control de presión", instructions="Tome la medicina con comida.",
        follow_up=FollowUp(dt.datetime(2026, 12, 7, 9, 15), "Dra. Amara Okafor",
                           "Seguimiento", "Control de presión"),
    )  # fmt: skip


# ------------------------------------------------------------------ the files
def test_every_language_has_exactly_the_english_keys_and_fields():
    english = json.loads(resource("i18n", "en.json").read_text(encoding="utf-8"))
    keys = {k for k, v in english.items() if isinstance(v, str)}
    assert set(i18n.available()) >= {"en", "es"}
    for code in i18n.available():
        table = json.loads(resource("i18n", f"{code}.json").read_text(encoding="utf-8"))
        own = {k for k, v in table.items() if isinstance(v, str)}
        assert own == keys, (code, sorted(own ^ keys))
        for key in keys:
            assert set(FIELD.findall(table[key])) == set(FIELD.findall(english[key])), (code, key)
        assert table["names"] and isinstance(table["phrases"], dict)
        for source, target in table["phrases"].items():
            assert set(FIELD.findall(source)) == set(FIELD.findall(target)), (code, source)


@pytest.mark.parametrize("code", ["en", "es"])
def test_dates_in_the_language(code):
    words = i18n.words(code)
    day = dt.date(1984, 7, 9)
    expected = {"en": ("Jul 9, 1984", "July 9, 1984", "Monday, July 9, 1984", "07/09/1984"),
                "es": ("9 jul 1984", "9 de julio de 1984", "lunes, 9 de julio de 1984",
                       "9 jul 1984")}[code]  # fmt: skip
    assert (words.date(day), words.date(day, "long"), words.date(day, "full"),
            words.date(day, "label_date")) == expected  # fmt: skip
    assert words.time(dt.datetime(2026, 11, 23, 14, 5)) == {"en": "2:05 PM", "es": "14:05"}[code]


@pytest.mark.parametrize(
    ("typed", "code"),
    [("Spanish", "es"), ("español", "es"), (" ESPAÑOL ", "es"), ("es", "es"), ("English", "en"),
     ("", "en"), ("Korean", "en"), ("Tagalog", "en"), ("e", "en"), ("spanish!", "en")],
)  # fmt: skip
def test_document_language_from_what_staff_recorded(typed, code):
    assert i18n.document_language(typed) == code


@given(st.text(max_size=40))
def test_any_recorded_language_gives_a_language_with_a_file(typed):
    assert i18n.document_language(typed) in i18n.available()
    note = i18n.fallback_note(typed)
    assert (note == "") == (i18n.language_for(typed) is not None)


def test_fallback_note_says_english_and_why():
    assert i18n.fallback_note("Korean") == (
        "Printed in English: there is no Korean translation of printed documents."
    )
    assert i18n.fallback_note("Spanish") == "" and i18n.fallback_note("") == ""


def test_a_new_language_is_a_new_file(tmp_path, monkeypatch):
    """Portuguese by adding pt.json (a copy of es.json with its own words): no code."""
    folder = tmp_path / "i18n"
    shutil.copytree(resource("i18n"), folder)
    table = json.loads((folder / "es.json").read_text(encoding="utf-8"))
    table.update({"language": "Português", "names": ["pt", "portuguese", "português"],
                  "summary.title": "Resumo da consulta", "page": "Página {page} de {pages}",
                  "phone": "Telefone {phone}"})  # fmt: skip
    (folder / "pt.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(i18n, "resource", lambda *parts: Path(tmp_path, *parts))
    for cached in (i18n.available, i18n.words, i18n._raw):
        cached.cache_clear()
    try:
        data = replace(summary_data(), patient=PatientHeader("Ana Lima", dt.date(1990, 2, 3),
                                                             "M7", "Portuguese"))  # fmt: skip
        text = pdf_text(build_visit_summary(data))
        assert "Resumo da consulta" in text and "Telefone" in text and "fev" in text
    finally:
        for cached in (i18n.available, i18n.words, i18n._raw):
            cached.cache_clear()


# ------------------------------------------------------------------ the documents
def test_spanish_summary_has_no_english_fixed_word():
    text = pdf_text(build_visit_summary(spanish_summary_data()))
    assert english_left(text) == []
    for spanish in ("Resumen de su visita", "Tel. (555) 010-0100", "Fecha de nacimiento",
                    "Nac. 14 mar 1961", "Presión arterial", "Hipertensión en etapa 2",
                    "Dentro de lo habitual", "Su próxima cita", "lunes, 23 de noviembre de 2026",
                    "Impreso el 23 nov 2026 a las 10:30", "Página 1 de 1"):  # fmt: skip
        assert spanish in " ".join(text.split()), spanish


def test_english_summary_unchanged_for_english_and_untranslated_languages():
    for language in ("English", "Korean", ""):
        data = replace(spanish_summary_data(), patient=replace(spanish_summary_data().patient,
                                                               preferred_language=language))  # fmt: skip
        text = " ".join(pdf_text(build_visit_summary(data)).split())
        for english in ("After-Visit Summary", "Phone (555) 010-0100", "DOB Mar 14, 1961",
                        "Your vital signs", "Stage 2 hypertension", "Page 1 of 1"):  # fmt: skip
            assert english in text, (language, english)


def test_english_handout_beside_a_spanish_one_keeps_its_own_words():
    english = HandoutDoc(CLINIC, "After your flu shot", "## What helps\n- Rest", "en",
                         "Rosa Pérez", NOW.date(), dt.date(1961, 3, 14), "M100042")  # fmt: skip
    spanish = replace(english, title="Después de su vacuna", body="## Qué ayuda\n- Descanse",
                      language="es")  # fmt: skip
    for order in ((english, spanish), (spanish, english)):
        pages = [" ".join(page.split()) for page in pdf_pages(build_handouts(order))]
        assert len(pages) == 2
        for doc, page in zip(order, pages, strict=True):
            if doc.language == "es":
                assert english_left(page) == [], page
                assert "Tel. (555)" in page and "Nac. 14 mar 1961" in page
                assert re.search(r"Página \d de 2", page) and "23 de noviembre de 2026" in page
            else:
                assert "Phone (555)" in page and "DOB Mar 14, 1961" in page
                assert re.search(r"Page \d of 2", page) and "November 23, 2026" in page
                assert "Página" not in page and "Nac." not in page


def test_spanish_labels_have_no_english_fixed_word():
    labels = [LabelData("patient", "M100042", "Pérez, Rosa", dt.date(1961, 3, 14), "M100042",
                        language="es"),
              LabelData("specimen", "S261123-7-1", "Pérez, Rosa", dt.date(1961, 3, 14),
                        "M100042", "", NOW, "A. Rivera", "es")]  # fmt: skip
    for layout in ("sheet", "roll"):
        text = " ".join(pdf_text(build_labels(labels, layout)).split())
        assert english_left(text) == [], (layout, text)
        assert "Nac. 14 mar 1961" in text and "Muestra" in text
    assert "Tomada por A. Rivera" in pdf_text(build_labels(labels, "roll"))


# ------------------------------------------------------------------ from the services
def test_demo_clinic_prints_in_the_patients_language(demo_services):
    appt = next(a for a in demo_services.schedule.day(NOW.date()) if a.status == "checked_out")
    demo_services.patients.update(appt.patient_id, preferred_language="Español")
    text = " ".join(pdf_text(demo_services.reports.visit_summary(appt.visit_id)).split())
    assert "Resumen de su visita" in text and english_left(text) == [], english_left(text)
    labels = demo_services.reports.label_data(kind="specimen", visit_id=appt.visit_id,
                                              specimen_types=["Orina"])  # fmt: skip
    assert {label.language for label in labels} == {"es"}

    demo_services.patients.update(appt.patient_id, preferred_language="Korean")
    text = " ".join(pdf_text(demo_services.reports.visit_summary(appt.visit_id)).split())
    assert "After-Visit Summary" in text
    labels = demo_services.reports.label_data(kind="patient", patient_id=appt.patient_id)
    assert {label.language for label in labels} == {"en"}


def test_unmatched_phrases_stay_readable():
    words = i18n.words("es")
    assert words.phrase("Something new from the rules") == "Something new from the rules"
    assert words.phrase("") == ""
    assert set(string.ascii_letters) & set(words.phrase("Blood pressure"))


def test_summary_preview_says_when_it_falls_back_to_english(qtbot, demo_services, tmp_path,
                                                            monkeypatch):  # fmt: skip
    from PySide6.QtCore import Qt

    from ma_desk.ui.printing.preview import PdfPreviewDialog
    from tests.test_printing_ui import make_window

    shown: list[PdfPreviewDialog] = []
    monkeypatch.setattr(PdfPreviewDialog, "exec", lambda self: shown.append(self) or 0)
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == "checked_out")
    window = make_window(qtbot, demo_services, tmp_path)
    window.selection.select_appointment(row.id, row.patient_id)
    for language, note in (("Korean", "Printed in English: there is no Korean translation"),
                           ("Spanish", ""), ("English", "")):  # fmt: skip
        demo_services.patients.update(row.patient_id, preferred_language=language)
        qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
        dialog = shown[-1]
        assert dialog.note_label.text().startswith(note) and dialog.note_label.isVisibleTo(
            dialog
        ) == bool(note)
