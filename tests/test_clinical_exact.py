"""Growth references stated exactly: which reference at which age (WHO until the second
birthday, CDC from it), the ends of every table, the LMS formulas at L = 0 and L != 0, the
z limit, interpolation between rows and the BMI-for-age categories at their cut-offs."""

from __future__ import annotations

import math

import pytest

from ma_desk.clinical import growth
from ma_desk.clinical.growth import LMS


# ------------------------------------------------------------------ the formulas
def test_z_score_with_and_without_a_box_cox_power():
    assert growth.z_score(10 * math.exp(0.1), LMS(0.0, 10.0, 0.1)) == pytest.approx(1.0)
    assert growth.z_score(11.0, LMS(1.0, 10.0, 0.1)) == pytest.approx(1.0)
    assert growth.z_score(10.0, LMS(0.5, 10.0, 0.1)) == 0.0
    assert growth.z_score(10 / 1.21, LMS(-2.0, 10.0, 0.1)) == pytest.approx(
        ((1 / 1.21) ** -2 - 1) / -0.2
    )


def test_z_score_is_held_at_plus_and_minus_twenty():
    assert growth.Z_LIMIT == 20.0
    assert growth.z_score(100.0, LMS(1.0, 10.0, 0.1)) == 20.0  # 90 SD
    assert growth.z_score(10 * math.exp(-3.0), LMS(0.0, 10.0, 0.1)) == -20.0  # -30 SD
    assert growth.z_score(10 * math.exp(1.9), LMS(0.0, 10.0, 0.1)) == pytest.approx(19.0)
    assert growth.z_score(10 * math.exp(-1.9), LMS(0.0, 10.0, 0.1)) == pytest.approx(-19.0)
    assert growth.z_score(1e300, LMS(2.0, 10.0, 0.1)) == 20.0  # beyond exp's range
    assert growth.z_score(1e300, LMS(-2.0, 10.0, 0.1)) == pytest.approx(5.0)


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_z_score_refuses_a_value_that_is_not_positive(value):
    with pytest.raises(ValueError, match="value must be positive"):
        growth.z_score(value, LMS(1.0, 10.0, 0.1))


def test_value_at_z_inverts_the_z_score():
    assert growth.value_at_z(1.0, LMS(0.0, 10.0, 0.1)) == pytest.approx(10 * math.exp(0.1))
    assert growth.value_at_z(1.0, LMS(1.0, 10.0, 0.1)) == pytest.approx(11.0)
    assert growth.value_at_z(2.0, LMS(0.5, 10.0, 0.1)) == pytest.approx(10 * 1.1**2)


@pytest.mark.parametrize("z, pct", [(0.0, 50.0), (1.959964, 97.5), (-1.0, 15.865525)])
def test_percentile_of_z_is_the_normal_cdf(z, pct):
    assert growth.percentile_of_z(z) == pytest.approx(pct, abs=1e-5)


# ------------------------------------------------------------------ the tables' ends
@pytest.mark.parametrize(
    "months, found", [(23.99, False), (24.0, True), (240.5, True), (240.51, False)]
)
def test_cdc_tables_run_from_24_to_240_and_a_half_months(months, found):
    assert (growth.lms_at(growth.WEIGHT_FOR_AGE, "male", months) is not None) is found


def test_cdc_rows_are_used_as_printed_and_interpolated_between():
    at_24 = LMS(-0.20615245, 12.6707633, 0.108125811)
    at_24_5 = LMS(-0.216501213, 12.74154396, 0.108166006)
    assert growth.lms_at(growth.WEIGHT_FOR_AGE, "male", 24.0) == at_24
    assert growth.lms_at(growth.WEIGHT_FOR_AGE, "male", 24.5) == at_24_5
    between = growth.lms_at(growth.WEIGHT_FOR_AGE, "male", 24.25)
    assert between.l == pytest.approx((at_24.l + at_24_5.l) / 2)
    assert between.m == pytest.approx((at_24.m + at_24_5.m) / 2)
    assert between.s == pytest.approx((at_24.s + at_24_5.s) / 2)
    quarter = growth.lms_at(growth.WEIGHT_FOR_AGE, "male", 24.125)
    assert quarter.m == pytest.approx(at_24.m + (at_24_5.m - at_24.m) / 4)
    last = growth.lms_at(growth.WEIGHT_FOR_AGE, "male", 240.0)
    assert growth.lms_at(growth.WEIGHT_FOR_AGE, "male", 240.5) == last


@pytest.mark.parametrize("sex", ["", "unknown", "Male", "m"])
def test_an_unknown_sex_has_no_reference(sex):
    assert growth.lms_at(growth.WEIGHT_FOR_AGE, sex, 36.0) is None
    assert growth.who_lms(growth.WHO_WEIGHT_FOR_AGE, sex, 100.0) is None
    assert growth.weight_for_age(sex, 100, 3, 6.0) is None


@pytest.mark.parametrize(
    "day, found", [(-1.0, False), (0.0, True), (730.0, True), (730.5, False),
                   (math.nan, False), (math.inf, False)],
)  # fmt: skip
def test_who_age_tables_run_from_birth_to_day_730(day, found):
    assert (growth.who_lms(growth.WHO_WEIGHT_FOR_AGE, "male", day) is not None) is found


def test_who_rows_are_used_as_printed():
    assert growth.who_lms(growth.WHO_WEIGHT_FOR_AGE, "male", 0.0) == LMS(0.3487, 3.3464, 0.14602)
    assert growth.who_lms(growth.WHO_WEIGHT_FOR_AGE, "female", 0.0) != LMS(0.3487, 3.3464, 0.14602)


@pytest.mark.parametrize(
    "length, found", [(44.9, False), (45.0, True), (110.0, True), (110.1, False)]
)
def test_weight_for_length_runs_from_45_to_110_cm(length, found):
    assert (growth.weight_for_length("female", 6, length, 8.0) is not None) is found


# ------------------------------------------------------------------ WHO, then CDC
def test_weight_for_age_is_who_until_the_second_birthday_then_cdc():
    who = growth.weight_for_age("male", 729, 23, 12.0)
    assert (who.indicator, who.reference) == ("weight-for-age", "WHO 2006")
    lms = growth.who_lms(growth.WHO_WEIGHT_FOR_AGE, "male", 729)
    assert who.z == growth.who_restricted_z(12.0, lms)
    cdc = growth.weight_for_age("male", 730, 24, 12.0)
    assert (cdc.indicator, cdc.reference) == ("weight-for-age", "CDC 2000")
    expected = growth.z_score(12.0, growth.lms_at(growth.WEIGHT_FOR_AGE, "male", 24.5))
    assert cdc.z == expected and cdc.percentile == growth.percentile_of_z(expected)


def test_length_for_age_is_who_lying_length_then_cdc_stature():
    who = growth.length_for_age("female", 729, 23, 85.0)
    assert (who.indicator, who.reference) == ("length-for-age", "WHO 2006")
    assert who.z == growth.z_score(85.0, growth.who_lms(growth.WHO_LENGTH_FOR_AGE, "female", 729))
    cdc = growth.length_for_age("female", 730, 24, 85.0)
    assert (cdc.indicator, cdc.reference) == ("stature-for-age", "CDC 2000")
    assert cdc.z == growth.z_score(85.0, growth.lms_at(growth.STATURE_FOR_AGE, "female", 24.5))


def test_head_circumference_is_who_and_only_under_24_months():
    head = growth.head_circumference_for_age("male", 729, 23, 48.0)
    assert (head.indicator, head.reference) == ("head circumference-for-age", "WHO 2006")
    assert head.z == growth.z_score(48.0, growth.who_lms(growth.WHO_HEAD_FOR_AGE, "male", 729))
    assert growth.head_circumference_for_age("male", 730, 24, 48.0) is None


def test_weight_for_length_is_who_with_restricted_z_and_only_under_24_months():
    result = growth.weight_for_length("female", 23, 80.0, 10.0)
    assert (result.indicator, result.reference) == ("weight-for-length", "WHO 2006")
    lms = growth.who_lms(growth.WHO_WEIGHT_FOR_LENGTH, "female", 80.0)
    assert result.z == growth.who_restricted_z(10.0, lms)
    assert growth.weight_for_length("female", 24, 80.0, 10.0) is None


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_a_measurement_that_is_not_a_positive_number_has_no_result(bad):
    assert growth.weight_for_age("male", 100, 3, bad) is None
    assert growth.weight_for_age("male", 1000, 32, bad) is None
    assert growth.length_for_age("male", 100, 3, bad) is None
    assert growth.length_for_age("male", 1000, 32, bad) is None
    assert growth.head_circumference_for_age("male", 100, 3, bad) is None
    assert growth.weight_for_length("male", 3, bad, 6.0) is None
    assert growth.weight_for_length("male", 3, 60.0, bad) is None
    assert growth.percentile(growth.BMI_FOR_AGE, "male", 60.0, bad) is None


def test_percentile_at_the_median_is_fifty():
    lms = growth.lms_at(growth.BMI_FOR_AGE, "female", 60.0)
    assert growth.percentile(growth.BMI_FOR_AGE, "female", 60.0, lms.m) == pytest.approx(50.0)
    assert growth.percentile(growth.BMI_FOR_AGE, "female", 23.0, lms.m) is None


@pytest.mark.parametrize("small", [1e-6, 0.5, 1.0])
def test_a_small_but_positive_measurement_still_has_a_percentile(small):
    """Only zero and below have none: a tiny value is far below the curve, not unknown."""
    result = growth.percentile(growth.BMI_FOR_AGE, "male", 60.0, small)
    assert result is not None and 0.0 <= result < 0.1


@pytest.mark.parametrize("bad", [0.0, -0.5])
def test_z_of_a_value_that_is_not_positive_is_refused_with_the_reason(bad):
    with pytest.raises(ValueError, match="^value must be positive$"):
        growth.z_score(bad, LMS(1.0, 10.0, 0.1))


def test_a_log_normal_curve_l_zero_gives_m_times_e_to_the_s_z():
    """L = 0 is the LMS method's log-normal limit: value = M * exp(S * z)."""
    lms = LMS(0.0, 10.0, 0.1)
    for z in (-2.0, 0.5, 1.0, 3.0):
        assert growth.value_at_z(z, lms) == pytest.approx(10.0 * math.exp(0.1 * z))
        assert growth.z_score(growth.value_at_z(z, lms), lms) == pytest.approx(z)


def test_an_age_outside_the_table_rows_takes_the_nearest_end_row():
    keys, rows = [1.0, 2.0], [LMS(1.0, 10.0, 0.1), LMS(1.0, 20.0, 0.2)]
    assert growth._interpolated(keys, rows, 0.5) == rows[0]
    assert growth._interpolated(keys, rows, 2.5) == rows[1]
    assert growth._interpolated(keys, rows, 1.5) == LMS(1.0, 15.0, pytest.approx(0.15))


# ------------------------------------------------------------------ BMI-for-age words
@pytest.mark.parametrize(
    "pct, words",
    [(0.0, "Underweight"), (4.99, "Underweight"), (5.0, "Healthy weight"),
     (84.99, "Healthy weight"), (85.0, "Overweight"), (94.99, "Overweight"),
     (95.0, "Obesity"), (100.0, "Obesity")],
)  # fmt: skip
def test_bmi_for_age_categories_at_their_cut_offs(pct, words):
    assert growth.bmi_for_age_category(pct) == words


def test_who_restricted_z_beyond_minus_three_uses_the_lower_distance():
    lms = growth.who_lms(growth.WHO_WEIGHT_FOR_AGE, "female", 365)
    low2, low3 = growth.value_at_z(-2, lms), growth.value_at_z(-3, lms)
    assert growth.who_restricted_z(low3, lms) == pytest.approx(-3)
    assert growth.who_restricted_z(low3 - 0.5 * (low2 - low3), lms) == pytest.approx(-3.5)
    high2, high3 = growth.value_at_z(2, lms), growth.value_at_z(3, lms)
    assert growth.who_restricted_z(high3 + 0.5 * (high3 - high2), lms) == pytest.approx(3.5)
    assert growth.who_restricted_z(high3 + 40 * (high3 - high2), lms) == 20.0
    assert growth.who_restricted_z(growth.value_at_z(2.9, lms), lms) == pytest.approx(2.9)
    assert growth.who_restricted_z(growth.value_at_z(-2.9, lms), lms) == pytest.approx(-2.9)
