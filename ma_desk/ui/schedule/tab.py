"""Schedule tab: the day's appointment book, the flow board and the waitlist.

Keyboard first: arrows move between slots and appointments, Enter opens (books
an empty slot, edits a booking), Delete cancels, single keys move the patient
along (C confirm, A arrive, R room, P with provider, O check out, N no-show,
L left without being seen), Ctrl+Z undoes the last move, F books a follow-up,
S finds the next open slot, W puts the patient on the waitlist, Ctrl+E exports
to a calendar file, Alt+Left/Right change day, T goes to today, F6 switches
between the book and the side panel.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical import flow
from ma_desk.display_format import (
    date_text,
    day_month_time_text,
    qt_weekday_date_format,
    time_text,
    weekday_text,
    weekday_time_text,
)
from ma_desk.errors import MADeskError
from ma_desk.services.schedule import AppointmentRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.fit import button_row, comfortable_width, keep_panels, wrapping
from ma_desk.ui.common.focus import whole_field_tab
from ma_desk.ui.common.role_gate import RoleLock, gate
from ma_desk.ui.common.shortcuts import describe
from ma_desk.ui.common.widgets import named
from ma_desk.ui.live import kept_scroll, refresh_quietly
from ma_desk.ui.schedule.actions import ScheduleActions
from ma_desk.ui.schedule.appointment_dialog import AppointmentDialog
from ma_desk.ui.schedule.flow_board import REFRESH_MS, FlowBoard
from ma_desk.ui.schedule.grid_model import ScheduleGridModel, age_label
from ma_desk.ui.schedule.grid_view import ScheduleGridView
from ma_desk.ui.schedule.loading import load_book, week_start
from ma_desk.ui.schedule.waitlist_panel import WaitlistPanel
from ma_desk.ui.tab_base import Tab

if TYPE_CHECKING:
    from ma_desk.services import Services
    from ma_desk.ui.selection import Selection

FLOW_KEYS = [
    (flow.CONFIRMED, "Confirm", "C"),
    (flow.ARRIVED, "Arrive", "A"),
    (flow.ROOMED, "Room", "R"),
    (flow.WITH_PROVIDER, "With provider", "P"),
    (flow.CHECKED_OUT, "Check out", "O"),
    (flow.NO_SHOW, "No-show", "N"),
    (flow.LEFT_WITHOUT_BEING_SEEN, "Left (LWBS)", "L"),
]

# What another workstation may change that this tab shows (ma_desk/db/listener.py areas).
REMOTE_AREAS = frozenset({"schedule", "patients", "vitals", "rooms", "insurance", "settings"})


class ScheduleTab(ScheduleActions, Tab):
    title = "Schedule"

    def __init__(self, services: Services, selection: Selection, parent: QWidget | None = None):
        super().__init__(services, selection, parent)
        self.day = services.now().date()
        self.week_provider_id: int | None = None
        self.hidden_providers: set[int] = set()
        self.current_id: int | None = None
        self.pending_type_id: int | None = None
        self.dialog: AppointmentDialog | None = None
        self._rows: list[AppointmentRow] = []
        self._following_selection = False
        self._reference = None
        self._build()
        self._build_actions()
        self._gate_by_role()
        self.flow_board.timer.stop()
        self.timer = QTimer(self)
        self.timer.setObjectName("schedule_refresh_timer")
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        selection.data_changed.connect(self._data_changed)
        selection.remote_changed.connect(self._remote_changed)
        selection.appointment_changed.connect(self._selection_moved)
        self.set_day(self.day)
        self.flow_board.refresh()
        self.waitlist.refresh()

    # ------------------------------------------------------------- layout
    def _build(self) -> None:
        """Top to bottom: the day's toolbar, a summary, the book beside its side panel, the
        flow buttons and a message line; then the controls are wired."""
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_toolbar())
        self.summary = wrapping(QLabel())
        self.summary.setObjectName("schedule_summary")
        layout.addWidget(self.summary)
        layout.addWidget(self._build_book_and_side_panel(), 1)
        layout.addWidget(self._build_flow_buttons())
        self.status = wrapping(QLabel())
        self.status.setObjectName("schedule_status")
        self.status.setAccessibleName("Schedule messages")
        layout.addWidget(self.status)
        self._connect_toolbar()
        self._connect_book_and_panels()
        self._fill_provider_choices()

    def _build_toolbar(self) -> QWidget:
        """One row: which day, how it is shown, and booking (in that order for Tab)."""
        return button_row((*self._make_day_controls(), *self._make_view_controls(),
                           *self._make_booking_buttons()))  # fmt: skip

    def _make_day_controls(self) -> tuple[QWidget, ...]:
        self.prev_button = named(QPushButton("◀"), "schedule_prev_day", "Previous day")
        self.prev_button.setToolTip("Previous day (Alt+Left)")
        self.today_button = named(QPushButton("Today"), "schedule_today", "Today")
        self.today_button.setToolTip("Today (T)")
        self.next_button = named(QPushButton("▶"), "schedule_next_day", "Next day")
        self.next_button.setToolTip("Next day (Alt+Right)")
        self.date_edit = named(QDateEdit(), "schedule_date", "Schedule date")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat(qt_weekday_date_format())
        whole_field_tab(self.date_edit)
        return self.prev_button, self.today_button, self.next_button, self.date_edit

    def _make_view_controls(self) -> tuple[QWidget, ...]:
        """Day, week or flow board; whose week; which providers; cancelled visits or not."""
        self.view_mode = named(QComboBox(), "schedule_view_mode", "Day or week view")
        self.view_mode.addItem("Day", "day")
        self.view_mode.addItem("Week of", "week")
        self.view_mode.addItem("Flow board", "flow")
        self.week_provider = named(QComboBox(), "schedule_week_provider", "Provider for week")
        self.provider_button = named(QToolButton(), "schedule_providers", "Providers shown")
        self.provider_button.setText("Providers ▾")
        self.provider_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.provider_menu = QMenu(self.provider_button)
        self.provider_button.setMenu(self.provider_menu)
        self.show_cancelled = named(QCheckBox("Cancelled"), "schedule_show_cancelled",
                                    "Show cancelled and no-show visits")  # fmt: skip
        self.show_cancelled.setChecked(False)
        return self.view_mode, self.week_provider, self.provider_button, self.show_cancelled

    def _make_booking_buttons(self) -> tuple[QWidget, ...]:
        self.book_button = named(QPushButton("Book… (Ins)"), "schedule_book", "Book appointment")
        self.next_open_button = named(QPushButton("Next open (S)"), "schedule_next_open",
                                      "Find the next open slot")  # fmt: skip
        self.export_button = named(QPushButton("Export .ics"), "schedule_export",
                                   "Export to calendar file")  # fmt: skip
        self.export_button.setToolTip("Export the provider's day or week (Ctrl+E)")
        return self.book_button, self.next_open_button, self.export_button

    def _build_book_and_side_panel(self) -> QSplitter:
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model = ScheduleGridModel(self)
        self.grid = named(ScheduleGridView(), "schedule_grid", "Appointment book")
        self.grid.setModel(self.model)
        self.splitter.addWidget(self.grid)
        self.splitter.addWidget(self._build_side_panel())
        keep_panels(self.splitter, (3, 2))
        self.splitter.setSizes([780, 620])
        return self.splitter

    def _build_side_panel(self) -> QTabWidget:
        """The flow board, the waitlist and the chosen visit's details, one page each."""
        self.side = QTabWidget()
        self.side.setObjectName("schedule_side_panel")
        self.side.setAccessibleName("Flow board, waitlist and details")
        self.flow_board = FlowBoard(self.services)
        self.waitlist = WaitlistPanel(self.services)
        self.details = QLabel()
        self.details.setObjectName("schedule_details")
        self.details.setAccessibleName("Appointment details")
        self.details.setWordWrap(True)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.side.addTab(self.flow_board, "Flow board")
        self.side.addTab(self.waitlist, "Waitlist")
        self.side.addTab(self.details, "Details")
        self.side.currentChanged.connect(lambda _i: self._show_details())
        return self.side

    def _build_flow_buttons(self) -> QWidget:
        """A button per flow step (its one-key shortcut in the label), then the visit's
        undo, follow-up, waitlist and cancel."""
        self.flow_buttons: dict[str, QPushButton] = {}
        for status, label, key in FLOW_KEYS:
            button = named(QPushButton(f"{label} ({key})"), f"schedule_flow_{status}", label)
            button.clicked.connect(lambda _=False, s=status: self.move_patient(s))
            self.flow_buttons[status] = button
        self.undo_button = named(QPushButton("Undo (Ctrl+Z)"), "schedule_undo",
                                 "Undo last status change")  # fmt: skip
        self.follow_button = named(QPushButton("Follow-up (F)"), "schedule_follow_up",
                                   "Book follow-up")  # fmt: skip
        self.waitlist_button = named(QPushButton("Waitlist (W)"), "schedule_waitlist_add",
                                     "Put patient on the waitlist")  # fmt: skip
        self.cancel_button = named(QPushButton("Cancel visit (Del)"), "schedule_cancel",
                                   "Cancel appointment")  # fmt: skip
        return button_row((*self.flow_buttons.values(), self.undo_button,
            self.follow_button, self.waitlist_button, self.cancel_button))  # fmt: skip

    def _connect_toolbar(self) -> None:
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        self.date_edit.dateChanged.connect(lambda d: self.set_day(d.toPython()))
        self.view_mode.currentIndexChanged.connect(self._mode_changed)
        self.week_provider.currentIndexChanged.connect(self._mode_changed)
        self.show_cancelled.toggled.connect(lambda _c: self.reload_book())
        self.book_button.clicked.connect(self.book_at_cursor)
        self.next_open_button.clicked.connect(self.find_next_open)
        self.export_button.clicked.connect(self.export_calendar)

    def _connect_book_and_panels(self) -> None:
        """The flow and visit buttons, the book's cursor and drags, and what the flow board
        and waitlist report (a change there refreshes the other tabs)."""
        self.undo_button.clicked.connect(self.undo)
        self.follow_button.clicked.connect(self.book_follow_up)
        self.waitlist_button.clicked.connect(self.add_to_waitlist)
        self.cancel_button.clicked.connect(self.cancel_current)
        self.grid.selectionModel().currentChanged.connect(self._cell_changed)
        self.grid.open_requested.connect(lambda _i: self.open_at_cursor())
        self.model.move_requested.connect(self.move_appointment)
        self.flow_board.appointment_chosen.connect(self._flow_chosen)
        self.flow_board.notified.connect(lambda: self.selection.notify_changed("flow"))
        self.flow_board.table.activated.connect(lambda _i: self._open_details())
        self.waitlist.book_requested.connect(self.book_from_waitlist)
        self.waitlist.changed.connect(lambda: self.selection.notify_changed("schedule"))

    def _build_actions(self) -> None:
        """Ctrl/Alt/F-key shortcuts work anywhere in the tab; single keys and Delete only
        while the book or the flow board has focus (so typing in a combo box or a
        search field never arrives or cancels a patient)."""

        def add(name: str, keys: list[str], slot, what: str) -> QAction:
            action = QAction(name, self)
            action.setObjectName(f"schedule_action_{name.lower().replace(' ', '_')}")
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.triggered.connect(slot)
            describe(action, what)
            plain = all(len(k) == 1 or k == "Del" or k == "Ins" for k in keys)
            if plain:
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
                self.grid.addAction(action)
                self.flow_board.table.addAction(action)
            else:
                action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                self.addAction(action)
            return action

        self.actions_by_name = {
            "book": add("book", ["Ins", "Ctrl+N"], self.book_at_cursor, "Book at the cursor"),
            "cancel": add("cancel", ["Del"], self.cancel_current, "Cancel the visit (asks why)"),
            "undo": add("undo", ["Ctrl+Z"], self.undo, "Undo the last status change"),
            "follow_up": add("follow up", ["F"], self.book_follow_up, "Book a follow-up"),
            "next_open": add("next open", ["S"], self.find_next_open, "Find the next open slot"),
            "waitlist": add("waitlist", ["W"], self.add_to_waitlist, "Put on the waitlist"),
            "export": add("export", ["Ctrl+E"], self.export_calendar, "Export the calendar"),
            "previous_day": add(
                "previous day", ["Alt+Left"], lambda: self.step(-1), "Previous day"
            ),  # fmt: skip
            "next_day": add("next day", ["Alt+Right"], lambda: self.step(1), "Next day"),
            "today": add("today", ["T"], self.go_today, "Go to today"),
            "switch_panel": add(
                "switch panel",
                ["F6"],
                self.switch_focus,
                "Switch between the book and the flow board",
            ),  # fmt: skip
        }
        for status, _label, key in FLOW_KEYS:
            self.actions_by_name[status] = add(
                f"flow {status}", [key], lambda _=False, s=status: self.move_patient(s),
                f"Set the selected visit to {flow.LABELS[status]} (book or flow board)",
            )  # fmt: skip

    def _gate_by_role(self) -> None:
        """What the signed-in role may not do is disabled, with the reason, keys included."""
        needs = {
            "schedule.write": (self.book_button, self.follow_button, self.waitlist_button,
                               *(self.actions_by_name[n] for n in ("book", "follow_up",
                                                                   "waitlist"))),
            "flow.write": (self.cancel_button, self.undo_button, *self.flow_buttons.values(),
                           *(self.actions_by_name[n] for n in ("cancel", "undo")),
                           *(self.actions_by_name[s] for s, _l, _k in FLOW_KEYS)),
        }  # fmt: skip
        for permission, targets in needs.items():
            for target in targets:
                gate(target, self.services, permission)
        self.book_lock = self.book_button.findChild(RoleLock)

    def _fill_provider_choices(self) -> None:
        providers = self.services.schedule.providers()
        self.week_provider.blockSignals(True)
        self.week_provider.clear()
        for p in providers:
            self.week_provider.addItem(p.display_name, p.id)
        self.week_provider.blockSignals(False)
        self.week_provider.setEnabled(False)
        self.provider_menu.clear()
        for p in providers:
            action = self.provider_menu.addAction(p.display_name)
            action.setCheckable(True)
            action.setChecked(p.id not in self.hidden_providers)
            action.toggled.connect(lambda on, pid=p.id: self._toggle_provider(pid, on))

    # ------------------------------------------------------------- navigation
    def set_day(self, day: dt.date) -> None:
        """Show another day (or week): only the book reloads; the side panel is about today."""
        self.day = day
        self.date_edit.blockSignals(True)
        self.date_edit.setDate(QDate(day.year, day.month, day.day))
        self.date_edit.blockSignals(False)
        self.reload_book()

    def step(self, direction: int) -> None:
        days = 7 if self.week_provider_id is not None else 1
        self.set_day(self.day + dt.timedelta(days=days * direction))

    def go_today(self) -> None:
        self.set_day(self.services.now().date())
        now = self.services.now()
        column = self.model.column_of(now.date(), self._cursor_provider() or -1)
        self.grid.select_cell(self.model.row_of(now.time()), column or 0)

    def show_week(self, provider_id: int | None) -> None:
        """Week view for one provider (None returns to the day view)."""
        if provider_id is None:
            self.view_mode.setCurrentIndex(0)
        else:
            self.week_provider.setCurrentIndex(max(0, self.week_provider.findData(provider_id)))
            self.view_mode.setCurrentIndex(1)
        self._mode_changed()

    def _mode_changed(self) -> None:
        mode = self.view_mode.currentData()
        week = mode == "week"
        self.week_provider.setEnabled(week)
        self.week_provider_id = self.week_provider.currentData() if week else None
        # the flow board as a full-width view: the whole board readable from across the room
        self.grid.setVisible(mode != "flow")
        if mode == "flow":
            self.side.setCurrentWidget(self.flow_board)
            self.flow_board.refresh()
            self.flow_board.focus_table()
        else:
            self._fit_splitter()
        self.reload_book()

    def show_flow_board(self) -> None:
        """Switch to the full-width flow board view (and back with show_week(None))."""
        self.view_mode.setCurrentIndex(self.view_mode.findData("flow"))

    def _toggle_provider(self, provider_id: int, shown: bool) -> None:
        (self.hidden_providers.discard if shown else self.hidden_providers.add)(provider_id)
        self.reload_book()

    def switch_focus(self) -> None:
        if self.grid.hasFocus() or not self.grid.isVisible():
            self.side.setCurrentWidget(self.flow_board)
            self.flow_board.focus_table()
        else:
            self.grid.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ------------------------------------------------------------- loading
    def reload(self) -> None:
        """Reload the book, flow board and waitlist (after a write, on the 30 s tick)."""
        self._reference = None
        self.reload_book()
        self.flow_board.refresh()
        self.waitlist.refresh()

    def reload_book(self) -> None:
        """Reload the appointment book; the cursor stays on its appointment or cell."""
        current = self.grid.currentIndex()
        keep_cell = (current.row(), current.column()) if current.isValid() else None
        providers, clinic = self._reference_data()
        provider_ids = None
        if self.hidden_providers:
            provider_ids = [p.id for p in providers if p.id not in self.hidden_providers]
        lanes_before = self.model.columnCount()
        self._rows = load_book(
            self.model, self.services, day=self.day, provider_ids=provider_ids,
            week_provider_id=self.week_provider_id,
            show_inactive=self.show_cancelled.isChecked(), providers=providers, clinic=clinic,
        )  # fmt: skip
        if self.model.columnCount() != lanes_before:
            self._fit_splitter()
        self.grid.now = self.services.now()
        self._restore_cursor(keep_cell)
        self._update_summary()
        self._show_details()

    def _reference_data(self):
        """Providers and clinic settings, kept until the next full reload."""
        if self._reference is None:
            self._reference = (self.services.schedule.providers(), self.services.settings.get())
        return self._reference

    def _fit_splitter(self) -> None:
        """Give the book room for its columns, then the side panel room for the flow
        board on one line per row (a 1920 screen has it); the book takes the rest."""
        total = max(self.splitter.width(), 1200)
        wanted = min(70 + 175 * max(1, self.model.columnCount()), int(total * 0.72))
        board = self.flow_board.table
        side_chrome = self.side.minimumSizeHint().width() - board.minimumWidth()
        side_wanted = comfortable_width(board) + max(side_chrome, 0)
        book = min(max(int(total * 0.56), wanted), max(total - side_wanted, wanted))
        self.splitter.setSizes([book, total - book])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_splitter()

    def refresh(self) -> None:
        """The 30-second tick and other workstations' commits: the cursor, the flow board's
        selection and the scroll positions stay; a server that does not answer leaves the
        screen as it was (the banner says why)."""
        with kept_scroll(self.grid, self.flow_board.table):
            refresh_quietly(self.selection, self.reload)

    def _restore_cursor(self, keep_cell) -> None:
        block = self.model.block_of(self.current_id) if self.current_id else None
        self._following_selection = True
        try:
            if block is not None:
                self.grid.select_cell(block.row, block.column)
            elif keep_cell and self.model.rowCount() and self.model.columnCount():
                self.grid.select_cell(min(keep_cell[0], self.model.rowCount() - 1),
                                      min(keep_cell[1], self.model.columnCount() - 1))  # fmt: skip
            elif self.model.rowCount() and self.model.columnCount():
                now = self.services.now()
                row = self.model.row_of(now.time()) if now.date() == self.day else 0
                self.grid.select_cell(row, 0)
        finally:
            self._following_selection = False
        on_board = any(f.appointment.id == self.current_id for f in self.flow_board.model.rows())
        if block is None and not on_board:
            # the cursor may not have moved (same cell on another day): follow what it is on
            index = self.grid.currentIndex()
            a = self.model.appointment_at(index.row(), index.column()) if index.isValid() else None
            self.current_id = a.id if a else None

    def _update_summary(self) -> None:
        rows = [r for r in self._rows if r.status != flow.ENTERED_IN_ERROR]
        active = [r for r in rows if r.is_active]
        in_clinic = sum(r.status in flow.IN_CLINIC_STATUSES for r in rows)
        done = sum(r.status == flow.CHECKED_OUT for r in rows)
        no_show = sum(r.status == flow.NO_SHOW for r in rows)
        cancelled = sum(r.status == flow.CANCELLED for r in rows)
        when = (f"Week of {weekday_text(week_start(self.day))}" if self.week_provider_id
                else weekday_text(self.day))  # fmt: skip
        self.summary.setText(
            f"<b>{when}</b> · {len(active)} booked · {in_clinic} in clinic · {done} checked out"
            f" · {no_show} no-show · {cancelled} cancelled"
        )

    def _data_changed(self, _area: str) -> None:
        self.reload()

    def _remote_changed(self, areas: frozenset[str] | None) -> None:
        """Everything the book and the flow board show: visits, statuses, rooms, criticals."""
        if areas is None or areas & REMOTE_AREAS:
            self.refresh()

    # ------------------------------------------------------------- selection
    def current_appointment(self) -> AppointmentRow | None:
        if self.current_id is None:
            return None
        return next((r for r in self._rows if r.id == self.current_id), None) or self._fetch(
            self.current_id
        )

    def _fetch(self, appointment_id: int) -> AppointmentRow | None:
        try:
            return self.services.schedule.get(appointment_id)
        except MADeskError:
            return None

    def _cell_changed(self, current, _previous) -> None:
        if not current.isValid():
            return
        a = self.model.appointment_at(current.row(), current.column())
        self.current_id = a.id if a else None
        self.grid.viewport().update()
        self._show_details()
        if a is not None and not self._following_selection:
            self.flow_board.select_appointment(a.id)
            self.selection.select_appointment(a.id, a.patient_id)

    def _flow_chosen(self, appointment_id: int, patient_id: int) -> None:
        self.current_id = appointment_id
        self._move_cursor_to(appointment_id)
        self._show_details()
        self.selection.select_appointment(appointment_id, patient_id)

    def _selection_moved(self, appointment_id) -> None:
        """Another tab chose an appointment: follow it if it is in view."""
        if appointment_id is None or appointment_id == self.current_id:
            return
        if self.model.block_of(appointment_id) is not None:
            self.current_id = appointment_id
            self._move_cursor_to(appointment_id)
            self.flow_board.select_appointment(appointment_id)

    def _move_cursor_to(self, appointment_id: int) -> None:
        block = self.model.block_of(appointment_id)
        if block is not None:
            self._following_selection = True
            try:
                self.grid.select_cell(block.row, block.column)
            finally:
                self._following_selection = False

    def _open_details(self) -> None:
        """Enter on the flow board: show who the patient is and the visit's history."""
        self.side.setCurrentWidget(self.details)
        self.details.setFocus(Qt.FocusReason.OtherFocusReason)

    def _cursor_slot(self) -> tuple[dt.datetime, int] | None:
        index = self.grid.currentIndex()
        if not index.isValid() or not self.model.lanes:
            return None
        return (self.model.slot_start(index.row(), index.column()),
                self.model.lanes[index.column()].provider.id)  # fmt: skip

    def _cursor_provider(self) -> int | None:
        slot = self._cursor_slot()
        return slot[1] if slot else None

    def _show_details(self) -> None:
        a = self.current_appointment()
        if a is None:
            slot = self._cursor_slot()
            self.details.setText(
                f"Open slot {weekday_time_text(slot[0])}. Press Enter or Ins to book."
                if slot
                else ""
            )
            return
        esc = html.escape
        lines = [
            f"<b>{esc(a.patient_name)}</b> ({age_label(a.patient_dob, a.start.date())}) · DOB "
            f"{date_text(a.patient_dob)} · {esc(a.mrn)}",
            f"{weekday_time_text(a.start)}–{time_text(a.end)} · {esc(a.type_name)} ({a.minutes} min) · "
            f"{esc(a.provider_name)}",
            f"Reason: {esc(a.reason) or '—'}",
            f"Status: <b>{a.status_label}</b>" + (" (late)" if a.is_late else "")
            + (f" · {esc(a.room_name)}" if a.room_name else ""),
        ]  # fmt: skip
        if a.cancel_reason:
            lines.append(f"Cancelled: {esc(a.cancel_reason)}")
        if a.series_id:
            lines.append("Part of a recurring series.")
        flag = self.model.flags_by_patient.get(a.patient_id)
        if flag:
            lines.append(f"<span style='color:{palette.FLAG_TEXT}'>⚠ {esc(flag)}</span>")
        history = (self.services.schedule.history(a.id)
                   if self.side.currentWidget() is self.details else [])  # fmt: skip
        if history:
            lines.append("<br><b>History</b>")
            for h in history:
                undone = " <i>(undone)</i>" if h.undone else ""
                who = f" by {html.escape(h.user_name)}" if h.user_name else ""
                lines.append(f"{day_month_time_text(h.at)} {flow.LABELS.get(h.from_status)} → "
                             f"{flow.LABELS.get(h.to_status)}{who}{undone}")  # fmt: skip
        self.details.setText("<br>".join(lines))

    def say(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------- misc
    def _now(self) -> dt.datetime:
        return self.services.now()

    def activated(self) -> None:
        self.reload()

    def focus_first(self) -> None:
        self.grid.setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.timer.isActive():
            self.timer.start()
