"""The app honours the system font size (issue 15 item 8).

The clinic stylesheet's point sizes grow with the system's text size; no font is given
in pixels; and with a larger system font the main window still fits a 1366x768 laptop with
every control reachable and no word cut at 12 pt, as on a 1920x1080 desktop at 14 pt (the
layout harness of test_layout_fit).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtGui import QFont, QFontInfo
from PySide6.QtWidgets import QApplication, QLabel

import ma_desk.ui
from ma_desk.paths import resource
from ma_desk.ui.app import load_stylesheet
from ma_desk.ui.common.text_size import REFERENCE_POINTS, scaled_stylesheet, text_scale
from ma_desk.ui.main_window import MainWindow
from tests.test_focus_dialogs import _factories
from tests.test_layout_fit import client_size, clipped_texts, inner_pages, problems_on, show_at

UI_ROOT = Path(ma_desk.ui.__file__).parent
SIZES = re.compile(r"font-size:\s*([\d.]+)pt")


def _sizes(stylesheet: str) -> list[float]:
    return [float(size) for size in SIZES.findall(stylesheet)]


def clinic_stylesheet() -> str:
    return resource("styles", "clinic.qss").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("points", "scale"),
    [(-1.0, 1.0), (8.0, 1.0), (8.9, 1.0), (9.0, 1.0), (9.1, 9.1 / 9), (14.0, 14 / 9)],
)
def test_text_scale_boundaries(points, scale) -> None:
    assert text_scale(points) == pytest.approx(scale)


@given(points=st.floats(min_value=1.0, max_value=72.0))
def test_every_stylesheet_size_grows_with_the_system_font_and_never_shrinks(points) -> None:
    before = _sizes(clinic_stylesheet())
    after = _sizes(scaled_stylesheet(clinic_stylesheet(), points))
    assert len(after) == len(before) >= 4
    for old, new in zip(before, after, strict=True):
        assert new >= old - 0.05
        assert new == pytest.approx(old * max(1.0, points / REFERENCE_POINTS), abs=0.05)


def test_no_font_is_sized_in_pixels_or_fixed_in_a_widget() -> None:
    """Sizes live in clinic.qss in points; widgets size fonts relative to their own."""
    assert not re.search(r"font-size:\s*[\d.]+px|font:[^;]*px", clinic_stylesheet())
    fixed = [
        f"{path.relative_to(UI_ROOT)}:{number}: {line.strip()}"
        for path in UI_ROOT.rglob("*.py") if path.name != "text_size.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"font-size|setPixelSize|font:\s*\d", line)
    ]  # fmt: skip
    assert not fixed, "\n".join(fixed)


# (system text size, screen): 133 % text on the common clinic laptop, 156 % on a desktop.
# At 14 pt a 1366 px screen is too narrow: the flow board's eleven columns alone need
# about 1300 px, so it is checked where it fits (see the closing note).
LARGE_TEXT = [(12.0, "1366x768@100"), (14.0, "1920x1080@100")]


@pytest.fixture
def large_system_font(qapp, request):
    """A larger system font, as Windows' 'text size' setting gives, then back."""
    font, sheet = qapp.font(), qapp.styleSheet()
    larger = QFont(font)
    larger.setPointSizeF(request.param)
    qapp.setFont(larger)
    load_stylesheet(qapp)
    yield request.param
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)


def _window(qtbot, services, selection_from, tmp_path) -> MainWindow:
    window = MainWindow(services, store_label="demo", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    window.build_all_tabs()
    visit = next(r for r in selection_from if r.status in ("with_provider", "roomed"))
    window.selection.select_appointment(visit.id, visit.patient_id)
    with qtbot.waitExposed(window):
        window.show()
    return window


@pytest.mark.parametrize(
    ("large_system_font", "screen"), LARGE_TEXT, indirect=["large_system_font"]
)
def test_large_system_font_grows_labels_and_everything_still_fits(
    qtbot, demo_services, sign_in_as, clock, tmp_path, large_system_font, screen
) -> None:
    sign_in_as("ma")
    day = demo_services.schedule.day(clock.now().date())
    window = _window(qtbot, demo_services, day, tmp_path)
    label = window.findChild(QLabel, "status_clinic")
    assert QFontInfo(label.font()).pointSizeF() >= 10.5 * large_system_font / 9 - 0.1
    report = {}
    for index in range(window.tabs.count()):
        show_at(window, screen, index)
        tab = window.tab_page(index)
        title = window.tabs.tabText(index)
        report[title] = problems_on(window, tab, screen)
        for pages, page in inner_pages(tab):
            pages.setCurrentIndex(page)
            QApplication.processEvents()
            found = problems_on(window, tab, screen)
            report[title] += [f"{pages.tabText(page)}: {p}" for p in found
                              if p not in report[title]]  # fmt: skip
            pages.setCurrentIndex(0)
    report = {title: found for title, found in report.items() if found}
    assert not report, "\n".join(f"{tab}: {p}" for tab, found in report.items() for p in found)


@pytest.mark.parametrize("large_system_font", [12.0], indirect=True)
@pytest.mark.parametrize("name", sorted(_factories()))
def test_every_dialog_fits_1366x768_with_larger_system_text(
    qtbot, demo_services, sign_in_as, large_system_font, name
) -> None:
    sign_in_as("admin")
    dialog = _factories()[name][0](demo_services)
    qtbot.addWidget(dialog)
    with qtbot.waitExposed(dialog):
        dialog.show()
    for _ in range(3):  # layouts settle over a few passes (word-wrapped labels)
        QApplication.processEvents()
    need = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
    width, height = client_size("1366x768@100")
    problems = clipped_texts(dialog)
    if need.width() > width or need.height() > height:
        problems.insert(0, f"needs at least {need.width()}x{need.height()}")
    assert not problems, f"{name}: {problems}"
