"""Arrive: copay, chief complaint, forms signed, then the Arrived mark (creates the Visit).

The appointment list holds the patient's appointments today plus a walk-in
choice; a walk-in needs a provider and a kind of visit and gets an
appointment booked for now in the same transaction.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical import flow
from ma_desk.display_format import time_text
from ma_desk.errors import MADeskError, NeedsConfirmation
from ma_desk.services import Services
from ma_desk.services.checkin import (
    COPAY_METHODS,
    ArrivalInput,
    ArrivalResult,
    TodayAppointment,
    format_cents,
)
from ma_desk.ui.checkin.fields import FieldGrid
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.fit import FlowLayout, wrapping
from ma_desk.ui.common.widgets import named

WALK_IN = -1


class ArrivePanel(QGroupBox):
    """Emits ``arrived(result)`` once the visit exists."""

    arrived = Signal(object)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__("Arrive", parent)
        self.services = services
        self.patient_id: int | None = None
        self._appointments: list[TodayAppointment] = []
        layout = QVBoxLayout(self)

        self.form = FieldGrid("arrive", columns=3)
        self.appointment = self.form.add_combo("appointment", "Appointment today", [])
        self.provider = self.form.add_combo("provider", "Walk-in: provider", [])
        self.visit_type = self.form.add_combo("type", "Walk-in: kind of visit", [])
        self.expected = named(wrapping(QLabel("")), "arrive_expected", "Expected copay")
        self.expected.setProperty("role", "expected-copay")
        self.copay = self.form.add_line("copay", "Copay collected ($)", "0.00", max_length=20)
        self.method = self.form.add_combo("method", "Paid by", ["", *COPAY_METHODS])
        self.receipt = self.form.add_line("receipt", "Receipt number", "", max_length=40)
        layout.addWidget(self.form)
        layout.addWidget(self.expected)

        forms_row = QHBoxLayout()
        forms_row.addWidget(QLabel("Forms signed:"))
        self.forms_box = FlowLayout()  # the clinic's forms wrap onto more lines when narrow
        forms_row.addLayout(self.forms_box, 1)
        layout.addLayout(forms_row)
        self.forms_message = FieldMessage("arrive_forms")
        layout.addWidget(self.forms_message)
        self.form_checks: list[QCheckBox] = []
        self.complaint_form = FieldGrid("arrive", columns=1)
        self.complaint = self.complaint_form.add_line(
            "chief_complaint",
            "Chief complaint / reason for visit (Enter marks arrived)",
            "In the patient's words",
            max_length=500,
        )
        layout.addWidget(self.complaint_form)

        actions = QHBoxLayout()
        self.arrive_button = named(
            QPushButton("Mark &arrived (Ctrl+Enter)"), "arrive_button", "Mark arrived"
        )
        self.arrive_button.setProperty("role", "primary")
        self.arrive_button.setStyleSheet(
            f"QPushButton:disabled {{ background: {palette.DISABLED_FILL}; border-color: {palette.BORDER}; color: {palette.MUTED_TEXT}; }}"
        )
        self.arrive_button.setAutoDefault(True)
        self.result_label = named(QLabel(""), "arrive_result", "Arrival result")
        self.result_label.setWordWrap(True)
        actions.addWidget(self.arrive_button)
        actions.addWidget(self.result_label, 1)
        layout.addLayout(actions)

        self.appointment.currentIndexChanged.connect(self._appointment_changed)
        self.visit_type.currentIndexChanged.connect(self._update_expected)
        self.complaint.returnPressed.connect(self.arrive)
        self.receipt.returnPressed.connect(self.complaint.setFocus)
        self.copay.returnPressed.connect(self.method.setFocus)
        self.arrive_button.clicked.connect(self.arrive)

    # ------------------------------------------------------------- loading
    def reload_reference(self) -> None:
        """Providers, visit kinds and the clinic's forms (they change rarely)."""
        try:
            providers = self.services.schedule.providers()
            types = self.services.schedule.appointment_types()
            forms = self.services.checkin.forms()
        except MADeskError:
            providers, types, forms = [], [], []
        self.provider.clear()
        for p in providers:
            self.provider.addItem(p.display_name, p.id)
        self.visit_type.clear()
        for t in types:
            self.visit_type.addItem(t.name, t.id)
        sick = self.visit_type.findText("Sick visit")
        if sick >= 0:
            self.visit_type.setCurrentIndex(sick)
        if [c.text() for c in self.form_checks] == forms:
            return
        for check in self.form_checks:
            self.forms_box.removeWidget(check)
            check.hide()
            check.deleteLater()
        self.form_checks = []
        for number, name in enumerate(forms):
            check = named(QCheckBox(name), f"arrive_form_{number}", f"Signed: {name}")
            self.forms_box.addWidget(check)
            self.form_checks.append(check)
        chain = [self.copay, self.method, self.receipt, *self.form_checks, self.complaint,
                 self.arrive_button]  # fmt: skip
        for before, after in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(before, after)

    def load(self, patient_id: int | None, *, keep_result: bool = False) -> None:
        self.patient_id = patient_id
        self.form.clear_errors()
        self.complaint_form.clear_errors()
        self.forms_message.show_message("")
        if not keep_result:
            self.result_label.setText("")
        for check in self.form_checks:
            check.setChecked(False)
        self.receipt.clear()
        self.method.setCurrentIndex(0)
        self.appointment.blockSignals(True)
        self.appointment.clear()
        self._appointments = []
        if patient_id is not None:
            try:
                self._appointments = self.services.checkin.todays_appointments(patient_id)
            except MADeskError as exc:
                self.result_label.setText(str(exc))
        for appt in self._appointments:
            self.appointment.addItem(appt.label, appt.id)
        self.appointment.addItem("Walk-in: no appointment today (book one for now)", WALK_IN)
        # An open appointment first; else the one already arrived (so a second Enter cannot
        # check the patient in again as a walk-in); walk-in only when nothing is booked.
        first_open = next((i for i, a in enumerate(self._appointments) if a.can_arrive), None)
        self.appointment.setCurrentIndex(first_open if first_open is not None else 0)
        self.appointment.blockSignals(False)
        self.setEnabled(patient_id is not None)
        self._appointment_changed()

    def _selected(self) -> TodayAppointment | None:
        appt_id = self.appointment.currentData()
        return next((a for a in self._appointments if a.id == appt_id), None)

    def _appointment_changed(self, *_args) -> None:
        walk_in = self.appointment.currentData() == WALK_IN
        for name in ("provider", "type"):
            self.form.editors[name].setEnabled(walk_in)
        appt = self._selected()
        self.complaint.setText(appt.reason if appt else "")
        self.complaint.setCursorPosition(0)
        closed = appt is not None and not appt.can_arrive
        for widget in (self.copay, self.method, self.receipt, self.complaint, *self.form_checks):
            widget.setEnabled(not closed)
        self.arrive_button.setEnabled(not closed)
        self._update_expected()
        if closed and appt is not None:
            state = flow.LABELS.get(appt.status, appt.status).lower()
            self.expected.setText(
                f"This appointment is already {state}. Choose the walk-in line to start "
                "another visit today."
            )
            self.copay.clear()

    def expected_cents(self) -> int:
        appt = self._selected()
        if appt is not None:
            return appt.expected_copay_cents
        if self.patient_id is None or self.visit_type.currentIndex() < 0:
            return 0
        try:
            return self.services.checkin.expected_copay(
                self.patient_id, self.visit_type.currentText()
            )
        except MADeskError:
            return 0

    def _update_expected(self, *_args) -> None:
        if self.patient_id is None:
            self.expected.setText("")
            return
        cents = self.expected_cents()
        self.expected.setText(
            f"Expected copay from the insurance on file: {format_cents(cents)}"
            if cents
            else "No copay expected from the insurance on file."
        )
        self.copay.setText(f"{cents / 100:.2f}" if cents else "")
        self.copay.selectAll()

    # ------------------------------------------------------------- arriving
    def collected(self) -> ArrivalInput:
        return ArrivalInput(
            copay=self.copay.text(),
            method=self.method.currentText(),
            receipt=self.receipt.text(),
            chief_complaint=self.complaint.text(),
            forms_signed=tuple(c.text() for c in self.form_checks if c.isChecked()),
        )

    def arrive(self) -> None:
        if self.patient_id is None:
            return
        self.form.clear_errors()
        self.complaint_form.clear_errors()
        self.forms_message.show_message("")
        data = self.collected()
        try:
            result = self._submit(data, confirm_unverified=False)
        except NeedsConfirmation as exc:
            if not dialogs.confirm(self, "Not verified today", str(exc)):
                self.result_label.setText("Not arrived: verify the patient's details first.")
                return
            try:
                result = self._submit(data, confirm_unverified=True)
            except MADeskError as again:
                self._show_error(again)
                return
        except MADeskError as exc:
            self._show_error(exc)
            return
        self._show_result(result)
        self.arrived.emit(result)

    def _submit(self, data: ArrivalInput, *, confirm_unverified: bool) -> ArrivalResult:
        assert self.patient_id is not None
        if self.appointment.currentData() == WALK_IN:
            return self.services.checkin.walk_in(
                self.patient_id,
                provider_id=self.provider.currentData() or 0,
                type_id=self.visit_type.currentData() or 0,
                data=data,
                confirm_unverified=confirm_unverified,
            )
        return self.services.checkin.arrive(
            int(self.appointment.currentData()), data, confirm_unverified=confirm_unverified
        )

    def _show_error(self, exc: MADeskError) -> None:
        errors = field_errors(exc)
        self.forms_message.show_message(errors.pop("forms", ""))
        first_top = self.form.show_errors(errors)
        first_complaint = self.complaint_form.show_errors(errors)
        first = first_top or first_complaint
        if first is not None:
            grid = self.form if first_top else self.complaint_form
            grid.editors[first].setFocus()
            self.result_label.setText("Not arrived: fix the marked fields.")
        else:
            self.result_label.setText(f"Not arrived: {exc}")
        self.result_label.setProperty("state", "error")
        self._repolish()

    def _show_result(self, result: ArrivalResult) -> None:
        paid = (
            f"copay {format_cents(result.copay_collected_cents)} collected"
            if result.copay_collected_cents
            else "no copay collected"
        )
        kind = "Walk-in arrived" if result.is_walk_in else "Arrived"
        self.result_label.setText(
            f"✔ {kind} at {time_text(result.arrived_at)}; visit created; {paid}."
        )
        self.result_label.setProperty("state", "ok")
        self._repolish()

    def _repolish(self) -> None:
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)
