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
