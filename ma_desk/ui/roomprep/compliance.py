"""Compliance view: checklist runs by room and date range, with gaps highlighted, and CSV export."""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import compact_date, qt_date_format, time_text, weekday_text
from ma_desk.errors import MADeskError
from ma_desk.reports.compliance_csv import write_compliance_csv
from ma_desk.services.checklists import ComplianceReport, GapRow, RunSummaryRow
from ma_desk.ui.common import palette, replace_file
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.fit import fit_columns
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.roomprep.worker import LatestOnly

if TYPE_CHECKING:
    from ma_desk.services import Services

GAP_COLUMNS: list[Column[GapRow]] = [
    Column("Date", lambda g: weekday_text(g.day), background=lambda g: palette.ROSE),
    Column("Room", lambda g: g.room_name, background=lambda g: palette.ROSE),
    Column("Roomed", lambda g: time_text(g.at) if g.at else "", background=lambda g: palette.ROSE),
    Column("Gap", lambda g: g.message, background=lambda g: palette.ROSE),
]
STATUS_BACKGROUND = {"abandoned": palette.GREY, "in_progress": palette.AMBER}
RUN_COLUMNS: list[Column[RunSummaryRow]] = [
    Column("Date", lambda r: weekday_text(r.started_at)),
    Column("Room", lambda r: r.room_name),
    Column("Checklist", lambda r: r.moment_label),
    Column("Started", lambda r: time_text(r.started_at)),
    Column("Minutes", lambda r: "" if r.minutes is None else f"{r.minutes:.1f}", align_right=True),
    Column("By", lambda r: r.user_name),
    Column(
        "Ticked",
        lambda r: f"{r.items_done}/{r.items_total - r.items_not_due}",
        tooltip=lambda r: f"{r.items_not_due} weekly item(s) not due" if r.items_not_due else None,
        align_right=True,
    ),
    Column(
        "Status",
        lambda r: r.status.replace("_", " "),
        background=lambda r: STATUS_BACKGROUND.get(r.status),
    ),
    Column(
        "Not done / notes",
        lambda r: " | ".join([*r.not_done, *([r.note] if r.note else [])]),
        background=lambda r: palette.ROSE if r.not_done else None,
    ),
]


def ask_save_path(parent: QWidget | None, suggested: str) -> Path | None:
    """The save dialog, separate so tests can answer it."""
    name, _filter = QFileDialog.getSaveFileName(parent, "Export compliance CSV", suggested,
                                                "CSV files (*.csv)",
                                                options=replace_file.SAVE_OPTIONS)  # fmt: skip
    return Path(name) if name else None


class CompliancePage(QWidget):
    def __init__(self, services: Services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.report: ComplianceReport | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        today = services.now().date()
        start = today - dt.timedelta(days=7)
        self.date_from = self._date_edit("compliance_from", "From date", start)
        self.date_to = self._date_edit("compliance_to", "To date", today)
        self.room = named(QComboBox(), "compliance_room", "Room")
        top.addWidget(QLabel("From"))
        top.addWidget(self.date_from)
        top.addWidget(QLabel("to"))
        top.addWidget(self.date_to)
        top.addWidget(QLabel("Room"))
        top.addWidget(self.room)
        top.addStretch(1)
        self.export_button = named(QPushButton("Export CSV…"), "compliance_export", "Export CSV")
        top.addWidget(self.export_button)
        layout.addLayout(top)
        self.message = FieldMessage("compliance")
        self.message.setStyleSheet(f"color: {palette.ERROR_TEXT};")
        layout.addWidget(self.message)
        self.summary = QLabel("")
        self.summary.setObjectName("compliance_summary")
        layout.addWidget(self.summary)
        splitter = QSplitter(Qt.Orientation.Vertical)
        gap_box = QWidget()
        gap_layout = QVBoxLayout(gap_box)
        gap_layout.setContentsMargins(0, 0, 0, 0)
        self.gap_title = QLabel("Gaps: rooms used without a turnover")
        self.gap_title.setStyleSheet(f"font-weight: bold; color: {palette.ERROR_TEXT};")
        gap_layout.addWidget(self.gap_title)
        self.gap_model: RowTableModel[GapRow] = RowTableModel(GAP_COLUMNS, self)
        self.gaps = make_table("compliance_gaps", "Compliance gaps")
        self.gaps.setModel(self.gap_model)
        fit_columns(self.gaps, stretch=("Room",))
        gap_layout.addWidget(self.gaps)
        run_box = QWidget()
        run_layout = QVBoxLayout(run_box)
        run_layout.setContentsMargins(0, 0, 0, 0)
        run_layout.addWidget(QLabel("Checklist runs (newest first)"))
        self.run_model: RowTableModel[RunSummaryRow] = RowTableModel(RUN_COLUMNS, self)
        self.runs = make_table("compliance_runs", "Checklist runs")
        self.runs.setModel(self.run_model)
        fit_columns(self.runs, stretch=("Room", "Checklist", "By", "Not done / notes"))
        run_layout.addWidget(self.runs)
        splitter.addWidget(gap_box)
        splitter.addWidget(run_box)
        splitter.setSizes([180, 420])
        layout.addWidget(splitter, 1)
        self.loader = LatestOnly(self)
        self.loader.finished.connect(self._show)
        self.loader.failed.connect(self._failed)
        self._fill_rooms()
        self.date_from.dateChanged.connect(lambda _d: self.reload())
        self.date_to.dateChanged.connect(lambda _d: self.reload())
        self.room.currentIndexChanged.connect(lambda _i: self.reload())
        self.export_button.clicked.connect(self.export)

    def _date_edit(self, name: str, label: str, value: dt.date) -> QDateEdit:
        edit = named(QDateEdit(), name, label)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(qt_date_format())
        whole_field_tab(edit)
        edit.setDate(QDate(value.year, value.month, value.day))
        return edit

    def _fill_rooms(self) -> None:
        self.room.blockSignals(True)
        current = self.room.currentData()
        self.room.clear()
        self.room.addItem("All rooms", None)
        for row in self.services.rooms.board():
            self.room.addItem(row.name, row.id)
        found = self.room.findData(current)
        self.room.setCurrentIndex(max(0, found))
        self.room.blockSignals(False)

    def reload(self) -> None:
        """Ask for the report off the UI thread; a long range must not freeze the desk."""
        date_from, date_to = self.date_from.date().toPython(), self.date_to.date().toPython()
        room_id = self.room.currentData()
        self.export_button.setEnabled(False)
        self.summary.setText("Loading checklist runs…")
        checklists = self.services.checklists
        self.loader.submit(lambda: checklists.compliance(date_from, date_to, room_id))

    def _failed(self, error: MADeskError) -> None:
        self.message.show_message(str(error))
        self.summary.setText("")
        self.report = None
        self.export_button.setEnabled(False)

    def _show(self, report: ComplianceReport) -> None:
        self.message.show_message("")
        self.export_button.setEnabled(True)
        self.report = report
        self.gap_model.set_rows(list(report.gaps))
        self.run_model.set_rows(list(report.runs))
        completed = [r for r in report.runs if r.status == "completed"]
        turnover = [r.minutes for r in completed if r.moment == "between" and r.minutes is not None]
        skipped = sum(len(r.not_done) for r in report.runs)
        parts = [f"{len(completed)} completed checklists"]
        if turnover:
            parts.append(f"median turnover {statistics.median(turnover):.1f} min")
        parts.append(f"{skipped} items not done (with reasons)")
        parts.append(f"{len(report.gaps)} gap{'s' if len(report.gaps) != 1 else ''}")
        self.summary.setText(" · ".join(parts))
        self.gap_title.setText(
            f"Gaps: rooms used without a turnover ({len(report.gaps)})"
            if report.gaps
            else "No gaps: every use of a room had a checklist before it."
        )

    def activated(self) -> None:
        self._fill_rooms()
        self.reload()

    def export(self) -> None:
        report = self.report
        if report is None or self.loader.busy:
            return
        suggested = (
            f"room-checklists-{compact_date(report.date_from)}-{compact_date(report.date_to)}.csv"
        )
        target = replace_file.save_target(self, ask_save_path(self, suggested))
        if target is None:
            return
        path, replace = target
        try:
            write_compliance_csv(report, path, force=replace)
        except MADeskError as error:
            dialogs.warn(self, "Export failed", str(error))
            return
        dialogs.info(self, "Exported", f"Saved {len(report.runs)} runs and "
                                       f"{len(report.gaps)} gaps to {path.name}.")  # fmt: skip
