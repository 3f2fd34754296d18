"""The vital-sign rules: every field's refuse / flag / critical boundaries, by age band,
unit conversions and the 'likely cause' messages; hypothesis throws arbitrary text at
every field."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ma_desk.clinical import growth, units
from ma_desk.clinical import vitals as v

TODAY = dt.date(2026, 11, 23)
LAST_MONTH = dt.datetime(2026, 10, 23, 9, 15)

AGES = {
    "adult": dt.date(1980, 3, 14),  # 46 y
    "newborn": TODAY - dt.timedelta(days=10),
    "infant2m": TODAY - dt.timedelta(days=61),
    "infant6m": dt.date(2026, 5, 20),
    "child6": dt.date(2020, 5, 1),
    "teen15": dt.date(2011, 6, 2),
}


def ctx(age: str, sex: str = "female", **previous: v.Previous) -> v.PatientContext:
    return v.PatientContext.on(AGES[age], TODAY, sex, previous)


def tier(age: str, name: str, text: str, unit: str = "", **previous: v.Previous) -> str:
    """'refused' | 'normal' | 'abnormal' | 'critical' for one typed value."""
    if name == v.BP:
        form = v.VitalsForm(bp=(v.BPEntry(text),))
        key = "bp.0"
    else:
        form = v.VitalsForm(entries={name: v.Entry(text, unit)})
        key = name
    result = v.evaluate(form, ctx(age, **previous))
    if key in result.refusals:
        return "refused"
    finding = result.findings.get(key)
    return finding.level if finding else "normal"


R, N, A, C = "refused", "normal", "abnormal", "critical"

# (age band, field, typed text, unit, expected tier): just below / at / just above each limit.
BOUNDARIES = [
    # ---- adult pulse: refuse <20 >300, critical <40 >130, abnormal <60 >100
    *[("adult", v.PULSE, t, "", e) for t, e in [("19", R), ("20", C), ("21", C), ("39", C), ("40", A), ("41", A), ("59", A), ("60", N), ("61", N), ("99", N), ("100", N), ("101", A), ("129", A), ("130", A), ("131", C), ("299", C), ("300", C), ("301", R)]],
    # ---- adult respiratory rate: refuse <4 >80, abnormal <12 >20, critical >30
    *[("adult", v.RESPIRATORY_RATE, t, "", e) for t, e in [("3", R), ("4", A), ("5", A), ("11", A), ("12", N), ("13", N), ("19", N), ("20", N), ("21", A), ("29", A), ("30", A), ("31", C), ("79", C), ("80", C), ("81", R)]],
    # ---- adult temperature (°C): refuse <30 >45, critical <35 or >=39.5, fever >=38.0
    *[("adult", v.TEMPERATURE, t, units.CEL, e) for t, e in [("29.9", R), ("30", C), ("30.1", C), ("34.9", C), ("35", N), ("35.1", N), ("37.9", N), ("38", A), ("38.1", A), ("39.4", A), ("39.5", C), ("39.6", C), ("44.9", C), ("45", C), ("45.1", R)]],
    # the same limits typed in °F
    *[("adult", v.TEMPERATURE, t, units.DEGF, e) for t, e in [("85.9", R), ("86", C), ("94.9", C), ("95", N), ("100.3", N), ("100.4", A), ("103", A), ("103.1", C), ("113", C), ("113.1", R)]],
    # ---- adult SpO2: refuse <50 >100, critical <90, abnormal <95
    *[("adult", v.SPO2, t, "", e) for t, e in [("49", R), ("50", C), ("51", C), ("89", C), ("90", A), ("91", A), ("94", A), ("95", N), ("96", N), ("99", N), ("100", N), ("101", R)]],
    # ---- pain 0-10, severe >= 7 flagged
    *[("adult", v.PAIN, t, "", e) for t, e in [("-1", R), ("0", N), ("1", N), ("6", N), ("7", A), ("8", A), ("9", A), ("10", A), ("11", R)]],
    # ---- adult systolic (diastolic fixed low): refuse <50 >300, low <90, categories, critical >=180
    *[("adult", v.BP, f"{s}/{d}", "", e) for s, d, e in [(49, 30, R), (50, 30, A), (51, 30, A), (89, 60, A), (90, 60, N), (91, 60, N), (119, 70, N), (120, 70, A), (121, 70, A), (129, 70, A), (130, 70, A), (139, 70, A), (140, 70, A), (141, 70, A), (179, 70, A), (180, 70, C), (181, 70, C), (299, 70, C), (300, 70, C), (301, 70, R)]],
    # ---- adult diastolic: refuse <20 >200 or >= systolic, stage 1 >=80, stage 2 >=90, critical >=120
    *[("adult", v.BP, f"{s}/{d}", "", e) for s, d, e in [(110, 19, R), (110, 20, N), (110, 21, N), (110, 79, N), (110, 80, A), (110, 81, A), (150, 119, A), (150, 120, C), (150, 121, C), (250, 199, C), (250, 200, C), (250, 201, R), (100, 99, A), (100, 100, R), (100, 101, R)]],
    # ---- adult weight kg: refuse <22.7 >340
    *[("adult", v.WEIGHT, t, units.KG, e) for t, e in [("22.6", R), ("22.7", N), ("22.8", N), ("339.9", N), ("340", N), ("340.1", R)]],
    # ---- adult height cm: refuse <90 >250
    *[("adult", v.HEIGHT, t, units.CM, e) for t, e in [("89.9", R), ("90", N), ("90.1", N), ("249.9", N), ("250", N), ("250.1", R)]],
    # ---- head circumference: under 3 years only, 20-60 cm
    ("adult", v.HEAD_CIRCUMFERENCE, "35", units.CM, R),
    *[("infant6m", v.HEAD_CIRCUMFERENCE, t, units.CM, e) for t, e in [("19.9", R), ("20", N), ("20.1", N), ("59.9", N), ("60", N), ("60.1", R)]],
    # ---- infant 2 months pulse: PALS 85-205, critical <60 or >=220
    *[("infant2m", v.PULSE, t, "", e) for t, e in [("19", R), ("20", C), ("59", C), ("60", A), ("61", A), ("84", A), ("85", N), ("86", N), ("204", N), ("205", N), ("206", A), ("218", A), ("219", A), ("220", C)]],
    # ---- child 6 years pulse: 60-140, critical <60 or >=180
    *[("child6", v.PULSE, t, "", e) for t, e in [("59", C), ("60", N), ("61", N), ("139", N), ("140", N), ("141", A), ("178", A), ("179", A), ("180", C)]],
    # ---- teenager: adult pulse limits from 11 years
    *[("teen15", v.PULSE, t, "", e) for t, e in [("100", N), ("101", A), ("130", A), ("131", C)]],
    # ---- infant 6 months RR: 30-60, critical >70, refuse <4 >120
    *[("infant6m", v.RESPIRATORY_RATE, t, "", e) for t, e in [("3", R), ("4", A), ("29", A), ("30", N), ("31", N), ("59", N), ("60", N), ("61", A), ("69", A), ("70", A), ("71", C), ("119", C), ("120", C), ("121", R)]],
    # ---- child 6 years RR: 18-30, critical >40
    *[("child6", v.RESPIRATORY_RATE, t, "", e) for t, e in [("17", A), ("18", N), ("19", N), ("29", N), ("30", N), ("31", A), ("39", A), ("40", A), ("41", C), ("80", C), ("81", R)]],
    # ---- teen RR: 12-16, critical >30
    *[("teen15", v.RESPIRATORY_RATE, t, "", e) for t, e in [("11", A), ("12", N), ("16", N), ("17", A), ("30", A), ("31", C)]],
    # ---- infant under 3 months: any fever is critical
    *[("infant2m", v.TEMPERATURE, t, units.CEL, e) for t, e in [("37.9", N), ("38", C), ("38.1", C)]],
    *[("infant6m", v.TEMPERATURE, t, units.CEL, e) for t, e in [("37.9", N), ("38", A), ("39.5", C)]],
    # ---- child SpO2: critical <92
    *[("child6", v.SPO2, t, "", e) for t, e in [("49", R), ("50", C), ("91", C), ("92", A), ("93", A), ("94", A), ("95", N)]],
    # ---- child 6 years BP: hypotension < 70 + 2*6 = 82 critical; fixed AAP cut-offs
    *[("child6", v.BP, f"{s}/{d}", "", e) for s, d, e in [(39, 20, R), (40, 20, C), (81, 50, C), (82, 50, N), (83, 50, N), (119, 70, N), (120, 70, A), (121, 70, A), (110, 79, N), (110, 80, A), (179, 80, A), (180, 80, C), (181, 80, C), (250, 100, C), (251, 100, R), (100, 14, R), (100, 15, N)]],
    # ---- teenager BP: adult categories, hypotension < 90 critical
    *[("teen15", v.BP, f"{s}/{d}", "", e) for s, d, e in [(89, 50, C), (90, 50, N), (119, 70, N), (120, 70, A), (150, 119, A), (150, 120, C)]],
    # ---- infants: hypotension < 70 (infant), < 60 (newborn); refuse systolic < 30
    *[("infant2m", v.BP, f"{s}/{d}", "", e) for s, d, e in [(69, 40, C), (70, 40, N), (71, 40, N), (29, 15, R), (30, 15, C), (200, 100, C), (201, 100, R)]],
    *[("newborn", v.BP, f"{s}/{d}", "", e) for s, d, e in [(59, 30, C), (60, 30, N), (61, 30, N)]],
    # ---- child weights / heights: age-band plausible ranges
    # (0.3 kg is accepted for a premature newborn, but at 6 months is far below WHO -2 SD)
    *[("infant6m", v.WEIGHT, t, units.KG, e) for t, e in [("0.29", R), ("0.3", A), ("0.31", A), ("24.9", N), ("25", N), ("25.1", R)]],
    # (10 kg at 6 years is accepted but below the 5th percentile weight-for-age: flagged)
    *[("child6", v.WEIGHT, t, units.KG, e) for t, e in [("9.9", R), ("10", A), ("10.1", A), ("159.9", N), ("160", N), ("160.1", R)]],
    *[("child6", v.HEIGHT, t, units.CM, e) for t, e in [("79.9", R), ("80", N), ("80.1", N), ("199.9", N), ("200", N), ("200.1", R)]],
    *[("infant6m", v.HEIGHT, t, units.CM, e) for t, e in [("24.9", R), ("25", N), ("100", N), ("100.1", R)]],
]  # fmt: skip


@pytest.mark.parametrize(("age", "name", "text", "unit", "expected"), BOUNDARIES)
def test_boundaries(age: str, name: str, text: str, unit: str, expected: str) -> None:
    assert tier(age, name, text, unit) == expected


PREV_70KG = v.Previous(70.0, LAST_MONTH, "70", units.KG)


@pytest.mark.parametrize(
    ("age", "text", "expected"),
    [
        # adult, threshold 10 %: exactly 10 % is not flagged, beyond it is
        ("adult", "76.9", N),
        ("adult", "77", N),
        ("adult", "77.1", A),
        ("adult", "63.1", N),
        ("adult", "63", N),
        ("adult", "62.9", A),
        # children: losses flagged, gains are growth
        ("child6", "62.9", A),
        ("child6", "84", N),
    ],
)
def test_weight_change_since_last_visit(age: str, text: str, expected: str) -> None:
    assert tier(age, v.WEIGHT, text, units.KG, weight=PREV_70KG) == expected


def test_weight_change_threshold_is_a_setting() -> None:
    form = v.VitalsForm(entries={v.WEIGHT: v.Entry("74", units.KG)})
    c = ctx("adult", weight=PREV_70KG)
    assert not v.evaluate(form, c, weight_change_percent=10).findings.get("weight")
    found = v.evaluate(form, c, weight_change_percent=5).findings["weight"]
    assert found.level == A and "Up 5.7 % since 10/23/2026" in found.words


@pytest.mark.parametrize(
    ("bmi", "category", "level"),
    [
        (18.4, "Underweight", A),
        (18.5, "Healthy weight", N),
        (24.9, "Healthy weight", N),
        (25.0, "Overweight", N),
        (29.9, "Overweight", N),
        (30.0, "Obesity class 1", A),
        (35.0, "Obesity class 2", A),
        (39.9, "Obesity class 2", A),
        (40.0, "Obesity class 3", A),
    ],
)
def test_adult_bmi_categories(bmi: float, category: str, level: str) -> None:
    finding = v.classify_bmi(bmi, ctx("adult"))
    assert (finding.words, finding.level) == (category, level)


@pytest.mark.parametrize(
    ("height", "weight", "refused"),
    [
        ("250", "62.4", True),  # BMI 9.98
        ("250", "62.5", True),  # BMI 10.0: refused (<= 10)
        ("250", "62.6", False),  # BMI 10.02
        ("90", "80.9", False),  # BMI 99.9
        ("90", "81", True),  # BMI 100.0: refused (>= 100)
        ("90", "81.1", True),
    ],
)
def test_bmi_plausibility_from_height_and_weight(height: str, weight: str, refused: bool) -> None:
    form = v.VitalsForm(
        entries={v.HEIGHT: v.Entry(height, units.CM), v.WEIGHT: v.Entry(weight, units.KG)}
    )
    result = v.evaluate(form, ctx("adult"))
    assert ("bmi" in result.refusals) is refused
    assert (result.bmi is None) is refused


@pytest.mark.parametrize(
    ("s", "d", "category"),
    [
        (119, 79, "Normal"),
        (120, 79, "Elevated"),
        (129, 79, "Elevated"),
        (130, 79, "Stage 1 hypertension"),
        (119, 80, "Stage 1 hypertension"),
        (139, 89, "Stage 1 hypertension"),
        (140, 70, "Stage 2 hypertension"),
        (119, 90, "Stage 2 hypertension"),
        (180, 100, "Stage 2 hypertension"),
        (181, 100, "Hypertensive crisis"),
        (150, 121, "Hypertensive crisis"),
    ],
)
def test_adult_bp_category_higher_wins(s: int, d: int, category: str) -> None:
    assert v.adult_bp_category(s, d) == category


def test_critical_bp_words_and_summary() -> None:
    form = v.VitalsForm(entries={v.SPO2: v.Entry("88")}, bp=(v.BPEntry("182/124"),))
    result = v.evaluate(form, ctx("adult"))
    assert {f.key for f in result.criticals} == {"bp.0", "spo2"}
    assert "Hypertensive crisis" in result.findings["bp.0"].words
    assert result.critical_summary().startswith("Critical vitals - notify provider")
    assert "SpO2" in result.critical_summary()


# ------------------------------------------------------------------ paediatric percentiles
def _cdc_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("ma_desk.clinical").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@pytest.mark.parametrize("table", [growth.BMI_FOR_AGE, growth.WEIGHT_FOR_AGE])
def test_lms_reproduces_cdc_published_percentiles(table: str) -> None:
    for row in _cdc_rows(table)[::23]:
        sex = "male" if row["Sex"] == "1" else "female"
        months = float(row["Agemos"])
        for column, expected in (("P5", 5.0), ("P50", 50.0), ("P95", 95.0)):
            got = growth.percentile(table, sex, months, float(row[column]))
            assert got == pytest.approx(expected, abs=0.05)


def test_bmi_for_age_categories_around_cdc_95th() -> None:
    row = next(
        r for r in _cdc_rows(growth.BMI_FOR_AGE) if r["Sex"] == "1" and r["Agemos"] == "120.5"
    )
    boy10 = v.PatientContext(age_days=3660, sex="male", age_months=120, age_years=10)
    p95, p5 = float(row["P95"]), float(row["P5"])
    assert v.classify_bmi(p95 * 0.995, boy10).level == N  # overweight: words, no flag
    assert "Overweight" in v.classify_bmi(p95 * 0.995, boy10).words
    assert v.classify_bmi(p95 * 1.005, boy10).level == A
    assert "Obesity" in v.classify_bmi(p95 * 1.005, boy10).words
    assert v.classify_bmi(p5 * 0.995, boy10).direction == "low"
    assert v.classify_bmi(p5 * 1.005, boy10).level == N


def test_no_percentiles_under_two_or_unknown_sex() -> None:
    assert growth.percentile(growth.BMI_FOR_AGE, "male", 23.0, 16.0) is None
    assert growth.percentile(growth.BMI_FOR_AGE, "unknown", 60.0, 16.0) is None
    assert "needs sex" in v.classify_bmi(16.0, ctx("child6", sex="unknown")).words


# ------------------------------------------------------------------ unit conversions
@pytest.mark.parametrize(
    ("text", "unit", "canonical"),
    [
        ("154", units.LB, 69.853225),
        ("70", units.KG, 70.0),
        ("7 lb 8 oz", units.LB, 3.401943),
        ("7 8", units.LB, 3.401943),
        ("12 oz", units.LB, 0.340194),
        ("70 kg", units.LB, 70.0),
        ("154lbs", units.KG, 69.853225),
        ("67", units.IN, 170.18),
        ("5'7\"", units.IN, 170.18),
        ("5 ft 7 in", units.IN, 170.18),
        ("170 cm", units.IN, 170.0),
        ("98.6", units.DEGF, 37.0),
        ("37", units.CEL, 37.0),
        ("100.4f", units.CEL, 38.0),
        ("32", units.DEGF, 0.0),
    ],
)
def test_unit_parsing_and_conversion(text: str, unit: str, canonical: float) -> None:
    parsed = units.parse_quantity(text, unit)
    assert units.to_canonical(parsed.value, parsed.unit) == pytest.approx(canonical, abs=1e-5)


@pytest.mark.parametrize(
    ("text", "unit", "message"),
    [
        ("7 lb 16 oz", units.LB, "under 16"),
        ("5'12", units.IN, "under 12"),
        ("70 cm", units.KG, "not a unit"),
        ("7 8", units.KG, "not a number"),  # bare lb/oz pair only in a lb field
        ("abc", units.KG, "not a number"),
        ("-5", units.KG, "not a number"),
        ("1e3", units.KG, "not a number"),
    ],
)
def test_unit_parse_errors(text: str, unit: str, message: str) -> None:
    with pytest.raises(units.UnitError, match=message):
        units.parse_quantity(text, unit)


def test_toggle_never_drifts() -> None:
    text, unit = "154.2", units.LB
    shown, current = text, unit
    for _ in range(25):
        current = units.other_unit(current)
        shown = units.shown_after_toggle(text, unit, current)
    assert current == units.KG and shown == "69.9"
    assert units.shown_after_toggle(text, unit, units.LB) == "154.2"
    assert units.shown_after_toggle("98.6", units.DEGF, units.CEL) == "37"
    assert units.shown_after_toggle("7 lb 8 oz", units.LB, units.KG) == "3.4"


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=99999),
    st.integers(min_value=0, max_value=2),
    st.sampled_from([units.KG, units.LB, units.CM, units.IN, units.CEL, units.DEGF]),
)
def test_round_trip_shows_what_was_typed(whole: int, decimals: int, unit: str) -> None:
    """Canonical storage then display in the typed unit at the typed precision gives back
    the typed number exactly (what the user sees never drifts)."""
    value = whole / 10**decimals
    text = f"{value:.{decimals}f}"
    canonical = round(units.to_canonical(float(text), unit), 6)
    back = units.from_canonical(canonical, unit)
    assert units.format_number(back, decimals) == units.format_number(float(text), decimals)


# ------------------------------------------------------------------ likely causes
def test_fahrenheit_in_celsius_field_names_the_cause() -> None:
    result = v.evaluate(
        v.VitalsForm(entries={v.TEMPERATURE: v.Entry("98.6", units.CEL)}), ctx("adult")
    )
    message = result.refusals[v.TEMPERATURE]
    assert "looks like °F" in message and "98.6 °F = 37 °C" in message


def test_celsius_in_fahrenheit_field_names_the_cause() -> None:
    result = v.evaluate(
        v.VitalsForm(entries={v.TEMPERATURE: v.Entry("37.2", units.DEGF)}), ctx("adult")
    )
    assert "looks like °C" in result.refusals[v.TEMPERATURE]


def test_kilograms_typed_in_pound_field_caught_against_last_visit() -> None:
    last = v.Previous(69.853225, LAST_MONTH, "154", units.LB)
    result = v.evaluate(
        v.VitalsForm(entries={v.WEIGHT: v.Entry("70", units.LB)}), ctx("adult", weight=last)
    )
    message = result.refusals[v.WEIGHT]
    assert "last time's 154 lb (10/23/2026)" in message
    assert "70 kg would be 154.3 lb" in message and "Switch the unit to kg" in message


def test_pounds_typed_in_kilogram_field_caught_against_last_visit() -> None:
    result = v.evaluate(
        v.VitalsForm(entries={v.WEIGHT: v.Entry("154", units.KG)}),
        ctx("adult", weight=PREV_70KG),
    )
    assert "measured in lb" in result.refusals[v.WEIGHT]


def test_inches_typed_in_cm_field_for_adult() -> None:
    result = v.evaluate(v.VitalsForm(entries={v.HEIGHT: v.Entry("67", units.CM)}), ctx("adult"))
    assert "Was it in in?" in result.refusals[v.HEIGHT] or "in" in result.refusals[v.HEIGHT]
    assert "67 in = 170.2 cm" in result.refusals[v.HEIGHT]


def test_other_likely_causes() -> None:
    c = ctx("adult")
    spo2 = v.evaluate(v.VitalsForm(entries={v.SPO2: v.Entry("0.97")}), c)
    assert "percentage: 97" in spo2.refusals[v.SPO2]
    swapped = v.evaluate(v.VitalsForm(bp=(v.BPEntry("80/120"),)), c)
    assert "swapped" in swapped.refusals["bp.0"]
    joined = v.evaluate(v.VitalsForm(entries={v.PULSE: v.Entry("7272")}), c)
    assert "two numbers run together" in joined.refusals[v.PULSE]
    one = v.evaluate(v.VitalsForm(bp=(v.BPEntry("120"),)), c)
    assert "both numbers" in one.refusals["bp.0"]


def test_measurements_carry_loinc_ucum_and_what_was_typed() -> None:
    form = v.VitalsForm(
        entries={
            v.WEIGHT: v.Entry("154", units.LB),
            v.HEIGHT: v.Entry("67", units.IN),
            v.TEMPERATURE: v.Entry("98.6", units.DEGF),
            v.PULSE: v.Entry("72"),
            v.SPO2: v.Entry("97"),
        },
        bp=(v.BPEntry("118/76", "standing", "left", "large adult"),),
        pulse_rhythm="irregular",
        temperature_route="tympanic",
        oxygen="on O2",
        o2_flow="2",
    )
    result = v.evaluate(form, ctx("adult"))
    assert result.ok
    by_field = {m.field: m for m in result.measurements}
    assert by_field["weight"].loinc == "29463-7" and by_field["weight"].unit == "kg"
    assert (by_field["weight"].entered_value, by_field["weight"].entered_unit) == ("154", "[lb_av]")
    assert by_field["temperature"].unit == "Cel" and by_field["temperature"].value == 37.0
    assert by_field["temperature"].qualifiers == {"route": "tympanic"}
    assert by_field["systolic"].qualifiers["position"] == "standing"
    assert by_field["spo2"].qualifiers == {"oxygen": "on O2", "o2_flow_l_min": 2.0}
    assert by_field["bmi"].value == pytest.approx(24.1, abs=0.05)
    assert result.findings["pulse"].words == "Irregular rhythm"


# ------------------------------------------------------------------ arbitrary input
TEXT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[0-9./ '\"#a-zA-Z°%+-]{0,14}", fullmatch=True),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
UNITS_FOR = {
    v.HEIGHT: [units.CM, units.IN],
    v.WEIGHT: [units.KG, units.LB],
    v.HEAD_CIRCUMFERENCE: [units.CM, units.IN],
    v.TEMPERATURE: [units.CEL, units.DEGF],
}


@settings(max_examples=400, deadline=None)
@given(
    age=st.sampled_from(sorted(AGES)),
    texts=st.fixed_dictionaries({name: TEXT for name in v.ENTRY_FIELDS}),
    unit_choice=st.integers(min_value=0, max_value=1),
    bp=st.lists(TEXT, max_size=3),
    flow=TEXT,
    sex=st.sampled_from(["male", "female", "unknown", "other"]),
    previous_weight=st.one_of(st.none(), st.floats(min_value=0, max_value=500)),
)
def test_arbitrary_input_never_crashes(
    age, texts, unit_choice, bp, flow, sex, previous_weight
) -> None:
    entries = {
        name: v.Entry(text, UNITS_FOR[name][unit_choice] if name in UNITS_FOR else "")
        for name, text in texts.items()
    }
    previous = {}
    if previous_weight is not None:
        previous[v.WEIGHT] = v.Previous(previous_weight, LAST_MONTH)
    form = v.VitalsForm(entries, tuple(v.BPEntry(t) for t in bp), oxygen="on O2", o2_flow=flow)
    result = v.evaluate(form, v.PatientContext.on(AGES[age], TODAY, sex, previous))
    assert isinstance(result, v.Assessment)
    for message in result.refusals.values():
        assert message and len(message) < 400
    for m in result.measurements:
        assert m.field not in result.refusals
        low, high = v.plausible_range(m.field, v.PatientContext.on(AGES[age], TODAY, sex))
        assert low <= m.value <= high or m.field == v.BMI


# ------------------------------------------------------------------ clinic thresholds
def test_clinic_thresholds_override_the_reference_defaults() -> None:
    limits = v.Thresholds.from_settings({"systolic_critical": 170, "spo2_critical": "92"})
    assert (limits.systolic_critical, limits.spo2_critical) == (170.0, 92.0)
    form = v.VitalsForm(entries={v.SPO2: v.Entry("91")}, bp=(v.BPEntry("172/90"),))
    default = v.evaluate(form, ctx("adult"))
    custom = v.evaluate(form, ctx("adult"), limits=limits)
    assert default.findings["bp.0"].level == A and default.findings["spo2"].level == A
    assert custom.findings["bp.0"].level == C and "≥ 170/120" in custom.findings["bp.0"].words
    assert custom.findings["spo2"].level == C


@pytest.mark.parametrize(
    "overrides",
    [
        {"systolic_critical": "high"},  # not a number
        {"systolic_critical": float("nan")},
        {"pulse_critical_high": 90},  # below the normal high: out of order
        {"fever_c": 45},
        {"no_such_limit": 1},
        {"spo2_critical": True},
    ],
)
def test_bad_threshold_overrides_are_ignored(overrides: dict) -> None:
    assert v.Thresholds.from_settings(overrides) == v.DEFAULT_THRESHOLDS


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(sorted(v.Thresholds.__dataclass_fields__)),
        st.one_of(st.floats(), st.integers(), st.text(max_size=5), st.none()),
    )
)
def test_any_threshold_overrides_give_consistent_limits(overrides: dict) -> None:
    assert v.Thresholds.from_settings(overrides).consistent()


@pytest.mark.parametrize(
    ("form", "key", "text"),
    [
        (v.VitalsForm(entries={v.SPO2: v.Entry("88")}), "spo2", "Critically low (below 90 %)"),
        (v.VitalsForm(entries={v.PULSE: v.Entry("104")}), "pulse", "High (normal 60-100)"),
        (v.VitalsForm(bp=(v.BPEntry("142/80"),)), "bp.0", "HIGH: Stage 2 hypertension"),
        (v.VitalsForm(bp=(v.BPEntry("190/100"),)), "bp.0", "CRITICAL: Hypertensive crisis (≥ 180/120)"),
        (v.VitalsForm(entries={v.TEMPERATURE: v.Entry("100.4", units.DEGF)}), "temperature", "HIGH: Fever (≥ 38.0 °C / 100.4 °F)"),
        (v.VitalsForm(entries={v.TEMPERATURE: v.Entry("94.9", units.DEGF)}), "temperature", "CRITICAL: Hypothermia (< 35.0 °C / 95.0 °F)"),
    ],
)  # fmt: skip
def test_flag_words_say_the_tier_without_colour(form, key: str, text: str) -> None:
    finding = v.evaluate(form, ctx("adult")).findings[key]
    assert v.flag_text(finding) == text
    assert finding.summary().endswith(text)


def test_small_weights_read_in_pounds_and_ounces() -> None:
    assert v.display_value(v.WEIGHT, 3.401943, units.LB) == "7 lb 8 oz"
    assert v.display_value(v.WEIGHT, 3.401943, units.KG) == "3.4 kg"
    assert v.display_value(v.WEIGHT, 69.853225, units.LB) == "154 lb"
    assert units.parse_quantity("7 lb 8 oz", units.KG).unit == units.LB


def test_healthy_bmi_band_for_charts() -> None:
    assert v.healthy_bmi_band(AGES["adult"], "female", TODAY) == (18.5, 25.0)
    assert v.healthy_bmi_band(AGES["infant6m"], "female", TODAY) is None
    low, high = v.healthy_bmi_band(AGES["child6"], "male", TODAY)
    boy = v.PatientContext.on(AGES["child6"], TODAY, "male")
    assert v.classify_bmi(low * 1.01, boy).words.endswith("Healthy weight")
    assert v.classify_bmi(high * 1.01, boy).words.endswith("Overweight")
