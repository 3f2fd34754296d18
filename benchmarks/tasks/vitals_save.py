"""Saving a set of vitals as the MA does at rooming: validation, rules, the set, its
observations and the audit entry, in one transaction (``services.vitals.save``).

Floor: one raw INSERT of a vital set in a transaction (BEGIN IMMEDIATE ...
COMMIT) on a raw SQLCipher connection with the store's own settings (WAL,
synchronous=FULL), so both pay the same commit to disk.
"""

from __future__ import annotations

import datetime as dt

from benchmarks.context import NotAvailable, RunContext
from benchmarks.data import BENCH_TODAY, NOW, Clinic
from benchmarks.harness import Result, Target, measure
from benchmarks.tasks.visit_summary import Cycle

TARGET = Target(limit=0.020, stat="p95")


def typical_form():
    """An adult's full set, typed the way US clinics type it (lb, °F)."""
    try:
        from ma_desk.clinical import units
        from ma_desk.clinical import vitals as v
    except ImportError as exc:
        raise NotAvailable(f"vitals rules ({exc})") from exc
    return v.VitalsForm(
        entries={
            v.HEIGHT: v.Entry("170", units.CM), v.WEIGHT: v.Entry("160", units.LB),
            v.PULSE: v.Entry("72"), v.RESPIRATORY_RATE: v.Entry("16"),
            v.TEMPERATURE: v.Entry("98.6", units.DEGF), v.SPO2: v.Entry("98"),
            v.PAIN: v.Entry("2"),
        },
        bp=(v.BPEntry("122/78"),),
    )  # fmt: skip


def adult_appointments(services, count: int) -> list[tuple[int, int]]:
    """(patient_id, appointment_id) of today's adult patients, in schedule order."""
    rows = [r for r in services.schedule.day(BENCH_TODAY) if r.patient_age >= 18]
    return [(r.patient_id, r.id) for r in rows][:count]


def floor_insert_function(clinic: Clinic):
    """A raw connection and ``patient_id -> None`` doing one INSERT in a transaction."""
    from ma_desk.db.engine import connect_raw
    from ma_desk.db.keys import StoreKey
    from ma_desk.db.models import VitalSet

    conn = connect_raw(clinic.store_path, StoreKey(bytes.fromhex(clinic.key_hex), "keyring"))
    values = {"visit_id": None, "status": "final", "taken_at": NOW.isoformat(" ") + ".000000"}
    for column in VitalSet.__table__.columns:  # every other NOT NULL column gets a blank
        if column.name not in values and not column.nullable and not column.primary_key:
            values[column.name] = 0 if column.type.python_type in (int, bool) else ""
    names = ["patient_id", *values]
    sql = (f"INSERT INTO vital_sets ({', '.join(names)}) "
           f"VALUES ({', '.join('?' for _ in names)})")  # fmt: skip
    rest = tuple(values.values())

    def insert(patient_id: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(sql, (patient_id, *rest))
        conn.execute("COMMIT")

    return conn, insert


def run(ctx: RunContext) -> list[Result]:
    form = typical_form()
    return [_measure(ctx.writable_clinic(size), form, ctx.reps(40, 8)) for size in ctx.sizes]


def _measure(clinic: Clinic, form, reps: int) -> Result:
    opened = clinic.open()
    try:
        services = clinic.services(opened)
        if not hasattr(services.vitals, "save"):
            raise NotAvailable("services.vitals.save")
        services.ctx.clock.set(NOW + dt.timedelta(minutes=5))
        current = Cycle(adult_appointments(services, 60))

        def save() -> None:
            patient_id, appointment_id = current.value
            services.vitals.save(patient_id, form, appointment_id=appointment_id)

        samples = measure(save, repeat=reps, setup=current.advance)
        conn, insert = floor_insert_function(clinic)
        try:
            floor = measure(lambda: insert(current.value[0]), repeat=reps, setup=current.advance)
        finally:
            conn.close()
    finally:
        opened.db.close()
    return Result("vitals save (validated, audited)", clinic.size.display, samples, floor,
                  target=TARGET)  # fmt: skip
