"""The busy day the issue names (6 providers x 30 appointments) loads in one query and paints.

No timing asserts here (the machine is shared); ``python -m benchmarks --only
day_view`` measures. These tests check that the benchmark helper paints the
full day and that loading does not issue a query per row.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event

from ma_desk.db.models import Appointment, AppointmentType, Patient, Provider
from ma_desk.services.patients import mrn_for
from ma_desk.ui.schedule.benchmark import build_and_paint_day
from tests.conftest import NOW

DAY = NOW.date() + dt.timedelta(days=1)


def seed_busy_day(services, providers: int = 6, per_provider: int = 30) -> None:
    """Test setup straight into the store: 6 providers, 15-minute visits 08:00-15:30."""
    with services.ctx.db.write() as s:
        kinds = [AppointmentType(name=f"Type {i}", default_minutes=15, color=c)
                 for i, c in enumerate(["#aed6f1", "#f9e79f", "#a9dfbf"])]  # fmt: skip
        docs = [Provider(display_name=f"Dr. Bench {i}", color="#2e86c1") for i in range(providers)]
        s.add_all(kinds + docs)
        s.flush()
        patients = [
            Patient(mrn=mrn_for(10_000 + i), first_name=f"Pat{i}", last_name=f"Bench{i}",
                    dob=dt.date(1950 + i % 60, 1 + i % 12, 1 + i % 28), search_last=f"bench{i}",
                    search_first=f"pat{i}", created_at=NOW, updated_at=NOW)
            for i in range(providers * per_provider)
        ]  # fmt: skip
        s.add_all(patients)
        s.flush()
        for p_index, doc in enumerate(docs):
            for i in range(per_provider):
                start = dt.datetime.combine(DAY, dt.time(8)) + dt.timedelta(minutes=15 * i)
                s.add(Appointment(patient_id=patients[p_index * per_provider + i].id,
                                  provider_id=doc.id, type_id=kinds[i % 3].id, start=start,
                                  minutes=15, reason="Follow-up visit", created_at=NOW))  # fmt: skip


def test_busy_day_builds_and_paints_every_block(services, qapp):
    seed_busy_day(services)
    result = build_and_paint_day(services, DAY)
    assert result["appointments"] == 180 and result["lanes"] == 6 and result["painted"] == 1


def test_loading_a_day_is_one_query_not_one_per_row(services):
    seed_busy_day(services)
    statements: list[str] = []
    engine = services.ctx.db.engine

    def count(_conn, _cursor, statement, *_args):
        # The view's audit entry (written once per opening) reads the chain's head: not rows.
        if statement.lstrip().upper().startswith("SELECT") and "audit_" not in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        rows = services.schedule.day(DAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 180
    assert len(statements) == 1
