"""Several workstations on one real clinic server see each other's commits live.

Each workstation is its own engine (its own pool) on the same PostgreSQL
database, as two computers at the desk and at the nurses' station would be, and
its own listener (a dedicated LISTEN connection). Nothing waits a fixed time:
each test waits for a condition with a deadline.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import text

from ma_desk.actor import Actor
from ma_desk.clinical import flow
from ma_desk.clinical import vitals as v
from ma_desk.db.listener import TABLE_AREAS, ChangeListener, areas_for
from ma_desk.db.models import Room
from ma_desk.db.server import ServerDatabase, make_server_engine
from ma_desk.db.server_setup import WATCHED_TABLES
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services import Services
from ma_desk.ui.checkin.tab import CheckinTab
from ma_desk.ui.live import install_live_updates
from ma_desk.ui.schedule.tab import ScheduleTab
from ma_desk.ui.selection import Selection
from tests.conftest import NOW

LIVE_DEADLINE_S = 1.0  # the promise: a commit shows on the others within one second
CRITICAL_SET = v.VitalsForm(entries={v.SPO2: v.Entry("87")}, bp=(v.BPEntry("184/122"),))


def wait_for(condition: Callable[[], object], timeout: float = LIVE_DEADLINE_S) -> object:
    """Poll ``condition`` until it is truthy; fail at the deadline (no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.005)


def server_url(db: ServerDatabase) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def another_workstation(db: ServerDatabase) -> ServerDatabase:
    """A second computer on the same clinic server: its own engine and pool."""
    url = server_url(db)
    return ServerDatabase(make_server_engine(url), url)


def signed_in(db: ServerDatabase, clock, username: str) -> Services:
    services = Services(db, clock, actor=Actor.system())
    services.accounts.sign_in(username, DEMO_PASSWORD)
    return services


@dataclass
class Clinic:
    desk: Services  # the front desk's workstation
    station: Services  # the nurses' station (MA)
    provider: Services  # the provider's screen


@pytest.fixture
def clinic(pg_database, clock) -> Iterator[Clinic]:
    first = pg_database("demo")
    others = [another_workstation(first), another_workstation(first)]
    try:
        yield Clinic(signed_in(first, clock, "frontdesk"), signed_in(others[0], clock, "ma"),
                     signed_in(others[1], clock, "provider"))  # fmt: skip
    finally:
        for db in others:
            db.close()


class Heard:
    """What one workstation's listener reported, as a queue the test reads."""

    def __init__(self, db: ServerDatabase) -> None:
        self.changes: queue.Queue[tuple[float, frozenset[str]]] = queue.Queue()
        self.events: list[str] = []
        self.listener = ChangeListener(
            db.engine,
            on_changes=lambda areas: self.changes.put((time.monotonic(), areas)),
            on_lost=lambda: self.events.append("lost"),
            on_back=lambda: self.events.append("back"),
            ping=db.ping,
        )

    def __enter__(self) -> Heard:
        self.listener.start()
        assert self.listener.connected.wait(10), "the listener never connected"
        return self

    def __exit__(self, *_exc) -> None:
        self.listener.stop()

    def next(self, timeout: float = LIVE_DEADLINE_S) -> tuple[float, frozenset[str]]:
        return self.changes.get(timeout=timeout)


def scheduled_today(services: Services):
    return [r for r in services.schedule.day(NOW.date()) if r.status == flow.SCHEDULED]


def arrived_adult(services: Services):
    return next(r for r in services.schedule.day(NOW.date())
                if r.status == flow.ARRIVED and r.visit_id and r.patient_age >= 20)  # fmt: skip


# ------------------------------------------------------------------ pure parts
def test_every_watched_table_feeds_a_screen_area():
    assert set(TABLE_AREAS) == set(WATCHED_TABLES)
    assert areas_for(["visits", "vital_sets", "audit_events"]) == {"schedule", "vitals"}
    assert areas_for([]) == frozenset()


def test_the_server_has_one_statement_trigger_per_watched_table(pg_database):
    db = pg_database("empty")
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT event_object_table, action_orientation FROM information_schema.triggers "
            "WHERE starts_with(trigger_name, 'ma_desk_notify_')"
        )).all()  # fmt: skip
    assert {table for table, _ in rows} == set(WATCHED_TABLES)
    assert {orientation for _, orientation in rows} == {"STATEMENT"}


# ------------------------------------------------------------------ two services, one server
def test_an_arrival_at_the_desk_reaches_the_station_within_a_second(clinic):
    appt = scheduled_today(clinic.desk)[0]
    with Heard(clinic.station.ctx.db) as heard:
        committed = time.monotonic()
        clinic.desk.schedule.transition(appt.id, flow.ARRIVED)
        at, areas = heard.next()
    assert "schedule" in areas
    assert at - committed < LIVE_DEADLINE_S
    assert clinic.station.schedule.get(appt.id).status == flow.ARRIVED


def test_rolled_back_work_and_reads_notify_nobody(clinic):
    """A refused save and any number of reads (each audited) send nothing; the next commit
    is the first thing heard."""
    appt = scheduled_today(clinic.desk)[0]
    with Heard(clinic.station.ctx.db) as heard:
        with pytest.raises(RuntimeError), clinic.desk.ctx.db.write() as s:
            s.get(Room, 1).name = "Renamed then rolled back"
            s.flush()
            raise RuntimeError("the save failed half-way")
        clinic.desk.schedule.flow_board()
        clinic.desk.patients.search("smith")
        clinic.desk.schedule.transition(appt.id, flow.CONFIRMED)
        _at, areas = heard.next()
    assert areas == {"schedule"}


def test_one_transaction_over_several_tables_is_heard_as_one_burst(clinic):
    """Rooming touches appointments, visits, status changes and rooms in one commit."""
    appt = scheduled_today(clinic.desk)[0]
    room = next(r for r in clinic.desk.rooms.board() if r.state == "ready")
    clinic.desk.schedule.transition(appt.id, flow.ARRIVED)
    with Heard(clinic.station.ctx.db) as heard:
        clinic.desk.schedule.transition(appt.id, flow.ROOMED, room_id=room.id)
        areas: set[str] = set()
        wait_for(lambda: areas.update(heard.next()[1]) or {"schedule", "rooms"} <= areas)


def test_a_critical_vital_saved_by_the_ma_shows_on_the_providers_flow_board(clinic):
    appt = arrived_adult(clinic.station)
    before = {f.appointment.id: f.critical for f in clinic.provider.schedule.flow_board()}
    assert before[appt.id] == ""
    with Heard(clinic.provider.ctx.db) as heard:
        clinic.station.vitals.save(appt.patient_id, CRITICAL_SET, appointment_id=appt.id,
                                   acknowledge_critical=True)  # fmt: skip
        _at, areas = heard.next()
    assert "vitals" in areas
    row = next(f for f in clinic.provider.schedule.flow_board() if f.appointment.id == appt.id)
    assert "Hypertensive crisis" in row.critical and "SpO2" in row.critical


def test_several_workstations_each_hear_every_other(clinic):
    everyone = [clinic.desk, clinic.station, clinic.provider]
    appts = scheduled_today(clinic.desk)[:3]
    listeners = [Heard(s.ctx.db) for s in everyone]
    for heard in listeners:
        heard.__enter__()
    try:
        for writer, appt in zip(everyone, appts, strict=True):
            writer.schedule.transition(appt.id, flow.CONFIRMED)
            for heard in listeners:
                assert "schedule" in heard.next()[1]
    finally:
        for heard in listeners:
            heard.__exit__()


# ------------------------------------------------------------------ real widgets
@dataclass
class Desk:
    """One workstation's window parts: a selection, its live updates, its tabs."""

    services: Services
    selection: Selection
    schedule: ScheduleTab
    checkin: CheckinTab
    live: object
    host: QWidget  # owns the selection and the live updates


def open_desk(qtbot, services: Services) -> Desk:
    host = QWidget()
    qtbot.addWidget(host)
    selection = Selection(host)
    live, _banner = install_live_updates(selection, services.store, host)
    schedule = ScheduleTab(services, selection)
    checkin = CheckinTab(services, selection)
    for widget in (schedule, checkin):
        # Deleted when qtbot closes it: its refresh timer must not outlive the test's
        # database and selection (it fired in a later test once: "Signal source has been
        # deleted" after the database was dropped).
        widget.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        qtbot.addWidget(widget)
        widget.resize(1400, 800)
        widget.show()
    qtbot.waitUntil(live.listener.connected.is_set, timeout=10_000)
    return Desk(services, selection, schedule, checkin, live, host)


def board_status(desk: Desk, appointment_id: int) -> str | None:
    rows = desk.schedule.flow_board.model.rows()
    return next((f.appointment.status for f in rows if f.appointment.id == appointment_id), None)


def test_an_arrival_keyed_at_the_desk_shows_on_the_stations_board_keeping_its_work(qtbot, clinic):
    desk = open_desk(qtbot, clinic.desk)
    station = open_desk(qtbot, clinic.station)
    try:
        # The station is busy: a patient chosen on its flow board, a registration half typed.
        in_clinic = station.schedule.flow_board.model.rows()
        chosen = in_clinic[len(in_clinic) // 2].appointment
        station.selection.select_appointment(chosen.id, chosen.patient_id)
        station.checkin.start_registration()
        station.checkin.registration.form.set_value("last_name", "Halfway-Typed")
        station.checkin.run_search()
        waiting = scheduled_today(clinic.desk)[0]
        assert board_status(station, waiting.id) is None
        # The desk arrives a patient with its keyboard.
        desk.schedule.activateWindow()
        qtbot.waitUntil(desk.schedule.isActiveWindow)  # single-key shortcuts need it
        desk.schedule.grid.select_cell(*_cell(desk.schedule, waiting.id))
        desk.schedule.grid.setFocus()
        qtbot.keyClick(desk.schedule.grid, Qt.Key.Key_A)
        assert clinic.desk.schedule.get(waiting.id).status == flow.ARRIVED
        qtbot.waitUntil(lambda: board_status(station, waiting.id) == flow.ARRIVED,
                        timeout=int(LIVE_DEADLINE_S * 1000))  # fmt: skip
        hits = {h.id: h.appointment_status for h in station.checkin.model.rows()}
        qtbot.waitUntil(
            lambda: {h.id: h.appointment_status for h in station.checkin.model.rows()}.get(
                waiting.patient_id) == flow.ARRIVED, timeout=int(LIVE_DEADLINE_S * 1000))  # fmt: skip
        assert hits  # the station's check-in list shows today's patients
        # Nothing the station was doing moved.
        assert station.selection.appointment_id == chosen.id
        assert station.schedule.flow_board.selected_row().appointment.id == chosen.id
        assert station.schedule.current_id == chosen.id
        assert station.checkin.registration.form.value("last_name") == "Halfway-Typed"
        assert station.checkin.stack.currentWidget() is station.checkin.registration
    finally:
        desk.live.stop()
        station.live.stop()


def test_a_critical_vital_appears_on_the_providers_board_widget(qtbot, clinic):
    office = open_desk(qtbot, clinic.provider)
    try:
        appt = arrived_adult(clinic.station)
        critical_column = _column(office.schedule.flow_board, "Critical")
        clinic.station.vitals.save(appt.patient_id, CRITICAL_SET, appointment_id=appt.id,
                                   acknowledge_critical=True)  # fmt: skip

        def shown(role=Qt.ItemDataRole.DisplayRole) -> str:
            board = office.schedule.flow_board
            for row, f in enumerate(board.model.rows()):
                if f.appointment.id == appt.id:
                    return board.model.index(row, critical_column).data(role) or ""
            return ""

        qtbot.waitUntil(lambda: "CRITICAL" in shown(), timeout=int(LIVE_DEADLINE_S * 1000))
        assert "Hypertensive crisis" in shown(Qt.ItemDataRole.ToolTipRole)  # the values
        assert "critical" in office.schedule.flow_board.header.text()
    finally:
        office.live.stop()


def test_a_scrolled_board_stays_scrolled_across_a_live_refresh(qtbot, clinic):
    station = open_desk(qtbot, clinic.station)
    try:
        grid = station.schedule.grid
        grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum() // 2)
        where = grid.verticalScrollBar().value()
        assert where > 0
        refreshed: list[object] = []
        station.selection.remote_changed.connect(refreshed.append)
        clinic.desk.schedule.transition(scheduled_today(clinic.desk)[0].id, flow.CONFIRMED)
        qtbot.waitUntil(lambda: bool(refreshed), timeout=int(LIVE_DEADLINE_S * 1000))
        assert grid.verticalScrollBar().value() == where
    finally:
        station.live.stop()


def _cell(tab: ScheduleTab, appointment_id: int) -> tuple[int, int]:
    block = tab.model.block_of(appointment_id)
    assert block is not None
    return block.row, block.column


def _column(board, title: str) -> int:
    model = board.model
    return next(c for c in range(model.columnCount())
                if model.headerData(c, Qt.Orientation.Horizontal) == title)  # fmt: skip


def test_the_single_workstation_store_has_no_listener(qtbot, demo_services):
    host = QWidget()
    qtbot.addWidget(host)
    assert install_live_updates(Selection(host), demo_services.store, host) == (None, None)
