"""WHO 2006 growth standards from birth to 24 months, CDC 2000 from 2 years.

Checked against the values WHO prints in its z-score tables (one decimal, by month: month
m is day m x 30.4375), at the table boundaries (birth, 24 months, the switch to CDC), and
through the Vitals rules and the visit summary, which must name the reference used.
"""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ma_desk.clinical import codes, growth
from ma_desk.clinical import vitals as v
from ma_desk.services.reports import vital_lines

DAYS_PER_MONTH = 30.4375

# (table, sex, month, {z: value printed by WHO}) from the WHO Child Growth Standards z-score tables
PUBLISHED = [
    (growth.WHO_WEIGHT_FOR_AGE, "male", 0, {-2: 2.5, 0: 3.3, 2: 4.4}),
    (growth.WHO_WEIGHT_FOR_AGE, "male", 12, {-3: 6.9, -2: 7.7, 0: 9.6, 2: 12.0, 3: 13.3}),
    (growth.WHO_WEIGHT_FOR_AGE, "female", 0, {-2: 2.4, 0: 3.2, 2: 4.2}),
    (growth.WHO_WEIGHT_FOR_AGE, "female", 12, {-2: 7.0, 0: 8.9, 2: 11.5}),
    (growth.WHO_WEIGHT_FOR_AGE, "male", 24, {-2: 9.7, 0: 12.2, 2: 15.3}),
    (growth.WHO_LENGTH_FOR_AGE, "male", 0, {-2: 46.1, 0: 49.9, 2: 53.7}),
    (growth.WHO_LENGTH_FOR_AGE, "male", 12, {-2: 71.0, 0: 75.7, 2: 80.5}),
    (growth.WHO_LENGTH_FOR_AGE, "female", 0, {-2: 45.4, 0: 49.1, 2: 52.9}),
    (growth.WHO_LENGTH_FOR_AGE, "female", 12, {-2: 68.9, 0: 74.0, 2: 79.2}),
    (growth.WHO_HEAD_FOR_AGE, "male", 0, {-2: 31.9, 0: 34.5, 2: 37.0}),
    (growth.WHO_HEAD_FOR_AGE, "female", 0, {-2: 31.5, 0: 33.9, 2: 36.2}),
    (growth.WHO_HEAD_FOR_AGE, "male", 12, {-2: 43.5, 0: 46.1, 2: 48.6}),
]


@pytest.mark.parametrize(("table", "sex", "month", "values"), PUBLISHED)
def test_lms_reproduces_the_published_who_values(table, sex, month, values) -> None:
    day = min(
        month * DAYS_PER_MONTH, 730
    )  # the 24-month column is day 730.5; the table ends at 730
    lms = growth.who_lms(table, sex, day)
    assert lms is not None
    for z, printed in values.items():
        assert abs(growth.value_at_z(z, lms) - printed) <= 0.05 + (0.01 if month == 24 else 0)


def test_the_who_median_at_twelve_months_is_the_50th_percentile() -> None:
    result = growth.weight_for_age("male", 365, 12, growth.who_lms(growth.WHO_WEIGHT_FOR_AGE,
                                                                    "male", 365).m)  # fmt: skip
    assert result is not None and result.reference == growth.WHO
    assert result.z == pytest.approx(0, abs=1e-9) and result.percentile == pytest.approx(50)


# ------------------------------------------------------------------ table boundaries
@pytest.mark.parametrize("table", [growth.WHO_WEIGHT_FOR_AGE, growth.WHO_LENGTH_FOR_AGE,
                                   growth.WHO_HEAD_FOR_AGE])  # fmt: skip
def test_age_tables_cover_birth_to_day_730(table) -> None:
    assert growth.who_lms(table, "female", -0.01) is None  # just below birth
    assert growth.who_lms(table, "female", 0) is not None  # at birth
    assert growth.who_lms(table, "female", 0.5) is not None
    assert growth.who_lms(table, "female", 729.9) is not None
    assert growth.who_lms(table, "female", 730) is not None  # the last day before 24 months
    assert growth.who_lms(table, "female", 730.01) is None
    assert growth.who_lms(table, "unknown", 100) is None
    assert growth.who_lms(table, "male", math.nan) is None


def test_weight_for_length_covers_45_to_110_cm() -> None:
    table = growth.WHO_WEIGHT_FOR_LENGTH
    assert growth.who_lms(table, "male", 44.9) is None
    assert growth.who_lms(table, "male", 45) is not None
    assert growth.who_lms(table, "male", 110) is not None
    assert growth.who_lms(table, "male", 110.1) is None
    between = growth.who_lms(table, "male", 75.05)
    low, high = growth.who_lms(table, "male", 75.0), growth.who_lms(table, "male", 75.1)
    assert low.m < between.m < high.m  # interpolated between 0.1 cm rows
    assert growth.weight_for_length("male", 6, 44.9, 2.5) is None
    assert growth.weight_for_length("male", 24, 80, 10) is None  # from 2 years: BMI instead
    assert growth.weight_for_length("male", 23, 80, 10).reference == growth.WHO


@pytest.mark.parametrize(
    ("day", "reference", "indicator"),
    [
        (dt.date(2024, 11, 30), growth.WHO, "length-for-age"),  # birth
        (dt.date(2026, 11, 29), growth.WHO, "length-for-age"),  # 23 months, day 729
        (dt.date(2026, 11, 30), growth.CDC, "stature-for-age"),  # 2nd birthday: CDC
        (dt.date(2026, 12, 1), growth.CDC, "stature-for-age"),
    ],
)
def test_who_until_the_second_birthday_then_cdc(day, reference, indicator) -> None:
    ctx = v.PatientContext.on(dt.date(2024, 11, 30), day, "female")
    weight = growth.weight_for_age(ctx.sex, ctx.age_days, ctx.age_months, 11.0)
    length = growth.length_for_age(ctx.sex, ctx.age_days, ctx.age_months, 85.0)
    assert weight.reference == length.reference == reference
    assert length.indicator == indicator
    head = growth.head_circumference_for_age(ctx.sex, ctx.age_days, ctx.age_months, 47.0)
    assert (head is not None) == (reference == growth.WHO)


def test_who_restricts_weight_z_beyond_three() -> None:
    lms = growth.who_lms(growth.WHO_WEIGHT_FOR_AGE, "male", 365)
    sd2, sd3 = growth.value_at_z(2, lms), growth.value_at_z(3, lms)
    assert growth.who_restricted_z(sd3, lms) == pytest.approx(3)
    assert growth.who_restricted_z(sd3 + (sd3 - sd2), lms) == pytest.approx(4)
    assert growth.z_score(sd3 + (sd3 - sd2), lms) < 4  # the raw LMS tail says less
    low2, low3 = growth.value_at_z(-2, lms), growth.value_at_z(-3, lms)
    assert growth.who_restricted_z(low3 - (low2 - low3), lms) == pytest.approx(-4)
    assert growth.who_restricted_z(growth.value_at_z(1.5, lms), lms) == pytest.approx(1.5)


@given(
    sex=st.sampled_from(["male", "female", "unknown", "other"]),
    age_days=st.integers(min_value=0, max_value=7400),
    value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(0.01, 250)),
)
def test_any_measurement_gives_a_percentile_or_none(sex, age_days, value) -> None:
    months = int(age_days / DAYS_PER_MONTH)
    for fn in (growth.weight_for_age, growth.length_for_age, growth.head_circumference_for_age):
        result = fn(sex, age_days, months, value)
        if result is not None:
            assert 0.0 <= result.percentile <= 100.0 and math.isfinite(result.z)
            assert result.reference == (growth.WHO if months < 24 else growth.CDC)


@given(age_days=st.integers(0, 730), low=st.floats(1.0, 20.0), step=st.floats(0.01, 5.0))
def test_heavier_is_never_a_lower_percentile(age_days, low, step) -> None:
    months = int(age_days / DAYS_PER_MONTH)
    a = growth.weight_for_age("female", age_days, months, low)
    b = growth.weight_for_age("female", age_days, months, low + step)
    assert a.z < b.z or a.z == b.z == growth.Z_LIMIT  # beyond +20 SD all read the same


# ------------------------------------------------------------------ on screen and on paper
def test_vitals_name_the_reference_and_give_z() -> None:
    infant = v.PatientContext.on(dt.date(2026, 5, 20), dt.date(2026, 11, 23), "male")
    form = v.VitalsForm(entries={v.WEIGHT: v.Entry("7.9", "kg"), v.HEIGHT: v.Entry("67.6", "cm"),
                                 v.HEAD_CIRCUMFERENCE: v.Entry("43.3", "cm")})  # fmt: skip
    result = v.evaluate(form, infant)
    assert "percentile weight-for-age (WHO 2006, z " in result.findings[v.WEIGHT].words
    assert "percentile weight-for-length (WHO 2006, z " in result.findings[v.WEIGHT].words
    assert "percentile length-for-age (WHO 2006" in result.findings[v.HEIGHT].words
    assert "head circumference-for-age (WHO 2006" in result.findings[v.HEAD_CIRCUMFERENCE].words
    assert result.bmi is None  # no BMI under 2
    child = v.PatientContext.on(dt.date(2020, 5, 1), dt.date(2026, 11, 23), "female")
    form = v.VitalsForm(entries={v.WEIGHT: v.Entry("21", "kg"), v.HEIGHT: v.Entry("117", "cm")})
    result = v.evaluate(form, child)
    assert "weight-for-age (CDC 2000" in result.findings[v.WEIGHT].words
    assert "weight-for-length" not in result.findings[v.WEIGHT].words
    assert "stature-for-age (CDC 2000" in result.findings[v.HEIGHT].words
    assert "(CDC 2000)" in result.findings[v.BMI].words


def test_unknown_sex_gets_no_percentile_words() -> None:
    infant = v.PatientContext.on(dt.date(2026, 5, 20), dt.date(2026, 11, 23), "unknown")
    result = v.evaluate(v.VitalsForm(entries={v.WEIGHT: v.Entry("7.9", "kg")}), infant)
    assert v.WEIGHT not in result.findings


def test_the_visit_summary_lines_carry_the_reference() -> None:
    settings = SimpleNamespace(units_weight="kg", units_length="cm", units_temperature="C")
    values = {codes.WEIGHT: 7.9, codes.HEIGHT: 67.6, codes.HEAD_CIRCUMFERENCE: 43.3}
    lines = {line.label: line for line in vital_lines(values, dt.date(2026, 5, 20),
                                                      dt.date(2026, 11, 23), "male", settings)}  # fmt: skip
    assert "percentile for age (WHO 2006)" in lines["Weight"].meaning
    assert "percentile for length (WHO 2006)" in lines["Weight"].meaning
    assert "(WHO 2006" in lines["Height"].meaning
    assert "(WHO 2006" in lines["Head circumference"].meaning
    adult = {line.label: line for line in vital_lines({codes.HEIGHT: 170.0, codes.WEIGHT: 70.0},
                                                      dt.date(1980, 1, 1), dt.date(2026, 11, 23),
                                                      "male", settings)}  # fmt: skip
    assert adult["Height"].meaning == adult["Weight"].meaning == ""  # adults: no growth words


def test_absurd_measurements_give_a_bounded_z_not_an_overflow() -> None:
    """Found by hypothesis: (value / M) ** L overflowed for huge values when L > 1."""
    lms = growth.LMS(1.5, 100.0, 0.05)
    assert growth.z_score(3.7e154, lms) == growth.Z_LIMIT
    assert growth.z_score(1e-300, lms) == pytest.approx(-1 / (1.5 * 0.05))  # the LMS floor
    assert growth.z_score(100.0, lms) == 0.0
    assert growth.z_score(growth.value_at_z(1.5, lms), lms) == pytest.approx(1.5)
