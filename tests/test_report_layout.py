"""Tidy pages: headings stay with what follows, credentials print whole, summaries fit one page.

Text is read back per page by pdftotext (poppler) when installed, else by pypdf.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from ma_desk.reports.data import OpenItem
from ma_desk.reports.end_of_day import OPEN_ITEM_TITLES, build_end_of_day
from ma_desk.reports.visit_summary import build_visit_summary
from tests.conftest import NOW
from tests.pdf_extract import have_pdftotext, pdftotext_region
from tests.report_helpers import busy_day, day_visit, pdf_pages, summary_data

FOOTER = re.compile(r"^(Contains patient information|Page \d+ of \d+|Printed )")
HEADINGS = re.compile(
    r"^(By provider|Waiting times|Copays|Open items \(\d+\)|All appointments \(\d+\)|"
    + "|".join(re.escape(t) for t in OPEN_ITEM_TITLES.values())
    + r")( \(\d+\))?$"
)


def page_lines(pdf: bytes) -> list[list[str]]:
    """Each page's body lines (running header and footer dropped), in reading order."""
    if have_pdftotext():
        width = float(PdfReader(io.BytesIO(pdf)).pages[0].mediabox.width)
        pages = pdftotext_region(pdf, 0, 44, width, 792 - 44 - 48)
    else:
        pages = pdf_pages(pdf)
    out = []
    for text in pages:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        out.append([line for line in lines if not FOOTER.match(line)])
    return out


def orphaned_headings(pdf: bytes) -> list[tuple[int, str]]:
    """Headings that are the last thing on a page (nothing of their section below them)."""
    found = []
    for number, lines in enumerate(page_lines(pdf), start=1):
        if lines and HEADINGS.match(lines[-1]):
            found.append((number, lines[-1]))
    return found


def _with_open_items(n: int, anchor: bool):
    data = busy_day(60)
    items = tuple(OpenItem("insurance_stale", f"Patient{i}, Test (M{100000 + i}) — Insurance "
                           "never verified") for i in range(n))  # fmt: skip
    return dataclasses.replace(data, open_items=items,
                               audit_anchor="354:e8c1cbcf72561f30" if anchor else "")  # fmt: skip


@pytest.mark.parametrize("visits", [20, 51, 120])
@pytest.mark.parametrize("anchor", [False, True])
def test_no_heading_ends_a_page_of_the_end_of_day_report(visits, anchor):
    """Slide every section across the page break: no heading is left at the foot."""
    checked = 0
    for n in range(0, 46, 3):
        data = dataclasses.replace(_with_open_items(n, anchor),
                                   visits=busy_day(visits).visits)  # fmt: skip
        pdf = build_end_of_day(data)
        assert orphaned_headings(pdf) == [], (visits, anchor, n)
        checked += len(page_lines(pdf))
    assert checked > 16


def test_copays_heading_sits_on_the_same_page_as_its_table():
    """The demo clinic's shape of day put "Copays" alone at the foot of page 1 (issue 16)."""
    for n in (0, 2, 34):
        pages = page_lines(build_end_of_day(_with_open_items(n, anchor=True)))
        where = [i for i, lines in enumerate(pages) if "Copays" in lines]
        assert len(where) == 1
        lines = pages[where[0]]
        after = lines[lines.index("Copays") + 1 :]
        assert any(line.startswith("Payment method") for line in after), lines


CREDENTIALED = "Jordan Smith, MD, FAAP"


def test_provider_credentials_print_whole_in_every_row():
    data = busy_day(90)
    visits = tuple(dataclasses.replace(v, provider=CREDENTIALED) if i % 3 == 0 else v
                   for i, v in enumerate(data.visits))  # fmt: skip
    data = dataclasses.replace(data, visits=visits, providers=(CREDENTIALED,) + data.providers[1:])
    text = "\n".join("\n".join(lines) for lines in page_lines(build_end_of_day(data)))
    rows = sum(1 for v in visits if v.provider == CREDENTIALED)
    assert text.count(CREDENTIALED) >= rows  # every row (and the summary tables)
    assert "Jordan Smith, MD, F…" not in text and "Priya Natarajan, FNP-…" not in text


def test_a_very_long_provider_name_wraps_whole_instead_of_being_cut():
    long_name = "Dr. Maximiliana Worthington-Castellanos, MD, FAAP, FACP"
    data = busy_day(12)
    data = dataclasses.replace(
        data, visits=tuple(dataclasses.replace(v, provider=long_name) for v in data.visits)
    )
    squashed = "".join("".join(lines) for lines in page_lines(build_end_of_day(data)))
    squashed = "".join(squashed.split())
    assert "…" not in squashed.split("Allappointments")[-1]
    assert squashed.count("FAAP,FACP") >= 12


# ---------------------------------------------------------------- after-visit summary


def test_a_typical_summary_fits_one_page():
    assert len(pdf_pages(build_visit_summary(summary_data()))) == 1


def test_a_summary_with_ten_vitals_and_a_follow_up_fits_one_page():
    from ma_desk.reports.data import VitalLine

    vitals = tuple(VitalLine(f"Measure {i}", "120 units", "In the usual range") for i in range(9))
    vitals += (VitalLine("Body mass index (BMI)", "31.9",
                         "Obesity class 1. Ask your care team what this means for you."),)  # fmt: skip
    pdf = build_visit_summary(summary_data(vitals=vitals, allergies="No allergies recorded.",
                                           instructions=""))  # fmt: skip
    assert len(pdf_pages(pdf)) == 1


def test_a_long_summary_still_runs_over_and_keeps_its_type_size():
    pdf = build_visit_summary(summary_data(instructions="Rest and drink water. " * 400))
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    assert "Instructions" in "".join(pages)


def test_demo_clinic_summaries_fit_one_page(demo_services):
    """Every third summary of the demo clinic's last week prints on one page (all spilled
    before). All of them pass too, in about 90 s: too slow for every run."""
    from sqlalchemy import select

    from ma_desk.db.models import Visit

    with demo_services.ctx.db.read() as s:
        ids = list(s.scalars(select(Visit.id).where(Visit.visit_date <= NOW.date())))[::3]
    assert ids
    pages = [len(PdfReader(io.BytesIO(demo_services.reports.visit_summary(v))).pages)
             for v in ids]  # fmt: skip
    assert pages.count(1) == len(ids), {n: pages.count(n) for n in set(pages)}


def test_tight_layout_only_when_it_saves_a_page():
    """A summary that needs two pages either way is printed with the normal spacing."""
    from ma_desk.reports import visit_summary

    data = summary_data(instructions="Rest and drink water. " * 400)
    normal: list[int] = []
    expected = visit_summary._build(data, tight=False, pages_out=normal)
    tight: list[int] = []
    visit_summary._build(data, tight=True, pages_out=tight)
    if tight[-1] >= normal[-1]:
        assert len(PdfReader(io.BytesIO(build_visit_summary(data))).pages) == normal[-1]
        assert len(expected) > 0


def test_walk_in_day_visit_helper_still_builds():
    """Guard for the helper the layout tests lean on (start times and statuses)."""
    v = day_visit(17, "checked_out")
    assert v.walk_in and v.start.date() == dt.date(2026, 11, 23)
