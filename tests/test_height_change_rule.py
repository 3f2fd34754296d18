"""The height-change rule (ma_desk/clinical/height_change.py) at its exact numbers."""

from __future__ import annotations

import pytest

from ma_desk.clinical import height_change as rule

DPY = rule.DAYS_PER_YEAR


def test_growth_from_birth_counts_from_day_zero() -> None:
    assert rule.max_growth_cm(0, 10) == pytest.approx(10 * 90.0 / DPY)


def test_growth_adds_up_over_every_band_crossed() -> None:
    half, one = round(0.5 * DPY), round(DPY)
    expected = (half - 100) * 90.0 + (one - half) * 36.0 + (400 - one) * 24.0
    assert rule.max_growth_cm(100, 400) == pytest.approx(expected / DPY)


def test_adults_past_21_do_not_grow_and_lose_half_a_cm_a_year() -> None:
    twenty_five, thirty_five = 25 * DPY, 35 * DPY
    assert rule.max_growth_cm(twenty_five, thirty_five) == 0.0
    assert rule.max_loss_cm(twenty_five, thirty_five) == pytest.approx(2.0 + 5.0)
    assert rule.max_loss_cm(5 * DPY, 6 * DPY) == pytest.approx(2.0)  # children: error only


def test_the_same_day_counts_zero_days() -> None:
    jump = rule.implausible_change(110.0, 100.0, age_days=2000, days_since=0)
    assert jump is not None and jump.days == 0 and jump.taller
    assert jump.allowed_cm == pytest.approx(rule.MEASUREMENT_ALLOWANCE_CM)


@pytest.mark.parametrize(("change", "flagged"), [(4.3, False), (4.5, True)])
def test_a_newborn_measured_at_birth_may_grow_from_day_zero(change: float, flagged: bool) -> None:
    """Ten days old, measured at birth: 10 days of newborn growth plus the allowance."""
    allowed = 10 * 90.0 / DPY + rule.MEASUREMENT_ALLOWANCE_CM  # 4.46 cm
    assert 4.3 < allowed < 4.5
    jump = rule.implausible_change(50.0 + change, 50.0, age_days=10, days_since=10)
    assert (jump is not None) is flagged
