"""Small modal questions the Schedule tab asks (pick a room, a file), behind one object.

Tests replace ``prompts`` attributes to answer without a modal loop, like
``ma_desk.ui.common.dialogs``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QWidget

from ma_desk.ui.common import replace_file


class Prompts:
    def choose(
        self, parent: QWidget | None, title: str, label: str, options: list[str]
    ) -> int | None:
        """Index of the chosen option, or None when cancelled."""
        if not options:
            return None
        text, ok = QInputDialog.getItem(parent, title, label, options, 0, False)
        return options.index(text) if ok and text in options else None

    def save_path(
        self, parent: QWidget | None, title: str, suggested: str, filters: str
    ) -> str | None:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters,
                                              options=replace_file.SAVE_OPTIONS)  # fmt: skip
        return path or None


prompts = Prompts()
