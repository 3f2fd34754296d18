"""The room board: one card per room, coloured by state, readable from across the hall.

A ``QListView`` in icon mode over ``RowTableModel[RoomRow]``; the delegate
paints each card from the row (no widgets per room), so arrow keys, Enter
and screen readers work as in any list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ma_desk.clinical.checklist_templates import moment_label
from ma_desk.display_format import time_text, weekday_time_text
from ma_desk.services.rooms import RoomRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.table_model import ROW_ROLE, Column, RowTableModel
from ma_desk.ui.common.widgets import named

# state -> (band colour, card background, text on band)
STATE_STYLE = {
    "ready": (palette.READY_GREEN, palette.CARD_READY, palette.ON_COLOUR),
    "occupied": (palette.OCCUPIED_BLUE, palette.CARD_OCCUPIED, palette.ON_COLOUR),
    "needs_turnover": (palette.TURNOVER_AMBER, palette.CARD_TURNOVER, palette.INK),
    "out_of_service": (palette.OUT_GREY, palette.CARD_OUT, palette.ON_COLOUR),
}
CARD_SIZE = QSize(262, 146)  # room for four lines of detail (long names wrap)


def minutes_since(since: dt.datetime | None, now: dt.datetime) -> str:
    if since is None:
        return ""
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest:02d} min"
    return f"{hours // 24} d"


def since_text(row: RoomRow, now: dt.datetime) -> str:
    if row.state_since is None:
        return ""
    when = (
        time_text(row.state_since)
        if row.state_since.date() == now.date()
        else weekday_time_text(row.state_since)
    )
    return f"since {when} ({minutes_since(row.state_since, now)})"


def detail_text(row: RoomRow, now: dt.datetime) -> str:
    """The one line under the room name that tells the MA what to do next."""
    if row.open_run_id is not None:
        return (
            f"{moment_label(row.open_run_moment)} checklist in progress — "
            f"{row.open_run_by or 'someone'}, {minutes_since(row.open_run_started, now)}"
        )
    if row.state == "occupied":
        return row.patient_name or "Patient in room"
    if row.state == "out_of_service":
        return row.state_note or "Out of service"
    if row.state == "needs_turnover":
        return "Waiting for turnover — press Enter to start"
    if row.last_run_finished is not None:
        return (
            f"{moment_label(row.last_run_moment)} checklist {time_text(row.last_run_finished)}"
            f" · {row.last_run_by}"
        )
    return "No checklist recorded yet"


def accessible_text(row: RoomRow, now: dt.datetime) -> str:
    return f"{row.name}: {row.state_label}, {since_text(row, now)}. {detail_text(row, now)}"


class RoomCardDelegate(QStyledItemDelegate):
    def __init__(self, now: Callable[[], dt.datetime], parent=None) -> None:
        super().__init__(parent)
        self._now = now

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt API
        return CARD_SIZE

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row: RoomRow | None = index.data(ROW_ROLE)
        if row is None:
            return
        now = self._now()
        band, background, band_text = STATE_STYLE.get(row.state, STATE_STYLE["out_of_service"])
        rect = option.rect.adjusted(6, 6, -6, -6)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(
            QPen(QColor(palette.INK if selected else palette.CARD_BORDER), 3 if selected else 1)
        )
        painter.setBrush(QColor(background))
        painter.drawRoundedRect(rect, 8, 8)
        band_rect = QRect(rect.left(), rect.top(), rect.width(), 30)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(band))
        painter.drawRoundedRect(band_rect, 8, 8)
        painter.drawRect(band_rect.adjusted(0, 14, 0, 0))

        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        painter.setPen(QColor(band_text))
        painter.setFont(bold)
        inner = band_rect.adjusted(10, 0, -10, 0)
        label = row.state_label.upper()
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
        painter.setFont(base)
        room_left = inner.width() - QFontMetrics(bold).horizontalAdvance(label) - 12
        since = since_text(row, now).removeprefix("since ")
        if QFontMetrics(base).horizontalAdvance(since) > room_left and row.state_since:
            since = time_text(row.state_since)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, since)

        title = QFont(base)
        title.setPointSizeF(base.pointSizeF() * 1.45)
        title.setBold(True)
        painter.setFont(title)
        painter.setPen(QColor(palette.INK))
        body = rect.adjusted(10, 34, -10, -8)
        painter.drawText(body, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, row.name)
        painter.setFont(base)
        painter.setPen(QColor(palette.CARD_DETAIL))
        painter.drawText(body, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignRight,
                         row.room_type.replace("_", " ").capitalize())  # fmt: skip
        detail_rect = body.adjusted(0, 30, 0, 0)
        detail = detail_text(row, now)
        detail_font = QFont(base)
        detail_font.setBold(row.state in ("occupied", "needs_turnover"))
        painter.setFont(detail_font)
        painter.setPen(QColor(palette.INK))
        flags = int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft) | int(
            Qt.TextFlag.TextWordWrap
        )
        painter.drawText(detail_rect, flags, detail)
        painter.restore()


class RoomBoardView(QListView):
    """Cards flow left to right and wrap; Enter or double-click starts the room's checklist."""

    activated_room = Signal(object)  # RoomRow

    def __init__(self, now: Callable[[], dt.datetime], parent=None) -> None:
        super().__init__(parent)
        named(self, "room_board", "Room board")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(2)
        self.setGridSize(CARD_SIZE + QSize(4, 4))
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setItemDelegate(RoomCardDelegate(now, self))
        self.setStyleSheet(f"QListView {{ background: {palette.BOARD}; }}")
        self.doubleClicked.connect(self._emit_activated)

    def _emit_activated(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is not None:
            self.activated_room.emit(row)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._emit_activated(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)


def board_model(now: Callable[[], dt.datetime], parent=None) -> RowTableModel[RoomRow]:
    """One column whose text is the spoken summary of the card (for screen readers, tests)."""
    return RowTableModel(
        [
            Column(
                "Room", lambda r: accessible_text(r, now()), tooltip=lambda r: r.state_note or None
            )
        ],
        parent,
    )
