"""What a screen reader says about a vitals field beyond its name: the unit it is typed
in, how to switch it, and the values accepted for this patient (issue 15 item 8).

Pure text from the clinical rules, so sighted and non-sighted staff get the same limits.
"""

from __future__ import annotations

from ma_desk.clinical import units
from ma_desk.clinical import vitals as rules

# Units of the fields typed without a unit toggle.
FIXED_UNITS = {
    rules.PULSE: "beats per minute",
    rules.RESPIRATORY_RATE: "breaths per minute",
    rules.SPO2: "percent",
    rules.PAIN: "a score from 0 to 10",
}


def _shown(value_canonical: float, unit: str) -> str:
    shown = units.from_canonical(value_canonical, unit)
    return units.format_number(shown, units.display_decimals(unit, shown))


def _accepted(key: str, unit: str, ctx: rules.PatientContext | None) -> str:
    if ctx is None:
        return ""
    low, high = rules.plausible_range(key, ctx)
    label = units.label(unit) if unit else ""
    return (
        f" Accepted ({ctx.band}): {_shown(low, unit)} to {_shown(high, unit)}"
        f"{' ' + label if label else ''}."
    )


def field_description(key: str, unit: str, ctx: rules.PatientContext | None) -> str:
    """'In lb; Ctrl+U switches to kg. Accepted (adult): 50 to 749.6 lb.'"""
    if key.startswith(rules.BP):
        text = "Systolic over diastolic in mmHg, for example 120/80."
        if ctx is not None:
            s_low, s_high = rules.plausible_range(rules.SYSTOLIC, ctx)
            d_low, d_high = rules.plausible_range(rules.DIASTOLIC, ctx)
            text += (
                f" Accepted: systolic {s_low:.0f} to {s_high:.0f},"
                f" diastolic {d_low:.0f} to {d_high:.0f}."
            )
        return text
    if key in FIXED_UNITS:
        return f"In {FIXED_UNITS[key]}." + _accepted(key, "", ctx)
    other = units.other_unit(unit)
    switch = f"; Ctrl+U switches to {units.label(other)}" if other != unit else ""
    return f"In {units.label(unit)}{switch}." + _accepted(key, unit, ctx)
