"""The first-run wizard, walked by keyboard from an empty data folder to a signed-in window.

Every page refuses bad input in words and stays put; Cancel, Esc or closing the
window on any page leaves the folder and the keyring empty; a failure while the
store is being made leaves nothing either.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import select

from ma_desk.clock import FixedClock
from ma_desk.db.models import AppointmentType, Provider, Room, User
from ma_desk.services import Services
from ma_desk.services.accounts import signed_out_actor
from ma_desk.services.patients import PatientInput
from ma_desk.ui.printing.preview import PdfPreviewDialog
from ma_desk.ui.setup.wizard import SetupWizard
from tests.conftest import MemoryKeyring
from tests.faults import needs_root, tmpfs
from tests.modal_helpers import when_modal_shown
from tests.pdf_extract import pdftotext_region

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
    """Fill each page with good input from the one shown up to (and showing) ``last``."""
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
    names = [name for name, _fill in steps]
    for name, fill in steps[names.index(page_name(wizard)) if page_name(wizard) in names else 0 :]:
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
    assert recovery_key.split("-")[-1] in pdftotext_region(saved.read_bytes(), 0, 0, 612, 792)[0]
    previews = []
    monkeypatch.setattr(PdfPreviewDialog, "exec", lambda dialog: previews.append(dialog) or 0)
    wizard.recovery_page.print_button.setFocus()
    key(focused(), Qt.Key.Key_Space)
    assert len(previews) == 1 and previews[0].document.pageCount() == 1
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


# ------------------------------------------------------------------ bad input, page by page
def bad_clinic_name(wizard):
    fill_clinic(wizard, name="   ")
    return wizard.clinic.messages["clinic_name"], "Enter the clinic's name."


def bad_phone(wizard):
    fill_clinic(wizard)
    type_into(wizard.clinic.phone, "555-CALL-NOW")
    return wizard.clinic.messages["phone"], "only digits"


def no_provider(wizard):
    walk_to(wizard, "providers_page")
    wizard.providers.name.setFocus()
    return wizard.providers.messages["providers"], "Add at least one provider."


def duplicate_room(wizard):
    walk_to(wizard, "rooms_page")
    add_rows(wizard.rooms, [("Exam 1", "exam"), ("exam 1", "procedure")])
    assert [r.name for r in wizard.rooms.rows()] == ["Exam 1"]  # the second was refused
    assert wizard.rooms.name.text() == "exam 1"  # and kept as typed, to correct
    return wizard.rooms.messages["rooms"], "There are two rooms called exam 1"


def zero_slot(wizard):
    walk_to(wizard, "hours_page")
    type_into(wizard.hours.slot, "0")
    return wizard.hours.messages["slot_minutes"], "The slot size must be 5 to 120 minutes"


def closing_before_opening(wizard):
    walk_to(wizard, "hours_page")
    type_into(wizard.hours.closes[0], "07:30")
    return wizard.hours.messages["hours"], "Monday: the clinic must close after it opens"


def visit_type_not_whole_slots(wizard):
    walk_to(wizard, "visit_types_page")
    type_into(wizard.visit_types.name, "Quick check")
    key(focused(), Qt.Key.Key_Tab)
    QTest.keyClicks(focused(), "20")
    key(focused(), Qt.Key.Key_Return)  # refused at Add: 20 is not whole 15-minute slots
    message = wizard.visit_types.messages["visit_types"]
    assert "whole number of 15-minute slots" in shown(message)
    wizard.visit_types.view.setFocus()
    for _ in range(len(wizard.visit_types.rows())):
        key(wizard.visit_types.view, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
        key(wizard.visit_types.view, Qt.Key.Key_Delete)
    assert wizard.visit_types.rows() == ()
    type_into(wizard.visit_types.name, "")
    type_into(wizard.visit_types.minutes, "")
    return message, "Add at least one visit type."


def weak_admin_password(wizard):
    walk_to(wizard, "admin_page")
    fill_admin(wizard, password="riverbend2024")
    return wizard.admin.messages["password"], "guesses an attacker tries"


def admin_passwords_differ(wizard):
    walk_to(wizard, "admin_page")
    fill_admin(wizard, repeat="copper tundra whistle balad")
    return wizard.admin.messages["repeat"], "The two passwords differ"


def passphrase_mismatch(wizard):
    walk_to(wizard, "passphrase_page")
    fill_passphrase(wizard, repeat="harbor velvet cactus mosaic lanterns")
    return wizard.passphrase_section.messages["repeat"], "The two passphrases differ"


def weak_passphrase(wizard):
    walk_to(wizard, "passphrase_page")
    type_into(wizard.passphrase_section.passphrase, "password password")
    type_into(wizard.passphrase_section.repeat, "password password")
    return wizard.passphrase_section.messages["passphrase"], "could guess this passphrase"


BAD_INPUT = [bad_clinic_name, bad_phone, no_provider, duplicate_room, zero_slot,
             closing_before_opening, visit_type_not_whole_slots, weak_admin_password,
             admin_passwords_differ, passphrase_mismatch, weak_passphrase]  # fmt: skip


@pytest.mark.parametrize("bad", BAD_INPUT, ids=lambda f: f.__name__)
def test_bad_input_shows_the_message_and_stays_on_the_page(wizard_at, tmp_path, bad):
    wizard = wizard_at()
    message, words = bad(wizard)
    page = page_name(wizard)
    press_next(wizard)
    assert page_name(wizard) == page
    assert words in shown(message)
    assert not (tmp_path / "clinic").exists()


# ------------------------------------------------------------------ cancelling leaves nothing
PAGES = ["clinic_page", "providers_page", "rooms_page", "hours_page", "visit_types_page",
         "admin_page", "passphrase_page", "recovery_page"]  # fmt: skip


def cancel_by_escape(wizard):
    key(focused(), Qt.Key.Key_Escape)


def cancel_by_button(wizard):
    button = wizard.button(wizard.WizardButton.CancelButton)
    button.setFocus()
    key(button, Qt.Key.Key_Space)


def cancel_by_closing(wizard):
    wizard.close()


@pytest.mark.parametrize("how", [cancel_by_escape, cancel_by_button, cancel_by_closing],
                         ids=lambda f: f.__name__)  # fmt: skip
@pytest.mark.parametrize("page", PAGES)
def test_cancel_on_any_page_leaves_nothing(qtbot, wizard_at, tmp_path, page, how):
    wizard = wizard_at()
    walk_to(wizard, page)
    if page == "recovery_page":
        wizard.recovery_page.kept.setChecked(True)
    how(wizard)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert wizard.result() == wizard.DialogCode.Rejected and wizard.opened is None
    leaves_nothing(tmp_path / "clinic", None)


@pytest.mark.parametrize("page", ["admin_page", "recovery_page"])
def test_cancel_with_a_keyring_leaves_no_keyring_entry(qtbot, wizard_at, tmp_path, page,
                                                       memory_keyring):  # fmt: skip
    wizard = wizard_at(ask_passphrase=False)
    walk_to(wizard, page)
    cancel_by_escape(wizard)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    leaves_nothing(tmp_path / "clinic", memory_keyring)


# ------------------------------------------------------------------ a failure on Finish
class RefusingKeyring(MemoryKeyring):
    """A keyring that says it kept the key and did not (a locked or broken keyring)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        return None


def test_keyring_failure_on_finish_is_shown_and_leaves_nothing(qtbot, wizard_at, tmp_path):
    backend = RefusingKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        wizard = wizard_at(ask_passphrase=False)
        walk_to(wizard, "recovery_page")
        finish(qtbot, wizard)
        error = wizard.recovery_page.error
        qtbot.waitUntil(lambda: bool(shown(error)), timeout=30_000)
    finally:
        keyring.set_keyring(previous)
    assert "keyring did not keep the clinic key" in shown(error)
    assert "The clinic was not created" in shown(error)
    assert page_name(wizard) == "recovery_page" and wizard.isVisible()
    leaves_nothing(tmp_path / "clinic", backend)
    cancel_by_escape(wizard)  # and the wizard can still be left
    qtbot.waitUntil(lambda: not wizard.isVisible())


@needs_root
def test_disk_full_on_finish_is_shown_and_leaves_nothing(qtbot, tmp_path):
    with tmpfs(tmp_path / "small", "96k") as disk:
        folder = disk.path / "clinic"
        wizard = SetupWizard(folder, ask_passphrase=True)
        qtbot.addWidget(wizard)
        with qtbot.waitActive(wizard):
            wizard.show()
            wizard.activateWindow()
        walk_to(wizard, "recovery_page")
        finish(qtbot, wizard)
        error = wizard.recovery_page.error
        qtbot.waitUntil(lambda: bool(shown(error)), timeout=30_000)
        assert "The clinic was not created" in shown(error)
        assert sorted(p.name for p in disk.path.iterdir()) == []
        wizard.close()


# ------------------------------------------------------------------ nothing cut at 1366x768
def test_every_page_fits_the_window_it_opens_in(qtbot, wizard_at, tmp_path):
    """Each page's least size fits the wizard as it opens (720x560, well inside a
    1366x768 screen, also at 150 % scaling); a grab of each page is kept to look at."""
    wizard = wizard_at()
    wizard.resize(wizard.minimumSize())
    for name in PAGES:
        walk_to(wizard, name)
        page = wizard.currentPage()
        qtbot.waitUntil(page.isVisible)
        assert page.minimumSizeHint().width() <= page.width(), name
        assert page.minimumSizeHint().height() <= page.height(), name
        wizard.grab().save(str(tmp_path / f"{name}.png"))
    assert wizard.minimumSize().width() * 1.5 <= 1366 and wizard.minimumSize().height() <= 768


# ------------------------------------------------------------------ the app's first run
def drive_modal_wizard(steps) -> tuple[list[QWidget], list[BaseException]]:
    """Run ``steps(wizard)`` on the wizard the app opens modally; a failure closes it.
    Returns the wizards driven (one, once it opened) and the failures."""
    failures: list[BaseException] = []

    def drive(wizard) -> None:
        try:
            wizard.activateWindow()
            assert QTest.qWaitForWindowActive(wizard)
            steps(wizard)
        except BaseException as exc:  # noqa: BLE001 - reported by the test, never hangs it
            failures.append(exc)
            wizard.done(0)

    return when_modal_shown(drive, SetupWizard), failures


def app_args(folder: Path) -> argparse.Namespace:
    return argparse.Namespace(data_dir=str(folder), database_url=None, recovery_key=None)


def test_the_app_first_run_cancelled_quits_leaving_nothing(qtbot, tmp_path):
    from ma_desk.ui.app import open_or_create

    driven, failures = drive_modal_wizard(lambda wizard: key(focused(), Qt.Key.Key_Escape))
    with pytest.raises(SystemExit) as stopped:
        open_or_create(app_args(tmp_path / "clinic"))
    assert driven and failures == [] and stopped.value.code == 0
    leaves_nothing(tmp_path / "clinic", None)


def test_the_app_first_run_ends_signed_in_on_the_new_clinic(qtbot, tmp_path):
    from ma_desk.ui.app import open_or_create

    def walk(wizard: SetupWizard) -> None:
        walk_to(wizard, "recovery_page")
        finish(qtbot, wizard)

    args = app_args(tmp_path / "clinic")
    driven, failures = drive_modal_wizard(walk)
    opened = open_or_create(args)
    try:
        assert driven and failures == []
        assert args.first_sign_in.username == "chief"
        check_ready_clinic(qtbot, opened, args.first_sign_in)
    finally:
        opened.db.close()
