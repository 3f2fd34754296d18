"""Showing service errors to the user: next to the field, or in a dialog."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from ma_desk.errors import MADeskError, ValidationError


def show_error(parent: QWidget | None, error: MADeskError, title: str = "MA Desk") -> None:
    QMessageBox.warning(parent, title, str(error))


def field_errors(error: MADeskError) -> dict[str, str]:
    if isinstance(error, ValidationError):
        return dict(error.errors) or ({error.field: error.message} if error.field else {})
    return {error.field: error.message} if error.field else {}


class FieldMessage(QLabel):
    """A small red message under an input; hidden when empty."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}_error")
        self.setAccessibleName(f"{name.replace('_', ' ')} error")
        self.setProperty("role", "field-error")
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))
