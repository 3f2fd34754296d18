"""The vitals rules at their exact words and numbers (mutation testing found them stated
only through the widgets): children's blood pressure without a height, a decimal point
in the wrong place, growth words and an impossible height change."""

from __future__ import annotations

import datetime as dt

import pytest

from ma_desk.clinical import units
from ma_desk.clinical import vitals as v

DAY = dt.date(2026, 11, 30)
EIGHT_YEAR_OLD = v.PatientContext.on(dt.date(2018, 5, 1), DAY)  # sex not recorded
EIGHT_YEAR_OLD_BOY = v.PatientContext.on(dt.date(2018, 5, 1), DAY, "male")
NEEDS_BOTH = "the AAP 2017 category needs height and sex male/female"


# ------------------------------------------------------------------ a child's BP, no height
@pytest.mark.parametrize(
    ("systolic", "diastolic", "level", "words"),
    [
        (119, 79, v.NORMAL, "Below 120/80"),
        (120, 79, v.ABNORMAL, "At least elevated for age (≥ 120/80)"),
        (129, 79, v.ABNORMAL, "At least elevated for age (≥ 120/80)"),
        (119, 80, v.ABNORMAL, "At least stage 1 for age (≥ 130/80)"),
        (130, 79, v.ABNORMAL, "At least stage 1 for age (≥ 130/80)"),
        (139, 89, v.ABNORMAL, "At least stage 1 for age (≥ 130/80)"),
        (140, 89, v.ABNORMAL, "At least stage 2 for age (≥ 140/90)"),
        (139, 90, v.ABNORMAL, "At least stage 2 for age (≥ 140/90)"),
    ],
)
def test_child_bp_without_height_says_what_holds_at_any_height(systolic, diastolic, level, words):
    finding = v.classify_bp(systolic, diastolic, EIGHT_YEAR_OLD)
    assert finding == v.Finding(v.BP, level, "high" if level == v.ABNORMAL else "",
                                f"{words}; {NEEDS_BOTH}")  # fmt: skip


def test_child_bp_without_height_names_only_what_is_missing():
    boy = v.classify_bp(119, 79, EIGHT_YEAR_OLD_BOY)
    assert boy.words == "Below 120/80; the AAP 2017 category needs height"
    no_sex = v.classify_bp(119, 79, EIGHT_YEAR_OLD, height_cm=128)
    assert no_sex.words == (
        "Below 120/80; the AAP 2017 category needs sex male/female and an age-plausible height"
    )
    impossible_height = v.classify_bp(119, 79, EIGHT_YEAR_OLD_BOY, height_cm=300)
    assert impossible_height.words.startswith("Stage 1 hypertension (AAP 2017, height 99th")


# ------------------------------------------------------------------ a decimal point moved
@pytest.mark.parametrize(
    ("typed", "unit", "meant"),
    [
        (986, units.DEGF, "98.6 °F"),  # no decimal point: x 0.1
        (9.86, units.DEGF, "98.6 °F"),  # one place early: x 10
        (372, units.CEL, "37.2 °C"),
        (3720, units.CEL, "37.2 °C"),  # two places: x 0.01
        (3.72, units.CEL, "37.2 °C"),
        (98.6, units.DEGF, None),  # already plausible: no shift lands (986 and 9.86 do not)
        (5000, units.DEGF, None),
        (1, units.CEL, None),
    ],
)
def test_a_misplaced_decimal_point_names_the_value_meant(typed, unit, meant):
    assert v.misplaced_decimal(typed, unit, 30.0, 45.0) == meant


def test_misplaced_decimal_limits_are_inclusive_and_canonical():
    assert v.misplaced_decimal(300, units.CEL, 30.0, 45.0) == "30 °C"  # at the low limit
    assert v.misplaced_decimal(450, units.CEL, 30.0, 45.0) == "45 °C"  # at the high limit
    assert v.misplaced_decimal(299, units.CEL, 30.0, 45.0) is None  # 29.9, 2.99, 2990
    assert v.misplaced_decimal(451, units.CEL, 30.0, 45.0) is None  # 45.1, 4.51, 4510
    assert v.misplaced_decimal(860, units.DEGF, 30.0, 30.0) == "86 °F"  # 86 °F = 30 °C
    assert v.misplaced_decimal(1031, units.DEGF, 39.5, 39.5) == "103.1 °F"  # 6-place rounding


def test_a_body_temperature_typed_without_its_point_is_refused_with_the_value_meant():
    form = v.VitalsForm(entries={v.TEMPERATURE: v.Entry("986", units.DEGF)})
    refusal = v.evaluate(form, EIGHT_YEAR_OLD).refusals[v.TEMPERATURE]
    assert refusal == f"986 °F is not possible – did you mean 98.6 °F?{v.DECIMAL_CAUSE}"


# ------------------------------------------------------------------ growth words
BABY_BOY = v.PatientContext.on(dt.date(2026, 5, 30), DAY, "male")  # 6 months
GIRL_OF_FIVE = v.PatientContext.on(dt.date(2021, 1, 1), DAY, "female")


@pytest.mark.parametrize(
    ("name", "value", "ctx", "length", "detail", "words"),
    [
        (v.HEIGHT, 67.6, BABY_BOY, None, True,
         "48th percentile length-for-age (WHO 2006, z -0.05)"),
        (v.HEAD_CIRCUMFERENCE, 43.3, BABY_BOY, None, True,
         "47th percentile head circumference-for-age (WHO 2006, z -0.05)"),
        (v.WEIGHT, 7.9, BABY_BOY, None, True,
         "47th percentile weight-for-age (WHO 2006, z -0.06)"),
        (v.WEIGHT, 7.9, BABY_BOY, 67.6, True,
         "47th percentile weight-for-age (WHO 2006, z -0.06); "
         "51st percentile weight-for-length (WHO 2006, z +0.04)"),
        (v.WEIGHT, 7.9, BABY_BOY, 67.6, False,
         "47th percentile for age (WHO 2006); 51st percentile for length (WHO 2006)"),
        (v.HEIGHT, 110, GIRL_OF_FIVE, None, True,
         "22nd percentile stature-for-age (CDC 2000, z -0.77)"),
        (v.HEIGHT, 110, GIRL_OF_FIVE, None, False, "22nd percentile for age (CDC 2000)"),
        (v.WEIGHT, 19, GIRL_OF_FIVE, 110, True,  # no weight-for-length past 2 years
         "36th percentile weight-for-age (CDC 2000, z -0.34)"),
    ],
)  # fmt: skip
def test_growth_words_name_the_indicator_and_the_reference(name, value, ctx, length, detail, words):
    finding = v.classify_growth(name, value, ctx, length_cm=length, detail=detail)
    assert finding == v.Finding(name, v.NORMAL, "", words)


def test_no_growth_finding_without_a_reference_for_the_patient():
    unknown_sex = v.PatientContext.on(dt.date(2021, 1, 1), DAY)
    assert v.classify_growth(v.HEIGHT, 110, unknown_sex) is None
    assert v.classify_growth(v.HEAD_CIRCUMFERENCE, 50, GIRL_OF_FIVE) is None  # WHO: under 2


# ------------------------------------------------------------------ height that cannot be real
def with_height(dob: dt.date, previous_cm: float, days_ago: int) -> v.PatientContext:
    taken = dt.datetime.combine(DAY - dt.timedelta(days=days_ago), dt.time(9))
    return v.PatientContext.on(dob, DAY, "female", {v.HEIGHT: v.Previous(previous_cm, taken)})


def height_of(typed: str, unit: str, ctx: v.PatientContext) -> v.Assessment:
    return v.evaluate(v.VitalsForm(entries={v.HEIGHT: v.Entry(typed, unit)}), ctx)


def test_a_childs_impossible_growth_is_flagged_and_must_be_confirmed():
    child = with_height(dt.date(2021, 1, 1), 38.9 * 2.54, 4)  # the 38.9 in -> 50 in
    result = height_of("50", units.IN, child)
    jump = "Up 11.1 in in 4 days (38.9 in on 11/26/2026): faster than a child grows"
    assert result.findings[v.HEIGHT] == v.Finding(
        v.HEIGHT, v.ABNORMAL, "high",
        f"{jump}. Re-measure; 99th percentile stature-for-age (CDC 2000, z +2.41)", "50 in",
    )  # fmt: skip
    assert result.confirmations == {
        v.HEIGHT: f"Height 50 in: {jump}. Re-measure (shoes off, standing straight); save only "
        "if it is right, and then correct last time's height if that was wrong."
    }


def test_a_child_who_shrinks_is_flagged_as_not_growth():
    child = with_height(dt.date(2021, 1, 1), 110, 1)
    result = height_of("100", units.CM, child)
    finding = result.findings[v.HEIGHT]
    assert (finding.level, finding.direction) == (v.ABNORMAL, "low")
    assert finding.words.startswith(
        "Down 10 cm in 1 day (110 cm on 11/29/2026): more than measurement error; "
        "children do not shrink. Re-measure; "
    )
    assert v.HEIGHT in result.confirmations


@pytest.mark.parametrize(
    ("typed", "days_ago", "words", "direction"),
    [
        ("180", 1, "Up 10 cm in 1 day (170 cm on 11/29/2026): more than anyone grows in that "
         "time. Re-measure", "high"),
        ("160", 1, "Down 10 cm in 1 day (170 cm on 11/29/2026): more than measurement error. "
         "Re-measure", "low"),
        ("180", 0, "Up 10 cm the same day (170 cm on 11/30/2026): more than anyone grows in "
         "that time. Re-measure", "high"),
        ("180", 2, "Up 10 cm in 2 days (170 cm on 11/28/2026): more than anyone grows in "
         "that time. Re-measure", "high"),
    ],
)  # fmt: skip
def test_an_adults_impossible_change_is_flagged_but_not_stopped(typed, days_ago, words, direction):
    adult = with_height(dt.date(1980, 1, 1), 170, days_ago)
    result = height_of(typed, units.CM, adult)
    assert result.findings[v.HEIGHT] == v.Finding(v.HEIGHT, v.ABNORMAL, direction, words,
                                                  f"{typed} cm")  # fmt: skip
    assert result.confirmations == {}


@pytest.mark.parametrize("typed", ["170.5", "171", "169"])
def test_an_adults_change_within_measurement_error_is_not_flagged(typed):
    assert (
        v.HEIGHT
        not in height_of(typed, units.CM, with_height(dt.date(1980, 1, 1), 170, 1)).findings
    )


def test_a_height_jump_needs_a_previous_height_and_the_day_measured():
    adult = with_height(dt.date(1980, 1, 1), 170, 1)
    assert v.height_jump(180, adult) == v.height_change.HeightJump(10, 1, 2.0)
    undated = v.PatientContext(age_days=16_000, age_years=46, previous=adult.previous)
    assert v.height_jump(180, undated) is None
    assert v.height_jump(180, v.PatientContext.on(dt.date(1980, 1, 1), DAY)) is None


# ------------------------------------------------------------------ the small helpers
@pytest.mark.parametrize(
    ("settings", "weight", "length", "temperature"),
    [
        ((), units.LB, units.IN, units.DEGF),
        (("KG", "Cm", "c"), units.KG, units.CM, units.CEL),
        (("kilograms", "centimetres", "celsius"), units.KG, units.CM, units.CEL),
        (("lb", "in", "F"), units.LB, units.IN, units.DEGF),
        (("x", "x", "x"), units.LB, units.IN, units.DEGF),
    ],
)
def test_entry_units_follow_the_clinics_settings(settings, weight, length, temperature):
    assert v.default_units(*settings) == {
        v.WEIGHT: weight, v.HEIGHT: length, v.HEAD_CIRCUMFERENCE: length, v.TEMPERATURE: temperature
    }  # fmt: skip


def test_last_value_reads_as_typed_when_the_unit_matches():
    taken = dt.datetime(2026, 10, 1, 9)
    typed = v.Previous(69.9, taken, "154.2", units.LB)
    assert v.display_previous(v.WEIGHT, typed, units.LB) == "Last 154.2 lb (10/01/26)"
    assert v.display_previous(v.WEIGHT, typed, units.KG) == "Last 69.9 kg (10/01/26)"
    untyped = v.Previous(69.9, taken)
    assert v.display_previous(v.WEIGHT, untyped, units.LB) == "Last 154.1 lb (10/01/26)"
    pulse = v.Previous(72, taken, "72", units.PER_MIN)
    assert v.display_previous(v.PULSE, pulse, units.PER_MIN) == "Last 72 (10/01/26)"
    assert v.display_previous(v.WEIGHT, None, units.LB) == "Last: none"


@pytest.mark.parametrize(
    ("code", "level"),
    [("LL", v.CRITICAL), ("HH", v.CRITICAL), ("AA", v.CRITICAL), ("L", v.ABNORMAL),
     ("H", v.ABNORMAL), ("A", v.ABNORMAL), ("N", v.NORMAL), ("", v.NORMAL), ("X", v.NORMAL)],
)  # fmt: skip
def test_stored_interpretation_codes_map_to_their_tier(code, level):
    assert v.level_of_interpretation(code) == level


@pytest.mark.parametrize(
    ("dob", "cuff"),
    [
        (dt.date(2013, 11, 30), "adult"),  # 13 today
        (dt.date(2013, 12, 1), "child"),  # 13 tomorrow
        (dt.date(2025, 11, 30), "child"),  # 1 today
        (dt.date(2025, 12, 1), "infant"),  # 1 tomorrow
    ],
)
def test_the_preselected_cuff_follows_age(dob, cuff):
    assert v.default_cuff(v.PatientContext.on(dob, DAY)) == cuff


def test_no_patient_preselects_the_adult_cuff():
    assert v.default_cuff(None) == "adult"


def test_a_form_of_blanks_is_empty_and_one_value_is_not():
    assert v.VitalsForm().is_empty()
    blanks = v.VitalsForm(entries={v.PULSE: v.Entry("  ")}, bp=(v.BPEntry(" "),))
    assert blanks.is_empty()
    assert not v.VitalsForm(bp=(v.BPEntry("120/80"),)).is_empty()
    assert not v.VitalsForm(entries={v.PULSE: v.Entry("7")}).is_empty()


@pytest.mark.parametrize(
    ("key", "label"),
    [("bp.0", "Blood pressure"), ("bp.1", "Blood pressure (reading 2)"),
     ("bp.2", "Blood pressure (reading 3)"), ("bp", "Blood pressure"), (v.SPO2, "SpO2"),
     ("zzz", "zzz")],
)  # fmt: skip
def test_field_keys_read_as_labels(key, label):
    assert v.key_label(key) == label


@pytest.mark.parametrize(
    ("systolic", "level", "words"),
    [(100, v.NORMAL, "Normal for age"), (112, v.ABNORMAL, "Stage 1 hypertension")],
)
def test_a_childs_aap_category_shows_the_table_cell_used(systolic, level, words):
    finding = v.classify_bp(systolic, 60, EIGHT_YEAR_OLD_BOY, height_cm=128)
    basis = "AAP 2017, height 30th percentile: 90th 109/70, 95th 112/73"
    assert finding == v.Finding(v.BP, level, "high" if level == v.ABNORMAL else "",
                                f"{words} ({basis})")  # fmt: skip


def test_healthy_bmi_band_by_age():
    assert v.healthy_bmi_band(dt.date(2006, 11, 30), "female", DAY) == (18.5, 25.0)  # 20 today
    nineteen = v.healthy_bmi_band(dt.date(2006, 12, 1), "female", DAY)
    assert nineteen == pytest.approx((17.8212, 26.4622), abs=1e-4)
    two = v.healthy_bmi_band(dt.date(2024, 11, 30), "female", DAY)
    assert two == pytest.approx((14.3801, 17.9737), abs=1e-4)
    assert v.healthy_bmi_band(dt.date(2024, 12, 1), "female", DAY) is None  # under 2
    assert v.healthy_bmi_band(dt.date(2016, 1, 1), "unknown", DAY) is None


@pytest.mark.parametrize(
    ("raw", "pulse_high"),
    [("110", 110.0), (110, 110.0), (True, 100.0), ("abc", 100.0), (None, 100.0),
     (float("inf"), 100.0), (float("nan"), 100.0), ("131", 100.0)],  # 131 > critical 130
)  # fmt: skip
def test_clinic_threshold_overrides_keep_only_sensible_numbers(raw, pulse_high):
    assert v.Thresholds.from_settings({"pulse_high": raw}).pulse_high == pulse_high


def test_unknown_threshold_names_and_no_overrides_keep_the_defaults():
    assert v.Thresholds.from_settings({"nope": 1}) == v.Thresholds()
    assert v.Thresholds.from_settings(None) == v.Thresholds()
    assert v.Thresholds.from_settings({}) == v.Thresholds()


# ------------------------------------------------------------------ what staff type
def refusal_of(parse, *args) -> tuple[str, str]:
    with pytest.raises(v.Refused) as refused:
        parse(*args)
    assert str(refused.value) == refused.value.message
    return refused.value.key, refused.value.message


@pytest.mark.parametrize(
    ("typed", "reading"),
    [("120/80", (120, 80)), (" 120 80 ", (120, 80)), ("120//80", (120, 80)),
     ("120/ 80", (120, 80)), ("120/80.0", (120, 80)), ("120" + " " * 15 + "80", (120, 80))],
)  # fmt: skip
def test_blood_pressure_reads_systolic_over_diastolic(typed, reading):
    assert v.parse_bp("bp.1", typed) == reading


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("120" + " " * 16 + "80", "Too long: type systolic/diastolic, e.g. 120/80."),  # 21
        ("12080", "Type both numbers: systolic/diastolic, e.g. 120/80."),
        ("120/80/70", "Type blood pressure as systolic/diastolic, e.g. 120/80."),
        ("/80", "Type blood pressure as systolic/diastolic, e.g. 120/80."),
        ("12a/80", "'12a' is not a number: type e.g. 120/80."),
        ("abcdefghijklmn/80", "'abcdefghij' is not a number: type e.g. 120/80."),
        ("120,5/80", "'120,5' is not a number: type e.g. 120/80."),
        ("120.5/80", "Blood pressure is in whole mmHg."),
    ],
)
def test_blood_pressure_refusals_say_what_to_type(typed, message):
    assert refusal_of(v.parse_bp, "bp.1", typed) == ("bp.1", message)


def test_blood_pressure_text_limit_is_twenty_characters():
    assert units.MAX_TEXT == 20
    assert v.parse_bp("bp", "120" + " " * 15 + "80") == (120, 80)  # exactly 20
    assert refusal_of(v.parse_bp, "bp", "120/" + "0" * 15 + "80")[1].startswith("Too long")


@pytest.mark.parametrize(
    ("typed", "name", "value"),
    [("95%", v.SPO2, 95), ("95 %", v.SPO2, 95), (" 72 ", v.PULSE, 72), ("72.0", v.PULSE, 72),
     ("0.0", v.SPO2, 0), ("1.0", v.SPO2, 1), ("1.", v.SPO2, 1)],
)  # fmt: skip
def test_counts_read_whole_numbers_and_a_trailing_percent(typed, name, value):
    assert v.parse_count("k", typed, name) == value


@pytest.mark.parametrize(
    ("typed", "name", "message"),
    [
        ("0.95", v.SPO2, "Type SpO2 as a percentage: 95, not 0.95."),
        (".95", v.SPO2, "Type SpO2 as a percentage: 95, not .95."),
        ("0.5%", v.SPO2, "Type SpO2 as a percentage: 50, not 0.5."),
        ("0.x", v.SPO2, "'0.x' is not a number."),
        ("%95", v.SPO2, "'%95' is not a number."),
        ("72.5", v.PULSE, "Pulse is a whole number."),
        ("0.95", v.PULSE, "Pulse is a whole number."),  # only SpO2 is read as a fraction
        ("abc", v.PULSE, "'abc' is not a number."),
    ],
)
def test_count_refusals_say_what_to_type(typed, name, message):
    assert refusal_of(v.parse_count, "k", typed, name) == ("k", message)


# ------------------------------------------------------------------ values that cannot be real
ADULT = v.PatientContext.on(dt.date(1980, 1, 1), DAY)
SIX_MONTHS = v.PatientContext.on(dt.date(2026, 5, 30), DAY)
RECOUNT = "re-count for a full minute"
RUN_TOGETHER = "not plausible: were two numbers run together? Re-measure."


@pytest.mark.parametrize(
    ("name", "value", "ctx", "message"),
    [
        (v.PULSE, 19, ADULT, f"Pulse 19 is below 20, not plausible: {RECOUNT} or check the monitor."),
        (v.PULSE, 20, ADULT, None),
        (v.PULSE, 300, ADULT, None),
        (v.PULSE, 301, ADULT, f"Pulse 301 is above 300, {RUN_TOGETHER}"),
        (v.RESPIRATORY_RATE, 3, ADULT, f"Resp. rate 3 is below 4, not plausible: {RECOUNT}."),
        (v.RESPIRATORY_RATE, 4, ADULT, None),
        (v.RESPIRATORY_RATE, 80, ADULT, None),
        (v.RESPIRATORY_RATE, 81, ADULT, f"Resp. rate 81 is above 80, {RUN_TOGETHER}"),
        (v.RESPIRATORY_RATE, 81, SIX_MONTHS, None),  # infants breathe faster
        (v.RESPIRATORY_RATE, 120, SIX_MONTHS, None),
        (v.RESPIRATORY_RATE, 121, SIX_MONTHS, f"Resp. rate 121 is above 120, {RUN_TOGETHER}"),
        (v.SPO2, 49, ADULT, "SpO2 49 is below 50, not plausible: check the probe and re-measure."),
        (v.SPO2, 50, ADULT, None),
        (v.SPO2, 100, ADULT, None),
        (v.SPO2, 101, ADULT, "SpO2 cannot be above 100 %."),
        (v.PAIN, -1, ADULT, "Pain is scored 0 to 10."),
        (v.PAIN, 0, ADULT, None),
        (v.PAIN, 10, ADULT, None),
        (v.PAIN, 11, ADULT, "Pain is scored 0 to 10."),
    ],
)  # fmt: skip
def test_counts_outside_what_a_body_can_do_are_refused_with_advice(name, value, ctx, message):
    if message is None:
        assert v.check_count("k", name, value, ctx) is None
    else:
        assert refusal_of(v.check_count, "k", name, value, ctx) == ("k", message)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "message"),
    [
        (120, 120, "Diastolic (120) must be lower than systolic (120)."),
        (80, 120, "Diastolic (120) must be lower than systolic (80). The numbers look swapped: "
                  "systolic comes first."),
        (49, 30, "Systolic 49 is outside 50-300: re-measure."),
        (50, 30, None),
        (300, 100, None),
        (301, 100, "Systolic 301 is outside 50-300: re-measure."),
        (120, 19, "Diastolic 19 is outside 20-200: re-measure."),
        (120, 20, None),
        (250, 200, None),
        (250, 201, "Diastolic 201 is outside 20-200: re-measure."),
    ],
)  # fmt: skip
def test_blood_pressure_that_cannot_be_real_is_refused(systolic, diastolic, message):
    if message is None:
        assert v.check_bp("bp.1", systolic, diastolic, ADULT) is None
    else:
        assert refusal_of(v.check_bp, "bp.1", systolic, diastolic, ADULT) == ("bp.1", message)


def typed(value: float, unit: str) -> units.Parsed:
    return units.Parsed(value, unit, str(value))


LAST_100_KG = v.PatientContext.on(
    dt.date(1980, 1, 1), DAY, previous={v.WEIGHT: v.Previous(100.0, dt.datetime(2026, 10, 1, 9))}
)


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        (90, units.LB, "90 lb is far less than last time's 220.5 lb (10/01/2026); 90 kg would be "
                       "198.4 lb. Was it measured in kg? Switch the unit to kg."),  # kg ratio 0.9
        (110, units.LB, "110 lb is far less than last time's 220.5 lb (10/01/2026); 110 kg would "
                        "be 242.5 lb. Was it measured in kg? Switch the unit to kg."),  # 1.1
        (89, units.LB, None),  # 89 kg would be 0.89 of last time: not a unit slip
        (111, units.LB, None),
        (220, units.KG, "220 kg is far more than last time's 100 kg (10/01/2026); 220 lb would "
                        "be 99.8 kg. Was it measured in lb? Switch the unit to lb."),
        (90, units.KG, None),
    ],
)  # fmt: skip
def test_a_weight_in_the_wrong_unit_is_caught_against_last_time(value, unit, message):
    if message is None:
        assert v.check_quantity("w", v.WEIGHT, typed(value, unit), LAST_100_KG) > 0
    else:
        assert refusal_of(v.check_quantity, "w", v.WEIGHT, typed(value, unit), LAST_100_KG) == (
            "w", message)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value", "unit", "message"),
    [
        (v.WEIGHT, 500, units.KG, "500 kg is not plausible for an adult (22.7 kg to 340 kg). Was "
                                  "it in lb? 500 lb = 226.8 kg."),
        (v.WEIGHT, 341, units.KG, "341 kg is not plausible for an adult (22.7 kg to 340 kg). Was "
                                  "it in lb? 341 lb = 154.7 kg."),
        (v.WEIGHT, 340, units.KG, None),
        (v.WEIGHT, 22.7, units.KG, None),
        (v.WEIGHT, 22, units.KG, "22 kg is not plausible for an adult (22.7 kg to 340 kg)."),
        (v.WEIGHT, 20, units.LB, "20 lb is not plausible for an adult (50 lb to 749.6 lb)."),
        (v.WEIGHT, 749, units.LB, None),
        (v.WEIGHT, 750, units.LB, "750 lb is not plausible for an adult (50 lb to 749.6 lb)."),
        (v.TEMPERATURE, 37, units.DEGF, "37 °F is not a body temperature; it looks like °C "
                                        "(37 °C = 98.6 °F). Switch the unit to °C."),
        (v.TEMPERATURE, 86, units.CEL, "86 °C is not a body temperature; it looks like °F "
                                       "(86 °F = 30 °C). Switch the unit to °F."),  # at 30 °C
        (v.TEMPERATURE, 100, units.CEL, "100 °C is not a body temperature; it looks like °F "
                                        "(100 °F = 37.8 °C). Switch the unit to °F."),
        (v.TEMPERATURE, 113, units.DEGF, None),  # exactly 45 °C
        (v.TEMPERATURE, 30, units.CEL, None),
        (v.TEMPERATURE, 45, units.CEL, None),
        (v.TEMPERATURE, 50, units.CEL, "50 °C is outside 30 °C to 45 °C: re-measure."),
        (v.TEMPERATURE, 113.1, units.CEL, "113.1 °C is outside 30 °C to 45 °C: re-measure."),
    ],
)  # fmt: skip
def test_quantities_that_cannot_be_real_name_the_likely_unit(name, value, unit, message):
    if message is None:
        assert v.check_quantity("q", name, typed(value, unit), ADULT) > 0
    else:
        assert refusal_of(v.check_quantity, "q", name, typed(value, unit), ADULT) == ("q", message)


def test_plausible_weight_reads_in_kilograms():
    assert v.check_quantity("w", v.WEIGHT, typed(400, units.LB), ADULT) == 181.436948


# ------------------------------------------------------------------ weight change
LAST_80_KG = v.PatientContext.on(
    dt.date(1980, 1, 1), DAY, previous={v.WEIGHT: v.Previous(80.0, dt.datetime(2026, 10, 1, 9))}
)


@pytest.mark.parametrize(
    ("kg", "direction", "words"),
    [
        (88, "", ""),  # exactly 10 %: not beyond the threshold
        (88.1, "high", "Up 10.1 % since 10/01/2026"),
        (72, "", ""),
        (71.9, "low", "Down 10.1 % since 10/01/2026"),
    ],
)
def test_an_adults_weight_change_beyond_the_threshold_is_flagged(kg, direction, words):
    level = v.ABNORMAL if direction else v.NORMAL
    assert v.classify_weight(kg, LAST_80_KG, 10.0) == v.Finding(v.WEIGHT, level, direction, words)


def test_a_child_is_flagged_for_loss_and_low_weight_for_age_never_for_growing():
    girl = v.PatientContext.on(dt.date(2018, 1, 1), DAY, "female",
                               previous={v.WEIGHT: v.Previous(25.0, dt.datetime(2026, 10, 1, 9))})  # fmt: skip
    assert v.classify_weight(30, girl, 10.0) == v.Finding(
        v.WEIGHT, v.NORMAL, "", "60th percentile weight-for-age (CDC 2000, z +0.27)")  # fmt: skip
    assert v.classify_weight(22, girl, 10.0) == v.Finding(
        v.WEIGHT, v.ABNORMAL, "low",
        "Down 12.0 % since 10/01/2026; 5th percentile weight-for-age (CDC 2000, z -1.62)",
    )  # fmt: skip
    thin = v.PatientContext.on(dt.date(2018, 1, 1), DAY, "female")
    assert v.classify_weight(18, thin, 10.0).level == v.ABNORMAL
    assert v.classify_weight(18, thin, 10.0).direction == "low"


# ------------------------------------------------------------------ one field of the form
def evaluated(entries: dict, ctx: v.PatientContext = ADULT, limits=v.DEFAULT_THRESHOLDS, **form):
    typed_entries = {
        k: v.Entry(*t) if isinstance(t, tuple) else v.Entry(t) for k, t in entries.items()
    }
    return v.evaluate(v.VitalsForm(entries=typed_entries, **form), ctx, limits=limits)


def test_an_irregular_rhythm_flags_a_normal_pulse_and_joins_an_abnormal_ones_words():
    normal = evaluated({v.PULSE: "72"}, pulse_rhythm="irregular")
    assert normal.findings[v.PULSE] == v.Finding(v.PULSE, v.ABNORMAL, "", "Irregular rhythm", "72")
    assert normal.measurements == [
        v.Measurement(v.PULSE, "8867-4", 72.0, "/min", "72", "/min", {"rhythm": "irregular"}, "A")
    ]
    fast = evaluated({v.PULSE: "110"}, pulse_rhythm="irregular")
    assert fast.findings[v.PULSE] == v.Finding(
        v.PULSE, v.ABNORMAL, "high", "High (normal 60-100); irregular", "110")  # fmt: skip


@pytest.mark.parametrize(
    ("entries", "limits", "key", "words"),
    [
        ({v.PULSE: "95"}, v.Thresholds(pulse_high=90), v.PULSE, "High (normal 60-90)"),
        ({v.RESPIRATORY_RATE: "19"}, v.Thresholds(respiratory_high=18), v.RESPIRATORY_RATE,
         "High (normal 12-18)"),
        ({v.TEMPERATURE: ("37.9", units.CEL)}, v.Thresholds(fever_c=37.5), v.TEMPERATURE,
         "Fever (≥ 37.5 °C / 99.5 °F)"),
    ],
)  # fmt: skip
def test_the_clinics_own_limits_reach_every_field(entries, limits, key, words):
    assert evaluated(entries, limits=limits).findings[key].words == words
    assert key not in evaluated(entries).findings  # flagged only by the clinic's limit


def test_the_clinics_spo2_limit_reaches_the_form():
    assert v.SPO2 in evaluated({v.SPO2: "94"}).findings
    assert v.SPO2 not in evaluated({v.SPO2: "94"}, limits=v.Thresholds(spo2_low=93)).findings


def test_the_temperature_route_is_kept_with_the_value():
    result = evaluated({v.TEMPERATURE: ("37", units.CEL)}, temperature_route="tympanic")
    assert [m.qualifiers for m in result.measurements] == [{"route": "tympanic"}]


@pytest.mark.parametrize(
    ("flow", "refusal", "qualifiers"),
    [
        ("abc", "O2 flow must be a number of L/min (e.g. 2).", None),
        ("0", "O2 flow must be between 0 and 60 L/min.", None),
        ("0.5", None, {"oxygen": "on O2", "o2_flow_l_min": 0.5}),
        ("60", None, {"oxygen": "on O2", "o2_flow_l_min": 60.0}),
        ("61", "O2 flow must be between 0 and 60 L/min.", None),
        ("", None, {"oxygen": "on O2"}),
    ],
)
def test_oxygen_flow_is_checked_only_on_oxygen(flow, refusal, qualifiers):
    result = evaluated({v.SPO2: "94"}, oxygen="on O2", o2_flow=flow)
    assert result.refusals == ({v.SPO2: refusal} if refusal else {})
    assert [m.qualifiers for m in result.measurements] == ([qualifiers] if qualifiers else [])
    if qualifiers:
        assert result.findings[v.SPO2].words == "Low (below 95 %) on O2"
    on_room_air = evaluated({v.SPO2: "94"}, oxygen="room air", o2_flow=flow)
    assert on_room_air.refusals == {}
    assert [m.qualifiers for m in on_room_air.measurements] == [{"oxygen": "room air"}]


def test_a_quantity_that_is_not_a_number_is_refused_on_its_field():
    assert evaluated({v.WEIGHT: ("abc", units.KG)}).refusals == {v.WEIGHT: "'abc' is not a number."}


def test_a_plain_weight_is_stored_as_typed_with_no_flag():
    assert evaluated({v.WEIGHT: ("70", units.KG)}).measurements == [
        v.Measurement(v.WEIGHT, "29463-7", 70.0, "kg", "70", "kg", {}, "")
    ]


def test_height_percentiles_stop_at_twenty_years():
    nineteen = v.PatientContext.on(dt.date(2006, 12, 1), DAY, "female")  # 239 months
    assert evaluated({v.HEIGHT: ("165", units.CM)}, nineteen).findings[v.HEIGHT].words == (
        "60th percentile stature-for-age (CDC 2000, z +0.26)"
    )
    twenty = v.PatientContext.on(dt.date(2006, 11, 30), DAY, "female")  # 240 months
    assert evaluated({v.HEIGHT: ("165", units.CM)}, twenty).findings == {}


# ------------------------------------------------------------------ the whole form
def test_each_bp_reading_is_checked_alone_and_keeps_its_number_and_cuff():
    readings = (
        v.BPEntry(""),
        v.BPEntry("abc"),
        v.BPEntry("130/85", "standing", "left", "large adult"),
    )
    result = v.evaluate(v.VitalsForm(bp=readings), ADULT)
    assert result.refusals == {"bp.1": "Type both numbers: systolic/diastolic, e.g. 120/80."}
    how = {"reading": 3, "position": "standing", "arm": "left", "cuff": "large adult"}
    assert result.measurements == [
        v.Measurement(v.SYSTOLIC, "8480-6", 130.0, units.MMHG, "130", units.MMHG, how, "H"),
        v.Measurement(v.DIASTOLIC, "8462-4", 85.0, units.MMHG, "85", units.MMHG, how, "H"),
    ]
    assert result.findings == {
        "bp.2": v.Finding("bp.2", v.ABNORMAL, "high", "Stage 1 hypertension", "130/85")
    }


@pytest.mark.parametrize(
    ("dob", "refused"), [(dt.date(2023, 12, 1), False), (dt.date(2023, 11, 30), True)]
)
def test_head_circumference_is_recorded_under_three_years_only(dob, refused):
    toddler = v.PatientContext.on(dob, DAY, "male")  # 2 years 11 months, then 3 today
    entries = {v.HEAD_CIRCUMFERENCE: v.Entry("49", units.CM), v.WEIGHT: v.Entry("14", units.KG)}
    result = v.evaluate(v.VitalsForm(entries=entries), toddler)
    if refused:
        assert result.refusals == {
            v.HEAD_CIRCUMFERENCE: "Head circumference is recorded under 3 years only."
        }
        assert [m.field for m in result.measurements] == [v.WEIGHT]
    else:
        assert result.refusals == {}
        assert [m.field for m in result.measurements] == [v.WEIGHT, v.HEAD_CIRCUMFERENCE]


def test_bmi_is_computed_from_two_years():
    entries = {v.HEIGHT: v.Entry("87", units.CM), v.WEIGHT: v.Entry("12.5", units.KG)}
    under_two = v.PatientContext.on(dt.date(2024, 12, 1), DAY, "male")
    result = v.evaluate(v.VitalsForm(entries=entries), under_two)
    assert result.bmi is None and v.BMI not in result.findings
    two = v.PatientContext.on(dt.date(2024, 11, 30), DAY, "male")
    result = v.evaluate(v.VitalsForm(entries=entries), two)
    assert result.bmi == pytest.approx(16.5147, abs=1e-4)
    assert result.findings[v.BMI] == v.Finding(
        v.BMI, v.NORMAL, "", "49th percentile for age (CDC 2000): Healthy weight", "16.5")  # fmt: skip


def test_an_adults_bmi_is_stored_as_computed():
    entries = {v.HEIGHT: v.Entry("170", units.CM), v.WEIGHT: v.Entry("70", units.KG)}
    result = v.evaluate(v.VitalsForm(entries=entries), ADULT)
    assert result.findings[v.BMI] == v.Finding(v.BMI, v.NORMAL, "", "Healthy weight", "24.2")
    assert result.measurements[-1] == v.Measurement(
        v.BMI, "39156-5", result.bmi, "kg/m2", "", "", {"computed": True}, "N")  # fmt: skip


def test_a_bmi_that_cannot_be_real_is_refused_naming_both_fields():
    entries = {v.HEIGHT: v.Entry("250", units.CM), v.WEIGHT: v.Entry("30", units.KG)}
    result = v.evaluate(v.VitalsForm(entries=entries), ADULT)
    assert result.refusals == {
        v.BMI: "BMI 4.8 from this height and weight is not plausible: check both (was one "
        "typed in the other unit?)."
    }
    assert result.bmi is None and v.BMI not in result.findings


# ------------------------------------------------------------------ engineering limits by age
def aged(years: int) -> v.PatientContext:
    return v.PatientContext(age_days=years * 365 + 100, age_months=years * 12 + 3, age_years=years)


@pytest.mark.parametrize(
    ("name", "by_age"),
    [
        (v.WEIGHT, {0: (0.3, 25.0), 1: (4.0, 60.0), 5: (4.0, 60.0), 6: (10.0, 160.0),
                    12: (10.0, 160.0), 13: (20.0, 250.0), 17: (20.0, 250.0), 18: (22.7, 340.0)}),
        (v.HEIGHT, {0: (25.0, 100.0), 1: (50.0, 140.0), 5: (50.0, 140.0), 6: (80.0, 200.0),
                    12: (80.0, 200.0), 13: (100.0, 230.0), 17: (100.0, 230.0), 18: (90.0, 250.0)}),
        (v.RESPIRATORY_RATE, {0: (4.0, 120.0), 1: (4.0, 80.0), 18: (4.0, 80.0)}),
        (v.SYSTOLIC, {0: (30.0, 200.0), 1: (40.0, 250.0), 17: (40.0, 250.0), 18: (50.0, 300.0)}),
        (v.DIASTOLIC, {0: (15.0, 150.0), 17: (15.0, 150.0), 18: (20.0, 200.0)}),
        (v.HEAD_CIRCUMFERENCE, {0: (20.0, 60.0), 18: (20.0, 60.0)}),
        (v.PULSE, {0: (20.0, 300.0), 18: (20.0, 300.0)}),
        (v.TEMPERATURE, {0: (30.0, 45.0), 18: (30.0, 45.0)}),
        (v.SPO2, {0: (50.0, 100.0), 18: (50.0, 100.0)}),
        (v.PAIN, {0: (0.0, 10.0), 18: (0.0, 10.0)}),
        (v.BMI, {2: (10.0, 100.0), 18: (10.0, 100.0)}),
    ],
)  # fmt: skip
def test_plausible_ranges_by_age_band(name, by_age):
    assert {years: v.plausible_range(name, aged(years)) for years in by_age} == by_age


def test_an_unknown_field_has_no_range():
    with pytest.raises(KeyError):
        v.plausible_range("shoe size", ADULT)


# ------------------------------------------------------------------ edges the mutation run found
TAKEN = dt.datetime(2026, 10, 1, 9)


def with_weight(dob: dt.date, kg: float, sex: str = "unknown") -> v.PatientContext:
    return v.PatientContext.on(dob, DAY, sex, {v.WEIGHT: v.Previous(kg, TAKEN)})


@pytest.mark.parametrize(
    ("years", "systolic", "diastolic", "finding"),
    [
        (13, 125, 75, v.Finding(v.BP, v.ABNORMAL, "high", "Elevated")),  # adult categories
        (13, 110, 70, v.Finding(v.BP, v.NORMAL, "", "Normal")),
        (12, 125, 75, v.Finding(v.BP, v.ABNORMAL, "high", f"At least elevated for age (≥ 120/80); {NEEDS_BOTH}")),
        (1, 100, 60, v.Finding(v.BP, v.NORMAL, "", f"Below 120/80; {NEEDS_BOTH}")),
        (0, 100, 60, v.Finding(v.BP)),  # infants: no category, only hypotension and severe
    ],
)  # fmt: skip
def test_bp_rules_change_at_one_and_at_thirteen(years, systolic, diastolic, finding):
    assert v.classify_bp(systolic, diastolic, aged(years)) == finding


def test_a_girl_without_a_height_needs_only_the_height():
    girl = v.PatientContext.on(dt.date(2018, 5, 1), DAY, "female")
    assert v.classify_bp(119, 79, girl).words == "Below 120/80; the AAP 2017 category needs height"


def test_a_premature_babys_weight_loss_counts_below_one_kilogram():
    baby = with_weight(dt.date(2026, 10, 1), 0.8, "male")
    change = v.weight_change(0.6, baby, 10.0)
    assert change is not None and change[0] == pytest.approx(-25.0)
    assert v.weight_change(1.0, baby, 10.0) is None  # babies are meant to gain


def test_a_child_gaining_past_a_tiny_threshold_is_not_flagged():
    assert v.weight_change(25.125, with_weight(dt.date(2018, 1, 1), 25.0, "female"), 0.1) is None


def test_an_adults_small_gain_past_a_small_threshold_reads_up():
    adult = with_weight(dt.date(1980, 1, 1), 80.0)
    assert v.classify_weight(80.4, adult, 0.1) == v.Finding(
        v.WEIGHT, v.ABNORMAL, "high", "Up 0.5 % since 10/01/2026")  # fmt: skip


def test_a_last_weight_of_zero_is_no_reference():
    adult = with_weight(dt.date(1980, 1, 1), 0.0)
    assert v.weight_change(70, adult, 10.0) is None
    assert v.check_quantity("w", v.WEIGHT, typed(70, units.KG), adult) == 70


@pytest.mark.parametrize(
    ("ctx", "value", "message"),
    [
        (with_weight(dt.date(2026, 10, 1), 0.8, "male"), 1.76,
         "1.76 kg is far more than last time's 0.8 kg (10/01/2026); 1.76 lb would be 0.8 kg. "
         "Was it measured in lb? Switch the unit to lb."),
        (with_weight(dt.date(1980, 1, 1), 100.0), 198.5,  # twice last time less a little
         "198.5 kg is far more than last time's 100 kg (10/01/2026); 198.5 lb would be 90 kg. "
         "Was it measured in lb? Switch the unit to lb."),
    ],
)  # fmt: skip
def test_a_unit_slip_is_caught_for_a_baby_and_near_double(ctx, value, message):
    assert refusal_of(v.check_quantity, "w", v.WEIGHT, typed(value, units.KG), ctx) == (
        "w",
        message,
    )


@pytest.mark.parametrize(
    ("name", "value", "unit", "ctx", "message"),
    [
        (v.TEMPERATURE, 113, units.CEL, ADULT, "113 °C is not a body temperature; it looks like "
         "°F (113 °F = 45 °C). Switch the unit to °F."),  # the other unit at the high limit
        (v.HEIGHT, 100, units.IN, aged(15), "100 in is not plausible for a 15-year-old (39.4 in "
         "to 90.6 in). Was it in cm? 100 cm = 39.4 in."),  # at the low limit
        (v.HEIGHT, 230, units.IN, aged(15), "230 in is not plausible for a 15-year-old (39.4 in "
         "to 90.6 in). Was it in cm? 230 cm = 90.6 in."),  # at the high limit
        (v.WEIGHT, 500.1234, units.KG, ADULT, "500.123 kg is not plausible for an adult (22.7 kg "
         "to 340 kg). Was it in lb? 500.123 lb = 226.9 kg."),  # three decimals shown
        (v.WEIGHT, 500, units.KG, aged(11), "500 kg is not plausible for an 11-year-old (10 kg "
         "to 160 kg)."),
        (v.WEIGHT, 500, units.KG, aged(8), "500 kg is not plausible for an 8-year-old (10 kg to "
         "160 kg)."),
        (v.WEIGHT, 500, units.KG, aged(12), "500 kg is not plausible for a 12-year-old (10 kg to "
         "160 kg)."),
        (v.WEIGHT, 500, units.KG, aged(0), "500 kg is not plausible for an infant (0.3 kg to "
         "25 kg)."),
    ],
)  # fmt: skip
def test_refusals_at_the_limits_read_right_for_every_age(name, value, unit, ctx, message):
    assert refusal_of(v.check_quantity, "q", name, typed(value, unit), ctx) == ("q", message)


def test_a_misplaced_decimal_shows_three_decimals():
    assert v.misplaced_decimal(372.155, units.CEL, 30.0, 45.0) == "37.215 °C"


def test_a_trailing_letter_is_not_taken_for_a_percent_sign():
    assert refusal_of(v.parse_count, "k", "95X", v.SPO2) == ("k", "'95X' is not a number.")


def test_values_read_in_the_canonical_unit_and_blank_when_missing():
    assert v.display_value(v.WEIGHT, 70.0) == "70 kg"
    assert v.display_value(v.PULSE, None) == ""
    assert v.display_value(v.PULSE, float("nan")) == ""
    assert v.display_value(v.WEIGHT, 11.34, units.LB) == "25 lb"  # 25 lb: no ounces from here
    assert v.display_value(v.WEIGHT, 11.33, units.LB) == "25 lb 0 oz"
    assert v.display_previous(v.WEIGHT, v.Previous(70.0, TAKEN)) == "Last 70 kg (10/01/26)"


def test_a_newborn_is_zero_months_old():
    newborn = v.PatientContext.on(DAY, DAY)
    assert (newborn.age_days, newborn.age_months, newborn.age_years) == (0, 0, 0)


def test_an_unknown_field_is_named_in_the_error():
    with pytest.raises(KeyError, match="shoe size"):
        v.plausible_range("shoe size", ADULT)


@pytest.mark.parametrize("bad", [True, "x", float("inf")])
def test_one_bad_threshold_override_does_not_drop_the_next(bad):
    assert v.Thresholds.from_settings({"pulse_high": bad, "pulse_low": 50}).pulse_low == 50


def test_an_infants_weight_words_join_weight_for_length():
    baby = with_weight(dt.date(2026, 5, 30), 9.0, "male")
    entries = {v.HEIGHT: v.Entry("67.6", units.CM), v.WEIGHT: v.Entry("7.9", units.KG)}
    finding = v.evaluate(v.VitalsForm(entries=entries), baby).findings[v.WEIGHT]
    assert finding.words == (
        "Down 12.2 % since 10/01/2026; 47th percentile weight-for-age (WHO 2006, z -0.06); "
        "51st percentile weight-for-length (WHO 2006, z +0.04)"
    )


@pytest.mark.parametrize("unit", [units.KG, units.LB, units.CM, units.IN])
def test_a_value_near_last_time_in_the_other_unit_is_always_far_from_it_as_typed(unit):
    """Why the unit-slip check needs no 'far from last time' test of its own: the units
    differ by 2.2 or 2.54, so 0.9-1.1 of last time in one is 0.35-0.5 or 2-2.8 in the other."""
    factor = units.to_canonical(1.0, unit) / units.to_canonical(1.0, units.other_unit(unit))
    assert factor * 1.1 < 0.75 or factor * 0.9 > 1.33
