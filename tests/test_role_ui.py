"""The UI knows the user's role before they type (issue 15 item 6).

Every role-held control of every tab and menu is enabled exactly when the permission table
(ma_desk/permissions.py) lets the signed-in role make the service call behind it, and a
held one says why; a front-desk user sees vitals read-only; keys of held actions say why
in the status bar; another user's unlock clears the previous user's unsaved entries, the
same user's unlock keeps them.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

from ma_desk.clinical import flow
from ma_desk.clinical import vitals as rules
from ma_desk.permission_reasons import may, refusal_reason
from ma_desk.permissions import ROLES
from ma_desk.security.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from ma_desk.services.policy import policy_of
from ma_desk.ui.common.role_gate import RoleLock
from ma_desk.ui.main_window import TAB_CLASSES, MainWindow
from ma_desk.ui.schedule.tab import FLOW_KEYS
from ma_desk.ui.tab_base import Tab

ACCOUNT = {role: username for username, _name, role in DEMO_ACCOUNTS}
DEADLINE_MS = 10_000

# Each role-held control, named by the service call it makes: the permissions that must
# hold it are read from that method's @policy, never copied by hand.
CALLS = {
    # Schedule (book, flow board, waitlist; their keys)
    "schedule_book": "schedule.book",
    "schedule_action_book": "schedule.book",
    "schedule_follow_up": "schedule.book_follow_up",
    "schedule_action_follow_up": "schedule.book_follow_up",
    "schedule_waitlist_add": "waitlist.add",
    "schedule_action_waitlist": "waitlist.add",
    "waitlist_add": "waitlist.add",
    "waitlist_book": "schedule.book",
    "waitlist_remove": "waitlist.remove",
    "schedule_cancel": "schedule.cancel",
    "schedule_action_cancel": "schedule.cancel",
    "schedule_undo": "schedule.undo_last_transition",
    "schedule_action_undo": "schedule.undo_last_transition",
    **{f"schedule_flow_{status}": "schedule.transition" for status, _l, _k in FLOW_KEYS},
    **{f"schedule_action_flow_{status}": "schedule.transition" for status, _l, _k in FLOW_KEYS},
    "flow_notify_provider": "vitals.mark_provider_notified",
    "key D on flow_board_table": "vitals.mark_provider_notified",
    # Check-in
    "checkin_new_patient": "patients.register",
    "key Ctrl+N on tab_checkin": "patients.register",
    "checkin_verify": "patients.mark_verified",
    "verify demographics": "patients.update",
    "verify contact": "patients.update",
    "arrive panel": "checkin.arrive",
    "key Ctrl+Return on tab_checkin": "checkin.arrive",
    "key Ctrl+Enter on tab_checkin": "checkin.arrive",
    # Vitals
    "vitals_entry": "vitals.save",
    "vitals_save": "vitals.save",
    "vitals_amend": "vitals.amend",
    "vitals_entered_in_error": "vitals.mark_entered_in_error",
    # Room prep
    "roomprep_start": "checklists.start_run",
    "roomprep_out_of_service": "rooms.set_state",
    "roomprep_back_in_service": "rooms.set_state",
    "checklist_run_panel": "checklists.tick",
    "restock_mark": "checklists.mark_restocked",
    "roomprep_edit_templates": "checklists.save_template",
    # Insurance
    "insurance_add": "insurance.add_coverage",
    "insurance_edit": "insurance.update_coverage",
    "insurance_verify": "insurance.verify",
    "insurance_up": "insurance.move_coverage",
    "insurance_down": "insurance.move_coverage",
    "key Ctrl+Up on insurance_coverages": "insurance.move_coverage",
    "key Ctrl+Down on insurance_coverages": "insurance.move_coverage",
    "insurance_end": "insurance.end_coverage",
    "insurance_remove": "insurance.remove_coverage",
    "checks_verify": "insurance.verify",
    "notes_add": "insurance.add_note",
    "notes_edit": "insurance.edit_note",
    "auth_add": "insurance.add_prior_auth",
    "auth_edit": "insurance.update_prior_auth",
    "auth_use": "insurance.use_auth_units",
    **{
        f"card_{side}_{key}": call
        for side in ("front", "back")
        for key, call in (
            ("file", "insurance.import_card_file"),
            ("scan", "insurance.import_card_file"),
            ("remove", "insurance.clear_card_image"),
        )
    },  # fmt: skip
    # Print and Administration menus
    "print_visit_summary": "reports.visit_summary",
    "print_handout": "handouts.record_given",
    "print_labels": "reports.labels",
    "print_end_of_day": "reports.end_of_day_pdf",
    "handout_library": "handouts.save",
    "action_users": "accounts.create_user",
    "action_audit": "audit_log.search",
    "action_clinic_settings": "settings.update",
    "action_import": "interchange.import_csv",
    "action_export_fhir": "interchange.export_patient_fhir",
}
# Checked by the code itself, not through a service method's @policy.
CHECKED_DIRECTLY = {"action_backup_now": ("backup.run",)}  # BackupNow: settings.check(...)
MENUS = "Menus"
# Controls a permitted role finds enabled whatever is selected.
ALWAYS_ON = {
    "schedule_book", "schedule_action_book", "waitlist_add", "checkin_new_patient",
    "vitals_entry", "roomprep_edit_templates", "print_visit_summary", "print_handout",
    "print_labels", "print_end_of_day", "handout_library", "action_users", "action_audit",
    "action_clinic_settings", "action_import", "action_export_fhir", "action_backup_now",
}  # fmt: skip


def needed(services, name: str) -> tuple[str, ...]:
    if name in CHECKED_DIRECTLY:
        return CHECKED_DIRECTLY[name]
    service, method = CALLS[name].split(".")
    declared = policy_of(getattr(getattr(services, service), method))
    assert declared is not None, CALLS[name]
    return declared.permissions


def open_window(qtbot, services, sign_in_as, tmp_path, role: str) -> MainWindow:
    sign_in_as(ACCOUNT[role])
    window = MainWindow(services, store_label="test", settings_file=tmp_path / f"{role}.ini")
    qtbot.addWidget(window)
    window.build_all_tabs()
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def target_name(window: MainWindow, lock: RoleLock) -> str:
    target = lock.target
    checkin = window.tab_widgets[1]
    special = {id(checkin.verify.form): "verify demographics",
               id(checkin.verify.contact_form): "verify contact",
               id(checkin.arrive): "arrive panel"}  # fmt: skip
    if id(target) in special:
        return special[id(target)]
    if isinstance(target, QShortcut):
        return f"key {target.key().toString()} on {target.parent().objectName()}"
    return target.objectName()


def area_of(lock: RoleLock) -> str:
    node = lock.target.parent()
    while node is not None and not isinstance(node, Tab):
        node = node.parent()
    return type(node).title if node is not None else MENUS


def tips(target) -> list[str]:
    if isinstance(target, QShortcut):
        return [target.whatsThis()]
    shown = [target.toolTip(), target.statusTip()]
    return [*shown, target.accessibleDescription()] if isinstance(target, QWidget) else shown


@pytest.mark.parametrize("role", ROLES)
def test_every_control_follows_the_permission_table_in_every_tab(
    qtbot, demo_services, sign_in_as, tmp_path, role: str
) -> None:
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, role)
    appt = next(r for r in demo_services.schedule.day(demo_services.ctx.clock.now().date())
                if r.status in flow.IN_CLINIC_STATUSES and r.visit_id)  # fmt: skip
    window.selection.select_appointment(appt.id, appt.patient_id)
    locks = window.findChildren(RoleLock)
    by_area: dict[str, list[str]] = {}
    for lock in locks:
        name = target_name(window, lock)
        by_area.setdefault(area_of(lock), []).append(name)
        permissions = needed(demo_services, name)
        assert lock.permissions == permissions, name
        if all(may(role, p) for p in permissions):
            assert lock.reason is None, name
            assert not any("accounts can" in t or "accounts cannot" in t
                           for t in tips(lock.target)), name  # fmt: skip
            if name in ALWAYS_ON:
                assert lock.target.isEnabled(), name
        else:
            reason = next(r for p in permissions if (r := refusal_reason(role, p)))
            assert not lock.target.isEnabled(), name
            assert lock.reason == reason and reason, name
            assert all(t == reason for t in tips(lock.target)), name
    notes = {"vitals.write": window.tab_widgets[2].role_note,
             "rooms.write": window.tab_widgets[3].role_note,
             "insurance.write": window.tab_widgets[4].role_note}  # fmt: skip
    for permission, note in notes.items():  # a tab its role may only read says so in words
        assert note.isHidden() is may(role, permission), permission
        assert note.text() == (refusal_reason(role, permission) or note.text())
    assert set(by_area) == {cls.title for cls in TAB_CLASSES} | {MENUS}  # every tab, menus
    names = [n for area in by_area.values() for n in area]
    assert len(names) == len(set(names))  # each gated once
    assert set(names) == set(CALLS) | set(CHECKED_DIRECTLY)


def vitals_rows_empty(vitals) -> bool:
    return all(not row.edit.text() for row in vitals.entry.rows.values())


def test_front_desk_presses_ctrl3_types_and_sees_why_vitals_are_read_only(
    qtbot, demo_services, sign_in_as, tmp_path
) -> None:
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "front_desk")
    appt = next(r for r in demo_services.schedule.day(demo_services.ctx.clock.now().date())
                if r.status == flow.ARRIVED and r.visit_id)  # fmt: skip
    before = len(demo_services.vitals.history(appt.patient_id))
    window.selection.select_appointment(appt.id, appt.patient_id)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    vitals = window.tab_widgets[2]
    qtbot.waitUntil(
        lambda: window.tab_page(window.tabs.currentIndex()) is vitals, timeout=DEADLINE_MS
    )
    typed_into = QApplication.focusWidget() or window
    assert not vitals.entry.isAncestorOf(typed_into)
    qtbot.keyClicks(typed_into, "120/80")
    qtbot.keyClick(typed_into, Qt.Key.Key_Return)
    assert vitals_rows_empty(vitals)
    assert not vitals.entry.isEnabled() and not vitals.entry.save_button.isEnabled()
    assert not vitals.entry.rows[rules.PULSE].edit.isEnabled()
    reason = refusal_reason("front_desk", "vitals.write")
    assert vitals.role_note.isVisible() and vitals.role_note.text() == reason
    assert "view vitals but not record" in reason
    assert vitals.entry.toolTip() == reason
    assert vitals.table.isEnabled() and vitals.model.rowCount() == before  # history readable
    assert len(demo_services.vitals.history(appt.patient_id)) == before


def test_a_held_key_says_why_in_the_status_bar(qtbot, demo_services, sign_in_as, tmp_path):
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "provider")
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    schedule = window.tab_widgets[0]
    schedule.grid.setFocus()
    qtbot.waitUntil(schedule.grid.hasFocus, timeout=DEADLINE_MS)
    qtbot.keyClick(schedule.grid, Qt.Key.Key_Insert)
    assert window.statusBar().currentMessage() == refusal_reason("provider", "schedule.write")
    assert schedule.dialog is None  # nothing opened
    schedule.flow_board.table.setFocus()
    qtbot.waitUntil(schedule.flow_board.table.hasFocus, timeout=DEADLINE_MS)
    window.statusBar().clearMessage()
    qtbot.keyClick(schedule.flow_board.table, Qt.Key.Key_D)
    assert window.statusBar().currentMessage() == refusal_reason("provider", "vitals.write")


def test_the_f1_sheet_lists_each_key_once_for_a_held_role(qtbot, demo_services, sign_in_as,
                                                          tmp_path):  # fmt: skip
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "provider")
    keys = [(e.area, e.keys) for e in window.shortcut_entries()]
    assert ("Schedule", "Ins or Ctrl+N") in keys and len(keys) == len(set(keys))


def lock_and_unlock(qtbot, window: MainWindow, username: str) -> None:
    window.session.lock("Ctrl+L")
    screen = window.session.lock_screen
    screen.form.username.clear()
    qtbot.keyClicks(screen.form.username, username)
    qtbot.keyClicks(screen.form.password, DEMO_PASSWORD)
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert not window.session.locked


def type_pulse(qtbot, window: MainWindow, appt) -> None:
    window.selection.select_appointment(appt.id, appt.patient_id)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    pulse = window.tab_widgets[2].entry.rows[rules.PULSE].edit
    pulse.setFocus()
    qtbot.waitUntil(pulse.hasFocus, timeout=DEADLINE_MS)
    qtbot.keyClicks(pulse, "72")


def arrived(services):
    return next(r for r in services.schedule.day(services.ctx.clock.now().date())
                if r.status == flow.ARRIVED and r.visit_id)  # fmt: skip


def test_the_same_user_unlocks_to_their_unsaved_entries(qtbot, demo_services, sign_in_as,
                                                        tmp_path):  # fmt: skip
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "medical_assistant")
    type_pulse(qtbot, window, arrived(demo_services))
    checkin = window.tab_widgets[1]
    checkin.start_registration()
    checkin.registration.form.set_value("last_name", "Halfway")
    lock_and_unlock(qtbot, window, "ma")
    vitals = window.tab_widgets[2]
    assert vitals.entry.rows[rules.PULSE].edit.text() == "72"
    assert checkin.registration.form.value("last_name") == "Halfway"
    assert checkin.stack.currentIndex() == 1


def test_another_user_unlocks_to_a_clean_window(qtbot, demo_services, sign_in_as, tmp_path):
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "medical_assistant")
    appt = arrived(demo_services)
    before = len(demo_services.vitals.history(appt.patient_id))
    type_pulse(qtbot, window, appt)
    checkin = window.tab_widgets[1]
    checkin.start_registration()
    checkin.registration.form.set_value("last_name", "Halfway")
    schedule = window.tab_widgets[0]
    dialog = schedule.open_dialog(appointment=demo_services.schedule.get(appt.id))
    qtbot.waitUntil(dialog.isVisible, timeout=DEADLINE_MS)
    lock_and_unlock(qtbot, window, "frontdesk")
    vitals = window.tab_widgets[2]
    assert vitals_rows_empty(vitals)
    assert not vitals.entry.isEnabled() and vitals.role_note.isVisible()  # now read-only
    assert checkin.registration.form.value("last_name") == ""
    assert checkin.stack.currentIndex() == 0
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=DEADLINE_MS)
    assert len(demo_services.vitals.history(appt.patient_id)) == before  # nothing saved
    # ... and back: the medical assistant gets a writable, empty form.
    lock_and_unlock(qtbot, window, "ma")
    assert vitals.entry.isEnabled() and vitals.role_note.isHidden()
    assert vitals_rows_empty(vitals)


def test_sign_out_then_the_same_user_starts_afresh(qtbot, demo_services, sign_in_as, tmp_path):
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "medical_assistant")
    type_pulse(qtbot, window, arrived(demo_services))
    window.session.sign_out()
    screen = window.session.lock_screen
    qtbot.keyClicks(screen.form.username, "ma")
    qtbot.keyClicks(screen.form.password, DEMO_PASSWORD)
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert not window.session.locked
    assert vitals_rows_empty(window.tab_widgets[2])


def test_emergency_access_opens_vitals_for_the_front_desk_and_closes_again(
    qtbot, demo_services, sign_in_as, tmp_path, clock
) -> None:
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "front_desk")
    vitals = window.tab_widgets[2]
    assert not vitals.entry.isEnabled()
    demo_services.accounts.grant_break_glass("admin", DEMO_PASSWORD, 30, "Patient collapsed")
    window.session.refresh_emergency()
    assert vitals.entry.isEnabled() and vitals.role_note.isHidden()
    assert not window.session.users_action.isEnabled()  # never administration
    demo_services.accounts.end_break_glass()
    window.session.refresh_emergency()
    assert not vitals.entry.isEnabled() and not vitals.role_note.isHidden()


def test_actions_held_during_the_lock_come_back_held(qtbot, demo_services, sign_in_as, tmp_path):
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "front_desk")
    lock_and_unlock(qtbot, window, "frontdesk")
    assert not window.session.users_action.isEnabled()
    assert window.tab_widgets[0].actions_by_name["book"].isEnabled()
    action: QAction = window.print_menu.end_of_day_action
    assert action.isEnabled()
    lock_and_unlock(qtbot, window, "provider")
    assert not action.isEnabled() and action.toolTip() == refusal_reason(
        "provider", "reports.end_of_day"
    )
    assert not window.tab_widgets[0].actions_by_name["book"].isEnabled()
    lock_and_unlock(qtbot, window, "admin")
    assert action.isEnabled() and window.session.users_action.isEnabled()
    assert window.tab_widgets[0].actions_by_name["book"].isEnabled()


def test_a_dragged_block_and_enter_on_a_room_say_why_instead_of_failing(
    qtbot, demo_services, sign_in_as, tmp_path
) -> None:
    window = open_window(qtbot, demo_services, sign_in_as, tmp_path, "provider")
    schedule = window.tab_widgets[0]
    appt = next(r for r in demo_services.schedule.day(demo_services.ctx.clock.now().date())
                if r.status in flow.OPEN_STATUSES)  # fmt: skip
    later = appt.start.replace(hour=16, minute=45)
    assert schedule.move_appointment(appt.id, later, appt.provider_id) is False
    assert schedule.status.text() == refusal_reason("provider", "schedule.write")
    assert demo_services.schedule.get(appt.id).start == appt.start
    dialog = schedule.open_dialog(appointment=appt)  # Enter on a booking: readable, not saved
    qtbot.waitUntil(dialog.isVisible, timeout=DEADLINE_MS)
    save = dialog.buttons.button(dialog.buttons.StandardButton.Save)
    assert not save.isEnabled() and dialog.role_note.isVisible()
    assert dialog.role_note.text() == save.toolTip() == refusal_reason("provider", "schedule.write")
    dialog.reject()
    rooms = window.tab_widgets[3]
    room = rooms.model.rows()[0]
    rooms.start_for_room(room)
    assert rooms.message.text() == refusal_reason("provider", "rooms.write")
    assert rooms.run_panel.run is None


@pytest.mark.parametrize("kind", ["widget", "action"])
def test_a_tab_rule_cannot_enable_what_the_role_holds(qtbot, demo_services, sign_in_as,
                                                      kind: str) -> None:  # fmt: skip
    """A tab enabling a control (a row chosen) never opens it to a role that may not."""
    from PySide6.QtWidgets import QPushButton

    from ma_desk.ui.common.role_gate import apply_roles, gate

    sign_in_as("frontdesk")
    holder = QWidget()
    qtbot.addWidget(holder)
    target = QPushButton("Save", holder) if kind == "widget" else QAction("Save", holder)
    target.setToolTip("Save the set")
    gate(target, demo_services, "vitals.write")
    target.setEnabled(True)
    assert not target.isEnabled()
    assert target.toolTip() == refusal_reason("front_desk", "vitals.write")
    sign_in_as("ma")
    apply_roles(holder)
    assert target.isEnabled() and target.toolTip() == "Save the set"
    target.setEnabled(False)  # the tab's own rule still works for a permitted role
    assert not target.isEnabled()
