"""The downtime copy on screen: kept fresh in the background, opened from the server banner.

``DowntimeCopies`` retakes the copy (ma_desk/downtime.py) every few minutes on a
worker thread while the clinic server answers; a failed copy leaves the last one
in place. ``DowntimeDialog`` shows today's schedule and, for the chosen line, the
patient's face sheet, read from the copy only (the server may be down), and
prints either through the usual preview. Each opening is logged locally.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ma_desk import downtime
from ma_desk.clinical import flow
from ma_desk.db.keys import StoreKey
from ma_desk.display_format import time_text
from ma_desk.errors import MADeskError
from ma_desk.reports.document import fmt_date
from ma_desk.reports.downtime import DOWNTIME_NOTE, face_sheet_pdf, schedule_pdf
from ma_desk.ui.common import palette
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named
from ma_desk.ui.common.worker import run_in_background
from ma_desk.ui.printing import preview

if TYPE_CHECKING:
    from ma_desk.services import Services

log = logging.getLogger("ma_desk.ui.downtime")

FIRST_COPY_MS = 20_000  # soon after start, once the first screens are loaded
REFRESH_MS = downtime.REFRESH_MINUTES * 60_000
NO_COPY = ("This workstation keeps no downtime copy (it is made on a clinic server "
           "workstation). Use the paper schedule printed this morning.")  # fmt: skip

SCHEDULE_COLUMNS: list[Column[downtime.ScheduleLine]] = [
    Column("Time", lambda line: time_text(line.start)),
    Column("Provider", lambda line: line.provider),
    Column("Patient", lambda line: line.patient),
    Column("DOB", lambda line: fmt_date(line.dob)),
    Column("MRN", lambda line: line.mrn),
    Column("Type", lambda line: line.visit_type),
    Column("Status", lambda line: flow.LABELS.get(line.status, line.status)),
]


class DowntimeCopies(QObject):
    """Retakes this workstation's downtime copy on a timer, off the UI thread."""

    def __init__(self, services: Services, data_dir: Path, key: StoreKey, parent: QObject) -> None:
        super().__init__(parent)
        self.services = services
        self.data_dir = data_dir
        self.key = key
        self.running = False
        self.last_error: MADeskError | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.take_now)

    def start(self) -> None:
        QTimer.singleShot(FIRST_COPY_MS, self.take_now)
        self._timer.start()

    def take_now(self) -> None:
        if self.running:
            return
        self.running = True
        run_in_background(self, lambda: downtime.take_snapshot(self.services, self.data_dir,
                                                               self.key),
                          self._done, self._failed)  # fmt: skip

    def _done(self, patients: int) -> None:
        self.running, self.last_error = False, None
        log.info("downtime copy taken (%d patients)", patients)

    def _failed(self, error: MADeskError) -> None:
        """The server is away (or the disk refused): the last copy stays as it was."""
        self.running, self.last_error = False, error
        log.info("downtime copy not taken: %s", type(error).__name__)


class DowntimeDialog(QDialog):
    """Today's schedule and face sheets from the copy; nothing here talks to the server."""

    def __init__(self, snapshot: downtime.Snapshot, copies: DowntimeCopies, username: str,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.snapshot = snapshot
        self.copies = copies
        self.username = username
        self._logged: set[str] = set()  # each thing shown is logged once per opening
        self.setObjectName("downtime_dialog")
        self.setWindowTitle(f"MA Desk — downtime view ({snapshot.clinic_name})")
        self.resize(1100, 700)
        self.note = named(QLabel(DOWNTIME_NOTE.format(taken=snapshot.taken_at)), "downtime_note")
        self.note.setStyleSheet(f"color: {palette.CAUTION_TEXT}; font-weight: bold;")
        self.model: RowTableModel[downtime.ScheduleLine] = RowTableModel(SCHEDULE_COLUMNS, self)
        self.model.set_rows(list(snapshot.schedule))
        self.table = make_table("downtime_schedule", "Today's schedule (downtime copy)")
        self.table.setModel(self.model)
        self.sheet = named(QTextBrowser(), "downtime_face_sheet", "Face sheet")
        self.print_schedule_button = named(QPushButton("Print &schedule…"),
                                           "downtime_print_schedule", "Print the schedule")  # fmt: skip
        self.print_sheet_button = named(QPushButton("Print &face sheet…"),
                                        "downtime_print_face_sheet", "Print the face sheet")  # fmt: skip
        self.print_sheet_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_schedule_button)
        buttons.addWidget(self.print_sheet_button)
        buttons.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.table, 3)
        body.addWidget(self.sheet, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self.show_sheet())
        self.print_schedule_button.clicked.connect(self.print_schedule)
        self.print_sheet_button.clicked.connect(self.print_sheet)
        self._log("schedule")
        self.table.setFocus()

    def current_sheet(self) -> downtime.FaceSheet | None:
        line = self.model.row_at(self.table.currentIndex().row())
        return None if line is None else self.snapshot.face_sheets.get(line.patient_ref)

    def show_sheet(self) -> None:
        sheet = self.current_sheet()
        self.print_sheet_button.setEnabled(sheet is not None)
        if sheet is None:
            self.sheet.clear()
            return
        self._log(f"face sheet {sheet.patient_ref}")
        rows = [("MRN", sheet.mrn), ("Date of birth", fmt_date(sheet.dob)), ("Sex", sheet.sex),
                ("Phone", sheet.phone), ("Address", sheet.address),
                ("Language", sheet.language), ("Emergency contact", sheet.emergency_contact),
                ("Allergies", sheet.allergies or "None recorded"),
                ("Medications", sheet.medications or "None recorded"),
                ("Insurance", "; ".join(sheet.insurance) or "None on file")]  # fmt: skip
        self.sheet.setPlainText(sheet.name + "\n\n" + "\n".join(f"{k}: {v}" for k, v in rows))

    def print_schedule(self) -> None:
        preview.show_pdf(self, schedule_pdf(self.snapshot), title="Downtime schedule",
                         suggested_name="downtime-schedule.pdf")  # fmt: skip

    def print_sheet(self) -> None:
        sheet = self.current_sheet()
        if sheet is not None:
            preview.show_pdf(self, face_sheet_pdf(self.snapshot, sheet),
                             title="Downtime face sheet", suggested_name="face-sheet.pdf")  # fmt: skip

    def _log(self, what: str) -> None:
        if what in self._logged:
            return
        self._logged.add(what)
        try:
            downtime.log_opening(self.copies.data_dir, self.copies.key, self.username, what,
                                 self.copies.services.now())  # fmt: skip
        except MADeskError as error:  # the view still opens: the copy is for emergencies
            log.warning("downtime opening not logged: %s", type(error).__name__)


def install_downtime_copies(window, services: Services, data_dir: Path, ask_passphrase=None,
                            ask_new_passphrase=None) -> DowntimeCopies | None:  # fmt: skip
    """Server mode only: keep this workstation's downtime copy fresh. None on the SQLCipher
    file (the store itself is on this computer) or when no key can be had here."""
    if not services.store.on_server:
        return None
    try:
        key = downtime.downtime_key(data_dir, ask_passphrase=ask_passphrase,
                                    ask_new_passphrase=ask_new_passphrase)  # fmt: skip
    except MADeskError as error:
        log.warning("no downtime copy on this workstation: %s", type(error).__name__)
        return None
    copies = DowntimeCopies(services, data_dir, key, window)
    window.downtime_copies = copies
    copies.start()
    return copies


def open_downtime_view(window, services: Services) -> DowntimeDialog | None:
    """The banner's "Open downtime view…": the copy, whatever the server's state."""
    copies: DowntimeCopies | None = getattr(window, "downtime_copies", None)
    if copies is None:
        dialogs.warn(window, "Downtime view", NO_COPY)
        return None
    try:
        snapshot = downtime.open_snapshot(copies.data_dir, copies.key)
    except MADeskError as error:
        dialogs.warn(window, "Downtime view", str(error))
        return None
    dialog = DowntimeDialog(snapshot, copies, services.actor.username, window)
    dialog.show()
    return dialog
