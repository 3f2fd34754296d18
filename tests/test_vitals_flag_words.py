"""The exact words, tier and HL7 interpretation code of every flag at every boundary.

tests/test_vitals_rules.py states which tier each value falls in; this module states what
staff read beside it (a flag that says "Low" for a critical value, or names the wrong
limit, is a wrong message on a safe screen) and the pure helpers behind the words: age
bands, clinic threshold consistency, ordinals. Written against
../shared/clinical/vitals-reference.md; mutation testing (TESTING.md) found these
unchecked. Children's BP under 13 is stated in its own module (AAP 2017 tables).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from ma_desk.clinical import vitals as v
from tests.test_vitals_rules import ctx

# (age band, field, typed text, unit, flag text beside the value, interpretation code)
FLAG_WORDS = [
    ('adult', 'pulse', '20', '', 'Critically low (below 40)', 'LL'),
    ('adult', 'pulse', '21', '', 'Critically low (below 40)', 'LL'),
    ('adult', 'pulse', '39', '', 'Critically low (below 40)', 'LL'),
    ('adult', 'pulse', '40', '', 'Low (normal 60-100)', 'L'),
    ('adult', 'pulse', '41', '', 'Low (normal 60-100)', 'L'),
    ('adult', 'pulse', '59', '', 'Low (normal 60-100)', 'L'),
    ('adult', 'pulse', '60', '', '', ''),
    ('adult', 'pulse', '61', '', '', ''),
    ('adult', 'pulse', '99', '', '', ''),
    ('adult', 'pulse', '100', '', '', ''),
    ('adult', 'pulse', '101', '', 'High (normal 60-100)', 'H'),
    ('adult', 'pulse', '129', '', 'High (normal 60-100)', 'H'),
    ('adult', 'pulse', '130', '', 'High (normal 60-100)', 'H'),
    ('adult', 'pulse', '131', '', 'Critically high (above 130)', 'HH'),
    ('adult', 'pulse', '299', '', 'Critically high (above 130)', 'HH'),
    ('adult', 'pulse', '300', '', 'Critically high (above 130)', 'HH'),
    ('adult', 'respiratory_rate', '4', '', 'Low (normal 12-20)', 'L'),
    ('adult', 'respiratory_rate', '5', '', 'Low (normal 12-20)', 'L'),
    ('adult', 'respiratory_rate', '11', '', 'Low (normal 12-20)', 'L'),
    ('adult', 'respiratory_rate', '12', '', '', ''),
    ('adult', 'respiratory_rate', '13', '', '', ''),
    ('adult', 'respiratory_rate', '19', '', '', ''),
    ('adult', 'respiratory_rate', '20', '', '', ''),
    ('adult', 'respiratory_rate', '21', '', 'High (normal 12-20)', 'H'),
    ('adult', 'respiratory_rate', '29', '', 'High (normal 12-20)', 'H'),
    ('adult', 'respiratory_rate', '30', '', 'High (normal 12-20)', 'H'),
    ('adult', 'respiratory_rate', '31', '', 'Critically high (above 30)', 'HH'),
    ('adult', 'respiratory_rate', '79', '', 'Critically high (above 30)', 'HH'),
    ('adult', 'respiratory_rate', '80', '', 'Critically high (above 30)', 'HH'),
    ('adult', 'temperature', '30', 'Cel', 'CRITICAL: Hypothermia (< 35.0 °C / 95.0 °F)', 'LL'),
    ('adult', 'temperature', '30.1', 'Cel', 'CRITICAL: Hypothermia (< 35.0 °C / 95.0 °F)', 'LL'),
    ('adult', 'temperature', '34.9', 'Cel', 'CRITICAL: Hypothermia (< 35.0 °C / 95.0 °F)', 'LL'),
    ('adult', 'temperature', '35', 'Cel', '', ''),
    ('adult', 'temperature', '35.1', 'Cel', '', ''),
    ('adult', 'temperature', '37.9', 'Cel', '', ''),
    ('adult', 'temperature', '38', 'Cel', 'HIGH: Fever (≥ 38.0 °C / 100.4 °F)', 'H'),
    ('adult', 'temperature', '38.1', 'Cel', 'HIGH: Fever (≥ 38.0 °C / 100.4 °F)', 'H'),
    ('adult', 'temperature', '39.4', 'Cel', 'HIGH: Fever (≥ 38.0 °C / 100.4 °F)', 'H'),
    ('adult', 'temperature', '39.5', 'Cel', 'CRITICAL: High fever (≥ 39.5 °C / 103.1 °F)', 'HH'),
    ('adult', 'temperature', '39.6', 'Cel', 'CRITICAL: High fever (≥ 39.5 °C / 103.1 °F)', 'HH'),
    ('adult', 'temperature', '44.9', 'Cel', 'CRITICAL: High fever (≥ 39.5 °C / 103.1 °F)', 'HH'),
    ('adult', 'temperature', '45', 'Cel', 'CRITICAL: High fever (≥ 39.5 °C / 103.1 °F)', 'HH'),
    ('adult', 'temperature', '86', '[degF]', 'CRITICAL: Hypothermia (< 35.0 °C / 95.0 °F)', 'LL'),
    ('adult', 'temperature', '94.9', '[degF]', 'CRITICAL: Hypothermia (< 35.0 °C / 95.0 °F)', 'LL'),
    ('adult', 'temperature', '95', '[degF]', '', ''),
    ('adult', 'temperature', '100.3', '[degF]', '', ''),
    ('adult', 'temperature', '100.4', '[degF]', 'HIGH: Fever (≥ 38.0 °C / 100.4 °F)', 'H'),
    ('adult', 'temperature', '103', '[degF]', 'HIGH: Fever (≥ 38.0 °C / 100.4 °F)', 'H'),
    ('adult', 'temperature', '103.1', '[degF]', 'CRITICAL: High fever (≥ 39.5 °C / 103.1 °F)', 'HH'),
    ('adult', 'temperature', '113', '[degF]', 'CRITICAL: High fever (≥ 39.5 °C / 103.1 °F)', 'HH'),
    ('adult', 'spo2', '50', '', 'Critically low (below 90 %)', 'LL'),
    ('adult', 'spo2', '51', '', 'Critically low (below 90 %)', 'LL'),
    ('adult', 'spo2', '89', '', 'Critically low (below 90 %)', 'LL'),
    ('adult', 'spo2', '90', '', 'Low (below 95 %)', 'L'),
    ('adult', 'spo2', '91', '', 'Low (below 95 %)', 'L'),
    ('adult', 'spo2', '94', '', 'Low (below 95 %)', 'L'),
    ('adult', 'spo2', '95', '', '', ''),
    ('adult', 'spo2', '96', '', '', ''),
    ('adult', 'spo2', '99', '', '', ''),
    ('adult', 'spo2', '100', '', '', ''),
    ('adult', 'pain', '0', '', '', ''),
    ('adult', 'pain', '1', '', '', ''),
    ('adult', 'pain', '6', '', 'Moderate pain', 'N'),
    ('adult', 'pain', '7', '', 'HIGH: Severe pain (7-10)', 'H'),
    ('adult', 'pain', '8', '', 'HIGH: Severe pain (7-10)', 'H'),
    ('adult', 'pain', '9', '', 'HIGH: Severe pain (7-10)', 'H'),
    ('adult', 'pain', '10', '', 'HIGH: Severe pain (7-10)', 'H'),
    ('adult', 'bp', '50/30', '', 'Low (systolic < 90)', 'L'),
    ('adult', 'bp', '51/30', '', 'Low (systolic < 90)', 'L'),
    ('adult', 'bp', '89/60', '', 'Low (systolic < 90)', 'L'),
    ('adult', 'bp', '90/60', '', 'Normal', 'N'),
    ('adult', 'bp', '91/60', '', 'Normal', 'N'),
    ('adult', 'bp', '119/70', '', 'Normal', 'N'),
    ('adult', 'bp', '120/70', '', 'HIGH: Elevated', 'H'),
    ('adult', 'bp', '121/70', '', 'HIGH: Elevated', 'H'),
    ('adult', 'bp', '129/70', '', 'HIGH: Elevated', 'H'),
    ('adult', 'bp', '130/70', '', 'HIGH: Stage 1 hypertension', 'H'),
    ('adult', 'bp', '139/70', '', 'HIGH: Stage 1 hypertension', 'H'),
    ('adult', 'bp', '140/70', '', 'HIGH: Stage 2 hypertension', 'H'),
    ('adult', 'bp', '141/70', '', 'HIGH: Stage 2 hypertension', 'H'),
    ('adult', 'bp', '179/70', '', 'HIGH: Stage 2 hypertension', 'H'),
    ('adult', 'bp', '180/70', '', 'CRITICAL: Stage 2 hypertension, severe (≥ 180/120)', 'HH'),
    ('adult', 'bp', '181/70', '', 'CRITICAL: Hypertensive crisis (≥ 180/120)', 'HH'),
    ('adult', 'bp', '299/70', '', 'CRITICAL: Hypertensive crisis (≥ 180/120)', 'HH'),
    ('adult', 'bp', '300/70', '', 'CRITICAL: Hypertensive crisis (≥ 180/120)', 'HH'),
    ('adult', 'bp', '110/20', '', 'Normal', 'N'),
    ('adult', 'bp', '110/21', '', 'Normal', 'N'),
    ('adult', 'bp', '110/79', '', 'Normal', 'N'),
    ('adult', 'bp', '110/80', '', 'HIGH: Stage 1 hypertension', 'H'),
    ('adult', 'bp', '110/81', '', 'HIGH: Stage 1 hypertension', 'H'),
    ('adult', 'bp', '150/119', '', 'HIGH: Stage 2 hypertension', 'H'),
    ('adult', 'bp', '150/120', '', 'CRITICAL: Stage 2 hypertension, severe (≥ 180/120)', 'HH'),
    ('adult', 'bp', '150/121', '', 'CRITICAL: Hypertensive crisis (≥ 180/120)', 'HH'),
    ('adult', 'bp', '250/199', '', 'CRITICAL: Hypertensive crisis (≥ 180/120)', 'HH'),
    ('adult', 'bp', '250/200', '', 'CRITICAL: Hypertensive crisis (≥ 180/120)', 'HH'),
    ('adult', 'bp', '100/99', '', 'HIGH: Stage 2 hypertension', 'H'),
    ('adult', 'weight', '22.7', 'kg', '', ''),
    ('adult', 'weight', '22.8', 'kg', '', ''),
    ('adult', 'weight', '339.9', 'kg', '', ''),
    ('adult', 'weight', '340', 'kg', '', ''),
    ('adult', 'height', '90', 'cm', '', ''),
    ('adult', 'height', '90.1', 'cm', '', ''),
    ('adult', 'height', '249.9', 'cm', '', ''),
    ('adult', 'height', '250', 'cm', '', ''),
    ('infant2m', 'pulse', '20', '', 'Critically low (below 60)', 'LL'),
    ('infant2m', 'pulse', '59', '', 'Critically low (below 60)', 'LL'),
    ('infant2m', 'pulse', '60', '', 'Low (normal 85-205 for an infant)', 'L'),
    ('infant2m', 'pulse', '61', '', 'Low (normal 85-205 for an infant)', 'L'),
    ('infant2m', 'pulse', '84', '', 'Low (normal 85-205 for an infant)', 'L'),
    ('infant2m', 'pulse', '85', '', '', ''),
    ('infant2m', 'pulse', '86', '', '', ''),
    ('infant2m', 'pulse', '204', '', '', ''),
    ('infant2m', 'pulse', '205', '', '', ''),
    ('infant2m', 'pulse', '206', '', 'High (normal 85-205 for an infant)', 'H'),
    ('infant2m', 'pulse', '218', '', 'High (normal 85-205 for an infant)', 'H'),
    ('infant2m', 'pulse', '219', '', 'High (normal 85-205 for an infant)', 'H'),
    ('infant2m', 'pulse', '220', '', 'Critically high (above 219)', 'HH'),
    ('child6', 'pulse', '59', '', 'Critically low (below 60)', 'LL'),
    ('child6', 'pulse', '60', '', '', ''),
    ('child6', 'pulse', '61', '', '', ''),
    ('child6', 'pulse', '139', '', '', ''),
    ('child6', 'pulse', '140', '', '', ''),
    ('child6', 'pulse', '141', '', 'High (normal 60-140 for a 6-year-old)', 'H'),
    ('child6', 'pulse', '178', '', 'High (normal 60-140 for a 6-year-old)', 'H'),
    ('child6', 'pulse', '179', '', 'High (normal 60-140 for a 6-year-old)', 'H'),
    ('child6', 'pulse', '180', '', 'Critically high (above 179)', 'HH'),
    ('teen15', 'pulse', '100', '', '', ''),
    ('teen15', 'pulse', '101', '', 'High (normal 60-100 for a 15-year-old)', 'H'),
    ('teen15', 'pulse', '130', '', 'High (normal 60-100 for a 15-year-old)', 'H'),
    ('teen15', 'pulse', '131', '', 'Critically high (above 130)', 'HH'),
    ('infant6m', 'respiratory_rate', '4', '', 'Low (normal 30-60 for an infant)', 'L'),
    ('infant6m', 'respiratory_rate', '29', '', 'Low (normal 30-60 for an infant)', 'L'),
    ('infant6m', 'respiratory_rate', '30', '', '', ''),
    ('infant6m', 'respiratory_rate', '31', '', '', ''),
    ('infant6m', 'respiratory_rate', '59', '', '', ''),
    ('infant6m', 'respiratory_rate', '60', '', '', ''),
    ('infant6m', 'respiratory_rate', '61', '', 'High (normal 30-60 for an infant)', 'H'),
    ('infant6m', 'respiratory_rate', '69', '', 'High (normal 30-60 for an infant)', 'H'),
    ('infant6m', 'respiratory_rate', '70', '', 'High (normal 30-60 for an infant)', 'H'),
    ('infant6m', 'respiratory_rate', '71', '', 'Critically high (above 70)', 'HH'),
    ('infant6m', 'respiratory_rate', '119', '', 'Critically high (above 70)', 'HH'),
    ('infant6m', 'respiratory_rate', '120', '', 'Critically high (above 70)', 'HH'),
    ('child6', 'respiratory_rate', '17', '', 'Low (normal 18-30 for a 6-year-old)', 'L'),
    ('child6', 'respiratory_rate', '18', '', '', ''),
    ('child6', 'respiratory_rate', '19', '', '', ''),
    ('child6', 'respiratory_rate', '29', '', '', ''),
    ('child6', 'respiratory_rate', '30', '', '', ''),
    ('child6', 'respiratory_rate', '31', '', 'High (normal 18-30 for a 6-year-old)', 'H'),
    ('child6', 'respiratory_rate', '39', '', 'High (normal 18-30 for a 6-year-old)', 'H'),
    ('child6', 'respiratory_rate', '40', '', 'High (normal 18-30 for a 6-year-old)', 'H'),
    ('child6', 'respiratory_rate', '41', '', 'Critically high (above 40)', 'HH'),
    ('child6', 'respiratory_rate', '80', '', 'Critically high (above 40)', 'HH'),
    ('teen15', 'respiratory_rate', '11', '', 'Low (normal 12-16 for a 15-year-old)', 'L'),
    ('teen15', 'respiratory_rate', '12', '', '', ''),
    ('teen15', 'respiratory_rate', '16', '', '', ''),
    ('teen15', 'respiratory_rate', '17', '', 'High (normal 12-16 for a 15-year-old)', 'H'),
    ('teen15', 'respiratory_rate', '30', '', 'High (normal 12-16 for a 15-year-old)', 'H'),
    ('teen15', 'respiratory_rate', '31', '', 'Critically high (above 30)', 'HH'),
    ('infant2m', 'temperature', '37.9', 'Cel', '', ''),
    ('infant2m', 'temperature', '38', 'Cel', 'CRITICAL: Fever in an infant under 3 months: urgent', 'HH'),
    ('infant2m', 'temperature', '38.1', 'Cel', 'CRITICAL: Fever in an infant under 3 months: urgent', 'HH'),
    ('infant6m', 'temperature', '37.9', 'Cel', '', ''),
    ('infant6m', 'temperature', '38', 'Cel', 'HIGH: Fever (≥ 38.0 °C / 100.4 °F)', 'H'),
    ('infant6m', 'temperature', '39.5', 'Cel', 'CRITICAL: High fever (≥ 39.5 °C / 103.1 °F)', 'HH'),
    ('child6', 'spo2', '50', '', 'Critically low (below 92 %)', 'LL'),
    ('child6', 'spo2', '91', '', 'Critically low (below 92 %)', 'LL'),
    ('child6', 'spo2', '92', '', 'Low (below 95 %)', 'L'),
    ('child6', 'spo2', '93', '', 'Low (below 95 %)', 'L'),
    ('child6', 'spo2', '94', '', 'Low (below 95 %)', 'L'),
    ('child6', 'spo2', '95', '', '', ''),
    ('teen15', 'bp', '89/50', '', 'CRITICAL: Hypotension for age (systolic < 90)', 'LL'),
    ('teen15', 'bp', '90/50', '', 'Normal', 'N'),
    ('teen15', 'bp', '119/70', '', 'Normal', 'N'),
    ('teen15', 'bp', '120/70', '', 'HIGH: Elevated', 'H'),
    ('teen15', 'bp', '150/119', '', 'HIGH: Stage 2 hypertension', 'H'),
    ('teen15', 'bp', '150/120', '', 'CRITICAL: Stage 2 hypertension, severe (≥ 180/120)', 'HH'),
    ('infant2m', 'bp', '69/40', '', 'CRITICAL: Hypotension for age (systolic < 70)', 'LL'),
    ('infant2m', 'bp', '70/40', '', '', ''),
    ('infant2m', 'bp', '71/40', '', '', ''),
    ('infant2m', 'bp', '30/15', '', 'CRITICAL: Hypotension for age (systolic < 70)', 'LL'),
    ('infant2m', 'bp', '200/100', '', 'CRITICAL: Hypertensive crisis (≥ 180/120)', 'HH'),
    ('newborn', 'bp', '59/30', '', 'CRITICAL: Hypotension for age (systolic < 60)', 'LL'),
    ('newborn', 'bp', '60/30', '', '', ''),
    ('newborn', 'bp', '61/30', '', '', ''),
]  # fmt: skip


@pytest.mark.parametrize(("age", "name", "text", "unit", "words", "code"), FLAG_WORDS)
def test_flag_words_and_interpretation(
    age: str, name: str, text: str, unit: str, words: str, code: str
) -> None:
    if name == v.BP:
        form, key = v.VitalsForm(bp=(v.BPEntry(text),)), "bp.0"
    else:
        form, key = v.VitalsForm(entries={name: v.Entry(text, unit)}), name
    result = v.evaluate(form, ctx(age))
    assert result.refusals == {}
    finding = result.findings.get(key, v.Finding(key))
    assert (finding.key, v.flag_text(finding), finding.interpretation) == (key, words, code)


def age(days: int, years: int, sex: str = "female") -> v.PatientContext:
    """A context by age in days and whole years (months follow the years)."""
    return v.PatientContext(age_days=days, sex=sex, age_months=years * 12, age_years=years)


@pytest.mark.parametrize(
    ("days", "years", "norms"),
    [
        (90, 0, (60.0, 85.0, 205.0, 219.0)),  # under 3 months (PALS neonate)
        (91, 0, (60.0, 100.0, 190.0, 219.0)),  # 3 months to 2 years
        (700, 1, (60.0, 100.0, 190.0, 219.0)),
        (731, 2, (60.0, 60.0, 140.0, 179.0)),  # 2 to 10 years
        (3999, 10, (60.0, 60.0, 140.0, 179.0)),
        (4017, 11, (40.0, 60.0, 100.0, 130.0)),  # adult limits from 11
    ],
)
def test_heart_rate_norms_change_at_each_age_band(days: int, years: int, norms: tuple) -> None:
    assert v.heart_rate_norms(age(days, years)) == norms


@pytest.mark.parametrize(
    ("years", "norms"),
    [
        (0, (30.0, 60.0, 70.0)),
        (1, (24.0, 40.0, 50.0)),
        (3, (24.0, 40.0, 50.0)),
        (4, (22.0, 34.0, 44.0)),
        (5, (22.0, 34.0, 44.0)),
        (6, (18.0, 30.0, 40.0)),
        (12, (18.0, 30.0, 40.0)),
        (13, (12.0, 16.0, 30.0)),
        (17, (12.0, 16.0, 30.0)),
        (18, (12.0, 20.0, 30.0)),
    ],
)
def test_respiratory_norms_change_at_each_age_band(years: int, norms: tuple) -> None:
    assert v.respiratory_norms(age(years * 366, years)) == norms


@pytest.mark.parametrize(
    ("days", "years", "limit"),
    [
        (27, 0, 60.0),
        (28, 0, 70.0),
        (364, 0, 70.0),
        (366, 1, 72.0),
        (3660, 10, 90.0),
        (4026, 11, 90.0),
    ],
)
def test_hypotension_limit_by_age(days: int, years: int, limit: float) -> None:
    assert v.hypotension_limit(age(days, years)) == limit


def test_clinic_limits_reach_the_words() -> None:
    limits = v.Thresholds(pulse_low=55, pulse_high=105, spo2_low=94, spo2_critical=88)
    adult = age(40 * 366, 40)
    assert v.classify_pulse(54, adult, limits).words == "Low (normal 55-105)"
    assert v.classify_pulse(105, adult, limits) == v.Finding(v.PULSE)
    assert v.classify_spo2(87, adult, limits=limits).words == "Critically low (below 88 %)"
    assert v.classify_spo2(93, adult, limits=limits).words == "Low (below 94 %)"
    assert v.classify_spo2(94, adult, limits=limits) == v.Finding(v.SPO2)
    respiratory = v.Thresholds(
        respiratory_low=10, respiratory_high=22, respiratory_critical_high=28
    )
    assert v.respiratory_norms(adult, respiratory) == (10, 22, 28)
    assert v.respiratory_norms(age(15 * 366, 15), respiratory) == (12.0, 16.0, 28)


# Each default limit moved to the edge of what Thresholds.consistent allows, and one past it.
CONSISTENCY_EDGES = [
    ("pulse_critical_low", 60.0, True), ("pulse_critical_low", 60.5, False),
    ("pulse_critical_low", 0.5, True), ("pulse_critical_low", 0.0, False),
    ("pulse_low", 99.5, True), ("pulse_low", 100.0, False),
    ("pulse_high", 130.0, True), ("pulse_high", 130.5, False),
    ("pulse_critical_high", 299.5, True), ("pulse_critical_high", 300.0, False),
    ("respiratory_low", 0.5, True), ("respiratory_low", 0.0, False),
    ("respiratory_low", 19.5, True), ("respiratory_low", 20.0, False),
    ("respiratory_high", 30.0, True), ("respiratory_high", 30.5, False),
    ("respiratory_critical_high", 79.5, True), ("respiratory_critical_high", 80.0, False),
    ("fever_c", 35.5, True), ("fever_c", 35.0, False),  # must stay above hypothermia
    ("fever_c", 39.5, True), ("fever_c", 39.6, False),
    ("temperature_critical_high_c", 42.0, True), ("temperature_critical_high_c", 42.1, False),
    ("temperature_critical_low_c", 30.0, True), ("temperature_critical_low_c", 29.9, False),
    ("temperature_critical_low_c", 37.9, True), ("temperature_critical_low_c", 38.0, False),
    ("spo2_critical", 50.5, True), ("spo2_critical", 50.0, False),
    ("spo2_critical", 95.0, True), ("spo2_critical", 95.5, False),
    ("spo2_low", 100.0, True), ("spo2_low", 100.5, False),
    ("spo2_critical_child", 50.5, True), ("spo2_critical_child", 50.0, False),
    ("spo2_critical_child", 95.0, True), ("spo2_critical_child", 95.5, False),
    ("systolic_critical", 140.0, True), ("systolic_critical", 139.5, False),
    ("systolic_critical", 250.0, True), ("systolic_critical", 250.5, False),
    ("diastolic_critical", 90.0, True), ("diastolic_critical", 89.5, False),
    ("diastolic_critical", 150.0, True), ("diastolic_critical", 150.5, False),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "allowed"), CONSISTENCY_EDGES)
def test_threshold_consistency_edges(name: str, value: float, allowed: bool) -> None:
    assert dataclasses.replace(v.DEFAULT_THRESHOLDS, **{name: value}).consistent() is allowed
    applied = v.Thresholds.from_settings({name: value})
    assert getattr(applied, name) == (value if allowed else getattr(v.DEFAULT_THRESHOLDS, name))


@pytest.mark.parametrize(("days", "critical"), [(89, True), (90, True), (91, False), (92, False)])
def test_any_fever_is_critical_under_three_months(days: int, critical: bool) -> None:
    finding = v.classify_temperature(38.0, v.PatientContext(age_days=days, age_months=days // 31))
    assert finding.key == v.TEMPERATURE
    assert (finding.level == v.CRITICAL) is critical
    assert v.classify_temperature(37.9, v.PatientContext(age_days=days)) == v.Finding(v.TEMPERATURE)


def test_hypothermia_limit_may_reach_fever_minus_a_tenth_and_fever_may_start_at_35() -> None:
    low_fever = {"temperature_critical_low_c": 34.0, "fever_c": 35.0}
    assert v.Thresholds.from_settings(low_fever).fever_c == 35.0


def test_fever_limits_may_meet() -> None:
    """Fever and high fever at the same value is a protocol some clinics use."""
    same = v.Thresholds.from_settings({"fever_c": 39.0, "temperature_critical_high_c": 39.0})
    assert (same.fever_c, same.temperature_critical_high_c) == (39.0, 39.0)


@pytest.mark.parametrize(
    ("bmi", "level", "direction", "words"),
    [
        (18.49, v.ABNORMAL, "low", "Underweight"),
        (18.5, v.NORMAL, "", "Healthy weight"),
        (24.99, v.NORMAL, "", "Healthy weight"),
        (25.0, v.NORMAL, "", "Overweight"),
        (29.99, v.NORMAL, "", "Overweight"),
        (30.0, v.ABNORMAL, "high", "Obesity class 1"),
        (34.99, v.ABNORMAL, "high", "Obesity class 1"),
        (35.0, v.ABNORMAL, "high", "Obesity class 2"),
        (39.99, v.ABNORMAL, "high", "Obesity class 2"),
        (40.0, v.ABNORMAL, "high", "Obesity class 3"),
    ],
)
def test_adult_bmi_finding(bmi: float, level: str, direction: str, words: str) -> None:
    assert v.classify_bmi(bmi, age(20 * 366, 20)) == v.Finding(v.BMI, level, direction, words)


@pytest.mark.parametrize(
    ("bmi", "level", "direction", "words"),
    [
        (13.0, v.ABNORMAL, "low", "1st percentile for age (CDC 2000): Underweight"),
        (14.0, v.NORMAL, "", "9th percentile for age (CDC 2000): Healthy weight"),
        (15.5, v.NORMAL, "", "52nd percentile for age (CDC 2000): Healthy weight"),
        (19.0, v.ABNORMAL, "high", "95th percentile for age (CDC 2000): Obesity"),
    ],
)
def test_child_bmi_finding(bmi: float, level: str, direction: str, words: str) -> None:
    boy = v.PatientContext(age_days=6 * 366, sex="male", age_months=78, age_years=6)
    assert v.classify_bmi(bmi, boy) == v.Finding(v.BMI, level, direction, words)
    unknown = dataclasses.replace(boy, sex="unknown")
    needs_sex = v.Finding(v.BMI, v.NORMAL, "", "BMI-for-age percentile needs sex male/female")
    assert v.classify_bmi(bmi, unknown) == needs_sex


TWO_YEARS_OLD = dt.date(2024, 11, 30)  # 24 months on 2026-11-30


def test_bmi_percentiles_start_on_the_second_birthday() -> None:
    on_birthday = v.PatientContext.on(TWO_YEARS_OLD, dt.date(2026, 11, 30), "male")
    day_before = v.PatientContext.on(TWO_YEARS_OLD, dt.date(2026, 11, 29), "male")
    assert v.classify_bmi(16.5, on_birthday) == v.Finding(
        v.BMI, v.NORMAL, "", "48th percentile for age (CDC 2000): Healthy weight"
    )
    assert v.healthy_bmi_band(TWO_YEARS_OLD, "male", dt.date(2026, 11, 30)) == pytest.approx(
        (14.7192, 18.1195), abs=1e-3
    )
    assert v.healthy_bmi_band(TWO_YEARS_OLD, "male", dt.date(2026, 11, 29)) is None
    assert v.healthy_bmi_band(TWO_YEARS_OLD, "unknown", dt.date(2026, 11, 30)) is None
    assert v.classify_bmi(16.5, day_before) == v.Finding(
        v.BMI, v.NORMAL, "", "No BMI-for-age percentile under 2 years"
    )


def test_adult_bmi_band_from_the_twentieth_birthday() -> None:
    day = dt.date(2026, 11, 30)
    assert v.healthy_bmi_band(dt.date(2006, 11, 30), "male", day) == (18.5, 25.0)
    assert v.healthy_bmi_band(dt.date(2006, 12, 1), "male", day) == pytest.approx(
        (19.1054, 27.0156), abs=1e-3
    )


def test_spo2_on_oxygen_says_so_at_every_tier() -> None:
    adult = age(40 * 366, 40)
    on = {s: v.classify_spo2(s, adult, on_o2=True) for s in (89, 94, 95)}
    assert on[89] == v.Finding(v.SPO2, v.CRITICAL, "low", "Critically low (below 90 %) on O2")
    assert on[94] == v.Finding(v.SPO2, v.ABNORMAL, "low", "Low (below 95 %) on O2")
    assert on[95] == v.Finding(v.SPO2, v.NORMAL, "", "On supplemental O2")


@pytest.mark.parametrize(
    ("pain", "finding"),
    [
        (3, v.Finding(v.PAIN)),
        (4, v.Finding(v.PAIN, v.NORMAL, "", "Moderate pain")),
        (6, v.Finding(v.PAIN, v.NORMAL, "", "Moderate pain")),
        (7, v.Finding(v.PAIN, v.ABNORMAL, "high", "Severe pain (7-10)")),
    ],
)
def test_pain_finding(pain: int, finding: v.Finding) -> None:
    assert v.classify_pain(pain) == finding


@pytest.mark.parametrize(
    ("pct", "ordinal"),
    [(0, "1st"), (0.5, "1st"), (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"),
     (11, "11th"), (12, "12th"), (13, "13th"), (20, "20th"), (21, "21st"), (22, "22nd"),
     (23, "23rd"), (99, "99th"), (99.9, "99th"), (100, "99th")],
)  # fmt: skip
def test_percentile_ordinals(pct: float, ordinal: str) -> None:
    assert v._ordinal(pct) == ordinal


@pytest.mark.parametrize(
    ("key", "label"),
    [("bp.0", "Blood pressure"), ("bp.1", "Blood pressure (reading 2)"),
     ("bp.2", "Blood pressure (reading 3)"), ("spo2", "SpO2"), ("no_such_field", "no_such_field")],
)  # fmt: skip
def test_key_labels(key: str, label: str) -> None:
    assert v.key_label(key) == label


def test_critical_summary_lists_every_critical_and_only_them() -> None:
    form = v.VitalsForm(
        entries={
            v.SPO2: v.Entry("87"),
            v.PULSE: v.Entry("105"),
            v.TEMPERATURE: v.Entry("34", "Cel"),
        },
        bp=(v.BPEntry("185/125"),),
    )
    result = v.evaluate(form, ctx("adult"))
    assert result.critical_summary() == (
        "Critical vitals - notify provider: "
        "Temperature 34 °C: CRITICAL: Hypothermia (< 35.0 °C / 95.0 °F); "
        "SpO2 87 %: Critically low (below 90 %); "
        "Blood pressure 185/125: CRITICAL: Hypertensive crisis (≥ 180/120)"
    )


def test_age_on_a_birthday_and_the_day_before() -> None:
    dob = dt.date(2014, 3, 15)
    before = v.PatientContext.on(dob, dt.date(2026, 3, 14))
    on_day = v.PatientContext.on(dob, dt.date(2026, 3, 15))
    assert (before.age_years, before.age_months) == (11, 143)
    assert (on_day.age_years, on_day.age_months) == (12, 144)
    assert before.band == "11-year-old" and on_day.band == "12-year-old"
    assert v.PatientContext.on(dob, dt.date(2014, 3, 1)).age_days == 0  # future DOB clamps
    assert v.PatientContext.on(dt.date(2008, 3, 15), dt.date(2026, 3, 15)).adult
    assert not v.PatientContext.on(dt.date(2008, 3, 16), dt.date(2026, 3, 15)).adult
    assert v.PatientContext.on(dt.date(2026, 1, 1), dt.date(2026, 3, 15)).band == "infant"


@pytest.mark.parametrize(("kg", "low"), [(6.30, True), (6.36, True), (6.37, False), (6.38, False)])
def test_infant_weight_flagged_low_below_minus_two_sd(kg: float, low: bool) -> None:
    """Under 2 (WHO standards) a weight is flagged low below z -2, the 2.3rd percentile CDC
    recommends with the WHO charts; 6.37 kg is z -2.00 for a 6-month-old boy."""
    boy = v.PatientContext.on(dt.date(2026, 5, 30), dt.date(2026, 11, 30), "male")
    finding = v.classify_weight(kg, boy, 10.0)
    assert (finding.level, finding.direction) == ((v.ABNORMAL, "low") if low else (v.NORMAL, ""))
    assert "(WHO 2006, z -" in finding.words
