"""Height changes that cannot be real: faster growth than any child grows, or shrinking
beyond measurement error.

A height 11 in taller than four days ago is a typing slip, the wrong patient, shoes left
on or last time's value being wrong; it is not growth. The rule compares a new height with
the previous one over the days between them:

* up: more than the fastest plausible growth over those days (integrated over the age
  bands crossed) plus the measurement allowance;
* down: children do not shrink, so more than the measurement allowance; adults lose
  height slowly with age, so more than the allowance plus that slow loss.

The limits below are *engineering* upper bounds, deliberately above the fastest growth
in the references, so that a real child is never flagged:

* birth to 2 years: WHO Child Growth Standards, *Growth velocity based on weight, length
  and head circumference* (WHO 2009, length increments), fastest from birth to 2 months
  and slowing through the second year; the limits per band are set well above their
  upper centiles;
* 2 to 18 years: the pubertal peak height velocity (Tanner & Davies, *Clinical
  longitudinal standards for height and height velocity for North American children*,
  J Pediatr 1985;107:317-329), the fastest growth after infancy, well under 15 cm a year;
* adults: age-related loss of a few cm per decade at most in old age (Sorkin, Muller &
  Andres, *Longitudinal change in height of men and women*, Am J Epidemiol
  1999;150:969-977);
* measurement allowance 2 cm: two routine clinic measurements each off by up to 1 cm,
  which also covers the 0.7 cm by which recumbent length exceeds standing height when a
  child switches at 2 years (WHO 2006).
"""

from __future__ import annotations

from dataclasses import dataclass

DAYS_PER_YEAR = 365.25
MEASUREMENT_ALLOWANCE_CM = 2.0
ADULT_LOSS_CM_PER_YEAR = 0.5
ADULT_FROM_DAYS = round(18 * DAYS_PER_YEAR)

# (age band ends, in days since birth; fastest plausible growth in that band, cm a year).
GROWTH_LIMITS: tuple[tuple[float, float], ...] = (
    (round(0.5 * DAYS_PER_YEAR), 90.0),  # under 6 months: 7.5 cm a month
    (round(1 * DAYS_PER_YEAR), 36.0),  # 6-12 months: 3 cm a month
    (round(2 * DAYS_PER_YEAR), 24.0),  # second year: 2 cm a month
    (ADULT_FROM_DAYS, 15.0),  # 2-18 years: above the pubertal peak
    (round(21 * DAYS_PER_YEAR), 2.0),  # 18-21 years: late growth
    (float("inf"), 0.0),  # adults do not grow
)


@dataclass(frozen=True)
class HeightJump:
    """A height change beyond what is possible: signed change and the allowed amount."""

    change_cm: float
    days: int
    allowed_cm: float

    @property
    def taller(self) -> bool:
        return self.change_cm > 0


def max_growth_cm(from_age_days: float, to_age_days: float) -> float:
    """The most a person can grow between two ages (the velocity limits integrated)."""
    grown, start = 0.0, max(0.0, from_age_days)
    for band_end, cm_per_year in GROWTH_LIMITS:
        if start >= to_age_days:
            break
        if start < band_end:
            end = min(band_end, to_age_days)
            grown += (end - start) * cm_per_year / DAYS_PER_YEAR
            start = end
    return grown


def max_loss_cm(from_age_days: float, to_age_days: float) -> float:
    """The most a height can fall between two ages: measurement error, plus slow loss
    for the adult years in between."""
    adult_days = max(0.0, to_age_days - max(from_age_days, ADULT_FROM_DAYS))
    return MEASUREMENT_ALLOWANCE_CM + adult_days * ADULT_LOSS_CM_PER_YEAR / DAYS_PER_YEAR


def implausible_change(
    height_cm: float, previous_cm: float, age_days: int, days_since: int
) -> HeightJump | None:
    """The jump from ``previous_cm`` (taken ``days_since`` days ago) to ``height_cm`` at
    ``age_days``, when no real growth or shrinking explains it; else None."""
    days = max(0, days_since)
    then = max(0, age_days - days)
    change = height_cm - previous_cm
    if change > 0:
        allowed = max_growth_cm(then, age_days) + MEASUREMENT_ALLOWANCE_CM
    else:
        allowed = max_loss_cm(then, age_days)
    if abs(change) <= allowed + 1e-9:
        return None
    return HeightJump(change, days, allowed)
