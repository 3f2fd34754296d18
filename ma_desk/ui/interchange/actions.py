"""The menu entries: Administration → Import from the old system…, Print → Export for patient
(FHIR)…; each enabled only for the roles that may use it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu

from ma_desk.services import Services
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.common.role_gate import gate
from ma_desk.ui.common.worker import run_in_background
from ma_desk.ui.selection import Selection


class InterchangeActions(QObject):
    def __init__(self, window: QMainWindow, services: Services, selection: Selection) -> None:
        super().__init__(window)
        self.window, self.services, self.selection = window, services, selection
        self.import_action = QAction("Import from the old system…", window)
        self.import_action.setObjectName("action_import")
        self.import_action.triggered.connect(self.open_import)
        self.export_action = QAction("Export for patient (FHIR)…", window)
        self.export_action.setObjectName("action_export_fhir")
        self.export_action.triggered.connect(self.export_patient)
        self.ask_path = self._ask_path  # tests answer the save dialog themselves
        admin = window.findChild(QMenu, "menu_admin")
        printing = window.findChild(QMenu, "print_menu")
        for menu, action in ((admin, self.import_action), (printing, self.export_action)):
            if menu is not None:
                menu.addSeparator()
                menu.addAction(action)
        gate(self.import_action, services, "records.import")
        gate(self.export_action, services, "records.export_patient")

    def open_import(self) -> None:
        from ma_desk.ui.interchange.wizard import ImportDialog

        dialog = ImportDialog(self.services, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # not one kept per opening
        dialog.exec()

    def export_patient(self) -> None:
        patient_id = self.selection.patient_id
        if patient_id is None:
            dialogs.info(self.window, "Export for patient", "Select a patient first.")
            return
        path = self.ask_path()
        if not path:
            return
        run_in_background(
            self.window,
            lambda: self.services.interchange.export_patient_fhir(patient_id, Path(path),
                                                                  replace=True),
            lambda count: dialogs.info(self.window, "Export for patient",
                                       f"Wrote {count} FHIR resources to {path}. The file "
                                       "holds patient information: keep it safe."),
            lambda error: dialogs.warn(self.window, "Export for patient", str(error)),
        )  # fmt: skip

    def _ask_path(self) -> str:
        """The save dialog asks before replacing a file, so the export may replace it."""
        path, _filter = QFileDialog.getSaveFileName(self.window, "Export for patient (FHIR)",
                                                    "patient-fhir.json", "FHIR JSON (*.json)")  # fmt: skip
        return path


def install_interchange_actions(window: QMainWindow, services: Services,
                                selection: Selection) -> InterchangeActions:  # fmt: skip
    return InterchangeActions(window, services, selection)
