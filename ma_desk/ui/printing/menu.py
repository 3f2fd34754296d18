"""The main window's Print menu: each action works on the patient/appointment selected
in any tab (Schedule, Check-in, Vitals...)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu

from ma_desk.errors import MADeskError
from ma_desk.reports.i18n import fallback_note
from ma_desk.services import Services
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.role_gate import gate
from ma_desk.ui.printing import preview
from ma_desk.ui.printing.dialogs import EndOfDayDialog, LabelsDialog
from ma_desk.ui.printing.handouts import HandoutAdminDialog, HandoutPickerDialog
from ma_desk.ui.selection import Selection

NO_VISIT = ("Select a patient who has a visit today (in Schedule, Check-in or Vitals) "
            "first: the visit starts when the patient is marked Arrived.")  # fmt: skip


@dataclass(frozen=True)
class Target:
    """What the print actions act on, resolved from the shared selection."""

    patient_id: int
    patient_name: str
    visit_id: int | None


class PrintMenu(QObject):
    def __init__(self, window: QMainWindow, services: Services, selection: Selection) -> None:
        super().__init__(window)
        self.window = window
        self.services = services
        self.selection = selection
        self.menu = QMenu("&Print", window)
        self.menu.setObjectName("print_menu")
        self.visit_summary_action = self._action("&Visit summary", "print_visit_summary",
                                                 self.print_visit_summary, QKeySequence.StandardKey.Print)  # fmt: skip
        self.handout_action = self._action("&Handout…", "print_handout", self.print_handout)
        self.labels_action = self._action("&Labels…", "print_labels", self.print_labels)
        self.menu.addSeparator()
        self.end_of_day_action = self._action("&End-of-day report…", "print_end_of_day",
                                              self.end_of_day)  # fmt: skip
        self.menu.addSeparator()
        self.library_action = self._action("Handout li&brary…", "handout_library",
                                           self.handout_library)  # fmt: skip
        window.menuBar().addMenu(self.menu)
        self.menu.setToolTipsVisible(True)  # a disabled entry says why
        for action, permission in ((self.visit_summary_action, "reports.print"),
                                   (self.handout_action, "reports.print"),
                                   (self.labels_action, "reports.print"),
                                   (self.end_of_day_action, "reports.end_of_day"),
                                   (self.library_action, "handouts.admin")):  # fmt: skip
            gate(action, services, permission)

    def _action(self, text: str, name: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.menu.addAction(action)
        return action

    # ------------------------------------------------------------- the selection
    def target(self) -> Target | None:
        """The selected appointment's visit, else the selected patient's visit today."""
        try:
            appointment_id = self.selection.appointment_id
            if appointment_id is not None:
                row = self.services.schedule.get(appointment_id)
                return Target(row.patient_id, row.patient_name, row.visit_id)
            patient_id = self.selection.patient_id
            if patient_id is None:
                return None
            today = self.services.now().date()
            mine = [a for a in self.services.schedule.day(today) if a.patient_id == patient_id]
            with_visit = [a for a in mine if a.visit_id is not None]
            if with_visit:
                last = with_visit[-1]
                return Target(patient_id, last.patient_name, last.visit_id)
            record = self.services.patients.get(patient_id)
            return Target(patient_id, record.full_name, None)
        except MADeskError as error:
            dialogs.warn(self.window, "Print", str(error))
            return None

    # ------------------------------------------------------------- actions
    def print_visit_summary(self) -> None:
        target = self.target()
        if target is None or target.visit_id is None:
            dialogs.info(self.window, "Visit summary", NO_VISIT)
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            pdf = self.services.reports.visit_summary(target.visit_id)
            language = self.services.patients.get(target.patient_id).preferred_language
        except MADeskError as error:
            dialogs.warn(self.window, "Visit summary", str(error))
            return
        finally:
            QApplication.restoreOverrideCursor()
        preview.show_pdf(self.window, pdf, title="After-visit summary",
                         suggested_name=f"visit-summary-{target.visit_id}.pdf",
                         note=fallback_note(language))  # fmt: skip

    def print_handout(self) -> None:
        target = self.target()
        if target is None or target.visit_id is None:
            dialogs.info(self.window, "Handouts", NO_VISIT)
            return
        try:
            language = self.services.patients.get(target.patient_id).preferred_language
        except MADeskError as error:
            dialogs.warn(self.window, "Handouts", str(error))
            return
        dialog = HandoutPickerDialog(self.services, target.visit_id, target.patient_name,
                                     language, self.window)  # fmt: skip
        dialog.exec()

    def print_labels(self) -> None:
        target = self.target()
        if target is None:
            dialogs.info(self.window, "Labels", "Select a patient first.")
            return
        dialog = LabelsDialog(self.services, visit_id=target.visit_id,
                              patient_id=target.patient_id, patient_name=target.patient_name,
                              parent=self.window)  # fmt: skip
        dialog.exec()

    def end_of_day(self) -> None:
        EndOfDayDialog(self.services, self.window).exec()

    def handout_library(self) -> None:
        HandoutAdminDialog(self.services, self.window).exec()


def install_print_menu(window: QMainWindow, services: Services, selection: Selection) -> PrintMenu:
    """Add the Print menu to ``window``'s menu bar (one call from the main window)."""
    return PrintMenu(window, services, selection)
