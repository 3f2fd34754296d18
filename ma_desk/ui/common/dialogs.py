"""Message boxes behind one small object, so tests can answer them without a modal loop.

Widgets call ``dialogs.confirm(...)`` etc.; tests replace ``dialogs`` attributes
(or monkeypatch the functions) to answer automatically.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget


class Dialogs:
    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        answer = QMessageBox.question(parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def warn(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.warning(parent, title, text)

    def info(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.information(parent, title, text)

    def ask_text(
        self, parent: QWidget | None, title: str, label: str, default: str = ""
    ) -> str | None:
        text, ok = QInputDialog.getText(parent, title, label, text=default)
        return text if ok else None


dialogs = Dialogs()
