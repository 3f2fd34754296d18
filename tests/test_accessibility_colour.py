"""Colour is never the only signal, and text contrast meets WCAG 2.2 AA (issue 15 item 8).

The palette and the clinic stylesheet are checked as pure data: every foreground and
background pair text is drawn in reaches 4.5:1 (3:1 for large text). Every colour the
widgets use comes from the palette, so no pair escapes the check. Coloured states carry
words or symbols: checked at the flow board's wait thresholds and, for every table the
tabs show, by requiring that cells saying the same thing are never told apart by colour
alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import Qt

import ma_desk.ui
from ma_desk.clinical import flow
from ma_desk.paths import resource
from ma_desk.ui.app import load_stylesheet
from ma_desk.ui.common import palette
from ma_desk.ui.common.table_model import RowTableModel
from ma_desk.ui.schedule.flow_board import FlowBoard, Thresholds, flow_columns
from tests.test_accessibility import main_window  # noqa: F401 - a fixture used below

AA_TEXT, AA_LARGE = 4.5, 3.0
UI_ROOT = Path(ma_desk.ui.__file__).parent
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")
NAMED = {"white": "#ffffff", "black": "#000000"}


@pytest.mark.parametrize(("fg", "bg", "large", "where"), palette.TEXT_PAIRS)
def test_every_palette_text_pair_meets_wcag_aa(fg, bg, large, where) -> None:
    needed = AA_LARGE if large else AA_TEXT
    assert palette.contrast_ratio(fg, bg) >= needed, f"{where}: {fg} on {bg}"


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0), ("#777777", "#ffffff", 4.48),
     ("#767676", "#ffffff", 4.54)],
)  # fmt: skip
def test_contrast_ratio_matches_wcag_reference_values(first, second, ratio) -> None:
    """#767676 on white is the well-known lightest grey that passes AA; #777777 fails."""
    assert palette.contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)


def _stylesheet_rules(text: str) -> list[tuple[str, dict[str, str]]]:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    found = []
    for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", text):
        props = {}
        for part in body.split(";"):
            if ":" in part:
                key, value = part.split(":", 1)
                props[key.strip()] = NAMED.get(value.strip(), value.strip())
        found.append((selector.strip(), props))
    return found


def stylesheet_pairs(text: str) -> list[tuple[str, str, str]]:
    """(selector, foreground, background) for every text colour the stylesheet sets. A
    rule without its own background is read on both surfaces text sits on."""
    pairs = []
    for selector, props in _stylesheet_rules(text):
        if ":disabled" in selector:
            continue  # WCAG exempts inactive controls
        if "color" in props:
            backgrounds = [props["background"]] if "background" in props else [
                palette.SURFACE, palette.WINDOW, palette.ALTERNATE_ROW]  # fmt: skip
            pairs += [(selector, props["color"], bg) for bg in backgrounds]
        elif "background" in props and HEX.fullmatch(props["background"]):
            pairs.append((selector, palette.TEXT, props["background"]))
        if "placeholder-text-color" in props:  # hints in empty fields, on the field
            pairs.append((selector, props["placeholder-text-color"],
                          props.get("background", palette.SURFACE)))  # fmt: skip
        if "selection-color" in props:
            pairs.append((selector, props["selection-color"],
                          props["selection-background-color"]))  # fmt: skip
    return pairs


def test_clinic_stylesheet_text_meets_wcag_aa() -> None:
    text = resource("styles", "clinic.qss").read_text(encoding="utf-8")
    pairs = stylesheet_pairs(text)
    assert len(pairs) > 15
    low = [f"{s}: {fg} on {bg} = {palette.contrast_ratio(fg, bg):.2f}"
           for s, fg, bg in pairs if palette.contrast_ratio(fg, bg) < AA_TEXT]  # fmt: skip
    assert not low, "\n".join(low)


def test_hints_in_empty_fields_meet_wcag_aa_as_qt_draws_them(qapp) -> None:
    """Qt's own placeholder grey is 4:1 on white; the clinic style sets a darker one."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

    before = qapp.styleSheet()
    load_stylesheet(qapp)
    try:
        for field in (QLineEdit(), QPlainTextEdit()):
            field.ensurePolished()
            colour = field.palette().color(QPalette.ColorRole.PlaceholderText)
            assert colour.alpha() == 255
            assert palette.contrast_ratio(colour.name(), palette.SURFACE) >= AA_TEXT
    finally:
        qapp.setStyleSheet(before)


def test_widget_stylesheets_text_meets_wcag_aa() -> None:
    """The stylesheets widgets set themselves (vitals flags) are held to the same bar."""
    from ma_desk.ui.vitals.entry_form import STYLE

    low = [f"{s}: {fg} on {bg}" for s, fg, bg in stylesheet_pairs(STYLE)
           if palette.contrast_ratio(fg, bg) < AA_TEXT]  # fmt: skip
    assert not low, low


def test_every_colour_in_the_widgets_comes_from_the_palette() -> None:
    """A colour written into a widget would escape the contrast check above."""
    strays = [
        f"{path.relative_to(UI_ROOT)}:{number}: {line.strip()}"
        for path in UI_ROOT.rglob("*.py") if path.name != "palette.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HEX.search(line) or re.search(r"QColor\(\"[a-z]+\"\)|color:\s*white", line)
    ]  # fmt: skip
    assert not strays, "\n".join(strays)


def test_every_palette_colour_is_used() -> None:
    """No dead colours: each is painted by a widget or mirrors the clinic stylesheet."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in UI_ROOT.rglob("*.py")
                       if p.name != "palette.py")  # fmt: skip
    names = [n for n, v in vars(palette).items() if n.isupper() and isinstance(v, str)
             and v.startswith("#")]  # fmt: skip
    stylesheet = resource("styles", "clinic.qss").read_text(encoding="utf-8")  # mirrored there
    chosen_by_palette = Path(palette.__file__).read_text(encoding="utf-8")  # readable_on
    unused = [n for n in names
              if f"palette.{n}" not in source and getattr(palette, n) not in stylesheet
              and f"return {n}" not in chosen_by_palette]  # fmt: skip
    assert not unused, unused


# ------------------------------------------------------------ colour is never alone
def _wait_cells(minutes: int, row) -> tuple[str, str | None, str | None]:
    columns = {c.header: c for c in flow_columns(Thresholds(warn=15, alert=30))}
    moved = dataclasses.replace(row, waiting_minutes=minutes)
    wait = columns["Wait"]
    return wait.display(moved), wait.tooltip(moved), wait.background(moved)


@pytest.mark.parametrize(
    ("minutes", "mark", "words"),
    [(14, "", None), (15, " !", "Long wait: 15 min or more"), (29, " !", "Long wait"),
     (30, " !!", "Very long wait: 30 min or more"), (31, " !!", "Very long wait")],
)  # fmt: skip
def test_flow_board_waits_say_in_words_what_the_colour_says(
    qtbot, demo_services, sign_in_as, minutes, mark, words
) -> None:
    sign_in_as("ma")
    board = FlowBoard(demo_services)
    qtbot.addWidget(board)
    board.refresh()
    text, tooltip, colour = _wait_cells(minutes, board.model.rows()[0])
    assert text == f"{minutes} min{mark}"
    assert (tooltip is None) == (words is None) and (words is None or words in tooltip)
    assert (colour is None) == (words is None)


def _cells(model: RowTableModel, column: int) -> list[tuple[tuple[str, str], str | None]]:
    roles = (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole)
    found = []
    for row in range(model.rowCount()):
        index = model.index(row, column)
        colours = [model.data(index, r) for r in roles]
        colour = "/".join(c.color().name() if c is not None else "-" for c in colours)
        words = (
            str(model.data(index) or ""),
            str(model.data(index, Qt.ItemDataRole.ToolTipRole) or ""),
        )
        found.append((words, colour))
    return found


def test_no_table_tells_cells_apart_by_colour_alone(main_window) -> None:  # noqa: F811
    """In every table of every tab, cells with the same words have the same colour."""
    checked = 0
    for model in main_window.findChildren(RowTableModel):
        for column in range(model.columnCount()):
            colour_of: dict[tuple[str, str], str] = {}
            for words, colour in _cells(model, column):
                header = model.headerData(column, Qt.Orientation.Horizontal)
                assert colour_of.setdefault(words, colour) == colour, (
                    f"{header}: {words} shown in two colours"
                )
                checked += 1
    assert checked > 100


def test_flow_board_states_are_in_words(qtbot, demo_services, sign_in_as) -> None:
    sign_in_as("ma")
    board = FlowBoard(demo_services)
    qtbot.addWidget(board)
    board.refresh()
    headers = [board.model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(board.model.columnCount())]  # fmt: skip
    status = headers.index("Status")
    for row, flow_row in enumerate(board.model.rows()):
        shown = board.model.data(board.model.index(row, status))
        assert shown and flow_row.appointment.status in flow.IN_CLINIC_STATUSES
        tooltip = board.model.data(board.model.index(row, status), Qt.ItemDataRole.ToolTipRole)
        assert tooltip == flow_row.appointment.status_label


def test_every_room_state_colour_has_its_word_on_the_card_and_for_screen_readers() -> None:
    from ma_desk.services.rooms import RoomRow
    from ma_desk.ui.roomprep.board import STATE_STYLE, accessible_text

    now = dt.datetime(2026, 11, 30, 9, 0)
    words = {}
    for state in STATE_STYLE:
        row = RoomRow(1, "Exam 1", "exam", state, now, None, "")
        words[state] = row.state_label
        assert row.state_label and row.state_label in accessible_text(row, now)
    assert len(set(words.values())) == len(STATE_STYLE), words


def test_every_coloured_schedule_badge_has_words() -> None:
    from ma_desk.ui.schedule.grid_view import STATUS_BADGES

    for status, (badge, colour) in STATUS_BADGES.items():
        assert bool(badge.strip()) == (colour is not None), status
    coloured = [badge for badge, colour in STATUS_BADGES.values() if colour]
    assert len(set(coloured)) == len(coloured)


@given(red=st.integers(0, 255), green=st.integers(0, 255), blue=st.integers(0, 255))
def test_text_on_any_colour_a_clinic_picks_for_a_visit_type_meets_aa(red, green, blue) -> None:
    background = f"#{red:02x}{green:02x}{blue:02x}"
    text = palette.readable_on(background)
    assert palette.contrast_ratio(text, background) >= AA_TEXT


@pytest.mark.parametrize(
    ("background", "text"),
    [("#ffffff", palette.TEXT), ("#aed6f1", palette.TEXT), ("#1f618d", palette.ON_COLOUR),
     ("#000000", palette.ON_COLOUR), ("#7f7f7f", palette.BLACK), ("red", palette.TEXT),
     ("#12345", palette.TEXT), ("", palette.TEXT)],
)  # fmt: skip
def test_readable_text_choice_boundaries(background, text) -> None:
    assert palette.readable_on(background) == text


def test_flow_board_type_text_stays_readable_on_a_dark_visit_type_colour(
    qtbot, demo_services, sign_in_as
) -> None:
    sign_in_as("ma")
    board = FlowBoard(demo_services)
    qtbot.addWidget(board)
    board.refresh()
    row = board.model.rows()[0]
    type_column = {c.header: c for c in flow_columns(Thresholds())}["Type"]
    for colour, text in (("#1f618d", palette.ON_COLOUR), ("#aed6f1", palette.TEXT)):
        shown = dataclasses.replace(
            row, appointment=dataclasses.replace(row.appointment, type_color=colour)
        )
        assert type_column.background(shown) == colour
        assert type_column.foreground(shown) == text
