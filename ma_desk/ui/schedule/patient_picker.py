"""Find a patient as you type (name, DOB, MRN, phone) and pick one with the keyboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QListView, QVBoxLayout, QWidget

from ma_desk.display_format import date_text
from ma_desk.errors import MADeskError
from ma_desk.services.patients import PatientHit
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import named

if TYPE_CHECKING:
    from ma_desk.services import Services

HIT_COLUMNS: list[Column[PatientHit]] = [
    Column("Patient", lambda h: f"{h.full_name}  ·  DOB {date_text(h.dob)}  ·  {h.mrn}"),
]


class PatientPicker(QWidget):
    """A search box over a result list; Down moves into the list, the current row is chosen."""

    patient_chosen = Signal(object)  # int | None

    def __init__(self, services: Services, name: str, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = named(QLineEdit(), f"{name}_patient_search", "Find patient")
        self.search.setPlaceholderText("Last, first  ·  DOB 04/05/1980  ·  MRN  ·  phone")
        self.search.setClearButtonEnabled(True)
        self.model: RowTableModel[PatientHit] = RowTableModel(HIT_COLUMNS, self)
        self.results = named(QListView(), f"{name}_patient_results", "Matching patients")
        self.results.setModel(self.model)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setMaximumHeight(150)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self.search.textChanged.connect(self.run_search)
        self.results.selectionModel().currentRowChanged.connect(self._row_changed)
        self.search.installEventFilter(self)
        self.patient_id: int | None = None

    def run_search(self, text: str) -> None:
        try:
            hits = self.services.patients.search(text, limit=20)
        except MADeskError:
            hits = []
        self.model.set_rows(hits)
        self.patient_id = None
        if hits:
            self.results.selectionModel().setCurrentIndex(
                self.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        else:
            self.patient_chosen.emit(None)

    def _row_changed(self, current, _previous) -> None:
        hit = self.model.row_at(current.row())
        self.patient_id = hit.id if hit else None
        self.patient_chosen.emit(self.patient_id)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.search and event.type() == event.Type.KeyPress and event.key() in (
            Qt.Key.Key_Down,
        ) and self.model.rowCount():  # fmt: skip
            self.results.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return super().eventFilter(obj, event)

    def chosen_hit(self) -> PatientHit | None:
        return self.model.row_at(self.results.currentIndex().row())
