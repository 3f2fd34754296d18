"""Vitals tab: the selected patient's identifiers and vital-sign history."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout

from ma_desk.clinical import codes
from ma_desk.services.vitals import VitalSetRow
from ma_desk.ui.common.patient_banner import PatientBanner
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table
from ma_desk.ui.tab_base import Tab


def _fmt(value: float | None, digits: int = 0, suffix: str = "") -> str:
    return "" if value is None else f"{value:.{digits}f}{suffix}"


COLUMNS: list[Column[VitalSetRow]] = [
    Column("Taken", lambda r: f"{r.taken_at:%m/%d/%Y %H:%M}"),
    Column("BP", lambda r: r.blood_pressure),
    Column("Pulse", lambda r: _fmt(r.get(codes.HEART_RATE)), align_right=True),
    Column("Resp", lambda r: _fmt(r.get(codes.RESPIRATORY_RATE)), align_right=True),
    Column("Temp °F", lambda r: _fmt(None if r.get(codes.TEMPERATURE) is None else r.get(codes.TEMPERATURE) * 9 / 5 + 32, 1), align_right=True),
    Column("SpO2", lambda r: _fmt(r.get(codes.SPO2), 0, " %"), align_right=True),
    Column("Weight lb", lambda r: _fmt(None if r.get(codes.WEIGHT) is None else r.get(codes.WEIGHT) / 0.45359237, 1), align_right=True),
    Column("BMI", lambda r: _fmt(r.get(codes.BMI), 1), align_right=True),
    Column("Pain", lambda r: _fmt(r.get(codes.PAIN)), align_right=True),
]  # fmt: skip


class VitalsTab(Tab):
    title = "Vitals"

    def __init__(self, services, selection, parent=None):
        super().__init__(services, selection, parent)
        layout = QVBoxLayout(self)
        self.banner = PatientBanner()
        layout.addWidget(self.banner)
        layout.addWidget(QLabel("Vital-sign history"))
        self.model: RowTableModel[VitalSetRow] = RowTableModel(COLUMNS, self)
        self.table = make_table("vitals_history", "Vital-sign history")
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
        self.model.set_rows(self.services.vitals.history(patient_id))
        self.table.resizeColumnsToContents()
