"""The appointment book's view: a slot grid with appointment blocks painted over it.

The table draws the shaded slots; this view paints each block (sized by
duration, coloured by type, status badge, name + age + reason, insurance
flag) on top, moves the keyboard between slots and appointments, and starts a
drag when a block is pulled. Drops go to the model (``dropMimeData``).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView

from ma_desk.clinical import flow
from ma_desk.ui.schedule.grid_model import Block, ScheduleGridModel, age_label

STATUS_BADGES = {
    flow.SCHEDULED: ("", None),
    flow.CONFIRMED: ("✓ Conf", "#5d6d7e"),
    flow.ARRIVED: ("Arrived", "#b9770e"),
    flow.ROOMED: ("Roomed", "#1f618d"),
    flow.WITH_PROVIDER: ("With prov", "#1e8449"),
    flow.CHECKED_OUT: ("Out", "#7f8c8d"),
    flow.NO_SHOW: ("No-show", "#922b21"),
    flow.CANCELLED: ("Cancelled", "#922b21"),
    flow.LEFT_WITHOUT_BEING_SEEN: ("LWBS", "#922b21"),
}
ROW_HEIGHT = 22


class ScheduleGridView(QTableView):
    open_requested = Signal(QModelIndex)  # double-click or Enter on a cell

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setWordWrap(False)
        self.setShowGrid(True)
        self.setTabKeyNavigation(False)
        self.setMouseTracking(True)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        )
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setMinimumSectionSize(140)
        self.now: dt.datetime | None = None
        self._press_pos: QPoint | None = None
        self._press_block: Block | None = None

    def grid_model(self) -> ScheduleGridModel:
        return self.model()  # type: ignore[return-value]

    # ------------------------------------------------------------- geometry
    def block_rect(self, block: Block) -> QRect:
        """Exact to the minute: a 09:50 visit starts two thirds into the 09:45 row."""
        model = self.grid_model()
        first = self.visualRect(model.index(block.row, block.column))
        a = block.appointment
        per_minute = first.height() / model.slot_minutes
        offset = (a.start.hour * 60 + a.start.minute) - (
            model.first_slot.hour * 60 + model.first_slot.minute + block.row * model.slot_minutes
        )
        top = first.top() + int(max(0, offset) * per_minute)
        bottom_limit = first.top() + (model.slot_count - block.row) * first.height()
        bottom = min(bottom_limit, top + int(a.minutes * per_minute))
        width = first.width() / block.of
        left = first.left() + int(block.position * width)
        return QRect(left + 1, top + 1, max(8, int(width) - 3), max(6, bottom - top - 2))

    def block_at(self, pos: QPoint) -> Block | None:
        index = self.indexAt(pos)
        if not index.isValid():
            return None
        for block in self.grid_model().blocks_at(index.row(), index.column()):
            if self.block_rect(block).contains(pos):
                return block
        return None

    # ------------------------------------------------------------- painting
    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        model = self.grid_model()
        if model is None or not model.lanes:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        visible = event.rect()
        font = QFont(self.font())
        bold = QFont(font)
        bold.setBold(True)
        small = QFont(font)
        small.setPointSizeF(max(6.5, font.pointSizeF() - 1.5))
        current = self.currentIndex()
        current_id = None
        if current.isValid():
            a = model.appointment_at(current.row(), current.column())
            current_id = a.id if a else None
        for block in model.blocks:
            rect = self.block_rect(block)
            if not rect.intersects(visible):
                continue
            self._paint_block(painter, block, rect, block.appointment.id == current_id,
                              bold, font, small)  # fmt: skip
        self._paint_now_line(painter)
        painter.end()

    def _paint_block(self, painter: QPainter, block: Block, rect: QRect, selected: bool,
                     bold: QFont, font: QFont, small: QFont) -> None:  # fmt: skip
        a = block.appointment
        model = self.grid_model()
        colour = QColor(a.type_color or "#cfd8dc")
        faded = not a.is_active or a.status == flow.CHECKED_OUT
        if faded:
            colour = colour.lighter(118)
            colour.setAlpha(150)
        painter.setPen(QPen(QColor("#1b4f72") if selected else colour.darker(150),
                            2.5 if selected else 1))  # fmt: skip
        painter.setBrush(colour)
        painter.drawRoundedRect(rect, 3, 3)
        # a provider-coloured stripe on the left, like a paper book's tab
        stripe = QRect(rect.left(), rect.top(), 4, rect.height())
        painter.fillRect(stripe, QColor(model.lanes[block.column].provider.color))

        text_rect = rect.adjusted(7, 1, -3, -1)
        badge_text, badge_colour = STATUS_BADGES.get(a.status, (a.status_label, "#555"))
        if a.is_late and a.status in flow.IN_CLINIC_STATUSES:
            badge_text = f"{badge_text} · late"
        painter.setFont(small)
        metrics = QFontMetrics(small)
        if badge_text and badge_colour:
            bw = metrics.horizontalAdvance(badge_text) + 8
            badge = QRect(text_rect.right() - bw, text_rect.top() + 1, bw, metrics.height() + 1)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(badge_colour))
            painter.drawRoundedRect(badge, 3, 3)
            painter.setPen(QColor("white"))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, badge_text)
            text_rect.setRight(badge.left() - 3)
        flag = model.flags_by_patient.get(a.patient_id)
        if flag and a.is_active:
            fw = metrics.horizontalAdvance("$?") + 6
            marker = QRect(rect.right() - fw - 2, rect.bottom() - metrics.height() - 1, fw,
                           metrics.height())  # fmt: skip
            if marker.top() <= text_rect.top() + metrics.height():
                marker.moveTop(text_rect.top() + 1)
                marker.moveRight(text_rect.right())
                text_rect.setRight(marker.left() - 2)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#f5b041"))
            painter.drawRoundedRect(marker, 2, 2)
            painter.setPen(QColor("#4d2c00"))
            painter.drawText(marker, Qt.AlignmentFlag.AlignCenter, "$?")

        text_colour = QColor("#7b7d7d") if faded else QColor("#17202a")
        painter.setPen(text_colour)
        name = f"{a.patient_name} ({age_label(a.patient_dob, a.start.date())})"
        line_h = QFontMetrics(font).height()
        title_font = QFont(bold)
        title_font.setStrikeOut(a.status in (flow.CANCELLED, flow.NO_SHOW))
        title = f"{a.start:%H:%M} {name}"
        detail = f"{a.type_name} · {a.reason}" if a.reason else a.type_name
        if a.room_name and a.status in (flow.ROOMED, flow.WITH_PROVIDER):
            detail = f"[{a.room_name}] {detail}"
        fm = QFontMetrics(title_font)
        top_left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        painter.setFont(title_font)
        title = fm.elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, top_left, title)
        normal = QFontMetrics(font)
        painter.setFont(font)
        if rect.height() >= 2 * line_h + 2:
            detail_rect = QRect(rect.left() + 7, text_rect.top() + line_h, rect.width() - 10,
                                rect.height() - line_h - 2)  # fmt: skip
            painter.drawText(detail_rect, top_left, normal.elidedText(
                detail, Qt.TextElideMode.ElideRight, detail_rect.width()))  # fmt: skip
        else:
            used = fm.horizontalAdvance(title) + 6
            rest = QRect(text_rect.left() + used, text_rect.top(), text_rect.width() - used,
                         text_rect.height())  # fmt: skip
            if rest.width() > 30:
                painter.drawText(rest, top_left, normal.elidedText(
                    detail, Qt.TextElideMode.ElideRight, rest.width()))  # fmt: skip

    def _paint_now_line(self, painter: QPainter) -> None:
        model = self.grid_model()
        if self.now is None:
            return
        for column, lane in enumerate(model.lanes):
            if lane.day != self.now.date():
                continue
            minutes = (self.now.hour * 60 + self.now.minute) - (
                model.first_slot.hour * 60 + model.first_slot.minute
            )
            if not 0 <= minutes < model.slot_count * model.slot_minutes:
                continue
            row = minutes // model.slot_minutes
            cell = self.visualRect(model.index(row, column))
            y = cell.top() + int(
                cell.height() * (minutes % model.slot_minutes) / model.slot_minutes
            )
            painter.setPen(QPen(QColor("#e74c3c"), 2))
            painter.drawLine(cell.left(), y, cell.right(), y)

    # ------------------------------------------------------------- keyboard
    def moveCursor(self, action, modifiers):
        """Up/Down step over a whole appointment; Home/End go to the first/last booking."""
        current = self.currentIndex()
        model = self.grid_model()
        if not current.isValid() or model is None:
            return super().moveCursor(action, modifiers)
        row, column = current.row(), current.column()
        Action = QAbstractItemView.CursorAction
        if action == Action.MoveDown:
            a = model.appointment_at(row, column)
            if a is not None:
                block = model.block_of(a.id)
                if block is not None and block.row + block.span < model.slot_count:
                    return model.index(block.row + block.span, column)
                return current
        if action == Action.MoveUp and row > 0:
            above = model.appointment_at(row - 1, column)
            here = model.appointment_at(row, column)
            if above is not None and (here is None or above.id != here.id):
                block = model.block_of(above.id)
                if block is not None:
                    return model.index(block.row, column)
            if here is not None:
                block = model.block_of(here.id)
                if block is not None and block.row > 0:
                    return model.index(block.row - 1, column)
        if action in (Action.MoveHome, Action.MoveEnd):
            rows = sorted(b.row for b in model.blocks if b.column == column)
            if rows:
                return model.index(rows[0] if action == Action.MoveHome else rows[-1], column)
        return super().moveCursor(action, modifiers)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    def select_cell(self, row: int, column: int) -> None:
        index = self.model().index(row, column)
        if index.isValid():
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
            self.scrollTo(index)

    # ------------------------------------------------------------- mouse
    def mouseDoubleClickEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid():
            block = self.block_at(event.position().toPoint())
            if block is not None:
                self.select_cell(block.row, block.column)
                index = self.currentIndex()
            self.open_requested.emit(index)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mousePressEvent(self, event) -> None:
        pos = event.position().toPoint()
        block = self.block_at(pos)
        if event.button() == Qt.MouseButton.LeftButton and block is not None:
            self._press_pos, self._press_block = pos, block
            self.select_cell(block.row, block.column)
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            event.accept()
            return
        self._press_pos = self._press_block = None
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if (
            self._press_block is not None
            and event.buttons() & Qt.MouseButton.LeftButton
            and (event.position().toPoint() - self._press_pos).manhattanLength()
            >= QApplication.startDragDistance()
        ):
            self.start_block_drag(self._press_block)
            self._press_pos = self._press_block = None
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        self._press_pos = self._press_block = None
        super().mouseReleaseEvent(event)

    def start_block_drag(self, block: Block) -> Qt.DropAction:
        model = self.grid_model()
        mime = model.mimeData([model.index(block.row, block.column)])
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(self.viewport().grab(self.block_rect(block)))
        return drag.exec(Qt.DropAction.MoveAction)

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(self.grid_model().mimeTypes()[0]):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        if index.isValid() and event.mimeData().hasFormat(self.grid_model().mimeTypes()[0]):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        index = self.indexAt(event.position().toPoint())
        model = self.grid_model()
        if index.isValid() and model.dropMimeData(
            event.mimeData(), Qt.DropAction.MoveAction, -1, -1, index
        ):
            event.setDropAction(Qt.DropAction.CopyAction)  # the view must not remove rows
            event.accept()
        else:
            event.ignore()
