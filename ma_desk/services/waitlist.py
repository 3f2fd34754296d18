"""The waitlist: patients who want an earlier slot, offered when one frees up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from ma_desk.db.models import AppointmentType, Patient, Provider, WaitlistEntry
from ma_desk.errors import ConflictError, ValidationError
from ma_desk.services.base import Service
from ma_desk.services.policy import READ, WRITE, policy
from ma_desk.services.rows import existing

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class WaitlistRow:
    id: int
    patient_id: int
    patient_name: str
    provider_id: int | None
    provider_name: str  # "" = any provider
    type_id: int | None
    type_name: str  # "" = any type
    type_minutes: int | None
    preferred_days: str  # weekday digits, Monday = 0
    preferred_from: dt.time | None
    preferred_to: dt.time | None
    note: str
    created_at: dt.datetime

    @property
    def days_label(self) -> str:
        if self.preferred_days == "0123456":
            return "Any day"
        if self.preferred_days == "01234":
            return "Weekdays"
        return " ".join(DAY_NAMES[int(d)] for d in self.preferred_days)

    @property
    def times_label(self) -> str:
        if self.preferred_from is None and self.preferred_to is None:
            return "Any time"
        start = f"{self.preferred_from:%H:%M}" if self.preferred_from else "open"
        end = f"{self.preferred_to:%H:%M}" if self.preferred_to else "close"
        return f"{start}-{end}"

    def fits(self, provider_id: int, start: dt.datetime, minutes: int) -> bool:
        """Does a free slot suit this patient (provider, day, time window, length)?"""
        if self.provider_id is not None and self.provider_id != provider_id:
            return False
        if str(start.weekday()) not in self.preferred_days:
            return False
        if self.preferred_from is not None and start.time() < self.preferred_from:
            return False
        if self.preferred_to is not None and start.time() >= self.preferred_to:
            return False
        return self.type_minutes is None or self.type_minutes <= minutes


def normalise_days(days: str) -> str:
    """Weekday digits sorted and unique; refuses anything but 0-6."""
    clean = "".join(sorted(set(days)))
    if not clean or any(d not in "0123456" for d in clean):
        raise ValidationError("Choose at least one preferred day.", field="preferred_days")
    return clean


class WaitlistService(Service):
    @policy("schedule.read", audit=READ)
    def entries(self, *, include_resolved: bool = False) -> list[WaitlistRow]:
        rows = self._entries(include_resolved=include_resolved)
        self._record_read("view", "waitlist", details={"entries": len(rows)},
                          view=include_resolved)  # fmt: skip
        return rows

    def _entries(self, *, include_resolved: bool = False) -> list[WaitlistRow]:
        with self._read() as s:
            stmt = (
                select(WaitlistEntry, Patient.last_name, Patient.first_name,
                       Provider.display_name, AppointmentType.name,
                       AppointmentType.default_minutes)
                .join(Patient, Patient.id == WaitlistEntry.patient_id)
                .outerjoin(Provider, Provider.id == WaitlistEntry.provider_id)
                .outerjoin(AppointmentType, AppointmentType.id == WaitlistEntry.type_id)
                .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
            )  # fmt: skip
            if not include_resolved:
                stmt = stmt.where(WaitlistEntry.resolved_at.is_(None))
            return [
                WaitlistRow(
                    e.id,
                    e.patient_id,
                    f"{last}, {first}",
                    e.provider_id,
                    prov or "",
                    e.type_id,
                    tname or "",
                    tmin,
                    e.preferred_days,
                    e.preferred_from,
                    e.preferred_to,
                    e.note,
                    e.created_at,
                )  # fmt: skip
                for e, last, first, prov, tname, tmin in s.execute(stmt)
            ]

    @policy("schedule.write", audit=WRITE)
    def add(
        self,
        *,
        patient_id: int,
        provider_id: int | None = None,
        type_id: int | None = None,
        preferred_days: str = "01234",
        preferred_from: dt.time | None = None,
        preferred_to: dt.time | None = None,
        note: str = "",
    ) -> WaitlistRow:
        days = normalise_days(preferred_days)
        note = " ".join(note.split())
        if len(note) > 200:
            raise ValidationError("The note is limited to 200 characters.", field="note")
        if preferred_from and preferred_to and preferred_from >= preferred_to:
            raise ValidationError("The earliest time must be before the latest.",
                                  field="preferred_to")  # fmt: skip
        with self._write() as s:
            if s.get(Patient, patient_id) is None:
                raise ValidationError("Choose a patient who is registered.", field="patient")
            if provider_id is not None and s.get(Provider, provider_id) is None:
                raise ValidationError("Choose a provider.", field="provider")
            if type_id is not None and s.get(AppointmentType, type_id) is None:
                raise ValidationError("Choose an appointment type.", field="type")
            entry = WaitlistEntry(
                patient_id=patient_id, provider_id=provider_id, type_id=type_id,
                preferred_days=days, preferred_from=preferred_from, preferred_to=preferred_to,
                note=note, created_at=self.now(),
            )  # fmt: skip
            s.add(entry)
            s.flush()
            self._audit(s, "create", "waitlist_entry", entry.id, patient_id=patient_id,
                        details={"provider_id": provider_id, "type_id": type_id,
                                 "preferred_days": days})  # fmt: skip
            entry_id = entry.id
        return next(r for r in self._entries() if r.id == entry_id)

    @policy("schedule.write", audit=WRITE)
    def remove(self, entry_id: int, *, reason: str = "removed") -> None:
        """Take a patient off the list (no longer needed), audited."""
        with self._write() as s:
            entry = existing(s, WaitlistEntry, entry_id, "waitlist entry")
            if entry.resolved_at is not None:
                raise ConflictError("That waitlist entry was already taken care of.")
            entry.resolved_at = self.now()
            self._audit(s, "resolve", "waitlist_entry", entry.id, patient_id=entry.patient_id,
                        details={"resolution": " ".join(reason.split())[:100]})  # fmt: skip

    @policy("schedule.read", audit=READ)
    def matches(self, provider_id: int, start: dt.datetime, minutes: int) -> list[WaitlistRow]:
        """Open entries that would take this freed slot, longest waiting first."""
        found = [e for e in self._entries() if e.fits(provider_id, start, minutes)]
        if found:
            self._record_read("query", "waitlist", details={"provider_id": provider_id,
                              "start": start, "results": len(found)})  # fmt: skip
        return found
