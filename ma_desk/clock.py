"""Time as the services see it: injectable so tests can drive a fake clock."""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    @property
    def zone(self) -> ZoneInfo | None:
        """The clinic's zone the wall-clock times are in; None: the computer's."""
        ...


class SystemClock:
    """Wall-clock time of the clinic (naive, second resolution): in the clinic's time zone
    (its settings) once follow_zone is told it, else in the computer's zone. A
    workstation set to another zone still books and shows the clinic's day."""

    def __init__(self) -> None:
        self._zone: ZoneInfo | None = None

    def follow_zone(self, name: str) -> None:
        """Use the IANA zone ``name``; "" or an unknown name: the computer's zone."""
        if self._zone is not None and self._zone.key == name:
            return
        try:
            self._zone = ZoneInfo(name) if name else None
        except (ZoneInfoNotFoundError, ValueError):
            self._zone = None

    @property
    def zone(self) -> ZoneInfo | None:
        return self._zone

    def now(self) -> dt.datetime:
        if self._zone is None:
            return dt.datetime.now().replace(microsecond=0)
        return dt.datetime.now(self._zone).replace(tzinfo=None, microsecond=0)


class FixedClock:
    """A clock that only moves when told to; for tests and demos."""

    def __init__(self, start: dt.datetime, zone: ZoneInfo | None = None) -> None:
        self._now = start
        self._zone = zone

    @property
    def zone(self) -> ZoneInfo | None:
        return self._zone

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)

    def set(self, when: dt.datetime) -> None:
        self._now = when


def wall_to_utc(wall: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """A naive wall-clock time in ``zone`` (None: the computer's) as an aware UTC time."""
    aware = wall.replace(tzinfo=zone) if zone is not None else wall.astimezone()
    return aware.astimezone(dt.UTC)


def utc_to_wall(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime:
    """An aware instant as the naive wall-clock time in ``zone`` (None: the computer's)."""
    return moment.astimezone(zone).replace(tzinfo=None)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


MINUTE_MS = 60_000
TICK_MARGIN_MS = 20  # fire just after the minute turns, never just before it


def ms_until_next_minute(now: dt.datetime) -> int:
    """Milliseconds from ``now`` until just after the next whole minute: a clock shown as
    hours and minutes changes when the minute does, not up to a timer period later."""
    into_minute = now.second * 1000 + now.microsecond // 1000
    return MINUTE_MS - into_minute + TICK_MARGIN_MS
