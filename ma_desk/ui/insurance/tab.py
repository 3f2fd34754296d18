"""Insurance tab: the selected patient's coverages on file."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout

from ma_desk.services.insurance import CoverageRow
from ma_desk.ui.common.patient_banner import PatientBanner
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table
from ma_desk.ui.tab_base import Tab

COLUMNS: list[Column[CoverageRow]] = [
    Column("Order", lambda c: c.priority_label),
    Column("Payer", lambda c: c.payer),
    Column("Plan", lambda c: c.plan),
    Column("Member ID", lambda c: c.member_id),
    Column("Group", lambda c: c.group_number),
    Column("Copay", lambda c: f"${c.default_copay_cents / 100:.2f}", align_right=True),
    Column(
        "Last verified",
        lambda c: f"{c.last_verified_at:%m/%d/%Y}" if c.last_verified_at else "never",
    ),
]


class InsuranceTab(Tab):
    title = "Insurance"

    def __init__(self, services, selection, parent=None):
        super().__init__(services, selection, parent)
        layout = QVBoxLayout(self)
        self.banner = PatientBanner()
        layout.addWidget(self.banner)
        self.model: RowTableModel[CoverageRow] = RowTableModel(COLUMNS, self)
        self.table = make_table("insurance_coverages", "Coverages on file")
        self.table.setModel(self.model)
        layout.addWidget(self.table, 1)
        selection.patient_changed.connect(self.show_patient)

    def show_patient(self, patient_id) -> None:
        today = self.services.ctx.clock.now().date()
        if patient_id is None:
            self.banner.show_patient(None, today)
            self.model.set_rows([])
            return
        self.banner.show_patient(self.services.patients.get(patient_id), today)
        self.model.set_rows(self.services.insurance.coverages(patient_id))
        self.table.resizeColumnsToContents()
