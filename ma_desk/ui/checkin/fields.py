"""A grid of captioned inputs, each with its error message right under it."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.fit import narrow_combo, wrapping
from ma_desk.ui.common.widgets import named


class FieldGrid(QWidget):
    """Inputs laid out in up to ``columns`` columns (fewer when narrow): caption, input,
    FieldMessage.

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
        self._cells: list[tuple[QWidget, int]] = []
        self._shown_columns = columns

    def _place(self, name: str, caption: str, editor: QWidget, span: int = 1) -> None:
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 4)
        box.setSpacing(1)
        label = wrapping(QLabel(caption))
        label.setProperty("role", "caption")
        label.setBuddy(editor)
        message = FieldMessage(f"{self.prefix}_{name}", lines=2)  # narrow cells wrap
        box.addWidget(label)
        box.addWidget(editor)
        box.addWidget(message)
        self._cells.append((cell, span))
        self._count = self._put(cell, span, self._count, self._shown_columns)
        self.editors[name] = editor
        self.messages[name] = message

    def _put(self, cell: QWidget, span: int, count: int, columns: int) -> int:
        """Places cell at the next free position of a columns-wide grid; returns the next."""
        span = min(span, columns)
        if count % columns + span > columns:
            count += columns - count % columns
        row, col = divmod(count, columns)
        self.grid.addWidget(cell, row, col, 1, span)
        return count + span

    # -- fewer columns when narrow (a 1024 px screen), all of them when there is room
    def _cell_width(self) -> int:
        return max((cell.minimumSizeHint().width() for cell, _span in self._cells), default=0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._cell_width(), self.grid.minimumSize().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        gap = self.grid.horizontalSpacing()
        fits = (event.size().width() + gap) // max(1, self._cell_width() + gap)
        columns = max(1, min(self.columns, fits))
        if columns != self._shown_columns:
            self._reflow(columns)

    def _reflow(self, columns: int) -> None:
        for cell, _span in self._cells:
            self.grid.removeWidget(cell)
        for column in range(self.columns):
            self.grid.setColumnStretch(column, 1 if column < columns else 0)
        count = 0
        for cell, span in self._cells:
            count = self._put(cell, span, count, columns)
        self._shown_columns = columns
        self.updateGeometry()

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
        editor = named(narrow_combo(QComboBox()), f"{self.prefix}_{name}", caption.replace("&", ""))
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
