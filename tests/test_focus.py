"""Focus follows the work (issue 15 item 3): Ctrl+1..5 and a newly chosen patient put the
cursor where the next keystroke belongs, never in the field used last."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ma_desk.clinical import flow
from ma_desk.clinical import vitals as rules
from ma_desk.ui.main_window import MainWindow
from tests.window_helpers import show_main_window


@pytest.fixture
def window(qtbot, demo_services, sign_in_as, tmp_path) -> MainWindow:
    sign_in_as("ma")
    win = show_main_window(qtbot, demo_services, tmp_path)
    return win


def arrived(services, clock, skip: int = 0):
    rows = [
        r
        for r in services.schedule.day(clock.now().date())
        if r.status in flow.IN_CLINIC_STATUSES and r.visit_id and r.patient_age >= 20
    ]
    return rows[skip]


def ctrl(qtbot, window: MainWindow, number: int) -> None:
    qtbot.keyClick(window, Qt.Key.Key_0 + number, Qt.KeyboardModifier.ControlModifier)


def focused_name() -> str:
    widget = QApplication.focusWidget()
    return widget.objectName() if widget is not None else ""


def type_in(qtbot, window: MainWindow, key: str, text: str) -> None:
    edit = window.tab_widgets[2].entry.rows[key].edit
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, text)


def test_ctrl_3_after_a_new_patient_lands_in_height_not_the_last_field(
    qtbot, window, demo_services, clock
) -> None:
    first, second = arrived(demo_services, clock), arrived(demo_services, clock, 1)
    window.selection.select_appointment(first.id, first.patient_id)
    ctrl(qtbot, window, 3)
    qtbot.waitUntil(lambda: focused_name() == "vitals_height")
    type_in(qtbot, window, rules.SPO2, "98")  # the cursor is left in SpO2
    ctrl(qtbot, window, 1)
    window.selection.select_appointment(second.id, second.patient_id)
    ctrl(qtbot, window, 3)
    qtbot.waitUntil(lambda: focused_name() == "vitals_height")
    assert not window.tab_widgets[2].entry.has_input()


def test_ctrl_3_with_a_half_typed_set_goes_to_its_first_empty_field(
    qtbot, window, demo_services, clock
) -> None:
    appt = arrived(demo_services, clock)
    window.selection.select_appointment(appt.id, appt.patient_id)
    ctrl(qtbot, window, 3)
    type_in(qtbot, window, rules.HEIGHT, "67")
    type_in(qtbot, window, rules.WEIGHT, "154")
    type_in(qtbot, window, rules.PULSE, "72")  # BP skipped: it is the first empty field
    ctrl(qtbot, window, 2)
    ctrl(qtbot, window, 3)
    qtbot.waitUntil(lambda: focused_name() == "vitals_bp.0")
    type_in(qtbot, window, rules.SPO2, "9")
    ctrl(qtbot, window, 3)  # already on the tab: the shortcut still moves the cursor
    qtbot.waitUntil(lambda: focused_name() == "vitals_bp.0")


def test_patient_chosen_while_vitals_is_shown_starts_at_height(
    qtbot, window, demo_services, clock
) -> None:
    first, second = arrived(demo_services, clock), arrived(demo_services, clock, 1)
    window.selection.select_appointment(first.id, first.patient_id)
    ctrl(qtbot, window, 3)
    type_in(qtbot, window, rules.SPO2, "97")
    window.selection.select_appointment(second.id, second.patient_id)
    qtbot.waitUntil(lambda: focused_name() == "vitals_height")


def test_cursor_returns_to_height_after_saving(qtbot, window, demo_services, clock) -> None:
    appt = arrived(demo_services, clock)
    window.selection.select_appointment(appt.id, appt.patient_id)
    ctrl(qtbot, window, 3)
    type_in(qtbot, window, rules.PULSE, "72")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Vitals saved" in window.tab_widgets[2].status_label.text())
    assert focused_name() == "vitals_height"


def test_ctrl_2_goes_to_the_search_box(qtbot, window) -> None:
    ctrl(qtbot, window, 2)
    qtbot.waitUntil(lambda: focused_name() == "checkin_search")
    ctrl(qtbot, window, 1)
    qtbot.waitUntil(lambda: focused_name() != "checkin_search")
    ctrl(qtbot, window, 2)
    qtbot.waitUntil(lambda: focused_name() == "checkin_search")
