"""The first-run wizard, walked by keyboard from an empty data folder to a signed-in window.

Every page refuses bad input in words and stays put; Cancel, Esc or closing the
window on any page leaves the folder and the keyring empty; a failure while the
store is being made leaves nothing either.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from ma_desk import clinic_setup
from ma_desk.db.models import AppointmentType, Provider, Room, User
from ma_desk.db.store import store_exists
from ma_desk.errors import StoreError
from ma_desk.clock import FixedClock
from ma_desk.services import Services
from ma_desk.services.patients import PatientInput
from ma_desk.services.accounts import signed_out_actor
from ma_desk.ui.setup.wizard import SetupWizard

STORE_PASSPHRASE = "harbor velvet cactus mosaic lantern"
ADMIN_PASSWORD = "copper tundra whistle ballad"
NOW = dt.datetime(2026, 11, 23, 10, 30)  # a Monday
SHOTS = Path(__file__).resolve().parent.parent / "build" / "wizard-shots"


# ------------------------------------------------------------------ helpers
def type_into(widget: QWidget, text: str, *, replace: bool = True) -> None:
    """Click into a field (focus), select what is there, type."""
    widget.setFocus()
    if replace:
        QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(widget, Qt.Key.Key_Delete)
    QTest.keyClicks(widget, text)


def key(widget: QWidget, which: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, which, modifier)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "no widget has the keyboard focus"
    return widget


def press_next(wizard: SetupWizard) -> None:
    """Enter in the field being typed in: Next is the default button (a row list's
    inputs pass Enter on once they are empty)."""
    QTest.keyClick(focused(), Qt.Key.Key_Return)


def page_name(wizard: SetupWizard) -> str:
    return wizard.currentPage().objectName()


def shown(label) -> str:
    return label.text() if label.isVisible() else ""


def leaves_nothing(folder: Path, keyring) -> None:
    assert not folder.exists() or sorted(p.name for p in folder.iterdir()) == []
    if keyring is not None:
        assert keyring.entries == {}


@pytest.fixture
def wizard_at(qtbot, tmp_path):
    """A wizard on an empty data folder (no keyring: the passphrase page is shown)."""

    def make(*, ask_passphrase: bool = True) -> SetupWizard:
        wizard = SetupWizard(tmp_path / "clinic", ask_passphrase=ask_passphrase)
        qtbot.addWidget(wizard)
        wizard.resize(1000, 700)
        with qtbot.waitActive(wizard):
            wizard.show()
            wizard.activateWindow()
        return wizard

    return make


def fill_clinic(wizard: SetupWizard, name: str = "Riverbend Family Practice") -> None:
    section = wizard.clinic
    type_into(section.name, name)
    key(section.name, Qt.Key.Key_Tab)
    QTest.keyClicks(focused(), "12 Example Road, Springfield")
    key(focused(), Qt.Key.Key_Tab)
    QTest.keyClicks(focused(), "(555) 010-0142")
    type_into(section.time_zone.lineEdit(), "America/Chicago")


def add_rows(section, rows: list[tuple[str, str]]) -> None:
    for first, second in rows:
        type_into(section.inputs[0][1], first)
        key(focused(), Qt.Key.Key_Tab)
        second_widget = section.inputs[1][1]
        target = second_widget.lineEdit() if hasattr(second_widget, "lineEdit") else second_widget
        type_into(target, second)
        key(target, Qt.Key.Key_Return)


def walk_to(wizard: SetupWizard, last: str) -> None:
    """Fill each page with good input up to (and showing) page ``last``."""
    steps = [
        ("clinic_page", lambda: fill_clinic(wizard)),
        ("providers_page", lambda: add_rows(wizard.providers,
                                            [("Dr. Ada Quill", "MD"), ("Ben Oyelaran", "FNP-C")])),
        ("rooms_page", lambda: add_rows(wizard.rooms, [("Exam 1", "exam"),
                                                       ("Procedure", "procedure")])),
        ("hours_page", lambda: None),  # the defaults: Monday-Friday 08:00-17:00, 15 minutes
        ("visit_types_page", lambda: None),  # the suggested visit types
        ("admin_page", lambda: fill_admin(wizard)),
        ("passphrase_page", lambda: fill_passphrase(wizard)),
    ]  # fmt: skip
    for name, fill in steps:
        if page_name(wizard) == last:
            return
        assert page_name(wizard) == name
        fill()
        press_next(wizard)
    assert page_name(wizard) == last


def fill_admin(wizard: SetupWizard, password: str = ADMIN_PASSWORD, repeat: str | None = None):
    section = wizard.admin
    type_into(section.username, "chief")
    key(focused(), Qt.Key.Key_Tab)
    QTest.keyClicks(focused(), "Cora Lindqvist")
    key(focused(), Qt.Key.Key_Tab)
    QTest.keyClicks(focused(), password)
    key(focused(), Qt.Key.Key_Tab)
    QTest.keyClicks(focused(), password if repeat is None else repeat)


def fill_passphrase(wizard: SetupWizard, repeat: str = STORE_PASSPHRASE) -> None:
    section = wizard.passphrase_section
    assert section is not None
    type_into(section.passphrase, STORE_PASSPHRASE)
    type_into(section.repeat, repeat)


def finish(qtbot, wizard: SetupWizard) -> None:
    page = wizard.recovery_page
    page.kept.setFocus()
    key(page.kept, Qt.Key.Key_Space)
    assert page.isComplete()
    key(page.kept, Qt.Key.Key_Return)  # the default button: Create the clinic


# ------------------------------------------------------------------ the whole walk
def test_walk_from_empty_folder_to_a_ready_clinic(qtbot, wizard_at, tmp_path, monkeypatch):
    wizard = wizard_at()
    walk_to(wizard, "recovery_page")
    assert not (tmp_path / "clinic").exists()  # nothing is written before Finish
    recovery_key = wizard.recovery_page.key_label.text()
    assert len(recovery_key.split("-")) == 11
    saved = tmp_path / "paper" / "recovery.pdf"
    saved.parent.mkdir()
    monkeypatch.setattr(wizard.recovery_page, "ask_save_path", lambda: str(saved))
    wizard.recovery_page.save_button.setFocus()
    key(focused(), Qt.Key.Key_Space)
    assert saved.read_bytes().startswith(b"%PDF")
    finish(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.opened is not None, timeout=30_000)
    assert wizard.result() == wizard.DialogCode.Accepted
    opened = wizard.opened
    try:
        check_ready_clinic(qtbot, opened, wizard.admin.admin())
    finally:
        opened.db.close()


def check_ready_clinic(qtbot, opened, admin) -> None:
    """What the wizard made is in the store, the administrator reaches the main window,
    and the schedule books a created visit type in an open slot."""
    from ma_desk.ui.app import sign_in_at_start
    from ma_desk.ui.main_window import MainWindow

    services = Services(opened.db, clock=FixedClock(NOW), actor=signed_out_actor())
    assert sign_in_at_start(services, services.settings.clinic_name(), admin)
    assert services.actor.username == "chief"
    settings = services.settings.get()
    assert (settings.clinic_name, settings.phone) == ("Riverbend Family Practice", "(555) 010-0142")
    assert settings.time_zone == "America/Chicago"
    assert settings.slot_minutes == 15
    assert settings.weekly_hours == {str(d): ["08:00", "17:00"] for d in range(5)}
    with opened.db.read() as s:
        providers = [(p.display_name, p.credentials, p.work_days)
                     for p in s.scalars(select(Provider).order_by(Provider.id))]  # fmt: skip
        rooms = [(r.name, r.room_type) for r in s.scalars(select(Room).order_by(Room.id))]
        types = {t.name: t.default_minutes for t in s.scalars(select(AppointmentType))}
        users = [(u.username, u.role) for u in s.scalars(select(User))]
    assert providers == [("Dr. Ada Quill", "MD", "01234"), ("Ben Oyelaran", "FNP-C", "01234")]
    assert rooms == [("Exam 1", "exam"), ("Procedure", "procedure")]
    assert types == {"Follow-up": 15, "Sick visit": 15, "Annual physical": 30, "New patient": 45}
    assert users == [("chief", "administrator")]

    window = MainWindow(services, store_label="test", settings_file=opened.data_dir / "window.ini")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "Riverbend Family Practice" in window.windowTitle()

    patient = services.patients.register(
        PatientInput(first_name="Wren", last_name="Testcase", dob="02/03/1980")
    )
    provider = next(p for p in services.schedule.providers() if p.display_name == "Dr. Ada Quill")
    new_patient = next(t for t in services.schedule.appointment_types() if t.name == "New patient")
    start = services.schedule.next_open_slot(provider.id, new_patient.default_minutes)
    assert start is not None and start.weekday() < 5 and dt.time(8) <= start.time()
    booked = services.schedule.book(patient_id=patient.id, provider_id=provider.id,
                                    type_id=new_patient.id, start=start)  # fmt: skip
    assert booked.minutes == 45
    assert [a.id for a in services.schedule.day(start.date())] == [booked.id]
