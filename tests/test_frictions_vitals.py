"""Issue 15 item 7, vitals: an implausible temperature names the missing decimal point,
and a height jump that cannot be real is flagged beside the field and saved only once
confirmed (rules, service and the tab driven by keyboard)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt

from ma_desk.actor import Actor
from ma_desk.clinical import codes, height_change, units
from ma_desk.clinical import vitals as v
from ma_desk.services import Services
from ma_desk.services.patients import PatientInput
from ma_desk.services.vitals import UnlikelyValues
from ma_desk.ui.selection import Selection
from ma_desk.ui.vitals.acknowledge import unlikely
from ma_desk.ui.vitals.tab import VitalsTab
from tests.modal_helpers import when_modal_shown

TODAY = dt.date(2026, 11, 23)
ADULT = v.PatientContext.on(dt.date(1980, 3, 14), TODAY, "female")
CHILD_DOB = dt.date(2022, 6, 1)  # 4 years old


def temperature_refusal(text: str, unit: str) -> str:
    form = v.VitalsForm(entries={v.TEMPERATURE: v.Entry(text, unit)})
    return v.evaluate(form, ADULT).refusals.get(v.TEMPERATURE, "")


# ------------------------------------------------------------------ temperature
def test_986_names_the_missing_decimal_point() -> None:
    message = temperature_refusal("986", units.DEGF)
    assert message.startswith("986 °F is not possible – did you mean 98.6 °F?")
    assert "decimal point" in message


@pytest.mark.parametrize(
    ("text", "unit", "meant"),
    [
        # °F plausible range 86-113: the shifted value just below, at and just above it.
        ("859", units.DEGF, None), ("860", units.DEGF, "86 °F"), ("861", units.DEGF, "86.1 °F"),
        ("1129", units.DEGF, "112.9 °F"), ("1130", units.DEGF, "113 °F"),
        ("1131", units.DEGF, None),
        ("9860", units.DEGF, "98.6 °F"), ("9.86", units.DEGF, "98.6 °F"),
        # °C plausible range 30-45.
        ("299", units.CEL, None), ("300", units.CEL, "30 °C"), ("301", units.CEL, "30.1 °C"),
        ("449", units.CEL, "44.9 °C"), ("450", units.CEL, "45 °C"), ("451", units.CEL, None),
        ("372", units.CEL, "37.2 °C"), ("3.72", units.CEL, "37.2 °C"),
    ],
)  # fmt: skip
def test_decimal_hint_at_the_range_boundaries(text: str, unit: str, meant: str | None) -> None:
    message = temperature_refusal(text, unit)
    assert message, "an implausible temperature is always refused"
    if meant is None:
        assert "did you mean" not in message and "re-measure" in message
    else:
        assert f"did you mean {meant}?" in message


@pytest.mark.parametrize(
    ("text", "unit"),
    [("85.9", units.DEGF), ("113.1", units.DEGF), ("29.9", units.CEL), ("45.1", units.CEL)],
)
def test_values_just_outside_the_range_are_refused_without_a_decimal_guess(
    text: str, unit: str
) -> None:
    message = temperature_refusal(text, unit)
    assert message and "did you mean" not in message


@pytest.mark.parametrize(
    ("text", "unit"),
    [("86", units.DEGF), ("113", units.DEGF), ("30", units.CEL), ("45", units.CEL)],
)
def test_values_at_the_range_limits_are_accepted(text: str, unit: str) -> None:
    assert temperature_refusal(text, unit) == ""


def test_a_unit_mix_up_is_still_named_before_a_decimal_guess() -> None:
    assert "looks like °F" in temperature_refusal("98.6", units.CEL)
    assert "looks like °C" in temperature_refusal("37.2", units.DEGF)


@given(st.integers(min_value=860, max_value=1130))
def test_every_plausible_fahrenheit_typed_without_its_point_is_named(tenths: int) -> None:
    meant = units.format_number(tenths / 10, 3)
    assert f"did you mean {meant} °F?" in temperature_refusal(str(tenths), units.DEGF)


@given(st.text(max_size=12))
def test_any_typed_temperature_is_accepted_or_refused_never_raises(text: str) -> None:
    for unit in (units.DEGF, units.CEL):
        form = v.VitalsForm(entries={v.TEMPERATURE: v.Entry(text, unit)})
        result = v.evaluate(form, ADULT)
        assert (v.TEMPERATURE in result.refusals) or not text.strip() or result.measurements


# ------------------------------------------------------------------ height jump rule
def child(previous_in: float, days_ago: int, dob: dt.date = CHILD_DOB) -> v.PatientContext:
    taken = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(9, 30))
    previous = {v.HEIGHT: v.Previous(previous_in * units.CM_PER_IN, taken, str(previous_in), units.IN)}  # fmt: skip
    return v.PatientContext.on(dob, TODAY, "female", previous)


def height(text: str, ctx: v.PatientContext, unit: str = units.IN) -> v.Assessment:
    return v.evaluate(v.VitalsForm(entries={v.HEIGHT: v.Entry(text, unit)}), ctx)


def test_the_morning_case_389_to_50_in_in_four_days_is_flagged() -> None:
    result = height("50", child(38.9, 4))
    assert not result.refusals
    assert "Up 11.1 in in 4 days" in result.confirmations[v.HEIGHT]
    finding = result.findings[v.HEIGHT]
    assert finding.level == v.ABNORMAL and finding.direction == "high"
    assert v.flag_text(finding).startswith("HIGH: Up 11.1 in in 4 days (38.9 in on 11/19/2026)")


def test_normal_growth_and_measurement_error_are_not_flagged() -> None:
    assert not height("39.5", child(38.9, 4)).confirmations  # +1.5 cm: measurement error
    assert not height("38.3", child(38.9, 4)).confirmations  # -1.5 cm: measurement error
    assert not height("41.5", child(38.9, 365)).confirmations  # +6.6 cm in a year


def test_allowance_boundaries_just_below_at_and_above() -> None:
    """The allowance over 30 days at 4 years: 15 cm/yr * 30 / 365.25 + 2 cm up, 2 cm down."""
    allowed = 15.0 * 30 / height_change.DAYS_PER_YEAR + height_change.MEASUREMENT_ALLOWANCE_CM
    age = (TODAY - CHILD_DOB).days
    for delta, flagged in ((allowed - 0.001, False), (allowed, False), (allowed + 0.001, True)):
        assert (height_change.implausible_change(100 + delta, 100, age, 30) is not None) is flagged
    for delta, flagged in ((-1.999, False), (-2.0, False), (-2.001, True)):
        assert (height_change.implausible_change(100 + delta, 100, age, 30) is not None) is flagged
    ctx = v.PatientContext.on(CHILD_DOB, TODAY, "female", {
        v.HEIGHT: v.Previous(100.0, dt.datetime.combine(TODAY - dt.timedelta(days=30), dt.time(9)))
    })  # fmt: skip
    for typed, flagged in (("103.22", False), ("103.23", False), ("103.24", True),
                           ("98.01", False), ("98", False), ("97.99", True)):  # fmt: skip
        assert bool(height(typed, ctx, units.CM).confirmations) is flagged, typed


def test_adult_shrinking_beyond_measurement_error_is_flagged_beside_the_field() -> None:
    """Adults: flagged (height loss is real and worth the provider's eye), not stopped."""
    taken = dt.datetime(2026, 1, 19, 9, 0)
    ctx = v.PatientContext.on(dt.date(1960, 6, 1), TODAY, "male", {v.HEIGHT: v.Previous(170.0, taken)})  # fmt: skip
    assert v.HEIGHT not in height("168.5", ctx, units.CM).findings
    result = height("166", ctx, units.CM)
    assert not result.confirmations and not result.refusals
    finding = result.findings[v.HEIGHT]
    assert finding.direction == "low" and finding.level == v.ABNORMAL
    assert v.flag_text(finding).startswith("LOW: Down 4 cm in 308 days (170 cm on 01/19/2026)")
    grown = height("173", ctx, units.CM).findings[v.HEIGHT]  # adults do not grow
    assert grown.direction == "high" and "more than anyone grows" in grown.words


def test_without_a_previous_height_or_a_day_nothing_is_flagged() -> None:
    assert not height("50", v.PatientContext.on(CHILD_DOB, TODAY, "female")).confirmations
    ctx = child(38.9, 4)
    undated = v.PatientContext(ctx.age_days, ctx.sex, ctx.previous, ctx.age_months, ctx.age_years)
    assert not height("50", undated).confirmations


def test_infants_may_grow_fast() -> None:
    newborn = TODAY - dt.timedelta(days=40)
    assert not height("21.5", child(20.0, 30, newborn)).confirmations  # +3.8 cm in a month
    assert height("24", child(20.0, 30, newborn)).confirmations  # +10 cm in a month


@given(
    age_days=st.integers(min_value=0, max_value=100 * 366),
    days=st.integers(min_value=0, max_value=20 * 366),
    previous=st.floats(min_value=30.0, max_value=230.0),
    change=st.floats(min_value=-40.0, max_value=40.0),
)
def test_rule_properties(age_days: int, days: int, previous: float, change: float) -> None:
    """Within the measurement allowance never flags; a flagged jump is beyond its allowance;
    the allowance only grows with time."""
    jump = height_change.implausible_change(previous + change, previous, age_days, days)
    if abs(change) <= height_change.MEASUREMENT_ALLOWANCE_CM:
        assert jump is None
    if jump is not None:
        assert abs(jump.change_cm) > jump.allowed_cm >= height_change.MEASUREMENT_ALLOWANCE_CM
        assert jump.taller == (change > 0)
    then = max(0, age_days - days)
    assert height_change.max_growth_cm(then, age_days) >= height_change.max_growth_cm(
        then, max(then, age_days - 1)
    )


@given(st.text(max_size=12), st.sampled_from([units.IN, units.CM]))
def test_any_typed_height_with_a_previous_never_raises(text: str, unit: str) -> None:
    result = height(text, child(38.9, 4), unit)
    assert set(result.confirmations) <= {v.HEIGHT}
    assert not (result.confirmations and result.refusals.get(v.HEIGHT))


# ------------------------------------------------------------------ service and tab
@pytest.fixture
def ma(demo_services: Services) -> Services:
    user = demo_services.accounts.create_user("u_ma", "Kim Chen", "medical_assistant", "correct horse battery 9")  # fmt: skip
    demo_services.set_actor(Actor(user.id, "u_ma", "Kim Chen", "medical_assistant", "ws1"))
    return demo_services


def a_child(services: Services) -> int:
    """A new 8-year-old patient (registered as the desk would)."""
    data = PatientInput(first_name="Wren", last_name="Oyelaran", dob="03/02/2018", sex="female")
    return services.patients.register(data).id


def form(height_text: str) -> v.VitalsForm:
    return v.VitalsForm(entries={v.HEIGHT: v.Entry(height_text, units.IN)})


def measured_at_50_in(services: Services, patient_id: int) -> None:
    """A height of 50 in today (confirmed when the demo chart's last height differs)."""
    services.vitals.save(patient_id, form("50"), confirm_unlikely=True)


def test_service_asks_before_storing_an_impossible_height(ma: Services, clock) -> None:
    patient_id = a_child(ma)
    measured_at_50_in(ma, patient_id)
    clock.advance(days=4)
    before = len(ma.vitals.history(patient_id))
    with pytest.raises(UnlikelyValues) as asked:
        ma.vitals.save(patient_id, form("55"))
    assert "Up 5 in in 4 days" in asked.value.warnings[0]
    assert len(ma.vitals.history(patient_id)) == before  # nothing stored
    saved = ma.vitals.save(patient_id, form("55"), confirm_unlikely=True)
    assert ma.vitals.history(patient_id)[0].id == saved.set_id
    assert ma.vitals.history(patient_id)[0].flag(codes.HEIGHT) == "H"


def test_an_amendment_is_judged_against_the_sets_before_it(ma: Services, clock) -> None:
    """Correcting January's set after June's taller height is not 'a child shrinking'."""
    patient_id = a_child(ma)
    january = ma.vitals.save(patient_id, form("40"), confirm_unlikely=True)
    clock.advance(days=150)
    ma.vitals.save(patient_id, form("42"), confirm_unlikely=True)
    amended = ma.vitals.amend(january.set_id, form("40.2"), reason="Re-read the tape")
    assert amended.set_id in {row.id for row in ma.vitals.history(patient_id)}  # not asked


def test_tab_flags_the_jump_beside_the_field_and_goes_back_by_default(
    qtbot, ma: Services, clock, monkeypatch
) -> None:
    patient_id = a_child(ma)
    measured_at_50_in(ma, patient_id)
    clock.advance(days=4)
    asked: list[str] = []
    answer = {"save": False}
    monkeypatch.setattr(unlikely, "ask", lambda _p, text: asked.append(text) or answer["save"])
    selection = Selection()
    tab = VitalsTab(ma, selection)
    qtbot.addWidget(tab)
    tab.resize(1400, 800)
    tab.show()
    qtbot.waitExposed(tab)
    selection.select_patient(patient_id)
    field = tab.entry.rows[v.HEIGHT].edit
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "55")
    flag = tab.entry.rows[v.HEIGHT].flag
    assert flag.text().startswith("HIGH: Up 5 in in 4 days") and flag.property("flag") == "abnormal"
    before = len(ma.vitals.history(patient_id))
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert asked and "Up 5 in in 4 days" in asked[-1]
    assert len(ma.vitals.history(patient_id)) == before
    assert "re-measure" in tab.status_label.text()
    answer["save"] = True
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert len(ma.vitals.history(patient_id)) == before + 1


def test_tab_names_the_missing_decimal_point_beside_the_field(qtbot, ma: Services) -> None:
    patient_id = a_child(ma)
    tab = VitalsTab(ma, Selection())
    qtbot.addWidget(tab)
    tab.resize(1400, 800)
    tab.show()
    qtbot.waitExposed(tab)
    tab.selection.select_patient(patient_id)
    field = tab.entry.rows[v.TEMPERATURE].edit
    field.setFocus()
    qtbot.waitUntil(field.hasFocus)
    qtbot.keyClicks(field, "986")
    qtbot.keyClick(field, Qt.Key.Key_Tab)  # leaving the field shows the refusal
    message = tab.entry.rows[v.TEMPERATURE].message
    qtbot.waitUntil(lambda: "did you mean 98.6 °F?" in message.text())
    assert field.property("flag") == "refused"


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Escape])
def test_the_unlikely_value_question_defaults_to_going_back(qtbot, key) -> None:
    answered = when_modal_shown(lambda box: qtbot.keyClick(box, key))
    assert unlikely.ask(None, "Height 55 in: Up 5 in in 4 days") is False
    assert answered
