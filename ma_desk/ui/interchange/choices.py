"""The per-row duplicate choice: for each row the dry run found matching a patient on file,
the administrator picks skip, link or create (or one choice for all of them).

The choices belong to the dry run shown: the wizard clears them whenever the file
or an option changes, and the import sends them with that dry run's ID.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtWidgets import QComboBox, QHeaderView, QStyledItemDelegate, QTableView, QWidget

from ma_desk.services.interchange import CREATE, LINK, SKIP, RowOutcome

CHOICE_LABELS = {
    SKIP: "Skip: leave the row out",
    LINK: "Link: add the old ID to that patient",
    CREATE: "Create a new patient",
}
CHOICE_COLUMN = 3


def allowed_choices(outcome: RowOutcome) -> tuple[str, ...]:
    """Linking needs exactly one patient on file to link to."""
    return (SKIP, LINK, CREATE) if outcome.matches == 1 else (SKIP, CREATE)


class ChoiceModel(QAbstractTableModel):
    """The dry run's matching rows, each with the choice the import will apply."""

    HEADERS = ("Line", "Old ID", "May already be", "Choice")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[RowOutcome] = []
        self.chosen: dict[int, str] = {}

    def show(self, outcomes: list[RowOutcome]) -> None:
        """The patient rows that matched; each starts as the dry run treated it."""
        self.beginResetModel()
        self.rows = [o for o in outcomes if o.kind == "patients" and o.matches]
        self.chosen = {o.line: o.action if o.action in allowed_choices(o) else SKIP
                       for o in self.rows}  # fmt: skip
        self.endResetModel()

    def clear(self) -> None:
        self.show([])

    def choices(self) -> dict[int, str]:
        """Line -> choice, as the import takes them."""
        return dict(self.chosen)

    def choose(self, row: int, choice: str) -> bool:
        outcome = self.rows[row]
        if choice not in allowed_choices(outcome):
            return False
        self.chosen[outcome.line] = choice
        index = self.index(row, CHOICE_COLUMN)
        self.dataChanged.emit(index, index)
        return True

    def choose_for_all(self, choice: str) -> int:
        """Apply ``choice`` wherever it is possible; returns how many rows could not take it."""
        refused = 0
        for row in range(len(self.rows)):
            refused += not self.choose(row, choice)
        return refused

    def counts(self) -> dict[str, int]:
        values = list(self.chosen.values())
        return {choice: values.count(choice) for choice in CHOICE_LABELS}

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == CHOICE_COLUMN else base

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        outcome = self.rows[index.row()]
        if role == Qt.ItemDataRole.EditRole and index.column() == CHOICE_COLUMN:
            return self.chosen[outcome.line]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 2:
            return outcome.message
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        choice = CHOICE_LABELS[self.chosen[outcome.line]]
        return (str(outcome.line), outcome.external_id, outcome.message, choice)[index.column()]

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if (
            not index.isValid()
            or index.column() != CHOICE_COLUMN
            or role != Qt.ItemDataRole.EditRole
        ):
            return False
        return self.choose(index.row(), str(value))


class ChoiceDelegate(QStyledItemDelegate):
    """A list of the row's possible choices; typing S, L or C picks one, Enter keeps it."""

    def createEditor(self, parent: QWidget, _option, index: QModelIndex) -> QWidget:  # noqa: N802
        editor = QComboBox(parent)
        editor.setAccessibleName("Choice for this row")
        for choice in allowed_choices(index.model().rows[index.row()]):
            editor.addItem(CHOICE_LABELS[choice], choice)
        return editor

    def setEditorData(self, editor: QComboBox, index: QModelIndex) -> None:  # noqa: N802
        editor.setCurrentIndex(max(editor.findData(index.data(Qt.ItemDataRole.EditRole)), 0))

    def setModelData(self, editor: QComboBox, model, index: QModelIndex) -> None:  # noqa: N802
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class ChoiceView(QTableView):
    """The choices table: the Choice column edits from the keyboard (F2, or type S, L, C)."""

    def __init__(self, model: ChoiceModel) -> None:
        super().__init__()
        self.setModel(model)
        self.setItemDelegateForColumn(CHOICE_COLUMN, ChoiceDelegate(self))
        self.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QTableView.EditTrigger.AllEditTriggers)
        self.setObjectName("import_choices")
        self.setAccessibleName("Rows that may be patients already on file")
        self.setAccessibleDescription("For each row choose skip, link or create; F2 opens the "
                                      "choice, Enter keeps it.")  # fmt: skip
        self.setWordWrap(False)  # one line a row; the whole match is in the tooltip
        header = self.horizontalHeader()
        for section, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents,
                                        QHeaderView.ResizeMode.ResizeToContents,
                                        QHeaderView.ResizeMode.Stretch,
                                        QHeaderView.ResizeMode.ResizeToContents)):  # fmt: skip
            header.setSectionResizeMode(section, mode)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        """Keys edit the row's choice whichever cell of the row is current."""
        current = self.currentIndex()
        edits = bool(event.text().strip()) or event.key() == Qt.Key.Key_F2
        if edits and current.isValid() and current.column() != CHOICE_COLUMN:
            self.setCurrentIndex(self.model().index(current.row(), CHOICE_COLUMN))
        super().keyPressEvent(event)
