"""Focus helpers: one Tab stop per field, so Tab follows the form as staff see it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QWidget


def _takes_tab(widget: QWidget, window: QWidget) -> bool:
    return (
        bool(widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value)
        and widget.isVisible()
        and widget.isEnabled()
        and widget.window() is window
        and widget.focusProxy() is None
    )


def move_focus(widget: QWidget, forward: bool) -> None:
    """Focus the next (or previous) widget in the window's Tab chain after ``widget``."""
    window = widget.window()
    step = QWidget.nextInFocusChain if forward else QWidget.previousInFocusChain
    candidate = step(widget)
    while candidate is not None and candidate is not widget:
        if _takes_tab(candidate, window) and not widget.isAncestorOf(candidate):
            reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
            candidate.setFocus(reason)
            return
        candidate = step(candidate)


class _WholeFieldTab(QObject):
    """Tab leaves a date or time field instead of walking its day/month/year sections
    (the sections stay reachable with the arrow keys)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, QWidget):
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if event.key() == Qt.Key.Key_Tab and modifiers == Qt.KeyboardModifier.NoModifier:
                move_focus(watched, forward=True)
                return True
            if event.key() == Qt.Key.Key_Backtab:
                move_focus(watched, forward=False)
                return True
        return False


def whole_field_tab(*edits: QAbstractSpinBox) -> None:
    """Make each date/time edit a single Tab stop."""
    for edit in edits:
        edit.installEventFilter(_WholeFieldTab(edit))
