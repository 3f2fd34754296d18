"""The appointment book and patient flow (status transitions with history)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ma_desk.clinical import flow
from ma_desk.db.models import (
    Appointment,
    AppointmentStatusChange,
    AppointmentType,
    Patient,
    Provider,
    Room,
    Visit,
)
from ma_desk.errors import ConflictError, NeedsConfirmation, NotFoundError, ValidationError
from ma_desk.services.base import Service
from ma_desk.services.patients import age_years


@dataclass(frozen=True)
class ProviderRow:
    id: int
    display_name: str
    credentials: str
    color: str
    work_start: dt.time
    work_end: dt.time
    work_days: str


@dataclass(frozen=True)
class AppointmentTypeRow:
    id: int
    name: str
    default_minutes: int
    color: str


@dataclass(frozen=True)
class AppointmentRow:
    id: int
    start: dt.datetime
    minutes: int
    status: str
    patient_id: int
    patient_name: str
    patient_dob: dt.date
    patient_age: int
    mrn: str
    provider_id: int
    provider_name: str
    type_id: int
    type_name: str
    type_color: str
    reason: str
    room_id: int | None
    room_name: str
    is_walk_in: bool
    is_late: bool
    visit_id: int | None
    arrived_at: dt.datetime | None
    roomed_at: dt.datetime | None

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.minutes)

    @property
    def status_label(self) -> str:
        return flow.LABELS.get(self.status, self.status)


def _row(a: Appointment, today: dt.date) -> AppointmentRow:
    p = a.patient
    v = a.visit
    return AppointmentRow(
        a.id, a.start, a.minutes, a.status, p.id, f"{p.last_name}, {p.first_name}", p.dob,
        age_years(p.dob, today), p.mrn, a.provider_id, a.provider.display_name, a.type_id,
        a.type.name, a.type.color, a.reason, a.room_id, a.room.name if a.room else "",
        a.is_walk_in, a.is_late, v.id if v else None, v.arrived_at if v else None,
        v.roomed_at if v else None,
    )  # fmt: skip


class ScheduleService(Service):
    # ------------------------------------------------------------- reference lists
    def providers(self, *, active_only: bool = True) -> list[ProviderRow]:
        with self._read("schedule.read") as s:
            stmt = select(Provider).order_by(Provider.display_name)
            if active_only:
                stmt = stmt.where(Provider.active.is_(True))
            return [
                ProviderRow(
                    p.id,
                    p.display_name,
                    p.credentials,
                    p.color,
                    p.work_start,
                    p.work_end,
                    p.work_days,
                )  # fmt: skip
                for p in s.scalars(stmt)
            ]

    def appointment_types(self) -> list[AppointmentTypeRow]:
        with self._read("schedule.read") as s:
            stmt = select(AppointmentType).where(AppointmentType.active.is_(True))
            return [
                AppointmentTypeRow(t.id, t.name, t.default_minutes, t.color)
                for t in s.scalars(stmt.order_by(AppointmentType.name))
            ]

    # ------------------------------------------------------------- reading the book
    def day(self, day: dt.date, provider_ids: list[int] | None = None) -> list[AppointmentRow]:
        start = dt.datetime.combine(day, dt.time())
        with self._read("schedule.read") as s:
            stmt = (
                select(Appointment)
                .options(
                    joinedload(Appointment.patient),
                    joinedload(Appointment.provider),
                    joinedload(Appointment.type),
                    joinedload(Appointment.room),
                    joinedload(Appointment.visit),
                )
                .where(Appointment.start >= start, Appointment.start < start + dt.timedelta(days=1))
                .where(Appointment.status != flow.ENTERED_IN_ERROR)
                .order_by(Appointment.start, Appointment.provider_id)
            )
            if provider_ids:
                stmt = stmt.where(Appointment.provider_id.in_(provider_ids))
            return [_row(a, day) for a in s.scalars(stmt).unique()]

    def get(self, appointment_id: int) -> AppointmentRow:
        with self._read("schedule.read") as s:
            a = s.get(Appointment, appointment_id)
            if a is None:
                raise NotFoundError("That appointment no longer exists.")
            return _row(a, self.now().date())

    # ------------------------------------------------------------- booking
    def book(
        self,
        *,
        patient_id: int,
        provider_id: int,
        type_id: int,
        start: dt.datetime,
        minutes: int | None = None,
        reason: str = "",
        confirm: bool = False,
        walk_in: bool = False,
    ) -> AppointmentRow:
        """Book an appointment. Errors refuse; warnings raise NeedsConfirmation unless confirmed."""
        with self._write("schedule.write", patient_id=patient_id) as s:
            appt_type = s.get(AppointmentType, type_id)
            if appt_type is None:
                raise ValidationError("Choose an appointment type.", field="type")
            minutes = appt_type.default_minutes if minutes is None else minutes
            if s.get(Patient, patient_id) is None:
                raise ValidationError("Choose a patient who is registered.", field="patient")
            provider = s.get(Provider, provider_id)
            if provider is None:
                raise ValidationError("Choose a provider.", field="provider")
            reason = " ".join(reason.split())
            if len(reason) > 200:
                raise ValidationError("The reason is limited to 200 characters.", field="reason")
            if minutes <= 0:
                raise ValidationError(
                    "An appointment must last at least one minute.", field="minutes"
                )
            if minutes > 8 * 60:
                raise ValidationError(
                    "An appointment cannot last more than 8 hours.", field="minutes"
                )
            now = self.now()
            if not walk_in and start < now - dt.timedelta(minutes=1):
                raise ValidationError("A new booking cannot start in the past.", field="start")
            warnings = self.booking_warnings(s, provider, patient_id, start, minutes)
            if warnings and not confirm:
                raise NeedsConfirmation("Book anyway?", warnings=warnings)
            appt = Appointment(
                patient_id=patient_id, provider_id=provider_id, type_id=type_id, start=start,
                minutes=minutes, reason=reason, status=flow.SCHEDULED, is_walk_in=walk_in,
                created_at=now, created_by_id=self.actor.user_id,
            )  # fmt: skip
            s.add(appt)
            s.flush()
            self._audit(s, "create", "appointment", appt.id, patient_id=patient_id,
                        details={"start": start, "minutes": minutes, "provider_id": provider_id,
                                 "warnings_overridden": warnings})  # fmt: skip
            return _row(appt, now.date())

    @staticmethod
    def booking_warnings(
        s: Session, provider: Provider, patient_id: int, start: dt.datetime, minutes: int,
        ignore_id: int | None = None,
    ) -> list[str]:  # fmt: skip
        end = start + dt.timedelta(minutes=minutes)
        warnings = []
        if str(start.weekday()) not in provider.work_days:
            warnings.append(f"{provider.display_name} does not work on {start:%A}s.")
        elif (
            start.time() < provider.work_start
            or end.time() > provider.work_end
            or end.date() != start.date()
        ):
            warnings.append(
                f"Outside {provider.display_name}'s hours "
                f"({provider.work_start:%H:%M}-{provider.work_end:%H:%M})."
            )
        overlapping = s.scalars(
            select(Appointment).where(
                Appointment.start < end,
                Appointment.start >= start - dt.timedelta(hours=8),
                Appointment.status.notin_(("cancelled", "no_show", "entered_in_error")),
                Appointment.id != (ignore_id or -1),
            )
        ).all()
        for other in overlapping:
            if other.start + dt.timedelta(minutes=other.minutes) <= start:
                continue
            if other.provider_id == provider.id:
                warnings.append(f"Double booking: {provider.display_name} already has an "
                                f"appointment at {other.start:%H:%M}.")  # fmt: skip
            if other.patient_id == patient_id:
                warnings.append(f"The patient is already booked at {other.start:%H:%M}.")
        return list(dict.fromkeys(warnings))

    # ------------------------------------------------------------- flow
    def transition(
        self, appointment_id: int, target: str, *, room_id: int | None = None, reason: str = ""
    ) -> AppointmentRow:
        """Move an appointment to ``target`` (arrive, room, no-show...), audited and timestamped."""
        with self._write("flow.write") as s:
            appt = s.get(Appointment, appointment_id)
            if appt is None:
                raise NotFoundError("That appointment no longer exists.")
            apply_transition(self, s, appt, target, room_id=room_id, reason=reason)
            return _row(appt, self.now().date())


def apply_transition(
    service: Service,
    s: Session,
    appt: Appointment,
    target: str,
    *,
    room_id: int | None = None,
    reason: str = "",
) -> Visit | None:
    """The one place where a status changes; callable inside another service's transaction."""
    refusal = flow.transition_refusal(appt.status, target)
    if refusal:
        raise ConflictError(refusal)
    now = service.now()
    visit = appt.visit
    if target == flow.ARRIVED:
        if visit is None:
            visit = Visit(
                appointment_id=appt.id, patient_id=appt.patient_id, provider_id=appt.provider_id,
                visit_date=appt.start.date(), created_at=now, forms_signed=[],
            )  # fmt: skip
            s.add(visit)
            appt.visit = visit
        visit.arrived_at = now
        late_after = 10
        appt.is_late = now > appt.start + dt.timedelta(minutes=late_after) and not appt.is_walk_in
    elif target == flow.ROOMED:
        if room_id is None:
            raise ValidationError("Choose the room the patient is taken to.", field="room")
        room = s.get(Room, room_id)
        if room is None or not room.active:
            raise ValidationError("That room does not exist.", field="room")
        if room.state != "ready":
            raise ConflictError(f"{room.name} is not ready ({room.state.replace('_', ' ')}).")
        room.state, room.state_since, room.current_visit_id = (
            "occupied",
            now,
            visit.id if visit else None,
        )
        appt.room_id = room_id
        if visit is not None:
            visit.roomed_at, visit.room_id = now, room_id
    elif target == flow.WITH_PROVIDER and visit is not None:
        visit.provider_at = now
    elif target in (flow.CHECKED_OUT, flow.LEFT_WITHOUT_BEING_SEEN):
        if visit is not None and target == flow.CHECKED_OUT:
            visit.checked_out_at = now
        if appt.room_id is not None:
            room = s.get(Room, appt.room_id)
            if room is not None and room.state == "occupied":
                room.state, room.state_since, room.current_visit_id = "needs_turnover", now, None
    elif target == flow.CANCELLED:
        appt.cancel_reason = " ".join(reason.split())[:200]
    previous = appt.status
    appt.status = target
    s.add(AppointmentStatusChange(
        appointment_id=appt.id, from_status=previous, to_status=target, at=now,
        user_id=service.actor.user_id, room_id=room_id,
    ))  # fmt: skip
    s.flush()
    service._audit(s, "status_change", "appointment", appt.id, patient_id=appt.patient_id,
                   details={"status": {"old": previous, "new": target}, "room_id": room_id,
                            "reason": reason or None})  # fmt: skip
    return visit
