"""Tab walks every data-entry form as staff read it (issue 15 item 3): one stop per
field, top to bottom and left to right, never several stops inside one date."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget

from ma_desk.clinical import flow
from ma_desk.ui.checkin.registration import RegistrationPanel
from ma_desk.ui.insurance.coverage_dialog import CoverageDialog
from ma_desk.ui.roomprep.tab import RoomPrepTab
from ma_desk.ui.schedule.appointment_dialog import AppointmentDialog
from ma_desk.ui.selection import Selection
from ma_desk.ui.vitals.entry_form import VitalsEntryForm

ROW_TOLERANCE = 6  # px: widgets of one form row may differ this much in their centre


def shown(qtbot, widget: QWidget) -> QWidget:
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
    return widget


def tab_walk(qtbot, start: QWidget, steps: int) -> list[QWidget]:
    """The widgets Tab visits from ``start`` (``start`` included), by real key presses."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(start.hasFocus)
    visited = [start]
    for _ in range(steps):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    return visited


def one_round(qtbot, start: QWidget) -> list[QWidget]:
    """Tab until the focus comes back to ``start``: every stop of the form, once."""
    visited = tab_walk(qtbot, start, 60)
    assert start in visited[1:], "Tab never came back to the first field"
    return visited[: visited.index(start, 1)]


def names(widgets: list[QWidget]) -> list[str]:
    return [w.objectName() or getattr(w, "text", lambda: "")() for w in widgets]


def centre(widget: QWidget) -> QPoint:
    return widget.mapTo(widget.window(), widget.rect().center())


def assert_reading_order(widgets: list[QWidget]) -> None:
    """Each stop lies below the previous one, or on the same row to its right."""
    for before, after in zip(widgets, widgets[1:], strict=False):
        a, b = centre(before), centre(after)
        same_row = abs(a.y() - b.y()) <= ROW_TOLERANCE
        assert (same_row and b.x() > a.x()) or b.y() > a.y() + ROW_TOLERANCE, (
            f"Tab goes from {names([before])} to {names([after])} against the reading order"
        )


def assert_one_stop_each(widgets: list[QWidget]) -> None:
    assert len(widgets) == len(set(widgets)), f"a field takes several Tabs: {names(widgets)}"


def test_vitals_form_values_first_one_tab_from_bp_to_pulse(qtbot) -> None:
    form = shown(qtbot, VitalsEntryForm())
    stops = one_round(qtbot, form.first_input)
    assert names(stops) == [
        "vitals_height", "vitals_weight", "vitals_bp.0", "vitals_pulse",
        "vitals_respiratory_rate", "vitals_temperature", "vitals_spo2", "vitals_pain",
        # then the qualifier column, row by row (defaults suit most sets)
        "vitals_bp0_position", "vitals_bp0_arm", "vitals_bp0_cuff", "vitals_pulse_rhythm",
        "vitals_temperature_route", "vitals_oxygen",
    ]  # fmt: skip
    assert_reading_order(stops[:8])
    assert_reading_order(stops[8:])


def test_vitals_form_second_bp_reading_and_o2_flow_join_the_order(qtbot) -> None:
    form = shown(qtbot, VitalsEntryForm())
    form.add_bp_reading()
    form.rows["spo2"].qualifiers["oxygen"].setCurrentIndex(1)  # on O2: the flow field opens
    stops = names(one_round(qtbot, form.first_input))
    assert stops.index("vitals_bp.1") == stops.index("vitals_bp.0") + 1
    assert stops.index("vitals_o2_flow") == stops.index("vitals_oxygen") + 1


def test_registration_reads_row_by_row(qtbot, demo_services) -> None:
    panel = shown(qtbot, RegistrationPanel(demo_services))
    stops = one_round(qtbot, panel.form.editors["last_name"])
    assert names(stops)[:4] == ["reg_last_name", "reg_first_name", "reg_middle_name", "reg_dob"]
    assert names(stops)[-2:] == ["reg_save", "reg_cancel"]
    assert_one_stop_each(stops)
    assert_reading_order(stops)


def test_appointment_dialog_one_tab_per_date_and_time(qtbot, demo_services, clock) -> None:
    row = next(
        r for r in demo_services.schedule.day(clock.now().date()) if r.status == flow.SCHEDULED
    )
    dialog = shown(
        qtbot, AppointmentDialog(demo_services, start=row.start, provider_id=row.provider_id)
    )
    stops = one_round(qtbot, dialog.findChild(QWidget, "appointment_patient_search"))
    assert names(stops)[:9] == [
        "appointment_patient_search", "appointment_patient_results", "appointment_provider",
        "appointment_type", "appointment_date", "appointment_time", "appointment_minutes",
        "appointment_reason", "appointment_repeat",
    ]  # fmt: skip
    assert_one_stop_each(stops)
    assert_reading_order(stops)


def test_appointment_dialog_shift_tab_walks_back_over_the_date(qtbot, demo_services, clock):
    row = next(
        r for r in demo_services.schedule.day(clock.now().date()) if r.status == flow.SCHEDULED
    )
    dialog = shown(
        qtbot, AppointmentDialog(demo_services, start=row.start, provider_id=row.provider_id)
    )
    dialog.minutes.setFocus()
    qtbot.waitUntil(dialog.minutes.hasFocus)
    seen = []
    for _ in range(3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
        seen.append(QApplication.focusWidget().objectName())
    assert seen == ["appointment_time", "appointment_date", "appointment_type"]


def test_coverage_dialog_reads_top_to_bottom(qtbot, demo_services, clock) -> None:
    row = next(r for r in demo_services.schedule.day(clock.now().date()))
    dialog = shown(qtbot, CoverageDialog(demo_services, row.patient_id))
    first = dialog.findChild(QWidget, "priority")
    stops = one_round(qtbot, first)
    assert names(stops)[:4] == ["priority", "payer", "plan", "member_id"]
    assert names(stops)[-2:] == ["coverage_dialog_save", "coverage_dialog_cancel"]
    assert_one_stop_each(stops)
    assert_reading_order(stops)


def test_checklist_run_reads_items_then_note_then_buttons(qtbot, demo_services, sign_in_as):
    sign_in_as("ma")
    tab = shown(qtbot, RoomPrepTab(demo_services, Selection()))
    room = next(r for r in demo_services.rooms.board() if r.state in ("ready", "needs_turnover"))
    tab.board.setFocus()
    tab.select_room(room.id)
    qtbot.keyClick(tab.board, Qt.Key.Key_Return)
    panel = tab.run_panel
    qtbot.waitUntil(lambda: panel.run is not None)
    stops = names(tab_walk(qtbot, panel.items, 5))
    # "Set room ready" is disabled while required items are open (no Tab stop then).
    assert not panel.finish_button.isEnabled()
    assert stops[:5] == [
        "run_items", "run_item_note", "run_item_low_supply", "run_item_not_done", "run_cancel",
    ]  # fmt: skip
    assert "run_finish" not in stops
    panel.finish_button.setEnabled(True)  # as when every required item is done
    stops = names(tab_walk(qtbot, panel.items, 5))
    assert stops[-2:] == ["run_cancel", "run_finish"]


@pytest.mark.parametrize("index", range(5))
def test_ctrl_number_puts_the_cursor_inside_the_tab(qtbot, demo_services, tmp_path, index):
    from ma_desk.ui.main_window import MainWindow

    window = MainWindow(demo_services, store_label="t", settings_file=tmp_path / "w.ini")
    shown(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_1 + index, Qt.KeyboardModifier.ControlModifier)
    tab = window.tab_widgets[index]
    qtbot.waitUntil(lambda: tab.isAncestorOf(QApplication.focusWidget() or window))
