"""The flow board: who is in the building, where, how long they have waited, and any
critical vital the provider has to hear about.

Refreshed every 30 seconds by a QTimer (tests call ``refresh()`` directly) and, on a
clinic server, whenever another workstation commits; a refresh keeps the selected
appointment selected and the table scrolled where it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from ma_desk.clinical import flow
from ma_desk.display_format import time_text
from ma_desk.services.schedule import FlowRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.fit import fit_columns, wrapping
from ma_desk.ui.common.role_gate import apply_roles, gate
from ma_desk.ui.common.shortcuts import add_shortcut
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.live import kept_scroll
from ma_desk.ui.schedule.notify_dialog import NotifyProviderDialog

if TYPE_CHECKING:
    from ma_desk.services import Services

REFRESH_MS = 30_000
SHORT_STATUS = {flow.WITH_PROVIDER: "With prov."}
LEVEL_COLOURS = {flow.WAIT_OK: None, flow.WAIT_WARN: palette.PEACH, flow.WAIT_ALERT: palette.SALMON}
# Colour is never the only signal: a long wait also reads "!" and a very long one "!!".
LEVEL_MARKS = {flow.WAIT_OK: "", flow.WAIT_WARN: " !", flow.WAIT_ALERT: " !!"}
CRITICAL_COLOUR = palette.SALMON
NOTIFIED_COLOUR = palette.GREEN
STATUS_COLOURS = {
    flow.ARRIVED: palette.AMBER,
    flow.ROOMED: palette.CYAN,
    flow.WITH_PROVIDER: palette.GREEN,
}


@dataclass
class Thresholds:
    """Read by the columns at paint time; refreshed from the clinic settings."""

    warn: int = 15
    alert: int = 30
    flags: dict[int, str] = field(default_factory=dict)


def flow_columns(t: Thresholds) -> list[Column[FlowRow]]:
    flags = t.flags

    def level(minutes: int) -> str | None:
        return LEVEL_COLOURS[flow.wait_level(minutes, t.warn, t.alert)]

    def waited(minutes: int) -> str:
        return f"{minutes} min{LEVEL_MARKS[flow.wait_level(minutes, t.warn, t.alert)]}"

    def wait_words(minutes: int) -> str | None:
        return {
            flow.WAIT_WARN: f"Long wait: {t.warn} min or more",
            flow.WAIT_ALERT: f"Very long wait: {t.alert} min or more",
        }.get(flow.wait_level(minutes, t.warn, t.alert))

    return [
        Column("Appt", lambda f: time_text(f.appointment.start)),  # the booked time
        Column(
            "Arr.",
            lambda f: _time(f.appointment.arrived_at) + (" late" if f.appointment.is_late else ""),
        ),
        Column(
            "Patient",
            lambda f: (
                f.appointment.patient_name + ("  $?" if f.appointment.patient_id in flags else "")
            ),
            tooltip=lambda f: flags.get(f.appointment.patient_id),
            background=lambda f: palette.PEACH if f.appointment.patient_id in flags else None,
        ),
        Column(
            "Status",
            lambda f: SHORT_STATUS.get(f.appointment.status, f.appointment.status_label),
            tooltip=lambda f: f.appointment.status_label,
            background=lambda f: STATUS_COLOURS.get(f.appointment.status),
        ),
        Column(
            "Critical",
            lambda f: f.marker.text,
            tooltip=lambda f: _critical_tooltip(f),
            background=lambda f: _critical_colour(f),
        ),
        Column("Room", lambda f: f.appointment.room_name),
        Column(
            "Type",
            lambda f: f.appointment.type_name,
            background=lambda f: f.appointment.type_color,
            foreground=lambda f: (
                f.appointment.type_color and palette.readable_on(f.appointment.type_color)
            ),
        ),
        Column(
            "Prov.",
            lambda f: f.appointment.provider_name.split()[-1],
            tooltip=lambda f: f.appointment.provider_name,
        ),
        Column(
            "Wait",
            lambda f: waited(f.waiting_minutes),
            tooltip=lambda f: wait_words(f.waiting_minutes),
            background=lambda f: level(f.waiting_minutes),
            align_right=True,
        ),
        Column(
            "In rm",
            lambda f: waited(f.in_room_minutes) if f.appointment.roomed_at else "",
            tooltip=lambda f: wait_words(f.in_room_minutes) if f.appointment.roomed_at else None,
            background=lambda f: level(f.in_room_minutes) if f.appointment.roomed_at else None,
            align_right=True,
        ),
        Column("Total", lambda f: f"{f.total_minutes} min", align_right=True),
    ]


def _critical_colour(f: FlowRow) -> str | None:
    if f.marker.needs_notifying:
        return CRITICAL_COLOUR
    return NOTIFIED_COLOUR if f.marker.done else None


def _critical_tooltip(f: FlowRow) -> str | None:
    if f.marker.needs_notifying:
        return f"{f.marker.details}\nPress D (or Provider notified…) once the provider is told."
    return f.marker.details or None


def _time(value) -> str:
    return time_text(value) if value else ""


def status_counts(rows: list[FlowRow]) -> str:
    counts = {s: 0 for s in (flow.ARRIVED, flow.ROOMED, flow.WITH_PROVIDER)}
    for r in rows:
        counts[r.appointment.status] = counts.get(r.appointment.status, 0) + 1
    text = " · ".join(f"{flow.LABELS[s]} {n}" for s, n in counts.items())
    criticals = sum(1 for r in rows if r.critical)
    return text + (
        f" · <b style='color:{palette.ALERT_RED}'>⚠ {criticals} critical</b>" if criticals else ""
    )


class FlowBoard(QWidget):
    appointment_chosen = Signal(int, int)  # appointment id, patient id
    notified = Signal()  # a 'provider notified' was recorded

    def __init__(self, services: Services, parent=None) -> None:
        super().__init__(parent)
        self.services = services
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.header = wrapping(QLabel())
        self.header.setObjectName("flow_board_counts")
        self.header.setAccessibleName("Patients in clinic by status")
        layout.addWidget(self.header)
        self.thresholds = Thresholds()
        self.model: RowTableModel[FlowRow] = RowTableModel(flow_columns(self.thresholds), self)
        self.table = make_table("flow_board_table", "Flow board")
        self.table.setModel(self.model)
        # Names and the Critical title never cut (sized to their contents); the columns
        # with a tooltip (or a hover tip) give way on a 1280x720 screen at 125 %.
        fit_columns(self.table, stretch=("Status", "Room", "Type", "Prov."))
        layout.addWidget(self.table, 1)
        self.notify_button = named(QPushButton("Provider notified… (D)"), "flow_notify_provider",
                                   "Record that the provider was told about the critical vitals")  # fmt: skip
        self.notify_button.clicked.connect(self.mark_notified)
        self.notify_button.setEnabled(False)
        self.notify_button.setToolTip("Who was told, when and how (D on the flow board)")
        layout.addWidget(self.notify_button)
        notify_key = add_shortcut(self.table, "D", self.mark_notified,
                     "Flow board: the provider was told about the critical vitals (who, when, how)",
                     context=Qt.ShortcutContext.WidgetShortcut)  # fmt: skip
        gate(self.notify_button, services, "vitals.write")
        gate(notify_key, services, "vitals.write")
        self.timer = QTimer(self)
        self.timer.setObjectName("flow_board_timer")
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self._selected_id: int | None = None

    def start(self) -> None:
        self.refresh()
        self.timer.start()

    def refresh(self) -> None:
        """Reload the rows; the selected appointment stays selected if still on the board."""
        clinic = self.services.settings.get()
        rows = self.services.schedule.flow_board()
        flags = self.services.insurance.verification_flags(
            sorted({r.appointment.patient_id for r in rows})
        )
        keep = self._selected_id
        self.thresholds.warn = clinic.wait_warn_minutes
        self.thresholds.alert = clinic.wait_alert_minutes
        self.thresholds.flags.clear()
        self.thresholds.flags.update(flags)
        self.table.selectionModel().blockSignals(True)
        with kept_scroll(self.table):
            self.model.set_rows(rows)
            self._reselect(keep)
        self.header.setText(
            f"<b>Flow board</b> — {len(rows)} in clinic: {status_counts(rows)}"
            f" <span style='color:{palette.MUTED_TEXT}'>(waits marked ! at"
            f" {clinic.wait_warn_minutes} and !! at {clinic.wait_alert_minutes} min)</span>"
        )
        self.table.selectionModel().blockSignals(False)
        self._update_notify_button()

    def _reselect(self, appointment_id: int | None) -> None:
        for i, r in enumerate(self.model.rows()):
            if r.appointment.id == appointment_id:
                self.table.selectionModel().setCurrentIndex(
                    self.model.index(i, 0),
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                break

    def select_appointment(self, appointment_id: int | None) -> None:
        """Follow the tab's selection without echoing it back."""
        self._selected_id = appointment_id
        sm = self.table.selectionModel()
        sm.blockSignals(True)
        sm.clearSelection()
        for i, r in enumerate(self.model.rows()):
            if r.appointment.id == appointment_id:
                sm.setCurrentIndex(self.model.index(i, 0),
                                   QItemSelectionModel.SelectionFlag.ClearAndSelect
                                   | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip
                break
        sm.blockSignals(False)
        self.table.viewport().update()
        self._update_notify_button()

    def selected_row(self) -> FlowRow | None:
        return self.model.row_at(self.table.currentIndex().row())

    def mark_notified(self) -> NotifyProviderDialog | None:
        """Open the 'provider notified' form for the selected row's oldest open item."""
        self._update_notify_button()
        row = self.selected_row()
        if not self.notify_button.isEnabled() or row is None:
            return None
        a = row.appointment
        dialog = NotifyProviderDialog(self.services, row.marker.open[0], patient_name=a.patient_name,
                                      provider_id=a.provider_id, parent=self)  # fmt: skip
        dialog.accepted.connect(self._notified)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _notified(self) -> None:
        self.refresh()
        self.notified.emit()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update_notify_button(self) -> None:
        apply_roles(self)  # the user may have switched since the last refresh
        row = self.selected_row()
        self.notify_button.setEnabled(row is not None and row.marker.needs_notifying)

    def _row_changed(self, current, _previous) -> None:
        self._update_notify_button()
        row = self.model.row_at(current.row())
        if row is not None:
            self._selected_id = row.appointment.id
            self.appointment_chosen.emit(row.appointment.id, row.appointment.patient_id)

    def focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
