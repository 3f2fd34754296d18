"""Arriving a patient at the desk: copay, chief complaint, forms and the Arrived mark.

One call is one transaction: the appointment's status change (through the
schedule's ``apply_transition``, which creates the day's Visit), the copay,
the complaint and the signed forms are saved together with their audit
entries, or nothing is saved. Walk-ins get an appointment for now in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk.audit import changes
from ma_desk.clinical import flow
from ma_desk.db.models import Appointment, AppointmentType, InsuranceCoverage, Patient, Provider
from ma_desk.errors import NeedsConfirmation, NotFoundError, ValidationError
from ma_desk.services.base import Service
from ma_desk.services.insurance_rules import coverage_has_ended
from ma_desk.services.policy import READ, REFERENCE, WRITE, policy
from ma_desk.services.rows import existing
from ma_desk.services.schedule import apply_transition

COPAY_METHODS = ("cash", "card", "check")
MAX_COPAY_CENTS = 1_000_000  # $10,000: anything above is a typing slip
_MONEY = re.compile(r"^\$?\s*(\d{1,7})(?:\.(\d{0,2}))?$|^\$?\s*\.(\d{1,2})$")


@dataclass(frozen=True)
class ArrivalInput:
    """What the desk collects when the patient arrives; text as typed."""

    copay: str | int = ""  # "$25.00" as typed, or cents
    method: str = ""  # cash | card | check ("" when nothing collected)
    receipt: str = ""
    chief_complaint: str = ""
    forms_signed: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TodayAppointment:
    """One of the patient's appointments today, as the Arrive panel lists it."""

    id: int
    start: dt.datetime
    status: str
    provider_name: str
    type_name: str
    reason: str
    expected_copay_cents: int

    @property
    def can_arrive(self) -> bool:
        return flow.can_transition(self.status, flow.ARRIVED)

    @property
    def label(self) -> str:
        state = "" if self.can_arrive else f" — {flow.LABELS.get(self.status, self.status)}"
        return f"{self.start:%H:%M} {self.type_name} with {self.provider_name}{state}"


@dataclass(frozen=True)
class ArrivalResult:
    appointment_id: int
    visit_id: int
    patient_id: int
    arrived_at: dt.datetime
    copay_expected_cents: int
    copay_collected_cents: int
    is_walk_in: bool


def format_cents(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def parse_copay(value: str | int | None) -> int:
    """Cents from what was typed ("25", "$25.00", ".50"); ValidationError when unreadable."""
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise ValidationError("Enter the copay as an amount, e.g. 25.00.", field="copay")
    if isinstance(value, int):
        cents = value
    else:
        text = str(value).strip().replace(",", "")
        match = _MONEY.match(text) if len(text) <= 20 else None
        if match is None:
            raise ValidationError("Enter the copay as an amount, e.g. 25.00.", field="copay")
        dollars, frac, only_frac = match.groups()
        frac = only_frac if dollars is None else frac
        cents = int(dollars or 0) * 100 + int((frac or "").ljust(2, "0") or 0)
    if cents < 0:
        raise ValidationError("The copay cannot be negative.", field="copay")
    if cents > MAX_COPAY_CENTS:
        raise ValidationError("That copay is over $10,000; check the amount.", field="copay")
    return cents


def validate_arrival(data: ArrivalInput, forms_offered: list[str]) -> dict[str, Any]:
    """Clean values for the visit, or ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean["copay_collected_cents"] = parse_copay(data.copay)
    except ValidationError as exc:
        errors["copay"] = exc.message
        clean["copay_collected_cents"] = 0
    method = str(data.method or "").strip().lower()
    receipt = " ".join(str(data.receipt or "").split())
    if clean["copay_collected_cents"] > 0:
        if method not in COPAY_METHODS:
            errors["method"] = "Choose how the copay was paid: cash, card or check."
        if not receipt:
            errors["receipt"] = "Enter the receipt number given to the patient."
    elif method and method not in COPAY_METHODS:
        errors["method"] = "Choose cash, card or check."
    if len(receipt) > 40:
        errors["receipt"] = "Receipt numbers are limited to 40 characters."
    clean["copay_method"] = method if clean["copay_collected_cents"] > 0 else ""
    clean["copay_receipt"] = receipt if clean["copay_collected_cents"] > 0 else ""
    complaint = " ".join(str(data.chief_complaint or "").split())
    if not complaint:
        errors["chief_complaint"] = "Enter the reason for today's visit in the patient's words."
    elif len(complaint) > 500:
        errors["chief_complaint"] = "The chief complaint is limited to 500 characters."
    clean["chief_complaint"] = complaint
    signed = list(dict.fromkeys(str(f) for f in data.forms_signed))
    unknown = [f for f in signed if f not in forms_offered]
    if unknown:
        errors["forms"] = "Only the clinic's forms can be marked signed (see Settings)."
    clean["forms_signed"] = [f for f in forms_offered if f in signed]
    if errors:
        first = next(iter(errors))
        raise ValidationError(errors[first], field=first, errors=errors)
    return clean


class CheckinService(Service):
    @policy("settings.read", audit=REFERENCE)
    def forms(self) -> list[str]:
        """The clinic's configurable list of forms to sign (settings.forms)."""
        from ma_desk.services.settings import SettingsService

        return [str(f) for f in SettingsService(self.ctx).get().forms]

    @policy("schedule.read", audit=READ)
    def todays_appointments(self, patient_id: int) -> list[TodayAppointment]:
        """The patient's appointments today (cancelled ones left out), earliest first."""
        start = dt.datetime.combine(self.now().date(), dt.time())
        with self._read() as s:
            appts = s.scalars(
                select(Appointment)
                .where(
                    Appointment.patient_id == patient_id,
                    Appointment.start >= start,
                    Appointment.start < start + dt.timedelta(days=1),
                    Appointment.status.notin_((flow.CANCELLED, flow.ENTERED_IN_ERROR)),
                )
                .order_by(Appointment.start)
            ).all()
            rows = [
                TodayAppointment(
                    a.id,
                    a.start,
                    a.status,
                    a.provider.display_name,
                    a.type.name,
                    a.reason,
                    self._expected_copay(s, patient_id, a.type.name),
                )  # fmt: skip
                for a in appts
            ]
        self._record_read("view", "todays_appointments", patient_id, patient_id=patient_id,
                          details={"appointments": len(rows)}, view=patient_id)  # fmt: skip
        return rows

    @policy("insurance.read", audit=READ)
    def expected_copay(self, patient_id: int, type_name: str) -> int:
        """Cents due for this kind of visit from the primary coverage on file (0 if none)."""
        with self._read() as s:
            cents = self._expected_copay(s, patient_id, type_name)
        self._record_read("view", "insurance", patient_id, patient_id=patient_id,
                          details={"purpose": "copay"}, view=patient_id)  # fmt: skip
        return cents

    def _expected_copay(self, s: Session, patient_id: int, type_name: str) -> int:
        today = self.now().date()
        for c in s.scalars(
            select(InsuranceCoverage)
            .where(InsuranceCoverage.patient_id == patient_id, InsuranceCoverage.active.is_(True))
            .order_by(InsuranceCoverage.priority)
        ):
            if coverage_has_ended(c.end_date, today):
                continue
            if c.effective_date is not None and c.effective_date > today:
                continue
            copays = c.copays_cents or {}
            try:
                return max(0, int(copays.get(type_name, c.default_copay_cents) or 0))
            except (TypeError, ValueError):
                return max(0, int(c.default_copay_cents or 0))
        return 0

    @policy("checkin.write", audit=WRITE)
    def arrive(
        self, appointment_id: int, data: ArrivalInput, *, confirm_unverified: bool = False
    ) -> ArrivalResult:
        """Mark today's appointment Arrived with copay, complaint and forms, in one transaction.

        Raises NeedsConfirmation when the patient's details were not verified today
        (unless ``confirm_unverified``).
        """
        clean = validate_arrival(data, self.forms())
        with self._write() as s:
            appt = existing(s, Appointment, appointment_id, "appointment")
            today = self.now().date()
            if appt.start.date() != today:
                raise ValidationError(
                    f"This appointment is on {appt.start:%m/%d/%Y}; only today's "
                    "appointments can be marked arrived.",
                    field="appointment",
                )
            self._check_verified(s, appt.patient_id, confirm_unverified)
            return self._arrive(s, appt, clean)

    @policy("checkin.write", audit=WRITE)
    def walk_in(
        self,
        patient_id: int,
        *,
        provider_id: int,
        type_id: int,
        data: ArrivalInput,
        confirm_unverified: bool = False,
    ) -> ArrivalResult:
        """Check in a patient without an appointment: book one for now and arrive it."""
        clean = validate_arrival(data, self.forms())
        with self._write() as s:
            existing(s, Patient, patient_id, "patient")
            provider = s.get(Provider, provider_id)
            if provider is None or not provider.active:
                raise ValidationError("Choose the provider who will see the patient.",
                                      field="provider")  # fmt: skip
            appt_type = s.get(AppointmentType, type_id)
            if appt_type is None or not appt_type.active:
                raise ValidationError("Choose the kind of visit.", field="type")
            self._check_verified(s, patient_id, confirm_unverified)
            now = self.now().replace(second=0, microsecond=0)
            appt = Appointment(
                patient_id=patient_id, provider_id=provider_id, type_id=type_id, start=now,
                minutes=appt_type.default_minutes, reason=clean["chief_complaint"][:200],
                status=flow.SCHEDULED, is_walk_in=True, created_at=self.now(),
                created_by_id=self.actor.user_id,
            )  # fmt: skip
            s.add(appt)
            s.flush()
            self._audit(s, "create", "appointment", appt.id, patient_id=patient_id,
                        details={"start": now, "minutes": appt.minutes, "walk_in": True,
                                 "provider_id": provider_id, "type_id": type_id})  # fmt: skip
            return self._arrive(s, appt, clean)

    def _check_verified(self, s: Session, patient_id: int, confirmed: bool) -> None:
        patient = existing(s, Patient, patient_id, "patient")
        verified = patient.verified_at is not None and patient.verified_at.date() == (
            self.now().date()
        )
        if not verified and not confirmed:
            raise NeedsConfirmation(
                "The patient's details have not been verified today. Arrive anyway?",
                warnings=["Demographics, emergency contact and insurance not verified today."],
            )

    def _arrive(self, s: Session, appt: Appointment, clean: dict[str, Any]) -> ArrivalResult:
        expected = self._expected_copay(s, appt.patient_id, appt.type.name)
        visit = apply_transition(self, s, appt, flow.ARRIVED)
        if visit is None:  # apply_transition always creates the visit on arrival
            raise NotFoundError("The visit could not be created.")
        before = {
            "copay_expected_cents": visit.copay_expected_cents,
            "copay_collected_cents": visit.copay_collected_cents,
            "copay_method": visit.copay_method,
            "copay_receipt": visit.copay_receipt,
            "chief_complaint": visit.chief_complaint,
            "forms_signed": list(visit.forms_signed or []),
        }
        after = {**clean, "copay_expected_cents": expected}
        for name, value in after.items():
            setattr(visit, name, value)
        s.flush()
        self._audit(s, "checkin", "visit", visit.id, patient_id=appt.patient_id,
                    details={**changes(before, after), "appointment_id": appt.id,
                             "walk_in": appt.is_walk_in})  # fmt: skip
        return ArrivalResult(
            appt.id, visit.id, appt.patient_id, visit.arrived_at or self.now(), expected,
            clean["copay_collected_cents"], appt.is_walk_in,
        )  # fmt: skip
