"""Room prep tab: the room board."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout

from ma_desk.services.rooms import RoomRow
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table
from ma_desk.ui.tab_base import Tab

STATE_COLOURS = {"ready": "#d4edda", "occupied": "#d1ecf1", "needs_turnover": "#fff3cd",
                 "out_of_service": "#e2e3e5"}  # fmt: skip

COLUMNS: list[Column[RoomRow]] = [
    Column("Room", lambda r: r.name),
    Column("Type", lambda r: r.room_type.title()),
    Column("State", lambda r: r.state_label, background=lambda r: STATE_COLOURS.get(r.state)),
    Column("Since", lambda r: f"{r.state_since:%H:%M}" if r.state_since else ""),
    Column("Patient", lambda r: r.patient_name),
]


class RoomPrepTab(Tab):
    title = "Room prep"

    def __init__(self, services, selection, parent=None):
        super().__init__(services, selection, parent)
        layout = QVBoxLayout(self)
        self.model: RowTableModel[RoomRow] = RowTableModel(COLUMNS, self)
        self.table = make_table("room_board", "Room board")
        self.table.setModel(self.model)
        layout.addWidget(self.table, 1)
        selection.data_changed.connect(lambda _a: self.reload())
        self.reload()

    def reload(self) -> None:
        self.model.set_rows(self.services.rooms.board())
        self.table.resizeColumnsToContents()

    def activated(self) -> None:
        self.reload()
