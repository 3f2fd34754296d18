"""Units of the vital signs: parsing what staff type, converting to canonical UCUM, display.

Values are stored in one canonical UCUM unit per measurement (kg, cm, Cel...) at full
precision, together with the text and unit as typed. Showing a value in the unit it was
typed in therefore gives back exactly what was typed; converting to the other unit is
rounded for display only, so toggling back and forth never drifts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

KG = "kg"
LB = "[lb_av]"
CM = "cm"
IN = "[in_i]"
CEL = "Cel"
DEGF = "[degF]"
MMHG = "mm[Hg]"
PER_MIN = "/min"
PERCENT = "%"
SCORE = "{score}"
KG_M2 = "kg/m2"

KG_PER_LB = 0.45359237
CM_PER_IN = 2.54

LABELS = {
    KG: "kg",
    LB: "lb",
    CM: "cm",
    IN: "in",
    CEL: "°C",
    DEGF: "°F",
    MMHG: "mmHg",
    PER_MIN: "/min",
    PERCENT: "%",
    SCORE: "/10",
    KG_M2: "kg/m²",
}

# The two units a field can be toggled between (canonical first).
ALTERNATIVES = {KG: (KG, LB), LB: (KG, LB), CM: (CM, IN), IN: (CM, IN), CEL: (CEL, DEGF)}
ALTERNATIVES[DEGF] = (CEL, DEGF)

CANONICAL_OF = {KG: KG, LB: KG, CM: CM, IN: CM, CEL: CEL, DEGF: CEL}

# Unit suffixes staff may type after a number ("70 kg", "37.2c").
SUFFIXES = {
    "kg": KG,
    "kgs": KG,
    "lb": LB,
    "lbs": LB,
    "#": LB,
    "cm": CM,
    "in": IN,
    '"': IN,
    "c": CEL,
    "°c": CEL,
    "f": DEGF,
    "°f": DEGF,
}

MAX_TEXT = 20  # longest text accepted in any vitals field
_NUMBER = r"\d{1,4}(?:\.\d{0,3})?|\.\d{1,3}"
_NUMBER_RE = re.compile(rf"^\s*\+?({_NUMBER})\s*$")
_SUFFIX_RE = re.compile(rf"^\s*\+?({_NUMBER})\s*(kgs?|lbs?|#|cm|in|\"|°?[cf])\s*$", re.IGNORECASE)
_LB_OZ_RE = re.compile(
    rf"^\s*({_NUMBER})\s*(?:lbs?|#)?\s*[ ,]\s*({_NUMBER})\s*(?:oz)?\s*$|"
    rf"^\s*({_NUMBER})\s*(?:lbs?|#)\s*({_NUMBER})\s*(?:oz)?\s*$",
    re.IGNORECASE,
)
_OZ_RE = re.compile(rf"^\s*({_NUMBER})\s*oz\s*$", re.IGNORECASE)
_FT_IN_RE = re.compile(
    rf"^\s*(\d)\s*(?:'|ft|feet)\s*(?:({_NUMBER})\s*(?:\"|in|'')?)?\s*$", re.IGNORECASE
)


class UnitError(ValueError):
    """Text that is not a number in the field's units; the message is shown to staff."""


def to_canonical(value: float, unit: str) -> float:
    """Convert a value in ``unit`` to the canonical UCUM unit of its kind."""
    if unit == LB:
        return value * KG_PER_LB
    if unit == IN:
        return value * CM_PER_IN
    if unit == DEGF:
        return (value - 32.0) * 5.0 / 9.0
    return value


def from_canonical(value: float, unit: str) -> float:
    """Convert a canonical value (kg, cm, Cel...) into ``unit``."""
    if unit == LB:
        return value / KG_PER_LB
    if unit == IN:
        return value / CM_PER_IN
    if unit == DEGF:
        return value * 9.0 / 5.0 + 32.0
    return value


def other_unit(unit: str) -> str:
    """The unit a toggle switches to (the same unit when there is no alternative)."""
    pair = ALTERNATIVES.get(unit)
    if not pair:
        return unit
    return pair[1] if unit == pair[0] else pair[0]


def label(unit: str) -> str:
    return LABELS.get(unit, unit)


def display_decimals(unit: str, value: float | None = None) -> int:
    """How many decimals to show a converted value with."""
    if unit == KG and value is not None and abs(value) < 10:
        return 2
    if unit in (KG, LB, CM, IN, CEL, DEGF, KG_M2):
        return 1
    return 0


def format_number(value: float, decimals: int) -> str:
    """A plain number without a needless trailing '.0' run ('70', '70.5')."""
    if not math.isfinite(value):
        return ""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_in(value_canonical: float, unit: str) -> str:
    """A canonical value shown in ``unit`` with that unit's display precision."""
    shown = from_canonical(value_canonical, unit)
    return format_number(shown, display_decimals(unit, shown))


def format_pounds_ounces(kg: float) -> str:
    """Infant weights as parents know them: '7 lb 8 oz'."""
    total_oz = round(kg / KG_PER_LB * 16)
    return f"{total_oz // 16} lb {total_oz % 16} oz"


@dataclass(frozen=True)
class Parsed:
    """A typed number in a known unit (the unit may come from a typed suffix)."""

    value: float
    unit: str
    text: str  # normalised text as it will be kept (what the user typed, trimmed)


def parse_plain(text: str) -> float:
    """A plain non-negative decimal number ('72', '98.6'); UnitError otherwise."""
    if len(text) > MAX_TEXT:
        raise UnitError("Too long: type just the number.")
    match = _NUMBER_RE.match(text)
    if not match:
        raise UnitError(f"'{_clip(text)}' is not a number.")
    return float(match.group(1))


def parse_quantity(text: str, unit: str) -> Parsed:
    """Parse a length, weight or temperature typed in ``unit``.

    Accepts a plain number, a number with a unit suffix of the same kind ("70 kg" in a lb
    field switches the unit), pounds and ounces ("7 lb 8 oz", "7 8") in a lb field and
    feet and inches (5'7") in an inch field.
    """
    stripped = text.strip()
    if len(stripped) > MAX_TEXT:
        raise UnitError("Too long: type just the number.")
    if not stripped:
        raise UnitError("Empty.")
    allowed = ALTERNATIVES.get(unit, (unit,))
    match = _NUMBER_RE.match(stripped)
    if match:
        return Parsed(float(match.group(1)), unit, stripped)
    match = _SUFFIX_RE.match(stripped)
    if match:
        typed_unit = SUFFIXES[match.group(2).lower()]
        if typed_unit not in allowed:
            raise UnitError(f"'{match.group(2)}' is not a unit for this field.")
        return Parsed(float(match.group(1)), typed_unit, format_number(float(match.group(1)), 3))
    if LB in allowed:
        match = _LB_OZ_RE.match(stripped)
        marked = any(m in stripped.lower() for m in ("lb", "#", "oz"))
        if match and (unit == LB or marked):  # a bare "7 8" means lb/oz only in a lb field
            groups = [g for g in match.groups() if g is not None]
            pounds, ounces = float(groups[0]), float(groups[1])
            if ounces >= 16:
                raise UnitError("Ounces must be under 16 (16 oz = 1 lb).")
            return Parsed(pounds + ounces / 16.0, LB, stripped)
        match = _OZ_RE.match(stripped)
        if match:
            return Parsed(float(match.group(1)) / 16.0, LB, stripped)
    if IN in allowed:
        match = _FT_IN_RE.match(stripped)
        if match:
            inches = float(match.group(2) or 0)
            if inches >= 12:
                raise UnitError("Inches after feet must be under 12.")
            return Parsed(int(match.group(1)) * 12 + inches, IN, stripped)
    raise UnitError(f"'{_clip(stripped)}' is not a number.")


def shown_after_toggle(origin_text: str, origin_unit: str, target_unit: str) -> str:
    """What a field shows after a unit toggle: the original text in its own unit, else
    the converted value rounded for display. Computed from the original every time, so
    any number of toggles never drifts."""
    if target_unit == origin_unit:
        return origin_text
    try:
        parsed = parse_quantity(origin_text, origin_unit)
    except UnitError:
        return origin_text
    canonical = to_canonical(parsed.value, parsed.unit)
    return format_in(canonical, target_unit)


def _clip(text: str) -> str:
    return text if len(text) <= 12 else text[:12] + "…"
