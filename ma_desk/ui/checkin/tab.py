"""Check-in tab: find the patient as you type and confirm who they are."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout

from ma_desk.errors import MADeskError
from ma_desk.services.patients import PatientHit
from ma_desk.ui.common.patient_banner import PatientBanner
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.tab_base import Tab

COLUMNS: list[Column[PatientHit]] = [
    Column("Today", lambda h: f"{h.appointment_time:%H:%M}" if h.appointment_time else ""),
    Column("Patient", lambda h: h.full_name),
    Column("DOB", lambda h: f"{h.dob:%m/%d/%Y}"),
    Column("MRN", lambda h: h.mrn),
    Column("Phone", lambda h: h.phone),
    Column("Provider", lambda h: h.provider_name),
]

DETAIL_FIELDS = [
    ("Phone", "phone"), ("Email", "email"), ("Address", "address1"), ("City", "city"),
    ("State / ZIP", None), ("Language", "preferred_language"), ("Emergency contact", None),
    ("Allergies", "allergies"),
]  # fmt: skip


class CheckinTab(Tab):
    title = "Check-in"

    def __init__(self, services, selection, parent=None):
        super().__init__(services, selection, parent)
        layout = QVBoxLayout(self)
        self.search = named(QLineEdit(), "checkin_search", "Find patient")
        self.search.setPlaceholderText(
            "Find patient: last name, first  ·  DOB 04/05/1980  ·  MRN  ·  phone"
        )
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        body = QHBoxLayout()
        self.model: RowTableModel[PatientHit] = RowTableModel(COLUMNS, self)
        self.results = make_table("checkin_results", "Matching patients")
        self.results.setModel(self.model)
        body.addWidget(self.results, 3)
        details_box = QGroupBox("Patient on file")
        details = QVBoxLayout(details_box)
        self.banner = PatientBanner()
        details.addWidget(self.banner)
        form = QFormLayout()
        self.detail_labels: dict[str, QLabel] = {}
        for label, _attr in DETAIL_FIELDS:
            value = QLabel("")
            value.setObjectName(
                f"checkin_detail_{label.lower().replace(' ', '_').replace('/', '')}"
            )
            value.setWordWrap(True)
            form.addRow(label, value)
            self.detail_labels[label] = value
        details.addLayout(form)
        details.addStretch(1)
        body.addWidget(details_box, 2)
        layout.addLayout(body, 1)
        self.search.textChanged.connect(self.run_search)
        self.results.selectionModel().currentRowChanged.connect(self._row_changed)
        selection.patient_changed.connect(self.show_patient)

    def run_search(self, text: str) -> None:
        try:
            hits = self.services.patients.search(text)
        except MADeskError:
            hits = []
        self.model.set_rows(hits)
        self.results.resizeColumnsToContents()

    def _row_changed(self, current, _previous) -> None:
        hit = self.model.row_at(current.row())
        if hit is not None:
            self.selection.select_patient(hit.id)

    def show_patient(self, patient_id) -> None:
        today = self.services.ctx.clock.now().date()
        if patient_id is None:
            self.banner.show_patient(None, today)
            for value in self.detail_labels.values():
                value.setText("")
            return
        p = self.services.patients.get(patient_id)
        self.banner.show_patient(p, today)
        values = {
            "Phone": p.phone, "Email": p.email, "Address": p.address1, "City": p.city,
            "State / ZIP": f"{p.state} {p.zip}".strip(), "Language": p.preferred_language,
            "Emergency contact": f"{p.emergency_name} ({p.emergency_relation}) {p.emergency_phone}".strip(),
            "Allergies": p.allergies or "None recorded",
        }  # fmt: skip
        for label, value in values.items():
            self.detail_labels[label].setText(value)

    def activated(self) -> None:
        self.search.setFocus()
