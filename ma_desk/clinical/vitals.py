"""Every vital-sign rule in one place: plausible ranges, flags, categories, critical values.

The UI calls :func:`evaluate` on each keystroke to colour and word the flags, the vitals
service calls it again on save (the authoritative check), reports and tests call the same
functions. Three tiers, by age band (shared/clinical/vitals-reference.md):

* refused: implausible, never stored; the message names the likely cause (unit mix-ups,
  two numbers run together, a fraction typed as a percentage...);
* abnormal: stored and flagged in colour and words (low/high, BP category, age norms);
* critical: stored only after an explicit acknowledgement; creates a "notify provider" task.

Ranges marked *engineering* are this project's own choice for catching typing and unit
errors, not clinical guidance. Values are canonical UCUM (kg, cm, Cel, mm[Hg], /min, %).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ma_desk.clinical import codes, growth, height_change, pediatric_bp, units

# ------------------------------------------------------------------ fields
HEIGHT = "height"
WEIGHT = "weight"
BMI = "bmi"
BP = "bp"  # a reading "120/80"; stored as SYSTOLIC + DIASTOLIC
SYSTOLIC = "systolic"
DIASTOLIC = "diastolic"
PULSE = "pulse"
RESPIRATORY_RATE = "respiratory_rate"
TEMPERATURE = "temperature"
SPO2 = "spo2"
PAIN = "pain"
HEAD_CIRCUMFERENCE = "head_circumference"

LOINC = {
    HEIGHT: codes.HEIGHT,
    WEIGHT: codes.WEIGHT,
    BMI: codes.BMI,
    SYSTOLIC: codes.SYSTOLIC,
    DIASTOLIC: codes.DIASTOLIC,
    PULSE: codes.HEART_RATE,
    RESPIRATORY_RATE: codes.RESPIRATORY_RATE,
    TEMPERATURE: codes.TEMPERATURE,
    SPO2: codes.SPO2,
    PAIN: codes.PAIN,
    HEAD_CIRCUMFERENCE: codes.HEAD_CIRCUMFERENCE,
}
FIELD_OF_LOINC = {loinc: name for name, loinc in LOINC.items()}
LABELS = {
    HEIGHT: "Height",
    WEIGHT: "Weight",
    BMI: "BMI",
    BP: "Blood pressure",
    SYSTOLIC: "Systolic BP",
    DIASTOLIC: "Diastolic BP",
    PULSE: "Pulse",
    RESPIRATORY_RATE: "Resp. rate",
    TEMPERATURE: "Temperature",
    SPO2: "SpO2",
    PAIN: "Pain (0-10)",
    HEAD_CIRCUMFERENCE: "Head circ.",
}
# Fields typed with a toggleable unit, and fields whose unit is fixed.
QUANTITY_FIELDS = (HEIGHT, WEIGHT, HEAD_CIRCUMFERENCE, TEMPERATURE)
COUNT_FIELDS = (PULSE, RESPIRATORY_RATE, SPO2, PAIN)
ENTRY_FIELDS = (
    HEIGHT,
    WEIGHT,
    PULSE,
    RESPIRATORY_RATE,
    TEMPERATURE,
    SPO2,
    PAIN,
    HEAD_CIRCUMFERENCE,
)

POSITIONS = ("sitting", "standing", "lying")
ARMS = ("right", "left")
CUFFS = ("adult", "large adult", "small adult", "child", "infant", "thigh")
RHYTHMS = ("regular", "irregular")
ROUTES = ("oral", "temporal", "tympanic", "axillary", "rectal")
OXYGEN = ("room air", "on O2")

NORMAL = "normal"
ABNORMAL = "abnormal"
CRITICAL = "critical"

# HL7 v3 ObservationInterpretation codes, stored in VitalObservation.flag.
INTERPRETATION = {("abnormal", "low"): "L", ("abnormal", "high"): "H", ("abnormal", ""): "A"}
INTERPRETATION |= {("critical", "low"): "LL", ("critical", "high"): "HH", ("critical", ""): "AA"}


# ------------------------------------------------------------------ data types
@dataclass(frozen=True)
class Finding:
    """How one value reads: its tier, direction and the words shown beside it."""

    key: str
    level: str = NORMAL
    direction: str = ""  # "low" | "high" | ""
    words: str = ""
    shown: str = ""  # the value as read, e.g. "87 %" or "186/124"

    @property
    def flagged(self) -> bool:
        return self.level != NORMAL

    @property
    def tier_words(self) -> str:
        """'CRITICAL LOW', 'HIGH', 'ABNORMAL' or '' (the label's first words)."""
        direction = {"low": "LOW", "high": "HIGH"}.get(self.direction, "")
        if self.level == CRITICAL:
            return f"CRITICAL {direction}".strip()
        if self.level == ABNORMAL:
            return direction or "ABNORMAL"
        return ""

    def summary(self) -> str:
        """'SpO2 87 %: Critically low (below 90 %)' (for tasks, audit and reports)."""
        head = f"{key_label(self.key)} {self.shown}".strip()
        return f"{head}: {flag_text(self)}"

    @property
    def interpretation(self) -> str:
        return INTERPRETATION.get((self.level, self.direction), "N" if self.words else "")


@dataclass(frozen=True)
class Previous:
    """The last recorded value of a field (canonical) with when it was taken."""

    value: float
    taken_at: dt.datetime
    entered_value: str = ""
    entered_unit: str = ""


@dataclass(frozen=True)
class PatientContext:
    """What the rules need to know about the patient: age, sex, previous values."""

    age_days: int
    sex: str = "unknown"
    previous: Mapping[str, Previous] = field(default_factory=dict)
    age_months: int = 0
    age_years: int = 0
    day: dt.date | None = None  # the day measured (previous values are dated from it)

    @classmethod
    def on(
        cls,
        dob: dt.date,
        day: dt.date,
        sex: str = "unknown",
        previous: Mapping[str, Previous] | None = None,
    ) -> PatientContext:
        months = (day.year - dob.year) * 12 + day.month - dob.month - (day.day < dob.day)
        return cls(
            age_days=max(0, (day - dob).days),
            sex=sex,
            previous=dict(previous or {}),
            age_months=max(0, months),
            age_years=max(0, months // 12),
            day=day,
        )

    @property
    def adult(self) -> bool:
        return self.age_years >= 18

    @property
    def band(self) -> str:
        """Age band used in messages."""
        if self.adult:
            return "adult"
        if self.age_years < 1:
            return "infant"
        return f"{self.age_years}-year-old"


@dataclass(frozen=True)
class Entry:
    """Text as typed in one field, with the unit the field was set to."""

    text: str
    unit: str = ""


@dataclass(frozen=True)
class BPEntry:
    text: str  # "120/80" (also "120 80")
    position: str = "sitting"
    arm: str = "right"
    cuff: str = "adult"


@dataclass(frozen=True)
class VitalsForm:
    """One screenful of vitals as typed (empty text = not taken)."""

    entries: Mapping[str, Entry] = field(default_factory=dict)
    bp: tuple[BPEntry, ...] = ()
    pulse_rhythm: str = "regular"
    temperature_route: str = "oral"
    oxygen: str = "room air"
    o2_flow: str = ""  # L/min when on O2

    def is_empty(self) -> bool:
        return not any(e.text.strip() for e in self.entries.values()) and not any(
            b.text.strip() for b in self.bp
        )


@dataclass(frozen=True)
class Measurement:
    """One value ready to store as a VitalObservation (and later a FHIR Observation)."""

    field: str
    loinc: str
    value: float
    unit: str
    entered_value: str = ""
    entered_unit: str = ""
    qualifiers: Mapping[str, object] = dataclasses.field(default_factory=dict)  # "field" is taken
    flag: str = ""


@dataclass
class Assessment:
    """The result of checking a whole form: refusals, findings and what to store."""

    refusals: dict[str, str] = field(default_factory=dict)  # key -> message
    findings: dict[str, Finding] = field(default_factory=dict)  # key -> finding
    measurements: list[Measurement] = field(default_factory=list)
    bmi: float | None = None
    # key -> why the value is unlikely: stored only once staff confirm it was re-checked.
    confirmations: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def criticals(self) -> list[Finding]:
        return [f for f in self.findings.values() if f.level == CRITICAL]

    def critical_summary(self) -> str:
        """One line for the 'notify provider' task."""
        parts = [f.summary() for f in self.criticals]
        return "Critical vitals - notify provider: " + "; ".join(parts)


def flag_text(finding: Finding) -> str:
    """The words shown beside a value: they always say the tier ('Critically low (below
    90 %)', 'CRITICAL: Hypertensive crisis', 'HIGH: Stage 2 hypertension'), so the flag
    reads the same without colour."""
    words = finding.words
    if finding.level == CRITICAL:
        return words if words.startswith("Critically") else f"CRITICAL: {words}"
    if finding.level == ABNORMAL:
        if words.startswith(("Low", "High")):
            return words
        return f"{finding.tier_words}: {words}"
    return words


class Refused(ValueError):
    """A value that must not be stored; ``message`` says why and what to do."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def key_label(key: str) -> str:
    """'bp.1' -> 'Blood pressure (reading 2)'."""
    if key.startswith(BP + "."):
        n = int(key.split(".", 1)[1])
        return LABELS[BP] if n == 0 else f"{LABELS[BP]} (reading {n + 1})"
    return LABELS.get(key, key)


# ------------------------------------------------------------------ ranges (engineering)
def plausible_range(name: str, ctx: PatientContext) -> tuple[float, float]:
    """Canonical [low, high] outside which a value is refused (engineering limits)."""
    y = ctx.age_years
    if name == WEIGHT:
        if ctx.adult:
            return (22.7, 340.0)
        return (0.3, 25.0) if y < 1 else (4.0, 60.0) if y <= 5 else (10.0, 160.0) if y <= 12 else (20.0, 250.0)  # fmt: skip
    if name == HEIGHT:
        if ctx.adult:
            return (90.0, 250.0)
        return (25.0, 100.0) if y < 1 else (50.0, 140.0) if y <= 5 else (80.0, 200.0) if y <= 12 else (100.0, 230.0)  # fmt: skip
    if name == HEAD_CIRCUMFERENCE:
        return (20.0, 60.0)
    if name == PULSE:
        return (20.0, 300.0)
    if name == RESPIRATORY_RATE:
        return (4.0, 120.0) if y < 1 else (4.0, 80.0)
    if name == TEMPERATURE:
        return (30.0, 45.0)
    if name == SPO2:
        return (50.0, 100.0)
    if name == PAIN:
        return (0.0, 10.0)
    if name == SYSTOLIC:
        return (50.0, 300.0) if ctx.adult else (30.0, 200.0) if y < 1 else (40.0, 250.0)
    if name == DIASTOLIC:
        return (20.0, 200.0) if ctx.adult else (15.0, 150.0)
    if name == BMI:
        return (10.0, 100.0)  # exclusive at both ends
    raise KeyError(name)


# ------------------------------------------------------------------ clinic thresholds
@dataclass(frozen=True)
class Thresholds:
    """Flag and critical limits a clinic's protocol may change (adults and teenagers; fever,
    SpO2 and severe BP at every age). Defaults are the reference values."""

    pulse_low: float = 60.0
    pulse_high: float = 100.0
    pulse_critical_low: float = 40.0
    pulse_critical_high: float = 130.0
    respiratory_low: float = 12.0
    respiratory_high: float = 20.0
    respiratory_critical_high: float = 30.0
    fever_c: float = 38.0
    temperature_critical_high_c: float = 39.5
    temperature_critical_low_c: float = 35.0
    spo2_low: float = 95.0
    spo2_critical: float = 90.0
    spo2_critical_child: float = 92.0
    systolic_critical: float = 180.0
    diastolic_critical: float = 120.0

    @classmethod
    def from_settings(cls, overrides: Mapping[str, object] | None) -> Thresholds:
        """Defaults with the clinic's overrides; unknown keys, non-numbers and overrides
        that would put limits out of order are ignored (the default stays)."""
        limits = cls()
        for name, raw in (overrides or {}).items():
            if name not in cls.__dataclass_fields__ or isinstance(raw, bool):
                continue
            try:
                value = float(raw)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
            if not math.isfinite(value):
                continue
            candidate = replace(limits, **{name: value})
            if candidate.consistent():
                limits = candidate
        return limits

    def consistent(self) -> bool:
        return (
            0 < self.pulse_critical_low <= self.pulse_low < self.pulse_high <= self.pulse_critical_high < 300
            and 0 < self.respiratory_low < self.respiratory_high <= self.respiratory_critical_high < 80
            and 35.0 <= self.fever_c <= self.temperature_critical_high_c <= 42.0
            and 30.0 <= self.temperature_critical_low_c < self.fever_c
            and 50 < self.spo2_critical <= self.spo2_low <= 100
            and 50 < self.spo2_critical_child <= self.spo2_low
            and 140 <= self.systolic_critical <= 250
            and 90 <= self.diastolic_critical <= 150
        )  # fmt: skip


DEFAULT_THRESHOLDS = Thresholds()


# ------------------------------------------------------------------ norms
def heart_rate_norms(
    ctx: PatientContext, limits: Thresholds = DEFAULT_THRESHOLDS
) -> tuple[float, float, float, float]:
    """(critical low, normal low, normal high, critical high) in /min.

    Below critical low or above critical high is critical; outside normal is abnormal.
    Children: PALS awake ranges; critical below 60 (PALS bradycardia) and from 220 under
    2 years / from 180 at 2-10 years (PALS SVT thresholds). From 11 years: adult limits.
    """
    if ctx.age_years >= 11:
        return (
            limits.pulse_critical_low, limits.pulse_low, limits.pulse_high, limits.pulse_critical_high
        )  # fmt: skip
    if ctx.age_days < 91:
        return (60.0, 85.0, 205.0, 219.0)
    if ctx.age_years < 2:
        return (60.0, 100.0, 190.0, 219.0)
    return (60.0, 60.0, 140.0, 179.0)


def respiratory_norms(
    ctx: PatientContext, limits: Thresholds = DEFAULT_THRESHOLDS
) -> tuple[float, float, float]:
    """(normal low, normal high, critical high): PALS by age; critical > 30 adults and
    teenagers, > normal high + 10 under 13 (engineering)."""
    y = ctx.age_years
    if ctx.adult:
        return (limits.respiratory_low, limits.respiratory_high, limits.respiratory_critical_high)
    if y >= 13:
        return (12.0, 16.0, limits.respiratory_critical_high)
    low, high = (30.0, 60.0) if y < 1 else (24.0, 40.0) if y <= 3 else (22.0, 34.0) if y <= 5 else (18.0, 30.0)  # fmt: skip
    return (low, high, high + 10.0)


def hypotension_limit(ctx: PatientContext) -> float:
    """Systolic below this is hypotension (PALS); 90 above 10 years and for adults."""
    if ctx.age_days < 28:
        return 60.0
    if ctx.age_years < 1:
        return 70.0
    if ctx.age_years <= 10:
        return 70.0 + 2.0 * ctx.age_years
    return 90.0


def adult_bp_category(systolic: float, diastolic: float) -> str:
    """ACC/AHA 2017: the higher of the systolic and diastolic categories."""
    if systolic > 180 or diastolic > 120:
        return "Hypertensive crisis"
    if systolic >= 140 or diastolic >= 90:
        return "Stage 2 hypertension"
    if systolic >= 130 or diastolic >= 80:
        return "Stage 1 hypertension"
    if systolic >= 120:
        return "Elevated"
    return "Normal"


HEALTHY_BMI_ADULT = (18.5, 25.0)  # CDC, 20 years and over: 18.5 to < 25
NORMAL_SYSTOLIC_BAND = (90.0, 120.0)  # above hypotension, below "elevated" (adults)
NORMAL_DIASTOLIC_BAND = (60.0, 80.0)  # below stage 1 (adults)
Z_5TH = -1.6449  # z-scores of the CDC percentile cut-offs
Z_85TH = 1.0364


def healthy_bmi_band(dob: dt.date, sex: str, day: dt.date) -> tuple[float, float] | None:
    """The healthy BMI range on ``day``: 18.5-25 from 20 years; CDC BMI-for-age 5th to
    85th percentile from 2 to 19 (when sex is male/female); None under 2."""
    age = PatientContext.on(dob, day)  # the age alone: sex picks the table below
    if age.age_years >= 20:
        return HEALTHY_BMI_ADULT
    lms = growth.lms_at(growth.BMI_FOR_AGE, sex, age.age_months + 0.5)
    if lms is None:
        return None
    return (growth.value_at_z(Z_5TH, lms), growth.value_at_z(Z_85TH, lms))


def adult_bmi_category(bmi: float) -> str:
    if bmi < HEALTHY_BMI_ADULT[0]:
        return "Underweight"
    if bmi < HEALTHY_BMI_ADULT[1]:
        return "Healthy weight"
    if bmi < 30:
        return "Overweight"
    if bmi < 35:
        return "Obesity class 1"
    if bmi < 40:
        return "Obesity class 2"
    return "Obesity class 3"


def compute_bmi(weight_kg: float, height_cm: float) -> float:
    return weight_kg / (height_cm / 100.0) ** 2


# ------------------------------------------------------------------ parsing
def _fmt(value: float, unit: str) -> str:
    return f"{units.format_in(value, unit)} {units.label(unit)}"


def parse_count(key: str, text: str, name: str) -> float:
    """Whole numbers for pulse, RR, SpO2, pain (with hints for common slips)."""
    stripped = text.strip().rstrip("%").strip()
    if name == SPO2 and stripped.startswith(("0.", ".")):
        try:
            fraction = float(stripped)
        except ValueError:
            fraction = -1.0
        if 0 < fraction <= 1:
            raise Refused(key, f"Type SpO2 as a percentage: {fraction * 100:.0f}, not {stripped}.")
    try:
        value = units.parse_plain(stripped)
    except units.UnitError as error:
        raise Refused(key, str(error)) from None
    if value != int(value):
        raise Refused(key, f"{LABELS[name]} is a whole number.")
    return value


def parse_bp(key: str, text: str) -> tuple[float, float]:
    """'120/80' (or '120 80') -> (120, 80)."""
    stripped = text.strip()
    if len(stripped) > units.MAX_TEXT:
        raise Refused(key, "Too long: type systolic/diastolic, e.g. 120/80.")
    separators = [s for s in ("/", " ") if s in stripped]
    if not separators:
        raise Refused(key, "Type both numbers: systolic/diastolic, e.g. 120/80.")
    parts = [p for p in stripped.replace(" ", "/").split("/") if p]
    if len(parts) != 2:
        raise Refused(key, "Type blood pressure as systolic/diastolic, e.g. 120/80.")
    values = []
    for part in parts:
        try:
            value = units.parse_plain(part)
        except units.UnitError:
            raise Refused(key, f"'{part[:10]}' is not a number: type e.g. 120/80.") from None
        if value != int(value):
            raise Refused(key, "Blood pressure is in whole mmHg.")
        values.append(value)
    return values[0], values[1]


# ------------------------------------------------------------------ refusals
def check_quantity(key: str, name: str, parsed: units.Parsed, ctx: PatientContext) -> float:
    """Canonical value of a typed length/weight/temperature, or Refused with the cause."""
    # Rounded to 6 decimals so 103.1 °F compares as exactly 39.5 °C at the limits.
    value = round(units.to_canonical(parsed.value, parsed.unit), 6)
    typed = f"{units.format_number(parsed.value, 3)} {units.label(parsed.unit)}"
    alt_unit = units.other_unit(parsed.unit)
    alt_value = round(units.to_canonical(parsed.value, alt_unit), 6)
    alt_typed = f"{units.format_number(parsed.value, 3)} {units.label(alt_unit)}"
    low, high = plausible_range(name, ctx)
    if name == TEMPERATURE:
        if not (low <= value <= high):
            if low <= alt_value <= high:
                raise Refused(
                    key,
                    f"{typed} is not a body temperature; it looks like {units.label(alt_unit)} "
                    f"({alt_typed} = {_fmt(alt_value, parsed.unit)}). Switch the unit to "
                    f"{units.label(alt_unit)}.",
                )
            meant = misplaced_decimal(parsed.value, parsed.unit, low, high)
            if meant is not None:
                raise Refused(
                    key, f"{typed} is not possible – did you mean {meant}?{DECIMAL_CAUSE}"
                )
            raise Refused(
                key,
                f"{typed} is outside {_fmt(low, parsed.unit)} to {_fmt(high, parsed.unit)}: "
                "re-measure.",
            )
        return value
    previous = ctx.previous.get(name)
    if previous is not None and previous.value > 0:
        ratio, alt_ratio = value / previous.value, alt_value / previous.value
        # Within 10 % of last time in the other unit: as kg/lb and cm/in differ by a factor
        # of 2.2 and 2.54, the value as typed is then always far from last time's.
        if 0.9 <= alt_ratio <= 1.1:
            shown_unit = parsed.unit
            direction = "less than" if ratio < 1 else "more than"
            raise Refused(
                key,
                f"{typed} is far {direction} last time's {_fmt(previous.value, shown_unit)} "
                f"({previous.taken_at:%m/%d/%Y}); {alt_typed} would be "
                f"{_fmt(alt_value, shown_unit)}. Was it measured in {units.label(alt_unit)}? "
                f"Switch the unit to {units.label(alt_unit)}.",
            )
    if not (low <= value <= high):
        hint = ""
        if low <= alt_value <= high:
            hint = (
                f" Was it in {units.label(alt_unit)}? {alt_typed} = {_fmt(alt_value, parsed.unit)}."
            )
        raise Refused(
            key,
            f"{typed} is not plausible for {_article(ctx.band)} "
            f"({_fmt(low, parsed.unit)} to {_fmt(high, parsed.unit)}).{hint}",
        )
    return value


DECIMAL_CAUSE = " The decimal point looks missing or misplaced: retype it."
# A body temperature typed without its decimal point (986 °F, 372 °C) or with it one place
# early (9.86 °F): tried in this order, the first that lands in the plausible range wins.
DECIMAL_SHIFTS = (0.1, 0.01, 10.0)


def misplaced_decimal(typed: float, unit: str, low: float, high: float) -> str | None:
    """'98.6 °F' when ``typed`` with its decimal point moved is a plausible value in
    ``unit`` (``low``/``high`` canonical), else None."""
    for factor in DECIMAL_SHIFTS:
        shifted = round(typed * factor, 6)
        if low <= round(units.to_canonical(shifted, unit), 6) <= high:
            return f"{units.format_number(shifted, 3)} {units.label(unit)}"
    return None


def _article(band: str) -> str:
    vowel_sound = band[0] in "aeiou8" or band.startswith("11-")  # 18 and up: "adult"
    return ("an " if vowel_sound else "a ") + band


def check_count(key: str, name: str, value: float, ctx: PatientContext) -> None:
    low, high = plausible_range(name, ctx)
    label = LABELS[name]
    if name == PAIN and not (0 <= value <= 10):
        raise Refused(key, "Pain is scored 0 to 10.")
    if name == SPO2 and value > 100:
        raise Refused(key, "SpO2 cannot be above 100 %.")
    if value < low:
        advice = {
            PULSE: "re-count for a full minute or check the monitor",
            RESPIRATORY_RATE: "re-count for a full minute",
            SPO2: "check the probe and re-measure",
        }.get(name, "re-measure")
        raise Refused(key, f"{label} {value:.0f} is below {low:.0f}, not plausible: {advice}.")
    if value > high:
        raise Refused(
            key,
            f"{label} {value:.0f} is above {high:.0f}, not plausible: were two numbers run "
            "together? Re-measure.",
        )


def check_bp(key: str, systolic: float, diastolic: float, ctx: PatientContext) -> None:
    s_low, s_high = plausible_range(SYSTOLIC, ctx)
    d_low, d_high = plausible_range(DIASTOLIC, ctx)
    if diastolic >= systolic:
        swapped = " The numbers look swapped: systolic comes first." if diastolic > systolic else ""
        raise Refused(
            key,
            f"Diastolic ({diastolic:.0f}) must be lower than systolic ({systolic:.0f}).{swapped}",
        )
    if not (s_low <= systolic <= s_high):
        raise Refused(
            key, f"Systolic {systolic:.0f} is outside {s_low:.0f}-{s_high:.0f}: re-measure."
        )
    if not (d_low <= diastolic <= d_high):
        raise Refused(
            key, f"Diastolic {diastolic:.0f} is outside {d_low:.0f}-{d_high:.0f}: re-measure."
        )


# ------------------------------------------------------------------ flags
def classify_pulse(
    value: float, ctx: PatientContext, limits: Thresholds = DEFAULT_THRESHOLDS
) -> Finding:
    key = PULSE
    crit_low, low, high, crit_high = heart_rate_norms(ctx, limits)
    if value < crit_low:
        return Finding(key, CRITICAL, "low", f"Critically low (below {crit_low:.0f})")
    if value > crit_high:
        return Finding(key, CRITICAL, "high", f"Critically high (above {crit_high:.0f})")
    return _against_normal_range(key, value, low, high, ctx)


def _against_normal_range(
    key: str, value: float, low: float, high: float, ctx: PatientContext
) -> Finding:
    """Low / high / normal against an age band's range, the range named in the words."""
    norm = f"{low:.0f}-{high:.0f}" + ("" if ctx.adult else f" for {_article(ctx.band)}")
    if value < low:
        return Finding(key, ABNORMAL, "low", f"Low (normal {norm})")
    if value > high:
        return Finding(key, ABNORMAL, "high", f"High (normal {norm})")
    return Finding(key)


def classify_respiratory_rate(
    value: float, ctx: PatientContext, limits: Thresholds = DEFAULT_THRESHOLDS
) -> Finding:
    low, high, crit_high = respiratory_norms(ctx, limits)
    key = RESPIRATORY_RATE
    if value > crit_high:
        return Finding(key, CRITICAL, "high", f"Critically high (above {crit_high:.0f})")
    return _against_normal_range(key, value, low, high, ctx)


def classify_temperature(
    value: float, ctx: PatientContext, limits: Thresholds = DEFAULT_THRESHOLDS
) -> Finding:
    key = TEMPERATURE

    def both(celsius: float) -> str:
        return f"{celsius:.1f} °C / {units.from_canonical(celsius, units.DEGF):.1f} °F"

    if value < limits.temperature_critical_low_c:
        return Finding(key, CRITICAL, "low", f"Hypothermia (< {both(limits.temperature_critical_low_c)})")  # fmt: skip
    if value >= limits.fever_c and ctx.age_days < 91:
        return Finding(key, CRITICAL, "high", "Fever in an infant under 3 months: urgent")
    if value >= limits.temperature_critical_high_c:
        return Finding(key, CRITICAL, "high", f"High fever (≥ {both(limits.temperature_critical_high_c)})")  # fmt: skip
    if value >= limits.fever_c:
        return Finding(key, ABNORMAL, "high", f"Fever (≥ {both(limits.fever_c)})")
    return Finding(key)


def classify_spo2(
    value: float,
    ctx: PatientContext,
    on_o2: bool = False,
    limits: Thresholds = DEFAULT_THRESHOLDS,
) -> Finding:
    key = SPO2
    critical = limits.spo2_critical if ctx.adult else limits.spo2_critical_child
    suffix = " on O2" if on_o2 else ""
    if value < critical:
        return Finding(key, CRITICAL, "low", f"Critically low (below {critical:g} %){suffix}")
    if value < limits.spo2_low:
        return Finding(key, ABNORMAL, "low", f"Low (below {limits.spo2_low:g} %){suffix}")
    if on_o2:
        return Finding(key, NORMAL, "", "On supplemental O2")
    return Finding(key)


def classify_pain(value: float) -> Finding:
    if value >= 7:
        return Finding(PAIN, ABNORMAL, "high", "Severe pain (7-10)")
    if value >= 4:
        return Finding(PAIN, NORMAL, "", "Moderate pain")
    return Finding(PAIN)


def classify_bp(
    systolic: float,
    diastolic: float,
    ctx: PatientContext,
    key: str = BP,
    limits: Thresholds = DEFAULT_THRESHOLDS,
    height_cm: float | None = None,
) -> Finding:
    """Adults: ACC/AHA category; 1-17 years: AAP 2017 (under 13 by sex, age and the height
    percentile of ``height_cm`` taken today; without it only what holds for any height is
    said, and that the height is needed); hypotension by age."""
    if systolic >= limits.systolic_critical or diastolic >= limits.diastolic_critical:
        category = adult_bp_category(systolic, diastolic)
        label = category if category == "Hypertensive crisis" else f"{category}, severe"
        cut = f"{limits.systolic_critical:.0f}/{limits.diastolic_critical:.0f}"
        return Finding(key, CRITICAL, "high", f"{label} (≥ {cut})")
    if systolic < hypotension_limit(ctx):
        limit = hypotension_limit(ctx)
        if ctx.adult:
            return Finding(key, ABNORMAL, "low", f"Low (systolic < {limit:.0f})")
        return Finding(key, CRITICAL, "low", f"Hypotension for age (systolic < {limit:.0f})")
    if ctx.age_years >= 13:
        category = adult_bp_category(systolic, diastolic)
        if category == "Normal":
            return Finding(key, NORMAL, "", "Normal")
        return Finding(key, ABNORMAL, "high", category)
    if ctx.age_years < 1:
        return Finding(key)
    height = None
    if height_cm is not None:
        height = growth.length_for_age(ctx.sex, ctx.age_days, ctx.age_months, height_cm)
    result = pediatric_bp.classify(ctx.sex, ctx.age_years, height.percentile if height else None,
                                   systolic, diastolic)  # fmt: skip
    if result is not None and result.percentiles is not None and height is not None:
        return _aap_finding(key, result.category, result.percentiles, height.percentile)
    return _bp_without_height(key, systolic, diastolic, ctx, height_cm)


def _aap_finding(key: str, category: str, cell: pediatric_bp.Percentiles,
                 height_percentile: float) -> Finding:  # fmt: skip
    """Words that show the table cell used, so a reader can check it."""
    basis = (f"AAP 2017, height {_ordinal(height_percentile)} percentile: 90th "
             f"{cell.systolic_90}/{cell.diastolic_90}, 95th {cell.systolic_95}/{cell.diastolic_95}")  # fmt: skip
    if category == pediatric_bp.NORMAL:
        return Finding(key, NORMAL, "", f"Normal for age ({basis})")
    return Finding(key, ABNORMAL, "high", f"{category} ({basis})")


def _bp_without_height(key: str, systolic: float, diastolic: float, ctx: PatientContext,
                       height_cm: float | None) -> Finding:  # fmt: skip
    """Under 13 without a usable height percentile: the cut-offs that hold at any height."""
    missing = "height" if height_cm is None else "sex male/female and an age-plausible height"
    if ctx.sex not in ("male", "female") and height_cm is None:
        missing = "height and sex male/female"
    need = f"the AAP 2017 category needs {missing}"
    if systolic >= 140 or diastolic >= 90:
        words = "At least stage 2 for age (≥ 140/90)"
    elif systolic >= 130 or diastolic >= 80:
        words = "At least stage 1 for age (≥ 130/80)"
    elif systolic >= 120:
        words = "At least elevated for age (≥ 120/80)"
    else:
        return Finding(key, NORMAL, "", f"Below 120/80; {need}")
    return Finding(key, ABNORMAL, "high", f"{words}; {need}")


def classify_bmi(bmi: float, ctx: PatientContext) -> Finding:
    """Adults (20+): CDC category; 2-19: CDC BMI-for-age percentile when sex is known."""
    if ctx.age_years >= 20:
        category = adult_bmi_category(bmi)
        if category == "Underweight":
            return Finding(BMI, ABNORMAL, "low", category)
        if category.startswith("Obesity"):
            return Finding(BMI, ABNORMAL, "high", category)
        return Finding(BMI, NORMAL, "", category)
    if ctx.age_months < 24:  # CDC BMI-for-age starts at 2 years
        return Finding(BMI, NORMAL, "", "No BMI-for-age percentile under 2 years")
    pct = growth.percentile(growth.BMI_FOR_AGE, ctx.sex, ctx.age_months + 0.5, bmi)
    if pct is None:
        return Finding(BMI, NORMAL, "", "BMI-for-age percentile needs sex male/female")
    category = growth.bmi_for_age_category(pct)
    words = f"{_ordinal(pct)} percentile for age ({growth.CDC}): {category}"
    if category == "Underweight":
        return Finding(BMI, ABNORMAL, "low", words)
    if category == "Obesity":
        return Finding(BMI, ABNORMAL, "high", words)
    return Finding(BMI, NORMAL, "", words)


def weight_change(
    value: float, ctx: PatientContext, threshold_percent: float
) -> tuple[float, Previous] | None:
    """Percentage change since the last recorded weight, when beyond the threshold.
    Losses count at any age; gains only for adults (children are meant to grow)."""
    previous = ctx.previous.get(WEIGHT)
    if previous is None or previous.value <= 0:
        return None
    change = (value - previous.value) / previous.value * 100.0
    if abs(change) <= threshold_percent:
        return None
    if change > 0 and not ctx.adult:
        return None
    return change, previous


# Below these weight-for-age percentiles the weight is flagged low: CDC 2000's 5th; on the WHO
# standards (under 2) the 2.3rd (z -2), the cut-off CDC recommends with the WHO charts.
LOW_WEIGHT_FOR_AGE = {growth.CDC: 5.0, growth.WHO: 2.275}  # 2.275 = Φ(-2)


def classify_weight(value: float, ctx: PatientContext, threshold_percent: float) -> Finding:
    words: list[str] = []
    level, direction = NORMAL, ""
    change = weight_change(value, ctx, threshold_percent)
    if change is not None:
        pct, previous = change
        verb = "Up" if pct > 0 else "Down"
        words.append(f"{verb} {abs(pct):.1f} % since {previous.taken_at:%m/%d/%Y}")
        level, direction = ABNORMAL, "high" if pct > 0 else "low"
    for_age = growth.weight_for_age(ctx.sex, ctx.age_days, ctx.age_months, value)
    if for_age is not None:
        words.append(growth_words(for_age))
        if for_age.percentile < LOW_WEIGHT_FOR_AGE[for_age.reference] and level == NORMAL:
            level, direction = ABNORMAL, "low"
    return Finding(WEIGHT, level, direction, "; ".join(words))


def growth_words(result: growth.GrowthResult, detail: bool = True) -> str:
    """'48th percentile weight-for-age (WHO 2006, z -0.04)': the reference is always named;
    without ``detail`` (the patient's summary) '48th percentile for age (WHO 2006)'."""
    if not detail:
        basis = result.indicator.split("-", 1)[-1].replace("-", " ")
        return f"{_ordinal(result.percentile)} percentile {basis} ({result.reference})"
    return (f"{_ordinal(result.percentile)} percentile {result.indicator} "
            f"({result.reference}, z {result.z:+.2f})")  # fmt: skip


def classify_growth(name: str, value: float, ctx: PatientContext,
                    length_cm: float | None = None, detail: bool = True) -> Finding | None:  # fmt: skip
    """Height (length under 2), head circumference or weight against the growth reference
    for the age (WHO 2006 under 2 years, CDC 2000 from 2 to 20); under 2 a weight with its
    ``length_cm`` also gets the WHO weight-for-length. None when there is no percentile."""
    if name == HEIGHT:
        results = [growth.length_for_age(ctx.sex, ctx.age_days, ctx.age_months, value)]
    elif name == HEAD_CIRCUMFERENCE:
        results = [growth.head_circumference_for_age(ctx.sex, ctx.age_days, ctx.age_months, value)]
    else:
        results = [growth.weight_for_age(ctx.sex, ctx.age_days, ctx.age_months, value)]
        if length_cm is not None:
            results.append(growth.weight_for_length(ctx.sex, ctx.age_months, length_cm, value))
    words = "; ".join(growth_words(r, detail) for r in results if r)
    return Finding(name, NORMAL, "", words) if words else None


def _ordinal(pct: float) -> str:
    n = max(1, min(99, int(pct)))  # CDC reports whole percentiles, <1 and >99 clamped
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ------------------------------------------------------------------ the whole form
def evaluate(
    form: VitalsForm,
    ctx: PatientContext,
    *,
    weight_change_percent: float = 10.0,
    limits: Thresholds = DEFAULT_THRESHOLDS,
) -> Assessment:
    """Check a whole form: never raises for bad input, reports it in ``refusals``."""
    result = Assessment()
    values: dict[str, float] = {}
    for name in ENTRY_FIELDS:
        entry = form.entries.get(name)
        if entry is None or not entry.text.strip():
            continue
        try:
            values[name] = _evaluate_entry(
                name, entry, form, ctx, result, weight_change_percent, limits
            )
        except Refused as refusal:
            result.refusals[refusal.key] = refusal.message
    for i, reading in enumerate(form.bp):
        key = f"{BP}.{i}"
        if not reading.text.strip():
            continue
        try:
            systolic, diastolic = parse_bp(key, reading.text)
            check_bp(key, systolic, diastolic, ctx)
        except Refused as refusal:
            result.refusals[refusal.key] = refusal.message
            continue
        finding = replace(
            classify_bp(systolic, diastolic, ctx, key, limits, values.get(HEIGHT)),
            shown=f"{systolic:.0f}/{diastolic:.0f}",
        )
        result.findings[key] = finding
        qualifiers = {
            "reading": i + 1,
            "position": reading.position,
            "arm": reading.arm,
            "cuff": reading.cuff,
        }
        for name, value in ((SYSTOLIC, systolic), (DIASTOLIC, diastolic)):
            result.measurements.append(
                Measurement(
                    name,
                    LOINC[name],
                    value,
                    units.MMHG,
                    f"{value:.0f}",
                    units.MMHG,
                    qualifiers,
                    finding.interpretation,
                )  # fmt: skip
            )
    if HEAD_CIRCUMFERENCE in values and ctx.age_years >= 3:
        result.refusals[HEAD_CIRCUMFERENCE] = "Head circumference is recorded under 3 years only."
        result.measurements = [m for m in result.measurements if m.field != HEAD_CIRCUMFERENCE]
    if HEIGHT in values and WEIGHT in values and WEIGHT in result.findings:
        _add_weight_for_length(result, values[WEIGHT], values[HEIGHT], ctx)
    if HEIGHT in values and WEIGHT in values and ctx.age_years >= 2:
        bmi = compute_bmi(values[WEIGHT], values[HEIGHT])
        if not (10.0 < bmi < 100.0):
            result.refusals[BMI] = (
                f"BMI {bmi:.1f} from this height and weight is not plausible: check both "
                "(was one typed in the other unit?)."
            )
        else:
            result.bmi = bmi
            finding = replace(classify_bmi(bmi, ctx), shown=f"{bmi:.1f}")
            result.findings[BMI] = finding
            result.measurements.append(
                Measurement(
                    BMI,
                    codes.BMI,
                    bmi,
                    units.KG_M2,
                    "",
                    "",
                    {"computed": True},
                    finding.interpretation,
                )  # fmt: skip
            )
    return result


def height_jump(value: float, ctx: PatientContext) -> height_change.HeightJump | None:
    """The change from the previous height when it cannot be real (needs the day measured)."""
    previous = ctx.previous.get(HEIGHT)
    if previous is None or ctx.day is None:
        return None
    days = (ctx.day - previous.taken_at.date()).days
    return height_change.implausible_change(value, previous.value, ctx.age_days, days)


def _check_height_jump(value: float, unit: str, ctx: PatientContext, finding: Finding,
                       result: Assessment) -> Finding:  # fmt: skip
    """Flag an impossible height change beside the field; for a child (where it cannot be
    growth) saving also asks for confirmation. An adult's change is flagged only: height
    loss is real and worth the provider's eye, not a reason to stop the save."""
    jump = height_jump(value, ctx)
    previous = ctx.previous.get(HEIGHT)
    if jump is None or previous is None:
        return finding
    plural = "s" if jump.days != 1 else ""
    when = "the same day" if jump.days == 0 else f"in {jump.days} day{plural}"
    last = f"{_fmt(previous.value, unit)} on {previous.taken_at:%m/%d/%Y}"
    if jump.taller:
        cause = "more than anyone grows in that time" if ctx.adult else "faster than a child grows"
        words = f"Up {_fmt(jump.change_cm, unit)} {when} ({last}): {cause}"
    else:
        cause = "more than measurement error" + ("" if ctx.adult else "; children do not shrink")
        words = f"Down {_fmt(-jump.change_cm, unit)} {when} ({last}): {cause}"
    if not ctx.adult:
        result.confirmations[HEIGHT] = (
            f"Height {_fmt(value, unit)}: {words}. Re-measure (shoes off, standing straight); "
            "save only if it is right, and then correct last time's height if that was wrong."
        )
    direction = "high" if jump.taller else "low"
    joined = "; ".join(w for w in (f"{words}. Re-measure", finding.words) if w)
    return Finding(HEIGHT, ABNORMAL, direction, joined)


def _add_weight_for_length(result: Assessment, kg: float, cm: float, ctx: PatientContext) -> None:
    """Under 2 years the WHO weight-for-length joins the weight's words (no BMI there)."""
    for_length = growth.weight_for_length(ctx.sex, ctx.age_months, cm, kg)
    if for_length is None:
        return
    finding = result.findings[WEIGHT]
    words = "; ".join(w for w in (finding.words, growth_words(for_length)) if w)
    result.findings[WEIGHT] = replace(finding, words=words)


def _evaluate_entry(
    name: str,
    entry: Entry,
    form: VitalsForm,
    ctx: PatientContext,
    result: Assessment,
    weight_change_percent: float,
    limits: Thresholds,
) -> float:
    qualifiers: dict[str, object] = {}
    if name in QUANTITY_FIELDS:
        unit = entry.unit or codes.CANONICAL_UNIT[LOINC[name]]
        try:
            parsed = units.parse_quantity(entry.text, unit)
        except units.UnitError as error:
            raise Refused(name, str(error)) from None
        value = check_quantity(name, name, parsed, ctx)
        entered_value, entered_unit = parsed.text, parsed.unit
    else:
        value = parse_count(name, entry.text, name)
        check_count(name, name, value, ctx)
        entered_value, entered_unit = f"{value:.0f}", codes.CANONICAL_UNIT[LOINC[name]]
    if name == PULSE:
        finding = classify_pulse(value, ctx, limits)
        qualifiers["rhythm"] = form.pulse_rhythm
        if form.pulse_rhythm == "irregular" and finding.level == NORMAL:
            finding = Finding(PULSE, ABNORMAL, "", "Irregular rhythm")
        elif form.pulse_rhythm == "irregular":
            finding = Finding(PULSE, finding.level, finding.direction, finding.words + "; irregular")  # fmt: skip
    elif name == RESPIRATORY_RATE:
        finding = classify_respiratory_rate(value, ctx, limits)
    elif name == TEMPERATURE:
        finding = classify_temperature(value, ctx, limits)
        qualifiers["route"] = form.temperature_route
    elif name == SPO2:
        on_o2 = form.oxygen == "on O2"
        qualifiers["oxygen"] = form.oxygen
        if on_o2 and form.o2_flow.strip():
            try:
                flow = units.parse_plain(form.o2_flow)
            except units.UnitError:
                raise Refused(SPO2, "O2 flow must be a number of L/min (e.g. 2).") from None
            if not (0 < flow <= 60):
                raise Refused(SPO2, "O2 flow must be between 0 and 60 L/min.")
            qualifiers["o2_flow_l_min"] = flow
        finding = classify_spo2(value, ctx, on_o2, limits)
    elif name == PAIN:
        finding = classify_pain(value)
    elif name == WEIGHT:
        finding = classify_weight(value, ctx, weight_change_percent)
    elif name in (HEIGHT, HEAD_CIRCUMFERENCE) and ctx.age_months < 240:
        finding = classify_growth(name, value, ctx) or Finding(name)
    else:
        finding = Finding(name)
    if name == HEIGHT:
        finding = _check_height_jump(value, entered_unit, ctx, finding, result)
    if finding.flagged or finding.words:
        shown = (
            f"{entered_value} {units.label(entered_unit)}"
            if name in QUANTITY_FIELDS
            else display_value(name, value)
        )
        result.findings[name] = replace(finding, shown=shown)
    result.measurements.append(
        Measurement(
            name,
            LOINC[name],
            value,
            codes.CANONICAL_UNIT[LOINC[name]],
            entered_value,
            entered_unit,
            qualifiers,
            finding.interpretation,
        )  # fmt: skip
    )
    return value


# ------------------------------------------------------------------ display helpers
INFANT_POUNDS_OUNCES_BELOW_KG = 11.34  # 25 lb: small weights read as "7 lb 8 oz"


def display_value(name: str, value: float | None, unit: str = "") -> str:
    """A canonical value as staff read it, in ``unit`` (or the canonical unit)."""
    if value is None or not math.isfinite(value):
        return ""
    if name in QUANTITY_FIELDS:
        shown_unit = unit or codes.CANONICAL_UNIT[LOINC[name]]
        if name == WEIGHT and shown_unit == units.LB and value < INFANT_POUNDS_OUNCES_BELOW_KG:
            return units.format_pounds_ounces(value)
        return f"{units.format_in(value, shown_unit)} {units.label(shown_unit)}"
    if name == BMI:
        return f"{value:.1f}"
    if name == SPO2:
        return f"{value:.0f} %"
    return f"{value:.0f}"


def display_previous(name: str, previous: Previous | None, unit: str = "") -> str:
    """'Last 154.2 lb (10/01/26)': in the typed text when the unit matches, so the
    value reads exactly as it was entered."""
    if previous is None:
        return "Last: none"
    if previous.entered_value and previous.entered_unit == unit and name in QUANTITY_FIELDS:
        text = f"{previous.entered_value} {units.label(unit)}"
    else:
        text = display_value(name, previous.value, unit)
    return f"Last {text} ({previous.taken_at:%m/%d/%y})"


def default_units(weight: str = "lb", length: str = "in", temperature: str = "F") -> dict[str, str]:
    """Entry units from the clinic's settings ('lb'/'kg', 'in'/'cm', 'F'/'C')."""
    length_unit = units.CM if length.lower().startswith("c") else units.IN
    return {
        WEIGHT: units.KG if weight.lower().startswith("k") else units.LB,
        HEIGHT: length_unit,
        HEAD_CIRCUMFERENCE: length_unit,
        TEMPERATURE: units.CEL if temperature.upper().startswith("C") else units.DEGF,
    }


def default_cuff(ctx: PatientContext | None) -> str:
    """The cuff size to preselect for the patient's age (staff change it when needed)."""
    if ctx is None or ctx.age_years >= 13:
        return "adult"
    return "infant" if ctx.age_years < 1 else "child"


def level_of_interpretation(code: str) -> str:
    """Tier of a stored interpretation code (N, L, H, A, LL, HH, AA)."""
    if code in ("LL", "HH", "AA"):
        return CRITICAL
    if code in ("L", "H", "A"):
        return ABNORMAL
    return NORMAL
