"""Automatic and on-demand lock: an idle watcher and the lock screen page.

The main window shows the lock screen in place of its tabs (a page of a
QStackedWidget), so every open form keeps its unsaved text while nothing of
it is visible. The idle watcher is an application-wide event filter: any key,
click or wheel counts as activity; time comes from an injectable clock so
tests drive it with a fake one.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clock import Clock
from ma_desk.display_format import time_text
from ma_desk.services import Services
from ma_desk.ui.common.widgets import named
from ma_desk.ui.security.sign_in import CredentialsForm

ACTIVITY_EVENTS = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatcher(QObject):
    """Emits ``idle`` once when no input arrived for ``minutes``; re-armed by ``reset``."""

    idle = Signal()

    def __init__(self, clock: Clock, minutes: float, parent: QObject | None = None,
                 *, check_ms: int = 5000) -> None:  # fmt: skip
        super().__init__(parent)
        self.clock = clock
        self.minutes = minutes
        self.last_activity = clock.now()
        self.armed = True
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self.check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() in ACTIVITY_EVENTS:
            self.last_activity = self.clock.now()
        return False

    def reset(self) -> None:
        self.last_activity = self.clock.now()
        self.armed = True

    def idle_for(self) -> dt.timedelta:
        return self.clock.now() - self.last_activity

    def check(self) -> None:
        """Called by the timer (and by tests): lock when the idle time has passed."""
        if (
            self.armed
            and self.minutes > 0
            and self.idle_for() >= dt.timedelta(minutes=self.minutes)
        ):
            self.armed = False
            self.idle.emit()

    def stop(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockScreen(QWidget):
    """What the window shows while locked: no patient data, only a way back in."""

    unlocked = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lock_screen")
        self.setAccessibleName("MA Desk is locked")
        self.services = services
        self.title = QLabel("MA Desk is locked")
        self.title.setObjectName("lock_title")
        self.title.setProperty("role", "lock-title")  # sized in clinic.qss with the system font
        self.detail = QLabel()
        self.detail.setObjectName("lock_detail")
        self.detail.setWordWrap(True)
        self.form = CredentialsForm(services, self)
        self.form.username.setObjectName("lock_username")
        self.form.password.setObjectName("lock_password")
        self.unlock_button = named(QPushButton("Unlock"), "lock_unlock", "Unlock")
        self.unlock_button.setProperty("role", "primary")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._unlock)
        # Enter is consumed here: on a cover over a dialog it must never reach that
        # dialog's default button (which would save a form nobody is looking at).
        self.form.password.installEventFilter(self)
        self.form.username.installEventFilter(self)

        card = QFrame()
        card.setObjectName("lock_card")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(440)
        inner = QVBoxLayout(card)
        inner.addWidget(self.title)
        inner.addWidget(self.detail)
        inner.addWidget(self.form)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        inner.addLayout(row)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(card)
        centre.addStretch(1)
        outer.addLayout(centre)
        outer.addStretch(2)

    def prepare(self, *, previous_username: str, previous_name: str, reason: str) -> None:
        when = time_text(self.services.now())  # the clinic's wall clock
        if previous_username:
            self.detail.setText(
                f"Locked at {when} ({reason}). {previous_name} can unlock with their "
                "password, or another user can sign in here; unsaved work stays as it was."
            )
        else:
            self.detail.setText("Nobody is signed in. Sign in to continue.")
        self.form.reset(previous_username)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and event.key() in (Qt.Key.Key_Return,
                                                                     Qt.Key.Key_Enter):  # fmt: skip
            if watched is self.form.username:
                self.form.password.setFocus()
            else:
                self._unlock()
            return True
        return super().eventFilter(watched, event)

    def _unlock(self) -> None:
        if self.form.try_sign_in():
            self.unlocked.emit()

    def focus_username(self) -> None:
        self.form.reset("")
        self.form.username.setFocus(Qt.FocusReason.OtherFocusReason)
