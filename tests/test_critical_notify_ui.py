"""The critical value reaches the provider, on screen (issue 15 item 4): a critical vital
saved on the Vitals tab shows a marker (icon and words) on the flow board row and the
schedule block; from the flow board, by keyboard, staff record who was told, when, how."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ma_desk.clinical import flow
from ma_desk.clinical import vitals as rules
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.schedule.grid_view import block_text
from ma_desk.ui.schedule.notify_dialog import NotifyProviderDialog
from ma_desk.ui.vitals.acknowledge import acknowledgement
from tests.window_helpers import show_main_window

CRITICAL_COLUMN = 4  # Appt, Arr., Patient, Status, Critical


@pytest.fixture
def window(qtbot, demo_services, sign_in_as, tmp_path, monkeypatch) -> MainWindow:
    sign_in_as("ma")
    monkeypatch.setattr(acknowledgement, "ask", lambda _parent, _text: True)
    win = show_main_window(qtbot, demo_services, tmp_path)
    return win


def in_clinic(services):
    return next(
        r
        for r in services.schedule.day(services.ctx.clock.now().date())
        if r.status in flow.IN_CLINIC_STATUSES and r.visit_id and r.patient_age >= 20
    )


def ctrl(qtbot, window, number: int) -> None:
    qtbot.keyClick(window, Qt.Key.Key_0 + number, Qt.KeyboardModifier.ControlModifier)


def save_critical_spo2(qtbot, window, appt) -> None:
    window.selection.select_appointment(appt.id, appt.patient_id)
    ctrl(qtbot, window, 3)
    vitals = window.tab_widgets[2]
    spo2 = vitals.entry.rows[rules.SPO2].edit
    spo2.setFocus()
    qtbot.waitUntil(spo2.hasFocus)
    qtbot.keyClicks(spo2, "86")
    qtbot.keyClick(spo2, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "notify provider" in vitals.status_label.text())


def flow_row_index(window, appt_id: int) -> int:
    board = window.tab_widgets[0].flow_board
    return next(i for i, r in enumerate(board.model.rows()) if r.appointment.id == appt_id)


def critical_cell(window, appt_id: int) -> str:
    board = window.tab_widgets[0].flow_board
    return board.model.index(flow_row_index(window, appt_id), CRITICAL_COLUMN).data()


def block_of(window, appt_id: int):
    return window.tab_widgets[0].model.block_of(appt_id).appointment


def test_marker_appears_on_flow_board_and_schedule_block(qtbot, window, demo_services) -> None:
    appt = in_clinic(demo_services)
    assert not critical_cell(window, appt.id)
    save_critical_spo2(qtbot, window, appt)
    ctrl(qtbot, window, 1)
    qtbot.waitUntil(lambda: (critical_cell(window, appt.id) or "").startswith("⚠ CRITICAL"))
    board = window.tab_widgets[0].flow_board
    tooltip = board.model.index(flow_row_index(window, appt.id), CRITICAL_COLUMN).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert "SpO2 86" in tooltip and "Press D" in tooltip
    schedule = window.tab_widgets[0]
    a = block_of(window, appt.id)
    text = block_text(a, {})
    assert text.critical == "⚠ CRITICAL" and text.critical_open
    block = schedule.model.block_of(appt.id)
    assert "⚠ CRITICAL" in schedule.model.describe(block.row, block.column)  # tooltip / reader
    assert "⚠ 1 critical" in schedule.flow_board.header.text()


def test_mark_done_by_keyboard_from_the_flow_board(qtbot, window, demo_services, clock) -> None:
    appt = in_clinic(demo_services)
    save_critical_spo2(qtbot, window, appt)
    ctrl(qtbot, window, 1)
    schedule = window.tab_widgets[0]
    board = schedule.flow_board
    qtbot.waitUntil(lambda: (critical_cell(window, appt.id) or "").startswith("⚠"))
    board.focus_table()
    board.table.setCurrentIndex(board.model.index(flow_row_index(window, appt.id), 0))
    qtbot.waitUntil(board.notify_button.isEnabled)

    qtbot.keyClick(board.table, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), NotifyProviderDialog))
    dialog = QApplication.activeModalWidget()
    qtbot.waitUntil(lambda: dialog.isAncestorOf(QApplication.focusWidget()))
    assert QApplication.focusWidget() is dialog.provider  # the first field
    assert dialog.provider.currentData() == appt.provider_id  # the visit's provider
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # "how" not chosen yet
    assert "in person, by phone or by message" in dialog.message.text()
    assert dialog.isVisible() and demo_services.vitals.open_tasks(appt.visit_id)

    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.chosen_how() == "phone")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    now = clock.now()
    assert demo_services.vitals.open_tasks(appt.visit_id) == []
    qtbot.waitUntil(lambda: (critical_cell(window, appt.id) or "").startswith("✓"))
    assert f"provider notified {now:%H:%M}" in critical_cell(window, appt.id)
    assert "by phone" in critical_cell(window, appt.id)
    assert block_text(block_of(window, appt.id), {}).critical == f"✓ notified {now:%H:%M}"
    assert not board.notify_button.isEnabled()
    assert window.focusWidget() is board.table  # back on the board for the next patient
    ctrl(qtbot, window, 3)
    assert not window.tab_widgets[2].tasks_label.isVisible()


def test_notify_button_is_disabled_without_an_open_item(qtbot, window, demo_services) -> None:
    appt = in_clinic(demo_services)
    board = window.tab_widgets[0].flow_board
    board.table.setCurrentIndex(board.model.index(flow_row_index(window, appt.id), 0))
    assert not board.notify_button.isEnabled()
    assert board.mark_notified() is None


def test_front_desk_sees_the_marker_but_cannot_record_it(
    qtbot, window, demo_services, sign_in_as
) -> None:
    appt = in_clinic(demo_services)
    save_critical_spo2(qtbot, window, appt)
    sign_in_as("frontdesk")
    ctrl(qtbot, window, 1)
    board = window.tab_widgets[0].flow_board
    board.refresh()
    assert (critical_cell(window, appt.id) or "").startswith("⚠ CRITICAL")
    board.table.setCurrentIndex(board.model.index(flow_row_index(window, appt.id), 0))
    assert not board.notify_button.isEnabled()
    assert "medical assistant" in board.notify_button.toolTip()
    assert board.mark_notified() is None
