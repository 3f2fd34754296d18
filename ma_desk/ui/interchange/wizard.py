"""Import from the old system: file, preview and columns, dry run, then the import.

The Import button stays disabled until a dry run of the chosen file and
options has been shown; changing anything disables it again. Reading,
matching and writing run off the UI thread (ma_desk/ui/common/worker.py);
the progress bar follows the batches and Cancel stops after the current one
(what was imported stays; running the same import again finishes it).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from ma_desk.errors import MADeskError
from ma_desk.interchange.fields import FIELDS, KINDS
from ma_desk.services import Services
from ma_desk.services.interchange import ImportOptions, ImportReport, RowOutcome
from ma_desk.ui.common.fit import fit_columns
from ma_desk.ui.common.worker import run_in_background


class OutcomeModel(QAbstractTableModel):
    """The dry run's (or the import's) report, one row per file row."""

    HEADERS = ("Line", "Result", "Why")

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: list[RowOutcome] = []

    def show(self, outcomes: list[RowOutcome]) -> None:
        self.beginResetModel()
        self.outcomes = list(outcomes)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.outcomes)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        outcome = self.outcomes[index.row()]
        return (str(outcome.line), outcome.action, outcome.message)[index.column()]


class MappingModel(QAbstractTableModel):
    """Column of the file -> MA Desk field; the field column is editable (empty = ignore)."""

    HEADERS = ("Column in the file", "MA Desk field")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []

    def show(self, headers: list[str], mapping: dict[str, str]) -> None:
        self.beginResetModel()
        self.rows = [[h, mapping.get(h, "")] for h in headers]
        self.endResetModel()

    def mapping(self) -> dict[str, str]:
        return {column: field for column, field in self.rows if field}

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else 2

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def flags(self, index: QModelIndex):
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == 1 else base

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole,
                                               Qt.ItemDataRole.EditRole):  # fmt: skip
            return None
        return self.rows[index.row()][index.column()]

    def setData(self, index: QModelIndex, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or index.column() != 1 or role != Qt.ItemDataRole.EditRole:
            return False
        self.rows[index.row()][1] = str(value).strip()
        self.dataChanged.emit(index, index)
        return True


class ImportDialog(QDialog):
    def __init__(self, services: Services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Import from the old system")
        self.setObjectName("import_dialog")
        self.report: ImportReport | None = None
        self._cancel = threading.Event()
        self._progress = (0, 0)
        self.kind = QComboBox()
        self.kind.addItems(KINDS)
        self.path = QLineEdit()
        self.path.setPlaceholderText("The CSV file the old system exported")
        self.browse = QPushButton("Browse…")
        self.source = QLineEdit("csv")
        self.duplicates = QComboBox()
        self.duplicates.addItems(("skip", "link", "create"))
        self.preview_button = QPushButton("&Preview")
        self.dry_run_button = QPushButton("&Dry run")
        self.import_button = QPushButton("&Import")
        self.import_button.setEnabled(False)
        for button in (self.browse, self.dry_run_button, self.import_button):
            button.setAutoDefault(False)  # Enter previews: it never imports
        self.preview_button.setDefault(True)
        self.cancel_button = QPushButton("&Cancel import")
        self.cancel_button.setEnabled(False)
        self.mapping_model = MappingModel()
        self.mapping_view = QTableView()
        self.mapping_view.setModel(self.mapping_model)
        fit_columns(self.mapping_view, stretch=MappingModel.HEADERS)  # titles read whole
        self.outcome_model = OutcomeModel()
        self.outcome_view = QTableView()
        self.outcome_view.setModel(self.outcome_model)
        fit_columns(self.outcome_view, stretch=("Why",))
        self.summary = QLabel("Choose a file, preview it, check the columns, then make a dry run.")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self._layout()
        self._wire()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("&What the file holds:", self.kind)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        label = QLabel("&File:")
        label.setBuddy(self.path)
        form.addRow(label, file_row)
        form.addRow("Old &system (one word):", self.source)
        form.addRow("Patients already on &file:", self.duplicates)
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.dry_run_button, self.import_button,
                       self.cancel_button):  # fmt: skip
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Columns (type a field name to change; empty = not imported):"))
        layout.addWidget(self.mapping_view, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.outcome_view, 2)
        self.resize(900, 640)

    def _wire(self) -> None:
        self.browse.clicked.connect(self._browse)
        self.preview_button.clicked.connect(self.run_preview)
        self.dry_run_button.clicked.connect(self.run_dry_run)
        self.import_button.clicked.connect(self.run_import)
        self.cancel_button.clicked.connect(self._cancel.set)
        for widget in (self.path, self.source):
            widget.textChanged.connect(self._changed)
        for combo in (self.kind, self.duplicates):
            combo.currentIndexChanged.connect(self._changed)
        self.mapping_model.dataChanged.connect(self._changed)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_progress)

    # ------------------------------------------------------------ steps
    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Old system's export", "",
                                                    "CSV files (*.csv *.txt);;All files (*)")  # fmt: skip
        if path:
            self.path.setText(path)

    def _changed(self, *_args) -> None:
        """Anything changed after the dry run: the import waits for a new one."""
        self.report = None
        self.import_button.setEnabled(False)

    def _options(self) -> ImportOptions:
        mapping = self.mapping_model.mapping() if self.mapping_model.rows else None
        return ImportOptions(source=self.source.text().strip(),
                             duplicates=self.duplicates.currentText(), mapping=mapping)  # fmt: skip

    def _read(self) -> bytes:
        try:
            return Path(self.path.text().strip()).expanduser().read_bytes()
        except OSError as exc:
            raise MADeskError(f"Cannot read the file: {exc.strerror or exc}.") from None

    def run_preview(self) -> None:
        kind = self.kind.currentText()
        self._busy("Reading the file…")
        run_in_background(self, lambda: self.services.interchange.preview_csv(kind, self._read()),
                          self._previewed, self._failed)  # fmt: skip

    def _previewed(self, preview) -> None:
        self.mapping_model.show(preview.headers, preview.mapping)
        self.mapping_view.setToolTip("Fields: " + ", ".join(field_names(self.kind.currentText())))
        self._changed()
        missing = f" Not mapped yet: {', '.join(preview.missing)}." if preview.missing else ""
        self._idle(f"{preview.rows:,} rows, read as {preview.encoding}.{missing} Check the "
                   "columns, then make a dry run.")  # fmt: skip

    def run_dry_run(self) -> None:
        kind, options = self.kind.currentText(), self._options()
        self._busy("Dry run: checking every row…")
        run_in_background(self, lambda: self.services.interchange.dry_run_csv(
            kind, self._read(), options), self._dry_run_done, self._failed)  # fmt: skip

    def _dry_run_done(self, report: ImportReport) -> None:
        self.report = report
        if not self.mapping_model.rows:
            self.mapping_model.rows = [[c, f] for c, f in report.mapping.items()]
        self.outcome_model.show(report.outcomes)
        self._idle(f"Dry run: {report.summary()} Nothing was written. Check the rows, then "
                   "Import.")  # fmt: skip
        self.import_button.setEnabled(True)

    def run_import(self) -> None:
        if self.report is None:
            return
        kind, options, token = self.kind.currentText(), self._options(), self.report.token
        self._cancel.clear()
        self._busy("Importing…")
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self._timer.start()
        run_in_background(self, lambda: self.services.interchange.import_csv(
            kind, self._read(), options, confirm=token, progress=self._note_progress,
            cancelled=self._cancel.is_set), self._imported, self._failed)  # fmt: skip

    def _note_progress(self, done: int, total: int) -> None:
        """Called on the worker thread: only remembered; the timer shows it."""
        self._progress = (done, total)

    def _show_progress(self) -> None:
        done, total = self._progress
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _imported(self, report: ImportReport) -> None:
        self._timer.stop()
        self._show_progress()
        self.outcome_model.show(report.outcomes)
        self.report = None
        self._idle(f"Imported: {report.summary()}")

    # ------------------------------------------------------------ state
    def _busy(self, text: str) -> None:
        self.summary.setText(text)
        for button in (self.preview_button, self.dry_run_button, self.import_button):
            button.setEnabled(False)

    def _idle(self, text: str) -> None:
        self.summary.setText(text)
        self.preview_button.setEnabled(True)
        self.dry_run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _failed(self, error: MADeskError) -> None:
        self._timer.stop()
        self._idle(str(error))


def field_names(kind: str) -> list[str]:
    """The field names a column may be mapped to (shown in the wizard's tooltip)."""
    return [f.name for f in FIELDS[kind]]
