"""Clinic settings (administrators): the set-up wizard's sections again, in tabs, saved
in one service call (``ClinicSetupService.update_setup``), audited old -> new."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from ma_desk import clinic_setup_rules as rules
from ma_desk.errors import MADeskError
from ma_desk.services import Services
from ma_desk.ui.common.errors import FieldMessage, field_errors
from ma_desk.ui.common.fit import scrolling
from ma_desk.ui.common.widgets import named
from ma_desk.ui.setup.sections import (
    ClinicSection,
    HoursSection,
    ProvidersSection,
    RoomsSection,
    VisitTypesSection,
)


class ClinicSettingsDialog(QDialog):
    """Opened from Administration › Clinic settings…; Save checks every tab first."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setObjectName("clinic_settings_dialog")
        self.setWindowTitle("MA Desk — clinic settings")
        self.setMinimumWidth(720)
        self.resize(720, 540)  # a 1280x720 screen at 125 % is lower: the tabs then scroll
        self.clinic = ClinicSection()
        self.hours = HoursSection()
        self.visit_types = VisitTypesSection(self.hours.slot_minutes)
        self.providers = ProvidersSection()
        self.rooms = RoomsSection()
        self.tabs = named(QTabWidget(), "clinic_settings_tabs", "Clinic settings")
        for title, section in (("&Clinic", self.clinic), ("&Hours", self.hours),
                               ("&Visit types", self.visit_types),
                               ("&Providers", self.providers), ("&Rooms", self.rooms)):  # fmt: skip
            self.tabs.addTab(section, title)
        self.message = FieldMessage("clinic_settings")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        named(buttons.button(QDialogButtonBox.StandardButton.Save), "clinic_settings_save",
              "Save the clinic settings")  # fmt: skip
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scrolling(self.tabs, "clinic_settings_scroll"), 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.load()

    def load(self) -> None:
        """What is stored now, and the versions a save is checked against."""
        setup = self.services.clinic_setup.current_setup()
        self.versions = self.services.settings.versions()
        self.clinic.set_details(setup.clinic)
        self.hours.set_hours(setup.hours, setup.slot_minutes)
        self.visit_types.set_rows(setup.visit_types)
        self.providers.set_rows(setup.providers)
        self.rooms.set_rows(setup.rooms)

    def sections(self) -> list:
        return [self.clinic, self.hours, self.visit_types, self.providers, self.rooms]

    def save(self) -> None:
        for section in self.sections():
            if not section.check():
                self.tabs.setCurrentWidget(section)
                self.message.show_message("Correct what the tab shows, then save again.")
                return
        hours = self.hours.hours()
        assert not isinstance(hours, dict)  # the hours section checked it
        setup = rules.ClinicSetup(
            clinic=self.clinic.details(),
            providers=self.providers.rows(),
            rooms=self.rooms.rows(),
            hours=hours,
            slot_minutes=self.hours.slot_minutes(),
            visit_types=self.visit_types.rows(),
        )
        try:
            self.services.clinic_setup.update_setup(setup, expected_versions=self.versions)
        except MADeskError as error:
            shown = field_errors(error)
            for section in self.sections():
                section.show_problems({k: v for k, v in shown.items() if k in section.messages})
            self.message.show_message(str(error))
            return
        self.accept()
