"""Clinic-wide settings, declared once with their defaults (kept in the store)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class ClinicSettings:
    clinic_name: str = "MA Desk Clinic"
    address: str = ""
    phone: str = ""
    logo_path: str = ""
    slot_minutes: int = 15
    opens: dt.time = dt.time(8, 0)
    closes: dt.time = dt.time(17, 0)
    late_after_minutes: int = 10
    wait_warn_minutes: int = 15
    wait_alert_minutes: int = 30
    verification_stale_days: int = 30
    idle_lock_minutes: int = 5
    weight_change_percent: float = 10.0
    # Overrides of ma_desk.clinical.vitals.Thresholds (e.g. {"systolic_critical": 170}).
    vitals_thresholds: dict[str, float] = field(default_factory=dict)
    units_weight: str = "lb"
    units_length: str = "in"
    units_temperature: str = "F"
    forms: list[str] = field(
        default_factory=lambda: ["HIPAA notice of privacy practices", "Financial policy"]
    )
    backup_keep: int = 14
    time_zone: str = ""  # IANA name (America/Chicago); "" = this computer's zone
    # Open days' hours, Monday = "0": {"0": ["08:00", "17:00"]}; {} = every day opens-closes.
    weekly_hours: dict[str, list[str]] = field(default_factory=dict)
    display_locale: str = "en_US"  # how screens write dates and times (ma_desk.display_format)

    @classmethod
    def from_store(cls, values: dict[str, Any]) -> ClinicSettings:
        settings = cls()
        for f in fields(cls):
            if f.name in values:
                setattr(settings, f.name, _decode(getattr(settings, f.name), values[f.name]))
        return settings

    def to_store(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in fields(self)}


def _encode(value: Any) -> Any:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def _decode(default: Any, value: Any) -> Any:
    if isinstance(default, dt.time) and isinstance(value, str):
        return dt.time.fromisoformat(value)
    return value


# Whole-number settings and the range a clinic may choose from (inclusive).
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "slot_minutes": (5, 120),
    "late_after_minutes": (0, 240),
    "wait_warn_minutes": (1, 480),
    "wait_alert_minutes": (1, 480),
    "verification_stale_days": (1, 730),
    "idle_lock_minutes": (1, 60),
    "backup_keep": (1, 365),
}


def settings_problem(settings: ClinicSettings) -> tuple[str, str] | None:
    """(field, message) for the first value a clinic may not use, or None."""
    for name, (low, high) in INTEGER_RANGES.items():
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return (
                name,
                f"{name.replace('_', ' ').capitalize()} must be a whole number from {low} to {high}.",
            )
    if settings.wait_warn_minutes > settings.wait_alert_minutes:
        return "wait_warn_minutes", "The wait warning must come before the wait alert."
    if not isinstance(settings.opens, dt.time) or not isinstance(settings.closes, dt.time):
        return "opens", "Opening and closing times are times of day, like 08:00."
    if settings.opens >= settings.closes:
        return "closes", "The clinic must close after it opens."
    if (
        not isinstance(settings.weight_change_percent, (int, float))
        or isinstance(settings.weight_change_percent, bool)
        or not 1 <= settings.weight_change_percent <= 50
    ):
        return "weight_change_percent", "The weight-change alert must be 1 to 50 percent."
    if not isinstance(settings.vitals_thresholds, dict):
        return "vitals_thresholds", "Vital-sign limits must be a set of named numbers."
    if not settings.clinic_name.strip() or len(settings.clinic_name) > 120:
        return "clinic_name", "The clinic's name must have 1 to 120 characters."
    return None
