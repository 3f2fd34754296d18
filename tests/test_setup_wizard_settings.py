"""Administration › Clinic settings…: the wizard's sections, for administrators only,
saved in one audited call; bad input keeps the dialog open and changes nothing."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QPushButton
from sqlalchemy import select

from ma_desk import clinic_setup_rules as rules
from ma_desk.db.models import AuditEvent
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.setup.settings_dialog import ClinicSettingsDialog


def type_into(widget, text: str) -> None:
    widget.setFocus()
    QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(widget, Qt.Key.Key_Delete)
    QTest.keyClicks(widget, text)


@pytest.fixture
def dialog(qtbot, demo_services, sign_in_as):
    sign_in_as("admin")
    made = ClinicSettingsDialog(demo_services)
    qtbot.addWidget(made)
    with qtbot.waitActive(made):
        made.show()
        made.activateWindow()
    return made


@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("ma", False),
                                             ("frontdesk", False), ("provider", False)])  # fmt: skip
def test_only_administrators_may_open_clinic_settings(qtbot, demo_services, sign_in_as, tmp_path,
                                                      role, shown):  # fmt: skip
    """Others see the entry disabled with the reason (issue 15 item 6), not no entry at all."""
    sign_in_as(role)
    window = MainWindow(demo_services, store_label="t", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    window.show()
    action = window.findChild(QAction, "action_clinic_settings")
    assert action.isVisible() and action.isEnabled() is shown
    assert ("Ask an administrator." in action.toolTip()) is not shown


def test_the_dialog_shows_the_stored_set_up(dialog, demo_services):
    setup = demo_services.clinic_setup.current_setup()
    assert dialog.clinic.name.text() == "Maple Grove Family Practice (demo)"
    assert [r.name for r in dialog.rooms.rows()] == [r.name for r in setup.rooms]
    assert dialog.hours.slot.value() == 15
    assert all(box.isChecked() for box in dialog.hours.open_boxes)  # the demo opens daily


def test_changes_typed_and_saved_are_stored_and_audited(qtbot, dialog, demo_services):
    type_into(dialog.clinic.phone, "(555) 010-0123")
    dialog.tabs.setCurrentWidget(dialog.rooms)
    type_into(dialog.rooms.name, "Lab")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    type_into(dialog.rooms.room_type.lineEdit(), "lab")
    QTest.keyClick(dialog.rooms.room_type.lineEdit(), Qt.Key.Key_Return)
    assert dialog.rooms.rows()[-1] == rules.RoomPlan("Lab", "lab")
    dialog.tabs.setCurrentWidget(dialog.hours)
    dialog.hours.open_boxes[6].setFocus()
    QTest.keyClick(dialog.hours.open_boxes[6], Qt.Key.Key_Space)  # closed on Sundays now
    save = dialog.findChild(QPushButton, "clinic_settings_save")
    save.setFocus()
    QTest.keyClick(save, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    setup = demo_services.clinic_setup.current_setup()
    assert setup.clinic.phone == "(555) 010-0123"
    assert setup.rooms[-1] == rules.RoomPlan("Lab", "lab")
    assert not setup.hours[6].is_open
    with demo_services.ctx.db.read() as s:
        rooms = s.scalars(select(AuditEvent).where(AuditEvent.entity == "rooms")).one()
    assert "Lab (lab)" in json.loads(rooms.details)["rooms"]["new"]


@pytest.mark.parametrize("bad", ["duplicate_room", "closes_before_opens", "zero_slot"])
def test_bad_input_keeps_the_dialog_open_and_changes_nothing(qtbot, dialog, demo_services, bad):
    before = demo_services.clinic_setup.current_setup()
    if bad == "duplicate_room":
        dialog.rooms.set_rows([*dialog.rooms.rows(), rules.RoomPlan("exam 1", "exam")])
        expected_tab, words = dialog.rooms, "two rooms called"
    elif bad == "closes_before_opens":
        type_into(dialog.hours.closes[0], "06:00")
        expected_tab, words = dialog.hours, "Monday: the clinic must close after it opens"
    else:
        type_into(dialog.hours.slot, "0")
        expected_tab, words = dialog.hours, "The slot size must be 5 to 120 minutes"
    dialog.save()
    assert dialog.isVisible() and dialog.tabs.currentWidget() is expected_tab
    shown = " ".join(m.text() for m in expected_tab.messages.values() if m.isVisible())
    assert words in shown
    assert demo_services.clinic_setup.current_setup() == before
