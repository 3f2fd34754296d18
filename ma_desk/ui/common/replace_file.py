"""Asking before an export replaces a file that exists; the default answer is No.

Save dialogs are opened with ``SAVE_OPTIONS`` (the dialog does not ask on its own), so
the question comes once, here, after the extension was added, with the same words
everywhere. Enter or Escape keeps the existing file. Tests answer through
``confirm_replace`` or drive the real box by keyboard.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

SAVE_OPTIONS = QFileDialog.Option.DontConfirmOverwrite


def confirm_replace(parent: QWidget | None, path: Path) -> bool:
    """True only when the user chose Replace for ``path``."""
    no, yes = QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Replace file?",
        f"{path.name} already exists in {path.parent}.\n\n"
        "Replace it? What is in that file now will be lost.",
        yes | no,
        parent,
    )
    box.setObjectName("confirm_replace")
    box.button(yes).setText("&Replace")
    box.button(no).setText("&Keep the file")
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    box.exec()
    return box.clickedButton() is box.button(yes)
