"""The app shell: five tabs, keyboard switching, shared selection, persisted state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
)

from ma_desk.ui.main_window import MainWindow
from tests.test_accessibility import accessible_name

TAB_TITLES = ["Schedule", "Check-in", "Vitals", "Room prep", "Insurance"]


def make_window(qtbot, services, tmp_path) -> MainWindow:
    window = MainWindow(services, store_label="test store", settings_file=tmp_path / "window.ini")
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def test_five_tabs_in_order_and_ctrl_number_switches(qtbot, demo_services, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == TAB_TITLES
    for number in (3, 5, 2, 4, 1):
        qtbot.keyClick(window, Qt.Key.Key_0 + number, Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentIndex() == number - 1


def test_selection_is_shared_across_tabs(qtbot, demo_services, clock, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    row = next(
        r for r in demo_services.schedule.day(clock.now().date()) if r.status == "checked_out"
    )
    window.selection.select_appointment(row.id, row.patient_id)
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 2
    patient = demo_services.patients.get(row.patient_id)
    vitals_tab = window.tab_widgets[2]
    texts = " ".join(label.text() for label in vitals_tab.findChildren(QLabel))
    assert patient.last_name in texts and f"{patient.dob:%m/%d/%Y}" in texts
    qtbot.keyClick(window, Qt.Key.Key_5, Qt.KeyboardModifier.ControlModifier)
    insurance_text = " ".join(label.text() for label in window.tab_widgets[4].findChildren(QLabel))
    assert patient.last_name in insurance_text


def test_status_bar_shows_clinic_date_and_store(qtbot, demo_services, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    assert "Maple Grove" in window.clinic_label.text()
    assert "2026" in window.date_label.text()
    assert window.store_label.text() == "test store"


def test_geometry_and_last_tab_persist(qtbot, demo_services, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    window.resize(760, 540)  # the offscreen screen is small
    saved = (window.width(), window.height())
    window.tabs.setCurrentIndex(3)
    window.close()
    again = make_window(qtbot, demo_services, tmp_path)
    assert again.tabs.currentIndex() == 3
    assert (again.width(), again.height()) == saved


def test_every_input_widget_is_named_for_tests_and_screen_readers(qtbot, demo_services, tmp_path):
    window = make_window(qtbot, demo_services, tmp_path)
    inputs = (QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QTextEdit, QAbstractButton)
    unnamed = []
    for cls in inputs:
        for widget in window.findChildren(cls):
            if widget.parent() is not None and type(widget.parent()).__name__ in (
                "QComboBox", "QAbstractSpinBox", "QCalendarWidget", "QTabBar", "QDateEdit",
                "QDateTimeEdit", "QSpinBox", "QDoubleSpinBox", "QTimeEdit", "QScrollBar", "QLineEdit",
            ):  # fmt: skip
                continue  # Qt's own sub-widgets
            if widget.objectName().startswith("qt_") or type(widget).__name__ == "QTabBar":
                continue
            if not widget.objectName() or not accessible_name(widget):  # as a screen reader reads
                parent = type(widget.parent()).__name__
                unnamed.append(f"{type(widget).__name__} in {parent}: {widget.objectName()!r}")
    assert unnamed == []


def test_lazy_tabs_build_after_the_first_paint_and_keep_the_selection(
    qtbot, demo_services, clock, tmp_path
):
    window = MainWindow(
        demo_services, store_label="s", settings_file=tmp_path / "w.ini", lazy_tabs=True
    )
    qtbot.addWidget(window)
    assert window._built[0] is not None and all(tab is None for tab in window._built[1:])
    row = next(
        r for r in demo_services.schedule.day(clock.now().date()) if r.status == "checked_out"
    )
    window.selection.select_appointment(row.id, row.patient_id)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    qtbot.waitUntil(lambda: all(tab is not None for tab in window._built))
    assert [window.tabs.tabText(i) for i in range(5)] == TAB_TITLES
    assert window.tab_page(2) is window._built[2]
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    texts = " ".join(label.text() for label in window.tab_page(2).findChildren(QLabel))
    assert demo_services.patients.get(row.patient_id).last_name in texts


def test_choosing_a_patient_audits_one_chart_view(qtbot, demo_services, clock, tmp_path):
    from sqlalchemy import select

    from ma_desk.db.models import AuditEvent

    window = make_window(qtbot, demo_services, tmp_path)
    row = next(
        r for r in demo_services.schedule.day(clock.now().date()) if r.status == "checked_out"
    )

    def views() -> list[AuditEvent]:
        with demo_services.ctx.db.read() as s:
            stmt = select(AuditEvent).where(
                AuditEvent.action == "view", AuditEvent.patient_id == row.patient_id
            )
            return list(s.scalars(stmt))

    window.selection.select_appointment(row.id, row.patient_id)
    window.selection.select_appointment(row.id, row.patient_id)  # same patient: no second entry
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    entries = views()
    entities = [e.entity for e in entries]
    assert entities.count("patient") == 1  # one chart view, however many tabs show it
    assert len(entities) == len(set(entities))  # each kind of data once per opening
