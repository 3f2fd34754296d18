"""Import from the old system: file, preview and columns, dry run, then the import.

A CSV file (patients, coverages or appointments) is previewed and its columns
mapped; a FHIR R4 Bundle or NDJSON file goes straight to the dry run. The
Import button stays disabled until a dry run of the chosen file and options
has been shown; changing anything disables it again and drops the per-row
choices made on that dry run's matching rows (ma_desk/ui/interchange/choices.py).
Reading, matching and writing run off the UI thread (ma_desk/ui/common/worker.py);
the progress bar follows the batches and Cancel stops after the current one
(what was imported stays; Import again, on the same dry run, finishes it).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer
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
    QWidget,
)

from ma_desk.errors import MADeskError
from ma_desk.interchange.fields import FIELDS, load_mapping, mapping_json
from ma_desk.reports.output import write_file_atomic
from ma_desk.services import Services
from ma_desk.services.interchange import (
    ImportOptions,
    ImportReport,
    InterchangeService,
    RowOutcome,
)
from ma_desk.ui.common.accessibility import name_unnamed_controls
from ma_desk.ui.common.fit import fit_columns
from ma_desk.ui.common.worker import run_in_background
from ma_desk.ui.interchange.choices import CHOICE_LABELS, ChoiceModel, ChoiceView


class OutcomeModel(QAbstractTableModel):
    """The dry run's (or the import's) report, one row per file row."""

    HEADERS = ("Records", "Line", "Result", "Why")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
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
        if not index.isValid():
            return None
        outcome = self.outcomes[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 3:
            return outcome.message
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (outcome.kind, str(outcome.line), outcome.action, outcome.message)[index.column()]


class MappingModel(QAbstractTableModel):
    """Column of the file -> MA Desk field; the field column is editable (empty = ignore)."""

    HEADERS = ("Column in the file", "MA Desk field")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
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


FHIR = "fhir"
KIND_LABELS = {
    "patients": "Patients (CSV file)",
    "coverages": "Insurance coverages (CSV file)",
    "appointments": "Future appointments (CSV file)",
    FHIR: "FHIR R4 Bundle or NDJSON (patients, coverages, appointments)",
}


class ImportDialog(QDialog):
    """One window for the whole import, so the report stays in view while choosing."""

    def __init__(self, services: Services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Import from the old system")
        self.setObjectName("import_dialog")
        self.report: ImportReport | None = None
        self._cancel = threading.Event()
        self._progress_note = ProgressNote()
        self._importing = False
        self._close_when_done = False
        self.kind = QComboBox()
        for kind, label in KIND_LABELS.items():
            self.kind.addItem(label, kind)
        self.path = QLineEdit()
        self.browse = QPushButton("Browse…")
        self.source = QLineEdit("csv")
        self.preview_button = QPushButton("&Preview")
        self.dry_run_button = QPushButton("&Dry run")
        self.import_button = QPushButton("&Import")
        self.import_button.setEnabled(False)
        self.cancel_button = QPushButton("&Cancel import")
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Cl&ose")
        for button in (self.browse, self.dry_run_button, self.import_button, self.cancel_button,
                       self.close_button):  # fmt: skip
            button.setAutoDefault(False)  # Enter previews (or checks a FHIR file): never imports
        self.preview_button.setDefault(True)
        self.save_mapping_button = QPushButton("Sa&ve columns…")
        self.load_mapping_button = QPushButton("&Load columns…")
        for button in (self.save_mapping_button, self.load_mapping_button):
            button.setAutoDefault(False)
        self.columns_label = QLabel("Columns (type a field name to change; empty = not imported):")
        self.mapping_model = MappingModel(self)
        self.mapping_view = QTableView()
        self.mapping_view.setModel(self.mapping_model)
        fit_columns(self.mapping_view, stretch=MappingModel.HEADERS)  # titles read whole
        self.choice_model = ChoiceModel(self)
        self.choice_view = ChoiceView(self.choice_model)
        self.choice_for_all = QComboBox()
        for choice, label in CHOICE_LABELS.items():
            self.choice_for_all.addItem(label, choice)
        self.apply_all_button = QPushButton("Apply to &all")
        self.apply_all_button.setAutoDefault(False)
        self.choice_summary = QLabel()
        self.choice_summary.setWordWrap(True)
        self.choice_box = QWidget()
        self.outcome_model = OutcomeModel(self)
        self.outcome_view = QTableView()
        self.outcome_view.setModel(self.outcome_model)
        for view in (self.mapping_view, self.outcome_view):
            view.horizontalHeader().setStretchLastSection(True)
        self.summary = QLabel("Choose a file, preview it, check the columns, then make a dry run.")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self._layout()
        self._wire()
        self.mapping_view.setAccessibleName("Column mapping")
        self.outcome_view.setAccessibleName("Import results by row")
        name_unnamed_controls(self)
        self._kind_changed()

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
        buttons = QHBoxLayout()
        for button in (self.preview_button, self.dry_run_button, self.import_button,
                       self.cancel_button):  # fmt: skip
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        columns = QHBoxLayout()
        columns.addWidget(self.columns_label, 1)
        columns.addWidget(self.save_mapping_button)
        columns.addWidget(self.load_mapping_button)
        layout.addLayout(columns)
        layout.addWidget(self.mapping_view, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self._choices_layout(), 1)
        layout.addWidget(self.outcome_view, 2)
        self.resize(900, 640)

    def _choices_layout(self) -> QWidget:
        """Shown when the dry run found rows that may be patients already on file."""
        label = QLabel("&Rows that may be patients already on file (F2 changes a row's choice):")
        label.setBuddy(self.choice_view)
        for_all = QHBoxLayout()
        for_all_label = QLabel("For all of them:")
        for_all_label.setBuddy(self.choice_for_all)
        self.choice_for_all.setAccessibleName("Choice for all rows that may be on file")
        for_all.addWidget(for_all_label)
        for_all.addWidget(self.choice_for_all, 1)
        for_all.addWidget(self.apply_all_button)
        box = QVBoxLayout(self.choice_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(label)
        box.addWidget(self.choice_view, 1)
        box.addLayout(for_all)
        box.addWidget(self.choice_summary)
        self.choice_box.setVisible(False)
        return self.choice_box

    def _wire(self) -> None:
        self.browse.clicked.connect(self._browse)
        self.preview_button.clicked.connect(self.run_preview)
        self.dry_run_button.clicked.connect(self.run_dry_run)
        self.import_button.clicked.connect(self.run_import)
        self.cancel_button.clicked.connect(self._cancel.set)
        self.close_button.clicked.connect(self.reject)
        self.apply_all_button.clicked.connect(self._apply_to_all)
        self.save_mapping_button.clicked.connect(self.save_mapping)
        self.load_mapping_button.clicked.connect(self.load_mapping)
        for widget in (self.path, self.source):
            widget.textChanged.connect(self._changed)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.mapping_model.dataChanged.connect(self._changed)
        self.choice_model.dataChanged.connect(self._show_choices)
        self.choice_model.modelReset.connect(self._show_choices)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_progress)

    # ------------------------------------------------------------ steps
    def _kind(self) -> str:
        return self.kind.currentData()

    def _kind_changed(self, *_args) -> None:
        """A FHIR file has no columns to preview or map: Enter checks it (a dry run)."""
        fhir = self._kind() == FHIR
        for widget in (self.preview_button, self.save_mapping_button, self.load_mapping_button,
                       self.columns_label, self.mapping_view):  # fmt: skip
            widget.setVisible(not fhir)
        (self.dry_run_button if fhir else self.preview_button).setDefault(True)
        (self.preview_button if fhir else self.dry_run_button).setDefault(False)
        self.path.setPlaceholderText("The FHIR R4 Bundle (.json) or NDJSON file" if fhir
                                     else "The CSV file the old system exported")  # fmt: skip
        self.mapping_model.show([], {})
        self._changed()

    def _browse(self) -> None:
        wanted = ("FHIR files (*.json *.ndjson);;All files (*)" if self._kind() == FHIR
                  else "CSV files (*.csv *.txt);;All files (*)")  # fmt: skip
        path, _filter = QFileDialog.getOpenFileName(self, "Old system's export", "", wanted)
        if path:
            self.path.setText(path)

    def _changed(self, *_args) -> None:
        """Anything changed after the dry run: the import (and its choices) wait for a new one."""
        if self.report is not None or self.outcome_model.outcomes:
            self.summary.setText("Changed since the dry run: make a new dry run.")
        self.report = None
        self.import_button.setEnabled(False)
        self.choice_model.clear()
        self.outcome_model.show([])

    def _options(self) -> ImportOptions:
        mapping = self.mapping_model.mapping() if self.mapping_model.rows else None
        return ImportOptions(source=self.source.text().strip(), mapping=mapping,
                             row_choices=self.choice_model.choices() or None)  # fmt: skip

    def _file(self) -> Path | None:
        """The chosen file's path, read on the UI thread (workers never touch the widgets)."""
        typed = self.path.text().strip()
        return Path(typed).expanduser() if typed else None

    def run_preview(self) -> None:
        kind, file = self._kind(), self._file()
        if kind == FHIR:
            return
        interchange = self.services.interchange  # work never holds the dialog (see worker.py)
        self._busy("Reading the file…")
        run_in_background(self, lambda: interchange.preview_csv(kind, read_file(file)),
                          self._previewed, self._failed)  # fmt: skip

    def save_mapping(self) -> None:
        """The columns as mapped, to reuse with the next export (or on the command line)."""
        kind, mapping = self._kind(), self.mapping_model.mapping()
        if not mapping:
            self.summary.setText("Preview the file first: there are no columns to save yet.")
            return
        path = self.ask_mapping_path(save=True)
        if not path:
            return
        data = mapping_json(kind, mapping).encode("utf-8")
        run_in_background(self, lambda: write_file_atomic(path, data, force=True),
                          lambda saved: self.summary.setText(f"Columns saved to {saved}."),
                          self._failed)  # fmt: skip

    def load_mapping(self) -> None:
        """A saved mapping, checked against this file's columns and shown for review."""
        path = self.ask_mapping_path(save=False)
        if not path:
            return
        kind, file, interchange = self._kind(), self._file(), self.services.interchange
        self._busy("Reading the saved columns…")
        run_in_background(self, lambda: interchange.preview_csv(
            kind, read_file(file), load_mapping(Path(path), kind)), self._previewed, self._failed)  # fmt: skip

    def ask_mapping_path(self, *, save: bool) -> str:
        """The save dialog asks before replacing a file, so saving may replace it (tests set
        their own answer on the instance)."""
        wanted = "Column mappings (*.json);;All files (*)"
        if save:
            path, _filter = QFileDialog.getSaveFileName(
                self, "Save columns", "columns.json", wanted
            )
        else:
            path, _filter = QFileDialog.getOpenFileName(self, "Load columns", "", wanted)
        return path

    def _previewed(self, preview) -> None:
        self.mapping_model.show(preview.headers, preview.mapping)
        self.mapping_view.setToolTip("Fields: " + ", ".join(field_names(self._kind())))
        self._changed()
        missing = f" Not mapped yet: {', '.join(preview.missing)}." if preview.missing else ""
        self._idle(f"{preview.rows:,} rows, read as {preview.encoding}.{missing} Check the "
                   "columns, then make a dry run.")  # fmt: skip

    def run_dry_run(self) -> None:
        kind, file, options = self._kind(), self._file(), self._options()
        interchange = self.services.interchange
        self._busy("Dry run: checking every row…")
        run_in_background(self, lambda: dry_run(interchange, kind, file, options),
                          self._dry_run_done, self._failed)  # fmt: skip

    def _dry_run_done(self, report: ImportReport) -> None:
        self.report = report
        if not self.mapping_model.rows and self._kind() != FHIR:
            self.mapping_model.rows = [[c, f] for c, f in report.mapping.items()]
        self.outcome_model.show(report.outcomes)
        self.choice_model.show(report.outcomes)
        matching = (f" {self.choice_model.rowCount():,} rows may be patients already on file: "
                    "choose for each what the import does." if self.choice_model.rowCount()
                    else "")  # fmt: skip
        left_out = ", ".join(f"{kind} {count:,}" for kind, count in sorted(report.ignored.items()))
        left_out = f" Not imported (MA Desk does not take them): {left_out}." if left_out else ""
        self._idle(f"Dry run: {report.summary()}{left_out}{matching} Nothing was written. Check "
                   "the rows, then Import.")  # fmt: skip
        self.import_button.setEnabled(True)

    def _apply_to_all(self) -> None:
        refused = self.choice_model.choose_for_all(self.choice_for_all.currentData())
        self._show_choices()
        if refused:
            self.choice_summary.setText(
                f"{self.choice_summary.text()} {refused:,} rows match more than one patient "
                "and cannot be linked: they keep their choice.")  # fmt: skip

    def _show_choices(self, *_args) -> None:
        rows = self.choice_model.rowCount()
        self.choice_box.setVisible(rows > 0)
        counts = self.choice_model.counts()
        self.choice_summary.setText(
            f"The import will skip {counts['skip']:,}, link {counts['link']:,} and create "
            f"{counts['create']:,} of these {rows:,} rows." if rows else "")  # fmt: skip

    def run_import(self) -> None:
        if self.report is None:
            return
        kind, file, options = self._kind(), self._file(), self._options()
        steps = {"confirm": self.report.token, "progress": self._progress_note,
                 "cancelled": self._cancel.is_set}  # fmt: skip
        interchange = self.services.interchange
        self._cancel.clear()
        self._busy("Importing…")
        self._importing = True
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.cancel_button.setEnabled(True)
        self._timer.start()
        run_in_background(self, lambda: import_file(interchange, kind, file, options, steps),
                          self._imported, self._failed)  # fmt: skip

    def _show_progress(self) -> None:
        done, total = self._progress_note.seen
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def _imported(self, report: ImportReport) -> None:
        self._timer.stop()
        self._show_progress()
        self.outcome_model.show(report.outcomes)
        if report.cancelled:  # the same dry run (and choices) finish it
            done, total = self._progress_note.seen
            self._idle(f"Stopped after {done:,} of {total:,} rows; what was imported stays. "
                       f"{report.summary()} Press Import to finish: rows already imported are "
                       "left alone.")  # fmt: skip
            self.import_button.setEnabled(True)
        else:
            self.report = None
            self.choice_model.clear()
            self._idle(f"Imported: {report.summary()}")
        self._import_ended()

    # ------------------------------------------------------------ state
    def _busy(self, text: str) -> None:
        self.summary.setText(text)
        for widget in (self.preview_button, self.dry_run_button, self.import_button,
                       self.choice_box, self.load_mapping_button):  # fmt: skip
            widget.setEnabled(False)

    def _idle(self, text: str) -> None:
        self.summary.setText(text)
        for widget in (self.preview_button, self.dry_run_button, self.choice_box,
                       self.load_mapping_button):  # fmt: skip
            widget.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _failed(self, error: MADeskError) -> None:
        self._timer.stop()
        self._idle(str(error))
        self._import_ended()

    def _import_ended(self) -> None:
        self._importing = False
        if self._close_when_done:
            super().reject()

    def reject(self) -> None:
        """Closing during an import stops it after the current batch, then closes."""
        if not self._importing:
            super().reject()
            return
        self._cancel.set()
        self._close_when_done = True
        self.summary.setText("Stopping after the current batch; the window closes then.")


class ProgressNote:
    """The import's progress, noted on the worker thread; the dialog's timer shows it."""

    def __init__(self) -> None:
        self.seen = (0, 0)

    def __call__(self, done: int, total: int) -> None:
        self.seen = (done, total)


def dry_run(interchange: InterchangeService, kind: str, file: Path | None,
            options: ImportOptions) -> ImportReport:  # fmt: skip
    """On the worker thread: a CSV file's or a FHIR file's dry run."""
    if kind == FHIR:
        return interchange.dry_run_fhir(read_file(file), options)
    return interchange.dry_run_csv(kind, read_file(file), options)


def import_file(interchange: InterchangeService, kind: str, file: Path | None,
                options: ImportOptions, steps: dict) -> ImportReport:  # fmt: skip
    """On the worker thread; ``steps`` = confirm, progress and cancelled."""
    if kind == FHIR:
        return interchange.import_fhir(read_file(file), options, **steps)
    return interchange.import_csv(kind, read_file(file), options, **steps)


def read_file(file: Path | None) -> bytes:
    """The old system's export, read on the worker thread."""
    if file is None:
        raise MADeskError("Choose the file first: type its path, or Browse….")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise MADeskError(f"Cannot read the file: {exc.strerror or exc}.") from None


def field_names(kind: str) -> list[str]:
    """The field names a column may be mapped to (shown in the wizard's tooltip)."""
    return [f.name for f in FIELDS[kind]]
