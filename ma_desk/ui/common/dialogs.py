"""Message boxes behind one small object, so tests can answer them without a modal loop.

Widgets call ``dialogs.confirm(...)`` etc.; tests replace ``dialogs`` attributes
(or monkeypatch the functions) to answer automatically.

Every question is built by :func:`safe_question` so that Enter and Esc both give the
safe answer (No / Keep / Cancel): a hurried second Enter must never discard, cancel,
delete or overwrite anything. ``tests/test_focus_dialogs.py`` checks that no other
code asks a Yes/No question its own way.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget


def safe_question(
    parent: QWidget | None,
    title: str,
    text: str,
    *,
    yes_text: str = "&Yes",
    no_text: str = "&No",
    icon: QMessageBox.Icon = QMessageBox.Icon.Question,
) -> QMessageBox:
    """A Yes/No box whose default (Enter) and escape (Esc) button is No."""
    yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
    box = QMessageBox(icon, title, text, yes | no, parent)
    box.button(yes).setText(yes_text)
    box.button(no).setText(no_text)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    return box


def ask(box: QMessageBox) -> bool:
    """Show a box from :func:`safe_question`; True only when Yes was chosen."""
    box.exec()
    return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)


class Dialogs:
    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        return ask(safe_question(parent, title, text))

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
