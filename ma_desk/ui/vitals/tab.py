"""Vitals tab: enter a full set fast and safely, see history and trends, correct entries.

Follows the shared selection: the patient's identifiers stay on top, new vitals attach to
the selected appointment's visit (or the patient's visit today). All rules are in
``ma_desk.clinical.vitals``; all writes go through ``services.vitals``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical import vitals as rules
from ma_desk.display_format import date_time_text, time_text
from ma_desk.errors import MADeskError, NeedsConfirmation, ValidationError
from ma_desk.services.patients import PatientRecord
from ma_desk.services.vitals import FINAL, UnlikelyValues, VitalSetRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.fit import FlowLayout, keep_panels, scrolling, scrolls_sideways, wrapping
from ma_desk.ui.common.patient_banner import PatientBanner
from ma_desk.ui.common.role_gate import gate
from ma_desk.ui.common.table_model import ROW_ROLE, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.live import kept_scroll, refresh_quietly
from ma_desk.ui.tab_base import Tab
from ma_desk.ui.vitals.acknowledge import acknowledgement, unlikely
from ma_desk.ui.vitals.charts import TrendCharts
from ma_desk.ui.vitals.entry_form import VitalsEntryForm
from ma_desk.ui.vitals.history import history_columns

if TYPE_CHECKING:
    from ma_desk.services import Services
    from ma_desk.ui.selection import Selection

NO_PATIENT = "Choose a patient on the Schedule or Check-in tab to record vitals."


class VitalsTab(Tab):
    title = "Vitals"

    def __init__(self, services: Services, selection: Selection, parent: QWidget | None = None):
        super().__init__(services, selection, parent)
        self.patient: PatientRecord | None = None
        self.context: rules.PatientContext | None = None
        self.amending: VitalSetRow | None = None
        self.preferred_units = rules.default_units()

        layout = QVBoxLayout(self)
        self.banner = PatientBanner()
        layout.addWidget(self.banner)
        info = QHBoxLayout()
        self.visit_label = named(wrapping(QLabel("")), "vitals_visit", "Visit the vitals attach to")
        self.status_label = named(QLabel(""), "vitals_status", "Vitals status")
        self.status_label.setWordWrap(True)
        self.tasks_label = named(QLabel(""), "vitals_open_tasks", "Open notify-provider items")
        self.tasks_label.setWordWrap(True)
        self.tasks_label.setStyleSheet(f"color: {palette.CRITICAL_TEXT}; font-weight: bold;")
        self.tasks_label.hide()
        info.addWidget(self.visit_label, 1)
        info.addSpacing(16)
        info.addWidget(wrapping(self.tasks_label), 1)
        layout.addLayout(info)
        layout.addWidget(self.status_label)
        self.role_note = named(wrapping(QLabel("")), "vitals_role_note", "Why vitals are read-only")
        self.role_note.hide()
        layout.addWidget(self.role_note)
        self.no_patient_note = named(wrapping(QLabel(NO_PATIENT)), "vitals_no_patient",
                                     "Why vitals entry is disabled")  # fmt: skip
        layout.addWidget(self.no_patient_note)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.entry = VitalsEntryForm()
        entry_panel = QWidget()
        entry_box = QVBoxLayout(entry_panel)
        entry_box.setContentsMargins(0, 0, 0, 0)
        entry_box.addWidget(scrolling(self.entry, "vitals_entry_scroll"), 1)
        pinned = self.entry.take_action_row()  # Save stays in view however far it scrolls
        pinned.setContentsMargins(8, 4, 8, 4)
        entry_box.addWidget(pinned)
        self.entry_actions = pinned
        splitter.addWidget(entry_panel)

        self.side = QTabWidget()
        self.side.setObjectName("vitals_side")
        self.side.setAccessibleName("Vital-sign history and trends")
        history_page = QWidget()
        history_layout = QVBoxLayout(history_page)
        history_layout.setContentsMargins(0, 0, 0, 0)
        self.table = scrolls_sideways(make_table("vitals_history", "Vital-sign history"))
        self._make_model()
        history_layout.addWidget(self.table, 1)
        buttons = FlowLayout()
        self.show_all = named(QCheckBox("Show corrected and voided sets"), "vitals_show_all")
        self.show_all.toggled.connect(lambda _on: self.reload())
        self.amend_button = named(QPushButton("Amend selected…"), "vitals_amend", "Amend selected set")  # fmt: skip
        self.error_button = named(QPushButton("Mark entered in error…"), "vitals_entered_in_error", "Mark selected set entered in error")  # fmt: skip
        self.amend_button.clicked.connect(self.start_amend)
        self.error_button.clicked.connect(self.mark_entered_in_error)
        buttons.addWidget(self.show_all)
        buttons.addWidget(self.amend_button)
        buttons.addWidget(self.error_button)
        history_layout.addLayout(buttons)
        self.side.addTab(history_page, "History")
        self.charts = TrendCharts()
        self.side.addTab(scrolling(self.charts, "vitals_trends_scroll"), "Trends")
        splitter.addWidget(self.side)
        keep_panels(splitter, (3, 2))
        splitter.setSizes([900, 500])
        layout.addWidget(splitter, 1)

        # Read-only for a role that may not record vitals: fields and Save disabled, the
        # reason on screen, the history still readable.
        gate(self.entry, services, "vitals.write", note=self.role_note)
        gate(self.entry.save_button, services, "vitals.write")  # pinned outside the form
        gate(self.amend_button, services, "vitals.write")
        gate(self.error_button, services, "vitals.write")
        self.entry.save_requested.connect(self.save)
        self.entry.cancel_requested.connect(self.cancel)
        selection.patient_changed.connect(self.show_patient)
        selection.appointment_changed.connect(lambda _a: self._show_visit())
        selection.data_changed.connect(self._on_data_changed)
        selection.remote_changed.connect(self._remote_changed)
        self.show_patient(selection.patient_id)

    # ------------------------------------------------------------------ loading
    def activated(self) -> None:
        if self.patient is not None and not self.entry.has_input():
            self.show_patient(self.patient.id)

    def focus_first(self) -> None:
        if self.patient is None or not self.entry.isEnabled():  # nothing to type here yet
            super().focus_first()
        else:
            self.entry.focus_first_empty()

    def show_patient(self, patient_id) -> None:
        today = self.services.now().date()
        self.amending = None
        self.status_label.setText("")
        self._set_status_role("")
        settings = self.services.settings.get()
        self.preferred_units = rules.default_units(
            settings.units_weight, settings.units_length, settings.units_temperature
        )
        if self.model.columnCount() and self._model_units != self.preferred_units:
            self._make_model()
        if patient_id is None:
            self.patient = self.context = None
            self._enable_entry()
            self.banner.show_patient(None, today)
            self.entry.set_context(None, default_units=self.preferred_units)
            self.model.set_rows([])
            self.charts.show_history([], dob=None)
            self._show_visit()
            self._update_buttons()
            return
        try:
            self.patient = self.services.patients.get(patient_id)
            self.context = self.services.vitals.context(patient_id)
        except MADeskError as error:
            self.patient = self.context = None
            self._enable_entry()
            dialogs.warn(self, "Vitals", str(error))
            return
        self._enable_entry()
        self.banner.show_patient(self.patient, today)
        percent, limits = self.services.vitals.rule_settings()
        self.entry.set_context(
            self.context,
            weight_change_percent=percent,
            limits=limits,
            default_units=self.preferred_units,
        )
        self._show_visit()
        self.reload()
        if self.isVisible():  # a patient chosen while this tab is on screen
            self.entry.focus_first_empty()

    def _enable_entry(self) -> None:
        """Vitals are typed for a chosen patient only: without one the form and Save are
        disabled and a line says where to choose one (the role lock still holds its own)."""
        chosen = self.patient is not None
        self.entry.setEnabled(chosen)
        self.entry_actions.setEnabled(chosen)
        self.no_patient_note.setVisible(not chosen)  # the role lock keeps the form's tips

    def _make_model(self) -> None:
        """A table model whose columns show the clinic's preferred units."""
        self._model_units = dict(self.preferred_units)
        self.model: RowTableModel[VitalSetRow] = RowTableModel(
            history_columns(self.preferred_units), self
        )
        self.table.setModel(self.model)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

    def reload(self) -> None:
        """History table and trend charts from the store."""
        if self.patient is None:
            return
        rows = self.services.vitals.history(self.patient.id, include_voided=True)
        shown = rows if self.show_all.isChecked() else [r for r in rows if r.status == FINAL]
        self.model.set_rows(shown)
        self.table.resizeColumnsToContents()
        self.charts.show_history(
            rows,
            dob=self.patient.dob,
            sex=self.patient.sex,
            weight_unit=self.preferred_units[rules.WEIGHT],
        )
        self._update_buttons()

    def _on_data_changed(self, area: str) -> None:
        """Another tab wrote something: an arrival may have created today's visit."""
        if area != "vitals" and self.patient is not None:
            self._show_visit()

    def _remote_changed(self, areas: frozenset[str] | None) -> None:
        """Another workstation arrived the patient or saved vitals: the visit line and the
        history follow; the entry form keeps what is typed."""
        if self.patient is None or not (areas is None or areas & {"schedule", "vitals"}):
            return
        with kept_scroll(self.table):
            refresh_quietly(self.selection, self._refresh_shown)

    def _refresh_shown(self) -> None:
        self._show_visit()
        self.reload()

    def _show_visit(self) -> None:
        self.tasks_label.hide()
        if self.patient is None:
            self.visit_label.setText("")
            return
        appointment_id = self._appointment_id()
        visit_id = self.services.vitals.visit_for(self.patient.id, appointment_id)
        if appointment_id is not None:
            appt = self.services.schedule.get(appointment_id)
            text = f"Visit: {time_text(appt.start)} {appt.type_name} with {appt.provider_name} ({appt.status_label})"  # fmt: skip
            if visit_id is None:
                text += " - not arrived: vitals are saved without a visit"
        elif visit_id is not None:
            text = "Visit: today's visit"
        else:
            text = "No visit today: vitals are saved to the chart without a visit"
        self.visit_label.setText(text)
        tasks = self.services.vitals.open_tasks(visit_id) if visit_id is not None else []
        if tasks:
            self.tasks_label.setText(
                f"Open on this visit ({len(tasks)}): " + " | ".join(m for _id, m in tasks[-2:])
            )
            self.tasks_label.setToolTip("\n".join(m for _id, m in tasks))
            self.tasks_label.show()

    def _appointment_id(self) -> int | None:
        appointment_id = self.selection.appointment_id
        if appointment_id is None or self.patient is None:
            return None
        try:
            appt = self.services.schedule.get(appointment_id)
        except MADeskError:
            return None
        return appointment_id if appt.patient_id == self.patient.id else None

    # ------------------------------------------------------------------ saving
    def save(self) -> None:
        """Enter: validate and save (or save the correction being made)."""
        if self.patient is None:
            dialogs.warn(self, "Vitals", "Select a patient first.")
            return
        form = self.entry.form()
        reason = ""
        if self.amending is not None and self.entry.assessment.refusals:
            # Same rules as the service: show what to fix before asking for a reason.
            self.entry.show_errors(dict(self.entry.assessment.refusals))
            self._status("Not saved: fix the values marked in red.", "error")
            return
        if self.amending is not None:
            answer = dialogs.ask_text(self, "Amend vitals", "Reason for the correction:")
            if answer is None:
                return
            reason = answer
        acknowledge = confirmed = False
        while True:
            try:
                if self.amending is not None:
                    result = self.services.vitals.amend(
                        self.amending.id, form, reason=reason, acknowledge_critical=acknowledge,
                        confirm_unlikely=confirmed,
                    )  # fmt: skip
                else:
                    result = self.services.vitals.save(
                        self.patient.id,
                        form,
                        appointment_id=self._appointment_id(),
                        acknowledge_critical=acknowledge,
                        confirm_unlikely=confirmed,
                    )
                break
            except UnlikelyValues as question:
                if not unlikely.ask(self, "\n".join([str(question), "", *question.warnings])):
                    self._status("Not saved: re-measure the value flagged.", "warning")
                    return
                confirmed = True
            except NeedsConfirmation as question:
                text = "\n".join([str(question), "", *question.warnings])
                if not acknowledgement.ask(self, text):
                    self._status("Not saved: critical values not acknowledged.", "warning")
                    return
                acknowledge = True
            except ValidationError as error:
                self.entry.show_errors(error.errors)
                self._status(str(error), "error")
                return
            except MADeskError as error:
                dialogs.warn(self, "Vitals", str(error))
                return
        was_amend = self.amending is not None
        self.amending = None
        self.context = self.services.vitals.context(self.patient.id)
        self.entry.context = self.context
        self.entry.clear()
        self.reload()
        self._show_visit()
        self.selection.notify_changed("vitals")
        taken = self.services.now()
        message = f"{'Correction saved' if was_amend else 'Vitals saved'} at {time_text(taken)}."
        if result.criticals:
            if result.task_id is not None:
                message += " Critical values acknowledged; 'notify provider' added to the visit."
            else:
                message += " Critical values acknowledged; no visit today: tell the provider now."
            self._status(message, "critical")
        else:
            self._status(message, "ok")
        self.entry.focus_first_empty()

    def cancel(self) -> None:
        """Esc: discard what was typed, asking first when anything was typed."""
        if self.entry.has_input() and not dialogs.confirm(
            self, "Discard vitals", "Discard the vital signs typed on this screen?"
        ):
            return
        was_amend = self.amending is not None
        self.amending = None
        self.entry.clear()
        self._status("Correction cancelled." if was_amend else "", "")

    def discard_unsaved(self) -> None:
        """The previous user's typed vitals (or correction) go without a question."""
        self.amending = None
        self.entry.clear()
        self._status("", "")

    # ------------------------------------------------------------------ corrections
    def selected_set(self) -> VitalSetRow | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        return indexes[0].data(ROW_ROLE)

    def start_amend(self) -> None:
        row = self.selected_set()
        if row is None or row.status != FINAL:
            return
        if self.entry.has_input() and not dialogs.confirm(
            self, "Amend vitals", "Discard what is typed and load the selected set to correct it?"
        ):
            return
        self.context = self.services.vitals.context(self.patient.id, exclude_set_id=row.id)
        self.entry.context = self.context
        self.amending = row
        self.entry.load(row)
        self._status(
            f"Correcting the set taken {date_time_text(row.taken_at)}. The original is kept. "
            "Enter saves the correction, Esc cancels.",
            "warning",
        )
        self.entry.first_input.setFocus()

    def mark_entered_in_error(self) -> None:
        row = self.selected_set()
        if row is None or row.status != FINAL:
            return
        reason = dialogs.ask_text(
            self,
            "Entered in error",
            f"Why is the set of {date_time_text(row.taken_at)} wrong (e.g. wrong patient)?",
        )
        if reason is None:
            return
        try:
            self.services.vitals.mark_entered_in_error(row.id, reason)
        except MADeskError as error:
            dialogs.warn(self, "Vitals", str(error))
            return
        self.context = self.services.vitals.context(self.patient.id)
        self.entry.context = self.context
        self.entry._refresh()
        self.reload()
        self.selection.notify_changed("vitals")
        self._status(f"Set of {date_time_text(row.taken_at)} marked entered in error.", "ok")

    def _update_buttons(self) -> None:
        row = self.selected_set()
        enabled = row is not None and row.status == FINAL
        self.amend_button.setEnabled(enabled)
        self.error_button.setEnabled(enabled)

    # ------------------------------------------------------------------ status line
    def _status(self, text: str, role: str) -> None:
        self.status_label.setText(text)
        self._set_status_role(role)

    def _set_status_role(self, role: str) -> None:
        colours = {
            "ok": f"color: {palette.OK_TEXT};",
            "warning": f"color: {palette.WARNING_TEXT}; background: {palette.AMBER_LIGHT}; padding: 4px;",
            "error": f"color: {palette.CRITICAL_TEXT};",
            "critical": f"color: {palette.ON_COLOUR}; background: {palette.CRITICAL_FILL}; padding: 4px; font-weight: bold;",
        }
        self.status_label.setStyleSheet(colours.get(role, ""))
        self.status_label.setProperty("role", role)
