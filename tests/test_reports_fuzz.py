"""Hypothesis throws arbitrary Unicode and markup at every printed field: every PDF builds,
and what a reader needs comes back out of it through a text extractor (not only the header)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ma_desk.reports import fonts
from ma_desk.reports.data import (
    ClinicHeader,
    FollowUp,
    HandoutDoc,
    LabelData,
    OpenItem,
    PatientHeader,
    VitalLine,
)
from ma_desk.reports.end_of_day import build_end_of_day
from ma_desk.reports.end_of_day_csv import build_end_of_day_csv
from ma_desk.reports.handout import build_handouts
from ma_desk.reports.labels import barcode_value, build_labels, make_barcode
from ma_desk.reports.visit_summary import build_visit_summary
from tests.pdf_extract import header_texts
from tests.report_helpers import busy_day, decode_code128, pdf_text, squash, summary_data

MARKUP = st.sampled_from(["<", ">", "&", "<b>", "</b>", "<img src='http://x/'/>", "&amp;",
                          "<font name=x>", "<para>", "]]>", "\n", "**", "## ", "- ", "!! ",
                          "<br/>", "&#0;", '"', "'"])  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=30), MARKUP), max_size=8).map("".join)
SHORT = st.text(max_size=40)
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@FAST
@given(name=TEXT, mrn=SHORT, provider=TEXT, reason=TEXT, allergies=TEXT, medications=TEXT,
       instructions=TEXT, handout=TEXT, label=SHORT, value=SHORT, meaning=TEXT,
       clinic=TEXT, phone=SHORT, follow=TEXT)  # fmt: skip
def test_visit_summary_always_builds(name, mrn, provider, reason, allergies, medications,
                                     instructions, handout, label, value, meaning, clinic,
                                     phone, follow):  # fmt: skip
    data = summary_data(
        clinic=ClinicHeader(clinic, clinic, phone, logo_path=clinic),
        patient=PatientHeader(name, dt.date(1990, 1, 1), mrn),
        provider=provider, reason=reason, allergies=allergies, medications=medications,
        instructions=instructions, handouts=(handout,),
        vitals=(VitalLine(label, value, meaning, "critical"),),
        follow_up=FollowUp(dt.datetime(2026, 12, 1, 8), follow, follow, follow),
    )  # fmt: skip
    pdf = build_visit_summary(data)
    printable = _printed(name)
    if printable and _extractable(printable):
        assert printable in squash(pdf_text(pdf))


def _printed(text: str) -> str:
    """``text`` as it is drawn, without whitespace: cleaned, and a symbol no bundled font
    has written as its name ("[neutral chess king]", fonts.symbol_name)."""
    return squash("".join(run for _font, run in fonts.runs(fonts.clean(text))))


def _extractable(text: str) -> bool:
    """Text that must come back from the PDF as typed: drawable by the bundled fonts,
    left-to-right (no bidi reordering) and without combining marks (no reordering)."""
    return not fonts.missing_glyphs(text) and all(
        unicodedata.bidirectional(c) not in ("R", "AL", "AN", "RLE", "RLO", "RLI")
        and not unicodedata.category(c).startswith("M")
        for c in text
    )


@FAST
@given(title=TEXT, body=TEXT, name=TEXT, language=st.sampled_from(["en", "es", "xx"]))
def test_handout_always_builds(title, body, name, language):
    doc = HandoutDoc(ClinicHeader("Clinic", "", ""), title, body, language, name,
                     dt.date(2026, 11, 23), dob=dt.date(2001, 2, 3), mrn="M100042")  # fmt: skip
    pdf = build_handouts([doc])
    text = squash(pdf_text(pdf))
    assert "911" in text  # the emergency line, in every language
    for header in header_texts(pdf):  # the patient's identifiers on every page
        assert "2001" in header and "MRN M100042" in header
    printable = _printed(title)
    if printable and _extractable(printable):
        assert printable in text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=st.lists(TEXT, min_size=1, max_size=5), provider=TEXT, item=TEXT, mrn=SHORT)
def test_end_of_day_always_builds(names, provider, item, mrn):
    base = busy_day(12)
    visits = tuple(replace(v, patient_name=names[i % len(names)], provider=provider, mrn=mrn,
                           appointment_type=item, open_items=(item,))
                   for i, v in enumerate(base.visits))  # fmt: skip
    data = replace(base, visits=visits, provider_filter=provider,
                   open_items=(OpenItem("not_checked_out", item), OpenItem(item, item)),
                   providers=(provider,))  # fmt: skip
    text = squash(pdf_text(build_end_of_day(data)))
    assert f"Allappointments({len(visits)})" in text
    for name in names:
        printable = _printed(name)
        if printable and _extractable(printable):
            assert printable in text
    assert build_end_of_day_csv(data).count("\r\n") >= len(visits) + 1


@FAST
@given(
    name=TEXT, value=SHORT, specimen=TEXT, collector=TEXT, layout=st.sampled_from(["sheet", "roll"])
)
def test_labels_always_build_and_barcode_round_trips(name, value, specimen, collector, layout):
    label = LabelData("specimen", value, name, dt.date(2001, 2, 3), value, specimen,
                      dt.datetime(2026, 11, 23, 9), collector)  # fmt: skip
    text = squash(pdf_text(build_labels([label], layout)))
    assert "DOB02/03/2001" in text  # the date of birth is never cut
    printable = _printed(value)
    if printable and _extractable(printable):
        assert printable in text  # nor the MRN
    encoded = barcode_value(value) or "?"
    assert decode_code128(make_barcode(value, 20, 170)) == encoded
