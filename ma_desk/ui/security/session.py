"""The main window's session: lock (idle / Ctrl+L), unlock or switch user, menus.

Installed by MainWindow with one line. It adds the lock screen as a second page
of the window's QStackedWidget (the tabs are the first), so locking swaps pages
and never touches a form. While locked,
every action and shortcut of the window is disabled and the title shows no
clinic data.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QWidget,
)

from ma_desk.clock import Clock, SystemClock
from ma_desk.display_format import time_text
from ma_desk.errors import MADeskError
from ma_desk.permissions import allowed
from ma_desk.services import Services
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.role_gate import apply_roles, gate
from ma_desk.ui.security.lock import IdleWatcher, LockScreen

DEFAULT_IDLE_MINUTES = 5


class SessionController(QObject):
    def __init__(self, window: QMainWindow, services: Services, *,
                 idle_clock: Clock | None = None) -> None:  # fmt: skip
        super().__init__(window)
        self.window = window
        self.services = services
        self.locked = False
        self._saved_enabled: list[tuple[QObject, bool]] = []
        self._covers: list = []
        self._locked_by: int | None = None  # whose unsaved entries wait behind the lock
        self._title = window.windowTitle()

        central = window.centralWidget()
        if isinstance(central, QStackedWidget):  # MainWindow builds its tabs inside a stack
            self.stack, self.content = central, central.widget(0)
        else:
            self.content = window.takeCentralWidget()
            self.stack = QStackedWidget()
            self.stack.setObjectName("main_stack")
            self.stack.addWidget(self.content)
            window.setCentralWidget(self.stack)
        self.lock_screen = LockScreen(services)
        self.stack.addWidget(self.lock_screen)
        self.lock_screen.unlocked.connect(self._after_unlock)

        try:
            minutes = services.settings.get().idle_lock_minutes
        except MADeskError:
            minutes = DEFAULT_IDLE_MINUTES
        self.idle = IdleWatcher(idle_clock or SystemClock(), minutes, self)
        self.idle.idle.connect(lambda: self.lock("idle"))

        self.emergency_label = QLabel()
        self.emergency_label.setObjectName("status_emergency")
        self.emergency_label.setStyleSheet(
            f"background: {palette.EMERGENCY}; color: {palette.ON_COLOUR}; font-weight: bold; padding: 0 8px;"
        )
        self.emergency_label.hide()
        window.statusBar().addPermanentWidget(self.emergency_label)
        self._build_menus()
        self._tick = QTimer(self)
        self._tick.timeout.connect(self.refresh_emergency)
        self._tick.start(15_000)
        self.refresh_permissions()

    # ------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        bar = self.window.menuBar()
        account = bar.addMenu("&Account")
        account.setObjectName("menu_account")
        self.lock_action = self._action(account, "Lock screen", "action_lock", "Ctrl+L",
                                        lambda: self.lock("Ctrl+L"))  # fmt: skip
        self.switch_action = self._action(account, "Switch user…", "action_switch_user",
                                          "Ctrl+Shift+L", self.switch_user)  # fmt: skip
        self.password_action = self._action(account, "Change my password…",
                                            "action_change_password", None,
                                            self.change_password)  # fmt: skip
        account.addSeparator()
        self.emergency_action = self._action(account, "Emergency access…",
                                             "action_emergency_access", None,
                                             self.emergency_access)  # fmt: skip
        account.addSeparator()
        account.setToolTipsVisible(True)
        self.sign_out_action = self._action(account, "Sign out", "action_sign_out", None,
                                            self.sign_out)  # fmt: skip
        admin = bar.addMenu("A&dministration")
        admin.setObjectName("menu_admin")
        self.admin_menu = admin
        self.users_action = self._action(admin, "User accounts…", "action_users", None,
                                         self.open_users)  # fmt: skip
        self.audit_action = self._action(admin, "Audit trail…", "action_audit", None,
                                         self.open_audit)  # fmt: skip
        self.clinic_settings_action = self._action(admin, "Clinic settings…",
                                                   "action_clinic_settings", None,
                                                   self.open_clinic_settings)  # fmt: skip
        admin.addSeparator()
        self.backup_action = self._action(admin, "Back up now…", "action_backup_now", None,
                                          self.backup_now)  # fmt: skip
        admin.setToolTipsVisible(True)  # a disabled entry says why
        for action, permission in ((self.users_action, "users.admin"),
                                   (self.audit_action, "audit.read"),
                                   (self.clinic_settings_action, "settings.write"),
                                   (self.backup_action, "backup.run")):  # fmt: skip
            gate(action, self.services, permission)

    def _action(self, menu, text: str, name: str, shortcut: str | None, slot) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        self.window.addAction(action)
        return action

    def refresh_permissions(self) -> None:
        """Decide every role-held action, button and form of the window for the user now."""
        is_admin = allowed(self.services.actor.role, "users.admin")
        self.emergency_action.setEnabled(not is_admin)
        self.emergency_action.setToolTip(
            "Administrators already have every permission." if is_admin else ""
        )
        self.refresh_emergency()
        apply_roles(self.window)

    def refresh_emergency(self) -> None:
        try:
            until = self.services.accounts.break_glass_until()
        except MADeskError:  # the clinic server may be away (its banner says so): keep as is
            return
        if (until is None) != self.emergency_label.isHidden():
            apply_roles(self.window)  # an elevation began or ran out: what it opened changes
        if until is None:
            self.emergency_label.hide()
            return
        self.emergency_label.setText(f"EMERGENCY ACCESS until {time_text(until)}")
        self.emergency_label.show()

    # ------------------------------------------------------------ lock / unlock
    def lock(self, reason: str = "Ctrl+L") -> None:
        """Cover the window; forms stay untouched behind the lock screen."""
        if self.locked:
            return
        actor = self.services.actor
        if self.services.accounts.signed_in:
            with contextlib.suppress(MADeskError):
                self.services.accounts.record_lock(reason)
        self.locked = True
        self._locked_by = actor.user_id
        self._saved_enabled = []
        for obj in self.window.findChildren(QAction) + self.window.findChildren(QShortcut):
            self._saved_enabled.append((obj, obj.isEnabled()))
            obj.setEnabled(False)
        self.window.menuBar().setEnabled(False)
        self._title = self.window.windowTitle() or self._title
        self.window.setWindowTitle("MA Desk — locked")
        previous = actor.username if actor.user_id else ""
        self.lock_screen.prepare(previous_username=previous, previous_name=actor.display_name,
                                 reason=reason)  # fmt: skip
        self.stack.setCurrentWidget(self.lock_screen)
        self._cover_other_windows(previous, actor.display_name, reason)

    def _cover_other_windows(self, previous: str, name: str, reason: str) -> None:
        """Open dialogs (forms, previews) get their own lock cover; their inputs are disabled.

        The dialog stays open (a modal dialog's loop keeps running), so nothing typed in it
        is lost; it simply shows no patient data until someone unlocks.
        """
        self._covers = []
        for top in QApplication.topLevelWidgets():
            if top is self.window or not top.isVisible() or isinstance(top, QMenu):
                continue
            if top.windowType() not in (Qt.WindowType.Dialog, Qt.WindowType.Window):
                continue
            children = [c for c in top.findChildren(QWidget, options=Qt.FindChildOption
                        .FindDirectChildrenOnly) if not c.isWindow()]  # fmt: skip
            states = [(c, c.isEnabled()) for c in children]
            for child in children:
                child.setEnabled(False)
            cover = LockScreen(self.services, top)
            cover.setAutoFillBackground(True)
            cover.setGeometry(top.rect())
            cover.prepare(previous_username=previous, previous_name=name, reason=reason)
            cover.unlocked.connect(self._after_unlock)
            cover.show()
            cover.raise_()
            self._covers.append((top, cover, top.windowTitle(), states))
            top.setWindowTitle("MA Desk — locked")

    def switch_user(self) -> None:
        self.lock("switch user")
        self.lock_screen.focus_username()

    def sign_out(self) -> None:
        self.lock("sign out")
        self._locked_by = None  # signed out: whoever signs in next starts afresh
        self.services.accounts.sign_out()
        self.lock_screen.prepare(previous_username="", previous_name="", reason="signed out")

    def _after_unlock(self) -> None:
        if not self.locked:
            return
        self.locked = False
        actor = self.services.actor
        same_user = actor.user_id is not None and actor.user_id == self._locked_by
        for top, cover, title, states in self._covers:
            cover.hide()
            cover.deleteLater()
            for child, enabled in states:
                child.setEnabled(enabled)
            top.setWindowTitle(title)
            if not same_user:  # the previous user's open form goes with its unsaved input
                _discard_window(top)
        self._covers = []
        for obj, enabled in self._saved_enabled:
            obj.setEnabled(enabled)
        self._saved_enabled = []
        self.window.menuBar().setEnabled(True)
        self.window.setWindowTitle(self._title)
        self.stack.setCurrentWidget(self.content)
        with contextlib.suppress(MADeskError):  # the idle time may have changed meanwhile
            self.idle.minutes = self.services.settings.get().idle_lock_minutes
        self.idle.reset()
        self.refresh_permissions()
        update = getattr(self.window, "update_status", None)
        if callable(update):
            update()
        widgets = getattr(self.window, "tab_widgets", [])
        if not same_user:  # another user: nothing the previous one typed is theirs to save
            for tab in widgets:
                tab.discard_unsaved()
        tabs = getattr(self.window, "tabs", None)
        if tabs is not None and 0 <= tabs.currentIndex() < len(widgets):
            widgets[tabs.currentIndex()].activated()

    # ------------------------------------------------------------ dialogs
    def change_password(self) -> None:
        from ma_desk.ui.security.user_admin import ChangePasswordDialog

        ChangePasswordDialog(self.services, self.window).exec()

    def emergency_access(self) -> None:
        from ma_desk.ui.security.user_admin import EmergencyAccessDialog

        if EmergencyAccessDialog(self.services, self.window).exec():
            self.refresh_emergency()

    def open_users(self) -> None:
        from ma_desk.ui.security.user_admin import UserAdminDialog

        try:
            UserAdminDialog(self.services, self.window).exec()
        except MADeskError as exc:
            dialogs.warn(self.window, "User accounts", str(exc))

    def open_clinic_settings(self) -> None:
        from ma_desk.ui.setup.settings_dialog import ClinicSettingsDialog

        try:
            ClinicSettingsDialog(self.services, self.window).exec()
        except MADeskError as exc:
            dialogs.warn(self.window, "Clinic settings", str(exc))

    def open_audit(self) -> None:
        from ma_desk.ui.security.audit_view import AuditDialog

        try:
            AuditDialog(self.services, self.window).exec()
        except MADeskError as exc:
            dialogs.warn(self.window, "Audit trail", str(exc))

    def backup_now(self) -> None:
        from ma_desk.ui.security.backup_schedule import BackupNow

        self.backup_runner = BackupNow(self.services, self.window)
        self.backup_runner.start()

    def shutdown(self) -> None:
        self.idle.stop()
        self._tick.stop()


def _discard_window(top: QWidget) -> None:
    """Close a dialog or window the previous user left open, dropping what it holds."""
    if isinstance(top, QDialog):
        top.reject()
    else:
        top.close()
