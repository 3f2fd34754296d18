"""Book or edit an appointment: patient, provider, type, time, length, reason, repeat.

Warnings (double booking, outside hours, patient already booked) show live
while the form is filled in; on save the user may confirm past them. Errors
(in the past, zero length, unknown patient) are shown next to the field and
nothing is saved. An edit is saved against the version the dialog opened: when
another workstation saved the visit meanwhile, the conflict bar names who, when
and where, compares, and re-applies the user's changes on the saved version.
"""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ma_desk.display_format import (
    date_text,
    qt_date_format,
    qt_time_format,
    qt_weekday_date_format,
    time_text,
)
from ma_desk.errors import MADeskError, NeedsConfirmation, StaleVersionError, ValidationError
from ma_desk.services.schedule import AppointmentRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.conflict import ConflictBar, differences
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.role_gate import gate
from ma_desk.ui.common.widgets import named
from ma_desk.ui.schedule.patient_picker import PatientPicker

REPEAT_CHOICES = [("Does not repeat", None), ("Every N days", "days"),
                  ("Every N weeks", "weeks"), ("Every N months", "months")]  # fmt: skip
FIELDS = ("patient", "provider", "type", "start", "minutes", "reason", "interval", "count",
          "until", "frequency", "scope")  # fmt: skip
# What an edit can change, as compared after a conflict.
EDITED = {"provider": "Provider", "type": "Type", "date": "Date", "time": "Time",
          "minutes": "Length", "reason": "Reason"}  # fmt: skip


class AppointmentDialog(QDialog):
    """``appointment`` None = book a new visit at ``start`` with ``provider_id``."""

    def __init__(
        self,
        services,
        *,
        start: dt.datetime,
        provider_id: int,
        appointment: AppointmentRow | None = None,
        type_id: int | None = None,
        patient_id: int | None = None,
        waitlist_entry_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.appointment = appointment
        self.waitlist_entry_id = waitlist_entry_id
        self.saved: list[AppointmentRow] = []
        self.setObjectName("appointment_dialog")
        self.setWindowTitle("Edit appointment" if appointment else "Book appointment")
        self.setMinimumWidth(620)
        self._types = services.schedule.appointment_types()
        self._providers = services.schedule.providers()
        self._minutes_touched = appointment is not None
        layout = QVBoxLayout(self)
        self.conflict = ConflictBar("appointment")
        self.conflict.reapply.connect(self.reapply_mine)
        layout.addWidget(self.conflict)
        form = QFormLayout()
        self.messages = {name: FieldMessage(f"appointment_{name}") for name in FIELDS}

        self.picker: PatientPicker | None = None
        self.fixed_patient_id = patient_id
        if appointment is not None:
            self.fixed_patient_id = appointment.patient_id
            label = QLabel(f"<b>{html.escape(appointment.patient_name)}</b> · DOB "
                           f"{date_text(appointment.patient_dob)} · {html.escape(appointment.mrn)}")  # fmt: skip
            label.setObjectName("appointment_patient_label")
            form.addRow("Patient", label)
        elif patient_id is not None:
            p = services.patients.get(patient_id)
            label = QLabel(
                f"<b>{html.escape(p.full_name)}</b> · DOB {date_text(p.dob)} · {html.escape(p.mrn)}"
            )
            label.setObjectName("appointment_patient_label")
            form.addRow("Patient", label)
        else:
            self.picker = PatientPicker(services, "appointment")
            form.addRow("Patient", self.picker)
        form.addRow("", self.messages["patient"])

        self.provider = named(QComboBox(), "appointment_provider", "Provider")
        for p in self._providers:
            self.provider.addItem(p.display_name, p.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(
            appointment.provider_id if appointment else provider_id)))  # fmt: skip
        form.addRow("Provider", self.provider)
        form.addRow("", self.messages["provider"])

        self.type = named(QComboBox(), "appointment_type", "Appointment type")
        for t in self._types:
            self.type.addItem(f"{t.name} ({t.default_minutes} min)", t.id)
        wanted_type = appointment.type_id if appointment else type_id
        if wanted_type is not None:
            self.type.setCurrentIndex(max(0, self.type.findData(wanted_type)))
        form.addRow("Type", self.type)
        form.addRow("", self.messages["type"])

        when = appointment.start if appointment else start
        row = QHBoxLayout()
        self.date = named(QDateEdit(QDate(when.year, when.month, when.day)),
                          "appointment_date", "Date")  # fmt: skip
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat(qt_weekday_date_format())
        self.time = named(QTimeEdit(QTime(when.hour, when.minute)), "appointment_time", "Time")
        self.time.setDisplayFormat(qt_time_format())
        whole_field_tab(self.date, self.time)
        self.minutes = named(QSpinBox(), "appointment_minutes", "Length in minutes")
        self.minutes.setRange(0, 480)
        self.minutes.setSuffix(" min")
        self.minutes.setSingleStep(5)
        row.addWidget(self.date)
        row.addWidget(self.time)
        row.addWidget(self.minutes)
        form.addRow("When", row)
        form.addRow("", self.messages["start"])
        form.addRow("", self.messages["minutes"])

        self.reason = named(QLineEdit(appointment.reason if appointment else ""),
                            "appointment_reason", "Reason for visit")  # fmt: skip
        self.reason.setPlaceholderText("Reason for visit (shown on the schedule)")
        form.addRow("Reason", self.reason)
        form.addRow("", self.messages["reason"])

        self.repeat = named(QComboBox(), "appointment_repeat", "Repeat")
        for label, value in REPEAT_CHOICES:
            self.repeat.addItem(label, value)
        self.interval = named(QSpinBox(), "appointment_interval", "Repeat every")
        self.interval.setRange(1, 52)
        self.end_kind = named(QComboBox(), "appointment_end_kind", "Series ends")
        self.end_kind.addItem("after a number of visits", "count")
        self.end_kind.addItem("on a date", "until")
        self.count = named(QSpinBox(), "appointment_count", "Number of visits")
        self.count.setRange(1, 52)
        self.count.setValue(4)
        self.until = named(QDateEdit(QDate(when.year, when.month, when.day).addMonths(3)),
                           "appointment_until", "Last date of the series")  # fmt: skip
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat(qt_date_format())
        whole_field_tab(self.until)
        self.scope = named(QComboBox(), "appointment_scope", "Apply the change to")
        self.scope.addItem("This visit only", "one")
        self.scope.addItem("This and later visits of the series", "following")
        if appointment is None:
            repeat_row = QHBoxLayout()
            repeat_row.addWidget(self.repeat, 2)
            repeat_row.addWidget(QLabel("every"))
            repeat_row.addWidget(self.interval, 1)
            form.addRow("Repeat", repeat_row)
            ends_row = QHBoxLayout()
            for w in (self.end_kind, self.count, self.until):
                ends_row.addWidget(w, 1)
            form.addRow("Ends", ends_row)
            form.addRow("", self.messages["interval"])
            form.addRow("", self.messages["count"])
            form.addRow("", self.messages["until"])
        elif appointment.series_id is not None:
            form.addRow("Series", self.scope)
        layout.addLayout(form)

        self.warnings = QLabel()
        self.warnings.setObjectName("appointment_warnings")
        self.warnings.setAccessibleName("Booking warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(
            f"color: {palette.FLAG_TEXT}; background: {palette.PEACH_LIGHT}; padding: 4px;"
        )
        self.warnings.hide()
        layout.addWidget(self.warnings)
        self.general = FieldMessage("appointment_general")
        layout.addWidget(self.general)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.setObjectName("appointment_buttons")
        self.role_note = named(QLabel(""), "appointment_role_note", "Why this cannot be saved")
        self.role_note.setWordWrap(True)
        self.role_note.hide()
        layout.addWidget(self.role_note)
        layout.addWidget(self.buttons)
        gate(self.buttons.button(QDialogButtonBox.StandardButton.Save), services,
             "schedule.write", note=self.role_note)  # fmt: skip
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        self.minutes.setValue(appointment.minutes if appointment else self._type_minutes())
        self.type.currentIndexChanged.connect(self._type_changed)
        self.minutes.valueChanged.connect(self._minutes_edited)
        self.repeat.currentIndexChanged.connect(self._repeat_changed)
        self.end_kind.currentIndexChanged.connect(self._repeat_changed)
        for signal in (self.provider.currentIndexChanged, self.date.dateChanged,
                       self.time.timeChanged, self.minutes.valueChanged):  # fmt: skip
            signal.connect(self.refresh_warnings)
        if self.picker is not None:
            self.picker.patient_chosen.connect(lambda _pid: self.refresh_warnings())
            self.picker.search.setFocus()
        else:
            self.reason.setFocus()
        self._repeat_changed()
        self.refresh_warnings()

    # ------------------------------------------------------------- values
    def patient_id(self) -> int | None:
        return self.fixed_patient_id if self.picker is None else self.picker.patient_id

    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date.date().toPython(), self.time.time().toPython())

    def _type_minutes(self) -> int:
        type_id = self.type.currentData()
        return next((t.default_minutes for t in self._types if t.id == type_id), 15)

    def _type_changed(self) -> None:
        if not self._minutes_touched:
            self.minutes.blockSignals(True)
            self.minutes.setValue(self._type_minutes())
            self.minutes.blockSignals(False)
        self.refresh_warnings()

    def _minutes_edited(self) -> None:
        self._minutes_touched = self.minutes.value() != self._type_minutes()

    def _repeat_changed(self) -> None:
        repeating = self.repeat.currentData() is not None
        for w in (self.interval, self.end_kind):
            w.setEnabled(repeating)
        self.count.setEnabled(repeating and self.end_kind.currentData() == "count")
        self.until.setEnabled(repeating and self.end_kind.currentData() == "until")

    def refresh_warnings(self) -> None:
        """Show what the booking would warn about, before Save is pressed."""
        patient_id = self.patient_id()
        if patient_id is None or self.provider.currentData() is None:
            self.warnings.hide()
            return
        warnings = self.services.schedule.warnings_for(
            patient_id=patient_id, provider_id=self.provider.currentData(), start=self.start(),
            minutes=self.minutes.value(),
            ignore_id=self.appointment.id if self.appointment else None,
        )  # fmt: skip
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))

    # ------------------------------------------------------------- saving
    def save(self) -> None:
        for message in (*self.messages.values(), self.general):
            message.show_message("")
        confirm = False
        while True:
            try:
                self.saved = self._call_service(confirm)
            except NeedsConfirmation as warn:
                text = "\n".join(f"• {w}" for w in warn.warnings)
                if not dialogs.confirm(self, "Please confirm", f"{warn.message}\n\n{text}"):
                    return
                confirm = True
                continue
            except ValidationError as err:
                self._show_errors(err)
                return
            except StaleVersionError as err:
                self._show_conflict(err)
                return
            except MADeskError as err:
                self.general.show_message(str(err))
                return
            self.accept()
            return

    def _show_errors(self, err: ValidationError) -> None:
        shown = False
        for name, text in field_errors(err).items():
            target = self.messages.get(name)
            if target is not None:
                target.show_message(text)
                shown = True
        if not shown:
            self.general.show_message(str(err))

    def _call_service(self, confirm: bool) -> list[AppointmentRow]:
        schedule = self.services.schedule
        patient_id = self.patient_id()
        if patient_id is None:
            raise ValidationError("Find and choose the patient first.", field="patient")
        common = dict(provider_id=self.provider.currentData(), type_id=self.type.currentData(),
                      start=self.start(), minutes=self.minutes.value(),
                      reason=self.reason.text(), confirm=confirm)  # fmt: skip
        if self.appointment is not None:
            return schedule.update(self.appointment.id, scope=self.scope.currentData(),
                                   expected_version=self.appointment.version, **common)  # fmt: skip
        frequency = self.repeat.currentData()
        if frequency is None:
            return [schedule.book(patient_id=patient_id,
                                  waitlist_entry_id=self.waitlist_entry_id, **common)]  # fmt: skip
        by_count = self.end_kind.currentData() == "count"
        return schedule.book_series(
            patient_id=patient_id, frequency=frequency, interval=self.interval.value(),
            count=self.count.value() if by_count else None,
            until=None if by_count else self.until.date().toPython(), **common,
        )  # fmt: skip

    # ------------------------------------------------------------- conflicts
    def typed_values(self) -> dict[str, str]:
        """The edit as the form shows it, as text."""
        return {
            "provider": self.provider.currentText(),
            "type": self.type.currentText(),
            "date": date_text(self.date.date().toPython()),
            "time": time_text(self.time.time().toPython()),
            "minutes": str(self.minutes.value()),
            "reason": self.reason.text(),
        }

    def _row_values(self, row: AppointmentRow) -> dict[str, str]:
        index = self.type.findData(row.type_id)
        return {
            "provider": row.provider_name,
            "type": self.type.itemText(index) if index >= 0 else row.type_name,
            "date": date_text(row.start),
            "time": time_text(row.start),
            "minutes": str(row.minutes),
            "reason": row.reason,
        }

    def _show_conflict(self, error: StaleVersionError) -> None:
        saved = self._row_values(error.current) if isinstance(error.current, AppointmentRow) else {}
        self.conflict.show_conflict(error, differences(EDITED, saved, self.typed_values()))

    def reapply_mine(self) -> None:
        """Take the saved visit, keep what the user changed where it differs, save again."""
        error = self.conflict.error
        if (
            error is None
            or not isinstance(error.current, AppointmentRow)
            or self.appointment is None
        ):
            return
        loaded = self._row_values(self.appointment)
        mine = {k for k, v in self.typed_values().items() if v != loaded[k]}
        current: AppointmentRow = error.current
        self.appointment = current
        self.conflict.clear()
        if "provider" not in mine:
            self.provider.setCurrentIndex(max(0, self.provider.findData(current.provider_id)))
        if "type" not in mine:
            self.type.setCurrentIndex(max(0, self.type.findData(current.type_id)))
        if "date" not in mine:
            self.date.setDate(QDate(current.start.year, current.start.month, current.start.day))
        if "time" not in mine:
            self.time.setTime(QTime(current.start.hour, current.start.minute))
        if "minutes" not in mine:
            self.minutes.setValue(current.minutes)
        if "reason" not in mine:
            self.reason.setText(current.reason)
        self.save()
