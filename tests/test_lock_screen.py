"""Sign-in dialog, automatic lock (fake clock), Ctrl+L, unlock/switch user, admin views."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QLineEdit, QWidget
from sqlalchemy import select

from ma_desk.clock import FixedClock
from ma_desk.db.models import AuditEvent, Patient
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from ma_desk.services.accounts import signed_out_actor
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.security import audit_view
from ma_desk.ui.security.audit_view import AuditDialog
from ma_desk.ui.security.sign_in import FirstAdministratorDialog, SignInDialog
from ma_desk.ui.security.user_admin import UserAdminDialog, UserEditDialog
from tests.conftest import NOW


@pytest.fixture
def idle_clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def window(qtbot, demo_services, sign_in_as, idle_clock, tmp_path) -> MainWindow:
    sign_in_as("ma")
    win = MainWindow(demo_services, store_label="test", settings_file=tmp_path / "w.ini",
                     idle_clock=idle_clock)  # fmt: skip
    qtbot.addWidget(win)
    with qtbot.waitActive(win):
        win.show()
        win.activateWindow()
    return win


def patient_names(services) -> set[str]:
    """Full names in both orders, and last names (staff names excluded: they may be shown)."""
    from ma_desk.security.demo_accounts import DEMO_ACCOUNTS

    staff = " ".join(name for _u, name, _r in DEMO_ACCOUNTS)
    with services.ctx.db.read() as s:
        rows = s.execute(select(Patient.first_name, Patient.last_name)).all()
    names = {f"{first} {last}" for first, last in rows} | {
        f"{last}, {first}" for first, last in rows
    }
    return names | {last for _first, last in rows if len(last) > 3 and last not in staff}


def visible_text(window: MainWindow) -> str:
    parts = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, (QLabel, QLineEdit)):
            parts.append(widget.text())
    return "\n".join(parts)


def editable_field(window: MainWindow) -> tuple[int, QLineEdit]:
    for index, tab in enumerate(window.tab_widgets):
        for edit in tab.findChildren(QLineEdit):
            if edit.objectName().startswith("qt_") or not edit.objectName():
                continue  # inner editors of spin boxes, date edits, combo boxes
            if not edit.isReadOnly() and edit.isEnabled():
                return index, edit
    raise AssertionError("no editable field in any tab")


def test_lock_after_idle_hides_patient_data_and_keeps_the_form(qtbot, window, demo_services,
                                                               idle_clock):  # fmt: skip
    index, field = editable_field(window)
    window.tabs.setCurrentIndex(index)
    field.setFocus()
    qtbot.keyClicks(field, "Half-typed note")
    window.session.idle.check()
    assert not window.session.locked
    idle_clock.advance(minutes=4, seconds=59)
    window.session.idle.check()
    assert not window.session.locked
    idle_clock.advance(seconds=1)
    window.session.idle.check()
    assert window.session.locked
    assert window.session.stack.currentWidget() is window.session.lock_screen
    assert not window.tabs.isVisible()
    assert not [v for v in window.findChildren(QAbstractItemView) if v.isVisible()]
    shown = visible_text(window)
    assert not [name for name in patient_names(demo_services) if name in shown]
    assert window.windowTitle() == "MA Desk — locked"
    assert not window.menuBar().isEnabled()
    # unlock as the same user: the form is exactly as it was
    lock = window.session.lock_screen
    assert lock.form.username.text() == "ma"
    qtbot.keyClicks(lock.form.password, DEMO_PASSWORD)
    qtbot.keyClick(lock.form.password, Qt.Key.Key_Return)
    assert not window.session.locked
    assert window.tabs.currentIndex() == index
    assert field.text().endswith("Half-typed note")
    assert window.menuBar().isEnabled()
    with demo_services.ctx.db.read() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.entity == "session")
                                 .order_by(AuditEvent.id.desc()).limit(2)))  # fmt: skip
    assert actions == ["sign_in", "lock"]


def test_activity_postpones_the_lock(qtbot, window, idle_clock):
    idle_clock.advance(minutes=4)
    qtbot.keyClick(window.tabs, Qt.Key.Key_Shift)
    idle_clock.advance(minutes=4)
    window.session.idle.check()
    assert not window.session.locked


def test_ctrl_l_locks_and_another_user_unlocks(qtbot, window, demo_services):
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.session.locked
    lock = window.session.lock_screen
    lock.form.username.clear()
    qtbot.keyClicks(lock.form.username, "frontdesk")
    qtbot.keyClicks(lock.form.password, "wrong password")
    qtbot.mouseClick(lock.unlock_button, Qt.MouseButton.LeftButton)
    assert window.session.locked
    assert "wrong" in lock.form.message.text() and lock.form.password.text() == ""
    qtbot.keyClicks(lock.form.password, DEMO_PASSWORD)
    qtbot.mouseClick(lock.unlock_button, Qt.MouseButton.LeftButton)
    assert not window.session.locked
    assert demo_services.actor.username == "frontdesk"
    assert "Casey Rivera" in window.user_label.text()
    assert not window.session.audit_action.isEnabled()
    assert not window.session.users_action.isEnabled()


def test_the_lock_says_when_on_the_clinics_clock(qtbot, window, demo_services, clock):
    """ "Locked at" is the clinic's wall clock (the schedule's), not the computer's."""
    clock.set(dt.datetime(2026, 11, 24, 13, 7))
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert "Locked at 1:07 PM" in window.session.lock_screen.detail.text()


def test_sign_out_leaves_nobody_signed_in(qtbot, window, demo_services):
    window.session.sign_out()
    assert window.session.locked and demo_services.actor == signed_out_actor()
    assert window.session.lock_screen.form.username.text() == ""


def test_sign_in_dialog_works_with_name_tab_password_enter(qtbot, demo_services):
    demo_services.set_actor(signed_out_actor())
    dialog = SignInDialog(demo_services, clinic="Maple Grove")
    qtbot.addWidget(dialog)
    with qtbot.waitActive(dialog):
        dialog.show()
        dialog.activateWindow()
    assert QApplication.focusWidget() is dialog.form.username
    qtbot.keyClicks(dialog.form.username, "admin")
    qtbot.keyClick(dialog.form.username, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.form.password
    qtbot.keyClicks(dialog.form.password, DEMO_PASSWORD)
    qtbot.keyClick(dialog.form.password, Qt.Key.Key_Return)
    assert dialog.result() == SignInDialog.DialogCode.Accepted
    assert demo_services.actor.username == "admin"


def test_sign_in_dialog_shows_the_reason_and_stays_open(qtbot, demo_services):
    demo_services.set_actor(signed_out_actor())
    dialog = SignInDialog(demo_services)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.form.username, "admin")
    qtbot.keyClicks(dialog.form.password, "nope nope")
    dialog._sign_in()
    assert dialog.isVisible() and "wrong" in dialog.form.message.text()
    assert demo_services.actor == signed_out_actor()


def test_first_run_dialog_creates_the_administrator(qtbot, services):
    dialog = FirstAdministratorDialog(services)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.username, "boss")
    qtbot.keyClicks(dialog.display_name, "Pat Boss")
    qtbot.keyClicks(dialog.password, "password1")
    qtbot.keyClicks(dialog.repeat, "password1")
    dialog._create()
    assert "common" in dialog.errors["password"].text()
    for edit in (dialog.password, dialog.repeat):
        edit.clear()
        qtbot.keyClicks(edit, "morning coffee on the porch")
    dialog._create()
    assert dialog.result() == FirstAdministratorDialog.DialogCode.Accepted
    assert services.actor.username == "boss" and services.actor.role == "administrator"


def test_audit_view_filters_and_exports(qtbot, demo_services, sign_in_as, monkeypatch, tmp_path,
                                        clock):  # fmt: skip
    sign_in_as("ma")
    demo_services.patients.open_chart(3)
    sign_in_as("admin")
    dialog = AuditDialog(demo_services)
    qtbot.addWidget(dialog)
    dialog.use_dates.setChecked(False)
    dialog.user.setCurrentText("ma")
    dialog.search()
    rows = dialog.model.rows()
    assert rows and {r.username for r in rows} == {"ma"}
    dialog.user.setCurrentText("")
    qtbot.keyClicks(dialog.patient, "M100003")
    dialog.search()
    assert [r.action for r in dialog.model.rows()] == ["view"]
    dialog.patient.setText("not an mrn")
    dialog.search()
    assert "MRN" in dialog.message.text()
    dialog.patient.setText("M100003")
    target = tmp_path / "audit.csv"
    monkeypatch.setattr(audit_view, "ask_save_path", lambda parent, suggested: target)
    dialog.export()
    lines = target.read_text().splitlines()
    assert lines[0].startswith("id,time_local") and len(lines) == 2 and ",view," in lines[1]


def test_audit_view_is_refused_to_non_administrators(qtbot, demo_services, sign_in_as):
    from ma_desk.errors import PermissionDenied

    sign_in_as("provider")
    with pytest.raises(PermissionDenied):
        AuditDialog(demo_services)


def test_user_admin_dialog_adds_an_account(qtbot, demo_services, sign_in_as):
    sign_in_as("admin")
    dialog = UserAdminDialog(demo_services)
    qtbot.addWidget(dialog)
    count = dialog.model.rowCount()
    edit = UserEditDialog(demo_services, dialog)
    qtbot.addWidget(edit)
    qtbot.keyClicks(edit.username, "newma")
    qtbot.keyClicks(edit.display_name, "Robin New")
    qtbot.keyClicks(edit.password, "short")
    edit._ok()
    assert edit.errors["password"].text()
    edit.password.clear()
    qtbot.keyClicks(edit.password, "robin's first password")
    edit._ok()
    assert edit.result() == UserEditDialog.DialogCode.Accepted
    dialog.reload()
    assert dialog.model.rowCount() == count + 1
    assert demo_services.accounts.sign_in("newma", "robin's first password").role == (
        "medical_assistant"
    )


def test_idle_minutes_come_from_the_clinic_settings(qtbot, demo_services, tmp_path):
    demo_services.settings.update(idle_lock_minutes=2)
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0))
    win = MainWindow(demo_services, store_label="t", settings_file=tmp_path / "w.ini",
                     idle_clock=clock)  # fmt: skip
    qtbot.addWidget(win)
    assert win.session.idle.minutes == 2  # the clinic's setting, not the default 5
    clock.advance(seconds=119)
    win.session.idle.check()
    assert not win.session.locked  # just below the clinic's two minutes
    clock.advance(seconds=1)
    win.session.idle.check()
    assert win.session.locked


def test_lock_covers_an_open_dialog_and_keeps_its_input(qtbot, window, demo_services, idle_clock):
    from PySide6.QtWidgets import QDialog, QPushButton, QVBoxLayout

    dialog = QDialog(window)
    dialog.setWindowTitle("Appointment for Garcia, Sarah")
    field = QLineEdit("Garcia, Sarah — half-typed reason")
    save = QPushButton("Save")
    save.setDefault(True)
    saved = []
    save.clicked.connect(lambda: saved.append(True))
    layout = QVBoxLayout(dialog)
    layout.addWidget(field)
    layout.addWidget(save)
    dialog.show()
    idle_clock.advance(minutes=6)
    window.session.idle.check()
    cover = window.session._covers[0][1]
    assert cover.isVisible() and cover.geometry() == dialog.rect()
    assert dialog.windowTitle() == "MA Desk — locked"
    assert not field.isEnabled() and not save.isEnabled()
    qtbot.keyClicks(cover.form.password, DEMO_PASSWORD)
    qtbot.keyClick(cover.form.password, Qt.Key.Key_Return)
    assert saved == []  # Enter unlocked; it did not press the dialog's default button
    assert not window.session.locked
    assert dialog.windowTitle() == "Appointment for Garcia, Sarah"
    assert field.isEnabled() and field.text() == "Garcia, Sarah — half-typed reason"
    assert window.session.stack.currentWidget() is window.session.content


def test_back_up_now_from_the_menu(qtbot, window, demo_services, monkeypatch, tmp_path):
    from ma_desk.backup import sidecar_path
    from ma_desk.ui.security import backup_schedule

    target = tmp_path / "from-menu"
    monkeypatch.setattr(backup_schedule, "ask_backup_path", lambda parent, suggested: target)
    assert window.session.backup_action.isEnabled()  # the MA may back up
    window.session.backup_action.trigger()
    window.session.backup_runner._thread.join(60)
    qtbot.waitUntil(lambda: window.statusBar().currentMessage().startswith("Backup written"))
    written = tmp_path / "from-menu.madesk"
    assert written.exists() and sidecar_path(written).exists()
    with demo_services.ctx.db.read() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.action, last.username) == ("backup", "ma")


def test_idle_lock_fires_within_one_check_of_the_set_time_in_50_trials(qtbot):
    import random

    from ma_desk.ui.security.lock import IdleWatcher

    rng = random.Random(5)
    for _trial in range(50):
        minutes = rng.choice([1, 2, 5, 10, 15])
        clock = FixedClock(NOW)
        watcher = IdleWatcher(clock, minutes, check_ms=5000)
        fired = []
        watcher.idle.connect(lambda c=clock, f=fired: f.append(c.now()))
        clock.advance(seconds=rng.randint(0, 4))  # checks do not line up with the last input
        start = watcher.last_activity
        while not fired:
            clock.advance(seconds=5)  # one timer tick
            watcher.check()
        late = (fired[0] - start) - dt.timedelta(minutes=minutes)
        assert dt.timedelta(0) <= late < dt.timedelta(seconds=5)
        watcher.check()
        assert len(fired) == 1  # once, until unlocked
        watcher.stop()
        watcher.deleteLater()
