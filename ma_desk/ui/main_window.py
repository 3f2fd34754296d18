"""The main window: a thin shell of five tabs, a status bar and shortcuts."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clock import Clock, ms_until_next_minute
from ma_desk.display_format import date_text, long_date_text, time_text, use_locale
from ma_desk.errors import MADeskError
from ma_desk.services import Services
from ma_desk.services.store_state import StoreState
from ma_desk.ui.checkin.tab import CheckinTab
from ma_desk.ui.common import palette
from ma_desk.ui.common.accessibility import name_unnamed_controls
from ma_desk.ui.common.fit import FittingLabel, scrolling_page, set_page
from ma_desk.ui.common.shortcut_sheet import ShortcutSheet, sheet_order
from ma_desk.ui.common.shortcuts import ShortcutEntry, add_shortcut, describe, installed
from ma_desk.ui.insurance.tab import InsuranceTab
from ma_desk.ui.live import install_live_updates
from ma_desk.ui.printing.menu import install_print_menu
from ma_desk.ui.roomprep.tab import RoomPrepTab
from ma_desk.ui.schedule.tab import ScheduleTab
from ma_desk.ui.security.session import SessionController
from ma_desk.ui.selection import Selection
from ma_desk.ui.tab_base import Tab
from ma_desk.ui.vitals.tab import VitalsTab

TAB_CLASSES: list[type[Tab]] = [ScheduleTab, CheckinTab, VitalsTab, RoomPrepTab, InsuranceTab]


class _ReadOnlyRelay(QObject):
    """Carries the store's switch to read-only (reported from any thread) to the UI thread."""

    switched = Signal(str)


class ReadOnlyBanner(QLabel):
    """A red line above the tabs while the store is read-only: why, and what to do.

    Shown from the start when the store opened read-only, and the moment it
    switches (damage found by the background check or during use).
    """

    def __init__(self, store: StoreState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("read_only_banner")
        self.setAccessibleName("Read-only notice")
        self.setWordWrap(True)
        self.setStyleSheet(
            f"QLabel#read_only_banner {{ background: {palette.ALERT_RED}; color: {palette.ON_COLOUR}; font-weight: bold;"
            " padding: 8px 12px; }"
        )
        relay = _ReadOnlyRelay(self)
        relay.switched.connect(self.show_reason)
        stop_watching = store.watch_read_only(relay.switched.emit)
        self.destroyed.connect(lambda: stop_watching())
        if store.read_only:
            self.show_reason(store.read_only_reason)
        else:
            self.hide()

    def show_reason(self, reason: str) -> None:
        self.setText(f"READ-ONLY — nothing can be saved. {reason}")
        self.show()


class MainWindow(QMainWindow):
    def __init__(
        self,
        services: Services,
        *,
        store_label: str,
        settings_file: Path | None = None,
        parent: QWidget | None = None,
        idle_clock: Clock | None = None,
        lazy_tabs: bool = False,
    ) -> None:
        """``lazy_tabs`` (the app) builds the tab shown first before the first paint and the
        others right after it; tests build all five at once."""
        super().__init__(parent)
        self.services = services
        self.selection = Selection(self)
        self.setObjectName("main_window")
        clinic = services.settings.get()
        use_locale(clinic.display_locale)
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
        # The tabs sit in a stack from the start (the lock screen is its other page):
        # re-parenting the finished, styled tree later cost a third of the start-up.
        self.read_only_banner = ReadOnlyBanner(services.store, self)
        page = QWidget()
        page.setObjectName("main_page")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.read_only_banner)
        # Server mode: other workstations' commits refresh the tabs; an outage shows a banner.
        self.live, self.server_banner = install_live_updates(self.selection, services.store, self)
        if self.server_banner is not None:
            layout.addWidget(self.server_banner)
            self.server_banner.downtime_requested.connect(self.open_downtime_view)
        self.selection.error_reported.connect(self._show_known_error)
        layout.addWidget(self.tabs)
        self.stack = QStackedWidget()
        self.stack.setObjectName("main_stack")
        self.stack.addWidget(page)
        self.setCentralWidget(self.stack)
        self._built: list[Tab | None] = [None] * len(TAB_CLASSES)
        first = self._saved_tab_index()
        for number, cls in enumerate(TAB_CLASSES, start=1):
            if lazy_tabs and number - 1 != first:
                page = QWidget()  # stands in until the real tab is built after the first paint
                page.setObjectName(f"placeholder_{number}")
            else:
                page = self._make_tab(number - 1)
            self.tabs.addTab(scrolling_page(page), cls.title)
            self.tabs.setTabToolTip(number - 1, f"{cls.title} (Ctrl+{number})")
            add_shortcut(self, f"Ctrl+{number}", lambda i=number - 1: self.go_to_tab(i),
                         f"Go to {cls.title}", context=Qt.ShortcutContext.WindowShortcut)  # fmt: skip
        self.tabs.currentChanged.connect(self._tab_changed)
        self._last_viewed_patient: int | None = None
        self.selection.patient_changed.connect(self._audit_chart_view)
        self._build_after_paint = lazy_tabs

        status = self.statusBar()
        # The clock and who is signed in are never cut; the clinic's name, the long date
        # and the store's description give way first.
        self.clinic_label = FittingLabel(clinic.clinic_name)
        self.clinic_label.setObjectName("status_clinic")
        self.date_label = FittingLabel(keep_last=True)
        self.date_label.setObjectName("status_date")
        self.user_label = QLabel()  # who is signed in is never cut
        self.user_label.setObjectName("status_user")
        self.store_label = FittingLabel(store_label)
        self.store_label.setObjectName("status_store")
        status.addWidget(self.clinic_label)
        status.addWidget(self.date_label)
        status.addPermanentWidget(self.user_label)
        status.addPermanentWidget(self.store_label)
        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.setTimerType(Qt.TimerType.PreciseTimer)
        self._tick.timeout.connect(self._minute_turned)
        self.update_status()
        self._start_minute_timer()
        self._restore_state()
        self.session = SessionController(self, services, idle_clock=idle_clock)
        self.print_menu = install_print_menu(self, services, self.selection)
        self._install_help_menu()
        from ma_desk.ui.interchange.actions import install_interchange_actions

        self.interchange_actions = install_interchange_actions(self, services, self.selection)

    def refresh_clinic(self) -> None:
        """The clinic's settings changed (Clinic settings…): its name in the title and status
        bar, and "now" in its time zone, as they are now."""
        clinic = self.services.settings.get()
        self.setWindowTitle(f"MA Desk — {clinic.clinic_name}")
        self.clinic_label.setText(clinic.clinic_name)
        self.update_status()

    def _start_minute_timer(self) -> None:
        """The status-bar clock changes on the minute: the timer is aimed at the next
        minute boundary each time, so it cannot drift or lag by a fixed period."""
        self._tick.start(ms_until_next_minute(dt.datetime.now()))

    def _minute_turned(self) -> None:
        self.update_status()
        self._start_minute_timer()

    def update_status(self) -> None:
        now = self.services.now()
        clock = time_text(now)
        self.date_label.set_forms(
            (f"{long_date_text(now)}  {clock}", f"{date_text(now)}  {clock}", clock)
        )
        actor = self.services.actor
        self.user_label.setText(f"Signed in: {actor.display_name}")

    # ------------------------------------------------------------ tabs
    @property
    def tab_widgets(self) -> list[Tab]:
        self.build_all_tabs()
        return [tab for tab in self._built if tab is not None]

    def _make_tab(self, index: int) -> Tab:
        cls = TAB_CLASSES[index]
        tab = cls(self.services, self.selection, self)
        name_unnamed_controls(tab)
        tab.setObjectName(f"tab_{cls.title.lower().replace(' ', '_').replace('-', '')}")
        self._built[index] = tab
        return tab

    def _ensure_tab(self, index: int) -> Tab:
        tab = self._built[index]
        if tab is not None:
            return tab
        tab = self._make_tab(index)
        placeholder = set_page(self.tabs.widget(index), tab)
        if placeholder is not None:
            placeholder.deleteLater()
        # Show what the other tabs already chose.
        if self.selection.patient_id is not None:
            self.selection.patient_changed.emit(self.selection.patient_id)
        return tab

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self._build_after_paint:  # the first paint is on screen: build the other tabs
            self._build_after_paint = False
            QTimer.singleShot(0, self.build_all_tabs)

    def _audit_chart_view(self, patient_id: int | None) -> None:
        """Opening a patient's record is an auditable view (once per patient chosen)."""
        if patient_id is None or patient_id == self._last_viewed_patient:
            return
        self._last_viewed_patient = patient_id
        purpose = self.tabs.tabText(self.tabs.currentIndex())
        with contextlib.suppress(MADeskError):  # a refusal is audited by the service itself
            self.services.patients.open_chart(patient_id, purpose=purpose)

    def tab_page(self, index: int) -> QWidget:
        """The page shown at tab ``index`` (the tab itself, inside the scroll area that
        lets it scroll on screens smaller than its minimum)."""
        return self.tabs.widget(index).page()

    def build_all_tabs(self) -> None:
        for index in range(len(TAB_CLASSES)):
            self._ensure_tab(index)

    def go_to_tab(self, index: int) -> None:
        """Ctrl+1..5: show the tab and put the cursor where its work starts, also when
        it is already the current tab."""
        if index == self.tabs.currentIndex():
            self._ensure_tab(index).focus_first()
        else:
            self.tabs.setCurrentIndex(index)

    def _tab_changed(self, index: int) -> None:
        if 0 <= index < len(TAB_CLASSES):
            tab = self._ensure_tab(index)
            tab.activated()
            tab.focus_first()

    def _restore_state(self) -> None:
        geometry = self._qsettings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        self.tabs.setCurrentIndex(self._saved_tab_index())

    def _saved_tab_index(self) -> int:
        try:
            index = int(self._qsettings.value("window/tab", 0))
        except (TypeError, ValueError):
            index = 0
        return max(0, min(index, len(TAB_CLASSES) - 1))

    def save_state(self) -> None:
        self._qsettings.setValue("window/geometry", self.saveGeometry())
        self._qsettings.setValue("window/tab", self.tabs.currentIndex())
        self._qsettings.sync()

    def _show_known_error(self, error: Exception) -> None:
        """A refresh met a known error: the server banner covers an outage, the status
        bar anything else; what is on screen stays."""
        if self.live is None or not self.live.is_down:
            self.statusBar().showMessage(str(error), 15_000)

    def _install_help_menu(self) -> None:
        menu = self.menuBar().addMenu("&Help")
        menu.setObjectName("help_menu")
        action = QAction("&Keyboard shortcuts…", self)
        action.setObjectName("action_shortcuts")
        action.setShortcut(QKeySequence(Qt.Key.Key_F1))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: self.open_shortcut_sheet())
        describe(action, "This list of keyboard shortcuts")
        menu.addAction(action)
        self.addAction(action)
        self.shortcuts_action = action

    def shortcut_entries(self) -> list[ShortcutEntry]:
        """What the F1 sheet lists: the keys installed in this window right now."""
        titles = {tab: type(tab).title for tab in self.tab_widgets}
        return sheet_order(installed(self, titles), [cls.title for cls in TAB_CLASSES])

    def open_shortcut_sheet(self) -> ShortcutSheet:
        sheet = ShortcutSheet(self.shortcut_entries(), self)
        sheet.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        sheet.show()
        return sheet

    def open_downtime_view(self) -> None:
        from ma_desk.ui.downtime_view import open_downtime_view

        open_downtime_view(self, self.services)

    def closeEvent(self, event) -> None:
        self.save_state()
        if self.live is not None:
            self.live.stop()
        super().closeEvent(event)
