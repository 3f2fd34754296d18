"""Issue 15 item 7: the status-bar clock changes on the minute (a timer aimed at the next
minute boundary, not a fixed period), and empty trend charts say "No measurements yet"
instead of drawing 1970 axes."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCharts import QDateTimeAxis
from PySide6.QtCore import Qt

from ma_desk.clinical import units
from ma_desk.clinical import vitals as v
from ma_desk.clock import MINUTE_MS, TICK_MARGIN_MS, ms_until_next_minute
from ma_desk.display_format import long_date_text, time_text
from ma_desk.services.patients import PatientInput
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.selection import Selection
from ma_desk.ui.vitals.charts import TrendCharts
from ma_desk.ui.vitals.tab import VitalsTab

BASE = dt.datetime(2026, 11, 23, 10, 30)


@pytest.mark.parametrize(
    ("into", "expected"),
    [
        (dt.timedelta(0), MINUTE_MS + TICK_MARGIN_MS),  # on the boundary: the next one
        (dt.timedelta(milliseconds=1), MINUTE_MS - 1 + TICK_MARGIN_MS),
        (dt.timedelta(seconds=30), 30_000 + TICK_MARGIN_MS),
        (dt.timedelta(seconds=59, milliseconds=999), 1 + TICK_MARGIN_MS),  # just before
    ],
)
def test_the_timer_aims_just_past_the_next_minute(into: dt.timedelta, expected: int) -> None:
    assert ms_until_next_minute(BASE + into) == expected


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_the_aim_always_lands_in_the_next_minute(now: dt.datetime) -> None:
    fires = now + dt.timedelta(milliseconds=ms_until_next_minute(now))
    next_minute = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    assert next_minute <= fires < next_minute + dt.timedelta(seconds=1)


def test_status_bar_clock_is_rearmed_for_each_minute(qtbot, demo_services, clock, tmp_path):
    window = MainWindow(demo_services, store_label="s", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    timer = window._tick
    assert timer.isSingleShot() and timer.timerType() == Qt.TimerType.PreciseTimer
    aimed = ms_until_next_minute(dt.datetime.now())
    assert timer.isActive() and abs(timer.remainingTime() - aimed) < 2_000
    assert window.date_label.text() == f"{long_date_text(clock.now())}  {time_text(clock.now())}"
    clock.advance(minutes=1)
    with qtbot.waitSignal(timer.timeout, timeout=5_000):
        timer.start(1)  # as if the minute had turned
    assert time_text(clock.now()) in window.date_label.text()
    aimed = ms_until_next_minute(dt.datetime.now())
    assert timer.isActive() and abs(timer.remainingTime() - aimed) < 2_000  # re-aimed


def _axes(charts: TrendCharts) -> list:
    return [*charts.weight_view.chart().axes(), *charts.bp_view.chart().axes()]


def test_a_patient_without_vitals_sees_no_measurements_yet_and_no_1970_axes(qtbot) -> None:
    charts = TrendCharts()
    qtbot.addWidget(charts)
    charts.show_history([], dob=dt.date(1980, 1, 1))
    assert charts.empty_label.text() == "No measurements yet"
    assert not charts.empty_label.isHidden()
    assert _axes(charts) == []
    for view in (charts.weight_view, charts.bp_view):
        assert view.chart().title().endswith("no measurements yet")


def test_a_chart_with_no_points_of_its_own_says_so(qtbot, demo_services, sign_in_as) -> None:
    """Weight only: the BP chart is empty and says so; the weight chart's dates are real."""
    sign_in_as("ma")
    patient = demo_services.patients.register(
        PatientInput(first_name="Ines", last_name="Vaccaro", dob="04/05/1977")
    )
    form = v.VitalsForm(entries={v.WEIGHT: v.Entry("150", units.LB)})
    demo_services.vitals.save(patient.id, form)
    tab = VitalsTab(demo_services, Selection())
    qtbot.addWidget(tab)
    tab.selection.select_patient(patient.id)
    charts = tab.charts
    assert charts.empty_label.isHidden()
    assert charts.bp_view.chart().axes() == []
    assert charts.bp_view.chart().title() == "Blood pressure (mmHg): no measurements yet"
    [x_axis] = [a for a in charts.weight_view.chart().axes() if isinstance(a, QDateTimeAxis)]
    assert x_axis.min().date().year() == 2026 and x_axis.format() == "MM/dd/yyyy"
