"""The patient/appointment chosen in one tab and seen by all the others."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Selection(QObject):
    """Holds ids only; each tab loads what it needs through the services."""

    patient_changed = Signal(object)  # int | None
    appointment_changed = Signal(object)  # int | None
    data_changed = Signal(str)  # an area ("schedule", "patients", "vitals"...) was written
    # Another workstation committed to these areas (a frozenset), or None: anything may have
    # changed (back after an outage). Views refresh without moving a selection or a form.
    remote_changed = Signal(object)
    # A known error (MADeskError) met outside a form, e.g. by a refresh: the window decides
    # what to show (the clinic server's banner for ServerUnavailableError).
    error_reported = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._patient_id: int | None = None
        self._appointment_id: int | None = None

    @property
    def patient_id(self) -> int | None:
        return self._patient_id

    @property
    def appointment_id(self) -> int | None:
        return self._appointment_id

    def select_patient(self, patient_id: int | None) -> None:
        if patient_id != self._patient_id:
            self._patient_id = patient_id
            if self._appointment_id is not None and patient_id is None:
                self._appointment_id = None
                self.appointment_changed.emit(None)
            self.patient_changed.emit(patient_id)

    def select_appointment(self, appointment_id: int | None, patient_id: int | None) -> None:
        """Choose an appointment and its patient together."""
        changed = appointment_id != self._appointment_id
        self._appointment_id = appointment_id
        self.select_patient(patient_id)
        if changed:
            self.appointment_changed.emit(appointment_id)

    def clear(self) -> None:
        self.select_appointment(None, None)

    def notify_changed(self, area: str) -> None:
        self.data_changed.emit(area)

    def notify_remote(self, areas: frozenset[str] | None) -> None:
        self.remote_changed.emit(areas)

    def report_error(self, error: Exception) -> None:
        self.error_reported.emit(error)
