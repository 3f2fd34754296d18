"""The appointment book as a Qt table model: rows are time slots, columns are lanes.

A lane is one provider on one day: the day view has a lane per provider, the
week view a lane per day for one provider. Cells carry the shading (clinic
closed, provider not working); appointments are laid out once per load into
blocks (first row, row span, side-by-side position for overlaps) that the view
paints. Dropping an appointment on a cell asks for a move through a signal:
the tab decides (warnings, confirmation) and calls the service.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtCore import Signal as QtSignal
from PySide6.QtGui import QBrush, QColor

from ma_desk.display_format import time_text, weekday_text, weekday_time_text
from ma_desk.services.schedule import AppointmentRow, ProviderRow
from ma_desk.ui.common import palette

MIME_TYPE = "application/x-ma-desk-appointment"
Index = QModelIndex | QPersistentModelIndex
APPOINTMENT_ROLE = Qt.ItemDataRole.UserRole + 10  # AppointmentRow | None at a cell
SLOT_ROLE = Qt.ItemDataRole.UserRole + 11  # (start datetime, provider id) of a cell

OPEN_COLOUR = QColor(palette.SURFACE)
PROVIDER_OFF_COLOUR = QColor(palette.GREY)
CLINIC_CLOSED_COLOUR = QColor(palette.CLOSED)
OPEN_BRUSH, OFF_BRUSH, CLOSED_BRUSH = (
    QBrush(OPEN_COLOUR), QBrush(PROVIDER_OFF_COLOUR), QBrush(CLINIC_CLOSED_COLOUR)
)  # fmt: skip


@dataclass(frozen=True)
class Lane:
    day: dt.date
    provider: ProviderRow

    def works(self, t: dt.time) -> bool:
        p = self.provider
        return p.works_on(self.day) and p.work_start <= t < p.work_end


@dataclass(frozen=True)
class Block:
    """Where an appointment sits: its lane (column), first row and span, and its share."""

    appointment: AppointmentRow
    column: int
    row: int
    span: int
    position: int  # 0-based side-by-side slot when appointments overlap
    of: int  # how many side by side


def age_label(dob: dt.date, on: dt.date) -> str:
    """'46y' for adults, '18m' under two (what a desk writes on a chart)."""
    months = (on.year - dob.year) * 12 + on.month - dob.month - (on.day < dob.day)
    if months < 24:
        return f"{max(0, months)}m"
    return f"{months // 12}y"


class ScheduleGridModel(QAbstractTableModel):
    move_requested = QtSignal(int, object, int)  # appointment id, new start, provider id

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.slot_minutes = 15
        self.opens = dt.time(8)
        self.closes = dt.time(17)
        self.lanes: list[Lane] = []
        self.first_slot = dt.time(8)
        self.slot_count = 0
        self.blocks: list[Block] = []
        self.flags_by_patient: dict[int, str] = {}
        self.show_inactive = True
        self._cell: dict[tuple[int, int], list[Block]] = {}
        self._backgrounds: list[list[QBrush]] = []
        self.shade_runs: list[list[tuple[int, int, QBrush]]] = []

    # ------------------------------------------------------------- loading
    def load(
        self,
        lanes: list[Lane],
        appointments: list[AppointmentRow],
        *,
        slot_minutes: int,
        opens: dt.time,
        closes: dt.time,
        insurance_flags: dict[int, str] | None = None,
        show_inactive: bool = True,
    ) -> None:
        """Replace everything shown; the rows cover clinic hours and any booking outside.

        When the grid keeps its shape (same lanes and slots, e.g. the next day) the
        views are told the cells changed instead of being reset, which keeps the
        cursor and scroll position and skips a header relayout.
        """
        slot_minutes = max(1, slot_minutes)
        lane_of = {(lane.day, lane.provider.id): i for i, lane in enumerate(lanes)}
        shown = [
            a
            for a in appointments
            if (a.start.date(), a.provider_id) in lane_of and (show_inactive or a.is_active)
        ]
        first = _minutes(opens)
        last = _minutes(closes)
        for a in shown:
            first = min(first, _minutes(a.start.time()))
            last = max(last, min(24 * 60, _minutes(a.start.time()) + a.minutes))
        first -= first % slot_minutes
        slot_count = max(1, math.ceil((last - first) / slot_minutes))
        first_slot = dt.time(first // 60, first % 60)
        reset = (slot_count, len(lanes), first_slot, slot_minutes) != (
            self.slot_count,
            len(self.lanes),
            self.first_slot,
            self.slot_minutes,
        )
        if reset:
            self.beginResetModel()
        self.slot_minutes, self.first_slot, self.slot_count = slot_minutes, first_slot, slot_count
        self.opens, self.closes = opens, closes
        self.lanes = lanes
        self.flags_by_patient = dict(insurance_flags or {})
        self.show_inactive = show_inactive
        self.blocks = self._layout(shown, lane_of)
        self._cell = {}
        for b in self.blocks:
            for r in range(b.row, b.row + b.span):
                self._cell.setdefault((r, b.column), []).append(b)
        self.shade_runs = [self._runs(lane) for lane in lanes]
        self._backgrounds = [[OPEN_BRUSH] * len(lanes) for _ in range(self.slot_count)]
        for column, runs in enumerate(self.shade_runs):
            for start, end, brush in runs:
                for row in range(start, end):
                    self._backgrounds[row][column] = brush
        if reset:
            self.endResetModel()
        elif lanes:
            self.dataChanged.emit(self.index(0, 0), self.index(slot_count - 1, len(lanes) - 1))
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(lanes) - 1)

    def _runs(self, lane: Lane) -> list[tuple[int, int, QBrush]]:
        """Row ranges of one shade in a lane: closed, provider off, open (few per lane)."""

        def row_at(t: dt.time) -> int:
            m = _minutes(t) - _minutes(self.first_slot)
            return max(0, min(self.slot_count, math.ceil(m / self.slot_minutes)))

        open_from, open_to = row_at(self.opens), row_at(self.closes)
        p = lane.provider
        if p.works_on(lane.day):
            work_from, work_to = row_at(p.work_start), row_at(p.work_end)
        else:
            work_from = work_to = open_from
        marks = sorted({0, self.slot_count, open_from, open_to, work_from, work_to})
        runs: list[tuple[int, int, QBrush]] = []
        for start, end in zip(marks, marks[1:], strict=False):
            if start >= end:
                continue
            if not open_from <= start < open_to:
                brush = CLOSED_BRUSH
            elif work_from <= start < work_to:
                brush = OPEN_BRUSH
            else:
                brush = OFF_BRUSH
            if runs and runs[-1][2] is brush:
                runs[-1] = (runs[-1][0], end, brush)
            else:
                runs.append((start, end, brush))
        return runs

    def _layout(self, shown: list[AppointmentRow], lane_of) -> list[Block]:
        """Blocks per lane; overlapping appointments share the width side by side."""
        by_lane: dict[int, list[AppointmentRow]] = {}
        for a in shown:
            by_lane.setdefault(lane_of[(a.start.date(), a.provider_id)], []).append(a)
        blocks: list[Block] = []
        for column, appts in by_lane.items():
            appts.sort(key=lambda a: (a.start, -a.minutes, a.id))
            cluster: list[tuple[AppointmentRow, int, int, int]] = []  # appt,row,span,position
            cluster_end: dt.datetime | None = None
            columns_end: list[dt.datetime] = []
            for a in appts:
                if cluster_end is not None and a.start >= cluster_end:
                    blocks += self._close_cluster(cluster, column, len(columns_end))
                    cluster, columns_end, cluster_end = [], [], None
                position = next((i for i, end in enumerate(columns_end) if end <= a.start), None)
                if position is None:
                    position = len(columns_end)
                    columns_end.append(a.end)
                else:
                    columns_end[position] = a.end
                row, span = self.rows_for(a)
                cluster.append((a, row, span, position))
                cluster_end = a.end if cluster_end is None else max(cluster_end, a.end)
            blocks += self._close_cluster(cluster, column, len(columns_end))
        return blocks

    @staticmethod
    def _close_cluster(cluster, column: int, width: int) -> list[Block]:
        return [Block(a, column, row, span, pos, max(1, width)) for a, row, span, pos in cluster]

    def rows_for(self, a: AppointmentRow) -> tuple[int, int]:
        start = _minutes(a.start.time()) - _minutes(self.first_slot)
        row = max(0, start // self.slot_minutes)
        end = start + a.minutes
        span = max(1, math.ceil(end / self.slot_minutes) - row)
        return row, min(span, self.slot_count - row)

    # ------------------------------------------------------------- lookups
    def slot_time(self, row: int) -> dt.time:
        m = _minutes(self.first_slot) + row * self.slot_minutes
        return dt.time(min(23, m // 60), m % 60)

    def slot_start(self, row: int, column: int) -> dt.datetime:
        return dt.datetime.combine(self.lanes[column].day, self.slot_time(row))

    def row_of(self, t: dt.time) -> int:
        return max(0, min(self.slot_count - 1,
                          (_minutes(t) - _minutes(self.first_slot)) // self.slot_minutes))  # fmt: skip

    def column_of(self, day: dt.date, provider_id: int) -> int | None:
        for i, lane in enumerate(self.lanes):
            if lane.day == day and lane.provider.id == provider_id:
                return i
        return None

    def blocks_at(self, row: int, column: int) -> list[Block]:
        return self._cell.get((row, column), [])

    def appointment_at(self, row: int, column: int) -> AppointmentRow | None:
        """The appointment a cell stands for: an active one starting latest at or before it."""
        blocks = self.blocks_at(row, column)
        if not blocks:
            return None
        best = max(blocks, key=lambda b: (b.appointment.is_active, b.row, -b.appointment.id))
        return best.appointment

    def block_of(self, appointment_id: int) -> Block | None:
        return next((b for b in self.blocks if b.appointment.id == appointment_id), None)

    def is_open(self, row: int, column: int) -> bool:
        t = self.slot_time(row)
        return self.opens <= t < self.closes

    # ------------------------------------------------------------- Qt interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.slot_count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lanes)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < self.slot_count and 0 <= column < len(self.lanes)):
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._backgrounds[row][column]
        if role == APPOINTMENT_ROLE:
            return self.appointment_at(row, column)
        if role == SLOT_ROLE:
            return self.slot_start(row, column), self.lanes[column].provider.id
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.describe(row, column)
        return None

    def describe(self, row: int, column: int) -> str:
        """What a screen reader (and a tooltip) says for a cell."""
        lane = self.lanes[column]
        start = self.slot_start(row, column)
        a = self.appointment_at(row, column)
        where = f"{lane.provider.display_name}, {weekday_time_text(start)}"
        if a is None:
            if not self.is_open(row, column):
                return f"{where}: clinic closed"
            if not lane.works(start.time()):
                return f"{where}: provider not working"
            return f"{where}: open"
        text = (
            f"{time_text(a.start)}-{time_text(a.end)} {a.patient_name} ({age_label(a.patient_dob, lane.day)})"
            f" · {a.type_name} · {a.reason or 'no reason given'} · {a.status_label}"
        )
        if a.room_name:
            text += f" · {a.room_name}"
        if a.is_late:
            text += " · late"
        flag = self.flags_by_patient.get(a.patient_id)
        if flag:
            text += f" · {flag}"
        if a.critical.text:
            text += f" · {a.critical.text} ({a.critical.details})"
        return text

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.ToolTipRole and orientation == Qt.Orientation.Horizontal:
            role = Qt.ItemDataRole.DisplayRole  # the full title of an elided column
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.lanes):
            lane = self.lanes[section]
            days = {ln.day for ln in self.lanes}
            if len(days) > 1:
                return weekday_text(lane.day)
            p = lane.provider
            return f"{p.display_name}, {p.credentials}" if p.credentials else p.display_name
        if orientation == Qt.Orientation.Vertical and 0 <= section < self.slot_count:
            t = self.slot_time(section)
            return time_text(t) if t.minute == 0 or section == 0 else f":{t.minute:02d}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Every cell takes drops; the view itself starts drags from blocks (cheap to ask)."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _CELL_FLAGS

    # ------------------------------------------------------------- drag and drop
    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeData(self, indexes) -> QMimeData:
        mime = QMimeData()
        for index in indexes:
            a = self.appointment_at(index.row(), index.column())
            if a is not None:
                mime.setData(MIME_TYPE, str(a.id).encode())
                break
        return mime

    def canDropMimeData(self, data, action, row, column, parent) -> bool:
        return data.hasFormat(MIME_TYPE) and parent.isValid()

    def dropMimeData(self, data, action, row, column, parent) -> bool:
        """A block dropped on a cell: ask to move it there (keeps its offset into the slot)."""
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        try:
            appointment_id = int(bytes(data.data(MIME_TYPE)).decode())
        except ValueError:
            return False
        target_row, target_column = parent.row(), parent.column()
        if not (0 <= target_row < self.slot_count and 0 <= target_column < len(self.lanes)):
            return False
        start = self.slot_start(target_row, target_column)
        self.move_requested.emit(appointment_id, start, self.lanes[target_column].provider.id)
        return True


_CELL_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
)


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute
