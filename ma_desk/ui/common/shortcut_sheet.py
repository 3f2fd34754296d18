"""The F1 "Keyboard shortcuts" sheet: what the window has installed, by tab."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from ma_desk.ui.common.shortcuts import EVERYWHERE, ShortcutEntry
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table

COLUMNS: list[Column[ShortcutEntry]] = [
    Column("Where", lambda e: e.area),
    Column("Keys", lambda e: e.keys),
    Column("What it does", lambda e: e.description, tooltip=lambda e: e.description),
]


def sheet_order(entries: list[ShortcutEntry], areas: list[str]) -> list[ShortcutEntry]:
    """Everywhere first, then the tabs in their order; within an area as installed."""
    rank = {area: n for n, area in enumerate([EVERYWHERE, *areas])}
    return sorted(entries, key=lambda e: rank.get(e.area, len(rank)))


class ShortcutSheet(QDialog):
    def __init__(self, entries: list[ShortcutEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcut_sheet")
        self.setWindowTitle("Keyboard shortcuts")
        self.setAccessibleName("Keyboard shortcuts")
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        hint = QLabel("Keys that work in MA Desk now. Buttons show their key in brackets.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.model: RowTableModel[ShortcutEntry] = RowTableModel(COLUMNS, self)
        self.model.set_rows(entries)
        self.table = make_table("shortcut_table", "Keyboard shortcuts")
        self.table.setModel(self.model)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("shortcut_sheet_close")
        close.setDefault(True)
        layout.addWidget(buttons)
