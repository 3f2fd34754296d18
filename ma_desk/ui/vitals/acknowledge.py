"""The critical-value acknowledgement: an explicit choice, never the default.

A plain Yes/No box makes Yes the default, so a second Enter from a hurried MA would
acknowledge without reading. Here "Go back" is the default and the escape button; only
choosing the acknowledge button (click or Alt+A) saves. Tests replace ``ask``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


class CriticalAcknowledgement:
    def ask(self, parent: QWidget | None, text: str) -> bool:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Critical vital signs")
        box.setText(text)
        acknowledge = box.addButton(
            "&Acknowledge: re-checked, notify provider", QMessageBox.ButtonRole.AcceptRole
        )
        back = box.addButton("&Go back", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        box.exec()
        return box.clickedButton() is acknowledge


acknowledgement = CriticalAcknowledgement()


class UnlikelyConfirmation:
    """'Save anyway' for a value that can hardly be real (a height jump): as above, going
    back is the default, so Enter never stores it unread."""

    def ask(self, parent: QWidget | None, text: str) -> bool:
        box = QMessageBox(parent)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Check this value")
        box.setText(text)
        confirm = box.addButton("&Save anyway: re-measured", QMessageBox.ButtonRole.AcceptRole)
        back = box.addButton("&Go back", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        box.exec()
        return box.clickedButton() is confirm


unlikely = UnlikelyConfirmation()
