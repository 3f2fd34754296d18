"""A provider's day or week as an iCalendar file (RFC 5545), via the ``icalendar`` package.

By default no patient information leaves the store: each event says only the
visit type and length. Patient names and visit reasons are included only when
the user explicitly asks for them (the file is then PHI and the UI says so).
Event times carry the clinic's time zone (``DTSTART;TZID=...`` with a VTIMEZONE
built from the tz database), so a phone in another zone shows the right hour.
There is no clinic time-zone setting, so the zone is the system's; when its
IANA name cannot be found the times are written in UTC instead (still exact).
DTSTAMP is the export moment in true UTC, converted from the clinic's local clock.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


# Invisible, and read as a file's byte order mark by calendar readers (icalendar drops a
# leading one): a reason made only of it would become an empty DESCRIPTION.
BYTE_ORDER_MARK = "\ufeff"


def system_zone() -> ZoneInfo | None:
    """The computer's IANA zone (TZ, /etc/localtime, /etc/timezone), or None if unnamed.

    A named zone is needed for a VTIMEZONE with the daylight-saving rules; a bare
    UTC offset from ``time.localtime`` would be wrong on the other side of a change.
    """
    candidates: list[str] = []
    tz_env = os.environ.get("TZ", "").strip().lstrip(":")
    if tz_env:
        candidates.append(tz_env)
    else:
        try:
            target = os.path.realpath("/etc/localtime")
            if "zoneinfo/" in target:
                candidates.append(target.split("zoneinfo/", 1)[1])
        except OSError:
            pass
        try:
            with open("/etc/timezone", encoding="ascii") as fh:
                candidates.append(fh.read().strip())
        except (OSError, UnicodeDecodeError):
            pass
        candidates.extend(_windows_zone())
    for name in candidates:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return None


def clinic_zone(name: str) -> ZoneInfo | None:
    """The clinic's IANA zone from its settings; "" or an unknown name: the computer's.

    The same fallback as the clock (ma_desk/clock.py), so the file's times are the times
    the schedule showed.
    """
    try:
        return ZoneInfo(name) if name else system_zone()
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return system_zone()


def _windows_zone() -> list[str]:
    """The IANA name of Windows' zone through tzlocal when it is installed (else nothing)."""
    try:
        import tzlocal  # optional
    except ImportError:
        return []
    try:
        return [tzlocal.get_localzone_name()]
    except Exception:  # an unreadable registry must not stop an export
        return []


def stamp_utc(stamp: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """DTSTAMP in true UTC: a naive stamp is the clinic's local time, not UTC."""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone) if zone is not None else stamp.astimezone()
    return stamp.astimezone(dt.UTC).replace(microsecond=0)


def zoned(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """An event time with its zone; without a named zone, the same instant in UTC."""
    if moment.tzinfo is not None:
        return moment if zone is None else moment.astimezone(zone)
    if zone is not None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone().astimezone(dt.UTC)


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
    zone: dt.tzinfo | None | str = "system",
) -> icalendar.Calendar:
    """One VEVENT per appointment; without names unless ``include_names``.

    ``zone`` is the clinic's zone (a ZoneInfo); "system" (the default) uses the
    computer's, and None writes UTC times.
    """
    from icalendar import Calendar, Event  # imported on export only: keeps start-up fast

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", calendar_name)
    tz = system_zone() if zone == "system" else zone
    assert tz is None or isinstance(tz, dt.tzinfo)
    stamped = stamp_utc(stamp, tz)
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    for row in rows:
        if row.status == flow.ENTERED_IN_ERROR:
            continue
        if not row.is_active and not include_cancelled:
            continue
        event = Event()
        event.add("uid", event_uid(row, clinic_uid))
        start, end = zoned(row.start, tz), zoned(row.end, tz)
        first = start if first is None else min(first, start)
        last = end if last is None else max(last, end)
        event.add("dtstamp", stamped)
        event.add("dtstart", start)
        event.add("dtend", end)
        summary = f"{row.type_name} ({row.minutes} min)"
        if include_names:
            summary = f"{row.type_name}: {row.patient_name}"
            reason = row.reason.replace(BYTE_ORDER_MARK, "")
            if reason.strip():
                event.add("description", reason)
        event.add("summary", summary)
        event.add("status", ICAL_STATUS.get(row.status, "CONFIRMED"))
        event.add("categories", [row.type_name])
        event.add("class", "CONFIDENTIAL" if include_names else "PRIVATE")
        if row.room_name and include_names:
            event.add("location", row.room_name)
        cal.add_component(event)
    referenced = any("TZID" in e["dtstart"].params for e in cal.walk("VEVENT"))
    if isinstance(tz, ZoneInfo) and referenced and first is not None and last is not None:
        _add_vtimezone(cal, tz, first, last)
    return cal


def _add_vtimezone(cal: icalendar.Calendar, tz: ZoneInfo, first: dt.datetime,
                   last: dt.datetime) -> None:  # fmt: skip
    """The zone's rules around the exported span (a year either side covers any change).

    Only for a zone the events name (TZID); UTC times are written as ``...Z`` instead.
    """
    from icalendar import Timezone

    vtz = Timezone.from_tzinfo(
        tz, tzid=tz.key,
        first_date=first.replace(tzinfo=None) - dt.timedelta(days=366),
        last_date=last.replace(tzinfo=None) + dt.timedelta(days=366),
    )  # fmt: skip
    cal.subcomponents.insert(0, vtz)


def export_bytes(rows: Iterable[AppointmentRow], **kwargs: Any) -> bytes:
    ical: bytes = build_calendar(rows, **kwargs).to_ical()
    return ical


def write_atomically(path: Path, data: bytes, *, replace: bool = False) -> Path:
    """Owner-only (0600), atomic; an existing file is replaced only when ``replace``."""
    return write_file_atomic(path, data, force=replace)
