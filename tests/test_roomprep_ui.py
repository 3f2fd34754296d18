"""Room prep tab driven like an MA would: board, keyboard checklist run, editor, restock, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from ma_desk.actor import Actor
from ma_desk.clinical import flow
from ma_desk.db.models import Appointment, ChecklistRun, Room, User
from ma_desk.errors import ValidationError
from ma_desk.reports.compliance_csv import compliance_csv
from ma_desk.reports.csv_safe import safe_cell
from ma_desk.services.checklists import ComplianceReport, GapRow, RunSummaryRow
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.roomprep import compliance as compliance_module
from ma_desk.ui.roomprep.run_panel import RunItemsModel
from ma_desk.ui.roomprep.tab import RoomPrepTab
from ma_desk.ui.roomprep.template_editor import DraftItemsModel, TemplateEditorDialog
from ma_desk.ui.selection import Selection

NOW = dt.datetime(2026, 11, 23, 10, 30)


@pytest.fixture
def ma_services(services):
    with services.ctx.db.write() as s:
        s.add_all([
            Room(name="Exam 1", room_type="exam", state="needs_turnover", state_since=NOW, sort_order=0),
            Room(name="Exam 2", room_type="exam", state="ready", state_since=NOW, sort_order=1),
            User(id=5, username="kchen", display_name="Kim Chen", role="medical_assistant", created_at=NOW),
            User(id=6, username="admin", display_name="Ada Admin", role="administrator", created_at=NOW),
        ])  # fmt: skip
    services.set_actor(Actor(5, "kchen", "Kim Chen", "medical_assistant", "ws1"))
    return services


def _tab(qtbot, services) -> RoomPrepTab:
    tab = RoomPrepTab(services, Selection())
    qtbot.addWidget(tab)
    tab.resize(1300, 760)
    tab.show()
    return tab


def _state(services, name: str) -> str:
    return next(r.state for r in services.rooms.board() if r.name == name)


def test_turnover_run_by_keyboard_refuses_ready_with_required_item_open(
    qtbot, ma_services, monkeypatch, clock
):
    tab = _tab(qtbot, ma_services)
    assert not tab.edit_button.isEnabled()  # an MA cannot edit templates
    tab.board.setFocus()
    tab.select_room(next(r.id for r in ma_services.rooms.board() if r.name == "Exam 1"))
    assert tab.moment.currentData() == "between"  # a used room calls for a turnover
    qtbot.keyClick(tab.board, Qt.Key.Key_Return)
    panel = tab.run_panel
    assert panel.run is not None and panel.run.room_name == "Exam 1"
    items = panel.model.rows()
    required = [n for n, i in enumerate(items) if i.required]
    last_required = required[-1]
    # Tick every item except the last required one, by keyboard (Space ticks and moves on).
    for n in range(len(items)):
        panel.items.setCurrentIndex(panel.model.index(n, 1))
        if n != last_required:
            qtbot.keyClick(panel.items, Qt.Key.Key_Space)
    clock.advance(minutes=3)
    assert not panel.finish_button.isEnabled()  # the reason is its tooltip (tests below)
    qtbot.keyClick(panel.items, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert (
        "still open" in panel.message.text() and items[last_required].text in panel.message.text()
    )
    assert panel.items.currentIndex().row() == last_required
    assert _state(ma_services, "Exam 1") == "needs_turnover"
    assert (
        "NEEDS TURNOVER" not in panel.progress.text()
        and "1 required still open" in panel.progress.text()
    )

    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "Sharps box on order, used spare")
    qtbot.keyClick(panel.items, Qt.Key.Key_N)
    assert panel.model.row_at(last_required).status_label == "Not done"
    clock.advance(minutes=1)
    qtbot.keyClick(panel.items, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert panel.run.status == "completed"
    assert _state(ma_services, "Exam 1") == "ready"
    with ma_services.ctx.db.read() as s:
        run = s.get(ChecklistRun, panel.run.id)
        assert run.user_id == 5 and run.user_name == "Kim Chen"
        assert run.finished_at - run.started_at == dt.timedelta(minutes=4)
    card_text = tab.model.index(0, 0).data()
    assert "Ready" in card_text and "Kim Chen" in card_text


def test_mouse_tick_note_and_low_supply_reach_restock_list(qtbot, ma_services):
    tab = _tab(qtbot, ma_services)
    tab.select_room(next(r.id for r in ma_services.rooms.board() if r.name == "Exam 1"))
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    panel = tab.run_panel
    rect = panel.items.visualRect(panel.model.index(0, 0))
    qtbot.mouseClick(panel.items.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.model.row_at(0).done
    supply_row = next(n for n, i in enumerate(panel.model.rows()) if i.is_supply)
    panel.items.setCurrentIndex(panel.model.index(supply_row, 1))
    qtbot.keyClicks(panel.note, "Gloves M: last box")
    qtbot.keyClick(panel.note, Qt.Key.Key_Return)
    panel.items.setFocus()
    qtbot.keyClick(panel.items, Qt.Key.Key_L)
    item = panel.model.row_at(supply_row)
    assert item.note == "Gloves M: last box" and item.low_supply
    tab.pages.setCurrentWidget(tab.restock)
    (row,) = tab.restock.model.rows()
    assert row.note == "Gloves M: last box" and row.room_name == "Exam 1"
    assert tab.pages.tabText(1) == "Restock list (1)"
    tab.restock.table.setCurrentIndex(tab.restock.model.index(0, 0))
    qtbot.mouseClick(tab.restock.mark_button, Qt.MouseButton.LeftButton)
    assert tab.restock.model.rows()[0].restocked_by == "Kim Chen"


def test_out_of_service_needs_reason_and_comes_back_needing_turnover(
    qtbot, ma_services, monkeypatch
):
    tab = _tab(qtbot, ma_services)
    tab.select_room(next(r.id for r in ma_services.rooms.board() if r.name == "Exam 2"))
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "   ")
    qtbot.mouseClick(tab.out_button, Qt.MouseButton.LeftButton)
    assert "Say why" in tab.message.text() and _state(ma_services, "Exam 2") == "ready"
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "Exam light broken")
    qtbot.mouseClick(tab.out_button, Qt.MouseButton.LeftButton)
    assert _state(ma_services, "Exam 2") == "out_of_service"
    assert not tab.start_button.isEnabled() and tab.back_button.isEnabled()
    assert "Exam light broken" in tab.model.index(1, 0).data()
    qtbot.mouseClick(tab.back_button, Qt.MouseButton.LeftButton)
    assert _state(ma_services, "Exam 2") == "needs_turnover"


def test_administrator_edits_items_order_and_required(qtbot, ma_services, qtmodeltester):
    ma_services.set_actor(Actor(6, "admin", "Ada Admin", "administrator", "ws1"))
    tab = _tab(qtbot, ma_services)
    assert tab.edit_button.isEnabled()
    dialog = TemplateEditorDialog(ma_services, tab)
    qtbot.addWidget(dialog)
    dialog.show()
    row = next(n for n, t in enumerate(dialog.template_model.rows())
               if (t.room_type, t.moment) == ("exam", "between"))  # fmt: skip
    dialog.template_list.setCurrentIndex(dialog.template_model.index(row, 0))
    model = dialog.items_model
    qtmodeltester.check(model)
    count = model.rowCount()
    dialog.items.setCurrentIndex(model.index(count - 1, 0))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    (editor,) = dialog.items.viewport().findChildren(QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Privacy curtain checked for stains")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: model.items[count].text == "Privacy curtain checked for stains")
    model.setData(
        model.index(count, 1), Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole
    )
    qtbot.mouseClick(dialog.up_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "Saved" in dialog.status.text()
    saved = next(
        t
        for t in ma_services.checklists.templates()
        if (t.room_type, t.moment) == ("exam", "between")
    )
    assert saved.items[count - 1].text == "Privacy curtain checked for stains"
    assert not saved.items[count - 1].required and len(saved.items) == count + 1
    # An empty item is refused with a message and nothing changes.
    dialog.items.setCurrentIndex(model.index(0, 0))
    model.setData(model.index(0, 0), "   ")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "cannot be empty" in dialog.items_error.text()
    again = ma_services.checklists.template(saved.id)
    assert again.items == saved.items


def test_run_items_model_passes_modeltester(qtmodeltester, ma_services):
    assert ma_services.checklists.ensure_default_templates() > 0  # first run seeds them
    run = ma_services.checklists.start_run(ma_services.rooms.board()[0].id, "between")
    model = RunItemsModel()
    model.set_rows(list(run.items), True)
    qtmodeltester.check(model)
    draft = DraftItemsModel()
    qtmodeltester.check(draft)


def test_rooming_and_checkout_move_the_board(qtbot, demo_services):
    """Schedule's flow marks the room occupied, then needing turnover; the board follows."""
    with demo_services.ctx.db.read() as s:
        appt_id = s.query(Appointment.id).filter(Appointment.status == flow.ARRIVED).first()[0]
    spare = next(r for r in demo_services.rooms.board() if r.state == "ready")
    tab = _tab(qtbot, demo_services)
    demo_services.schedule.transition(appt_id, flow.ROOMED, room_id=spare.id)
    tab.selection.notify_changed("schedule")
    row = next(r for r in tab.model.rows() if r.id == spare.id)
    assert row.state == "occupied" and row.patient_name
    demo_services.schedule.transition(appt_id, flow.WITH_PROVIDER)
    demo_services.schedule.transition(appt_id, flow.CHECKED_OUT)
    tab.selection.notify_changed("schedule")
    row = next(r for r in tab.model.rows() if r.id == spare.id)
    assert row.state == "needs_turnover" and not row.patient_name


def test_compliance_view_highlights_gaps_and_exports_csv_without_patient_names(
    qtbot, demo_services, monkeypatch, tmp_path
):
    tab = _tab(qtbot, demo_services)
    tab.pages.setCurrentWidget(tab.compliance)
    page = tab.compliance
    qtbot.waitUntil(lambda: page.report is not None and not page.loader.busy)
    assert page.gap_model.rowCount() > 0 and page.run_model.rowCount() > 100
    assert page.gap_model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    exam2 = page.room.findText("Exam 2")
    page.room.setCurrentIndex(exam2)
    qtbot.waitUntil(lambda: page.report.room_id == page.room.itemData(exam2))
    assert {r.room_name for r in page.run_model.rows()} == {"Exam 2"}
    target = tmp_path / "audit.csv"
    monkeypatch.setattr(compliance_module, "ask_save_path", lambda *a: target)
    shown = []
    monkeypatch.setattr(dialogs, "info", lambda *a: shown.append(a[2]))
    page.room.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.report.room_id is None and page.export_button.isEnabled())
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert (
        rows[0][0] == "record"
        and sum(1 for r in rows if r[0] == "GAP") == page.gap_model.rowCount()
    )
    assert sum(1 for r in rows if r[0] == "run") == page.run_model.rowCount()
    patients = [r.patient_name.split(",")[0] for r in demo_services.rooms.board() if r.patient_name]
    assert patients and not any(name in text for name in patients)
    assert shown and "gaps" in shown[0]
    # A reversed range is refused with a message, not a crash.
    page.date_from.setDate(page.date_to.date().addDays(3))
    qtbot.waitUntil(lambda: not page.loader.busy)
    assert "after the end date" in page.message.text() and not page.export_button.isEnabled()


@settings(max_examples=80)
@given(st.text())
def test_csv_cells_never_start_a_formula_and_stay_on_one_line(text):
    cell = safe_cell(text)
    assert not cell.startswith(("=", "+", "-", "@")) and "\n" not in cell and "\r" not in cell


@settings(max_examples=40)
@given(note=st.text(max_size=80), user=st.text(max_size=30))
def test_compliance_csv_round_trips_any_typed_text(note, user):
    start = dt.datetime(2026, 11, 20, 9, 0)
    run = RunSummaryRow(1, 1, "Exam 1", "between", "Exam turnover", user, start,
                        start + dt.timedelta(minutes=4), "completed", 8, 7,
                        (f"Sharps: {note}",), 1, note)  # fmt: skip
    gap = GapRow(1, "Exam 1", start.date(), "no_turnover", start, start - dt.timedelta(minutes=5))
    report = ComplianceReport(start.date(), start.date(), None, (run,), (gap,))
    rows = list(csv.reader(io.StringIO(compliance_csv(report))))
    assert len(rows) == 3 and all(len(r) == len(rows[0]) for r in rows)
    assert rows[2][9] == safe_cell(user) and rows[2][15] == safe_cell(note)


# ------------------------------------------------------------------ Set room ready (issue 15)
def _finish_state(panel) -> tuple[bool, str]:
    button = panel.finish_button
    assert button.toolTip() == button.accessibleDescription()
    return button.isEnabled(), button.toolTip()


def test_set_room_ready_is_disabled_with_a_reason_without_a_checklist(qtbot, ma_services):
    tab = _tab(qtbot, ma_services)
    enabled, reason = _finish_state(tab.run_panel)
    assert not enabled and "Start a room's checklist first" in reason


@pytest.mark.parametrize(
    "resolve",
    ["nothing", "all but the last required", "every required item", "last required not done"],
)
def test_set_room_ready_is_enabled_exactly_when_the_service_accepts(qtbot, ma_services, resolve):
    tab = _tab(qtbot, ma_services)
    tab.select_room(next(r.id for r in ma_services.rooms.board() if r.name == "Exam 1"))
    tab.start_selected()
    panel = tab.run_panel
    items = panel.model.rows()
    required = [i for i in items if i.required]
    if resolve in ("all but the last required", "every required item", "last required not done"):
        for item in required[:-1]:
            panel._apply(lambda i=item: ma_services.checklists.tick(i.id))
    if resolve == "every required item":
        panel._apply(lambda: ma_services.checklists.tick(required[-1].id))
    if resolve == "last required not done":
        panel._apply(lambda: ma_services.checklists.mark_not_done(required[-1].id, "On order"))
    enabled, reason = _finish_state(panel)
    try:
        ma_services.checklists.finish_run(panel.run.id, expected_version=panel.run.version)
        accepted, refusal = True, ""
    except ValidationError as error:
        accepted, refusal = False, str(error)
    assert enabled is accepted
    if not accepted:
        assert reason == refusal  # the same plain words as the service's refusal
        assert required[0].text in reason or required[-1].text in reason


def test_set_room_ready_is_disabled_once_the_checklist_is_closed(qtbot, ma_services):
    tab = _tab(qtbot, ma_services)
    tab.select_room(next(r.id for r in ma_services.rooms.board() if r.name == "Exam 1"))
    tab.start_selected()
    panel = tab.run_panel
    for item in panel.model.rows():
        panel._apply(lambda i=item: ma_services.checklists.tick(i.id))
    assert panel.finish_button.isEnabled()
    qtbot.keyClick(panel.items, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert panel.run.status == "completed"
    enabled, reason = _finish_state(panel)
    assert not enabled and "closed" in reason
