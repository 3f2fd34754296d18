"""Filling the grid model from the services: one joined query plus one flag lookup."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ma_desk.errors import MADeskError
from ma_desk.ui.schedule.grid_model import Lane, ScheduleGridModel

if TYPE_CHECKING:
    from ma_desk.services import Services


def week_start(day: dt.date) -> dt.date:
    """The Monday of the day's week."""
    return day - dt.timedelta(days=day.weekday())


def load_book(
    model: ScheduleGridModel,
    services: Services,
    *,
    day: dt.date,
    provider_ids: list[int] | None = None,
    week_provider_id: int | None = None,
    show_inactive: bool = True,
    providers: list | None = None,
    clinic=None,
) -> list:
    """Day view (a lane per chosen provider) or week view (a lane per day for one provider).

    ``providers`` and ``clinic`` (settings) may be passed in when the caller keeps
    them, saving two queries per day switch. Returns the rows loaded.
    """
    providers = services.schedule.providers() if providers is None else providers
    clinic = services.settings.get() if clinic is None else clinic
    if week_provider_id is not None:
        provider = next((p for p in providers if p.id == week_provider_id), None)
        if provider is None:
            providers_shown = []
            rows = []
        else:
            first = week_start(day)
            providers_shown = [provider]
            rows = services.schedule.week(provider.id, first)
        lanes = [Lane(week_start(day) + dt.timedelta(days=i), p)
                 for p in providers_shown for i in range(7)]  # fmt: skip
    else:
        chosen = [p for p in providers if provider_ids is None or p.id in provider_ids]
        lanes = [Lane(day, p) for p in chosen]
        rows = services.schedule.day(day, [p.id for p in chosen] or None) if chosen else []
    try:
        flags = services.insurance.verification_flags(sorted({r.patient_id for r in rows}))
    except MADeskError:
        flags = {}
    model.load(lanes, rows, slot_minutes=clinic.slot_minutes, opens=clinic.opens,
               closes=clinic.closes, insurance_flags=flags, show_inactive=show_inactive)  # fmt: skip
    return rows
