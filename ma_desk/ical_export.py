"""A provider's day or week as an iCalendar file (RFC 5545), via the ``icalendar`` package.

By default no patient information leaves the store: each event says only the
visit type and length. Patient names and visit reasons are included only when
the user explicitly asks for them (the file is then PHI and the UI says so).
Times are the clinic's local wall-clock time ("floating" times in RFC 5545).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ma_desk.clinical import flow
from ma_desk.reports.output import write_file_atomic
from ma_desk.services.schedule import AppointmentRow

if TYPE_CHECKING:
    import icalendar

PRODID = "-//MA Desk//Schedule export//EN"
ICAL_STATUS = {
    flow.SCHEDULED: "TENTATIVE",
    flow.CONFIRMED: "CONFIRMED",
    flow.CANCELLED: "CANCELLED",
    flow.NO_SHOW: "CANCELLED",
    flow.LEFT_WITHOUT_BEING_SEEN: "CANCELLED",
}


def event_uid(row: AppointmentRow, clinic_uid: str) -> str:
    return f"appointment-{row.id}@{clinic_uid}"


def build_calendar(
    rows: Iterable[AppointmentRow],
    *,
    calendar_name: str,
    stamp: dt.datetime,
    include_names: bool = False,
    include_cancelled: bool = False,
    clinic_uid: str = "ma-desk.invalid",
) -> icalendar.Calendar:
    """One VEVENT per appointment; without names unless ``include_names``."""
    from icalendar import Calendar, Event  # imported on export only: keeps start-up fast

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    stamp_utc = stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    for row in rows:
        if row.status == flow.ENTERED_IN_ERROR:
            continue
        if not row.is_active and not include_cancelled:
            continue
        event = Event()
        event.add("uid", event_uid(row, clinic_uid))
        event.add("dtstamp", stamp_utc)
        event.add("dtstart", row.start)
        event.add("dtend", row.end)
        summary = f"{row.type_name} ({row.minutes} min)"
        if include_names:
            summary = f"{row.type_name}: {row.patient_name}"
            if row.reason:
                event.add("description", row.reason)
        event.add("summary", summary)
        event.add("status", ICAL_STATUS.get(row.status, "CONFIRMED"))
        event.add("categories", [row.type_name])
        event.add("class", "CONFIDENTIAL" if include_names else "PRIVATE")
        if row.room_name and include_names:
            event.add("location", row.room_name)
        cal.add_component(event)
    return cal


def export_bytes(rows: Iterable[AppointmentRow], **kwargs) -> bytes:
    return build_calendar(rows, **kwargs).to_ical()


def write_atomically(path: Path, data: bytes, *, replace: bool = False) -> Path:
    """Owner-only (0600), atomic; an existing file is replaced only when ``replace``."""
    return write_file_atomic(path, data, force=replace)
