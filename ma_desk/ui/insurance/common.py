"""Pieces the insurance dialogs share: a form that saves through one service call.

``run_dialog`` is the single place a dialog is shown modally, so tests can
replace it (fill the fields, press Save) without a modal event loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_time_text
from ma_desk.errors import MADeskError
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.fit import scrolling
from ma_desk.ui.common.note_keys import ctrl_enter_saves
from ma_desk.ui.common.widgets import make_table, named


def row_table(object_name: str, accessible: str) -> QTableView:
    """A table of rows chosen with the arrows: Tab leaves it for the next control
    instead of walking its cells, so the keyboard reaches the tabs below it."""
    table = make_table(object_name, accessible)
    table.setTabKeyNavigation(False)
    return table


def run_dialog(dialog: QDialog) -> bool:
    """Show ``dialog`` modally; True when the user accepted it."""
    return dialog.exec() == QDialog.DialogCode.Accepted


def show(dialog: QDialog) -> bool:
    """Run a dialog, then let Qt free it (it is parented to the tab, which lives long)."""
    try:
        return run_dialog(dialog)
    finally:
        dialog.deleteLater()


def when_text(moment: dt.datetime | None) -> str:
    return date_time_text(moment) if moment else "never"


class ServiceFormDialog(QDialog):
    """A form whose Save runs ``submit``; refusals appear next to the field, nothing closes."""

    def __init__(self, title: str, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName(object_name)
        self.setAccessibleName(title)
        self.setModal(True)
        self.setMinimumWidth(520)
        self.result_row: Any = None
        self.inputs: dict[str, QWidget] = {}
        self._used_keys: set[str] = {"s", "c"}  # Alt+S Save, Alt+C Cancel
        self.messages: dict[str, FieldMessage] = {}
        outer = QVBoxLayout(self)
        body = QWidget()
        self.form = QFormLayout(body)
        self.form.setContentsMargins(0, 0, 0, 0)
        # A long form (a coverage) scrolls on a 1280x720 screen; Save stays in view.
        outer.addWidget(scrolling(body, f"{object_name}_scroll"), 1)
        self.general_message = FieldMessage(f"{object_name}_general", self)
        outer.addWidget(self.general_message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        named(self.save_button, f"{object_name}_save", "Save")
        named(self.buttons.button(QDialogButtonBox.StandardButton.Cancel),
              f"{object_name}_cancel", "Cancel")  # fmt: skip
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

    def add_field(
        self, name: str, label: str, widget: QWidget, hint: str = "", *, key: str = ""
    ) -> QWidget:
        """Add an input with its label and its own error line under it.

        ``key`` is the service's field name when it differs from the object name.
        """
        named(widget, name, label)
        if isinstance(widget, QPlainTextEdit | QTextEdit) and not widget.isReadOnly():
            ctrl_enter_saves(widget, self.save)
        if hint and hasattr(widget, "setPlaceholderText"):
            widget.setPlaceholderText(hint)
        message = FieldMessage(name, self)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(message)
        caption = QLabel(self._mnemonic(label))
        caption.setBuddy(widget)
        self.form.addRow(caption, box)
        self.inputs[key or name] = widget
        self.messages[key or name] = message
        return widget

    def _mnemonic(self, label: str) -> str:
        """Put Alt+letter on the first letter no other field of this form uses yet."""
        for i, ch in enumerate(label):
            if ch.isalpha() and ch.lower() not in self._used_keys:
                self._used_keys.add(ch.lower())
                return f"{label[:i]}&{label[i:]}"
        return label

    def submit(self) -> Any:  # pragma: no cover - every dialog overrides it
        raise NotImplementedError

    def save(self) -> None:
        for message in self.messages.values():
            message.show_message("")
            message.setMinimumHeight(0)
        self.general_message.show_message("")
        try:
            self.result_row = self.submit()
        except MADeskError as error:
            self.show_error(error)
            return
        self.accept()

    def show_error(self, error: MADeskError) -> None:
        placed = False
        for name, text in field_errors(error).items():
            target = self.messages.get(name) or self.messages.get(name.split(":")[0])
            if target is not None:
                target.show_message(text)
                placed = True
        if not placed:
            self.general_message.show_message(str(error))
        for message in self.messages.values():  # wrapped labels need their height set by hand
            if message.isVisibleTo(self):
                message.setMinimumHeight(message.heightForWidth(max(message.width(), 320)))
        first = next((n for n in field_errors(error) if n in self.inputs), None)
        if first:
            self.inputs[first].setFocus()


def guarded(parent: QWidget, action: Callable[[], Any], title: str = "Insurance") -> Any:
    """Run a service call; a refusal is shown in a dialog and None returned."""
    from ma_desk.ui.common.dialogs import dialogs

    try:
        return action()
    except MADeskError as error:
        dialogs.warn(parent, title, str(error))
        return None
