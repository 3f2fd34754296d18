"""Schedule tab: the day's appointment book."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDateEdit, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ma_desk.services.schedule import AppointmentRow
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.tab_base import Tab

STATUS_COLOURS = {
    "arrived": "#fff3cd", "roomed": "#d1ecf1", "with_provider": "#d4edda",
    "checked_out": "#e2e3e5", "no_show": "#f8d7da", "cancelled": "#f8d7da",
}  # fmt: skip

COLUMNS: list[Column[AppointmentRow]] = [
    Column("Time", lambda r: f"{r.start:%H:%M}"),
    Column("Provider", lambda r: r.provider_name),
    Column("Patient", lambda r: r.patient_name),
    Column("Age", lambda r: r.patient_age, align_right=True),
    Column("Type", lambda r: r.type_name, background=lambda r: r.type_color),
    Column("Reason", lambda r: r.reason),
    Column("Status", lambda r: r.status_label, background=lambda r: STATUS_COLOURS.get(r.status)),
    Column("Room", lambda r: r.room_name),
]


class ScheduleTab(Tab):
    title = "Schedule"

    def __init__(self, services, selection, parent=None):
        super().__init__(services, selection, parent)
        self.day = services.ctx.clock.now().date()
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.prev_button = named(QPushButton("◀ Previous day"), "schedule_prev_day", "Previous day")
        self.today_button = named(QPushButton("Today"), "schedule_today", "Today")
        self.next_button = named(QPushButton("Next day ▶"), "schedule_next_day", "Next day")
        self.date_edit = named(QDateEdit(), "schedule_date", "Schedule date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("ddd MM/dd/yyyy")
        self.summary = QLabel()
        self.summary.setObjectName("schedule_summary")
        for w in (self.prev_button, self.today_button, self.next_button, self.date_edit):
            bar.addWidget(w)
        bar.addSpacing(16)
        bar.addWidget(self.summary, 1)
        layout.addLayout(bar)
        self.model: RowTableModel[AppointmentRow] = RowTableModel(COLUMNS, self)
        self.table = make_table("schedule_table", "Appointments of the day")
        self.table.setModel(self.model)
        layout.addWidget(self.table, 1)

        self.prev_button.clicked.connect(lambda: self.set_day(self.day - dt.timedelta(days=1)))
        self.next_button.clicked.connect(lambda: self.set_day(self.day + dt.timedelta(days=1)))
        self.today_button.clicked.connect(
            lambda: self.set_day(self.services.ctx.clock.now().date())
        )
        self.date_edit.dateChanged.connect(lambda d: self.set_day(d.toPython()))
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        selection.data_changed.connect(lambda _area: self.reload())
        self.set_day(self.day)

    def set_day(self, day: dt.date) -> None:
        self.day = day
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(day.year, day.month, day.day))
        self.date_edit.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        rows = self.services.schedule.day(self.day)
        current = self.selection.appointment_id
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        active = [r for r in rows if r.status not in ("cancelled", "no_show")]
        in_clinic = sum(r.status in ("arrived", "roomed", "with_provider") for r in rows)
        self.summary.setText(
            f"{len(active)} appointments · {in_clinic} in clinic · "
            f"{sum(r.status == 'checked_out' for r in rows)} checked out"
        )
        for i, row in enumerate(rows):
            if row.id == current:
                self.table.selectRow(i)
                break

    def _row_changed(self, current, _previous) -> None:
        row = self.model.row_at(current.row())
        if row is not None:
            self.selection.select_appointment(row.id, row.patient_id)

    def activated(self) -> None:
        self.reload()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
