"""Check-in tab: find or register the patient, verify at the desk, collect, arrive.

Keyboard path: type in the search box (Down or Enter moves into the results),
Enter on a result opens the patient and puts focus on "mark verified", Enter
verifies and moves to the copay, Tab through method, receipt and complaint,
Enter in the complaint (or Ctrl+Enter anywhere) marks the patient arrived.
Ctrl+N registers a new patient; Ctrl+F or F3 returns to the search box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical import flow
from ma_desk.display_format import date_text, time_text
from ma_desk.errors import MADeskError, ServerUnavailableError
from ma_desk.services.checkin import ArrivalResult
from ma_desk.services.patients import PatientHit
from ma_desk.ui.checkin.arrive_panel import ArrivePanel
from ma_desk.ui.checkin.registration import RegistrationPanel
from ma_desk.ui.checkin.verify_panel import VerifyPanel
from ma_desk.ui.common import palette
from ma_desk.ui.common.fit import FlowLayout, fit_columns, keep_panels, scrolling, wrapping
from ma_desk.ui.common.patient_banner import PatientBanner
from ma_desk.ui.common.role_gate import gate
from ma_desk.ui.common.shortcuts import add_shortcut
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.live import kept_scroll
from ma_desk.ui.tab_base import Tab

if TYPE_CHECKING:
    from ma_desk.services import Services
    from ma_desk.ui.selection import Selection

SEARCH_DEBOUNCE_MS = 25  # the service answers in a few ms; this only merges fast bursts


def _status_text(h: PatientHit) -> str:
    return flow.LABELS.get(h.appointment_status, h.appointment_status)


def _status_colour(h: PatientHit) -> str | None:
    if h.appointment_status in flow.OPEN_STATUSES:
        return palette.HEADING
    return palette.MUTED_TEXT if h.appointment_status else None


class CheckinTab(Tab):
    title = "Check-in"

    def __init__(self, services: Services, selection: Selection, parent: QWidget | None = None):
        super().__init__(services, selection, parent)
        self._name_alerts: dict[int, str] = {}
        self._insurance_flags: dict[int, str] = {}  # today's patients only (refreshed, not typed)
        self._showing_patient: int | None = None
        outer = QHBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter)
        splitter.addWidget(self._build_search_panel())
        splitter.addWidget(self._build_patient_stack())
        keep_panels(splitter, (3, 2))  # the list's titles read whole at 1280 wide
        splitter.setSizes([760, 520])
        self._connect_search()
        self._connect_panels()
        self._install_shortcuts()
        self._gate_by_role()
        self.show_patient(None)
        self.arrive.reload_reference()
        self._refresh_alerts()
        self.run_search()

    # ------------------------------------------------------------- building
    def _result_columns(self) -> list[Column[PatientHit]]:
        return [
            Column("Today", lambda h: time_text(h.appointment_time) if h.appointment_time else ""),
            Column("Status", _status_text, foreground=_status_colour),
            Column("Patient", lambda h: h.full_name),
            Column("DOB", lambda h: date_text(h.dob)),
            Column("MRN", lambda h: h.mrn),
            Column("Phone", lambda h: h.phone),
            Column("Provider", lambda h: h.provider_name),
            Column(
                "Alerts",
                self._alert_text,
                background=lambda h: palette.AMBER if self._alert_text(h) else None,
                tooltip=self._alert_tooltip,
            ),
        ]

    def _build_search_panel(self) -> QWidget:
        """Left: the search box, what it found (today's patients when empty), New patient."""
        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 6, 0)
        self.search = named(QLineEdit(), "checkin_search", "Find patient")
        self.search.setPlaceholderText("Last, first  ·  DOB 04/05/1980  ·  MRN  ·  phone")
        self.search.setClearButtonEnabled(True)
        self.search.setProperty("role", "search")
        left_box.addWidget(self.search)
        self.search_hint = named(wrapping(QLabel("")), "checkin_search_hint", "Search summary")
        self.search_hint.setProperty("role", "hint")
        left_box.addWidget(self.search_hint)
        self.model: RowTableModel[PatientHit] = RowTableModel(self._result_columns(), self)
        self.results = make_table("checkin_results", "Matching patients")
        self.results.setModel(self.model)
        # Words wrap before anything is cut; with no room even for whole words, the
        # provider (on the patient's page too) gives way before the identifiers.
        fit_columns(self.results, stretch=("Status", "Phone", "Provider", "Alerts"),
                    hide_first=("Provider",))  # fmt: skip
        left_box.addWidget(self.results, 1)
        buttons = FlowLayout()
        self.new_button = named(
            QPushButton("&New patient (Ctrl+N)"), "checkin_new_patient", "Register new patient"
        )
        self.new_button.setAutoDefault(True)
        buttons.addWidget(self.new_button)
        left_box.addLayout(buttons)
        return left

    def _build_patient_stack(self) -> QStackedWidget:
        """Right: the chosen patient's page, or the registration form in its place."""
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_patient_page())
        self.registration = RegistrationPanel(self.services)
        self.stack.addWidget(self.registration)
        return self.stack

    def _build_patient_page(self) -> QWidget:
        """The banner, then (scrolling) a how-to-start hint or the verify and arrive panels."""
        patient_page = QWidget()
        page_box = QVBoxLayout(patient_page)
        page_box.setContentsMargins(6, 0, 0, 0)
        self.banner = PatientBanner()
        page_box.addWidget(self.banner)
        self.verify = VerifyPanel(self.services)
        self.arrive = ArrivePanel(self.services)
        inner = QWidget()
        inner_box = QVBoxLayout(inner)
        inner_box.setContentsMargins(0, 0, 0, 0)
        self.empty_hint = named(
            QLabel(
                "Find the patient on the left: type a name, date of birth, MRN or phone, "
                "then Down and Enter.\nToday's patients are listed first with their time.\n\n"
                "Not on file? Ctrl+N registers a new patient."
            ),
            "checkin_empty_hint",
            "How to start",
        )
        self.empty_hint.setProperty("role", "hint")
        wrapping(self.empty_hint)
        inner_box.addWidget(self.empty_hint)
        inner_box.addWidget(self.verify)
        inner_box.addWidget(self.arrive)
        inner_box.addStretch(1)
        page_box.addWidget(scrolling(inner, "checkin_patient_scroll"), 1)
        return patient_page

    # ------------------------------------------------------------- wiring
    def _connect_search(self) -> None:
        """Typing searches after a short debounce; the box and the results filter keys
        (Down/Enter move between them, see eventFilter)."""
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.run_search)
        self.search.textChanged.connect(self._query_changed)
        self.search.installEventFilter(self)
        self.results.installEventFilter(self)
        self.results.selectionModel().currentRowChanged.connect(self._row_changed)
        self.results.activated.connect(lambda _index: self.open_current())

    def _connect_panels(self) -> None:
        """The panels' results, and what other tabs and workstations change."""
        self.new_button.clicked.connect(self.start_registration)
        self.registration.patient_chosen.connect(self._registered)
        self.registration.cancelled.connect(self._registration_cancelled)
        self.verify.verified.connect(self._verified)
        self.verify.edited.connect(self._edited)
        self.arrive.arrived.connect(self._arrived)
        self.selection.patient_changed.connect(self._selection_changed)
        self.selection.data_changed.connect(self._data_changed)
        self.selection.remote_changed.connect(self._remote_changed)

    def _install_shortcuts(self) -> None:
        for keys, slot, what, permission in (
            ("Ctrl+N", self.start_registration, "Register a new patient", "patient.write"),
            ("Ctrl+F", self.focus_search, "Back to the search box", ""),
            ("F3", self.focus_search, "Back to the search box", ""),
            ("Ctrl+Return", self.arrive.arrive, "Mark the patient arrived", "checkin.write"),
            ("Ctrl+Enter", self.arrive.arrive, "Mark the patient arrived", "checkin.write"),
        ):
            shortcut = add_shortcut(self, keys, slot, what)
            if permission:
                gate(shortcut, self.services, permission)

    def _gate_by_role(self) -> None:
        """Decided at sign-in, not refused at Save: a role that may not register, edit or
        check in sees those controls disabled with the reason."""
        for target in (self.new_button, self.verify.verify_button, self.verify.form,
                       self.verify.contact_form):  # fmt: skip
            gate(target, self.services, "patient.write")
        gate(self.arrive, self.services, "checkin.write")

    # ------------------------------------------------------------- search
    def _query_changed(self, _text: str) -> None:
        """A new query: the old row and its patient go at once, before the new results
        come, so the panel never shows a patient who is not the selected row."""
        self._debounce.start()
        self._select_row(None)
        if self._showing_patient is not None:
            self.show_patient(None)

    def _select_row(self, patient_id: int | None) -> bool:
        """Make the row of ``patient_id`` current (None: no row) without choosing anyone;
        False when that patient is not in the results."""
        rows = [row for row, hit in enumerate(self.model.rows()) if hit.id == patient_id]
        selection = self.results.selectionModel()
        selection.blockSignals(True)
        if rows:
            self.results.setCurrentIndex(self.model.index(rows[0], 2))
        else:
            selection.clearSelection()
            selection.clearCurrentIndex()
        selection.blockSignals(False)
        self.results.viewport().update()
        return bool(rows)

    def run_search(self, _text: str | None = None) -> None:
        """Refresh the results for what is in the box now (called by the debounce timer)."""
        text = self.search.text()
        try:
            if text.strip():
                hits = self.services.patients.search(text)
                summary = f"{len(hits)}{'+' if len(hits) >= 50 else ''} found"
                if not hits:
                    summary = "No patient found. Check the spelling, or Ctrl+N to register."
            else:
                hits = self.services.patients.booked_today()
                summary = f"Today's patients ({len(hits)}). Type to search everyone."
        except ServerUnavailableError as exc:  # the list stays as it was; the banner says why
            self.search_hint.setText(str(exc))
            self.selection.report_error(exc)
            return
        except MADeskError as exc:
            hits, summary = [], str(exc)
        self.search_hint.setText(summary)
        self._set_hits(hits)

    def _set_hits(self, hits: list[PatientHit]) -> None:
        """Replace the rows only when they changed, and keep the chosen patient chosen."""
        if hits == self.model.rows():
            if hits:  # same patients: repaint only (alerts may have changed)
                last = self.model.index(len(hits) - 1, self.model.columnCount() - 1)
                self.model.dataChanged.emit(self.model.index(0, 0), last)
            return
        keep = self._current_hit()
        self.results.selectionModel().blockSignals(True)
        self.model.set_rows(hits)
        self.results.selectionModel().blockSignals(False)
        kept = keep is not None and self._select_row(keep.id)
        if not kept and self._showing_patient is not None:  # their row is gone: so are they
            self.show_patient(None)

    def _current_hit(self) -> PatientHit | None:
        index = self.results.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def focus_search(self) -> None:
        self.stack.setCurrentIndex(0)
        self.search.setFocus()
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if watched is self.search and key in (
                Qt.Key.Key_Down,
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
            ):
                self._enter_results()
                return True
            if watched is self.results and key == Qt.Key.Key_Escape:
                self.focus_search()
                return True
            if watched is self.results and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_current()
                return True
        return super().eventFilter(watched, event)

    def _enter_results(self) -> None:
        if self._debounce.isActive():  # typed faster than the timer: search now
            self._debounce.stop()
            self.run_search()
        if self.model.rowCount() == 0:
            return
        self.results.setFocus()
        if not self.results.currentIndex().isValid():
            self.results.setCurrentIndex(self.model.index(0, 2))

    def _row_changed(self, current, _previous) -> None:
        hit = self.model.row_at(current.row())
        if hit is not None:
            self._choose(hit)

    def _choose(self, hit: PatientHit) -> None:
        if hit.appointment_id is not None:
            self.selection.select_appointment(hit.appointment_id, hit.id)
        else:
            self.selection.select_patient(hit.id)
        if self._showing_patient != hit.id:
            self.show_patient(hit.id)

    def open_current(self) -> None:
        """Enter on a result: show the patient and go to verification (or the copay)."""
        hit = self._current_hit()
        if hit is None:
            return
        self._choose(hit)
        self.stack.setCurrentIndex(0)
        if self.verify.verified_today:
            self.arrive.copay.setFocus()
            self.arrive.copay.selectAll()
        else:
            self.verify.verify_button.setFocus()

    # ------------------------------------------------------------- the patient
    def _selection_changed(self, patient_id) -> None:
        if patient_id != self._showing_patient and self.isVisible():
            self.show_patient(patient_id if self._select_row(patient_id) else None)

    def show_patient(self, patient_id: int | None) -> None:
        today = self.services.now().date()
        record = None
        if patient_id is not None:
            try:
                record = self.services.patients.get(patient_id)
            except MADeskError:
                record = None
        self._showing_patient = record.id if record else None
        alert = ""
        if record is not None:
            try:
                alert = self.services.patients.name_alert(record.id, today)
            except MADeskError:
                alert = ""
        self.banner.show_patient(record, today, alert)
        self.empty_hint.setVisible(record is None)
        self.verify.setVisible(record is not None)
        self.arrive.setVisible(record is not None)
        self.verify.load(record)
        self.arrive.load(record.id if record else None)

    def _verified(self, patient_id: int) -> None:
        self.arrive.copay.setFocus()
        self.arrive.copay.selectAll()
        self.selection.notify_changed("patients")

    def _edited(self, patient_id: int) -> None:
        today = self.services.now().date()
        record = self.services.patients.get(patient_id)
        self.banner.show_patient(record, today, self.services.patients.name_alert(patient_id))
        self.selection.notify_changed("patients")

    def _arrived(self, result: ArrivalResult) -> None:
        self.selection.select_appointment(result.appointment_id, result.patient_id)
        self.arrive.load(result.patient_id, keep_result=True)
        self._refresh_alerts()
        self.run_search()
        self.selection.notify_changed("schedule")
        self.focus_search()  # ready for the next patient in the queue

    # ------------------------------------------------------------- registration
    def start_registration(self) -> None:
        self.stack.setCurrentIndex(1)
        self.registration.start(self.search.text())

    def _registered(self, patient_id: int) -> None:
        self.stack.setCurrentIndex(0)
        record = self.services.patients.get(patient_id)
        self.search.blockSignals(True)
        self.search.setText(record.mrn)
        self.search.blockSignals(False)
        self.run_search()
        for row, hit in enumerate(self.model.rows()):
            if hit.id == patient_id:
                self.results.setCurrentIndex(self.model.index(row, 2))
        self.selection.select_patient(patient_id)
        self.show_patient(patient_id)
        self.selection.notify_changed("patients")
        self.verify.verify_button.setFocus()

    def _registration_cancelled(self) -> None:
        self.focus_search()

    def discard_unsaved(self) -> None:
        """A half-filled registration, edited details and arrival entries of the previous
        user go; the patient shown is reloaded as saved."""
        self.registration.start("")
        self.stack.setCurrentIndex(0)
        self.show_patient(self._showing_patient)

    # ------------------------------------------------------------- refresh
    def _alert_text(self, hit: PatientHit) -> str:
        parts = []
        if hit.id in self._name_alerts:
            parts.append("⚠ name")
        if hit.id in self._insurance_flags:
            parts.append("⚠ insurance")
        return "  ".join(parts)

    def _alert_tooltip(self, hit: PatientHit) -> str | None:
        text = "\n".join(
            t for t in (self._name_alerts.get(hit.id), self._insurance_flags.get(hit.id)) if t
        )
        return text or None

    def _refresh_alerts(self) -> None:
        """Name alerts and insurance flags for today's patients: once per refresh, never
        per keystroke (the flags query is not a per-keystroke query)."""
        today = self.services.now().date()
        try:
            self._name_alerts = self.services.patients.name_alerts(today)
            booked = [h.id for h in self.services.patients.booked_today(today)]
            self._insurance_flags = self.services.insurance.verification_flags(booked)
        except ServerUnavailableError:  # keep the last alerts until the server answers
            return
        except MADeskError:
            self._name_alerts, self._insurance_flags = {}, {}

    def _data_changed(self, area: str) -> None:
        if area in ("schedule", "patients", "flow", "insurance") and self.isVisible():
            self._refresh_alerts()
            self.run_search()
            if area == "insurance":
                self.verify.refresh_insurance()

    def _remote_changed(self, areas: frozenset[str] | None) -> None:
        """Another workstation booked, arrived, registered or verified: the lists follow; the
        chosen patient, the search text and a half-typed registration stay."""
        if (areas is None or areas & {"schedule", "patients", "insurance"}) and self.isVisible():
            with kept_scroll(self.results):
                self._refresh_alerts()
                self.run_search()

    def activated(self) -> None:
        self._refresh_alerts()
        self.arrive.reload_reference()
        self.run_search()
        # Chosen on another tab: shown here only where it is a row of these results.
        chosen = self.selection.patient_id
        if chosen != self._showing_patient and self._select_row(chosen):
            self.show_patient(chosen)

    def focus_first(self) -> None:
        """The search box, unless a half-typed registration is open (its cursor stays)."""
        if self.stack.currentWidget() is not self.registration:
            self.focus_search()
