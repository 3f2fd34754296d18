"""The clinic server stops mid-session and starts again: no crash, no lost input, no restart.

These tests stop the real PostgreSQL server of the run (tests/pg_cluster.py) with
``pg_ctl -m immediate`` (as a power cut would) and start it again; a ``finally``
always starts it, so the tests after them find it running. pytest-qt fails a test
on any exception that reaches the event loop, which is what a crash would be.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select

from ma_desk.actor import Actor
from ma_desk.clinical import flow
from ma_desk.db.models import Patient
from ma_desk.errors import ServerUnavailableError
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services import Services
from ma_desk.ui.main_window import MainWindow
from tests.conftest import NOW
from tests.test_server_live import Heard, another_workstation, wait_for

OUTAGE_DEADLINE_S = 15  # noticing a dead server, and getting back after a restart
OUTAGE_DEADLINE_MS = OUTAGE_DEADLINE_S * 1000
NEW_PATIENT = ("Outagetest", "Zephyrine", "03/14/1990")


class PowerSwitch:
    """Stops and starts the run's real server; remembers which, so a test that fails
    half-way still leaves it running for the tests after it."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self.down = False

    def stop(self) -> None:
        self.down = True
        self.cluster.stop()

    def start(self) -> None:
        self.cluster.start()
        self.down = False


@pytest.fixture
def server_down(pg_cluster) -> Iterator[PowerSwitch]:
    """``server_down.stop()`` / ``.start()``; the server is running again afterwards."""
    switch = PowerSwitch(pg_cluster)
    yield switch
    if switch.down:
        switch.start()


def registered(services: Services, last_name: str) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).where(Patient.last_name == last_name))


# ------------------------------------------------------------------ the listener alone
def test_the_listener_reports_the_outage_and_the_return_then_hears_again(
    pg_database, clock, server_down
):
    db = pg_database("demo")
    writer = another_workstation(db)
    try:
        desk = Services(writer, clock, actor=Actor.system())
        with Heard(db) as heard:
            server_down.stop()
            wait_for(lambda: "lost" in heard.events, OUTAGE_DEADLINE_S)
            with pytest.raises(ServerUnavailableError, match="cannot be reached"):
                desk.schedule.day(NOW.date())
            server_down.start()
            wait_for(lambda: heard.events == ["lost", "back"], OUTAGE_DEADLINE_S)
            assert heard.listener.connected.is_set()
            appt = next(r for r in desk.schedule.day(NOW.date()) if r.status == flow.SCHEDULED)
            desk.schedule.transition(appt.id, flow.CONFIRMED)
            while "schedule" not in heard.next()[1]:
                pass
    finally:
        writer.close()


# ------------------------------------------------------------------ a whole window
@pytest.fixture
def window(qtbot, pg_database, clock, tmp_path) -> Iterator[MainWindow]:
    db = pg_database("demo")
    services = Services(db, clock, actor=Actor.system())
    services.accounts.sign_in("frontdesk", DEMO_PASSWORD)
    win = MainWindow(services, store_label="clinic server", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(win)
    with qtbot.waitActive(win):
        win.show()
        win.activateWindow()
    qtbot.waitUntil(win.live.listener.connected.is_set, timeout=OUTAGE_DEADLINE_MS)
    yield win
    win.live.stop()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)


def test_a_server_restart_mid_registration_keeps_the_form_and_reconnects_by_itself(
    qtbot, window, server_down
):
    services = window.services
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    checkin = window.tab_widgets[1]
    schedule = window.tab_widgets[0]
    board_before = [f.appointment.id for f in schedule.flow_board.model.rows()]
    assert board_before
    last, first, dob = NEW_PATIENT
    checkin.search.setFocus()
    qtbot.keyClicks(checkin.search, f"{last}, {first}")
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = checkin.registration.form
    assert QApplication.focusWidget() is form.editors["dob"]
    qtbot.keyClicks(form.editors["dob"], dob)
    refreshes: list[object] = []
    window.selection.remote_changed.connect(refreshes.append)

    server_down.stop()
    qtbot.waitUntil(window.server_banner.isVisible, timeout=OUTAGE_DEADLINE_MS)
    assert "Reconnecting to the clinic server" in window.server_banner.label.text()

    # Saving is refused in words; the form keeps every character; nothing is queued.
    press(qtbot, Qt.Key.Key_Return)
    message = checkin.registration.form_message.text()
    assert "cannot be reached" in message and "Nothing was saved" in message
    assert checkin.stack.currentWidget() is checkin.registration
    assert (form.value("last_name"), form.value("first_name"), form.value("dob")) == NEW_PATIENT
    # The timers' refreshes meet the dead server: the screens keep what they showed.
    schedule.refresh()
    checkin.run_search()
    window.tab_widgets[3].reload()  # the room board
    window.session.refresh_emergency()
    assert [f.appointment.id for f in schedule.flow_board.model.rows()] == board_before
    assert window.server_banner.isVisible()

    server_down.start()
    qtbot.waitUntil(lambda: not window.server_banner.isVisible(), timeout=OUTAGE_DEADLINE_MS)
    qtbot.waitUntil(lambda: None in refreshes, timeout=OUTAGE_DEADLINE_MS)  # a full refresh
    assert registered(services, last) == 0  # the refused save was not kept for later
    form.editors["dob"].setFocus()
    press(qtbot, Qt.Key.Key_Return)  # the same form, saved again by the user
    assert registered(services, last) == 1
    assert checkin.stack.currentWidget() is not checkin.registration


def test_the_single_workstation_window_has_no_banner(qtbot, demo_services, tmp_path):
    win = MainWindow(demo_services, store_label="file", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(win)
    assert win.live is None and win.server_banner is None


def test_a_known_error_that_escapes_a_slot_is_shown_not_crashed(
    qtbot, demo_services, tmp_path, monkeypatch
):
    """The last line of defence: a MADeskError reaching the event loop (sys.excepthook) goes
    to the window's status bar (or the banner), never to the crash dialog."""
    import sys

    from ma_desk.errors import ValidationError
    from ma_desk.ui.crash import CrashSignal

    monkeypatch.setenv("MA_DESK_NO_CRASH_DIALOG", "1")  # the dialog itself is not under test
    win = MainWindow(demo_services, store_label="file", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(win)
    hook = CrashSignal(win)
    crashes: list[str] = []
    hook.crashed.connect(crashes.append)
    hook.known_error.connect(win.selection.report_error)
    hook.install()
    try:
        refused = ValidationError("That date is not a clinic day.")
        sys.excepthook(type(refused), refused, None)
        down = ServerUnavailableError("The clinic server cannot be reached.")
        sys.excepthook(type(down), down, None)
        assert crashes == []
        assert win.statusBar().currentMessage() == "The clinic server cannot be reached."
        bug = KeyError("a bug")
        sys.excepthook(type(bug), bug, None)
        assert len(crashes) == 1 and "KeyError" in crashes[0]
    finally:
        hook.uninstall()
