"""The Schedule tab driven like a desk would: keys, a drag, dialogs answered by tests."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from PySide6.QtCore import QMimeData, QPoint, Qt
from PySide6.QtGui import QDropEvent

from ma_desk.clinical import flow
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.schedule.grid_model import MIME_TYPE, ScheduleGridModel
from ma_desk.ui.schedule.prompts import prompts
from ma_desk.ui.schedule.tab import ScheduleTab
from ma_desk.ui.selection import Selection
from tests.conftest import NOW

TOMORROW = NOW.date() + dt.timedelta(days=1)


@pytest.fixture
def answers(monkeypatch):
    """Scripted answers for every modal question; records what was asked."""
    state = {"confirm": True, "text": "Patient called", "choose": 0, "path": None, "asked": []}

    def confirm(_parent, title, text):
        state["asked"].append(("confirm", title, text))
        return state["confirm"]

    def ask_text(_parent, title, label, default=""):
        state["asked"].append(("text", title, label))
        return state["text"]

    def warn(_parent, title, text):
        state["asked"].append(("warn", title, text))

    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "ask_text", ask_text)
    monkeypatch.setattr(dialogs, "warn", warn)
    monkeypatch.setattr(dialogs, "info", warn)
    monkeypatch.setattr(prompts, "choose", lambda *_a: state["choose"])
    monkeypatch.setattr(prompts, "save_path", lambda *_a: state["path"])
    return state


@pytest.fixture
def tab(qtbot, demo_services):
    selection = Selection()
    widget = ScheduleTab(demo_services, selection)
    qtbot.addWidget(widget)
    widget.resize(1500, 900)
    widget.show()
    widget.selection_for_test = selection
    return widget


def cell_of(tab: ScheduleTab, appointment_id: int) -> tuple[int, int]:
    block = tab.model.block_of(appointment_id)
    assert block is not None
    return block.row, block.column


def select(tab: ScheduleTab, appointment_id: int) -> None:
    tab.grid.select_cell(*cell_of(tab, appointment_id))
    tab.grid.setFocus()


def open_cell(tab: ScheduleTab, day: dt.date, hour: int, minute: int) -> tuple[int, int]:
    """An open slot of the first provider on ``day``."""
    tab.set_day(day)
    row = tab.model.row_of(dt.time(hour, minute))
    assert tab.model.appointment_at(row, 0) is None
    return row, 0


# ------------------------------------------------------------------ the book
def test_day_view_shows_providers_slots_and_blocks(tab, demo_services, qtmodeltester):
    qtmodeltester.check(tab.model)
    providers = demo_services.schedule.providers()
    assert tab.model.columnCount() == len(providers)
    assert tab.model.headerData(0, Qt.Orientation.Horizontal).startswith(providers[0].display_name)
    assert tab.model.slot_minutes == 15 and tab.model.first_slot == dt.time(8)
    day = demo_services.schedule.day(NOW.date())
    assert {b.appointment.id for b in tab.model.blocks} == {r.id for r in day if r.is_active}
    tab.show_cancelled.setChecked(True)
    assert len(tab.model.blocks) == len(day)
    assert "booked" in tab.summary.text()


def test_slot_granularity_and_hours_come_from_settings(tab, demo_services):
    demo_services.settings.update(slot_minutes=10, opens=dt.time(7, 30))
    tab.reload()
    assert tab.model.slot_minutes == 10 and tab.model.first_slot == dt.time(7, 30)
    closed = tab.model.data(tab.model.index(0, 0), Qt.ItemDataRole.BackgroundRole)
    open_ = tab.model.data(tab.model.index(6, 0), Qt.ItemDataRole.BackgroundRole)
    assert closed.color() != open_.color()


def test_selecting_a_block_selects_the_patient_everywhere(tab, demo_services):
    row = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == flow.ARRIVED)
    seen = []
    tab.selection_for_test.appointment_changed.connect(seen.append)
    select(tab, row.id)
    assert seen[-1] == row.id and tab.selection_for_test.patient_id == row.patient_id
    assert row.patient_name in tab.details.text()


def test_arrow_keys_step_over_whole_appointments(tab, qtbot, demo_services):
    rows = [r for r in demo_services.schedule.day(NOW.date())
            if r.is_active and r.provider_id == tab.model.lanes[0].provider.id]  # fmt: skip
    select(tab, rows[0].id)
    qtbot.keyClick(tab.grid, Qt.Key.Key_Down)
    block = tab.model.block_of(rows[0].id)
    assert tab.grid.currentIndex().row() == block.row + block.span
    qtbot.keyClick(tab.grid, Qt.Key.Key_Up)
    assert tab.current_id == rows[0].id
    qtbot.keyClick(tab.grid, Qt.Key.Key_Right)
    assert tab.grid.currentIndex().column() == 1


def test_day_navigation_and_week_view(tab, qtbot, demo_services):
    tab.grid.setFocus()
    qtbot.keyClick(tab.grid, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert tab.day == TOMORROW
    qtbot.keyClick(tab.grid, Qt.Key.Key_T)
    assert tab.day == NOW.date()
    provider = demo_services.schedule.providers()[1]
    tab.show_week(provider.id)
    assert tab.model.columnCount() == 7
    assert tab.model.headerData(0, Qt.Orientation.Horizontal) == "Mon 11/23"
    assert {b.appointment.provider_id for b in tab.model.blocks} == {provider.id}
    tab.step(1)
    assert tab.model.lanes[0].day == dt.date(2026, 11, 30)
    tab.show_week(None)
    assert tab.model.columnCount() == 3


# ------------------------------------------------------------------ booking
def test_book_with_the_keyboard_and_it_survives(tab, qtbot, demo_services, answers):
    row, column = open_cell(tab, TOMORROW, 12, 15)
    tab.grid.select_cell(row, column)
    tab.grid.setFocus()
    qtbot.keyClick(tab.grid, Qt.Key.Key_Return)
    dialog = tab.dialog
    assert dialog is not None and dialog.isVisible()
    patient = demo_services.patients.search("a")[0]
    qtbot.keyClicks(dialog.picker.search, patient.last_name)
    choices = dialog.picker.model.rows()
    assert any(h.id == patient.id for h in choices)
    dialog.picker.results.setCurrentIndex(
        dialog.picker.model.index([h.id for h in choices].index(patient.id), 0)
    )
    qtbot.keyClicks(dialog.reason, "Knee pain")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    booked = [r for r in demo_services.schedule.day(TOMORROW) if r.reason == "Knee pain"]
    assert len(booked) == 1 and booked[0].start == dt.datetime.combine(TOMORROW, dt.time(12, 15))
    assert booked[0].patient_id == patient.id
    assert tab.model.block_of(booked[0].id) is not None


def test_booking_errors_show_next_to_the_field(tab, qtbot, demo_services, answers):
    row, column = open_cell(tab, TOMORROW, 12, 15)
    tab.grid.select_cell(row, column)
    dialog = tab.open_dialog(start=dt.datetime.combine(TOMORROW, dt.time(12, 15)),
                             provider_id=tab.model.lanes[0].provider.id)  # fmt: skip
    dialog.save()
    assert dialog.messages["patient"].isVisibleTo(dialog)
    qtbot.keyClicks(dialog.picker.search, demo_services.patients.search("b")[0].last_name)
    dialog.minutes.setValue(0)
    dialog.save()
    assert "at least one minute" in dialog.messages["minutes"].text()
    dialog.minutes.setValue(15)
    dialog.date.setDate(dialog.date.date().addDays(-3))
    dialog.save()
    assert "past" in dialog.messages["start"].text()
    assert dialog.isVisible()


def test_double_booking_warns_live_and_can_be_declined(tab, qtbot, demo_services, answers):
    busy = next(r for r in demo_services.schedule.day(TOMORROW) if r.is_active)
    tab.set_day(TOMORROW)
    dialog = tab.open_dialog(start=busy.start, provider_id=busy.provider_id)
    other = next(h for h in demo_services.patients.search("c") if h.id != busy.patient_id)
    qtbot.keyClicks(dialog.picker.search, other.last_name)
    assert "Double booking" in dialog.warnings.text() and dialog.warnings.isVisibleTo(dialog)
    answers["confirm"] = False
    before = len(demo_services.schedule.day(TOMORROW))
    dialog.save()
    assert dialog.isVisible() and len(demo_services.schedule.day(TOMORROW)) == before
    answers["confirm"] = True
    dialog.save()
    assert len(demo_services.schedule.day(TOMORROW)) == before + 1


def test_recurring_booking_from_the_dialog(tab, qtbot, demo_services, answers):
    start = dt.datetime.combine(TOMORROW, dt.time(12, 0))
    dialog = tab.open_dialog(start=start, provider_id=tab.model.lanes[0].provider.id)
    qtbot.keyClicks(dialog.picker.search, demo_services.patients.search("d")[0].last_name)
    dialog.repeat.setCurrentIndex(dialog.repeat.findData("weeks"))
    dialog.count.setValue(3)
    dialog.save()
    assert len(dialog.saved) == 3
    assert [r.start for r in dialog.saved] == [start + dt.timedelta(weeks=i) for i in range(3)]


# ------------------------------------------------------------------ moving
def future_booking(demo_services, provider_index=0):
    providers = demo_services.schedule.providers()
    return next(r for r in demo_services.schedule.day(TOMORROW)
                if r.status in flow.OPEN_STATUSES
                and r.provider_id == providers[provider_index].id)  # fmt: skip


def test_move_through_the_models_drop_handler(tab, demo_services, answers):
    appt = future_booking(demo_services)
    tab.set_day(TOMORROW)
    model: ScheduleGridModel = tab.model
    mime = model.mimeData([model.index(*cell_of(tab, appt.id))])
    target = model.index(model.row_of(dt.time(12, 30)), 1)
    assert model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, target)
    moved = demo_services.schedule.get(appt.id)
    assert moved.start == dt.datetime.combine(TOMORROW, dt.time(12, 30))
    assert moved.provider_id == model.lanes[1].provider.id
    assert tab.current_id == appt.id


def test_move_by_dropping_on_the_view(tab, demo_services, answers):
    appt = future_booking(demo_services, 1)
    tab.set_day(TOMORROW)
    target = tab.model.index(tab.model.row_of(dt.time(12, 45)), 2)
    point = tab.grid.visualRect(target).center()
    mime = QMimeData()
    mime.setData(MIME_TYPE, str(appt.id).encode())
    event = QDropEvent(point.toPointF(), Qt.DropAction.MoveAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
    tab.grid.dropEvent(event)
    moved = demo_services.schedule.get(appt.id)
    assert moved.start.time() == dt.time(12, 45)
    assert moved.provider_id == tab.model.lanes[2].provider.id


def test_dragging_a_block_onto_a_busy_slot_asks_first(tab, demo_services, answers):
    appt = future_booking(demo_services)
    busy = future_booking(demo_services, 1)
    tab.set_day(TOMORROW)
    answers["confirm"] = False
    assert not tab.move_appointment(appt.id, busy.start, busy.provider_id)
    assert demo_services.schedule.get(appt.id).start == appt.start
    assert any("Double booking" in a[2] for a in answers["asked"])


def test_move_by_editing_the_time(tab, qtbot, demo_services, answers):
    appt = future_booking(demo_services)
    tab.set_day(TOMORROW)
    select(tab, appt.id)
    qtbot.keyClick(tab.grid, Qt.Key.Key_Return)
    dialog = tab.dialog
    assert dialog.appointment.id == appt.id
    dialog.time.setTime(dialog.time.time().fromString("12:30", "HH:mm"))
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert demo_services.schedule.get(appt.id).start.time() == dt.time(12, 30)


# ------------------------------------------------------------------ cancel and waitlist
def test_delete_cancels_with_a_reason_and_offers_the_waitlist(tab, qtbot, demo_services, answers):
    appt = future_booking(demo_services)
    entry = demo_services.waitlist.add(
        patient_id=appt.patient_id + 1, provider_id=appt.provider_id, preferred_days="0123456"
    )
    tab.set_day(TOMORROW)
    select(tab, appt.id)
    answers["text"] = "Feeling better"
    qtbot.keyClick(tab.grid, Qt.Key.Key_Delete)
    cancelled = demo_services.schedule.get(appt.id)
    assert cancelled.status == flow.CANCELLED and cancelled.cancel_reason == "Feeling better"
    assert entry.id in tab.waitlist.offer_ids
    assert all(
        e.fits(appt.provider_id, appt.start, appt.minutes)
        for e in demo_services.waitlist.entries()
        if e.id in tab.waitlist.offer_ids
    )
    assert tab.side.currentWidget() is tab.waitlist
    position = [w.id for w in tab.waitlist.model.rows()].index(entry.id)
    assert position < len(tab.waitlist.offer_ids)  # offers come first
    tab.waitlist.table.setCurrentIndex(tab.waitlist.model.index(position, 0))
    tab.waitlist.book_button.click()
    dialog = tab.dialog
    assert dialog.patient_id() == entry.patient_id and dialog.start() == appt.start
    dialog.save()
    assert entry.id not in [e.id for e in demo_services.waitlist.entries()]


def test_cancel_can_be_abandoned(tab, qtbot, demo_services, answers):
    appt = future_booking(demo_services)
    tab.set_day(TOMORROW)
    select(tab, appt.id)
    answers["text"] = None
    qtbot.keyClick(tab.grid, Qt.Key.Key_Delete)
    assert demo_services.schedule.get(appt.id).status == appt.status


def test_waitlist_dialog_adds_an_entry(tab, qtbot, demo_services, answers):
    appt = future_booking(demo_services)
    tab.set_day(TOMORROW)
    select(tab, appt.id)
    qtbot.keyClick(tab.grid, Qt.Key.Key_W)
    dialog = tab.waitlist.dialog
    dialog.any_time.setChecked(False)
    dialog.time_from.setTime(dialog.time_from.time().fromString("13:00", "HH:mm"))
    dialog.time_to.setTime(dialog.time_to.time().fromString("09:00", "HH:mm"))
    dialog.save()
    assert "before the latest" in dialog.messages["preferred_to"].text()
    dialog.time_to.setTime(dialog.time_to.time().fromString("17:00", "HH:mm"))
    qtbot.keyClicks(dialog.note, "Wants afternoons")
    dialog.save()
    notes = [e.note for e in demo_services.waitlist.entries()]
    assert notes[-1] == "Wants afternoons"
    assert tab.waitlist.model.rowCount() == len(notes)


# ------------------------------------------------------------------ flow
def test_walk_a_visit_through_every_status_with_single_keys(tab, qtbot, demo_services, answers,
                                                            clock):  # fmt: skip
    appt = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == flow.SCHEDULED)
    select(tab, appt.id)
    ready = [r for r in demo_services.rooms.board() if r.state == "ready"]
    assert ready, "the demo clinic keeps a room ready at 10:30"
    for key, status in [(Qt.Key.Key_C, flow.CONFIRMED), (Qt.Key.Key_A, flow.ARRIVED),
                        (Qt.Key.Key_R, flow.ROOMED), (Qt.Key.Key_P, flow.WITH_PROVIDER),
                        (Qt.Key.Key_O, flow.CHECKED_OUT)]:  # fmt: skip
        clock.advance(minutes=3)
        qtbot.keyClick(tab.grid, key)
        assert demo_services.schedule.get(appt.id).status == status, status
        assert tab.current_id == appt.id
    rooms = {r.id: r.state for r in demo_services.rooms.board()}
    assert rooms[ready[0].id] == "needs_turnover"
    qtbot.keyClick(tab.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert demo_services.schedule.get(appt.id).status == flow.WITH_PROVIDER
    assert {r.id: r.state for r in demo_services.rooms.board()}[ready[0].id] == "occupied"
    assert "Undone" in tab.status.text()


def test_illegal_moves_are_refused_with_a_message(tab, qtbot, demo_services, answers):
    tab.show_cancelled.setChecked(True)
    appt = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == flow.NO_SHOW)
    select(tab, appt.id)
    qtbot.keyClick(tab.grid, Qt.Key.Key_A)
    assert demo_services.schedule.get(appt.id).status == flow.NO_SHOW
    assert (
        answers["asked"][-1][0] == "warn" and "cannot be marked arrived" in answers["asked"][-1][2]
    )


def test_no_show_needs_confirmation(tab, qtbot, demo_services, answers):
    appt = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == flow.SCHEDULED)
    select(tab, appt.id)
    answers["confirm"] = False
    qtbot.keyClick(tab.grid, Qt.Key.Key_N)
    assert demo_services.schedule.get(appt.id).status == flow.SCHEDULED
    answers["confirm"] = True
    qtbot.keyClick(tab.grid, Qt.Key.Key_N)
    assert demo_services.schedule.get(appt.id).status == flow.NO_SHOW


def test_flow_board_lists_patients_in_clinic_and_keeps_selection(tab, demo_services, clock):
    board = tab.flow_board
    in_clinic = [r for r in demo_services.schedule.day(NOW.date())
                 if r.status in flow.IN_CLINIC_STATUSES]  # fmt: skip
    assert board.model.rowCount() == len(in_clinic) > 0
    assert f"{len(in_clinic)} in clinic" in board.header.text()
    board.table.setCurrentIndex(board.model.index(1, 0))
    chosen = board.selected_row().appointment.id
    assert tab.current_id == chosen and tab.selection_for_test.appointment_id == chosen
    clock.advance(minutes=20)
    tab.timer.timeout.emit()
    assert board.selected_row().appointment.id == chosen
    waits = {f.appointment.id: f for f in board.model.rows()}
    assert waits[chosen].total_minutes >= 20
    column = [board.model.headerData(i, Qt.Orientation.Horizontal)
              for i in range(board.model.columnCount())].index("Wait")  # fmt: skip
    alert = next(i for i, f in enumerate(board.model.rows()) if f.waiting_minutes >= 30)
    colour = board.model.data(board.model.index(alert, column), Qt.ItemDataRole.BackgroundRole)
    assert colour.color().name() == "#f5b7b1"


def test_follow_up_in_two_weeks(tab, qtbot, demo_services, answers):
    appt = next(r for r in demo_services.schedule.day(NOW.date())
                if r.status == flow.CHECKED_OUT)  # fmt: skip
    tab.show_cancelled.setChecked(True)
    select(tab, appt.id)
    answers["text"] = "2w"
    qtbot.keyClick(tab.grid, Qt.Key.Key_F)
    later = demo_services.schedule.day(NOW.date() + dt.timedelta(weeks=2))
    assert any(r.patient_id == appt.patient_id and r.start == appt.start + dt.timedelta(weeks=2)
               for r in later)  # fmt: skip
    answers["text"] = "soon"
    qtbot.keyClick(tab.grid, Qt.Key.Key_F)
    assert "10d, 2w" in answers["asked"][-1][2]


def test_next_open_slot_moves_the_cursor_there(tab, qtbot, demo_services, answers):
    types = demo_services.schedule.appointment_types()
    answers["choose"] = [t.name for t in types].index("New patient")
    tab.grid.select_cell(tab.model.row_of(dt.time(10, 30)), 0)
    tab.grid.setFocus()
    qtbot.keyClick(tab.grid, Qt.Key.Key_S)
    slot = tab._cursor_slot()
    found = demo_services.schedule.next_open_slot(slot[1], 45, after=NOW)
    assert slot[0] == found and "Press Enter" in tab.status.text()
    qtbot.keyClick(tab.grid, Qt.Key.Key_Return)
    assert tab.dialog.type.currentData() == types[answers["choose"]].id


# ------------------------------------------------------------------ export
def test_ics_export_matches_the_day_without_names(tab, qtbot, demo_services, answers, tmp_path):
    path = tmp_path / "day.ics"
    answers["path"], answers["confirm"] = str(path), False
    provider = tab.model.lanes[0].provider
    tab.grid.select_cell(0, 0)
    qtbot.keyClick(tab.grid, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    cal = Calendar.from_ical(path.read_bytes())
    events = list(cal.walk("VEVENT"))
    expected = [r for r in demo_services.schedule.day(NOW.date(), [provider.id]) if r.is_active]
    # Event times are zoned now (tests/test_ical_times.py); compare the clinic's wall clock.
    wall = [(e.decoded("dtstart").replace(tzinfo=None), e.decoded("dtend").replace(tzinfo=None))
            for e in events]  # fmt: skip
    assert sorted(wall) == sorted((r.start, r.end) for r in expected)
    text = path.read_text()
    assert not any(r.patient_name.split(",")[0] in text for r in expected)
    named = tmp_path / "day-with-names.ics"
    answers["confirm"], answers["path"] = True, str(named)
    qtbot.keyClick(tab.grid, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    summaries = {
        str(e.get("summary")) for e in Calendar.from_ical(named.read_bytes()).walk("VEVENT")
    }
    assert any(expected[0].patient_name in s for s in summaries)


def test_drop_on_nothing_is_ignored(tab):
    mime = QMimeData()
    mime.setData(MIME_TYPE, b"not a number")
    assert not tab.model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1,
                                      tab.model.index(0, 0))  # fmt: skip
    assert not tab.model.dropMimeData(QMimeData(), Qt.DropAction.MoveAction, -1, -1,
                                      tab.model.index(0, 0))  # fmt: skip
    assert tab.grid.block_at(QPoint(-5, -5)) is None


def test_flow_board_view_mode_and_back(tab, qtbot):
    tab.show_flow_board()
    assert not tab.grid.isVisible() and tab.flow_board.isVisible()
    tab.show_week(None)
    assert tab.grid.isVisible() and tab.model.columnCount() == 3


def test_cells_describe_themselves_with_the_insurance_flag(tab, demo_services):
    flagged = next(
        b for b in tab.model.blocks if b.appointment.patient_id in tab.model.flags_by_patient
    )
    text = tab.model.data(tab.model.index(flagged.row, flagged.column),
                          Qt.ItemDataRole.AccessibleTextRole)  # fmt: skip
    assert flagged.appointment.patient_name in text
    assert tab.model.flags_by_patient[flagged.appointment.patient_id] in text


def test_changing_day_keeps_actions_on_what_the_cursor_shows(tab, demo_services):
    appt = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == flow.SCHEDULED)
    select(tab, appt.id)
    row, column = cell_of(tab, appt.id)
    tab.step(1)
    shown = tab.model.appointment_at(row, column)
    assert tab.current_id == (shown.id if shown else None)
    assert tab.current_id != appt.id


def test_details_show_typed_text_literally_and_the_history(tab, demo_services, answers):
    patient = demo_services.patients.search("e")[0]
    row = demo_services.schedule.book(
        patient_id=patient.id, provider_id=tab.model.lanes[0].provider.id,
        type_id=demo_services.schedule.appointment_types()[0].id,
        start=dt.datetime.combine(TOMORROW, dt.time(12, 0)), reason="<b>bold</b> & co",
        confirm=True,
    )  # fmt: skip
    demo_services.schedule.transition(row.id, flow.CONFIRMED)
    tab.set_day(TOMORROW)
    tab.side.setCurrentWidget(tab.details)
    select(tab, row.id)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in tab.details.text()
    assert "Scheduled → Confirmed" in tab.details.text()


def test_edit_the_rest_of_a_series_from_the_dialog(tab, qtbot, demo_services, answers):
    patient = demo_services.patients.search("f")[0]
    start = dt.datetime.combine(TOMORROW, dt.time(12, 0))
    rows = demo_services.schedule.book_series(
        patient_id=patient.id, provider_id=tab.model.lanes[0].provider.id,
        type_id=demo_services.schedule.appointment_types()[0].id, start=start,
        frequency="weeks", count=3, confirm=True,
    )  # fmt: skip
    dialog = tab.open_dialog(appointment=demo_services.schedule.get(rows[1].id))
    dialog.scope.setCurrentIndex(dialog.scope.findData("following"))
    dialog.time.setTime(dialog.time.time().fromString("12:30", "HH:mm"))
    dialog.save()
    starts = [r.start.time() for r in demo_services.schedule.series(rows[0].series_id)]
    assert starts == [dt.time(12, 0), dt.time(12, 30), dt.time(12, 30)]


def test_enter_on_the_flow_board_shows_the_details(tab, qtbot):
    tab.flow_board.table.setFocus()
    tab.flow_board.table.setCurrentIndex(tab.flow_board.model.index(0, 0))
    qtbot.keyClick(tab.flow_board.table, Qt.Key.Key_Return)
    assert tab.side.currentWidget() is tab.details
    assert tab.flow_board.selected_row().appointment.patient_name in tab.details.text()


def test_pulling_a_block_with_the_mouse_starts_its_drag(tab, qtbot, demo_services, monkeypatch):
    appt = future_booking(demo_services)
    tab.set_day(TOMORROW)
    started = []
    monkeypatch.setattr(tab.grid, "start_block_drag", lambda block: started.append(block))
    rect = tab.grid.block_rect(tab.model.block_of(appt.id))
    viewport = tab.grid.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert tab.current_id == appt.id
    qtbot.mouseMove(viewport, rect.center() + QPoint(0, 40))
    assert [b.appointment.id for b in started] == [appt.id]
    mime = tab.model.mimeData([tab.model.index(*cell_of(tab, appt.id))])
    assert bytes(mime.data(MIME_TYPE)).decode() == str(appt.id)


def test_provider_menu_hides_and_shows_columns(tab, demo_services):
    first = tab.provider_menu.actions()[0]
    first.setChecked(False)
    assert tab.model.columnCount() == 2
    assert demo_services.schedule.providers()[0].id not in {
        lane.provider.id for lane in tab.model.lanes
    }
    first.setChecked(True)
    assert tab.model.columnCount() == 3


def test_single_keys_do_nothing_outside_the_book(tab, qtbot, demo_services, answers):
    appt = next(r for r in demo_services.schedule.day(NOW.date()) if r.status == flow.SCHEDULED)
    select(tab, appt.id)
    tab.view_mode.setFocus()
    qtbot.keyClick(tab.view_mode, Qt.Key.Key_A)
    assert demo_services.schedule.get(appt.id).status == flow.SCHEDULED
    tab.grid.setFocus()
    qtbot.keyClick(tab.grid, Qt.Key.Key_A)
    assert demo_services.schedule.get(appt.id).status == flow.ARRIVED


def test_flow_keys_work_on_the_flow_board(tab, qtbot, demo_services, answers):
    board = tab.flow_board
    row = next(i for i, f in enumerate(board.model.rows()) if f.appointment.status == flow.ARRIVED)
    appt_id = board.model.rows()[row].appointment.id
    board.table.setFocus()
    board.table.setCurrentIndex(board.model.index(row, 0))
    qtbot.keyClick(board.table, Qt.Key.Key_R)
    assert demo_services.schedule.get(appt_id).status == flow.ROOMED
    assert board.selected_row().appointment.id == appt_id
