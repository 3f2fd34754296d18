"""The same daily tasks on a clinic server (PostgreSQL), beside the SQLCipher figures.

Starts its own durable PostgreSQL cluster (benchmarks/pg.py), moves each benchmark
clinic onto it with ``migrate-to-server``'s code (timed: one row of the table), then
measures, each against its floor on the same server in the same run:

- search: ``services.patients.search`` per keystroke; floor: the best single indexed
  query for that keystroke on a bare psycopg connection;
- day view: the Schedule tab switching to the 6 x 30 day; floor: one raw joined query
  (psycopg) into a ``QStandardItemModel`` painted by a bare ``QTableView``;
- vitals save: ``services.vitals.save``; floor: one raw INSERT and COMMIT (psycopg).

The workstation and the server share this machine and talk over the Unix socket:
the figures are the app's and PostgreSQL's work, not a LAN's round trips.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import partial

from benchmarks import pg
from benchmarks.bench_search import typed_queries
from benchmarks.context import RunContext
from benchmarks.data import BENCH_TODAY, NOW, PROVIDERS_TOTAL, TODAY_PER_PROVIDER
from benchmarks.harness import Result, Samples, Target, measure, measure_each
from benchmarks.qt import application
from benchmarks.tasks import day_view, search, vitals_save
from benchmarks.tasks.visit_summary import Cycle

ON_SERVER = "PostgreSQL"
# The interactive actions keep their single-workstation targets under 10 concurrent ones.
DAY_TARGETS = {"search": Target(limit=0.020, stat="p95"),
               "vitals save": vitals_save.TARGET}  # fmt: skip


def run(ctx: RunContext) -> list[Result]:
    results: list[Result] = []
    with pg.clinic_server() as cluster:
        for size in ctx.sizes:
            loaded = pg.load_clinic(cluster, ctx.clinic(size), ctx.log)
            display = f"{size.display}, {ON_SERVER}"
            results.append(Result("move to server (migrate-to-server)", display,
                                  [loaded.move_seconds],
                                  note=f"{loaded.rows:,} rows"))  # fmt: skip
            services = pg.server_services(loaded.url)
            try:
                results += _search(services, loaded.url, display, ctx)
                results.append(_day_view(services, loaded.url, display, ctx.reps(30, 6)))
                results.append(_vitals_save(services, loaded.url, display, ctx.reps(40, 8)))
            finally:
                services.ctx.db.close()
            results += _clinic_day(loaded.url, display, ctx)
    return results


# ------------------------------------------------------------------ 10 workstations
def _clinic_day(url: str, display: str, ctx: RunContext) -> list[Result]:
    """The simulated day (benchmarks/clinic_day.py): p95 of every action, lost updates."""
    from benchmarks import clinic_day

    day = clinic_day.simulate(url, rounds=ctx.reps(15, 3), seed=ctx.seed)
    where = f"{display}, {clinic_day.WORKSTATIONS} workstations"
    results = [Result(f"clinic day: {name}", where, day.timings.get(name, []),
                      target=DAY_TARGETS.get(name))
               for name in clinic_day.ACTIONS]  # fmt: skip
    verdict = (f"lost updates {day.lost_updates}, MRNs {'unique' if day.mrns_unique else 'DUPLICATED'}"
               f", audit chain {'verifies' if not day.chain_problems else 'BROKEN'}"
               f", {len(day.errors)} failed actions")  # fmt: skip
    results.append(Result("clinic day: whole day", where, [day.wall_seconds], note=verdict,
                          target=None if day.lost_updates == 0 else Target(limit=0.0)))  # fmt: skip
    for error in day.errors[:5]:
        ctx.log(f"clinic day: {error}")
    return results


# ------------------------------------------------------------------ search
def _pg_floor(text: str) -> tuple[str, tuple] | None:
    """The SQLCipher floor query for ``text``, in PostgreSQL's spelling."""
    query = search.floor_query(text)
    if query is None:
        return None
    sql, params = query
    return sql.replace("active = 1", "active").replace("?", "%s"), params


def _search(services, url: str, display: str, ctx: RunContext) -> list[Result]:
    typed = typed_queries(services, ctx.reps(40, 8), random.Random(ctx.seed * 101 + 5))
    conn = pg.raw_connection(url)
    conn.autocommit = True
    try:
        app_all, floor_all = Samples(), Samples()
        for texts in typed.values():
            texts = [t for t in texts if _pg_floor(t) is not None]
            app = measure_each(services.patients.search, texts, rounds=1)
            floor = measure_each(partial(_fetch, conn), [_pg_floor(t) for t in texts], rounds=1)
            app_all += app
            app_all.cpu += app.cpu
            floor_all += floor
    finally:
        conn.close()
    return [Result("search: every keystroke", display, app_all, floor_all, target=search.TARGET)]


def _fetch(conn, query: tuple[str, tuple]) -> list:
    return conn.execute(query[0], query[1]).fetchall()


# ------------------------------------------------------------------ day view
def _day_view(services, url: str, display: str, reps: int) -> Result:
    from ma_desk.ui.selection import Selection

    app = application()
    count = len(services.schedule.day(BENCH_TODAY))
    if count != PROVIDERS_TOTAL * TODAY_PER_PROVIDER:
        raise RuntimeError(f"the benchmark day has {count} appointments on the server, not 180")
    tab = day_view._schedule_tab(services, Selection())
    tab.resize(1400, 860)
    tab.show()
    app.processEvents()

    def show_day() -> None:
        tab.set_day(BENCH_TODAY)
        app.processEvents()
        tab.repaint()

    samples = measure(show_day, repeat=reps, setup=lambda: tab.set_day(day_view.OTHER_DAY))
    _dispose(tab, app)
    return Result("day view: 6 providers x 30", display, samples, _day_floor(url, app, reps),
                  target=day_view.TARGET)  # fmt: skip


def _dispose(widget, app) -> None:
    """Delete the tab now: its refresh timer must not fire after the server is gone."""
    from PySide6.QtCore import QEvent

    widget.close()
    widget.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()


def _day_floor(url: str, app, reps: int) -> list[float]:
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    conn = pg.raw_connection(url)
    conn.autocommit = True
    sql = day_view.FLOOR_SQL.replace("?", "%s")
    start = dt.datetime.combine(BENCH_TODAY, dt.time())
    bounds = (start, start + dt.timedelta(days=1))
    if len(conn.execute(sql, bounds).fetchall()) != PROVIDERS_TOTAL * TODAY_PER_PROVIDER:
        raise RuntimeError("the floor query does not see the benchmark day on the server")
    view = QTableView()
    view.resize(1400, 860)
    view.show()

    def show_day() -> None:
        rows = conn.execute(sql, bounds).fetchall()
        model = QStandardItemModel(len(rows), 8)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                model.setItem(i, j, QStandardItem(str(value)))
        view.setModel(model)
        app.processEvents()
        view.repaint()

    try:
        return measure(show_day, repeat=reps, setup=lambda: view.setModel(None))
    finally:
        view.close()
        view.deleteLater()
        conn.close()


# ------------------------------------------------------------------ vitals save
def _vitals_save(services, url: str, display: str, reps: int) -> Result:
    form = vitals_save.typical_form()
    services.ctx.clock.set(NOW + dt.timedelta(minutes=5))
    current = Cycle(vitals_save.adult_appointments(services, 60))

    def save() -> None:
        patient_id, appointment_id = current.value
        services.vitals.save(patient_id, form, appointment_id=appointment_id)

    samples = measure(save, repeat=reps, setup=current.advance)
    conn, insert = _floor_insert(url)
    try:
        floor = measure(lambda: insert(current.value[0]), repeat=reps, setup=current.advance)
    finally:
        conn.close()
    return Result("vitals save (validated, audited)", display, samples, floor,
                  target=vitals_save.TARGET)  # fmt: skip


def _floor_insert(url: str):
    """A bare connection and ``patient_id -> None``: one INSERT of a vital set, COMMIT."""
    from ma_desk.db.models import VitalSet

    conn = pg.raw_connection(url)
    values: dict[str, object] = {"patient_id": 0, "visit_id": None, "status": "final",
                                 "taken_at": NOW}  # fmt: skip
    for column in VitalSet.__table__.columns:  # every other NOT NULL column gets a blank
        if column.name not in values and not column.nullable and not column.primary_key:
            python_type = column.type.python_type
            values[column.name] = python_type() if python_type in (int, bool, str) else NOW
    names = list(values)
    sql = (f"INSERT INTO vital_sets ({', '.join(names)}) "
           f"VALUES ({', '.join('%s' for _ in names)})")  # fmt: skip
    rest = tuple(values.values())[1:]

    def insert(patient_id: int) -> None:
        conn.execute(sql, (patient_id, *rest))
        conn.commit()

    return conn, insert
