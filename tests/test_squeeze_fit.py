"""What stays readable inside the tabs on a 1366x768 laptop at 125 % (1093x614 logical;
issue 15 items 1-3): names on the schedule, every provider's lane, the flow board's
column titles and the status-bar clock.

Scaling is simulated by its logical size, as in tests/test_layout_fit.py: the window
gets 1093 wide and the screen's height minus a taskbar and a title bar.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QHeaderView

from ma_desk.display_format import time_text
from ma_desk.services.patients import PatientInput
from ma_desk.ui.common.fit import FittingLabel, name_forms
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.schedule.grid_view import block_text, least_title

LAPTOP_125 = (1093, 614 - 48 - 32)  # 1366x768 at 125 %, minus taskbar and title bar
NARROWER = (1024, 576 - 48 - 32)  # 1280x720 at 125 %


@pytest.fixture
def window(qtbot, demo_services, sign_in_as, tmp_path, styled) -> MainWindow:
    sign_in_as("ma")
    made = MainWindow(demo_services, store_label="demo", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(made)
    with qtbot.waitExposed(made):
        made.show()
    return made


def settle(window: MainWindow, size: tuple[int, int]) -> None:
    window.resize(*size)
    for _ in range(3):  # layouts settle over a few passes (word-wrapped labels)
        QApplication.processEvents()


def schedule_at(window: MainWindow, size: tuple[int, int]):
    window.tabs.setCurrentIndex(0)
    settle(window, size)
    return window.tab_page(0)


# ------------------------------------------------------------------ schedule grid (item 1)
@pytest.mark.parametrize("size", [LAPTOP_125, NARROWER])
def test_every_block_names_its_patient_at_least_as_surname_and_initial(window, size):
    tab = schedule_at(window, size)
    grid, model = tab.grid, tab.model
    assert len(model.lanes) >= 3 and model.blocks
    short = []
    for block in model.blocks:
        a = block.appointment
        shown = grid.shown_title(block)
        allowed = name_forms(a.patient_name)[:-1] or name_forms(a.patient_name)
        if not any(form in shown for form in allowed):
            short.append(f"{a.patient_name!r} ({block.of} side by side) shows {shown!r}")
    assert not short, "\n".join(short)


def test_an_overlapping_walk_in_shows_the_patients_name(window, demo_services, clock):
    """A walk-in booked over a visit shares the lane: both show "Surname, F." at least."""
    day = demo_services.schedule.day(clock.now().date())
    busy = next(row for row in day if row.is_active)
    walk_in = demo_services.schedule.book(
        patient_id=next(r.patient_id for r in day if r.patient_id != busy.patient_id),
        provider_id=busy.provider_id,
        type_id=busy.type_id,
        start=busy.start,
        minutes=15,
        reason="Walk-in",
        confirm=True,
        walk_in=True,
    )
    tab = schedule_at(window, LAPTOP_125)
    tab.reload_book()
    QApplication.processEvents()
    block = tab.model.block_of(walk_in.id)
    assert block is not None and block.of >= 2
    least = least_title(block_text(block.appointment, tab.model.flags_by_patient))
    assert least in tab.grid.shown_title(block)


def test_every_provider_lane_is_shown_or_reached_by_scrolling_sideways(window):
    tab = schedule_at(window, LAPTOP_125)
    grid, header = tab.grid, tab.grid.horizontalHeader()
    viewport = grid.viewport().width()
    for column in range(tab.model.columnCount()):
        grid.select_cell(0, column)  # the arrow keys scroll the book the same way
        QApplication.processEvents()
        left = header.sectionViewportPosition(column)
        assert left >= 0 and left + header.sectionSize(column) <= viewport + 1, (
            f"lane {column} at {left}+{header.sectionSize(column)} in a {viewport} px book"
        )
        title = tab.model.headerData(column, Qt.Orientation.Horizontal)
        tip = tab.model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        whole = header.sectionSizeFromContents(column).width() <= header.sectionSize(column) + 1
        assert whole or tip == title  # elided titles end in "…", whole in the tooltip


def test_lane_floor_boundaries(window):
    """A lane at the floor: every block shows "Surname, F."; one pixel per visit side by
    side narrower, the block that sets the floor cannot."""
    tab = schedule_at(window, LAPTOP_125)
    grid, model = tab.grid, tab.model
    floor = grid.lane_floor()
    widest = max(model.blocks, key=grid.block_floor_of)
    assert grid.block_floor_of(widest) == floor
    least = least_title(block_text(widest.appointment, model.flags_by_patient))
    header = grid.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)  # to set exact widths
    header.setMinimumSectionSize(1)
    for width, shows in ((floor + 1, True), (floor, True), (floor - widest.of, False)):
        header.resizeSection(widest.column, width)
        assert header.sectionSize(widest.column) == width
        assert (least in grid.shown_title(widest)) is shows, (width, grid.shown_title(widest))


def test_lanes_widen_when_a_day_with_longer_names_is_shown(window, demo_services, clock):
    tab = schedule_at(window, LAPTOP_125)
    before = tab.grid.horizontalHeader().minimumSectionSize()
    day = demo_services.schedule.day(clock.now().date())
    patient = demo_services.patients.register(
        PatientInput(
            last_name="Montgomery-Fitzwilliamson", first_name="Alexandra", dob=dt.date(1980, 1, 2)
        )  # fmt: skip
    )
    busy = next(row for row in day if row.is_active)
    demo_services.schedule.book(patient_id=patient.id, provider_id=busy.provider_id,
                                type_id=busy.type_id, start=busy.start, minutes=15,
                                reason="Walk-in", confirm=True, walk_in=True)  # fmt: skip
    tab.reload_book()
    QApplication.processEvents()
    assert tab.grid.horizontalHeader().minimumSectionSize() > before
    block = next(b for b in tab.model.blocks if b.appointment.patient_id == patient.id)
    assert "Montgomery-Fitzwilliamson, A." in tab.grid.shown_title(block)


# ------------------------------------------------------------------ status bar (item 3)
LONG_CLINIC = "Maple Grove Family Practice and Pediatric Walk-in Center of the Upper Valley"


@pytest.mark.parametrize("size", [LAPTOP_125, NARROWER])
def test_status_bar_never_cuts_the_clock_or_the_signed_in_user(window, clock, size):
    window.clinic_label.setText(LONG_CLINIC)  # what refresh_clinic does with a long name
    settle(window, size)
    frame = window.rect()
    clock_text = time_text(clock.now())
    assert window.date_label.shown_text().endswith(clock_text)
    user = window.user_label
    assert user.isVisible() and user.width() >= user.sizeHint().width()
    for label in (window.date_label, user):
        assert frame.contains(QRect(label.mapTo(window, QPoint(0, 0)), label.size()))
    for label in (window.clinic_label, window.store_label, window.date_label):
        shown = label.shown_text()
        assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
        assert shown == label.text() or label.toolTip() == label.text()  # cut: whole in the tip


def test_status_bar_gives_way_in_order_of_priority(window, clock):
    """Wide: everything whole. Narrow: the clinic's name and the store's description go
    first, then the long date, and the clock stays."""
    settle(window, (1920, 1000))
    assert window.date_label.shown_text() == window.date_label.text()
    assert window.clinic_label.shown_text() == window.clinic_label.text()
    window.clinic_label.setText(LONG_CLINIC)
    settle(window, NARROWER)
    assert window.clinic_label.shown_text() != LONG_CLINIC
    assert window.clinic_label.toolTip() == LONG_CLINIC
    assert time_text(clock.now()) in window.date_label.shown_text()


@settings(max_examples=80, deadline=None)
@given(
    forms=st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=3),
    width=st.integers(min_value=0, max_value=500),
)
def test_fitting_label_paints_a_form_that_fits_and_keeps_its_last_form(qapp, forms, width):
    label = FittingLabel(keep_last=True)
    label.set_forms(forms)
    label.resize(width, 30)
    label.show()  # a shown label gets its resize event
    QApplication.processEvents()
    shown = label.shown_text()
    metrics = label.fontMetrics()
    assert metrics.horizontalAdvance(shown) <= max(label.contentsRect().width(), 0) or shown == ""
    assert label.text() == forms[0]
    if label.contentsRect().width() >= label.minimumSizeHint().width():
        assert shown in forms  # at its minimum the last form shows whole
    if shown != forms[0]:
        assert label.toolTip() == forms[0]
    label.close()
    label.deleteLater()
