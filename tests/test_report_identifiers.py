"""Two identifiers, DOB and MRN, whole on every page and every label, whatever the name.

Text is read back from the PDF by pdftotext (poppler) when installed, and by pypdf,
cropped to the page header or to each label's box: a page or a label that has come
loose from the rest must still name its patient by DOB and MRN.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ma_desk.reports import fonts, i18n
from ma_desk.reports.data import HandoutDoc, LabelData, PatientHeader
from ma_desk.reports.document import (
    PatientIdentity,
    build_pdf,
    frame_width,
    header_parts,
    p,
)
from ma_desk.reports.handout import build_handouts
from ma_desk.reports.labels import LAYOUTS, MIN_TEXT_SIZE, build_labels, identifier_lines
from ma_desk.reports.visit_summary import build_visit_summary
from ma_desk.services.reports import printed_name
from tests.conftest import NOW
from tests.pdf_extract import (
    have_pdftotext,
    header_texts,
    header_texts_pdftotext,
    header_texts_pypdf,
    label_texts,
)
from tests.report_helpers import CLINIC, summary_data

NAME_PART_MAX = 80  # ma_desk.services.patients.validate: each name part at most 80 characters
SPANISH = [
    ("María de los Ángeles", "Guadalupe", "Fernández-Villanueva de la Concepción"),
    ("José Luis", "Ignacio", "Rodríguez Núñez del Castillo"),
    ("Ana Sofía", "Inmaculada Concepción", "García de la Torre y Peñalosa"),
]
LATIN_ACCENTED = "abcdefghijklmnopqrstuvwxyzáéíóúñüçãõâêôàèìòùäöëïøåæłśźżčřšžđ"
SCRIPTS = LATIN_ACCENTED + "αβγδεζηθλμπσωабвгдежзиклмнопрстуфхцчшщыэюя李王張劉陳楊黃趙김이박최정"
FILLER = "Your care team wants you to rest, drink water and watch for a fever. " * 40
HANDOUT_BODY = "## What to do\n" + "\n".join(f"- {FILLER[:300]}" for _ in range(14))


def _part(alphabet: str) -> st.SearchStrategy[str]:
    words = st.text(alphabet=alphabet, min_size=1, max_size=18).map(str.capitalize)
    return (
        st.lists(words, min_size=1, max_size=6)
        .map(" ".join)
        .map(lambda s: s[:NAME_PART_MAX].strip() or "A")
    )


names = st.one_of(
    st.sampled_from(SPANISH),
    st.tuples(_part(LATIN_ACCENTED), _part(LATIN_ACCENTED), _part(LATIN_ACCENTED)),
    st.tuples(_part(SCRIPTS), st.just(""), _part(SCRIPTS)),
    st.tuples(
        st.just("Á" * NAME_PART_MAX), st.just("É" * NAME_PART_MAX), st.just("Ñ" * NAME_PART_MAX)
    ),  # fmt: skip
)
dobs = st.dates(min_value=dt.date(1906, 1, 1), max_value=dt.date(2026, 11, 23))
mrns = st.integers(min_value=1, max_value=9_999_999_999).map(lambda n: f"M{100000 + n:06d}")


def identifiers_ok(text: str, dob_text: str, mrn: str, *, dob_word: str = "DOB") -> bool:
    return f"{dob_word} {dob_text}" in text and f"MRN {mrn}" in text


def name_ok(text: str, name: str) -> bool:
    """The name is whole, or visibly shortened (an ellipsis), never silently cut.

    Letters no bundled font can draw (Hangul today: a box on paper) are not expected back.
    """
    missing = fonts.missing_glyphs(name)
    expected = "".join(ch for ch in name if ch not in missing and not ch.isspace())
    return expected in "".join(text.split()) or "…" in text


def check_headers(pdf: bytes, name: str, dob: dt.date, mrn: str, language: str = "en") -> int:
    """Every page's header: the name (maybe shortened), DOB and MRN in the document's language."""
    words = i18n.words(language)
    pages = header_texts(pdf)
    assert pages, "no pages"
    for number, text in enumerate(pages, start=1):
        assert identifiers_ok(text, words.date(dob), mrn, dob_word=words["dob"]), (number, text)
        assert name_ok(text, name), (number, text)
    return len(pages)


def check_labels(pdf: bytes, layout_name: str, labels: list[LabelData], start: int = 1) -> None:
    layout = LAYOUTS[layout_name]
    positions = []
    position = start - 1
    page = 0
    for _ in labels:
        if position >= layout.per_page:
            page, position = page + 1, 0
        positions.append((page, position))
        position += 1
    for label, text in zip(labels, label_texts(pdf, layout, positions), strict=True):
        words = i18n.words(label.language)
        assert f"{words['dob']} {words.date(label.dob, 'label_date')}" in text, text
        assert f"MRN {label.mrn}" in text, text


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=names, dob=dobs, mrn=mrns)
@example(parts=SPANISH[0], dob=dt.date(1961, 3, 14), mrn="M100042")
@example(parts=("Á" * 80, "É" * 80, "Ñ" * 80), dob=dt.date(1999, 12, 31), mrn="M9999999999")
def test_every_page_and_label_carries_dob_and_mrn(parts, dob, mrn):
    first, middle, last = parts
    name = printed_name(first, middle, last)
    # A summary long enough for several pages.
    summary = build_visit_summary(
        summary_data(patient=PatientHeader(name, dob, mrn), instructions=FILLER)
    )
    assert check_headers(summary, name, dob, mrn) >= 2
    # Handouts, English and Spanish, each over more than one page.
    for language in ("en", "es"):
        doc = HandoutDoc(CLINIC, "After your visit", HANDOUT_BODY, language, name,
                         NOW.date(), dob, mrn)  # fmt: skip
        assert check_headers(build_handouts([doc, doc]), name, dob, mrn, language) >= 2
    # Labels: a sheet started part way down (onto a second sheet) and the roll.
    label_name = f"{last}, {first}"
    labels = [LabelData("patient", mrn, label_name, dob, mrn)] * 3 + [
        LabelData("specimen", "S261123-42-1", label_name, dob, mrn, "Urine " * 7,
                  dt.datetime(2026, 11, 23, 9, 41), "Rosa María Fernández-Villanueva")
    ]  # fmt: skip
    check_labels(build_labels(labels, "sheet", start_position=29), "sheet", labels, start=29)
    check_labels(build_labels(labels, "roll"), "roll", labels)


def test_both_extractors_agree_on_a_long_spanish_name():
    if not have_pdftotext():
        pytest.skip(
            "this cross-check needs poppler's pdftotext (apt-get install poppler-utils; "
            ".ci/run installs it, so CI always runs it)"
        )
    name = printed_name(*SPANISH[0])
    pdf = build_visit_summary(summary_data(patient=PatientHeader(name, dt.date(1961, 3, 14),
                                                                 "M100042"), instructions=FILLER))  # fmt: skip
    for text in header_texts_pdftotext(pdf) + header_texts_pypdf(pdf):
        assert identifiers_ok(text, "Mar 14, 1961", "M100042"), text


# ---------------------------------------------------------------- boundaries

USABLE = frame_width()
CLINIC_NAME = CLINIC.name


def _header_right(name: str) -> str:
    return header_parts(CLINIC_NAME, "", PatientIdentity(name, dt.date(1961, 3, 14), "M100042"),
                        USABLE)[1]  # fmt: skip


def _longest_whole(letter: str = "n") -> int:
    """How many letters a name may have and still print whole beside this clinic's name."""
    n = 1
    while "…" not in _header_right("Rosa " + letter * n):
        n += 1
    return n - 1


def _one_page_pdf(name: str) -> bytes:
    identity = PatientIdentity(name, dt.date(1961, 3, 14), "M100042")
    return build_pdf([p("Body")], title="t", header_left=CLINIC_NAME, identity=identity)


def test_name_that_just_fits_prints_whole_and_one_more_letter_gets_an_ellipsis():
    n = _longest_whole()
    fits, over = "Rosa " + "n" * n, "Rosa " + "n" * (n + 1)
    fits_text = header_texts(_one_page_pdf(fits))[0]
    over_text = header_texts(_one_page_pdf(over))[0]
    assert f"{fits} · DOB" in fits_text  # whole, straight before the identifiers
    assert over not in over_text and "n… · DOB" in over_text  # the name gives way, visibly
    for text in (fits_text, over_text):
        assert identifiers_ok(text, "Mar 14, 1961", "M100042"), text


def test_the_clinic_name_gives_way_before_the_patient_name():
    name = printed_name("José Luis", "Ignacio", "Rodríguez Núñez")  # four parts, 33 letters
    left, right = header_parts(CLINIC_NAME, "", PatientIdentity(name, dt.date(1961, 3, 14),
                                                               "M100042"), USABLE)  # fmt: skip
    assert name in right and left.endswith("…") and left.startswith("Maple")


def test_name_of_maximum_length_keeps_both_identifiers_in_the_header():
    name = printed_name("Á" * 80, "É" * 80, "Ñ" * 80)
    right = _header_right(name)
    assert right.endswith("DOB Mar 14, 1961  ·  MRN M100042") and "…" in right
    assert fonts.text_width(right, font=fonts.BOLD, size=9) <= USABLE


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_label_identifiers_never_shrink_below_legible_size(layout):
    spec = LAYOUTS[layout]
    width = spec.label_width - 2 * 0.07 * 72
    for mrn in ("M100001", "M9999999999", "M" + "9" * 30):
        label = LabelData("patient", mrn, "Name", dt.date(1961, 3, 14), mrn)
        lines, size = identifier_lines(label, width, 7)
        assert size >= MIN_TEXT_SIZE
        assert all(fonts.text_width(line, size=size) <= width for line in lines) or len(lines) == 2
        joined = " ".join(lines)
        assert "DOB 03/14/1961" in joined and f"MRN {mrn}" in joined


# ---------------------------------------------------------------- real documents, demo clinic


def test_demo_clinic_documents_with_a_long_spanish_name(demo_services):
    """A demo patient renamed to a long four-part Spanish name: summary, handouts, labels."""
    appt = next(a for a in demo_services.schedule.day(NOW.date()) if a.status == "checked_out")
    first, middle, last = SPANISH[0]
    record = demo_services.patients.update(appt.patient_id, first_name=first, middle_name=middle,
                                           last_name=last)  # fmt: skip
    name = printed_name(first, middle, last)

    summary = demo_services.reports.visit_summary(appt.visit_id)
    check_headers(summary, name, record.dob, record.mrn,
                  i18n.document_language(record.preferred_language))  # fmt: skip

    handout_ids = [h.id for h in demo_services.handouts.list(language="es")][:3]
    handouts = demo_services.handouts.pdf_for_visit(appt.visit_id, handout_ids)
    assert check_headers(handouts, " ".join((first, last)), record.dob, record.mrn, "es") >= 3

    labels = demo_services.reports.label_data(kind="patient", patient_id=appt.patient_id, count=4)
    labels += demo_services.reports.label_data(kind="specimen", visit_id=appt.visit_id,
                                               specimen_types=["Blood, lavender top"])  # fmt: skip
    sheet = demo_services.reports.labels(labels, layout="sheet", start_position=28)
    check_labels(sheet, "sheet", labels, start=28)
    check_labels(demo_services.reports.labels(labels, layout="roll"), "roll", labels)
