"""The day's restock list: supplies reported low during checklist runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ma_desk.display_format import qt_weekday_date_format, time_text
from ma_desk.errors import MADeskError
from ma_desk.services.checklists import RestockRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.fit import fit_columns, wrapping
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named

if TYPE_CHECKING:
    from ma_desk.services import Services

COLUMNS: list[Column[RestockRow]] = [
    Column("Reported", lambda r: time_text(r.reported_at)),
    Column("Room", lambda r: r.room_name),
    Column("Item", lambda r: r.item_text),
    Column("What is low", lambda r: r.note),
    Column("Reported by", lambda r: r.reported_by),
    Column(
        "Restocked",
        lambda r: f"{time_text(r.restocked_at)} {r.restocked_by}" if r.restocked_at else "Open",
        background=lambda r: palette.MINT if r.restocked_at else palette.AMBER,
    ),
]


class RestockPage(QWidget):
    def __init__(self, services: Services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Day:"))
        self.day = named(QDateEdit(), "restock_day", "Restock list day")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat(qt_weekday_date_format())
        whole_field_tab(self.day)
        today = services.now().date()
        self.day.setDate(QDate(today.year, today.month, today.day))
        top.addWidget(self.day)
        self.summary = wrapping(QLabel(""))
        self.summary.setObjectName("restock_summary")
        top.addWidget(self.summary, 1)
        self.mark_button = named(QPushButton("Mark restocked"), "restock_mark", "Mark restocked")
        top.addWidget(self.mark_button)
        layout.addLayout(top)
        self.model: RowTableModel[RestockRow] = RowTableModel(COLUMNS, self)
        self.table = make_table("restock_table", "Restock list")
        self.table.setModel(self.model)
        fit_columns(self.table, stretch=("Item", "What is low", "Reported by"))
        layout.addWidget(self.table, 1)
        self.message = FieldMessage("restock")
        layout.addWidget(self.message)
        self.day.dateChanged.connect(lambda _d: self.reload())
        self.mark_button.clicked.connect(self.toggle_restocked)
        self.table.doubleClicked.connect(lambda _i: self.toggle_restocked())
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._update_button())
        self.reload()

    def reload(self) -> None:
        day = self.day.date().toPython()
        try:
            rows = self.services.checklists.restock_list(day)
        except MADeskError as error:
            self.message.show_message(str(error))
            rows = []
        self.model.set_rows(rows)
        still_open = sum(1 for r in rows if r.restocked_at is None)
        self.summary.setText(
            f"{still_open} to restock · {len(rows) - still_open} done" if rows
            else "Nothing reported low on this day."
        )  # fmt: skip
        self._update_button()

    def open_count(self) -> int:
        return sum(1 for r in self.model.rows() if r.restocked_at is None)

    def _update_button(self) -> None:
        row = self.model.row_at(self.table.currentIndex().row())
        self.mark_button.setEnabled(row is not None)
        self.mark_button.setText(
            "Undo restocked" if row is not None and row.restocked_at else "Mark restocked"
        )

    def toggle_restocked(self) -> None:
        current = self.table.currentIndex().row()
        row = self.model.row_at(current)
        if row is None:
            return
        try:
            self.services.checklists.mark_restocked(row.run_item_id, row.restocked_at is None)
        except MADeskError as error:
            self.message.show_message(str(error))
            return
        self.message.show_message("")
        self.reload()
        if 0 <= current < self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(current, 0))
