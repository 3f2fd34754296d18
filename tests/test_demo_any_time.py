"""The demo clinic builds whatever the clock says: its days and visits move with "now".

CI failed once when ``ma-desk demo`` ran at a minute where two demo visits were roomed in
the same room at the same time while one was still in it (sorting None against a time).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from ma_desk.actor import Actor
from ma_desk.clock import FixedClock
from ma_desk.db.models import ChecklistRun, Patient
from ma_desk.demo import build_demo
from ma_desk.services import Services

pytestmark = pytest.mark.both_stores

# 08:41 on 2026-11-24 is the minute that failed; the others walk through a clinic day and
# its edges (midnight, opening, lunch, closing, late evening).
TIMES = [
    dt.datetime(2026, 11, 24, 8, 41),
    dt.datetime(2026, 11, 24, 0, 0),
    dt.datetime(2026, 11, 24, 7, 45),
    dt.datetime(2026, 11, 24, 12, 30),
    dt.datetime(2026, 11, 24, 17, 5),
    dt.datetime(2026, 11, 29, 23, 59),
]


@pytest.mark.parametrize("now", TIMES, ids=lambda t: t.strftime("%a-%H%M"))
def test_the_demo_builds_at_any_minute(services, now):
    summary = build_demo(Services(services.ctx.db, FixedClock(now), actor=Actor.system()),
                         patients=60, seed=7)  # fmt: skip
    assert summary.patients == 60
    with services.ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == 60
        assert s.scalar(select(func.count()).select_from(ChecklistRun)) > 0
