"""A grid of captioned inputs, each with its error message right under it."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.widgets import named


class FieldGrid(QWidget):
    """Inputs laid out in ``columns`` columns: caption, input, FieldMessage.

    ``prefix`` keeps objectNames unique across panels ("reg_last_name").
    """

    def __init__(self, prefix: str, columns: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prefix = prefix
        self.columns = columns
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(2)
        self.editors: dict[str, QWidget] = {}
        self.messages: dict[str, FieldMessage] = {}
        self._count = 0

    def _place(self, name: str, caption: str, editor: QWidget, span: int = 1) -> None:
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 4)
        box.setSpacing(1)
        label = QLabel(caption)
        label.setProperty("role", "caption")
        label.setBuddy(editor)
        message = FieldMessage(f"{self.prefix}_{name}", lines=2)  # narrow cells wrap
        box.addWidget(label)
        box.addWidget(editor)
        box.addWidget(message)
        if self._count % self.columns + span > self.columns:
            self._count += self.columns - self._count % self.columns
        row, col = divmod(self._count, self.columns)
        self.grid.addWidget(cell, row, col, 1, span)
        self._count += span
        self.editors[name] = editor
        self.messages[name] = message

    def add_line(
        self, name: str, caption: str, placeholder: str = "", span: int = 1, max_length: int = 0
    ) -> QLineEdit:
        editor = named(QLineEdit(), f"{self.prefix}_{name}", caption.replace("&", ""))
        editor.setPlaceholderText(placeholder)
        if max_length:
            editor.setMaxLength(max_length)
        self._place(name, caption, editor, span)
        return editor

    def add_combo(self, name: str, caption: str, items: list[str]) -> QComboBox:
        editor = named(QComboBox(), f"{self.prefix}_{name}", caption.replace("&", ""))
        editor.addItems(items)
        self._place(name, caption, editor)
        return editor

    def line(self, name: str) -> QLineEdit:
        editor = self.editors[name]
        assert isinstance(editor, QLineEdit)
        return editor

    def combo(self, name: str) -> QComboBox:
        editor = self.editors[name]
        assert isinstance(editor, QComboBox)
        return editor

    def value(self, name: str) -> str:
        editor = self.editors[name]
        return editor.currentText() if isinstance(editor, QComboBox) else editor.text()

    def set_value(self, name: str, value: str) -> None:
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            index = editor.findText(value)
            editor.setCurrentIndex(max(index, 0))
        elif isinstance(editor, QLineEdit):
            editor.setText(value)
            editor.setModified(False)
            editor.setCursorPosition(0)

    def show_errors(self, errors: dict[str, str]) -> str | None:
        """Show each message next to its input; returns the first field that has one."""
        first = None
        for name, message in self.messages.items():
            text = errors.get(name, "")
            message.show_message(text)
            if text and first is None:
                first = name
        return first

    def show_error(self, name: str, text: str) -> None:
        if name in self.messages:
            self.messages[name].show_message(text)

    def clear_errors(self) -> None:
        for message in self.messages.values():
            message.show_message("")
