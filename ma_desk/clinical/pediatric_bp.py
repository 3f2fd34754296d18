"""Children's blood pressure by the AAP 2017 guideline (Flynn et al., Pediatrics 2017;140:e20171904).

From 1 to 12 years the category depends on the child's sex, age in whole years and height
percentile, through the guideline's tables of the 50th/90th/95th BP percentiles (Tables 4
and 5, data/aap2017_bp_*.csv; source in data/README.md). Its Table 3:

- Normal: below the 90th percentile.
- Elevated: 90th percentile, or 120/80 if lower, up to the 95th.
- Stage 1: 95th percentile, or 130/80 if lower, up to 95th + 12 mmHg.
- Stage 2: 95th percentile + 12 mmHg, or 140/90 if lower.

From 13 years the adult cut-offs apply (120/<80, 130/80, 140/90). Systolic and diastolic
are classified separately and the higher category wins. Without a height percentile there
is no category under 13: callers must say that the height is needed, not guess.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

HEIGHT_COLUMNS = (5, 10, 25, 50, 75, 90, 95)  # height percentiles the tables have a column for
MIN_AGE = 1
ADULT_CUTOFFS_FROM = 13
MAX_AGE = 17
STAGE_2_MARGIN = 12  # mmHg above the 95th percentile

NORMAL = "Normal"
ELEVATED = "Elevated blood pressure"
STAGE_1 = "Stage 1 hypertension"
STAGE_2 = "Stage 2 hypertension"
CATEGORIES = (NORMAL, ELEVATED, STAGE_1, STAGE_2)


@dataclass(frozen=True)
class Percentiles:
    """The table cell for one sex, age and height column: BP percentiles in mmHg."""

    height_column: int
    systolic_90: int
    systolic_95: int
    diastolic_90: int
    diastolic_95: int


@dataclass(frozen=True)
class Classification:
    category: str
    percentiles: Percentiles | None  # None from 13 years (adult cut-offs)

    @property
    def level(self) -> int:
        return CATEGORIES.index(self.category)


@cache
def _table(sex: str) -> dict[tuple[int, int], dict[str, int]]:
    """(age, BP percentile) -> the row's SBP/DBP by height column, for ``sex``."""
    name = {"male": "aap2017_bp_boys.csv", "female": "aap2017_bp_girls.csv"}[sex]
    text = resources.files("ma_desk.clinical").joinpath("data", name).read_text("utf-8")
    return {
        (int(row["age_years"]), int(row["bp_percentile"])): {k: int(v) for k, v in row.items()}
        for row in csv.DictReader(text.splitlines())
    }


def height_column(height_percentile: float) -> int:
    """The table column nearest the child's height percentile (ties go to the lower one)."""
    return min(HEIGHT_COLUMNS, key=lambda column: (abs(column - height_percentile), column))


def percentiles(sex: str, age_years: int, height_percentile: float) -> Percentiles | None:
    """The 90th and 95th BP percentiles; None outside 1-17 years or for an unknown sex."""
    if sex not in ("male", "female") or not MIN_AGE <= age_years <= MAX_AGE:
        return None
    column = height_column(height_percentile)
    table = _table(sex)
    p90, p95 = table[(age_years, 90)], table[(age_years, 95)]
    return Percentiles(column, p90[f"sbp_h{column}"], p95[f"sbp_h{column}"],
                       p90[f"dbp_h{column}"], p95[f"dbp_h{column}"])  # fmt: skip


def _level(value: float, elevated: float, stage_1: float, stage_2: float) -> int:
    if value >= stage_2:
        return 3
    if value >= stage_1:
        return 2
    if value >= elevated:
        return 1
    return 0


def adult_cutoff_category(systolic: float, diastolic: float) -> str:
    """AAP 2017 from 13 years: the same cut-offs as for adults."""
    level = max(_level(systolic, 120, 130, 140), _level(diastolic, float("inf"), 80, 90))
    return CATEGORIES[level]


def classify(sex: str, age_years: int, height_percentile: float | None, systolic: float,
             diastolic: float) -> Classification | None:  # fmt: skip
    """The AAP 2017 category; None under 1 year, or under 13 without sex or height percentile."""
    if age_years < MIN_AGE:
        return None
    if age_years >= ADULT_CUTOFFS_FROM:
        return Classification(adult_cutoff_category(systolic, diastolic), None)
    if height_percentile is None:
        return None
    cell = percentiles(sex, age_years, height_percentile)
    if cell is None:
        return None
    systolic_level = _level(systolic, min(cell.systolic_90, 120), min(cell.systolic_95, 130),
                            min(cell.systolic_95 + STAGE_2_MARGIN, 140))  # fmt: skip
    diastolic_level = _level(diastolic, min(cell.diastolic_90, 80), min(cell.diastolic_95, 80),
                             min(cell.diastolic_95 + STAGE_2_MARGIN, 90))  # fmt: skip
    return Classification(CATEGORIES[max(systolic_level, diastolic_level)], cell)
