"""Two workstations' forms on one clinic store, driven by keyboard into a save conflict.

Desk A (front desk) and desk B (nurses' station) each have their own Services
and their own window on the same store (SQLCipher file and PostgreSQL server).
Both open the same record; B saves first; A's save is refused: A's typing
stays in the form, the bar names who/when/where, Compare shows the saved values
beside A's, and Re-apply saves A's changes on top of B's (nothing of B's lost).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from sqlalchemy import select

from ma_desk.actor import Actor
from ma_desk.db.models import Patient
from ma_desk.services import Services
from ma_desk.services.insurance_rules import CoverageInput
from ma_desk.ui.checkin.verify_panel import VerifyPanel
from ma_desk.ui.insurance.coverage_dialog import CoverageDialog
from ma_desk.ui.schedule.appointment_dialog import AppointmentDialog

pytestmark = pytest.mark.both_stores

FRONT = Actor(None, "frontdesk-a", "Alma Front", "administrator", "FRONT-DESK-1")
NURSE = Actor(None, "nurse-b", "Bea Nurse", "administrator", "NURSE-STATION")
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def desks(demo_services: Services) -> tuple[Services, Services]:
    a = Services(demo_services.ctx.db, demo_services.ctx.clock, actor=FRONT)
    b = Services(demo_services.ctx.db, demo_services.ctx.clock, actor=NURSE)
    return a, b


def a_patient(services: Services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(Patient.id).order_by(Patient.id).limit(1))


def window(qtbot, widget: QWidget) -> QWidget:
    # A closed tab's refresh timer would fire in a later test, after its database is gone.
    qtbot.addWidget(widget, before_close_func=stop_timers)
    widget.show()
    return widget


def stop_timers(widget: QWidget) -> None:
    for timer in widget.findChildren(QTimer):
        timer.stop()


def activate(qtbot, widget: QWidget) -> None:
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window())


def retype(qtbot, editor: QLineEdit, text: str) -> None:
    """Focus ``editor``, select what is there, type ``text`` over it."""
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(editor, text)


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)


def test_check_in_edits_conflict_keep_the_input_and_reapply_on_the_saved_version(qtbot, desks):
    a, b = desks
    pid = a_patient(a)
    panel_a, panel_b = window(qtbot, VerifyPanel(a)), window(qtbot, VerifyPanel(b))
    panel_a.load(a.patients.get(pid))
    panel_b.load(b.patients.get(pid))

    activate(qtbot, panel_b)
    retype(qtbot, panel_b.form.line("phone"), "(555) 201-0142")
    press(qtbot, Qt.Key.Key_Return)
    assert b.patients.get(pid).phone == "(555) 201-0142"

    activate(qtbot, panel_a)
    city = panel_a.form.line("city")
    retype(qtbot, city, "Shelbyville")
    press(qtbot, Qt.Key.Key_Return)
    assert not panel_a.conflict.isHidden()
    message = panel_a.conflict.message.text()
    assert "changed by Bea Nurse at 10:30 on NURSE-STATION" in message
    assert city.text() == "Shelbyville"  # the typing stays
    assert a.patients.get(pid).city != "Shelbyville"  # nothing saved over B's version

    press(qtbot, Qt.Key.Key_M, ALT)  # Compare
    qtbot.waitUntil(lambda: not panel_a.conflict.comparison.isHidden())
    table = panel_a.conflict.comparison.text()
    assert "Saved by Bea Nurse" in table and "(555) 201-0142" in table and "Shelbyville" in table

    press(qtbot, Qt.Key.Key_Y, ALT)  # Re-apply my changes
    qtbot.waitUntil(panel_a.conflict.isHidden)
    stored = a.patients.get(pid)
    assert (stored.city, stored.phone) == ("Shelbyville", "(555) 201-0142")  # both kept
    assert panel_a.form.value("phone") == "(555) 201-0142"
    assert panel_a.record is not None and panel_a.record.version == stored.version


def test_verifying_over_a_newer_version_shows_the_conflict(qtbot, desks):
    a, b = desks
    pid = a_patient(a)
    panel_a = window(qtbot, VerifyPanel(a))
    panel_a.load(a.patients.get(pid))
    b.patients.update(pid, email="moved@example.com")
    activate(qtbot, panel_a)
    panel_a.verify_button.setFocus()
    press(qtbot, Qt.Key.Key_Space)
    assert "changed by Bea Nurse" in panel_a.conflict.message.text()
    assert a.patients.get(pid).verified_at is None or not a.patients.verification(pid).today
    press(qtbot, Qt.Key.Key_Y, ALT)  # nothing of mine differs: take the saved version
    qtbot.waitUntil(lambda: panel_a.form.value("email") == "moved@example.com")
    panel_a.verify_button.setFocus()
    press(qtbot, Qt.Key.Key_Space)
    assert a.patients.verification(pid).today


def next_scheduled(services: Services):
    today = services.ctx.clock.now().date()
    import datetime as dt

    for n in range(1, 8):
        rows = [r for r in services.schedule.day(today + dt.timedelta(days=n))
                if r.status == "scheduled"]  # fmt: skip
        if rows:
            return rows[0]
    raise AssertionError("no scheduled visit next week in the demo clinic")


def test_appointment_dialog_conflict_keeps_the_input_and_reapplies(qtbot, desks, monkeypatch):
    from ma_desk.ui.common import dialogs as dialogs_module

    monkeypatch.setattr(dialogs_module.dialogs, "confirm", lambda *args: True)
    a, b = desks
    row = next_scheduled(a)
    dialog_a = window(qtbot, AppointmentDialog(a, start=row.start, provider_id=row.provider_id,
                                               appointment=row))  # fmt: skip
    dialog_b = window(qtbot, AppointmentDialog(b, start=row.start, provider_id=row.provider_id,
                                               appointment=b.schedule.get(row.id)))  # fmt: skip

    activate(qtbot, dialog_b)
    dialog_b.minutes.setFocus()
    qtbot.keyClick(dialog_b.minutes, Qt.Key.Key_Up)  # 5 minutes longer
    retype(qtbot, dialog_b.reason, "Ear pain, left")
    press(qtbot, Qt.Key.Key_Return)
    assert b.schedule.get(row.id).reason == "Ear pain, left"

    activate(qtbot, dialog_a)
    retype(qtbot, dialog_a.reason, "Follow-up, knee")
    press(qtbot, Qt.Key.Key_Return)
    assert dialog_a.isVisible() and not dialog_a.conflict.isHidden()
    assert "changed by Bea Nurse" in dialog_a.conflict.message.text()
    assert "NURSE-STATION" in dialog_a.conflict.message.text()
    assert dialog_a.reason.text() == "Follow-up, knee"
    press(qtbot, Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: not dialog_a.conflict.comparison.isHidden())
    table = dialog_a.conflict.comparison.text()
    assert "Ear pain, left" in table and "Follow-up, knee" in table
    assert f"{row.minutes + 5}" in table  # B's length, beside A's

    press(qtbot, Qt.Key.Key_Y, ALT)
    qtbot.waitUntil(lambda: dialog_a.result() == dialog_a.DialogCode.Accepted)
    stored = a.schedule.get(row.id)
    assert (stored.reason, stored.minutes) == ("Follow-up, knee", row.minutes + 5)
    assert dialog_a.result() == dialog_a.DialogCode.Accepted


def test_coverage_form_conflict_keeps_the_input_and_reapplies(qtbot, desks):
    a, b = desks
    pid = a_patient(a)
    coverage = a.insurance.coverages(pid)
    row = coverage[0] if coverage else a.insurance.add_coverage(
        pid, CoverageInput(payer="Demo Health", member_id="VER123", effective_date="01/01/2025")
    )  # fmt: skip
    dialog_a = window(qtbot, CoverageDialog(a, pid, row))
    dialog_b = window(qtbot, CoverageDialog(b, pid, b.insurance.coverage(row.id)))

    activate(qtbot, dialog_b)
    retype(qtbot, dialog_b.group_number, "GRP-B")
    press(qtbot, Qt.Key.Key_Return)
    assert b.insurance.coverage(row.id).group_number == "GRP-B"

    activate(qtbot, dialog_a)
    retype(qtbot, dialog_a.member_id, "MEMBERA")
    press(qtbot, Qt.Key.Key_Return)
    assert not dialog_a.conflict.isHidden()
    assert "coverage was changed by Bea Nurse" in dialog_a.conflict.message.text()
    assert dialog_a.member_id.text() == "MEMBERA"
    assert a.insurance.coverage(row.id).member_id == row.member_id
    press(qtbot, Qt.Key.Key_M, ALT)
    qtbot.waitUntil(lambda: not dialog_a.conflict.comparison.isHidden())
    table = dialog_a.conflict.comparison.text()
    assert "GRP-B" in table and "MEMBERA" in table

    press(qtbot, Qt.Key.Key_Y, ALT)
    qtbot.waitUntil(lambda: dialog_a.result() == dialog_a.DialogCode.Accepted)
    stored = a.insurance.coverage(row.id)
    assert (stored.member_id, stored.group_number) == ("MEMBERA", "GRP-B")


def test_cancelling_a_visit_someone_changed_since_the_screen_showed_it_is_refused(
    qtbot, desks, monkeypatch
):
    from ma_desk.clinical import flow
    from ma_desk.ui.common.dialogs import dialogs
    from ma_desk.ui.schedule.tab import ScheduleTab
    from ma_desk.ui.selection import Selection
    from tests.test_schedule_ui import TOMORROW, future_booking, select

    warned: list[str] = []
    monkeypatch.setattr(dialogs, "ask_text", lambda *_a, **_k: "Patient called")
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: False)
    monkeypatch.setattr(dialogs, "warn", lambda _p, _t, text: warned.append(text))
    a, b = desks
    tab = window(qtbot, ScheduleTab(a, Selection()))
    activate(qtbot, tab)
    appt = future_booking(a)
    tab.set_day(TOMORROW)
    select(tab, appt.id)
    b.schedule.update(appt.id, reason="Moved to the afternoon list", confirm=True)

    qtbot.keyClick(tab.grid, Qt.Key.Key_Delete)
    assert warned and "changed by Bea Nurse" in warned[0] and "NURSE-STATION" in warned[0]
    assert a.schedule.get(appt.id).status == appt.status  # not cancelled on a stale view

    tab.refresh()
    select(tab, appt.id)
    qtbot.keyClick(tab.grid, Qt.Key.Key_Delete)
    assert a.schedule.get(appt.id).status == flow.CANCELLED
