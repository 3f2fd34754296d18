"""Asking before an export replaces a file that exists; the default answer is No.

Save dialogs are opened with ``SAVE_OPTIONS`` (the dialog does not ask on its own), so
the question comes once, here, after the extension was added, with the same words
everywhere. Enter or Escape keeps the existing file. Tests answer through
``confirm_replace`` or drive the real box by keyboard.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ma_desk.ui.common.dialogs import ask, safe_question

SAVE_OPTIONS = QFileDialog.Option.DontConfirmOverwrite


def confirm_replace(parent: QWidget | None, path: Path) -> bool:
    """True only when the user chose Replace for ``path``."""
    box = safe_question(
        parent,
        "Replace file?",
        f"{path.name} already exists in {path.parent}.\n\n"
        "Replace it? What is in that file now will be lost.",
        yes_text="&Replace",
        no_text="&Keep the file",
        icon=QMessageBox.Icon.Warning,
    )
    box.setObjectName("confirm_replace")
    return ask(box)


def save_target(
    parent: QWidget | None, chosen: str | Path | None, suffix: str = ""
) -> tuple[Path, bool] | None:
    """Where a save goes once the user chose ``chosen`` in a save dialog.

    ``suffix`` (".pdf", ".csv") is added when the name lacks it; then an existing file is
    replaced only when the user says so. Returns the path and whether it replaces a file,
    or None when nothing was chosen or the user kept the existing file.
    """
    if not chosen:
        return None
    path = str(chosen)
    if suffix and not path.lower().endswith(suffix):
        path += suffix
    replace = Path(path).exists()
    if replace and not confirm_replace(parent, Path(path)):
        return None
    return Path(path), replace
