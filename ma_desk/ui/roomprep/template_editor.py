"""Administrators edit the room-prep checklists: items, order, required or optional.

The item table edits a draft held in memory; nothing is stored until Save,
which is one service call (all items in their new order, or nothing).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical import checklist_templates as rules
from ma_desk.errors import MADeskError
from ma_desk.services.checklists import TemplateItemInput, TemplateRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.fit import button_row
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named

if TYPE_CHECKING:
    from ma_desk.services import Services

Index = QModelIndex | QPersistentModelIndex
ITEM_HEADERS = ["Item", "Required", "Supply", "Every N days", "Hint"]

TEMPLATE_COLUMNS: list[Column[TemplateRow]] = [
    Column("Room type", lambda t: rules.room_type_label(t.room_type)),
    Column("Moment", lambda t: rules.moment_label(t.moment)),
    Column("Items", lambda t: len(t.items), align_right=True),
    Column(
        "Name",
        lambda t: t.name + ("" if t.active else " (retired)"),
        foreground=lambda t: None if t.active else palette.MUTED_TEXT,
    ),  # fmt: skip
]


class DraftItemsModel(QAbstractTableModel):
    """Editable draft of a template's items (text, required, supply, interval, hint)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.items: list[TemplateItemInput] = []

    def set_items(self, items: list[TemplateItemInput]) -> None:
        self.beginResetModel()
        self.items = list(items)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(ITEM_HEADERS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() in (1, 2):
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self.items)):
            return None
        item, column = self.items[index.row()], index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column in (1, 2):
            on = item.required if column == 1 else item.is_supply
            return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == 0:
                return item.text
            if column == 3:
                if role == Qt.ItemDataRole.EditRole:
                    return item.interval_days
                return "every time" if item.interval_days == 0 else str(item.interval_days)
            if column == 4:
                return item.hint
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        row, column = index.row(), index.column()
        item = self.items[row]
        if role == Qt.ItemDataRole.CheckStateRole and column in (1, 2):
            on = Qt.CheckState(value) == Qt.CheckState.Checked
            item = replace(item, required=on) if column == 1 else replace(item, is_supply=on)
        elif role == Qt.ItemDataRole.EditRole and column == 0:
            item = replace(item, text=str(value))
        elif role == Qt.ItemDataRole.EditRole and column == 3:
            try:
                item = replace(item, interval_days=int(str(value).strip() or 0))
            except ValueError:
                return False
        elif role == Qt.ItemDataRole.EditRole and column == 4:
            item = replace(item, hint=str(value))
        else:
            return False
        self.items[row] = item
        self.dataChanged.emit(index, index)
        return True

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(ITEM_HEADERS)
        ):
            return ITEM_HEADERS[section]
        return None

    def add(self, at: int) -> int:
        at = max(0, min(at, len(self.items)))
        self.beginInsertRows(QModelIndex(), at, at)
        self.items.insert(at, TemplateItemInput("New item"))
        self.endInsertRows()
        return at

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.items):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.items[row]
            self.endRemoveRows()

    def move(self, row: int, delta: int) -> int:
        target = row + delta
        if not (0 <= row < len(self.items) and 0 <= target < len(self.items)):
            return row
        self.beginResetModel()
        self.items[row], self.items[target] = self.items[target], self.items[row]
        self.endResetModel()
        return target


class TemplateEditorDialog(QDialog):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Room-prep checklists")
        self.setObjectName("template_editor")
        self.resize(1100, 640)
        self.current_id: int | None = None
        layout = QHBoxLayout(self)

        left = QVBoxLayout()
        self.template_model: RowTableModel[TemplateRow] = RowTableModel(TEMPLATE_COLUMNS, self)
        self.template_list = make_table("template_list", "Checklists")
        self.template_list.setModel(self.template_model)
        left.addWidget(self.template_list, 1)
        left_buttons = QHBoxLayout()
        self.new_button = named(QPushButton("New checklist"), "template_new", "New checklist")
        self.retire_button = named(QPushButton("Retire"), "template_retire", "Retire checklist")
        left_buttons.addWidget(self.new_button)
        left_buttons.addWidget(self.retire_button)
        left.addLayout(left_buttons)
        layout.addLayout(left, 2)

        right = QVBoxLayout()
        form = QFormLayout()
        self.name = named(QLineEdit(), "template_name", "Checklist name")
        self.name.setMaxLength(rules.MAX_NAME)
        self.room_type = named(QComboBox(), "template_room_type", "Room type")
        self.room_type.setEditable(True)
        self.moment = named(QComboBox(), "template_moment", "Moment")
        for moment in rules.MOMENTS:
            self.moment.addItem(rules.moment_label(moment), moment)
        form.addRow("Name", self.name)
        self.name_error = FieldMessage("template_name")
        form.addRow("", self.name_error)
        form.addRow("Room type", self.room_type)
        form.addRow("Moment", self.moment)
        self.moment_error = FieldMessage("template_moment")
        form.addRow("", self.moment_error)
        right.addLayout(form)
        self.items_model = DraftItemsModel(self)
        self.items = QTableView()
        named(self.items, "template_items", "Checklist items")
        self.items.setModel(self.items_model)
        self.items.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.items.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.items.verticalHeader().setVisible(True)
        header = self.items.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(4, 200)
        right.addWidget(
            QLabel("Items in order (double-click or F2 to edit; tick Required / Supply):")
        )
        right.addWidget(self.items, 1)
        self.items_error = FieldMessage("template_items")
        right.addWidget(self.items_error)
        self.add_button = named(QPushButton("Add item"), "template_add_item", "Add item")
        self.remove_button = named(
            QPushButton("Remove item"), "template_remove_item", "Remove item"
        )
        self.up_button = named(QPushButton("Move up"), "template_move_up", "Move item up")
        self.down_button = named(QPushButton("Move down"), "template_move_down", "Move item down")
        self.save_button = named(QPushButton("Save checklist"), "template_save", "Save checklist")
        self.close_button = named(QPushButton("Close"), "template_close", "Close")
        # Wraps onto a second line on a narrow screen (1280x720 at 150 %).
        right.addWidget(button_row((self.add_button, self.remove_button, self.up_button,
                                    self.down_button, self.save_button, self.close_button)))  # fmt: skip
        self.status = QLabel("")
        self.status.setObjectName("template_status")
        right.addWidget(self.status)
        layout.addLayout(right, 5)

        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # Enter in a field must not start a new checklist
        self.save_button.setDefault(True)
        self.template_list.selectionModel().currentRowChanged.connect(self._template_chosen)
        self.new_button.clicked.connect(self.new_template)
        self.retire_button.clicked.connect(self.toggle_retired)
        self.add_button.clicked.connect(self.add_item)
        self.remove_button.clicked.connect(self.remove_item)
        self.up_button.clicked.connect(lambda: self.move_item(-1))
        self.down_button.clicked.connect(lambda: self.move_item(1))
        self.save_button.clicked.connect(self.save)
        self.close_button.clicked.connect(self.accept)
        for room_type in services.checklists.room_types():
            self.room_type.addItem(rules.room_type_label(room_type), room_type)
        self.reload()

    def reload(self, select_id: int | None = None) -> None:
        rows = self.services.checklists.templates(include_retired=True)
        self.template_model.set_rows(rows)
        self.template_list.resizeColumnsToContents()
        target = select_id if select_id is not None else self.current_id
        index = next((n for n, t in enumerate(rows) if t.id == target), 0 if rows else -1)
        if index >= 0:
            self.template_list.setCurrentIndex(self.template_model.index(index, 0))

    def _template_chosen(self, current, _previous) -> None:
        template = self.template_model.row_at(current.row())
        if template is not None:
            self.show_template(template)

    def show_template(self, template: TemplateRow | None) -> None:
        self._clear_errors()
        self.current_id = template.id if template else None
        self.name.setText(template.name if template else "")
        room_type = template.room_type if template else rules.ROOM_TYPES[0]
        found = self.room_type.findData(room_type)
        if found < 0:
            self.room_type.addItem(rules.room_type_label(room_type), room_type)
            found = self.room_type.count() - 1
        self.room_type.setCurrentIndex(found)
        self.moment.setCurrentIndex(
            max(0, self.moment.findData(template.moment if template else "between"))
        )
        items = [
            TemplateItemInput(i.text, i.required, i.is_supply, i.hint, i.interval_days, i.id)
            for i in (template.items if template else ())
        ]
        self.items_model.set_items(items)
        self.items.resizeRowsToContents()
        self.retire_button.setText("Reactivate" if template and not template.active else "Retire")
        self.retire_button.setEnabled(template is not None)
        self.status.setText("")

    def new_template(self) -> None:
        self.template_list.clearSelection()
        self.show_template(None)
        self.name.setText("")
        self.items_model.set_items([TemplateItemInput("New item")])
        self.name.setFocus()

    def _selected_room_type(self) -> str:
        text = self.room_type.currentText().strip()
        data = self.room_type.currentData()
        if data is not None and self.room_type.itemText(self.room_type.currentIndex()) == text:
            return str(data)
        return text.lower().replace(" room", "").replace(" ", "_")

    def add_item(self) -> None:
        current = self.items.currentIndex().row()
        row = self.items_model.add(current + 1 if current >= 0 else self.items_model.rowCount())
        index = self.items_model.index(row, 0)
        self.items.setCurrentIndex(index)
        self.items.edit(index)

    def remove_item(self) -> None:
        row = self.items.currentIndex().row()
        self.items_model.remove(row)
        if self.items_model.rowCount():
            self.items.setCurrentIndex(
                self.items_model.index(min(row, self.items_model.rowCount() - 1), 0)
            )

    def move_item(self, delta: int) -> None:
        row = self.items.currentIndex().row()
        target = self.items_model.move(row, delta)
        self.items.setCurrentIndex(self.items_model.index(target, 0))

    def _clear_errors(self) -> None:
        for message in (self.name_error, self.moment_error, self.items_error):
            message.show_message("")

    def save(self) -> bool:
        self._clear_errors()
        for editor in self.items.viewport().findChildren(QLineEdit):
            if editor.isVisible():  # a closed editor stays hidden until it is deleted
                self.items.commitData(editor)  # an item still being typed in counts
        try:
            saved = self.services.checklists.save_template(
                self.current_id,
                name=self.name.text(),
                room_type=self._selected_room_type(),
                moment=self.moment.currentData(),
                items=list(self.items_model.items),
            )
        except MADeskError as error:
            errors = field_errors(error) or {"items": str(error)}
            targets = {"name": self.name_error, "moment": self.moment_error,
                       "room_type": self.moment_error}  # fmt: skip
            for field, text in errors.items():
                targets.get(field, self.items_error).show_message(text)
            return False
        self.reload(select_id=saved.id)
        self.status.setText(f"Saved “{saved.name}” with {len(saved.items)} items.")
        return True

    def toggle_retired(self) -> None:
        template = self.template_model.row_at(self.template_list.currentIndex().row())
        if template is None:
            return
        try:
            self.services.checklists.set_template_active(template.id, not template.active)
        except MADeskError as error:
            self.items_error.show_message(str(error))
            return
        self.reload(select_id=template.id)
