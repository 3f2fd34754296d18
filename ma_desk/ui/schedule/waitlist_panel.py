"""The waitlist beside the book: who wants an earlier slot, and offers when one frees up."""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import date_text, day_month_text, weekday_time_text
from ma_desk.errors import MADeskError, ValidationError
from ma_desk.services.waitlist import DAY_NAMES, WaitlistRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.fit import FlowLayout, fit_columns
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.role_gate import gate
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.schedule.patient_picker import PatientPicker

if TYPE_CHECKING:
    from ma_desk.services import Services

COLUMNS: list[Column[WaitlistRow]] = [
    Column("Patient", lambda w: w.patient_name),
    Column("Provider", lambda w: w.provider_name or "Any"),
    Column("Type", lambda w: w.type_name or "Any"),
    Column("Days", lambda w: w.days_label),
    Column("Times", lambda w: w.times_label),
    Column("Waiting since", lambda w: day_month_text(w.created_at)),
    Column("Note", lambda w: w.note),
]
OFFER_COLOUR = palette.OFFER


class WaitlistPanel(QWidget):
    book_requested = Signal(object)  # WaitlistRow
    changed = Signal()

    def __init__(self, services: Services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.offer_ids: set[int] = set()
        self.offer_slot: tuple[int, dt.datetime, int] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.offer_label = QLabel()
        self.offer_label.setObjectName("waitlist_offer")
        self.offer_label.setWordWrap(True)
        self.offer_label.setStyleSheet(f"background: {OFFER_COLOUR}; padding: 4px;")
        self.offer_label.hide()
        layout.addWidget(self.offer_label)
        columns = [
            Column(c.header, c.display,
                   background=lambda w: OFFER_COLOUR if w.id in self.offer_ids else None)
            for c in COLUMNS
        ]  # fmt: skip
        self.model: RowTableModel[WaitlistRow] = RowTableModel(columns, self)
        self.table = make_table("waitlist_table", "Waitlist")
        self.table.setModel(self.model)
        fit_columns(self.table, stretch=("Patient", "Provider", "Type", "Times", "Note"))
        layout.addWidget(self.table, 1)
        buttons = FlowLayout()
        self.add_button = named(QPushButton("Add…"), "waitlist_add", "Add to waitlist")
        self.book_button = named(QPushButton("Book selected into slot"), "waitlist_book",
                                 "Book the selected waitlist patient")  # fmt: skip
        self.remove_button = named(QPushButton("Remove"), "waitlist_remove",
                                   "Remove from waitlist")  # fmt: skip
        for b in (self.add_button, self.book_button, self.remove_button):
            buttons.addWidget(b)
            gate(b, services, "schedule.write")
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.open_add_dialog)
        self.book_button.clicked.connect(self._book_clicked)
        self.remove_button.clicked.connect(self._remove_clicked)
        self.dialog: WaitlistDialog | None = None

    def refresh(self) -> None:
        rows = self.services.waitlist.entries()
        rows.sort(key=lambda w: (w.id not in self.offer_ids, w.created_at, w.id))
        self.model.set_rows(rows)

    def show_offers(self, slot: tuple[int, dt.datetime, int] | None, offers: list[WaitlistRow]):
        """Highlight the entries matching a freed slot and put them first."""
        self.offer_ids = {o.id for o in offers}
        self.offer_slot = slot if offers else None
        if offers and slot:
            _provider, start, minutes = slot
            self.offer_label.setText(
                f"Freed: {weekday_time_text(start)} ({minutes} min) — {len(offers)} waiting "
                f"patient(s) fit. Select one and press “Book selected into slot”."
            )
        self.offer_label.setVisible(bool(offers))
        self.refresh()
        if offers:
            self.table.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )

    def selected(self) -> WaitlistRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def _book_clicked(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.book_requested.emit(entry)

    def _remove_clicked(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        try:
            self.services.waitlist.remove(entry.id, reason="removed at the desk")
        except MADeskError as err:
            self.offer_label.setText(str(err))
            self.offer_label.show()
        self.offer_ids.discard(entry.id)
        self.refresh()
        self.changed.emit()

    def open_add_dialog(self, patient_id: int | None = None) -> WaitlistDialog:
        self.dialog = WaitlistDialog(self.services, patient_id=patient_id, parent=self)
        self.dialog.accepted.connect(self.refresh)
        self.dialog.accepted.connect(self.changed.emit)
        self.dialog.open()
        return self.dialog

    def clear_offers(self) -> None:
        self.show_offers(None, [])


class WaitlistDialog(QDialog):
    def __init__(self, services: Services, *, patient_id: int | None = None, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("waitlist_dialog")
        self.setWindowTitle("Add to waitlist")
        self.saved: WaitlistRow | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.messages = {n: FieldMessage(f"waitlist_{n}")
                         for n in ("patient", "provider", "type", "preferred_days",
                                   "preferred_to", "note", "general")}  # fmt: skip
        self.fixed_patient_id = patient_id
        self.picker: PatientPicker | None = None
        if patient_id is None:
            self.picker = PatientPicker(services, "waitlist")
            form.addRow("Patient", self.picker)
        else:
            p = services.patients.get(patient_id)
            form.addRow(
                "Patient", QLabel(f"<b>{html.escape(p.full_name)}</b> · DOB {date_text(p.dob)}")
            )
        form.addRow("", self.messages["patient"])
        self.provider = named(QComboBox(), "waitlist_provider", "Provider")
        self.provider.addItem("Any provider", None)
        for p in services.schedule.providers():
            self.provider.addItem(p.display_name, p.id)
        form.addRow("Provider", self.provider)
        self.type = named(QComboBox(), "waitlist_type", "Appointment type")
        self.type.addItem("Any type", None)
        for t in services.schedule.appointment_types():
            self.type.addItem(f"{t.name} ({t.default_minutes} min)", t.id)
        form.addRow("Type", self.type)
        days = QHBoxLayout()
        self.day_boxes: list[QCheckBox] = []
        for i, name in enumerate(DAY_NAMES):
            box = named(QCheckBox(name), f"waitlist_day_{i}", f"Preferred day {name}")
            box.setChecked(i < 5)
            days.addWidget(box)
            self.day_boxes.append(box)
        form.addRow("Days", days)
        form.addRow("", self.messages["preferred_days"])
        times = QHBoxLayout()
        self.any_time = named(QCheckBox("Any time"), "waitlist_any_time", "Any time of day")
        self.any_time.setChecked(True)
        self.time_from = named(QTimeEdit(QTime(8, 0)), "waitlist_from", "Earliest time")
        self.time_to = named(QTimeEdit(QTime(12, 0)), "waitlist_to", "Latest time")
        whole_field_tab(self.time_from, self.time_to)
        for w in (self.any_time, self.time_from, self.time_to):
            times.addWidget(w)
        form.addRow("Times", times)
        form.addRow("", self.messages["preferred_to"])
        self.note = named(QLineEdit(), "waitlist_note", "Waitlist note")
        form.addRow("Note", self.note)
        form.addRow("", self.messages["note"])
        layout.addLayout(form)
        layout.addWidget(self.messages["general"])
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        layout.addWidget(buttons)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.any_time.toggled.connect(self._times_toggled)
        self._times_toggled(True)

    def _times_toggled(self, any_time: bool) -> None:
        self.time_from.setEnabled(not any_time)
        self.time_to.setEnabled(not any_time)

    def save(self) -> None:
        for m in self.messages.values():
            m.show_message("")
        patient_id = self.fixed_patient_id if self.picker is None else self.picker.patient_id
        if patient_id is None:
            self.messages["patient"].show_message("Find and choose the patient first.")
            return
        any_time = self.any_time.isChecked()
        try:
            self.saved = self.services.waitlist.add(
                patient_id=patient_id, provider_id=self.provider.currentData(),
                type_id=self.type.currentData(),
                preferred_days="".join(str(i) for i, b in enumerate(self.day_boxes)
                                       if b.isChecked()),
                preferred_from=None if any_time else self.time_from.time().toPython(),
                preferred_to=None if any_time else self.time_to.time().toPython(),
                note=self.note.text(),
            )  # fmt: skip
        except ValidationError as err:
            for name, text in field_errors(err).items():
                self.messages.get(name, self.messages["general"]).show_message(text)
            return
        except MADeskError as err:
            self.messages["general"].show_message(str(err))
            return
        self.accept()
