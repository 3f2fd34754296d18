"""The clinic's settings as the running app meets them: "now" and "today" in the clinic's
time zone (not the computer's), and the window title after Administration › Clinic settings…"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QPushButton

from ma_desk.clock import SystemClock
from ma_desk.display_format import long_date_text
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services import Services
from ma_desk.services.accounts import signed_out_actor
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.setup.settings_dialog import ClinicSettingsDialog
from tests.modal_helpers import when_modal_shown

# UTC+14 and UTC-11: 25 hours apart, so their dates differ at every moment, whatever
# zone the computer running the tests is set to.
EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"
CLOSE = dt.timedelta(seconds=10)


def zone_now(name: str) -> dt.datetime:
    return dt.datetime.now(ZoneInfo(name)).replace(tzinfo=None)


@pytest.mark.parametrize("name", [EAST, WEST, "UTC", "America/Chicago"])
def test_the_clock_tells_the_time_in_the_zone_it_follows(name) -> None:
    clock = SystemClock()
    clock.follow_zone(name)
    assert abs(clock.now() - zone_now(name)) < CLOSE
    assert clock.now().tzinfo is None and clock.now().microsecond == 0


@pytest.mark.parametrize("name", ["", "Not/A_Zone", "../../etc/passwd", "UTC+5", " "])
def test_no_zone_or_an_unknown_one_is_the_computers_zone(name) -> None:
    clock = SystemClock()
    clock.follow_zone(EAST)
    clock.follow_zone(name)
    assert abs(clock.now() - dt.datetime.now()) < CLOSE


@pytest.fixture
def live_services(demo_store):
    """The demo clinic on the real clock (as the app runs), signed in as its administrator."""
    services = Services(demo_store.db, actor=signed_out_actor())
    services.accounts.sign_in("admin", DEMO_PASSWORD)
    yield services
    services.accounts.sign_out()


@pytest.mark.parametrize("zone", [EAST, WEST])
def test_the_schedule_opens_on_the_clinics_day(qtbot, live_services, tmp_path, zone) -> None:
    live_services.settings.update(time_zone=zone)
    assert abs(live_services.ctx.clock.now() - zone_now(zone)) < CLOSE
    window = MainWindow(live_services, store_label="t", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    schedule = window.tab_widgets[0]
    assert schedule.day == zone_now(zone).date()
    today = zone_now(zone)
    assert long_date_text(today.date()) in window.date_label.text()


def test_a_store_opened_reads_its_zone_before_anything_is_shown(demo_store) -> None:
    admin = Services(demo_store.db, actor=signed_out_actor())
    admin.accounts.sign_in("admin", DEMO_PASSWORD)
    admin.settings.update(time_zone=WEST)
    admin.accounts.sign_out()
    fresh = Services(demo_store.db, actor=signed_out_actor())
    fresh.settings.clinic_name()  # what the sign-in screen reads
    assert abs(fresh.ctx.clock.now() - zone_now(WEST)) < CLOSE


def settings_dialog() -> ClinicSettingsDialog | None:
    shown = [top for top in QApplication.topLevelWidgets()
             if isinstance(top, ClinicSettingsDialog) and top.isVisible()]  # fmt: skip
    return shown[0] if shown else None


def save_clinic_settings(name: str, zone: str) -> list:
    """Once the modal Clinic settings dialog shows: a new name and zone, then Save."""

    def save(dialog: ClinicSettingsDialog) -> None:
        dialog.clinic.name.setText(name)
        dialog.clinic.time_zone.setCurrentText(zone)
        dialog.findChild(QPushButton, "clinic_settings_save").click()

    return when_modal_shown(save, ClinicSettingsDialog, found=settings_dialog)


def test_clinic_settings_change_the_title_status_and_zone_at_once(qtbot, live_services,
                                                                  tmp_path) -> None:  # fmt: skip
    live_services.settings.update(time_zone=EAST)
    window = MainWindow(live_services, store_label="t", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == "MA Desk — Maple Grove Family Practice (demo)"
    saved = save_clinic_settings("Birch Lane Clinic", WEST)
    window.findChild(QAction, "action_clinic_settings").trigger()
    assert saved
    assert window.windowTitle() == "MA Desk — Birch Lane Clinic"
    assert window.clinic_label.text() == "Birch Lane Clinic"
    assert abs(live_services.ctx.clock.now() - zone_now(WEST)) < CLOSE
    today = zone_now(WEST)
    assert long_date_text(today.date()) in window.date_label.text()


def test_a_cancelled_clinic_settings_dialog_changes_no_title(qtbot, live_services, tmp_path):
    window = MainWindow(live_services, store_label="t", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    window.show()

    def cancel(dialog: ClinicSettingsDialog) -> None:
        dialog.clinic.name.setText("Not saved")
        dialog.reject()

    cancelled = when_modal_shown(cancel, ClinicSettingsDialog, found=settings_dialog)
    window.findChild(QAction, "action_clinic_settings").trigger()
    assert cancelled
    assert window.windowTitle() == "MA Desk — Maple Grove Family Practice (demo)"
