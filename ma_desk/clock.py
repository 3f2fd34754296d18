"""Time as the services see it: injectable so tests can drive a fake clock."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """Local wall-clock time of the clinic (naive, second resolution)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now().replace(microsecond=0)


class FixedClock:
    """A clock that only moves when told to; for tests and demos."""

    def __init__(self, start: dt.datetime) -> None:
        self._now = start

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += dt.timedelta(**delta)

    def set(self, when: dt.datetime) -> None:
        self._now = when


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


MINUTE_MS = 60_000
TICK_MARGIN_MS = 20  # fire just after the minute turns, never just before it


def ms_until_next_minute(now: dt.datetime) -> int:
    """Milliseconds from ``now`` until just after the next whole minute: a clock shown as
    hours and minutes changes when the minute does, not up to a timer period later."""
    into_minute = now.second * 1000 + now.microsecond // 1000
    return MINUTE_MS - into_minute + TICK_MARGIN_MS
