"""Demo clinic: a few patients on the waitlist who would take an earlier slot."""

from __future__ import annotations

import datetime as dt
import random

from ma_desk.services import Services

DEMO_NOTES = [
    "Wants an earlier visit; can come on short notice",
    "Mornings only (works afternoons)",
    "Prefers the same provider",
    "Call cell first",
]


def seed_demo_waitlist(services: Services, rng: random.Random) -> None:
    """A few demo patients booked later this week who would take an earlier slot."""
    today = services.ctx.clock.now().date()
    later = services.schedule.range(today + dt.timedelta(days=3), today + dt.timedelta(days=8))
    seen: set[int] = set()
    for row in rng.sample(later, min(len(later), 12)):
        if len(seen) == 4 or row.patient_id in seen or not row.is_active:
            continue
        seen.add(row.patient_id)
        morning = rng.random() < 0.5
        services.waitlist.add(
            patient_id=row.patient_id,
            provider_id=row.provider_id if rng.random() < 0.7 else None,
            type_id=row.type_id,
            preferred_days="01234",
            preferred_from=dt.time(8) if morning else None,
            preferred_to=dt.time(12) if morning else None,
            note=DEMO_NOTES[len(seen) - 1],
        )
