"""The main window: a thin shell of five tabs, a status bar and shortcuts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget, QWidget

from ma_desk.clock import Clock
from ma_desk.services import Services
from ma_desk.ui.checkin.tab import CheckinTab
from ma_desk.ui.insurance.tab import InsuranceTab
from ma_desk.ui.printing.menu import install_print_menu
from ma_desk.ui.roomprep.tab import RoomPrepTab
from ma_desk.ui.schedule.tab import ScheduleTab
from ma_desk.ui.security.session import SessionController
from ma_desk.ui.selection import Selection
from ma_desk.ui.tab_base import Tab
from ma_desk.ui.vitals.tab import VitalsTab

TAB_CLASSES: list[type[Tab]] = [ScheduleTab, CheckinTab, VitalsTab, RoomPrepTab, InsuranceTab]


class MainWindow(QMainWindow):
    def __init__(
        self,
        services: Services,
        *,
        store_label: str,
        settings_file: Path | None = None,
        parent: QWidget | None = None,
        idle_clock: Clock | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.selection = Selection(self)
        self.setObjectName("main_window")
        clinic = services.settings.get()
        self.setWindowTitle(f"MA Desk — {clinic.clinic_name}")
        self._qsettings = (
            QSettings(str(settings_file), QSettings.Format.IniFormat)
            if settings_file
            else QSettings()
        )

        self.tabs = QTabWidget()
        self.tabs.setObjectName("main_tabs")
        self.tabs.setAccessibleName("Main tabs")
        self.tabs.setDocumentMode(True)
        self.tab_widgets: list[Tab] = []
        for number, cls in enumerate(TAB_CLASSES, start=1):
            tab = cls(services, self.selection, self)
            tab.setObjectName(f"tab_{cls.title.lower().replace(' ', '_').replace('-', '')}")
            self.tab_widgets.append(tab)
            self.tabs.addTab(tab, f"{cls.title}")
            self.tabs.setTabToolTip(number - 1, f"{cls.title} (Ctrl+{number})")
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            shortcut.activated.connect(lambda i=number - 1: self.tabs.setCurrentIndex(i))
        self.setCentralWidget(self.tabs)
        self.tabs.currentChanged.connect(self._tab_changed)

        status = self.statusBar()
        self.clinic_label = QLabel(clinic.clinic_name)
        self.clinic_label.setObjectName("status_clinic")
        self.date_label = QLabel()
        self.date_label.setObjectName("status_date")
        self.user_label = QLabel()
        self.user_label.setObjectName("status_user")
        self.store_label = QLabel(store_label)
        self.store_label.setObjectName("status_store")
        status.addWidget(self.clinic_label)
        status.addWidget(self.date_label)
        status.addPermanentWidget(self.user_label)
        status.addPermanentWidget(self.store_label)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self.update_status)
        self._tick.start(30_000)
        self.update_status()
        self._restore_state()
        self.session = SessionController(self, services, idle_clock=idle_clock)
        self.print_menu = install_print_menu(self, services, self.selection)

    def update_status(self) -> None:
        now = self.services.ctx.clock.now()
        self.date_label.setText(f"{now:%A, %B} {now.day}, {now.year}  {now:%H:%M}")
        actor = self.services.actor
        self.user_label.setText(f"Signed in: {actor.display_name}")

    def _tab_changed(self, index: int) -> None:
        if 0 <= index < len(self.tab_widgets):
            self.tab_widgets[index].activated()

    def _restore_state(self) -> None:
        geometry = self._qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        try:
            index = int(self._qsettings.value("window/tab", 0))
        except (TypeError, ValueError):
            index = 0
        self.tabs.setCurrentIndex(max(0, min(index, self.tabs.count() - 1)))

    def save_state(self) -> None:
        self._qsettings.setValue("window/geometry", self.saveGeometry())
        self._qsettings.setValue("window/tab", self.tabs.currentIndex())
        self._qsettings.sync()

    def closeEvent(self, event) -> None:
        self.save_state()
        super().closeEvent(event)
