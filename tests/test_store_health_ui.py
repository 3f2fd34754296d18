"""The window tells the desk when the store is read-only, and a failed save loses nothing typed.

Real widgets driven by keyboard, real stores: damaged, read-only, or on a
tiny disk that fills up between typing and pressing Enter.
"""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ma_desk.actor import Actor
from ma_desk.clinical import flow
from ma_desk.clinical import vitals as rules
from ma_desk.db.health import BackgroundCheck
from ma_desk.db.store import open_store
from ma_desk.paths import store_path
from ma_desk.security.witness import WITNESS_FILENAME
from ma_desk.services import Services
from ma_desk.ui.checkin.tab import CheckinTab
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.selection import Selection
from ma_desk.ui.vitals.tab import VitalsTab
from tests.conftest import PASSPHRASE
from tests.faults import PAGE, flip, needs_root, root_pages, tmpfs

REASON = "A test put the store in read-only mode. Restore the last good backup."
REGISTRATION = {  # what the front desk types, field by field
    "last_name": "Faultwright",
    "first_name": "Quillon",
    "dob": "03/04/1985",
    "phone": "(555) 201-0147",
    "city": "Springfield",
    "zip": "62704",
}
VITALS = {rules.HEIGHT: "67", rules.WEIGHT: "154", "bp.0": "118/76", rules.PULSE: "72"}


def signed_in(services: Services, role: str = "medical_assistant") -> Services:
    user = services.accounts.create_user(f"u_{role}", "Kim Chen", role, "correct horse battery 9")
    services.set_actor(Actor(user.id, f"u_{role}", "Kim Chen", role, "ws1"))
    return services


def make_window(qtbot, services, tmp_path) -> MainWindow:
    window = MainWindow(services, store_label="test store", settings_file=tmp_path / "window.ini")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def lost_records_store(demo_dir):
    """A store whose witness remembers entries that are gone (as after WAL damage)."""
    witness = demo_dir / WITNESS_FILENAME
    witness.write_text(json.dumps({"format": 2, "last_id": 10**6, "last_hash": "a" * 64}))
    return open_store(demo_dir, passphrase=PASSPHRASE)


# ------------------------------------------------------------------ the banner
def test_no_banner_on_a_healthy_store(qtbot, demo_services, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    assert window.read_only_banner.isHidden()


def test_banner_from_the_start_on_a_store_that_lost_records(qtbot, demo_dir, clock, tmp_path):
    opened = lost_records_store(demo_dir)
    try:
        assert opened.db.read_only
        services = Services(opened.db, clock, actor=Actor(1, "admin", "Admin", "administrator",
                                                          "ws1"))  # fmt: skip
        window = make_window(qtbot, services, tmp_path)
        banner = window.read_only_banner
        assert banner.isVisible()
        assert banner.text().startswith("READ-ONLY — nothing can be saved.")
        assert "Records that were saved are missing" in banner.text()
        assert "Restore the last good backup" in banner.text()
        assert "support" in banner.text()
        window.close()
    finally:
        opened.db.close()


def test_banner_appears_when_the_store_switches_from_another_thread(qtbot, demo_services, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    worker = threading.Thread(target=demo_services.ctx.db.switch_to_read_only, args=(REASON,))
    worker.start()
    worker.join()
    qtbot.waitUntil(window.read_only_banner.isVisible, timeout=5000)
    assert REASON in window.read_only_banner.text()


def test_background_check_finding_damage_raises_the_banner(qtbot, demo_dir, clock, tmp_path):
    index = next(n for n in root_pages(demo_dir) if n.startswith("ix_patients"))
    flip(store_path(demo_dir), (root_pages(demo_dir)[index] - 1) * PAGE + 900)
    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    check = BackgroundCheck(opened.db)
    try:
        window = make_window(
            qtbot, signed_in(Services(opened.db, clock, actor=Actor.system())), tmp_path
        )
        assert window.read_only_banner.isHidden()
        check.start()
        qtbot.waitUntil(window.read_only_banner.isVisible, timeout=30000)
        assert "damaged" in window.read_only_banner.text()
        window.close()
    finally:
        check.stop()
        opened.db.close()


def test_a_closed_window_does_not_break_a_later_switch(qtbot, demo_services, tmp_path):
    window = MainWindow(demo_services, store_label="s", settings_file=tmp_path / "w.ini")
    window.show()
    qtbot.waitExposed(window)
    assert demo_services.ctx.db.read_only_listeners
    window.close()
    window.deleteLater()
    qtbot.waitUntil(lambda: not demo_services.ctx.db.read_only_listeners, timeout=5000)
    demo_services.ctx.db.switch_to_read_only(REASON)
    assert demo_services.ctx.db.read_only


# ------------------------------------------------------------------ failed saves keep input
def focused():
    return QApplication.focusWidget()


def open_registration(qtbot, services) -> CheckinTab:
    tab = CheckinTab(services, Selection())
    qtbot.addWidget(tab)
    tab.resize(1400, 900)
    with qtbot.waitActive(tab):
        tab.show()
        tab.activateWindow()
    tab.activated()
    qtbot.keyClick(tab.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert tab.stack.currentWidget() is tab.registration
    for name, text in REGISTRATION.items():
        tab.registration.form.editors[name].setFocus()
        qtbot.keyClicks(focused(), text)
    return tab


def press_enter_in_registration(qtbot, tab: CheckinTab) -> None:
    qtbot.keyClick(tab.registration.form.editors["zip"], Qt.Key.Key_Return)


def registration_values(tab: CheckinTab) -> dict[str, str]:
    return {name: tab.registration.form.value(name) for name in REGISTRATION}


def test_registration_refused_on_a_read_only_store_keeps_every_value(qtbot, demo_services):
    services = signed_in(demo_services)
    before = services.patients.count()
    tab = open_registration(qtbot, services)
    services.ctx.db.switch_to_read_only(REASON)
    press_enter_in_registration(qtbot, tab)
    message = tab.registration.form_message.text()
    assert message.startswith("Not saved: the clinic store is open read-only") and REASON in message
    assert registration_values(tab) == REGISTRATION
    assert tab.stack.currentWidget() is tab.registration
    assert services.patients.count() == before


@pytest.fixture
def store_on_small_disk(tmp_path, demo_dir, clock):
    """The demo clinic opened from a 24 MB tmpfs that a test can fill."""
    with tmpfs(tmp_path / "disk", "24m") as disk:
        data_dir = disk.path / "clinic"
        shutil.copytree(demo_dir, data_dir)
        opened = open_store(data_dir, passphrase=PASSPHRASE)
        try:
            yield disk, signed_in(Services(opened.db, clock, actor=Actor.system()))
        finally:
            opened.db.close()


@needs_root
def test_registration_on_a_full_disk_keeps_every_value_and_saves_after(qtbot, store_on_small_disk):
    disk, services = store_on_small_disk
    before = services.patients.count()
    tab = open_registration(qtbot, services)
    services.ctx.db.checkpoint()
    filler = disk.fill()
    press_enter_in_registration(qtbot, tab)
    message = tab.registration.form_message.text()
    assert "is full" in message and "Free some space" in message
    assert registration_values(tab) == REGISTRATION
    assert services.patients.count() == before
    filler.unlink()  # space freed: the same Enter saves what is still on screen
    press_enter_in_registration(qtbot, tab)
    assert services.patients.count() == before + 1
    assert tab.selection.patient_id is not None


@pytest.fixture
def warnings(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(dialogs, "warn", lambda _parent, _title, text: shown.append(text))
    return shown


def open_vitals(qtbot, services) -> VitalsTab:
    selection = Selection()
    tab = VitalsTab(services, selection)
    qtbot.addWidget(tab)
    tab.resize(1400, 800)
    with qtbot.waitActive(tab):
        tab.show()
        tab.activateWindow()
    today = services.ctx.clock.now().date()
    appt = next(r for r in services.schedule.day(today)
                if r.status == flow.ARRIVED and r.visit_id and r.patient_age >= 20)  # fmt: skip
    selection.select_appointment(appt.id, appt.patient_id)
    for key, text in VITALS.items():
        edit = tab.entry.rows[key].edit
        edit.setFocus()
        edit.selectAll()
        qtbot.keyClicks(edit, text)
    return tab


def press_enter_in_vitals(qtbot, tab: VitalsTab) -> None:
    qtbot.keyClick(tab.entry.rows[rules.PULSE].edit, Qt.Key.Key_Return)


def vitals_values(tab: VitalsTab) -> dict[str, str]:
    return {key: tab.entry.rows[key].edit.text() for key in VITALS}


def test_vitals_refused_on_a_read_only_store_keep_every_value(qtbot, demo_services, warnings):
    services = signed_in(demo_services)
    tab = open_vitals(qtbot, services)
    before = len(services.vitals.history(tab.patient.id))
    services.ctx.db.switch_to_read_only(REASON)
    press_enter_in_vitals(qtbot, tab)
    assert len(warnings) == 1 and warnings[0].startswith("Not saved") and REASON in warnings[0]
    assert vitals_values(tab) == VITALS
    assert len(services.vitals.history(tab.patient.id)) == before


@needs_root
def test_vitals_on_a_full_disk_keep_every_value_and_save_after(
    qtbot, store_on_small_disk, warnings
):
    disk, services = store_on_small_disk
    tab = open_vitals(qtbot, services)
    before = len(services.vitals.history(tab.patient.id))
    services.ctx.db.checkpoint()
    filler = disk.fill()
    press_enter_in_vitals(qtbot, tab)
    assert len(warnings) == 1 and "is full" in warnings[0]
    assert vitals_values(tab) == VITALS
    filler.unlink()
    press_enter_in_vitals(qtbot, tab)
    assert len(services.vitals.history(tab.patient.id)) == before + 1
    assert "Vitals saved" in tab.status_label.text()


def test_no_daily_backup_of_a_store_that_went_read_only(qtbot, demo_services, demo_dir, tmp_path):
    """A damaged store is never copied into backups/, where pruning would drop a good one."""
    from PySide6.QtWidgets import QMainWindow

    from ma_desk.backup import scheduled_backups
    from ma_desk.ui.security.backup_schedule import BackupScheduler

    window = QMainWindow()
    qtbot.addWidget(window)
    scheduler = BackupScheduler(demo_services, demo_dir, window)
    demo_services.ctx.db.switch_to_read_only("A page failed its check (test).")
    scheduler.check()
    assert scheduler._thread is None and scheduled_backups(demo_dir) == []
    demo_services.ctx.db.read_only = False
    assert scheduler.run_now_blocking().startswith("Daily backup written")
    assert len(scheduled_backups(demo_dir)) == 1
