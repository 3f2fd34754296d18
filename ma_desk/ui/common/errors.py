"""Showing service errors to the user: next to the field, or in a dialog."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QMessageBox, QSizePolicy, QWidget

from ma_desk.errors import MADeskError, ValidationError


def show_error(parent: QWidget | None, error: MADeskError, title: str = "MA Desk") -> None:
    QMessageBox.warning(parent, title, str(error))


def field_errors(error: MADeskError) -> dict[str, str]:
    if isinstance(error, ValidationError):
        return dict(error.errors) or ({error.field: error.message} if error.field else {})
    return {error.field: error.message} if error.field else {}


class FieldMessage(QLabel):
    """A small red message under an input; hidden when empty.

    Its ``lines`` of height are kept free while it is hidden, so showing a message
    never moves the fields below it (a click aimed at the next field stays there).
    A message longer than its lines keeps its full text in the tooltip.
    """

    def __init__(self, name: str, parent: QWidget | None = None, lines: int = 1) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}_error")
        self.setAccessibleName(f"{name.replace('_', ' ')} error")
        self.setProperty("role", "field-error")
        self.setWordWrap(True)
        self._lines = lines
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.setMinimumWidth(0)
        self.hide()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override: the height is reserved
        return False

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().sizeHint().width(), self.reserved_height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, self.reserved_height())

    def reserved_height(self) -> int:
        margins = self.contentsMargins()
        return self._lines * self.fontMetrics().lineSpacing() + margins.top() + margins.bottom()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setToolTip(text)
        self.setVisible(bool(text))
