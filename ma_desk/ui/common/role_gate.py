"""Disable what the signed-in role may not do, with the reason where staff look.

``gate(target, services, "vitals.write")`` attaches a RoleLock to a widget, action or
shortcut. Tabs keep their own enabling rules (a patient chosen, a row selected); the lock
holds a forbidden target disabled whatever those rules later say, so no rule can forget
the role, and gives back the state they asked for when a permitted user signs in.
While held, the reason is the tooltip, status tip and accessible description, an
optional note label shows it, and the target's keyboard shortcuts say it in the status
bar instead of doing nothing. ``apply_roles(window)`` re-decides every lock after sign-in,
unlock, switch user or an emergency elevation.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QToolTip, QWidget

from ma_desk.errors import MADeskError
from ma_desk.permission_reasons import first_refusal
from ma_desk.services import Services
from ma_desk.ui.common.shortcuts import EXPLAINS_PROPERTY

Target = QWidget | QAction | QShortcut


class RoleLock(QObject):
    """Holds one target disabled while the signed-in role lacks ``permissions``."""

    def __init__(self, target: Target, services: Services, permissions: tuple[str, ...],
                 note: QLabel | None = None) -> None:  # fmt: skip
        super().__init__(target)
        self.setObjectName("role_lock")
        self.target = target
        self.permissions = permissions
        self.reason: str | None = None
        self._services = services
        self._note = note
        self._wanted = _own_enabled(target)
        self._forcing = False
        self._saved_tips = ("", "", "")
        self._explainers: list[QShortcut] = []
        if isinstance(target, QWidget):
            target.installEventFilter(self)
        elif isinstance(target, QAction):
            target.enabledChanged.connect(self._others_set_enabled)
        self.apply()

    def apply(self) -> None:
        """Decide again for the user signed in now."""
        reason = first_refusal(self._services.actor.role, self.permissions,
                               elevated=_elevated(self._services))  # fmt: skip
        if reason == self.reason:
            return
        if reason and self.reason is None:
            self._wanted = _own_enabled(self.target)
            self._saved_tips = _tips(self.target)
        self.reason = reason
        if reason:
            self._hold(reason)
        else:
            self._release()

    def _hold(self, reason: str) -> None:
        self._force_disabled()
        _set_tips(self.target, (reason, reason, reason))
        if self._note is not None:
            self._note.setText(reason)
            self._note.show()
        self._clear_explainers()
        self._explainers = [_explainer(widget, keys, context, reason)
                            for widget, keys, context in _key_bindings(self.target)]  # fmt: skip

    def _release(self) -> None:
        self._clear_explainers()
        _set_tips(self.target, self._saved_tips)
        if self._note is not None:
            self._note.hide()
        self.target.setEnabled(self._wanted)

    def _force_disabled(self) -> None:
        self._forcing = True
        try:
            self.target.setEnabled(False)
        finally:
            self._forcing = False

    def _clear_explainers(self) -> None:
        for shortcut in self._explainers:
            shortcut.setEnabled(False)
            shortcut.deleteLater()
        self._explainers = []

    def _others_set_enabled(self, enabled: bool) -> None:
        """A tab's own rule changed the target: remember it, keep it disabled if held."""
        if self._forcing or self.reason is None:
            return
        self._wanted = enabled
        if enabled:
            self._force_disabled()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.target and event.type() == QEvent.Type.EnabledChange:
            self._others_set_enabled(_own_enabled(self.target))
        return False


def gate(target: Target, services: Services, *permissions: str,
         note: QLabel | None = None) -> RoleLock:  # fmt: skip
    """Disable ``target`` (with the reason) while the signed-in role lacks a permission."""
    return RoleLock(target, services, permissions, note)


def apply_roles(root: QObject) -> None:
    """Re-decide every lock under ``root`` (the main window: tabs, menus, open dialogs)."""
    for lock in root.findChildren(RoleLock):
        lock.apply()


def show_reason(widget: QWidget, reason: str) -> None:
    """Say why a key did nothing: in the main window's status bar, else as a tooltip."""
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(reason, 15_000)
    else:
        QToolTip.showText(widget.mapToGlobal(widget.rect().center()), reason, widget)


def _elevated(services: Services) -> bool:
    try:
        return services.accounts.break_glass_until() is not None
    except MADeskError:
        return False


def _own_enabled(target: Target) -> bool:
    """The target's own switch, not its parent's (a disabled panel disables its buttons)."""
    if isinstance(target, QWidget):
        return not target.testAttribute(Qt.WidgetAttribute.WA_ForceDisabled)
    return target.isEnabled()


def _tips(target: Target) -> tuple[str, str, str]:
    """Tooltip, status tip, accessible description (a QShortcut has only its What's This)."""
    if isinstance(target, QShortcut):
        return target.whatsThis(), "", ""
    description = target.accessibleDescription() if isinstance(target, QWidget) else ""
    return target.toolTip(), target.statusTip(), description


def _set_tips(target: Target, tips: tuple[str, str, str]) -> None:
    tooltip, status_tip, description = tips
    if isinstance(target, QShortcut):
        target.setWhatsThis(tooltip)
        return
    target.setToolTip(tooltip)
    target.setStatusTip(status_tip)
    if isinstance(target, QWidget):
        target.setAccessibleDescription(description)


def _key_bindings(target: Target) -> list[tuple[QWidget, QKeySequence, Qt.ShortcutContext]]:
    """Where each of the target's keys works: (widget, keys, context)."""
    if isinstance(target, QShortcut):
        parent = target.parent()
        return [(parent, target.key(), target.context())] if isinstance(parent, QWidget) else []
    if isinstance(target, QAction):
        widgets = [w for w in target.associatedObjects()
                   if isinstance(w, QWidget) and not isinstance(w, QMenu)]  # fmt: skip
        return [(w, keys, target.shortcutContext()) for w in widgets
                for keys in target.shortcuts() if not keys.isEmpty()]  # fmt: skip
    return []


def _explainer(widget: QWidget, keys: QKeySequence, context: Qt.ShortcutContext,
               reason: str) -> QShortcut:  # fmt: skip
    """The key of a held action: instead of nothing, the reason in the status bar."""
    shortcut = QShortcut(keys, widget)
    shortcut.setContext(context)
    shortcut.setProperty(EXPLAINS_PROPERTY, True)
    shortcut.activated.connect(lambda: show_reason(widget, reason))
    return shortcut
