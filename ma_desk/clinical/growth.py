"""Paediatric percentiles from the CDC 2000 LMS tables (2 to 20 years; see data/README.md).

z = ((X/M)^L - 1) / (L*S), or ln(X/M)/S when L = 0; the percentile is the normal CDF of z.
Under 2 years CDC recommends the WHO standards, which are not shipped, so nothing is
computed there (callers get ``None``).
"""

from __future__ import annotations

import bisect
import csv
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

BMI_FOR_AGE = "cdc2000_bmi_for_age_lms.csv"
WEIGHT_FOR_AGE = "cdc2000_weight_for_age_lms.csv"
MIN_MONTHS = 24.0
MAX_MONTHS = 240.5


@dataclass(frozen=True)
class LMS:
    l: float  # noqa: E741 - the published name
    m: float
    s: float


@cache
def _table(name: str, sex_code: int) -> tuple[list[float], list[LMS]]:
    text = resources.files("ma_desk.clinical").joinpath("data", name).read_text("utf-8")
    months: list[float] = []
    rows: list[LMS] = []
    for row in csv.DictReader(text.splitlines()):
        if int(row["Sex"]) == sex_code:
            months.append(float(row["Agemos"]))
            rows.append(LMS(float(row["L"]), float(row["M"]), float(row["S"])))
    return months, rows


def _sex_code(sex: str) -> int | None:
    return {"male": 1, "female": 2}.get(sex)


def lms_at(table: str, sex: str, age_months: float) -> LMS | None:
    """LMS linearly interpolated at ``age_months``; None outside 2-20 years or unknown sex."""
    code = _sex_code(sex)
    if code is None or not (MIN_MONTHS <= age_months <= MAX_MONTHS):
        return None
    months, rows = _table(table, code)
    i = bisect.bisect_left(months, age_months)
    if i < len(months) and months[i] == age_months:
        return rows[i]
    if i == 0:
        return rows[0]
    if i >= len(months):
        return rows[-1]
    lo, hi = rows[i - 1], rows[i]
    t = (age_months - months[i - 1]) / (months[i] - months[i - 1])
    return LMS(lo.l + t * (hi.l - lo.l), lo.m + t * (hi.m - lo.m), lo.s + t * (hi.s - lo.s))


def z_score(value: float, lms: LMS) -> float:
    if value <= 0:
        raise ValueError("value must be positive")
    if abs(lms.l) < 1e-12:
        return math.log(value / lms.m) / lms.s
    return ((value / lms.m) ** lms.l - 1.0) / (lms.l * lms.s)


def value_at_z(z: float, lms: LMS) -> float:
    """The measurement at a given z (for drawing percentile curves)."""
    if abs(lms.l) < 1e-12:
        return lms.m * math.exp(lms.s * z)
    return lms.m * (1.0 + lms.l * lms.s * z) ** (1.0 / lms.l)


def percentile_of_z(z: float) -> float:
    return 50.0 * (1.0 + math.erf(z / math.sqrt(2.0)))


def percentile(table: str, sex: str, age_months: float, value: float) -> float | None:
    """Percentile (0-100) of ``value`` for age and sex, or None when not computable."""
    lms = lms_at(table, sex, age_months)
    if lms is None or value <= 0 or not math.isfinite(value):
        return None
    return percentile_of_z(z_score(value, lms))


def bmi_for_age_category(pct: float) -> str:
    """CDC categories for BMI-for-age (2-19 years)."""
    if pct < 5:
        return "Underweight"
    if pct < 85:
        return "Healthy weight"
    if pct < 95:
        return "Overweight"
    return "Obesity"
