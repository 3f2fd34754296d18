"""The two identifiers (name and DOB with age), always shown together before charting."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QFrame, QLabel, QWidget

from ma_desk.display_format import date_text
from ma_desk.services.patients import PatientRecord
from ma_desk.ui.common.fit import FlowLayout


class PatientBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("patient_banner")
        self.setProperty("role", "patient-banner")
        self.setAccessibleName("Patient identifiers")
        layout = FlowLayout(self, spacing=18)  # identifiers wrap, never cut, when narrow
        layout.setContentsMargins(12, 8, 12, 8)
        self.name_label = QLabel("No patient selected")
        self.name_label.setObjectName("banner_name")
        self.name_label.setProperty("role", "banner-name")
        self.dob_label = QLabel("")
        self.dob_label.setObjectName("banner_dob")
        self.dob_label.setProperty("role", "banner-dob")
        self.mrn_label = QLabel("")
        self.mrn_label.setObjectName("banner_mrn")
        self.alert_label = QLabel("")
        self.alert_label.setObjectName("banner_alert")
        self.alert_label.setProperty("role", "name-alert")
        self.alert_label.hide()
        for label in (self.name_label, self.dob_label, self.mrn_label, self.alert_label):
            layout.addWidget(label)

    def show_patient(self, patient: PatientRecord | None, today: dt.date, alert: str = "") -> None:
        if patient is None:
            self.name_label.setText("No patient selected")
            self.dob_label.setText("")
            self.mrn_label.setText("")
        else:
            preferred = f' "{patient.preferred_name}"' if patient.preferred_name else ""
            self.name_label.setText(f"{patient.last_name}, {patient.first_name}{preferred}")
            self.dob_label.setText(f"DOB {date_text(patient.dob)} ({age_text(patient.dob, today)})")
            self.mrn_label.setText(f"MRN {patient.mrn}")
        self.alert_label.setText(alert)
        self.alert_label.setVisible(bool(alert))


def age_text(dob: dt.date, today: dt.date) -> str:
    """Age as clinicians write it: days under 1 month, months under 2 years, else years."""
    days = (today - dob).days
    if days < 31:
        return f"{days} d"
    months = (today.year - dob.year) * 12 + today.month - dob.month - (today.day < dob.day)
    if months < 24:
        return f"{months} mo"
    return f"{months // 12} y"
