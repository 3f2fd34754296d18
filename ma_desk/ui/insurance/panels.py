"""The lower half of the Insurance tab: eligibility log, notes, prior authorisations."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_text
from ma_desk.services import Services
from ma_desk.services.insurance import CoverageRow, EligibilityRow, NoteRow, PriorAuthRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.fit import FlowLayout, fit_columns, keep_panels, wrapping
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import named
from ma_desk.ui.insurance import common
from ma_desk.ui.insurance.common import when_text
from ma_desk.ui.insurance.forms import NoteDialog, PriorAuthDialog

AMBER, RED, GREEN = palette.AMBER, palette.RED, palette.GREEN

CHECK_COLUMNS: list[Column[EligibilityRow]] = [
    Column("Checked", lambda e: when_text(e.checked_at)),
    Column("By", lambda e: e.user_name),
    Column("Method", lambda e: e.method_label),
    Column("Reference", lambda e: e.reference),
    Column(
        "Result",
        lambda e: e.result_label,
        background=lambda e: {"active": GREEN, "inactive": RED}.get(e.result, AMBER),
    ),
    Column("Notes", lambda e: " ".join(e.notes.split()), tooltip=lambda e: e.notes or None),
]

NOTE_COLUMNS: list[Column[NoteRow]] = [
    Column("Written", lambda n: when_text(n.created_at)),
    Column("By", lambda n: n.author_name),
    Column("About", lambda n: n.coverage_label or "Patient"),
    Column(
        "Status",
        lambda n: "replaced" if n.superseded else ("corrected" if n.edited else ""),
        foreground=lambda n: palette.WARNING_TEXT if n.superseded else None,
    ),
    Column("Note", lambda n: " ".join(n.text.split()), tooltip=lambda n: n.text),
]

AUTH_COLUMNS: list[Column[PriorAuthRow]] = [
    Column("Service", lambda a: a.service),
    Column("Payer", lambda a: a.payer),
    Column("Auth #", lambda a: a.auth_number),
    Column("Units", lambda a: f"{a.units_used} of {a.units_approved} used", align_right=True),
    Column("From", lambda a: date_text(a.start_date)),
    Column("Through", lambda a: date_text(a.end_date)),
    Column("Status", lambda a: a.status_label),
    Column(
        "Attention",
        lambda a: a.flag,
        background=lambda a: (
            (RED if a.flag.startswith(("Exhausted", "Expired")) else AMBER) if a.flag else None
        ),
    ),
]


def _buttons(*specs: tuple[str, str, str]) -> tuple[FlowLayout, dict[str, QPushButton]]:
    row = FlowLayout()
    made: dict[str, QPushButton] = {}
    for key, text, accessible in specs:
        button = named(QPushButton(text), key, accessible)
        row.addWidget(button)
        made[key] = button
    return row, made


class EligibilityPanel(QWidget):
    """The selected coverage's checks, newest first; Verify adds one."""

    verify_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        layout = QVBoxLayout(self)
        row, buttons = _buttons(
            ("checks_verify", "Verify eligibility…", "Verify eligibility (eligibility log)")
        )
        self.verify_button = buttons["checks_verify"]
        self.verify_button.clicked.connect(self.verify_requested)
        self.summary = wrapping(QLabel(""))
        self.summary.setObjectName("checks_summary")
        layout.addLayout(row)
        layout.addWidget(self.summary)
        self.model: RowTableModel[EligibilityRow] = RowTableModel(CHECK_COLUMNS, self)
        self.table = common.row_table("eligibility_log", "Eligibility checks")
        self.table.setModel(self.model)
        fit_columns(self.table, stretch=("By", "Method", "Notes", "Reference"))
        layout.addWidget(self.table)

    def show_coverage(self, coverage: CoverageRow | None) -> None:
        rows = self.services.insurance.verification_log(coverage.id) if coverage else []
        self.model.set_rows(rows)
        self.verify_button.setEnabled(coverage is not None)
        if coverage is None:
            self.summary.setText("Choose a coverage above.")
        else:
            self.summary.setText(f"{len(rows)} check{'s' if len(rows) != 1 else ''} of "
                                 f"{coverage.payer} on file")  # fmt: skip


class NoteHistoryDialog(QDialog):
    def __init__(self, versions: list[NoteRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("note_history")
        self.setWindowTitle("Note history")
        self.setAccessibleName("Note history")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Every version of this note, oldest first; none was deleted."))
        self.model: RowTableModel[NoteRow] = RowTableModel(NOTE_COLUMNS, self)
        self.model.set_rows(versions)
        self.table = common.row_table("note_history_table", "Note versions")
        self.table.setModel(self.model)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table)
        self.text = named(QPlainTextEdit(), "note_history_text", "Version text")
        self.text.setReadOnly(True)
        layout.addWidget(self.text)
        self.table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.text.setPlainText(
                (self.model.row_at(cur.row()) or versions[-1]).text
            )
        )
        self.table.selectRow(len(versions) - 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 460)


class NotesPanel(QWidget):
    """Dated, authored notes; a correction supersedes the old note, whose text stays."""

    changed = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.patient_id: int | None = None
        self.coverages: list[CoverageRow] = []
        self.coverage_id: int | None = None
        layout = QVBoxLayout(self)
        row, self.buttons = _buttons(
            ("notes_add", "Add no&te…", "Add note"),
            ("notes_edit", "Co&rrect note…", "Correct note"),
            ("notes_history", "Histor&y…", "Note history"),
        )
        self.search = named(QLineEdit(), "notes_search", "Search notes")
        self.search.setPlaceholderText("Search notes…")
        self.search.setClearButtonEnabled(True)
        self.show_replaced = named(QCheckBox("Show replaced versions"), "notes_show_replaced")
        row.insert_widget(0, self.search)
        row.addWidget(self.show_replaced)
        layout.addLayout(row)
        split = keep_panels(QSplitter(), (2, 1))
        self.model: RowTableModel[NoteRow] = RowTableModel(NOTE_COLUMNS, self)
        self.table = common.row_table("notes_table", "Insurance notes")
        self.table.setModel(self.model)
        fit_columns(self.table, stretch=("Note", "About"))
        self.text = named(QPlainTextEdit(), "note_text", "Selected note")
        self.text.setReadOnly(True)
        split.addWidget(self.table)
        split.addWidget(self.text)
        split.setSizes([620, 300])
        layout.addWidget(split)
        self.search.textChanged.connect(self.reload)
        self.show_replaced.toggled.connect(self.reload)
        self.buttons["notes_add"].clicked.connect(self.add)
        self.buttons["notes_edit"].clicked.connect(self.correct)
        self.buttons["notes_history"].clicked.connect(self.history)
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self._selected()

    def show_patient(
        self, patient_id: int | None, coverages: list[CoverageRow], coverage_id: int | None
    ) -> None:
        self.patient_id, self.coverages, self.coverage_id = patient_id, coverages, coverage_id
        self.reload()

    def reload(self) -> None:
        if self.patient_id is None:
            self.model.set_rows([])
        else:
            self.model.set_rows(
                self.services.insurance.notes(
                    self.patient_id,
                    search=self.search.text(),
                    include_superseded=self.show_replaced.isChecked(),
                )
            )
        self.buttons["notes_add"].setEnabled(self.patient_id is not None)
        if self.model.rowCount():
            self.table.selectRow(0)
        self._selected()

    def current(self) -> NoteRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def _selected(self, *_args) -> None:
        note = self.current()
        self.text.setPlainText(note.text if note else "")
        self.buttons["notes_edit"].setEnabled(bool(note and not note.superseded))
        self.buttons["notes_history"].setEnabled(bool(note and (note.edited or note.superseded)))

    def add(self) -> None:
        if self.patient_id is None:
            return
        dialog = NoteDialog(self.services, self.patient_id, self.coverages,
                            coverage_id=self.coverage_id, parent=self)  # fmt: skip
        if common.show(dialog):
            self.changed.emit()

    def correct(self) -> None:
        note = self.current()
        if self.patient_id is None or note is None or note.superseded:
            return
        dialog = NoteDialog(self.services, self.patient_id, self.coverages, note, parent=self)
        if common.show(dialog):
            self.changed.emit()

    def history(self) -> None:
        note = self.current()
        if note is None:
            return
        versions = common.guarded(self, lambda: self.services.insurance.note_history(note.id))
        if versions:
            common.show(NoteHistoryDialog(versions, self))


class PriorAuthPanel(QWidget):
    changed = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.patient_id: int | None = None
        self.coverages: list[CoverageRow] = []
        layout = QVBoxLayout(self)
        row, self.buttons = _buttons(
            ("auth_add", "Add auth&orization…", "Add prior authorization"),
            ("auth_edit", "Edit…", "Edit prior authorization"),
            ("auth_use", "Use 1 unit", "Use one authorized unit"),
        )
        layout.addLayout(row)
        self.model: RowTableModel[PriorAuthRow] = RowTableModel(AUTH_COLUMNS, self)
        self.table = common.row_table("prior_auths", "Prior authorizations")
        self.table.setModel(self.model)
        fit_columns(self.table, stretch=("Service", "Payer"))
        layout.addWidget(self.table)
        self.buttons["auth_add"].clicked.connect(self.add)
        self.buttons["auth_edit"].clicked.connect(self.edit)
        self.buttons["auth_use"].clicked.connect(self.use_unit)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        self.table.selectionModel().currentRowChanged.connect(self._selected)
        self._selected()

    def show_patient(self, patient_id: int | None, coverages: list[CoverageRow]) -> None:
        self.patient_id, self.coverages = patient_id, coverages
        self.model.set_rows(self.services.insurance.prior_auths(patient_id) if patient_id else [])
        self.buttons["auth_add"].setEnabled(patient_id is not None)
        self._selected()

    def current(self) -> PriorAuthRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def _selected(self, *_args) -> None:
        auth = self.current()
        self.buttons["auth_edit"].setEnabled(auth is not None)
        self.buttons["auth_use"].setEnabled(bool(auth and auth.status == "approved"))

    def add(self) -> None:
        if self.patient_id is None:
            return
        if common.show(
            PriorAuthDialog(self.services, self.patient_id, self.coverages, parent=self)
        ):
            self.changed.emit()

    def edit(self) -> None:
        auth = self.current()
        if self.patient_id is None or auth is None:
            return
        if common.show(
            PriorAuthDialog(self.services, self.patient_id, self.coverages, auth, parent=self)
        ):
            self.changed.emit()

    def use_unit(self) -> None:
        auth = self.current()
        if auth is None:
            return
        if common.guarded(self, lambda: self.services.insurance.use_auth_units(auth.id)):
            self.changed.emit()
