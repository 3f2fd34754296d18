"""What stays readable inside the tabs on a 1366x768 laptop at 125 % (1093x614 logical;
issue 15 items 1-3): names on the schedule, every provider's lane, the flow board's
column titles and the status-bar clock.

Scaling is simulated by its logical size, as in tests/test_layout_fit.py: the window
gets 1093 wide and the screen's height minus a taskbar and a title bar.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHeaderView

from ma_desk.services.patients import PatientInput
from ma_desk.ui.app import load_stylesheet
from ma_desk.ui.common.fit import name_forms
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.schedule.grid_view import block_text, least_title

LAPTOP_125 = (1093, 614 - 48 - 32)  # 1366x768 at 125 %, minus taskbar and title bar
NARROWER = (1024, 576 - 48 - 32)  # 1280x720 at 125 %


@pytest.fixture
def styled(qapp):
    """The clinic stylesheet, as the app runs (it changes sizes), removed afterwards."""
    before = qapp.styleSheet()
    load_stylesheet(qapp)
    yield
    qapp.setStyleSheet(before)


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
    return window.tabs.widget(0)


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


@pytest.mark.parametrize("size", [LAPTOP_125, NARROWER])
def test_every_provider_lane_is_shown_or_reached_by_scrolling_sideways(window, size):
    tab = schedule_at(window, size)
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
