"""The history table: every set, corrections included, in the clinic's units."""

from __future__ import annotations

from collections.abc import Callable

from ma_desk.clinical import codes, units
from ma_desk.clinical import vitals as rules
from ma_desk.display_format import date_time_text
from ma_desk.services.vitals import FINAL, VitalSetRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.table_model import Column

LEVEL_COLOURS = {rules.CRITICAL: palette.CRITICAL_TEXT, rules.ABNORMAL: palette.ABNORMAL_TEXT}
VOIDED_COLOUR = palette.MUTED_TEXT


def _colour(loinc: str) -> Callable[[VitalSetRow], str | None]:
    def colour(row: VitalSetRow) -> str | None:
        if row.status != FINAL:
            return VOIDED_COLOUR
        return LEVEL_COLOURS.get(rules.level_of_interpretation(row.flag(loinc)))

    return colour


def _flag_words(loinc: str) -> Callable[[VitalSetRow], str | None]:
    names = {"L": "low", "H": "high", "LL": "critical low", "HH": "critical high", "A": "abnormal", "AA": "critical"}  # fmt: skip

    def words(row: VitalSetRow) -> str | None:
        return names.get(row.flag(loinc))

    return words


def _value(name: str, unit: str = "") -> Callable[[VitalSetRow], str]:
    loinc = rules.LOINC[name]

    def shown(row: VitalSetRow) -> str:
        value = row.get(loinc)
        if value is None:
            return ""
        text = rules.display_value(name, value, unit)
        flag = row.flag(loinc)
        marker = {"L": " ↓", "H": " ↑", "LL": " ↓↓", "HH": " ↑↑", "A": " !", "AA": " !!"}.get(flag, "")  # fmt: skip
        return text + marker

    return shown


def _bp(row: VitalSetRow) -> str:
    parts = []
    for systolic, diastolic, qualifiers, flag in row.bp_readings:
        marker = {"H": " ↑", "L": " ↓", "HH": " ↑↑", "LL": " ↓↓"}.get(flag, "")
        position = str(qualifiers.get("position", ""))[:3]
        parts.append(f"{systolic:.0f}/{diastolic:.0f}{marker}" + (f" {position}" if position else ""))  # fmt: skip
    return ", ".join(parts)


def _pulse(row: VitalSetRow) -> str:
    text = _value(rules.PULSE)(row)
    obs = row.observation(codes.HEART_RATE)
    if text and obs is not None and obs.qualifiers.get("rhythm") == "irregular":
        text += " irreg."
    return text


def _spo2(row: VitalSetRow) -> str:
    text = _value(rules.SPO2)(row)
    obs = row.observation(codes.SPO2)
    if text and obs is not None and obs.qualifiers.get("oxygen") == "on O2":
        flow = obs.qualifiers.get("o2_flow_l_min")
        text += f" on O2{f' {flow:g} L' if flow else ''}"
    return text


def _status(row: VitalSetRow) -> str:
    if row.status == FINAL and row.replaces_id:
        return "Final (correction)"
    return row.status_label


def _who(row: VitalSetRow) -> str:
    if row.changed_by and row.status != FINAL:
        return f"{row.taken_by}; changed by {row.changed_by}"
    if row.changed_by:
        return f"{row.taken_by}; corrected by {row.changed_by}"
    return row.taken_by


def history_columns(preferred: dict[str, str]) -> list[Column[VitalSetRow]]:
    """Columns in the clinic's preferred units (``preferred`` from default_units)."""
    weight_unit = preferred.get(rules.WEIGHT, units.LB)
    length_unit = preferred.get(rules.HEIGHT, units.IN)
    temp_unit = preferred.get(rules.TEMPERATURE, units.DEGF)

    def col(header: str, name: str, unit: str = "") -> Column[VitalSetRow]:
        loinc = rules.LOINC[name]
        return Column(header, _value(name, unit), foreground=_colour(loinc), tooltip=_flag_words(loinc), align_right=True)  # fmt: skip

    return [
        Column("Taken", lambda r: date_time_text(r.taken_at), foreground=_colour("")),
        Column("Status", _status, foreground=_colour(""), tooltip=lambda r: r.reason or None),
        Column("BP", _bp, foreground=_colour(codes.SYSTOLIC), tooltip=_flag_words(codes.SYSTOLIC)),
        Column("Pulse", _pulse, foreground=_colour(codes.HEART_RATE), align_right=True),
        col("Resp", rules.RESPIRATORY_RATE),
        col("Temp", rules.TEMPERATURE, temp_unit),
        Column("SpO2", _spo2, foreground=_colour(codes.SPO2), align_right=True),
        col("Height", rules.HEIGHT, length_unit),
        col("Weight", rules.WEIGHT, weight_unit),
        col("BMI", rules.BMI),
        col("Pain", rules.PAIN),
        col("Head", rules.HEAD_CIRCUMFERENCE, length_unit),
        Column("By", _who, foreground=_colour("")),
        Column("Reason / note", lambda r: r.reason or r.note, foreground=_colour("")),
    ]
