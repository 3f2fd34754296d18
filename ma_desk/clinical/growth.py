"""Paediatric percentiles: WHO 2006 standards from birth to 24 months, CDC 2000 from 2 to 20 years.

CDC recommends the WHO standards under 2 years and its own charts from 2 (data/README.md
has the sources and licences). Both publish LMS tables:
z = ((X/M)^L - 1) / (L*S), or ln(X/M)/S when L = 0; the percentile is the normal CDF of z.
WHO tables are by age in days (and weight-for-length by length in 0.1 cm steps); CDC's by
age in months at the middle of the month (hence ``age_months + 0.5``). For weight, WHO
restricts z beyond +/-3 to the distance between the 2 and 3 SD curves, as its software does.
Every result names the reference it came from, so screens and documents can say it.
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
STATURE_FOR_AGE = "cdc2000_stature_for_age_lms.csv"
MIN_MONTHS = 24.0
MAX_MONTHS = 240.5

WHO_WEIGHT_FOR_AGE = "who2006_weight_for_age_lms.csv"
WHO_LENGTH_FOR_AGE = "who2006_length_for_age_lms.csv"
WHO_HEAD_FOR_AGE = "who2006_head_circumference_for_age_lms.csv"
WHO_WEIGHT_FOR_LENGTH = "who2006_weight_for_length_lms.csv"
WHO_UNTIL_MONTHS = 24  # WHO from birth up to (not including) the 2nd birthday, then CDC
WHO = "WHO 2006"
CDC = "CDC 2000"


@dataclass(frozen=True)
class LMS:
    l: float  # noqa: E741 - the published name
    m: float
    s: float


@dataclass(frozen=True)
class GrowthResult:
    """One measurement against a growth reference."""

    indicator: str  # "weight-for-age", "length-for-age", ...
    reference: str  # WHO or CDC
    z: float
    percentile: float


@cache
def _table(name: str, sex_code: int) -> tuple[list[float], list[LMS]]:
    """Keys (age or length) and LMS rows of one sex; CDC and WHO files name columns differently."""
    text = resources.files("ma_desk.clinical").joinpath("data", name).read_text("utf-8")
    keys: list[float] = []
    rows: list[LMS] = []
    for row in csv.DictReader(text.splitlines()):
        row = {k.lower(): v for k, v in row.items()}
        if int(row["sex"]) == sex_code:
            keys.append(float(row.get("agemos") or row.get("age") or row["length"]))
            rows.append(LMS(float(row["l"]), float(row["m"]), float(row["s"])))
    return keys, rows


def _interpolated(keys: list[float], rows: list[LMS], x: float) -> LMS:
    """The row at ``x``, linearly interpolated between table rows (x within the table)."""
    i = bisect.bisect_left(keys, x)
    if i < len(keys) and keys[i] == x:
        return rows[i]
    if i == 0:
        return rows[0]
    if i >= len(keys):
        return rows[-1]
    lo, hi = rows[i - 1], rows[i]
    t = (x - keys[i - 1]) / (keys[i] - keys[i - 1])
    return LMS(lo.l + t * (hi.l - lo.l), lo.m + t * (hi.m - lo.m), lo.s + t * (hi.s - lo.s))


def _sex_code(sex: str) -> int | None:
    return {"male": 1, "female": 2}.get(sex)


def lms_at(table: str, sex: str, age_months: float) -> LMS | None:
    """LMS linearly interpolated at ``age_months``; None outside 2-20 years or unknown sex."""
    code = _sex_code(sex)
    if code is None or not (MIN_MONTHS <= age_months <= MAX_MONTHS):
        return None
    months, rows = _table(table, code)
    return _interpolated(months, rows, age_months)


def who_lms(table: str, sex: str, key: float) -> LMS | None:
    """WHO LMS at ``key`` (age in days, or length in cm for weight-for-length); None
    outside the table or for an unknown sex."""
    code = _sex_code(sex)
    if code is None or not math.isfinite(key):
        return None
    keys, rows = _table(table, code)
    if not keys[0] <= key <= keys[-1]:
        return None
    return _interpolated(keys, rows, key)


Z_LIMIT = 20.0  # beyond any percentile shown: absurd measurements stay finite numbers


def z_score(value: float, lms: LMS) -> float:
    """The LMS z of ``value``, computed in log space (no overflow), within +/-Z_LIMIT."""
    if value <= 0:
        raise ValueError("value must be positive")
    log_ratio = math.log(value) - math.log(lms.m)  # value / m can underflow to 0
    if abs(lms.l) < 1e-12:
        z = log_ratio / lms.s
    else:
        power = lms.l * log_ratio
        z = math.expm1(power) / (lms.l * lms.s) if power < 700 else math.inf * lms.l * lms.s
    return max(-Z_LIMIT, min(Z_LIMIT, z))


def value_at_z(z: float, lms: LMS) -> float:
    """The measurement at a given z (for drawing percentile curves)."""
    if abs(lms.l) < 1e-12:
        return lms.m * math.exp(lms.s * z)
    return float(lms.m * (1.0 + lms.l * lms.s * z) ** (1.0 / lms.l))


def who_restricted_z(value: float, lms: LMS) -> float:
    """WHO's z for weight: beyond +/-3, measured in units of the 2-to-3 SD distance
    (the LMS curve's long tail would otherwise exaggerate extreme values)."""
    z = z_score(value, lms)
    if z > 3:
        sd3 = value_at_z(3, lms)
        z = 3 + (value - sd3) / (sd3 - value_at_z(2, lms))
    elif z < -3:
        sd3 = value_at_z(-3, lms)
        z = -3 + (value - sd3) / (value_at_z(-2, lms) - sd3)
    return max(-Z_LIMIT, min(Z_LIMIT, z))


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


def _result(indicator: str, reference: str, z: float) -> GrowthResult:
    return GrowthResult(indicator, reference, z, percentile_of_z(z))


def _usable(value: float) -> bool:
    return value > 0 and math.isfinite(value)


def weight_for_age(sex: str, age_days: int, age_months: int, kg: float) -> GrowthResult | None:
    """WHO under 24 months, CDC from 24 months to 20 years; None outside or sex unknown."""
    if not _usable(kg):
        return None
    if age_months < WHO_UNTIL_MONTHS:
        lms = who_lms(WHO_WEIGHT_FOR_AGE, sex, age_days)
        return None if lms is None else _result("weight-for-age", WHO, who_restricted_z(kg, lms))
    lms = lms_at(WEIGHT_FOR_AGE, sex, age_months + 0.5)
    return None if lms is None else _result("weight-for-age", CDC, z_score(kg, lms))


def length_for_age(sex: str, age_days: int, age_months: int, cm: float) -> GrowthResult | None:
    """Length (lying) for age under 24 months by WHO; stature for age by CDC from 24 months."""
    if not _usable(cm):
        return None
    if age_months < WHO_UNTIL_MONTHS:
        lms = who_lms(WHO_LENGTH_FOR_AGE, sex, age_days)
        return None if lms is None else _result("length-for-age", WHO, z_score(cm, lms))
    lms = lms_at(STATURE_FOR_AGE, sex, age_months + 0.5)
    return None if lms is None else _result("stature-for-age", CDC, z_score(cm, lms))


def head_circumference_for_age(sex: str, age_days: int, age_months: int,
                               cm: float) -> GrowthResult | None:  # fmt: skip
    """WHO head circumference for age, under 24 months only (None from 24 months)."""
    if not _usable(cm) or age_months >= WHO_UNTIL_MONTHS:
        return None
    lms = who_lms(WHO_HEAD_FOR_AGE, sex, age_days)
    return None if lms is None else _result("head circumference-for-age", WHO, z_score(cm, lms))


def weight_for_length(sex: str, age_months: int, length_cm: float,
                      kg: float) -> GrowthResult | None:  # fmt: skip
    """WHO weight for length under 24 months, for lengths 45-110 cm (None otherwise)."""
    if not (_usable(kg) and _usable(length_cm)) or age_months >= WHO_UNTIL_MONTHS:
        return None
    lms = who_lms(WHO_WEIGHT_FOR_LENGTH, sex, length_cm)
    return None if lms is None else _result("weight-for-length", WHO, who_restricted_z(kg, lms))
