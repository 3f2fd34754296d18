"""Issue 15 item 7: one date and time format throughout, following the clinic's locale.

Every screen writes dates and times through ma_desk/display_format.py; a scan of ma_desk/ui
finds any strftime / isoformat / toString / f-string date format or Qt display-format
literal used outside it."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ma_desk.ui
from ma_desk import display_format as f

UI_ROOT = Path(ma_desk.ui.__file__).parent
MOMENT = dt.datetime(2026, 11, 23, 8, 5, 7)


@pytest.fixture(autouse=True)
def us_locale():
    f.use_locale("en_US")
    yield
    f.use_locale("en_US")


def test_us_clinic_formats() -> None:
    assert f.date_text(MOMENT.date()) == "11/23/2026"
    assert f.time_text(MOMENT) == "8:05 AM"
    assert f.time_text(dt.time(17, 0)) == "5:00 PM"
    assert f.date_time_text(MOMENT) == "11/23/2026 8:05 AM"
    assert f.weekday_time_text(MOMENT) == "Mon 11/23 8:05 AM"
    assert f.weekday_text(MOMENT.date()) == "Mon 11/23"
    assert f.long_date_text(MOMENT.date()) == "Monday, November 23, 2026"
    assert f.seconds_text(MOMENT) == "11/23/2026 8:05:07 AM"
    assert (f.qt_date_format(), f.qt_time_format()) == ("MM/dd/yyyy", "h:mm AP")
    assert f.date_text(None) == f.time_text(None) == ""


@pytest.mark.parametrize(
    ("code", "date", "time"),
    [("es_US", "23/11/2026", "8:05 a.m."), ("de_DE", "23.11.2026", "08:05"),
     ("en_GB", "23/11/2026", "08:05")],
)  # fmt: skip
def test_other_locales_write_their_own_order_and_clock(code: str, date: str, time: str) -> None:
    assert f.use_locale(code) == code
    assert (f.date_text(MOMENT.date()), f.time_text(MOMENT)) == (date, time)


@pytest.mark.parametrize("code", ["", "xx_YY", "not a locale", "en-US"])
def test_unknown_locales_fall_back_to_the_default(code: str) -> None:
    assert f.use_locale(code) == "en_US"
    assert f.date_text(MOMENT.date()) == "11/23/2026"


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2199, 12, 31)))
def test_dates_have_fixed_width_and_read_back(moment: dt.datetime) -> None:
    text = f.date_text(moment.date())
    assert dt.datetime.strptime(text, "%m/%d/%Y").date() == moment.date()
    clock = dt.datetime.strptime(f.time_text(moment), "%I:%M %p").time()
    assert (clock.hour, clock.minute) == (moment.hour, moment.minute)


# ------------------------------------------------------------------ the scan
def _display_formats(path: Path) -> list[str]:
    """Every date/time format written in a UI module: f-string '%' specs, strftime,
    isoformat, toString with a pattern, setDisplayFormat with a literal."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = ast.unparse(node.format_spec)
            if "%" in spec:
                found.append(f"{path.name}:{node.lineno} f-string {spec}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            literal = any(isinstance(a, ast.Constant) and isinstance(a.value, str)
                          for a in node.args)  # fmt: skip
            if name in ("strftime", "isoformat") or (
                name in ("toString", "setDisplayFormat", "setFormat") and literal
            ):
                found.append(f"{path.name}:{node.lineno} {name}")
    return found


def test_no_screen_formats_dates_itself() -> None:
    found = [hit for path in sorted(UI_ROOT.rglob("*.py")) for hit in _display_formats(path)]
    assert not found, f"use ma_desk.display_format: {found}"


def test_the_scan_sees_each_kind_of_format(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'a = f"{x:%H:%M}"\nb = x.strftime("%H")\nc = d.isoformat()\n'
        'e = q.toString("HH:mm")\nw.setDisplayFormat("yyyy")\n'
    )
    assert len(_display_formats(sample)) == 5


@pytest.mark.parametrize("code", ["en_US", "es_US", "de_DE"])
def test_a_date_put_back_in_a_typed_field_reads_back_the_same_in_any_locale(code: str) -> None:
    """Saving an unchanged form must never swap day and month (3 April, not 4 March)."""
    from ma_desk.display_format import current_locale, typed_date_text, use_locale
    from ma_desk.services.patients import parse_dob

    before = current_locale()
    use_locale(code)
    try:
        day = dt.date(2026, 4, 3)
        assert typed_date_text(day) == "04/03/2026"
        assert parse_dob(typed_date_text(day)) == day
        assert typed_date_text(None) == ""
    finally:
        use_locale(before)
