"""Room prep tab: the room board with the checklist run beside it, restock list, compliance."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical.checklist_templates import MOMENTS, moment_for_state, moment_label
from ma_desk.errors import MADeskError
from ma_desk.services.rooms import RoomRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.fit import FlowLayout, keep_panels, wrapping
from ma_desk.ui.common.role_gate import gate
from ma_desk.ui.common.table_model import ROW_ROLE
from ma_desk.ui.common.widgets import named
from ma_desk.ui.live import kept_scroll
from ma_desk.ui.roomprep.board import RoomBoardView, board_model
from ma_desk.ui.roomprep.compliance import CompliancePage
from ma_desk.ui.roomprep.restock import RestockPage
from ma_desk.ui.roomprep.run_panel import ChecklistRunPanel
from ma_desk.ui.roomprep.template_editor import TemplateEditorDialog
from ma_desk.ui.tab_base import Tab

if TYPE_CHECKING:
    from ma_desk.services import Services
    from ma_desk.ui.selection import Selection


class RoomPrepTab(Tab):
    title = "Room prep"

    def __init__(self, services: Services, selection: Selection, parent: QWidget | None = None):
        super().__init__(services, selection, parent)
        with contextlib.suppress(MADeskError):  # without read access the board stays empty
            services.checklists.ensure_default_templates()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.pages = QTabWidget()
        self.pages.setObjectName("roomprep_pages")
        self.pages.setAccessibleName("Room prep pages")
        layout.addWidget(self.pages)

        board_page = QWidget()
        board_layout = QVBoxLayout(board_page)
        board_layout.setContentsMargins(0, 4, 0, 0)
        bar = FlowLayout()
        bar.addWidget(QLabel("Checklist:"))
        self.moment = named(QComboBox(), "roomprep_moment", "Checklist moment")
        for moment in MOMENTS:
            self.moment.addItem(moment_label(moment), moment)
        bar.addWidget(self.moment)
        self.start_button = named(QPushButton("Start checklist"), "roomprep_start",
                                  "Start checklist")  # fmt: skip
        self.start_button.setToolTip("Enter on a room card")
        self.out_button = named(QPushButton("Out of service…"), "roomprep_out_of_service",
                                "Take room out of service")  # fmt: skip
        self.back_button = named(QPushButton("Back in service"), "roomprep_back_in_service",
                                 "Put room back in service")  # fmt: skip
        self.edit_button = named(QPushButton("Edit checklists…"), "roomprep_edit_templates",
                                 "Edit checklists")  # fmt: skip
        for button in (self.start_button, self.out_button, self.back_button):
            bar.addWidget(button)
        self.counts = wrapping(QLabel(""))
        self.counts.setObjectName("roomprep_counts")
        bar.addWidget(self.edit_button)
        board_layout.addLayout(bar)
        board_layout.addWidget(self.counts)
        self.role_note = named(
            wrapping(QLabel("")), "roomprep_role_note", "Why rooms are read-only"
        )
        self.role_note.hide()
        board_layout.addWidget(self.role_note)
        self.message = FieldMessage("roomprep")
        self.message.setStyleSheet(f"color: {palette.ERROR_TEXT}; font-weight: bold;")
        board_layout.addWidget(self.message)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        now = services.now
        self.model = board_model(now, self)
        self.board = RoomBoardView(now)
        self.board.setModel(self.model)
        self.run_panel = ChecklistRunPanel(services)
        self.run_panel.setObjectName("checklist_run_panel")
        splitter.addWidget(self.board)
        splitter.addWidget(self.run_panel)
        keep_panels(splitter, (3, 2))
        splitter.setSizes([780, 560])
        board_layout.addWidget(splitter, 1)
        self.pages.addTab(board_page, "Rooms")

        self.restock = RestockPage(services)
        self.restock.setObjectName("restock_page")
        self.pages.addTab(self.restock, "Restock list")
        self.compliance = CompliancePage(services)
        self.compliance.setObjectName("compliance_page")
        self.pages.addTab(self.compliance, "Compliance")

        # What the role may not do is disabled with the reason (the board stays readable).
        self.start_lock = gate(self.start_button, services, "rooms.write", note=self.role_note)
        for target in (self.out_button, self.back_button, self.run_panel,
                       self.restock.mark_button):  # fmt: skip
            gate(target, services, "rooms.write")
        gate(self.edit_button, services, "checklists.admin")
        self.board.activated_room.connect(self.start_for_room)
        self.board.selectionModel().currentChanged.connect(lambda *_a: self._room_chosen())
        self.start_button.clicked.connect(self.start_selected)
        self.out_button.clicked.connect(self.take_out_of_service)
        self.back_button.clicked.connect(self.back_in_service)
        self.edit_button.clicked.connect(self.edit_templates)
        self.run_panel.changed.connect(self._run_changed)
        self.run_panel.closed.connect(self.board.setFocus)  # back to the board for the next room
        self.pages.currentChanged.connect(self._page_changed)
        selection.data_changed.connect(self._data_changed)
        selection.remote_changed.connect(self._remote_changed)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self._periodic)
        self._tick.start(30_000)
        self.reload()

    # ------------------------------------------------------------ board
    def reload(self) -> None:
        current = self.current_room()
        try:
            rows = self.services.rooms.board()
        except MADeskError as error:  # the board stays as it was (the server may be away)
            self.message.show_message(str(error))
            self.selection.report_error(error)
            return
        with kept_scroll(self.board):
            self.model.set_rows(rows)
            index = next((n for n, r in enumerate(rows) if current and r.id == current.id), -1)
            if index >= 0:
                self.board.setCurrentIndex(self.model.index(index, 0))
        counts = {state: sum(1 for r in rows if r.state == state) for state in
                  ("ready", "occupied", "needs_turnover", "out_of_service")}  # fmt: skip
        self.counts.setText(
            f"{counts['ready']} ready · {counts['occupied']} occupied · "
            f"{counts['needs_turnover']} need turnover · {counts['out_of_service']} out of service"
        )
        self.restock.reload()
        self._update_restock_title()
        self._update_buttons()

    def current_room(self) -> RoomRow | None:
        index = self.board.currentIndex()
        return index.data(ROW_ROLE) if index.isValid() else None

    def select_room(self, room_id: int) -> None:
        for n, row in enumerate(self.model.rows()):
            if row.id == room_id:
                self.board.setCurrentIndex(self.model.index(n, 0))
                return

    def _room_chosen(self) -> None:
        room = self.current_room()
        self.message.show_message("")
        if room is not None:
            self.moment.setCurrentIndex(self.moment.findData(
                room.open_run_moment or moment_for_state(room.state)))  # fmt: skip
            showing = self.run_panel.run
            if showing is not None and showing.id == room.open_run_id:
                pass  # already on screen: keep the MA's place in the list
            elif room.open_run_id is not None:
                try:
                    self.run_panel.show_run(self.services.checklists.run(room.open_run_id))
                except MADeskError as error:
                    self.message.show_message(str(error))
            elif self.run_panel.run is None or self.run_panel.run.room_id != room.id:
                self.run_panel.show_run(None)
        self._update_buttons()

    def _update_buttons(self) -> None:
        room = self.current_room()
        self.start_button.setEnabled(
            room is not None and room.state not in ("occupied", "out_of_service")
        )
        self.out_button.setEnabled(room is not None and room.state != "occupied")
        self.back_button.setEnabled(room is not None and room.state == "out_of_service")

    def _periodic(self) -> None:
        """Keep "since" minutes and other workstations' changes fresh while the board is shown."""
        if self.isVisible() and self.pages.currentIndex() == 0:
            self.reload()

    # ------------------------------------------------------------ actions
    def start_for_room(self, room: RoomRow) -> None:
        """Enter on a room card: start its checklist, or say why this role cannot."""
        self.select_room(room.id)
        if self.start_lock.reason:
            self.message.show_message(self.start_lock.reason)
            return
        self.start_selected()

    def start_selected(self) -> None:
        room = self.current_room()
        if room is None:
            self.message.show_message("Choose a room first.")
            return
        moment = self.moment.currentData()
        try:
            run = self.services.checklists.start_run(room.id, moment)
        except MADeskError as error:
            self.message.show_message(str(error))
            return
        self.message.show_message("")
        self.run_panel.show_run(run)
        self._after_write()

    def take_out_of_service(self) -> None:
        room = self.current_room()
        if room is None:
            return
        reason = dialogs.ask_text(self, "Out of service",
                                  f"Why is {room.name} out of service?")  # fmt: skip
        if reason is None:
            return
        self._set_state(room, "out_of_service", reason)

    def back_in_service(self) -> None:
        room = self.current_room()
        if room is not None:
            self._set_state(room, "needs_turnover", "Back in service")

    def _set_state(self, room: RoomRow, state: str, reason: str) -> None:
        try:
            self.services.rooms.set_state(room.id, state, reason, expected_version=room.version)
        except MADeskError as error:
            self.message.show_message(str(error))
            return
        self.message.show_message("")
        self._after_write()

    def edit_templates(self) -> None:
        dialog = TemplateEditorDialog(self.services, self)
        dialog.exec()

    def _run_changed(self) -> None:
        self._after_write()

    def _after_write(self) -> None:
        self.reload()
        self.selection.notify_changed("rooms")

    def _data_changed(self, area: str) -> None:
        if area != "rooms":
            self.reload()

    def _remote_changed(self, areas: frozenset[str] | None) -> None:
        """Another workstation readied, occupied or checked a room (or moved a patient)."""
        if areas is None or areas & {"rooms", "schedule", "settings"}:
            self.reload()

    def _update_restock_title(self) -> None:
        open_count = self.restock.open_count()
        self.pages.setTabText(1, f"Restock list ({open_count})" if open_count else "Restock list")

    def _page_changed(self, index: int) -> None:
        if self.pages.widget(index) is self.compliance:
            self.compliance.activated()
        elif self.pages.widget(index) is self.restock:
            self.restock.reload()
            self._update_restock_title()

    def activated(self) -> None:
        self.reload()
        if self.pages.currentWidget() is self.compliance:
            self.compliance.activated()

    def focus_first(self) -> None:
        self.board.setFocus()
