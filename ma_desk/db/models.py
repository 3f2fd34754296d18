"""The clinic store's tables (SQLAlchemy 2.x, portable to PostgreSQL).

Conventions: wall-clock times of the clinic are naive ``DateTime``; money is
integer cents; free-form structured extras are JSON. Records people edit from a
form are ``Versioned`` (ma_desk/db/versioning.py): a version counter and who
changed them last, when and where, so a save over a newer version is refused. Every table a later
feature needs exists here so that the first migration covers the schema.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ma_desk.db.versioning import Versioned

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _byte_ordered(length: int) -> String:
    """Text compared byte by byte on both engines (SQLite's BINARY is the default)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


# ------------------------------------------------------------------ clinic
class Setting(Versioned, Base):
    """Clinic-wide settings (name, hours, thresholds...) as JSON values."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    __table_args__ = (
        CheckConstraint(
            "role IN ('administrator','medical_assistant','front_desk','provider')", name="role"
        ),
    )


class SignInFailure(Base):
    """Failed sign-ins under a name with no active account, throttled like a real one.

    The lock-out must not tell which user names exist, so a name nobody has
    counts its failures here exactly as ``User.failed_attempts`` does.
    """

    __tablename__ = "sign_in_failures"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # folded, as typed
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Provider(Base):
    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120))
    credentials: Mapped[str] = mapped_column(String(40), default="")
    specialty: Mapped[str] = mapped_column(String(80), default="")
    color: Mapped[str] = mapped_column(String(9), default="#4a7bd0")
    work_start: Mapped[dt.time] = mapped_column(Time, default=dt.time(8, 0))
    work_end: Mapped[dt.time] = mapped_column(Time, default=dt.time(17, 0))
    work_days: Mapped[str] = mapped_column(String(7), default="01234")  # Monday = 0
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Room(Versioned, Base):
    __tablename__ = "rooms"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    room_type: Mapped[str] = mapped_column(String(20), default="exam")
    state: Mapped[str] = mapped_column(String(20), default="ready")
    state_since: Mapped[dt.datetime | None] = mapped_column(DateTime)
    current_visit_id: Mapped[int | None] = mapped_column(Integer)  # no FK: avoids a cycle
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    state_note: Mapped[str] = mapped_column(String(200), default="")  # e.g. out-of-service reason
    __table_args__ = (
        CheckConstraint(
            "state IN ('ready','occupied','needs_turnover','out_of_service')", name="state"
        ),
    )


# ------------------------------------------------------------------ patients
class Patient(Versioned, Base):
    __tablename__ = "patients"
    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    middle_name: Mapped[str] = mapped_column(String(80), default="")
    last_name: Mapped[str] = mapped_column(String(80))
    preferred_name: Mapped[str] = mapped_column(String(80), default="")
    dob: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(20), default="unknown")
    phone: Mapped[str] = mapped_column(String(32), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    address1: Mapped[str] = mapped_column(String(120), default="")
    address2: Mapped[str] = mapped_column(String(120), default="")
    city: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[str] = mapped_column(String(2), default="")
    zip: Mapped[str] = mapped_column(String(10), default="")
    preferred_language: Mapped[str] = mapped_column(String(40), default="English")
    emergency_name: Mapped[str] = mapped_column(String(120), default="")
    emergency_phone: Mapped[str] = mapped_column(String(32), default="")
    emergency_relation: Mapped[str] = mapped_column(String(40), default="")
    allergies: Mapped[str] = mapped_column(Text, default="")
    medications: Mapped[str] = mapped_column(Text, default="")
    # Normalised copies for fast, accent- and case-insensitive prefix search. The search
    # is a range scan (>= prefix, < next prefix): byte order on PostgreSQL too ("C"),
    # whatever collation the clinic's server was installed with.
    search_last: Mapped[str] = mapped_column(_byte_ordered(80), index=True)
    search_first: Mapped[str] = mapped_column(_byte_ordered(80), index=True)
    phone_digits: Mapped[str] = mapped_column(_byte_ordered(20), default="", index=True)
    # phone_digits backwards: "the last 4 (or 7) digits" is a prefix range on this.
    phone_reversed: Mapped[str] = mapped_column(_byte_ordered(20), default="", index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The old system's identifier of an imported record (ma_desk/interchange/): a second
    # import of the same file finds it again instead of creating it twice.
    external_source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(80))
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    coverages: Mapped[list[InsuranceCoverage]] = relationship(
        back_populates="patient", order_by="InsuranceCoverage.priority"
    )
    __table_args__ = (
        Index("ix_patients_dob", "dob"),
        # Name search scans this range in display order, so LIMIT stops early (no sort).
        Index("ix_patients_search_name", "search_last", "search_first"),
        UniqueConstraint("external_source", "external_id", name="uq_patients_external"),
    )


class PatientNamePart(Base):
    """Search key of each part of a name after the first ("López García": "garcia";
    "Mary Ann": "ann"), so that any part finds the patient; kept in step with the name."""

    __tablename__ = "patient_name_parts"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    part: Mapped[str] = mapped_column(String(5))  # "first" | "last"
    key: Mapped[str] = mapped_column(_byte_ordered(80))
    __table_args__ = (
        CheckConstraint("part IN ('first','last')", name="part"),
        Index("ix_patient_name_parts_key", "part", "key"),
    )


# ------------------------------------------------------------------ schedule
class AppointmentType(Base):
    __tablename__ = "appointment_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    default_minutes: Mapped[int] = mapped_column(Integer, default=15)
    color: Mapped[str] = mapped_column(String(9), default="#7fb3d5")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (CheckConstraint("default_minutes > 0", name="minutes_positive"),)


class AppointmentSeries(Base):
    """A recurrence rule; its appointments point back to it."""

    __tablename__ = "appointment_series"
    id: Mapped[int] = mapped_column(primary_key=True)
    frequency: Mapped[str] = mapped_column(String(10))  # days | weeks | months
    interval: Mapped[int] = mapped_column(Integer, default=1)
    count: Mapped[int | None] = mapped_column(Integer)
    until: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Appointment(Versioned, Base):
    __tablename__ = "appointments"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    type_id: Mapped[int] = mapped_column(ForeignKey("appointment_types.id"))
    start: Mapped[dt.datetime] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(30), default="scheduled")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_series.id"))
    is_walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The old system's identifier of an imported record (ma_desk/interchange/): a second
    # import of the same file finds it again instead of creating it twice.
    external_source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(80))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()
    type: Mapped[AppointmentType] = relationship()
    room: Mapped[Room | None] = relationship()
    visit: Mapped[Visit | None] = relationship(back_populates="appointment", uselist=False)
    __table_args__ = (
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint(
            "status IN ('scheduled','confirmed','arrived','roomed','with_provider',"
            "'checked_out','no_show','cancelled','left_without_being_seen','entered_in_error')",
            name="status",
        ),
        Index("ix_appointments_start", "start"),
        Index("ix_appointments_provider_start", "provider_id", "start"),
        Index("ix_appointments_patient_start", "patient_id", "start"),
        UniqueConstraint("external_source", "external_id", name="uq_appointments_external"),
    )


class AppointmentStatusChange(Base):
    """Every status transition, with who and when: the flow's history and undo."""

    __tablename__ = "appointment_status_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    undone: Mapped[bool] = mapped_column(Boolean, default=False)


class WaitlistEntry(Base):
    __tablename__ = "waitlist_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    type_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_types.id"))
    preferred_days: Mapped[str] = mapped_column(String(7), default="01234")
    preferred_from: Mapped[dt.time | None] = mapped_column(Time)
    preferred_to: Mapped[dt.time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# ------------------------------------------------------------------ visits
class Visit(Base):
    """The day's encounter, created when the appointment is marked Arrived."""

    __tablename__ = "visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    visit_date: Mapped[dt.date] = mapped_column(Date, index=True)
    arrived_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    roomed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    provider_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    chief_complaint: Mapped[str] = mapped_column(String(500), default="")
    copay_expected_cents: Mapped[int] = mapped_column(Integer, default=0)
    copay_collected_cents: Mapped[int] = mapped_column(Integer, default=0)
    copay_method: Mapped[str] = mapped_column(String(10), default="")
    copay_receipt: Mapped[str] = mapped_column(String(40), default="")
    forms_signed: Mapped[list[Any]] = mapped_column(JSON, default=list)
    instructions: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    appointment: Mapped[Appointment] = relationship(back_populates="visit")
    patient: Mapped[Patient] = relationship()
    provider: Mapped[Provider] = relationship()
    room: Mapped[Room | None] = relationship(foreign_keys=[room_id])
    __table_args__ = (
        CheckConstraint("copay_collected_cents >= 0", name="copay_nonnegative"),
        CheckConstraint("copay_method IN ('','cash','card','check')", name="copay_method"),
    )


class VisitTask(Base):
    """An item on the visit for someone to act on, e.g. 'notify provider: critical BP'."""

    __tablename__ = "visit_tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 'notify provider' items: the critical set they are for, and who was told how
    # (done_at is when the provider was told, done_by_id who recorded it).
    vital_set_id: Mapped[int | None] = mapped_column(ForeignKey("vital_sets.id"))
    notified_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    notified_how: Mapped[str] = mapped_column(String(20), default="")


class VitalSet(Base):
    """One set of vitals taken together; never deleted, only amended or voided."""

    __tablename__ = "vital_sets"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    taken_at: Mapped[dt.datetime] = mapped_column(DateTime)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="final")
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("vital_sets.id"))
    error_reason: Mapped[str] = mapped_column(String(300), default="")
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    critical_acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(String(500), default="")

    observations: Mapped[list[VitalObservation]] = relationship(
        back_populates="vital_set", order_by="VitalObservation.seq", cascade="all"
    )
    __table_args__ = (
        CheckConstraint("status IN ('final','amended','entered-in-error')", name="status"),
        Index("ix_vital_sets_patient_taken", "patient_id", "taken_at"),
    )


class VitalObservation(Base):
    """One measurement in canonical UCUM units with its LOINC code (maps to FHIR)."""

    __tablename__ = "vital_observations"
    id: Mapped[int] = mapped_column(primary_key=True)
    vital_set_id: Mapped[int] = mapped_column(ForeignKey("vital_sets.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    loinc: Mapped[str] = mapped_column(String(10))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    entered_value: Mapped[str] = mapped_column(String(20), default="")
    entered_unit: Mapped[str] = mapped_column(String(20), default="")
    qualifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    flag: Mapped[str] = mapped_column(String(20), default="")

    vital_set: Mapped[VitalSet] = relationship(back_populates="observations")


# ------------------------------------------------------------------ room prep
class ChecklistTemplate(Base):
    __tablename__ = "checklist_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    room_type: Mapped[str] = mapped_column(String(20))
    moment: Mapped[str] = mapped_column(String(20))  # opening | between | closing
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    items: Mapped[list[ChecklistTemplateItem]] = relationship(
        back_populates="template", order_by="ChecklistTemplateItem.position", cascade="all"
    )
    __table_args__ = (CheckConstraint("moment IN ('opening','between','closing')", name="moment"),)


class ChecklistTemplateItem(Base):
    __tablename__ = "checklist_template_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    is_supply: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    hint: Mapped[str] = mapped_column(String(300), default="")
    interval_days: Mapped[int] = mapped_column(Integer, default=0)  # 0 = every run, 7 = weekly
    template: Mapped[ChecklistTemplate] = relationship(back_populates="items")


class ChecklistRun(Versioned, Base):
    __tablename__ = "checklist_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("checklist_templates.id"))
    moment: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(120), default="")  # as shown when run
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    note: Mapped[str] = mapped_column(String(300), default="")  # e.g. why it was abandoned
    items: Mapped[list[ChecklistRunItem]] = relationship(
        back_populates="run", order_by="ChecklistRunItem.position", cascade="all"
    )
    __table_args__ = (
        CheckConstraint("status IN ('in_progress','completed','abandoned')", name="status"),
    )


class ChecklistRunItem(Base):
    __tablename__ = "checklist_run_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("checklist_runs.id"), index=True)
    template_item_id: Mapped[int | None] = mapped_column(ForeignKey("checklist_template_items.id"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    not_done_reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    low_supply: Mapped[bool] = mapped_column(Boolean, default=False)
    is_supply: Mapped[bool] = mapped_column(Boolean, default=False)
    hint: Mapped[str] = mapped_column(String(300), default="")
    not_due: Mapped[bool] = mapped_column(Boolean, default=False)  # periodic item done recently
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    restocked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    restocked_by: Mapped[str] = mapped_column(String(120), default="")
    run: Mapped[ChecklistRun] = relationship(back_populates="items")


# ------------------------------------------------------------------ insurance
class InsuranceCoverage(Versioned, Base):
    __tablename__ = "insurance_coverages"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)  # 1 primary, 2, 3
    payer: Mapped[str] = mapped_column(String(120))
    plan: Mapped[str] = mapped_column(String(120), default="")
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str] = mapped_column(String(40), default="")
    subscriber_relationship: Mapped[str] = mapped_column(String(20), default="self")
    subscriber_name: Mapped[str] = mapped_column(String(120), default="")
    subscriber_dob: Mapped[dt.date | None] = mapped_column(Date)
    effective_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    copays_cents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # by visit type
    default_copay_cents: Mapped[int] = mapped_column(Integer, default=0)
    deductible_note: Mapped[str] = mapped_column(String(300), default="")
    coinsurance_note: Mapped[str] = mapped_column(String(300), default="")
    card_front: Mapped[bytes | None] = mapped_column(LargeBinary)
    card_front_type: Mapped[str] = mapped_column(String(40), default="")
    card_back: Mapped[bytes | None] = mapped_column(LargeBinary)
    card_back_type: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The old system's identifier of an imported record (ma_desk/interchange/): a second
    # import of the same file finds it again instead of creating it twice.
    external_source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)

    patient: Mapped[Patient] = relationship(back_populates="coverages")
    checks: Mapped[list[EligibilityCheck]] = relationship(
        back_populates="coverage", order_by="EligibilityCheck.checked_at"
    )
    __table_args__ = (
        CheckConstraint("priority BETWEEN 1 AND 3", name="priority"),
        UniqueConstraint("external_source", "external_id", name="uq_insurance_coverages_external"),
    )


class EligibilityCheck(Base):
    __tablename__ = "eligibility_checks"
    id: Mapped[int] = mapped_column(primary_key=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("insurance_coverages.id"), index=True)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(20))  # portal | phone | clearinghouse
    reference: Mapped[str] = mapped_column(String(60), default="")
    result: Mapped[str] = mapped_column(String(20))  # active | inactive | needs_info
    notes: Mapped[str] = mapped_column(Text, default="")
    coverage: Mapped[InsuranceCoverage] = relationship(back_populates="checks")


class InsuranceNote(Versioned, Base):
    """Dated, authored notes; an edit adds a new row that supersedes the old one."""

    __tablename__ = "insurance_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_coverages.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_notes.id"))
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)


class PriorAuthorization(Versioned, Base):
    __tablename__ = "prior_authorizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_coverages.id"))
    service: Mapped[str] = mapped_column(String(120))
    payer: Mapped[str] = mapped_column(String(120), default="")
    auth_number: Mapped[str] = mapped_column(String(40))
    units_approved: Mapped[int] = mapped_column(Integer, default=1)
    units_used: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="approved")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


# ------------------------------------------------------------------ handouts
class Handout(Base):
    __tablename__ = "handouts"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(10), default="en")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("slug", "language", name="uq_handouts_slug_language"),)


class HandoutGiven(Base):
    __tablename__ = "handouts_given"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    handout_id: Mapped[int] = mapped_column(ForeignKey("handouts.id"))
    given_at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


# ------------------------------------------------------------------ audit
class AuditEvent(Base):
    """Append-only, hash-chained record of who did what (ASTM E2147 fields)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(32))  # UTC ISO-8601, part of the hash
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    workstation: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(40), default="")
    patient_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    __table_args__ = (
        Index("ix_audit_events_patient", "patient_id"),
        Index("ix_audit_events_user", "user_id"),
        Index("ix_audit_events_at", "at"),
    )


class AuditSealKey(Base):
    """One administrator's wrapped copy of the audit seal key (ma_desk/security/seal.py)."""

    __tablename__ = "audit_seal_keys"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    wrapped: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditHead(Base):
    """The audit chain's newest entry, rewritten with every entry in the same transaction.

    Deleting the last entries or emptying the log leaves this row pointing at an
    entry that is gone, so ``audit verify`` notices truncation too.
    """

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
