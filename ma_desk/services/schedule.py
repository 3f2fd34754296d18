"""The appointment book and patient flow (status transitions with history).

Reads come back as frozen rows built from one joined query (the day view of a
busy clinic must load in a few milliseconds). Every write is one transaction
with its audit entry. Booking checks split into errors (refused) and warnings
(``NeedsConfirmation``; the user may override).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk.audit import changes
from ma_desk.clinical import flow
from ma_desk.db.models import (
    Appointment,
    AppointmentSeries,
    AppointmentStatusChange,
    AppointmentType,
    Patient,
    Provider,
    Room,
    User,
    Visit,
    WaitlistEntry,
)
from ma_desk.errors import ConflictError, NeedsConfirmation, NotFoundError, ValidationError
from ma_desk.services import notify
from ma_desk.services.base import Service
from ma_desk.services.flow_transitions import apply_transition, reverse_effects
from ma_desk.services.notify import CriticalMarker
from ma_desk.services.patients import age_years
from ma_desk.services.policy import EXPORT, READ, REFERENCE, WRITE, policy
from ma_desk.services.rows import existing, gone_message
from ma_desk.services.settings import SettingsService
from ma_desk.services.versions import check_version

if TYPE_CHECKING:
    from ma_desk.clinic_settings import ClinicSettings
    from ma_desk.db.statement_types import AnyRow, AnySelect
    from ma_desk.services.waitlist import WaitlistRow

__all__ = [
    "ScheduleService",
    "AppointmentRow",
    "apply_transition",
]  # Check-in uses apply_transition

MAX_MINUTES = 8 * 60
MAX_OCCURRENCES = 52
FREQUENCIES = ("days", "weeks", "months")
INACTIVE = (flow.CANCELLED, flow.NO_SHOW, flow.ENTERED_IN_ERROR, flow.LEFT_WITHOUT_BEING_SEEN)


@dataclass(frozen=True)
class ProviderRow:
    id: int
    display_name: str
    credentials: str
    color: str
    work_start: dt.time
    work_end: dt.time
    work_days: str

    def works_on(self, day: dt.date) -> bool:
        return str(day.weekday()) in self.work_days


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
    series_id: int | None = None
    cancel_reason: str = ""
    provider_at: dt.datetime | None = None
    checked_out_at: dt.datetime | None = None
    # The saved version a form edits against (``expected_version``), and its author.
    version: int = 1
    updated_at: dt.datetime | None = None
    updated_by: str = ""
    updated_on: str = ""
    # Critical vitals on the visit: open 'notify provider' items, or who was told when.
    critical: CriticalMarker = CriticalMarker()

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.minutes)

    @property
    def status_label(self) -> str:
        return flow.LABELS.get(self.status, self.status)

    @property
    def is_active(self) -> bool:
        """Occupies its slot (cancelled, no-show and LWBS visits free it)."""
        return self.status not in INACTIVE


@dataclass(frozen=True)
class StatusChangeRow:
    id: int
    from_status: str
    to_status: str
    at: dt.datetime
    user_id: int | None
    room_id: int | None
    undone: bool
    user_name: str = ""  # who made the change ("" = the system, e.g. the demo)


@dataclass(frozen=True)
class FlowRow:
    """One patient in the building, with the waits the flow board colours."""

    appointment: AppointmentRow
    waiting_minutes: int  # since arrival, until roomed (or now)
    in_room_minutes: int  # since rooming (0 when not roomed)
    total_minutes: int  # since arrival
    critical: str = ""  # open 'notify provider' items on the visit (critical vitals)

    @property
    def marker(self) -> CriticalMarker:
        return self.appointment.critical


@dataclass(frozen=True)
class CancelResult:
    cancelled: list[AppointmentRow]
    offers: list[WaitlistRow] = field(default_factory=list)  # waitlist matches for the freed slot


def _row(a: Appointment, today: dt.date) -> AppointmentRow:
    p = a.patient
    v = a.visit
    return AppointmentRow(
        a.id, a.start, a.minutes, a.status, p.id, f"{p.last_name}, {p.first_name}", p.dob,
        age_years(p.dob, today), p.mrn, a.provider_id, a.provider.display_name, a.type_id,
        a.type.name, a.type.color, a.reason, a.room_id, a.room.name if a.room else "",
        a.is_walk_in, a.is_late, v.id if v else None, v.arrived_at if v else None,
        v.roomed_at if v else None, a.series_id, a.cancel_reason,
        v.provider_at if v else None, v.checked_out_at if v else None,
        a.version, a.updated_at, a.updated_by, a.updated_on,
    )  # fmt: skip


# The columns of one joined query, in AppointmentRow order (age computed after).
_ROW_COLUMNS = (
    Appointment.id, Appointment.start, Appointment.minutes, Appointment.status,
    Appointment.patient_id, Patient.last_name, Patient.first_name, Patient.dob, Patient.mrn,
    Appointment.provider_id, Provider.display_name, Appointment.type_id, AppointmentType.name,
    AppointmentType.color, Appointment.reason, Appointment.room_id, Room.name,
    Appointment.is_walk_in, Appointment.is_late, Visit.id, Visit.arrived_at, Visit.roomed_at,
    Appointment.series_id, Appointment.cancel_reason, Visit.provider_at, Visit.checked_out_at,
    Appointment.version, Appointment.updated_at, Appointment.updated_by, Appointment.updated_on,
)  # fmt: skip


def _rows_stmt() -> AnySelect:
    return (
        select(*_ROW_COLUMNS)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(AppointmentType, AppointmentType.id == Appointment.type_id)
        .outerjoin(Room, Room.id == Appointment.room_id)
        .outerjoin(Visit, Visit.appointment_id == Appointment.id)
    )


def _row_from_tuple(t: AnyRow, today: dt.date) -> AppointmentRow:
    (aid, start, minutes, status, pid, last, first, dob, mrn, prov_id, prov_name, type_id,
     type_name, type_color, reason, room_id, room_name, walk_in, late, visit_id, arrived,
     roomed, series_id, cancel_reason, provider_at, out, version, updated_at, updated_by,
     updated_on) = t  # fmt: skip
    return AppointmentRow(
        aid, start, minutes, status, pid, f"{last}, {first}", dob, age_years(dob, today), mrn,
        prov_id, prov_name, type_id, type_name, type_color, reason or "", room_id,
        room_name or "", bool(walk_in), bool(late), visit_id, arrived, roomed, series_id,
        cancel_reason or "", provider_at, out, version, updated_at, updated_by or "",
        updated_on or "",
    )  # fmt: skip


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """Same day next month(s), clamped to the month's last day (Jan 31 -> Feb 28)."""
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def occurrences(
    start: dt.datetime,
    frequency: str,
    interval: int,
    *,
    count: int | None = None,
    until: dt.date | None = None,
) -> list[dt.datetime]:
    """The start of every occurrence of a recurring booking (the first is ``start``)."""
    if frequency not in FREQUENCIES:
        raise ValidationError("Repeat every day(s), week(s) or month(s).", field="frequency")
    if interval < 1 or interval > 52:
        raise ValidationError("Repeat every 1 to 52 periods.", field="interval")
    if (count is None) == (until is None):
        raise ValidationError("Give either a number of visits or an end date.", field="count")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise ValidationError(
            f"A series has 1 to {MAX_OCCURRENCES} visits.", field="count"
        )  # fmt: skip
    if until is not None and until < start.date():
        raise ValidationError("The end date is before the first visit.", field="until")
    result: list[dt.datetime] = []
    i = 0
    while True:
        if frequency == "days":
            when = start + dt.timedelta(days=interval * i)
        elif frequency == "weeks":
            when = start + dt.timedelta(weeks=interval * i)
        else:
            when = add_months(start, interval * i)
        if count is not None and len(result) >= count:
            break
        if until is not None and when.date() > until:
            break
        result.append(when)
        if len(result) > MAX_OCCURRENCES:
            raise ValidationError(
                f"A series has at most {MAX_OCCURRENCES} visits; choose an earlier end date.",
                field="until",
            )
        i += 1
    return result


_FOLLOW_UP_RE = re.compile(r"^\s*(\d{1,3})\s*(d|day|days|w|wk|wks|week|weeks|m|mo|month|months)\s*$",
                           re.IGNORECASE)  # fmt: skip


def parse_follow_up(text: str) -> tuple[int, int]:
    """'2w', '10 days', '3 months' -> (days, weeks); a month counts as 30 days."""
    match = _FOLLOW_UP_RE.match(text or "")
    if not match:
        raise ValidationError("Write the interval like 10d, 2w or 3 months.", field="interval")
    n, unit = int(match.group(1)), match.group(2).lower()
    if n <= 0:
        raise ValidationError("A follow-up is at least one day later.", field="interval")
    if unit.startswith("w"):
        return 0, n
    if unit.startswith("m"):
        return n * 30, 0
    return n, 0


def overlaps(a_start: dt.datetime, a_min: int, b_start: dt.datetime, b_min: int) -> bool:
    return a_start < b_start + dt.timedelta(minutes=b_min) and b_start < a_start + dt.timedelta(
        minutes=a_min
    )


class ScheduleService(Service):
    # ------------------------------------------------------------- reference lists
    @policy("schedule.read", audit=REFERENCE)
    def providers(self, *, active_only: bool = True) -> list[ProviderRow]:
        with self._read() as s:
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

    @policy("schedule.read", audit=REFERENCE)
    def appointment_types(self) -> list[AppointmentTypeRow]:
        with self._read() as s:
            stmt = select(AppointmentType).where(AppointmentType.active.is_(True))
            return [
                AppointmentTypeRow(t.id, t.name, t.default_minutes, t.color)
                for t in s.scalars(stmt.order_by(AppointmentType.name))
            ]

    def _settings(self) -> ClinicSettings:
        return SettingsService(self.ctx).get()

    # ------------------------------------------------------------- reading the book
    @policy("schedule.read", audit=READ)
    def day(self, day: dt.date, provider_ids: list[int] | None = None) -> list[AppointmentRow]:
        """The day's appointments (cancelled ones included, entered-in-error left out)."""
        rows = self._between(day, day + dt.timedelta(days=1), provider_ids)
        self._record_schedule_view("schedule_day", day, day, provider_ids, rows)
        return rows

    @policy("schedule.read", audit=READ)
    def week(self, provider_id: int, first_day: dt.date) -> list[AppointmentRow]:
        rows = self._between(first_day, first_day + dt.timedelta(days=7), [provider_id])
        self._record_schedule_view("schedule_week", first_day, first_day, [provider_id], rows)
        return rows

    @policy("schedule.read", audit=READ)
    def range(
        self, first: dt.date, end: dt.date, provider_ids: list[int] | None = None
    ) -> list[AppointmentRow]:
        """Appointments with first <= start date < end, in one joined query."""
        rows = self._between(first, end, provider_ids)
        self._record_schedule_view("schedule_range", first, (first, end), provider_ids, rows)
        return rows

    @policy("schedule.read", audit=EXPORT)
    def export_calendar(
        self, provider_id: int, first: dt.date, days: int, out: Path, *,
        include_names: bool = False, replace: bool = False,
    ) -> int:  # fmt: skip
        """A provider's day (1) or week (7) as an iCalendar file; audited as an export.

        Without ``include_names`` each event says only the visit type and length;
        with it the file holds patient information (owner-only, like every export).
        Returns how many visits were written.
        """
        from ma_desk import ical_export

        if days not in (1, 7):
            raise ValidationError("Export one day or one week.", field="days")
        provider = next((p for p in self.providers(active_only=False) if p.id == provider_id),
                        None)  # fmt: skip
        if provider is None:
            raise NotFoundError(gone_message("provider"))
        rows = self._between(first, first + dt.timedelta(days=days), [provider_id])
        settings = self._settings()
        data = ical_export.export_bytes(
            rows, calendar_name=f"{provider.display_name} — {settings.clinic_name}",
            stamp=self.now(), include_names=include_names,
            zone=ical_export.clinic_zone(settings.time_zone),
        )  # fmt: skip
        ical_export.write_atomically(Path(out), data, replace=replace)
        visits = sum(1 for r in rows if r.is_active)
        with self._write() as s:
            self._audit(s, "export", "calendar", provider_id, details={
                "first": first, "days": days, "appointments": visits,
                "with_names": bool(include_names), "file": Path(out).name})  # fmt: skip
        return visits

    def _record_schedule_view(
        self, entity: str, first: dt.date, key: object, provider_ids: list[int] | None,
        rows: list[AppointmentRow],
    ) -> None:  # fmt: skip
        """One entry per opening of a schedule view; its refreshes are not recorded again."""
        providers = sorted(provider_ids) if provider_ids else []
        self._record_read("view", entity, first, details={"providers": providers,
                          "appointments": len(rows)}, view=(key, tuple(providers)))  # fmt: skip

    def _between(
        self, first: dt.date, end: dt.date, provider_ids: list[int] | None = None
    ) -> list[AppointmentRow]:
        start = dt.datetime.combine(first, dt.time())
        stop = dt.datetime.combine(end, dt.time())
        with self._read() as s:
            stmt = (
                _rows_stmt()
                .where(Appointment.start >= start, Appointment.start < stop)
                .where(Appointment.status != flow.ENTERED_IN_ERROR)
                .order_by(Appointment.start, Appointment.provider_id, Appointment.id)
            )
            if provider_ids:
                stmt = stmt.where(Appointment.provider_id.in_(provider_ids))
            rows = [_row_from_tuple(t, first) for t in s.execute(stmt)]
            found = notify.markers(s, [r.visit_id for r in rows])
            return [replace(r, critical=found[r.visit_id]) if r.visit_id in found else r
                    for r in rows]  # fmt: skip

    @policy("schedule.read", audit=READ)
    def get(self, appointment_id: int) -> AppointmentRow:
        with self._read() as s:
            t = s.execute(_rows_stmt().where(Appointment.id == appointment_id)).first()
            if t is None:
                raise NotFoundError(gone_message("appointment"))
            row = _row_from_tuple(t, self.now().date())
        self._record_read("view", "appointment", appointment_id, patient_id=row.patient_id,
                          view=appointment_id)  # fmt: skip
        return row

    @policy("schedule.read", audit=READ)
    def history(self, appointment_id: int) -> list[StatusChangeRow]:
        """Every status change of the appointment, oldest first (who and when)."""
        patient_id = self._patient_of_appointment(appointment_id)
        self._record_read("view", "appointment_history", appointment_id, patient_id=patient_id,
                          view=appointment_id)  # fmt: skip
        with self._read() as s:
            stmt = (
                select(AppointmentStatusChange, User.display_name)
                .outerjoin(User, User.id == AppointmentStatusChange.user_id)
                .where(AppointmentStatusChange.appointment_id == appointment_id)
                .order_by(AppointmentStatusChange.id)
            )
            return [
                StatusChangeRow(
                    c.id,
                    c.from_status,
                    c.to_status,
                    c.at,
                    c.user_id,
                    c.room_id,
                    c.undone,
                    who or "",
                )  # fmt: skip
                for c, who in s.execute(stmt)
            ]

    @policy("schedule.read", audit=READ)
    def series(self, series_id: int) -> list[AppointmentRow]:
        with self._read() as s:
            stmt = (
                _rows_stmt()
                .where(Appointment.series_id == series_id)
                .where(Appointment.status != flow.ENTERED_IN_ERROR)
                .order_by(Appointment.start)
            )
            today = self.now().date()
            rows = [_row_from_tuple(t, today) for t in s.execute(stmt)]
        patient_id = rows[0].patient_id if rows else None
        self._record_read("view", "appointment_series", series_id, patient_id=patient_id,
                          details={"appointments": len(rows)}, view=series_id)  # fmt: skip
        return rows

    def _patient_of_appointment(self, appointment_id: int) -> int | None:
        with self._read() as s:
            return s.scalar(select(Appointment.patient_id).where(Appointment.id == appointment_id))

    @policy("schedule.read", audit=READ)
    def flow_board(self, day: dt.date | None = None) -> list[FlowRow]:
        """Today's patients in the building (arrived, roomed, with provider)."""
        now = self.now()
        day = day or now.date()
        rows = []
        appointments = self._between(day, day + dt.timedelta(days=1))
        self._record_read("view", "flow_board", day, details={"appointments": len(appointments)},
                          view=day)  # fmt: skip
        for r in appointments:
            if r.status not in flow.IN_CLINIC_STATUSES:
                continue
            arrived = r.arrived_at or r.start
            roomed = r.roomed_at
            waiting = flow.minutes_between(arrived, roomed or now)
            in_room = flow.minutes_between(roomed, now) if roomed else 0
            rows.append(FlowRow(r, waiting, in_room, flow.minutes_between(arrived, now)))
        rows = [replace(f, critical="; ".join(t.message for t in f.marker.open)) for f in rows]
        rows.sort(key=lambda f: (f.appointment.arrived_at or f.appointment.start, f.appointment.id))
        return rows

    # ------------------------------------------------------------- booking
    @policy("schedule.write", audit=WRITE)
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
        waitlist_entry_id: int | None = None,
    ) -> AppointmentRow:
        """Book an appointment. Errors refuse; warnings raise NeedsConfirmation unless confirmed.

        Booking from the waitlist resolves the entry in the same transaction.
        """
        with self._write() as s:
            provider, appt_type, minutes, reason = self._validate(
                s, patient_id, provider_id, type_id, minutes, reason
            )
            now = self.now()
            if not walk_in and start < now - dt.timedelta(minutes=1):
                raise ValidationError("A new booking cannot start in the past.", field="start")
            warnings = self._booking_warnings(s, provider, patient_id, start, minutes)
            if warnings and not confirm:
                raise NeedsConfirmation("Book anyway?", warnings=warnings)
            appt = self._new(s, patient_id, provider_id, type_id, start, minutes, reason,
                             walk_in, now)  # fmt: skip
            self._audit(s, "create", "appointment", appt.id, patient_id=patient_id,
                        details={"start": start, "minutes": minutes, "provider_id": provider_id,
                                 "warnings_overridden": warnings})  # fmt: skip
            if waitlist_entry_id is not None:
                self._resolve_waitlist(s, waitlist_entry_id, patient_id, now)
            return _row(appt, now.date())

    @policy("schedule.write", audit=WRITE)
    def book_series(
        self,
        *,
        patient_id: int,
        provider_id: int,
        type_id: int,
        start: dt.datetime,
        frequency: str,
        interval: int = 1,
        count: int | None = None,
        until: dt.date | None = None,
        minutes: int | None = None,
        reason: str = "",
        confirm: bool = False,
    ) -> list[AppointmentRow]:
        """Book a recurring appointment: every ``interval`` days/weeks/months, all or nothing."""
        starts = occurrences(start, frequency, interval, count=count, until=until)
        with self._write() as s:
            provider, _t, minutes, reason = self._validate(
                s, patient_id, provider_id, type_id, minutes, reason
            )
            now = self.now()
            if start < now - dt.timedelta(minutes=1):
                raise ValidationError("A new booking cannot start in the past.", field="start")
            warnings = []
            for when in starts:
                for w in self._booking_warnings(s, provider, patient_id, when, minutes):
                    warnings.append(f"{when:%a %m/%d}: {w}")
            if warnings and not confirm:
                raise NeedsConfirmation("Book the series anyway?", warnings=warnings)
            series = AppointmentSeries(frequency=frequency, interval=interval, count=count,
                                       until=until, created_at=now)  # fmt: skip
            s.add(series)
            s.flush()
            booked = []
            for when in starts:
                appt = self._new(s, patient_id, provider_id, type_id, when, minutes, reason,
                                 False, now, series.id)  # fmt: skip
                booked.append(appt)
            self._audit(s, "create", "appointment_series", series.id, patient_id=patient_id,
                        details={"frequency": frequency, "interval": interval, "count": count,
                                 "until": until, "appointments": [a.id for a in booked],
                                 "warnings_overridden": warnings})  # fmt: skip
            return [_row(a, now.date()) for a in booked]

    @policy("schedule.write", audit=WRITE)
    def book_follow_up(
        self,
        appointment_id: int,
        *,
        days: int = 0,
        weeks: int = 0,
        type_id: int | None = None,
        reason: str | None = None,
        confirm: bool = False,
    ) -> AppointmentRow:
        """Same patient and provider, N days or weeks after the visit, at the same time."""
        if days < 0 or weeks < 0 or days + weeks * 7 <= 0:
            raise ValidationError("A follow-up is at least one day later.", field="interval")
        if days + weeks * 7 > 730:
            raise ValidationError("A follow-up is at most two years later.", field="interval")
        base = self.get(appointment_id)
        start = base.start + dt.timedelta(days=days, weeks=weeks)
        return self.book(
            patient_id=base.patient_id, provider_id=base.provider_id,
            type_id=type_id if type_id is not None else base.type_id, start=start,
            minutes=None if type_id is not None else base.minutes,
            reason=base.reason if reason is None else reason, confirm=confirm,
        )  # fmt: skip

    @policy("schedule.write", audit=WRITE)
    def update(
        self,
        appointment_id: int,
        *,
        start: dt.datetime | None = None,
        provider_id: int | None = None,
        type_id: int | None = None,
        minutes: int | None = None,
        reason: str | None = None,
        confirm: bool = False,
        scope: str = "one",
        expected_version: int | None = None,
    ) -> list[AppointmentRow]:
        """Edit or reschedule a booking; ``scope="following"`` moves the rest of its series too.

        Later occurrences keep their own dates; they get the same shift of start
        time, and the new provider, type, length and reason. ``expected_version`` is
        the version the form loaded: a newer one is refused (StaleVersionError).
        """
        if scope not in ("one", "following"):
            raise ValidationError("Choose this visit or the rest of the series.", field="scope")
        with self._write() as s:
            appt = self._appointment_for_edit(s, appointment_id, expected_version)
            if appt.status not in flow.OPEN_STATUSES:
                raise ConflictError(
                    f"A {flow.LABELS[appt.status].lower()} appointment cannot be changed."
                )
            provider, _t, new_minutes, new_reason = self._validate(
                s, appt.patient_id, provider_id or appt.provider_id, type_id or appt.type_id,
                minutes if minutes is not None else (appt.minutes if type_id is None else None),
                appt.reason if reason is None else reason,
            )  # fmt: skip
            new_start = start or appt.start
            now = self.now()
            if new_start != appt.start and new_start < now - dt.timedelta(minutes=1):
                raise ValidationError("An appointment cannot be moved into the past.",
                                      field="start")  # fmt: skip
            targets = [appt]
            if scope == "following" and appt.series_id is not None:
                targets += list(s.scalars(
                    select(Appointment).where(
                        Appointment.series_id == appt.series_id, Appointment.start > appt.start,
                        Appointment.status.in_(flow.OPEN_STATUSES), Appointment.id != appt.id,
                    ).order_by(Appointment.start)
                ))  # fmt: skip
            shift = new_start - appt.start
            plans = [(a, a.start + shift) for a in targets]
            ids = {a.id for a in targets}
            warnings = []
            for a, when in plans:
                for w in self._booking_warnings(s, provider, a.patient_id, when, new_minutes,
                                               ignore_ids=ids):  # fmt: skip
                    warnings.append(w if len(plans) == 1 else f"{when:%a %m/%d}: {w}")
            if warnings and not confirm:
                raise NeedsConfirmation("Save the change anyway?", warnings=warnings)
            for a, when in plans:
                before = {"start": a.start, "provider_id": a.provider_id, "type_id": a.type_id,
                          "minutes": a.minutes, "reason": a.reason}  # fmt: skip
                a.start, a.provider_id, a.minutes, a.reason = (
                    when,
                    provider.id,
                    new_minutes,
                    new_reason,
                )
                a.type_id = type_id or a.type_id
                after = {"start": a.start, "provider_id": a.provider_id, "type_id": a.type_id,
                         "minutes": a.minutes, "reason": a.reason}  # fmt: skip
                diff = changes(before, after)
                if diff:
                    self._audit(s, "update", "appointment", a.id, patient_id=a.patient_id,
                                details={**diff, "warnings_overridden": warnings})  # fmt: skip
            s.flush()
            for a in targets:
                s.refresh(a)
            return [_row(a, now.date()) for a in targets]

    def _appointment_for_edit(
        self, s: Session, appointment_id: int, expected_version: int | None
    ) -> Appointment:
        appt = existing(s, Appointment, appointment_id, "appointment", lock=True)
        check_version(appt, expected_version, what="appointment", now=self.now(),
                      current=lambda: _row(appt, self.now().date()))  # fmt: skip
        return appt

    @policy("flow.write", audit=WRITE)
    def cancel(
        self,
        appointment_id: int,
        reason: str,
        *,
        scope: str = "one",
        expected_version: int | None = None,
    ) -> CancelResult:
        """Cancel with a reason (required); optionally the rest of the series as well.

        The result lists waitlist entries that match the freed slot. A newer saved
        version than ``expected_version`` is refused (StaleVersionError).
        """
        reason = " ".join((reason or "").split())
        if not reason:
            raise ValidationError("Say why the visit is cancelled.", field="reason")
        if len(reason) > 200:
            raise ValidationError("The reason is limited to 200 characters.", field="reason")
        if scope not in ("one", "following"):
            raise ValidationError("Choose this visit or the rest of the series.", field="scope")
        with self._write() as s:
            appt = self._appointment_for_edit(s, appointment_id, expected_version)
            targets = [appt]
            if scope == "following" and appt.series_id is not None:
                targets += list(s.scalars(
                    select(Appointment).where(
                        Appointment.series_id == appt.series_id, Appointment.start > appt.start,
                        Appointment.status.in_(flow.OPEN_STATUSES),
                    ).order_by(Appointment.start)
                ))  # fmt: skip
            for a in targets:
                apply_transition(self, s, a, flow.CANCELLED, reason=reason)
            s.flush()  # the rows returned carry their new versions
            today = self.now().date()
            cancelled = [_row(a, today) for a in targets]
            slot = (appt.provider_id, appt.start, appt.minutes)
        from ma_desk.services.waitlist import WaitlistService

        offers = WaitlistService(self.ctx).matches(*slot) if slot[1] >= self.now() else []
        return CancelResult(cancelled, offers)

    @policy("schedule.read", audit=REFERENCE)
    def next_open_slot(
        self,
        provider_id: int,
        minutes: int,
        *,
        after: dt.datetime | None = None,
        days: int = 60,
    ) -> dt.datetime | None:
        """The first start at or after ``after`` when the provider is working and free."""
        if minutes <= 0:
            raise ValidationError("An appointment must last at least one minute.",
                                  field="minutes")  # fmt: skip
        clinic = self._settings()
        step = dt.timedelta(minutes=max(1, clinic.slot_minutes))
        now = self.now()
        after = max(after or now, now)
        with self._read() as s:
            provider = existing(s, Provider, provider_id, "provider")
            horizon = dt.datetime.combine(after.date() + dt.timedelta(days=days), dt.time())
            busy = s.execute(
                select(Appointment.start, Appointment.minutes).where(
                    Appointment.provider_id == provider_id,
                    Appointment.start >= after - dt.timedelta(minutes=MAX_MINUTES),
                    Appointment.start < horizon,
                    Appointment.status.notin_(INACTIVE),
                ).order_by(Appointment.start)
            ).all()  # fmt: skip
        for offset in range(days):
            day = after.date() + dt.timedelta(days=offset)
            if str(day.weekday()) not in provider.work_days:
                continue
            opens = dt.datetime.combine(day, max(provider.work_start, clinic.opens))
            closes = dt.datetime.combine(day, min(provider.work_end, clinic.closes))
            t = opens
            while t + dt.timedelta(minutes=minutes) <= closes:
                if t >= after and not any(overlaps(t, minutes, b, m) for b, m in busy):
                    return t
                t += step
        return None

    # ------------------------------------------------------------- checks
    def _validate(
        self, s: Session, patient_id: int, provider_id: int, type_id: int,
        minutes: int | None, reason: str,
    ) -> tuple[Provider, AppointmentType, int, str]:  # fmt: skip
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
            raise ValidationError("An appointment must last at least one minute.",
                                  field="minutes")  # fmt: skip
        if minutes > MAX_MINUTES:
            raise ValidationError("An appointment cannot last more than 8 hours.",
                                  field="minutes")  # fmt: skip
        return provider, appt_type, minutes, reason

    def _new(self, s: Session, patient_id: int, provider_id: int, type_id: int,
             start: dt.datetime, minutes: int, reason: str, walk_in: bool, now: dt.datetime,
             series_id: int | None = None) -> Appointment:  # fmt: skip
        appt = Appointment(
            patient_id=patient_id, provider_id=provider_id, type_id=type_id, start=start,
            minutes=minutes, reason=reason, status=flow.SCHEDULED, is_walk_in=walk_in,
            created_at=now, created_by_id=self.actor.user_id, series_id=series_id,
        )  # fmt: skip
        s.add(appt)
        s.flush()
        return appt

    def _resolve_waitlist(
        self, s: Session, entry_id: int, patient_id: int, now: dt.datetime
    ) -> None:
        entry = s.get(WaitlistEntry, entry_id)
        if entry is None or entry.resolved_at is not None:
            raise ConflictError("That waitlist entry was already taken care of.")
        if entry.patient_id != patient_id:
            raise ValidationError("The waitlist entry is for another patient.", field="patient")
        entry.resolved_at = now
        self._audit(s, "resolve", "waitlist_entry", entry.id, patient_id=patient_id,
                    details={"resolution": "booked"})  # fmt: skip

    @policy("schedule.read", audit=REFERENCE)
    def warnings_for(
        self, *, patient_id: int, provider_id: int, start: dt.datetime, minutes: int,
        ignore_id: int | None = None,
    ) -> list[str]:  # fmt: skip
        """The warnings a booking would raise, for showing while the user types."""
        with self._read() as s:
            provider = s.get(Provider, provider_id)
            if provider is None or minutes <= 0:
                return []
            return self._booking_warnings(
                s,
                provider,
                patient_id,
                start,
                minutes,
                ignore_ids={ignore_id} if ignore_id else None,
            )

    @staticmethod
    def _booking_warnings(
        s: Session, provider: Provider, patient_id: int, start: dt.datetime, minutes: int,
        ignore_id: int | None = None, ignore_ids: set[int] | None = None,
    ) -> list[str]:  # fmt: skip
        """Overridable problems: provider away or off hours, clinic closed, double bookings."""
        ignore = set(ignore_ids or ())
        if ignore_id is not None:
            ignore.add(ignore_id)
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
        overlapping = s.execute(
            select(Appointment.id, Appointment.start, Appointment.minutes,
                   Appointment.provider_id, Appointment.patient_id).where(
                Appointment.start < end,
                Appointment.start >= start - dt.timedelta(minutes=MAX_MINUTES),
                Appointment.status.notin_(INACTIVE),
            )
        ).all()  # fmt: skip
        for other_id, other_start, other_minutes, other_provider, other_patient in overlapping:
            if other_id in ignore:
                continue
            if other_start + dt.timedelta(minutes=other_minutes) <= start:
                continue
            if other_provider == provider.id:
                warnings.append(f"Double booking: {provider.display_name} already has an "
                                f"appointment at {other_start:%H:%M}.")  # fmt: skip
            if other_patient == patient_id:
                warnings.append(f"The patient is already booked at {other_start:%H:%M}.")
        return list(dict.fromkeys(warnings))

    # ------------------------------------------------------------- flow
    @policy("flow.write", audit=WRITE)
    def transition(
        self,
        appointment_id: int,
        target: str,
        *,
        room_id: int | None = None,
        reason: str = "",
        expected_version: int | None = None,
    ) -> AppointmentRow:
        """Move an appointment to ``target`` (arrive, room, no-show...), audited and timestamped.

        A newer saved version than ``expected_version`` (the row on screen) is refused.
        """
        with self._write() as s:
            appt = self._appointment_for_edit(s, appointment_id, expected_version)
            apply_transition(self, s, appt, target, room_id=room_id, reason=reason)
            s.flush()  # the row returned carries its new version
            return _row(appt, self.now().date())

    @policy("flow.write", audit=WRITE)
    def undo_last_transition(
        self, appointment_id: int, *, expected_version: int | None = None
    ) -> AppointmentRow:
        """Take back the most recent status change (a mis-click at the desk), audited."""
        with self._write() as s:
            appt = self._appointment_for_edit(s, appointment_id, expected_version)
            change = s.scalars(
                select(AppointmentStatusChange)
                .where(AppointmentStatusChange.appointment_id == appt.id,
                       AppointmentStatusChange.undone.is_(False))
                .order_by(AppointmentStatusChange.id.desc()).limit(1)
            ).first()  # fmt: skip
            if change is None:
                raise ConflictError("There is no status change to undo.")
            refusal = flow.undo_refusal(appt.status, change.from_status, change.to_status)
            if refusal:
                raise ConflictError(refusal)
            reverse_effects(s, appt, change)
            appt.status = change.from_status
            change.undone = True
            s.flush()
            self._audit(s, "status_undo", "appointment", appt.id, patient_id=appt.patient_id,
                        details={"status": {"old": change.to_status, "new": change.from_status},
                                 "change_id": change.id})  # fmt: skip
            s.refresh(appt)
            return _row(appt, self.now().date())
