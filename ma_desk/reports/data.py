"""What each printed document needs, as plain frozen dataclasses.

``ma_desk.services.reports`` and ``ma_desk.services.handouts`` fill these from
the store; the builders in this package only ever see these objects, never a
database session, so they can be tested and fuzzed without a store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClinicHeader:
    """The letterhead: clinic name, address, phone and an optional logo file."""

    name: str
    address: str = ""
    phone: str = ""
    logo_path: str = ""


@dataclass(frozen=True)
class PatientHeader:
    name: str  # as printed: "First Middle Last"
    dob: dt.date
    mrn: str
    preferred_language: str = "English"


@dataclass(frozen=True)
class VitalLine:
    """One measurement as the patient reads it: label, value with units, what it means."""

    label: str
    value: str
    meaning: str = ""
    severity: str = ""  # "" normal/unknown, "attention", "critical"


@dataclass(frozen=True)
class FollowUp:
    start: dt.datetime
    provider: str
    appointment_type: str = ""
    reason: str = ""


@dataclass(frozen=True)
class VisitSummaryData:
    clinic: ClinicHeader
    patient: PatientHeader
    visit_id: int
    visit_date: dt.date
    provider: str
    reason: str
    vitals_taken_at: dt.datetime | None
    vitals: tuple[VitalLine, ...]
    allergies: str
    medications: str
    follow_up: FollowUp | None
    instructions: str
    handouts: tuple[str, ...]
    printed_at: dt.datetime


@dataclass(frozen=True)
class HandoutDoc:
    """One handout personalised for one patient (its body is the light markup source)."""

    clinic: ClinicHeader
    title: str
    body: str
    language: str  # "en" or "es"
    patient_name: str
    printed_on: dt.date
    # The identifiers printed on every page; None/"" only for the library's sample preview.
    dob: dt.date | None = None
    mrn: str = ""


@dataclass(frozen=True)
class DayVisit:
    """One appointment of the day, whether or not the patient came (a CSV row)."""

    appointment_id: int
    visit_id: int | None
    start: dt.datetime
    patient_name: str
    mrn: str
    provider_id: int
    provider: str
    appointment_type: str
    status: str
    walk_in: bool
    arrived_at: dt.datetime | None = None
    roomed_at: dt.datetime | None = None
    provider_at: dt.datetime | None = None
    checked_out_at: dt.datetime | None = None
    copay_expected_cents: int = 0
    copay_collected_cents: int = 0
    copay_method: str = ""
    open_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenItem:
    """Something left to do at closing; ``kind`` groups them in the report."""

    kind: str
    description: str


@dataclass(frozen=True)
class EndOfDayData:
    clinic: ClinicHeader
    day: dt.date
    provider_filter: str  # "" for the whole clinic, else the provider's name
    visits: tuple[DayVisit, ...]
    open_items: tuple[OpenItem, ...]
    generated_at: dt.datetime
    providers: tuple[str, ...] = field(default_factory=tuple)  # every provider, even with 0
    # The audit chain's head when the report was made ("12345:a1b2c3d4e5f6a7b8"): paper
    # keeps an anchor that no one holding the store key can change afterwards.
    audit_anchor: str = ""


@dataclass(frozen=True)
class LabelData:
    """A patient label (barcode = MRN) or a specimen label (barcode = specimen ID)."""

    kind: str  # "patient" | "specimen"
    barcode_value: str
    patient_name: str
    dob: dt.date
    mrn: str
    specimen_type: str = ""
    collected_at: dt.datetime | None = None
    collector: str = ""
    language: str = "en"  # the fixed words' and dates' language (resources/i18n/<code>.json)
