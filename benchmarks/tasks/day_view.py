"""The Schedule tab loading and painting a day of 6 providers x 30 appointments.

Each sample switches the tab (shown offscreen, 1400 x 860) from another day
to the benchmark day and paints it: the service query, the Qt model and the
paint. Floor: one raw SQLCipher query for the same appointments, put in a
QStandardItemModel and painted by a bare QTableView of the same size.
"""

from __future__ import annotations

import datetime as dt

import sqlcipher3

from benchmarks.context import NotAvailable, RunContext
from benchmarks.data import BENCH_TODAY, PROVIDERS_TOTAL, TODAY_PER_PROVIDER
from benchmarks.harness import Result, Target, measure
from benchmarks.qt import application

TARGET = Target(limit=0.100, stat="p95")
OTHER_DAY = BENCH_TODAY - dt.timedelta(days=7)
FLOOR_SQL = """
SELECT a.start, pr.display_name, p.last_name || ', ' || p.first_name, p.dob, t.name, a.reason,
       a.status, coalesce(r.name, '')
FROM appointments a JOIN patients p ON p.id = a.patient_id
JOIN providers pr ON pr.id = a.provider_id JOIN appointment_types t ON t.id = a.type_id
LEFT JOIN rooms r ON r.id = a.room_id LEFT JOIN visits v ON v.appointment_id = a.id
WHERE a.start >= ? AND a.start < ? ORDER BY a.start, a.provider_id
"""


def _schedule_tab(services, selection):
    try:
        from ma_desk.ui.schedule.tab import ScheduleTab
    except ImportError as exc:
        raise NotAvailable(f"Schedule tab ({exc})") from exc
    tab = ScheduleTab(services, selection)
    if not hasattr(tab, "set_day"):
        raise NotAvailable("ScheduleTab.set_day")
    return tab


def run(ctx: RunContext) -> list[Result]:
    return [_measure(ctx.clinic(size), ctx.reps(30, 6)) for size in ctx.sizes]


def _measure(clinic, reps: int) -> Result:
    from ma_desk.ui.selection import Selection

    app = application()
    opened = clinic.open()
    try:
        services = clinic.services(opened)
        count = len(services.schedule.day(BENCH_TODAY))
        if count != PROVIDERS_TOTAL * TODAY_PER_PROVIDER:
            raise RuntimeError(f"the benchmark day has {count} appointments, not 180")
        tab = _schedule_tab(services, Selection())
        tab.resize(1400, 860)
        tab.show()
        app.processEvents()

        def show_day() -> None:
            tab.set_day(BENCH_TODAY)
            app.processEvents()
            tab.repaint()

        samples = measure(show_day, repeat=reps, setup=lambda: tab.set_day(OTHER_DAY))
        tab.close()
        tab.deleteLater()
        app.processEvents()
        floor = _floor(clinic, app, reps)
    finally:
        opened.db.close()
    return Result("day view: 6 providers x 30", clinic.size.display, samples, floor,
                  target=TARGET)  # fmt: skip


def _floor(clinic, app, reps: int) -> list[float]:
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QTableView

    conn = sqlcipher3.connect(f"file:{clinic.store_path.as_posix()}?mode=ro", uri=True)
    conn.execute(f"PRAGMA key = \"x'{clinic.key_hex}'\"")
    view = QTableView()
    view.resize(1400, 860)
    view.show()
    start = dt.datetime.combine(BENCH_TODAY, dt.time())
    bounds = (start.isoformat(" "), (start + dt.timedelta(days=1)).isoformat(" "))
    if len(conn.execute(FLOOR_SQL, bounds).fetchall()) != PROVIDERS_TOTAL * TODAY_PER_PROVIDER:
        raise RuntimeError("the floor query does not see the benchmark day")

    def show_day() -> None:
        rows = conn.execute(FLOOR_SQL, bounds).fetchall()
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
