"""Running a checklist: tick by keyboard or mouse, note any item, set the room ready.

Every change is one service call saved at once, so a half-done turnover
survives a crash and a colleague can finish it. Keys in the item list:
Space ticks (and moves on), N marks not done with a reason, L flags a low
supply; Ctrl+Enter sets the room ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import time_text
from ma_desk.errors import MADeskError
from ma_desk.services import checklist_rules
from ma_desk.services.checklists import RunItemRow, RunRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.fit import FlowLayout, wrap_rows, wrapping
from ma_desk.ui.common.shortcuts import add_shortcut, document_key
from ma_desk.ui.common.widgets import named
from ma_desk.ui.roomprep.board import minutes_since

if TYPE_CHECKING:
    from ma_desk.services import Services

Index = QModelIndex | QPersistentModelIndex
HEADERS = ["Done", "Item", "Status", "Note"]
STATUS_COLOURS = {
    "Done": palette.MINT,
    "Not done": palette.ROSE,
    "Not due": palette.GREY,
    "Open": palette.AMBER,
}


class RunItemsModel(QAbstractTableModel):
    """The run's items, read-only: every change goes through the panel and the service."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[RunItemRow] = []
        self.editable = True

    def set_rows(self, rows: list[RunItemRow], editable: bool) -> None:
        self.beginResetModel()
        self._rows, self.editable = list(rows), editable
        self.endResetModel()

    def replace(self, item: RunItemRow) -> None:
        for n, row in enumerate(self._rows):
            if row.id == item.id:
                self._rows[n] = item
                self.dataChanged.emit(self.index(n, 0), self.index(n, len(HEADERS) - 1))
                return

    def row_at(self, n: int) -> RunItemRow | None:
        return self._rows[n] if 0 <= n < len(self._rows) else None

    def rows(self) -> list[RunItemRow]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        # Not ItemIsUserCheckable: a click anywhere in the Done cell ticks (see the view),
        # which is kinder to a gloved hand than hitting the small box exactly.
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index.row()) if index.isValid() else None
        if item is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if item.done else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 1:
                return item.text + ("" if item.required else "  (optional)")
            if column == 2:
                label = item.status_label
                if item.low_supply:
                    label += " · low supply"
                return label
            if column == 3:
                parts = [item.not_done_reason and f"Not done: {item.not_done_reason}", item.note]
                return " · ".join(p for p in parts if p)
            return ""
        if role == Qt.ItemDataRole.BackgroundRole:
            label = item.status_label
            if label == "Open" or (label == "Optional"):
                return QBrush(QColor(STATUS_COLOURS["Open"])) if item.required else None
            return QBrush(QColor(STATUS_COLOURS.get(label, palette.SURFACE)))
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.hint or None
        if role == Qt.ItemDataRole.AccessibleTextRole and column == 0:
            return f"{item.text}: {item.status_label}"
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None


class ChecklistItemsView(QTableView):
    """Space ticks the current item and moves to the next; N and L act on the current item."""

    key_action = Signal(str)  # "tick" | "not_done" | "low_supply" | "finish"

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.key_action.emit("finish")
            event.accept()
            return
        if event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        ):
            action = {Qt.Key.Key_Space: "tick", Qt.Key.Key_N: "not_done",
                      Qt.Key.Key_L: "low_supply"}.get(Qt.Key(key))  # fmt: skip
            if action:
                self.key_action.emit(action)
                event.accept()
                return
        super().keyPressEvent(event)


class ChecklistRunPanel(QWidget):
    """Shows one run; ``changed`` fires after any save so the board can refresh."""

    changed = Signal()
    closed = Signal()

    def __init__(self, services: Services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.run: RunRow | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Choose a room and press Enter to start its checklist.")
        self.title.setObjectName("run_title")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("run_subtitle")
        self.subtitle.setWordWrap(True)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)

        self.model = RunItemsModel(self)
        self.items = ChecklistItemsView()
        named(self.items, "run_items", "Checklist items")
        self.items.setModel(self.model)
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.items.setTabKeyNavigation(False)  # arrows move in the list, Tab on to the note
        self.items.verticalHeader().hide()
        self.items.setWordWrap(True)
        header = self.items.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        wrap_rows(self.items)
        self.items.setToolTip("Space: tick and go to next · N: not done · L: low supply")
        layout.addWidget(self.items, 1)

        self.hint = QLabel("")
        self.hint.setObjectName("run_item_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(f"color: {palette.HINT}; font-style: italic;")
        layout.addWidget(self.hint)
        note_row = FlowLayout()
        self.note = named(QLineEdit(), "run_item_note", "Note on this item")
        self.note.setPlaceholderText("Note on the selected item (Enter to save)")
        self.note.setMaxLength(300)
        self.low_supply = named(QCheckBox("Low supply — add to restock list"), "run_item_low_supply",
                                "Low supply")  # fmt: skip
        self.not_done_button = named(QPushButton("Not done…"), "run_item_not_done",
                                     "Mark not done with a reason")  # fmt: skip
        layout.addWidget(self.note)
        note_row.addWidget(self.low_supply)
        note_row.addWidget(self.not_done_button)
        layout.addLayout(note_row)
        self.message = FieldMessage("run")
        self.message.setStyleSheet(f"color: {palette.ERROR_TEXT}; font-weight: bold;")
        layout.addWidget(self.message)
        buttons = FlowLayout()
        self.progress = wrapping(QLabel(""))
        self.progress.setObjectName("run_progress")
        self.finish_button = named(QPushButton("Set room ready"), "run_finish",
                                   "Set room ready")  # fmt: skip
        self.finish_button.setDefault(True)
        self.cancel_button = named(QPushButton("Cancel checklist…"), "run_cancel",
                                   "Cancel checklist")  # fmt: skip
        layout.addWidget(self.progress)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.finish_button)
        layout.addLayout(buttons)
        QWidget.setTabOrder(self.not_done_button, self.cancel_button)  # Tab as laid out
        QWidget.setTabOrder(self.cancel_button, self.finish_button)

        self.items.clicked.connect(self._clicked)
        self.items.key_action.connect(self._key_action)
        self.items.selectionModel().currentRowChanged.connect(self._current_changed)
        self.note.returnPressed.connect(self.save_note)
        self.note.editingFinished.connect(self.save_note)
        self.low_supply.toggled.connect(self._low_supply_toggled)
        self.not_done_button.clicked.connect(self.mark_not_done)
        self.finish_button.clicked.connect(self.finish)
        self.cancel_button.clicked.connect(self.cancel)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            add_shortcut(self, keys, self.finish, "Checklist: set the room ready")
        document_key(self.items, "Space", "Checklist: tick the item and go to the next")
        document_key(self.items, "N", "Checklist: mark the item not done (with a reason)")
        document_key(self.items, "L", "Checklist: low supply, add to the restock list")
        self.show_run(None)

    # ------------------------------------------------------------ showing
    def show_run(self, run: RunRow | None) -> None:
        self.run = run
        self.message.show_message("")
        active = run is not None and run.status == "in_progress"
        for widget in (self.note, self.low_supply, self.not_done_button, self.cancel_button):
            widget.setEnabled(active)
        if run is None:
            self.title.setText("Choose a room and press Enter to start its checklist.")
            self.subtitle.setText("")
            self.model.set_rows([], False)
            self.progress.setText("")
            self.hint.setText("")
            self._update_finish()
            return
        self.title.setText(f"{run.room_name} · {run.moment_label} checklist")
        self.model.set_rows(list(run.items), active)
        self.items.resizeRowsToContents()
        if self.model.rowCount():
            first_open = next((n for n, i in enumerate(run.items) if not i.resolved), 0)
            self.items.setCurrentIndex(self.model.index(first_open, 1))
        self._update_summary()
        if active:
            self.items.setFocus()

    def _update_finish(self) -> None:
        """Set room ready is enabled exactly when the service would accept it; otherwise
        its tooltip and accessible description say why, in plain words."""
        reason = not_ready_reason(self.run, self.model.rows())
        self.finish_button.setEnabled(reason is None)
        tip = reason or "Close the checklist and set the room ready (Ctrl+Enter)"
        self.finish_button.setToolTip(tip)
        self.finish_button.setAccessibleDescription(tip)

    def _update_summary(self) -> None:
        run = self.run
        self._update_finish()
        if run is None:
            return
        rows = self.model.rows()
        now = self.services.now()
        started = time_text(run.started_at)
        if run.status == "in_progress":
            state = f"started {started} by {run.user_name or 'unknown'} ({minutes_since(run.started_at, now)} ago)"
        elif run.finished_at is not None:
            took = minutes_since(run.started_at, run.finished_at)
            state = f"{run.status} {time_text(run.finished_at)} by {run.user_name} — took {took}"
        else:
            state = run.status
        self.subtitle.setText(f"{run.template_name} — {state}")
        done = sum(1 for i in rows if i.done)
        open_required = [i for i in rows if i.required and not i.resolved]
        text = f"{done} of {len(rows)} ticked"
        text += (
            f" · {len(open_required)} required still open"
            if open_required
            else " · all required items done"
        )
        self.progress.setText(text)

    def _current(self) -> RunItemRow | None:
        return self.model.row_at(self.items.currentIndex().row())

    def _current_changed(self, current, _previous) -> None:
        item = self.model.row_at(current.row())
        self.note.blockSignals(True)
        self.low_supply.blockSignals(True)
        self.note.setText(item.note if item else "")
        self.low_supply.setChecked(bool(item and item.low_supply))
        self.hint.setText(item.hint if item else "")
        self.note.blockSignals(False)
        self.low_supply.blockSignals(False)

    # ------------------------------------------------------------ actions
    def _apply(self, call) -> RunItemRow | None:
        try:
            item = call()
        except MADeskError as error:
            self.message.show_message(str(error))
            return None
        self.message.show_message("")
        self.model.replace(item)
        self.items.resizeRowToContents(self._row_of(item.id))
        self._update_summary()
        self.changed.emit()
        return item

    def _row_of(self, item_id: int) -> int:
        return next((n for n, i in enumerate(self.model.rows()) if i.id == item_id), -1)

    def _clicked(self, index) -> None:
        item = self.model.row_at(index.row())
        if index.column() == 0 and item is not None and self.model.editable:
            self._apply(lambda: self.services.checklists.tick(item.id, not item.done))

    def _key_action(self, action: str) -> None:
        if not self.model.editable:
            return
        row = self.items.currentIndex().row()
        if action == "tick":
            item = self.model.row_at(row)
            if item is None:
                return
            changed = self._apply(lambda: self.services.checklists.tick(item.id, not item.done))
            if changed is not None and changed.done and row + 1 < self.model.rowCount():
                self.items.setCurrentIndex(self.model.index(row + 1, 1))
        elif action == "not_done":
            self.mark_not_done()
        elif action == "finish":
            self.finish()
        elif action == "low_supply":
            self.low_supply.setChecked(not self.low_supply.isChecked())

    def save_note(self) -> None:
        item = self._current()
        if item is None or not self.model.editable or self.note.text() == item.note:
            return
        text = self.note.text()
        self._apply(lambda: self.services.checklists.set_note(item.id, text))

    def _low_supply_toggled(self, checked: bool) -> None:
        item = self._current()
        if item is None or not self.model.editable or item.low_supply == checked:
            return
        if self._apply(lambda: self.services.checklists.set_low_supply(item.id, checked)) is None:
            self.low_supply.blockSignals(True)
            self.low_supply.setChecked(item.low_supply)
            self.low_supply.blockSignals(False)

    def mark_not_done(self) -> None:
        item = self._current()
        if item is None or not self.model.editable:
            return
        if item.not_done_reason:
            self._apply(lambda: self.services.checklists.clear_not_done(item.id))
            return
        reason = dialogs.ask_text(self, "Not done", f"Why was this not done?\n{item.text}")
        if reason is None:
            return
        self._apply(lambda: self.services.checklists.mark_not_done(item.id, reason))

    def finish(self) -> None:
        if self.run is None or self.run.status != "in_progress":
            return
        self.save_note()
        try:
            run = self.services.checklists.finish_run(
                self.run.id, expected_version=self.run.version
            )
        except MADeskError as error:
            self.message.show_message(str(error))
            first = next((n for n, i in enumerate(self.model.rows())
                          if i.required and not i.resolved), None)  # fmt: skip
            if first is not None:
                self.items.setCurrentIndex(self.model.index(first, 1))
                self.items.setFocus()
            return
        self.show_run(run)
        self.changed.emit()
        self.closed.emit()

    def cancel(self) -> None:
        if self.run is None or self.run.status != "in_progress":
            return
        reason = dialogs.ask_text(self, "Cancel checklist",
                                  "Why is this checklist being cancelled?")  # fmt: skip
        if reason is None:
            return
        try:
            run = self.services.checklists.abandon_run(
                self.run.id, reason, expected_version=self.run.version
            )
        except MADeskError as error:
            self.message.show_message(str(error))
            return
        self.show_run(run)
        self.changed.emit()
        self.closed.emit()


def not_ready_reason(run: RunRow | None, items: list[RunItemRow]) -> str | None:
    """Why the room cannot be set ready from the run shown (None: it can)."""
    if run is None:
        return "Start a room's checklist first: choose a room and press Enter."
    if run.status != "in_progress":
        return "This checklist is closed. Start a new one to set the room ready again."
    return checklist_rules.not_ready_reason(items)
