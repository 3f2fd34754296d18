"""The end-of-day figures, computed once from the visit rows so the PDF and CSV agree.

Definitions (also printed in the CSV documentation, ``docs/end-of-day-csv.md``):

- scheduled: appointments booked ahead for the day (walk-ins excluded), any status;
- walk-ins: appointments marked walk-in;
- arrived: appointments whose patient was marked arrived (walk-ins included);
- no-show / cancelled / checked out / left without being seen: by final status;
- still in clinic: arrived, roomed or with the provider when the report was made;
- wait to room: arrival to rooming; wait to provider: rooming to the provider;
  minutes, average and 90th percentile (nearest rank) over visits with both times;
- copays: expected and collected, summed per payment method ("" = not collected).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ma_desk.reports.data import DayVisit

METHOD_LABELS = {"cash": "Cash", "card": "Card", "check": "Check", "": "Not collected"}


@dataclass(frozen=True)
class WaitStats:
    count: int
    average: float | None
    p90: float | None


@dataclass(frozen=True)
class ProviderCounts:
    provider: str
    scheduled: int
    walk_ins: int
    arrived: int
    no_show: int
    cancelled: int
    checked_out: int


@dataclass(frozen=True)
class CopayLine:
    method: str
    visits: int
    expected_cents: int
    collected_cents: int

    @property
    def label(self) -> str:
        return METHOD_LABELS.get(self.method, self.method)


@dataclass(frozen=True)
class DaySummary:
    scheduled: int
    walk_ins: int
    arrived: int
    no_show: int
    cancelled: int
    checked_out: int
    left_without_being_seen: int
    still_in_clinic: int
    per_provider: tuple[ProviderCounts, ...]
    wait_to_room: WaitStats
    wait_to_provider: WaitStats
    copays: tuple[CopayLine, ...]
    copay_expected_cents: int
    copay_collected_cents: int
    arrivals_by_hour: tuple[tuple[int, int], ...]


def minutes_between(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    minutes: float = round((end - start).total_seconds() / 60, 1)
    return minutes


def wait_to_room(v: DayVisit) -> float | None:
    return minutes_between(v.arrived_at, v.roomed_at)


def wait_to_provider(v: DayVisit) -> float | None:
    return minutes_between(v.roomed_at, v.provider_at)


def percentile_nearest_rank(values: Sequence[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def wait_stats(values: Iterable[float | None]) -> WaitStats:
    present = [v for v in values if v is not None]
    if not present:
        return WaitStats(0, None, None)
    return WaitStats(
        len(present), round(sum(present) / len(present), 1), percentile_nearest_rank(present, 90)
    )


def _counts(visits: Sequence[DayVisit]) -> dict[str, int]:
    status = Counter(v.status for v in visits)
    return {
        "scheduled": sum(1 for v in visits if not v.walk_in),
        "walk_ins": sum(1 for v in visits if v.walk_in),
        "arrived": sum(1 for v in visits if v.arrived_at is not None),
        "no_show": status["no_show"],
        "cancelled": status["cancelled"],
        "checked_out": status["checked_out"],
        "left_without_being_seen": status["left_without_being_seen"],
        "still_in_clinic": status["arrived"] + status["roomed"] + status["with_provider"],
    }


def summarise(visits: Sequence[DayVisit], providers: Sequence[str] = ()) -> DaySummary:
    counts = _counts(visits)
    names = list(dict.fromkeys([*providers, *sorted({v.provider for v in visits})]))
    per_provider = []
    for name in names:
        c = _counts([v for v in visits if v.provider == name])
        per_provider.append(ProviderCounts(name, c["scheduled"], c["walk_ins"], c["arrived"],
                                           c["no_show"], c["cancelled"], c["checked_out"]))  # fmt: skip
    copays = []
    for method in ("cash", "card", "check", ""):
        rows = [v for v in visits if v.copay_method == method]
        if method == "":
            rows = [v for v in rows if v.copay_expected_cents or v.copay_collected_cents]
        if rows or method:
            copays.append(CopayLine(method, len(rows), sum(v.copay_expected_cents for v in rows),
                                    sum(v.copay_collected_cents for v in rows)))  # fmt: skip
    hours = Counter(v.arrived_at.hour for v in visits if v.arrived_at is not None)
    span = range(min([7, *hours]), max([17, *hours]) + 1)
    return DaySummary(
        **counts,
        per_provider=tuple(per_provider),
        wait_to_room=wait_stats(wait_to_room(v) for v in visits),
        wait_to_provider=wait_stats(wait_to_provider(v) for v in visits),
        copays=tuple(copays),
        copay_expected_cents=sum(v.copay_expected_cents for v in visits),
        copay_collected_cents=sum(v.copay_collected_cents for v in visits),
        arrivals_by_hour=tuple((h, hours.get(h, 0)) for h in span),
    )
