"""The Audit trail view (administrators): filter by user, patient, dates, action; export CSV.

Queries run through ``services.audit_log`` which refuses anyone but an
administrator and audits each query and export. Patients are shown by MRN.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import compact_date, qt_date_format, seconds_text
from ma_desk.errors import MADeskError, ValidationError
from ma_desk.services import Services
from ma_desk.services.audit_log import AuditFilter, AuditRow
from ma_desk.ui.common import palette, replace_file
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named

AUDIT_COLUMNS: list[Column[AuditRow]] = [
    Column("#", lambda r: r.id, align_right=True),
    Column("Time", lambda r: seconds_text(r.at_local)),
    Column("User", lambda r: r.username),
    Column("Workstation", lambda r: r.workstation),
    Column(
        "Action",
        lambda r: r.action + (" ⚠ emergency" if r.break_glass else ""),
        background=lambda r: palette.ROSE_AUDIT if r.break_glass else None,
    ),  # fmt: skip
    Column("Entity", lambda r: f"{r.entity} {r.entity_id}".strip()),
    Column("Patient", lambda r: r.mrn),
    Column(
        "Outcome",
        lambda r: r.outcome,
        foreground=lambda r: None if r.outcome == "success" else palette.ERROR_TEXT,
    ),  # fmt: skip
    Column(
        "Details", lambda r: r.details if r.details != "{}" else "", tooltip=lambda r: r.details
    ),  # fmt: skip
]


def ask_save_path(parent: QWidget | None, suggested: str) -> Path | None:
    """Where to export; tests replace this function."""
    path, _ = QFileDialog.getSaveFileName(parent, "Export audit trail", suggested, "CSV (*.csv)",
                                          options=replace_file.SAVE_OPTIONS)  # fmt: skip
    return Path(path) if path else None


def patient_id_from_text(text: str) -> int | None:
    """An MRN like M100042 (or an internal number) -> patient id; blank -> None."""
    clean = text.strip().upper()
    if not clean:
        return None
    digits = clean[1:] if clean.startswith("M") else clean
    if not digits.isdigit():
        raise ValidationError("Type the patient's MRN, like M100042.", field="patient")
    value = int(digits)
    return value - 100000 if clean.startswith("M") else value


class AuditDialog(QDialog):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("audit_dialog")
        self.setWindowTitle("Audit trail")
        self.resize(1200, 640)
        self.services = services
        today = services.now().date()

        self.user = named(QComboBox(), "audit_user", "Filter by user")
        self.user.setEditable(True)
        self.user.addItem("")
        self.user.addItems([u.username for u in services.accounts.list_users()])
        self.patient = named(QLineEdit(), "audit_patient", "Filter by patient MRN")
        self.patient.setPlaceholderText("MRN, e.g. M100042")
        self.use_dates = named(QCheckBox("Dates"), "audit_use_dates", "Filter by dates")
        self.use_dates.setChecked(True)
        self.start = named(QDateEdit(QDate(today.year, today.month, today.day).addDays(-7)),
                           "audit_start", "From date")  # fmt: skip
        self.end = named(QDateEdit(QDate(today.year, today.month, today.day)), "audit_end",
                         "To date")  # fmt: skip
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat(qt_date_format())
            whole_field_tab(edit)
        self.action = named(QComboBox(), "audit_action", "Filter by action")
        self.action.addItem("")
        self.action.addItems(services.audit_log.actions())
        self.message = FieldMessage("audit")
        search = named(QPushButton("Search"), "audit_search", "Search")
        search.setDefault(True)
        search.clicked.connect(self.search)
        export = named(QPushButton("Export CSV…"), "audit_export", "Export CSV")
        export.clicked.connect(self.export)
        verify = named(QPushButton("Verify chain"), "audit_verify", "Verify chain")
        verify.clicked.connect(self.verify)
        self.count = QLabel()
        self.count.setObjectName("audit_count")

        grid = QGridLayout()
        grid.addWidget(QLabel("User"), 0, 0)
        grid.addWidget(self.user, 0, 1)
        grid.addWidget(QLabel("Patient"), 0, 2)
        grid.addWidget(self.patient, 0, 3)
        grid.addWidget(QLabel("Action"), 0, 4)
        grid.addWidget(self.action, 0, 5)
        grid.addWidget(self.use_dates, 1, 0)
        grid.addWidget(self.start, 1, 1)
        grid.addWidget(QLabel("to"), 1, 2)
        grid.addWidget(self.end, 1, 3)
        grid.addWidget(search, 1, 5)
        self.model: RowTableModel[AuditRow] = RowTableModel(AUDIT_COLUMNS, self)
        self.table = make_table("audit_table", "Audit entries")
        self.table.setModel(self.model)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count)
        bottom.addStretch(1)
        bottom.addWidget(verify)
        bottom.addWidget(export)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.search()

    def current_filter(self) -> AuditFilter:
        start = end = None
        if self.use_dates.isChecked():
            start = _date(self.start.date())
            end = _date(self.end.date())
        return AuditFilter(username=self.user.currentText().strip(),
                           patient_id=patient_id_from_text(self.patient.text()),
                           start=start, end=end, action=self.action.currentText())  # fmt: skip

    def search(self) -> None:
        self.message.show_message("")
        try:
            rows = self.services.audit_log.search(self.current_filter())
        except MADeskError as exc:
            self.message.show_message(str(exc))
            return
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self.count.setText(f"{len(rows):,} entries (newest first)")

    def export(self) -> None:
        self.message.show_message("")
        try:
            flt = self.current_filter()
        except MADeskError as exc:
            self.message.show_message(str(exc))
            return
        chosen = ask_save_path(self, f"audit-{compact_date(self.services.now())}.csv")
        save = replace_file.save_target(self, chosen)
        if save is None:
            return
        target, replace = save
        try:
            count = self.services.audit_log.export_csv(flt, target, replace=replace)
        except MADeskError as exc:
            self.message.show_message(str(exc))
            return
        self.count.setText(f"{count:,} entries exported to {target.name}")

    def verify(self) -> None:
        try:
            report = self.services.audit_log.verify()
        except MADeskError as exc:
            self.message.show_message(str(exc))
            return
        notes = "\n".join(report.notes)
        if report.problems:
            listed = "\n".join(str(p) for p in report.problems[:20])
            dialogs.warn(self, "Audit trail damaged",
                         f"{len(report.problems)} problem(s) found:\n{listed}\n\n{notes}")  # fmt: skip
        else:
            checked = ", ".join(report.anchors_checked) or "no outside anchor"
            dialogs.info(self, "Audit trail",
                         f"The audit trail is intact: {report.entries:,} entries checked "
                         f"against the chain, its head, {checked}.\n\n{notes}")  # fmt: skip
        self.search()


def _date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())
