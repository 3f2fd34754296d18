"""Children's blood pressure by the AAP 2017 guideline (Flynn et al., Pediatrics 2017).

Table cells are spot-checked against Tables 4 and 5 (values as transcribed by the pedbp
project, see ma_desk/clinical/data/README.md; the guideline PDF was not at hand); each category
threshold just below, at and just above, including where 120/80, 130/80 or 140/90 is lower
than the percentile rule, and the switch to adult cut-offs at 13.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ma_desk.clinical import pediatric_bp as bp
from ma_desk.clinical import vitals as v

N, E, S1, S2 = bp.NORMAL, bp.ELEVATED, bp.STAGE_1, bp.STAGE_2

# (sex, age, height column) -> (90th SBP/DBP, 95th SBP/DBP) of Tables 4 (boys) and 5 (girls)
PRINTED = [
    ("male", 1, 5, (98, 52), (102, 54)),
    ("male", 1, 95, (101, 54), (105, 57)),
    ("male", 5, 50, (106, 65), (109, 69)),
    ("male", 10, 50, (112, 74), (116, 77)),
    ("female", 1, 50, (100, 56), (103, 60)),
    ("female", 12, 95, (122, 76), (126, 79)),
]


@pytest.mark.parametrize(("sex", "age", "column", "p90", "p95"), PRINTED)
def test_table_cells_match_the_guideline(sex, age, column, p90, p95) -> None:
    cell = bp.percentiles(sex, age, column)
    assert cell is not None and cell.height_column == column
    assert (cell.systolic_90, cell.diastolic_90) == p90
    assert (cell.systolic_95, cell.diastolic_95) == p95


@pytest.mark.parametrize(
    ("height_percentile", "column"),
    [(0, 5), (5, 5), (7.4, 5), (7.5, 5), (7.6, 10), (17.5, 10), (17.6, 25), (50, 50),
     (62.5, 50), (62.6, 75), (92.4, 90), (92.5, 90), (92.6, 95), (100, 95)],
)  # fmt: skip
def test_the_nearest_height_column_is_used(height_percentile, column) -> None:
    assert bp.height_column(height_percentile) == column


def category(sex, age, height, s, d):
    result = bp.classify(sex, age, height, s, d)
    assert result is not None
    return result.category


# boys 5 y, 50th height: 90th 106/65, 95th 109/69 -> stage 2 from 121/81
BOY5 = [
    (105, 40, N), (106, 40, E), (107, 40, E), (108, 40, E), (109, 40, S1), (110, 40, S1),
    (120, 40, S1), (121, 40, S2), (122, 40, S2),
    (90, 64, N), (90, 65, E), (90, 66, E), (90, 68, E), (90, 69, S1), (90, 70, S1),
    (90, 80, S1), (90, 81, S2), (90, 82, S2),
    (107, 70, S1),  # the higher of the two categories
]  # fmt: skip
# girls 12 y, 95th height: 90th 122/76, 95th 126/79: 120 (lower than 122) makes elevated,
# 126 stage 1, 126 + 12 = 138 stage 2; diastolic 79 stage 1, 90 (lower than 79 + 12) stage 2
GIRL12 = [
    (119, 40, N), (120, 40, E), (121, 40, E), (125, 40, E), (126, 40, S1), (137, 40, S1),
    (138, 40, S2), (90, 75, N), (90, 76, E), (90, 78, E), (90, 79, S1), (90, 89, S1),
    (90, 90, S2), (90, 91, S2),
]  # fmt: skip
# boys 12 y, 95th height: 95th SBP 128 -> stage 2 at min(140, 140); 90th 122 -> 120
BOY12 = [(119, 40, N), (120, 40, E), (127, 40, E), (128, 40, S1), (139, 40, S1), (140, 40, S2)]


@pytest.mark.parametrize(("s", "d", "expected"), BOY5)
def test_boy_5_years_50th_height(s, d, expected) -> None:
    assert category("male", 5, 50, s, d) == expected


@pytest.mark.parametrize(("s", "d", "expected"), GIRL12)
def test_girl_12_years_95th_height(s, d, expected) -> None:
    assert category("female", 12, 95, s, d) == expected


@pytest.mark.parametrize(("s", "d", "expected"), BOY12)
def test_boy_12_years_95th_height(s, d, expected) -> None:
    assert category("male", 12, 95, s, d) == expected


@pytest.mark.parametrize(
    ("s", "d", "expected"),
    [(119, 79, N), (120, 79, E), (129, 79, E), (130, 79, S1), (119, 80, S1), (139, 89, S1),
     (140, 89, S2), (139, 90, S2)],
)  # fmt: skip
def test_from_13_the_adult_cutoffs_apply_whatever_the_height(s, d, expected) -> None:
    for age in (13, 17, 18):
        assert category("female", age, None, s, d) == expected
    assert bp.classify("male", 13, 5, s, d).percentiles is None


def test_twelve_versus_thirteen() -> None:
    assert category("male", 12, 95, 125, 60) == E  # 90th 122 .. 95th 128
    assert category("male", 13, 95, 125, 60) == E  # 120-129: elevated
    assert category("male", 12, 5, 116, 60) == S1  # 95th at the 5th height column is 116
    assert category("male", 13, 5, 116, 60) == N


def test_no_category_without_what_it_needs() -> None:
    assert bp.classify("male", 0, 50, 100, 60) is None  # under 1: no AAP tables
    assert bp.classify("male", 6, None, 100, 60) is None  # no height: no guess
    assert bp.classify("unknown", 6, 50, 100, 60) is None
    assert bp.percentiles("male", 18, 50) is None


@pytest.mark.parametrize(("age", "has_cell"), [(0, False), (1, True), (16, True), (17, True),
                                              (18, False)])  # fmt: skip
def test_the_tables_cover_ages_1_to_17_inclusive(age, has_cell) -> None:
    """The tables' first and last rows are used (17 is in them; 0 and 18 are not)."""
    cell = bp.percentiles("female", age, 50)
    assert (cell is not None) is has_cell
    if has_cell:
        row_95 = bp._table("female")[(age, 95)]
        assert (cell.systolic_95, cell.diastolic_95) == (row_95["sbp_h50"], row_95["dbp_h50"])


@given(
    sex=st.sampled_from(["male", "female"]),
    age=st.integers(1, 17),
    height=st.floats(0, 100),
    s=st.integers(60, 200),
    d=st.integers(30, 120),
    more=st.integers(1, 30),
)
def test_higher_pressure_is_never_a_lower_category(sex, age, height, s, d, more) -> None:
    base = bp.classify(sex, age, height, s, d)
    assert base.level <= bp.classify(sex, age, height, s + more, d).level
    assert base.level <= bp.classify(sex, age, height, s, d + more).level


# ------------------------------------------------------------------ in the Vitals rules
BOY5_DOB = dt.date(2021, 6, 1)
DAY = dt.date(2026, 11, 23)  # 5 years 5 months


def evaluate(bp_text: str, height: str = "", sex: str = "male") -> v.Finding:
    entries = {v.HEIGHT: v.Entry(height, "cm")} if height else {}
    form = v.VitalsForm(entries=entries, bp=(v.BPEntry(bp_text),))
    return v.evaluate(form, v.PatientContext.on(BOY5_DOB, DAY, sex)).findings["bp.0"]


def test_vitals_use_the_tables_with_todays_height() -> None:
    finding = evaluate("110/60", "111.5")  # about the 50th height percentile at 5 years
    assert finding.level == v.ABNORMAL
    assert finding.words.startswith("Stage 1 hypertension (AAP 2017, height ")
    assert "95th 109/69" in finding.words
    normal = evaluate("100/60", "111.5")
    assert normal.level == v.NORMAL and normal.words.startswith("Normal for age (AAP 2017")


def test_vitals_say_the_height_is_needed_rather_than_guess() -> None:
    finding = evaluate("110/60")
    assert finding.level == v.NORMAL
    assert finding.words == "Below 120/80; the AAP 2017 category needs height"
    high = evaluate("131/60")
    assert high.level == v.ABNORMAL and high.words.startswith("At least stage 1 for age")
    assert evaluate("110/60", sex="unknown").words.endswith("needs height and sex male/female")
    assert "needs sex male/female" in evaluate("110/60", "111.5", sex="unknown").words
