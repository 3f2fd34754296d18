"""Ctrl+Enter saves from a multi-line note.

In a multi-line note Enter types a new line, so staff need another key to finish without
reaching for the mouse: Ctrl+Enter (either Enter key) runs the dialog's Save, as it sets a
room ready or marks a patient arrived elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

from ma_desk.ui.common.shortcuts import add_shortcut

SAVE_KEYS = ("Ctrl+Return", "Ctrl+Enter")
SAVE_PROPERTY = "ctrl_enter_saves"  # set on every note wired here (tests enumerate them)


def ctrl_enter_saves(
    editor: QPlainTextEdit | QTextEdit, save: Callable[[], object], what: str = "Save"
) -> None:
    """Ctrl+Enter in ``editor`` runs ``save``; the hint joins the note's tooltip."""
    for keys in SAVE_KEYS:
        add_shortcut(editor, keys, save, f"{what} (from a multi-line note)",
                     context=Qt.ShortcutContext.WidgetShortcut)  # fmt: skip
    editor.setProperty(SAVE_PROPERTY, True)
    hint = f"Enter starts a new line; Ctrl+Enter: {what.lower()}."
    editor.setToolTip(f"{editor.toolTip()}\n{hint}".strip())
