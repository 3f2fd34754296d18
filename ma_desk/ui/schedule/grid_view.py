"""The appointment book's view: a slot grid with appointment blocks painted over it.

The table draws the shaded slots; this view paints each block (sized by
duration, coloured by type, status badge, name + age + reason, insurance
flag) on top, moves the keyboard between slots and appointments, and starts a
drag when a block is pulled. Drops go to the model (``dropMimeData``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QLine,
    QModelIndex,
    QPoint,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QFontMetrics,
    QPainter,
    QPen,
    QPolygon,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QTableView

from ma_desk.clinical import flow
from ma_desk.display_format import time_text
from ma_desk.services.schedule import AppointmentRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.fit import eliding_header, first_that_fits, name_forms, scrolls_sideways
from ma_desk.ui.schedule.grid_model import Block, ScheduleGridModel, age_label

STATUS_BADGES = {
    flow.SCHEDULED: ("", None),
    flow.CONFIRMED: ("✓ Conf", palette.BADGE_CONFIRMED),
    flow.ARRIVED: ("Arrived", palette.BADGE_ARRIVED),
    flow.ROOMED: ("Roomed", palette.BADGE_ROOMED),
    flow.WITH_PROVIDER: ("With prov", palette.BADGE_WITH_PROVIDER),
    flow.CHECKED_OUT: ("Out", palette.BADGE_OUT),
    flow.NO_SHOW: ("No-show", palette.BADGE_ENDED),
    flow.CANCELLED: ("Cancelled", palette.BADGE_ENDED),
    flow.LEFT_WITHOUT_BEING_SEEN: ("LWBS", palette.BADGE_ENDED),
}
ROW_HEIGHT = 22
CRITICAL_OPEN, CRITICAL_DONE = palette.ALERT_RED, palette.TOLD_GREEN
MIN_LANE_WIDTH = 100  # an empty lane still shows a short provider name and a slot
# A block's insides (px): text starts after the provider stripe, badges keep a margin.
BLOCK_EDGES = 4  # block_rect leaves 1 px before and 3 px after a block
TEXT_LEFT, TEXT_RIGHT = 7, 3
BADGE_PAD, BADGE_GAP = 8, 3


@dataclass(frozen=True)
class BlockText:
    title: str
    short_titles: tuple[str, ...]  # what a narrow block shows: surname and initial at least
    detail: str
    badge: str
    badge_colour: str | None
    flag: str | None
    faded: bool
    struck: bool
    critical: str = ""  # "⚠ CRITICAL" until the provider is told, then "✓ notified 09:42"
    critical_open: bool = False


@lru_cache(maxsize=4096)
def _block_text(a: AppointmentRow, flag: str | None) -> BlockText:
    badge, badge_colour = STATUS_BADGES.get(a.status, (a.status_label, palette.BADGE_OTHER))
    if a.is_late and a.status in flow.IN_CLINIC_STATUSES:
        badge = f"{badge} · late"
    same = a.reason.strip().casefold() == a.type_name.casefold()
    detail = f"{a.type_name} · {a.reason}" if a.reason and not same else a.type_name
    if a.room_name and a.status in (flow.ROOMED, flow.WITH_PROVIDER):
        detail = f"[{a.room_name}] {detail}"
    return BlockText(
        title=f"{time_text(a.start)} {a.patient_name} ({age_label(a.patient_dob, a.start.date())})",
        short_titles=(f"{time_text(a.start)} {a.patient_name}", *name_forms(a.patient_name)),
        detail=detail,
        badge=badge if badge_colour else "",
        badge_colour=badge_colour,
        flag=flag if a.is_active else None,
        faded=not a.is_active or a.status == flow.CHECKED_OUT,
        struck=a.status in (flow.CANCELLED, flow.NO_SHOW),
        critical=a.critical.short,
        critical_open=a.critical.needs_notifying,
    )


def title_forms(text: BlockText) -> tuple[str, ...]:
    """What a block's title may read, longest first, down to "Surname, F."; only a lane
    narrower than the lane floor (never in the book) falls back to the bare surname."""
    return (text.title, *text.short_titles)


def least_title(text: BlockText) -> str:
    """The shortest title a block may show: "Surname, F." (the surname alone only when
    the patient has no first name)."""
    names = text.short_titles[1:]  # name_forms: whole name, "Surname, F.", surname
    return names[1] if len(names) > 2 else names[-1]


def block_floor(text: BlockText, kit: _PaintKit) -> int:
    """The width one block needs to show its badges and, beside them, "Surname, F."."""
    title_metrics = kit.title(text.struck)[1]
    name = title_metrics.horizontalAdvance(least_title(text))
    return BLOCK_EDGES + TEXT_LEFT + TEXT_RIGHT + name + badges_width(text, kit)


def badges_width(text: BlockText, kit: _PaintKit) -> int:
    """Room the status and critical badges take at the right of a block's first line."""
    badges = (badge for badge in (text.badge, text.critical) if badge)
    return sum(kit.small_metrics.horizontalAdvance(b) + BADGE_PAD + BADGE_GAP for b in badges)


def block_text(a: AppointmentRow, flags: dict[int, str]) -> BlockText:
    """What a block says; rows are frozen, so the strings are built once per version."""
    return _block_text(a, flags.get(a.patient_id))


class _PaintKit:
    """Fonts, metrics and colours made once per paint, not once per block."""

    def __init__(self, base: QFont) -> None:
        self.key = base.key()
        self.font = QFont(base)
        self.metrics = QFontMetrics(self.font)
        self.line_h = self.metrics.height()
        self.small = QFont(base)
        self.small.setPointSizeF(max(6.5, base.pointSizeF() - 1.5))
        self.small_metrics = QFontMetrics(self.small)
        self.small_h = self.small_metrics.height()
        self._titles: dict[bool, tuple[QFont, QFontMetrics]] = {}
        for struck in (False, True):
            f = QFont(base)
            f.setBold(True)
            f.setStrikeOut(struck)
            self._titles[struck] = (f, QFontMetrics(f))
        self.fonts = {
            "font": (self.font, self.metrics),
            "small": (self.small, self.small_metrics),
            "title": self._titles[False],
            "struck": self._titles[True],
        }
        self.selected_pen = QPen(QColor(palette.GRID_SELECTED), 2.5)
        self.white = QColor(palette.ON_COLOUR)
        self.text = QColor(palette.TEXT)
        self.faded_text = QColor(palette.MUTED_TEXT)
        self.flag_fill = QColor(palette.FLAG_CORNER)

    def title(self, struck: bool) -> tuple[QFont, QFontMetrics]:
        return self._titles[struck]


_MINOR_PEN = QPen(QColor(palette.GRID_MINOR), 1)
_MAJOR_PEN = QPen(QColor(palette.GRID_MAJOR), 1)
_CURSOR_FILL = QColor(palette.GRID_CURSOR_FILL)
_CURSOR_PEN = QPen(QColor(palette.GRID_CURSOR), 2)
_DROP_PEN = QPen(QColor(palette.GRID_SELECTED), 2, Qt.PenStyle.DashLine)


@lru_cache(maxsize=64)
def _readable_on(background: str) -> QColor:
    """Block text that reads at AA on the visit type's colour the clinic chose."""
    return QColor(palette.readable_on(background))


def kit_white() -> QColor:
    return QColor(palette.SURFACE)


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
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        self.verticalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        )
        # Times need less side padding than column titles: the width goes to the lanes.
        self.verticalHeader().setStyleSheet("QHeaderView::section { padding: 5px 4px; }")
        eliding_header(self)  # a long provider name ends in "…", whole in its tooltip
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setMinimumSectionSize(MIN_LANE_WIDTH)
        self.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        scrolls_sideways(self)  # a week or many providers: more lanes than any screen
        self.now: dt.datetime | None = None
        self._press_pos: QPoint | None = None
        self._press_block: Block | None = None
        self._drop_cell: tuple[int, int] | None = None
        self._statics: dict[tuple, tuple[QStaticText, int]] = {}

    def grid_model(self) -> ScheduleGridModel:
        return self.model()  # type: ignore[return-value]

    def setModel(self, model) -> None:  # noqa: N802 (Qt override)
        super().setModel(model)
        for signal in (model.modelReset, model.layoutChanged, model.dataChanged):
            signal.connect(self.widen_lanes)
        self.widen_lanes()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """The style sheet or the system text size changed the font: widths change too."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange) and self.model():
            self.widen_lanes()

    def lane_floor(self) -> int:
        """The narrowest lane in which every block shows its badges and "Surname, F."
        (visits side by side share their lane, so each needs its part of it)."""
        kit = _PaintKit(self.font())
        return max(
            [MIN_LANE_WIDTH, *(self.block_floor_of(b, kit) for b in self.grid_model().blocks)]
        )

    def block_floor_of(self, block: Block, kit: _PaintKit | None = None) -> int:
        """The lane width at which this block shows "Surname, F." beside its badges."""
        text = block_text(block.appointment, self.grid_model().flags_by_patient)
        return block_floor(text, kit or _PaintKit(self.font())) * block.of

    def widen_lanes(self, *_args) -> None:
        """Lanes share the width but never go below the floor; the book then scrolls
        sideways to the lanes that do not fit (their titles elide, whole in the tooltip)."""
        self.horizontalHeader().setMinimumSectionSize(self.lane_floor())

    def shown_title(self, block: Block) -> str:
        """The title the block is painted with at the lane's width now (what staff read)."""
        kit = _PaintKit(self.font())
        text = block_text(block.appointment, self.grid_model().flags_by_patient)
        rect = self.block_rect(block)
        room = rect.right() - TEXT_RIGHT - badges_width(text, kit) - (rect.left() + TEXT_LEFT)
        return first_that_fits(title_forms(text), kit.title(text.struck)[1], room)

    # ------------------------------------------------------------- geometry
    def block_rect(self, block: Block) -> QRect:
        """Exact to the minute: a 09:50 visit starts two thirds into the 09:45 row."""
        model = self.grid_model()
        row_h = self.rowHeight(block.row)
        row_top = self.rowViewportPosition(block.row)
        a = block.appointment
        per_minute = row_h / model.slot_minutes
        offset = (a.start.hour * 60 + a.start.minute) - (
            model.first_slot.hour * 60 + model.first_slot.minute + block.row * model.slot_minutes
        )
        top = row_top + int(max(0, offset) * per_minute)
        bottom_limit = row_top + (model.slot_count - block.row) * row_h
        bottom = min(bottom_limit, top + int(a.minutes * per_minute))
        width = self.columnWidth(block.column) / block.of
        left = self.columnViewportPosition(block.column) + int(block.position * width)
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
        """Shading, lines and blocks in a few batched calls (no per-cell model queries)."""
        model = self.grid_model()
        if model is None or not model.lanes:
            super().paintEvent(event)
            return
        painter = QPainter(self.viewport())
        visible = event.rect()
        kit = _PaintKit(self.font())
        self._paint_grid(painter, visible)
        current = self.currentIndex()
        current_id = None
        if current.isValid():
            a = model.appointment_at(current.row(), current.column())
            current_id = a.id if a else None
        stripes = [QColor(lane.provider.color) for lane in model.lanes]
        for block in model.blocks:
            rect = self.block_rect(block)
            if rect.intersects(visible):
                self._paint_block(painter, kit, block, rect, block.appointment.id == current_id,
                                  stripes[block.column])  # fmt: skip
        self._paint_now_line(painter)
        painter.end()

    def _static(self, kit: _PaintKit, kind: str, text: str, width: int) -> tuple[QStaticText, int]:
        """Elided, laid-out text kept between paints (a day's blocks repaint often)."""
        key = (kit.key, kind, text, width)
        hit = self._statics.get(key)
        if hit is None:
            font, metrics = kit.fonts[kind]
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, width))
            static = QStaticText(elided)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), font)
            if len(self._statics) > 6000:
                self._statics.clear()
            hit = self._statics[key] = (static, metrics.horizontalAdvance(elided))
        return hit

    def _paint_block(self, painter: QPainter, kit: _PaintKit, block: Block, rect: QRect,
                     selected: bool, stripe_colour: QColor) -> None:  # fmt: skip
        a = block.appointment
        text = block_text(a, self.grid_model().flags_by_patient)
        colour = QColor(a.type_color or palette.UNTYPED_BLOCK)
        if text.faded:
            colour = colour.lighter(118)
            colour.setAlpha(150)
        painter.setPen(kit.selected_pen if selected else QPen(colour.darker(150), 1))
        painter.setBrush(colour)
        painter.drawRect(rect)
        # a provider-coloured stripe on the left, like a paper book's tab
        painter.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), stripe_colour)

        left, top = rect.left() + TEXT_LEFT, rect.top() + 1
        right = rect.right() - TEXT_RIGHT
        small_h = kit.small_h
        if text.badge or text.flag:
            painter.setFont(kit.small)
        if text.badge:
            static, advance = self._static(kit, "small", text.badge, 10_000)
            bw = advance + BADGE_PAD
            badge = QRect(right - bw, top + 1, bw, small_h + 1)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(text.badge_colour))
            painter.drawRect(badge)
            painter.setPen(kit.white)
            painter.drawStaticText(badge.left() + 4, badge.top() + 1, static)
            right = badge.left() - BADGE_GAP
        if text.critical:
            right = self._paint_critical(painter, kit, text, top, right)
        if text.flag:
            # insurance to verify: an amber corner, like a sticky tab (tooltip says why)
            size = min(11, rect.height() - 2)
            corner = QPolygon([QPoint(rect.right() - size, rect.bottom()),
                               QPoint(rect.right(), rect.bottom()),
                               QPoint(rect.right(), rect.bottom() - size)])  # fmt: skip
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(kit.flag_fill)
            painter.drawPolygon(corner)

        readable = _readable_on(colour.name()) if a.type_color else kit.text
        painter.setPen(kit.faded_text if text.faded else readable)
        kind = "struck" if text.struck else "title"
        painter.setFont(kit.fonts[kind][0])
        title = first_that_fits(title_forms(text), kit.fonts[kind][1], right - left)
        static, used = self._static(kit, kind, title, right - left)
        painter.drawStaticText(left, top, static)
        line_h = kit.line_h
        painter.setFont(kit.font)
        if rect.height() >= 2 * line_h + 2:
            static, _ = self._static(kit, "font", text.detail, rect.width() - 10)
            painter.drawStaticText(left, top + line_h, static)
        elif right - left - used - 6 > 30:
            static, _ = self._static(kit, "font", text.detail, right - left - used - 6)
            painter.drawStaticText(left + used + 6, top, static)

    def _paint_critical(self, painter: QPainter, kit: _PaintKit, text: BlockText, top: int,
                        right: int) -> int:  # fmt: skip
        """The critical-vitals badge, icon and words (not colour alone); returns the room
        left of it."""
        painter.setFont(kit.small)
        static, advance = self._static(kit, "small", text.critical, 10_000)
        bw = advance + BADGE_PAD
        badge = QRect(right - bw, top + 1, bw, kit.small_h + 1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(CRITICAL_OPEN if text.critical_open else CRITICAL_DONE))
        painter.drawRect(badge)
        painter.setPen(kit.white)
        painter.drawStaticText(badge.left() + 4, badge.top() + 1, static)
        return badge.left() - BADGE_GAP

    def _paint_grid(self, painter: QPainter, visible: QRect) -> None:
        model = self.grid_model()
        painter.fillRect(visible, kit_white())
        rows, columns = model.rowCount(), model.columnCount()
        if not rows:
            return
        row_h = self.rowHeight(0)
        y0 = self.rowViewportPosition(0)
        lefts = [self.columnViewportPosition(c) for c in range(columns)]
        widths = [self.columnWidth(c) for c in range(columns)]
        for column in range(columns):
            x, w = lefts[column], widths[column]
            if x > visible.right() or x + w < visible.left():
                continue
            for start, end, brush in model.shade_runs[column]:
                painter.fillRect(QRect(x, y0 + start * row_h, w, (end - start) * row_h), brush)
        right = lefts[-1] + widths[-1]
        bottom = y0 + rows * row_h
        minor, major = [], []
        for row in range(1, rows + 1):
            y = y0 + row * row_h - 1
            if visible.top() - 1 <= y <= visible.bottom() + 1:
                on_hour = row < rows and model.slot_time(row).minute == 0
                (major if on_hour else minor).append(QLine(0, y, right, y))
        vertical = [
            QLine(x + w - 1, y0, x + w - 1, bottom) for x, w in zip(lefts, widths, strict=True)
        ]
        painter.setPen(_MINOR_PEN)
        painter.drawLines(minor)
        painter.setPen(_MAJOR_PEN)
        painter.drawLines(major + vertical)
        current = self.currentIndex()
        if current.isValid() and model.appointment_at(current.row(), current.column()) is None:
            cell = QRect(lefts[current.column()], y0 + current.row() * row_h,
                         widths[current.column()] - 1, row_h - 1)  # fmt: skip
            painter.fillRect(cell, _CURSOR_FILL)
            painter.setPen(_CURSOR_PEN)
            painter.drawRect(cell.adjusted(0, 0, -1, -1))
        if self._drop_cell is not None:
            row, column = self._drop_cell
            if row < rows and column < columns:
                painter.setPen(_DROP_PEN)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRect(QRect(lefts[column] + 1, y0 + row * row_h + 1,
                                       widths[column] - 4, row_h - 3))  # fmt: skip

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
            painter.setPen(QPen(QColor(palette.NOW_LINE), 2))
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
            self._drop_cell = (index.row(), index.column())
            event.acceptProposedAction()
        else:
            self._drop_cell = None
            event.ignore()
        self.viewport().update()

    def dragLeaveEvent(self, event) -> None:
        self._drop_cell = None
        self.viewport().update()
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        self._drop_cell = None
        self.viewport().update()
        index = self.indexAt(event.position().toPoint())
        model = self.grid_model()
        if index.isValid() and model.dropMimeData(
            event.mimeData(), Qt.DropAction.MoveAction, -1, -1, index
        ):
            event.setDropAction(Qt.DropAction.CopyAction)  # the view must not remove rows
            event.accept()
        else:
            event.ignore()
