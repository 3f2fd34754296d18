"""Columns that give way by wrapping words, never by cutting them (issue 15 item 1):
the width-sharing rule (ma_desk/ui/common/column_plan.py) on random texts and widths,
and fit_columns on a real table (wrapping, one line when roomy, hiding, tooltips)."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QStandardItem, QStandardItemModel, QTextLayout, QTextOption
from PySide6.QtWidgets import QApplication, QWidget

from ma_desk.ui.common.column_plan import (
    MAX_LINES,
    column_need,
    first_word,
    line_count,
    plan_columns,
    text_need,
    width_for_lines,
)
from ma_desk.ui.common.fit import comfortable_width, fit_columns
from ma_desk.ui.common.widgets import make_table
from tests.test_layout_fit import cut_words

PADDING = 9


def measure(text: str) -> int:
    """A stand-in font: 7 px a character, 3 px a space."""
    return sum(3 if ch == " " else 7 for ch in text)


words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=14)
cell_texts = st.lists(words, min_size=0, max_size=6).map(" ".join)
columns = st.lists(
    st.tuples(st.lists(cell_texts, min_size=1, max_size=8), words, st.booleans()),
    min_size=1,
    max_size=9,
)


def needs_of(table):
    return [
        column_need(
            texts,
            (measure(title) + 16, measure(title[:1] + "…") + 16),
            PADDING,
            lambda t: text_need(t, measure),
            stretch=stretch,
        )  # fmt: skip
        for texts, title, stretch in table
    ]


def longest_word(text: str) -> int:
    return max((measure(w) for w in text.split()), default=0)


@settings(max_examples=300, deadline=None)
@given(table=columns, available=st.integers(min_value=0, max_value=2500))
@example(table=[(["With prov.", "Arrived"], "Status", True)], available=0)
def test_widths_never_exceed_the_room_and_never_cut_a_word_while_the_words_fit(table, available):
    needs = needs_of(table)
    plan = plan_columns(needs, available)
    assert sum(plan.widths) <= available
    assert 1 <= plan.lines <= MAX_LINES
    if sum(need.at(MAX_LINES) for need in needs) <= available:  # the longest words fit
        for width, (texts, title, _stretch) in zip(plan.widths, table, strict=True):
            assert width >= measure(title) + 16  # the title whole
            for text in texts:
                assert width - PADDING >= longest_word(text)  # no word cut
                assert line_count([measure(w) for w in text.split()], 3, width - PADDING) <= (
                    plan.lines
                )  # every word shown: the row has the lines its cells need
    elif sum(need.least for need in needs) <= available:  # only first words fit
        for width, (texts, _title, _stretch) in zip(plan.widths, table, strict=True):
            for text in texts:
                first = measure(first_word(text) + " …") if text.split()[1:] else measure(text)
                assert width - PADDING >= min(first, longest_word(text)) or not text.strip()


@settings(max_examples=200, deadline=None)
@given(table=columns, extra=st.integers(min_value=0, max_value=400))
def test_one_line_per_row_while_one_line_fits(table, extra):
    """The roomy case is as before: one line per row, the spare width to the stretch columns."""
    needs = needs_of(table)
    one_line = sum(need.at(1) for need in needs)
    plan = plan_columns(needs, one_line + extra)
    assert plan.lines == 1 and sum(plan.widths) == one_line + extra
    assert all(w >= need.at(1) for w, need in zip(plan.widths, needs, strict=True))
    takers = [i for i, need in enumerate(needs) if need.stretch] or [len(needs) - 1]
    assert all(w == need.at(1) for i, (w, need) in enumerate(zip(plan.widths, needs, strict=True))
               if i not in takers)  # fmt: skip


def test_the_lines_per_row_step_at_their_boundaries():
    needs = needs_of(
        [(["Sick visit", "Telehealth"], "Type", True), (["With prov."], "Status", True)]
    )
    one, two = sum(n.at(1) for n in needs), sum(n.at(2) for n in needs)
    assert plan_columns(needs, one).lines == 1  # at the one-line width
    assert plan_columns(needs, one - 1).lines == 2  # just below
    assert plan_columns(needs, one + 1).lines == 1  # just above
    assert plan_columns(needs, two).lines == 2
    assert plan_columns(needs, two - 1).lines == MAX_LINES or two - 1 < two


@pytest.mark.parametrize(
    ("text", "first"),
    [("With prov.", "With"), ("⚠ insurance flag", "⚠ insurance"), ("Okafor", "Okafor"),
     ("", ""), ("⚠ !", "⚠ !"), ("(555) 010-1234", "(555)")],
)  # fmt: skip
def test_first_word_is_the_first_word_with_a_letter_or_digit(text, first):
    assert first_word(text) == first


@settings(max_examples=200, deadline=None)
@given(widths=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=12),
       lines=st.integers(min_value=1, max_value=MAX_LINES))  # fmt: skip
def test_width_for_lines_is_the_narrowest_that_wraps_into_the_lines(widths, lines):
    width = width_for_lines(widths, 4, lines)
    assert width >= max(widths)
    assert line_count(widths, 4, width) <= lines
    if width > max(widths):
        assert line_count(widths, 4, width - 1) > lines  # one pixel less needs a line more


@settings(max_examples=100, deadline=None)
@given(
    text=st.lists(st.text(st.characters(categories=("L", "N", "P")), min_size=1, max_size=12),
                  min_size=1, max_size=6).map(" ".join),
    lines=st.integers(min_value=1, max_value=MAX_LINES),
)  # fmt: skip
@example(text="Myers, Pamela  $?", lines=2)  # the flow board's two spaces before "$?"
def test_measured_widths_wrap_as_qt_lays_the_text_out(qapp, text, lines):
    """The widths summed from words hold for Qt's own text layout (what a cell paints)."""
    font = QApplication.font()
    metrics = QFontMetrics(font)
    widths, _least = text_need(text, metrics.horizontalAdvance)
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    laid = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(widths[lines - 1] + 2)  # the fitter's slack
        laid.append(line.naturalTextWidth())
    layout.endLayout()
    assume(laid)
    assert len(laid) <= lines
    assert max(laid) <= widths[lines - 1] + 2


# ------------------------------------------------------------------ on a real table
ROWS = [("9:40 AM", "With prov.", "Exam room 3", "Sick visit"),
        ("10:05 AM", "Arrived", "", "Annual physical"),
        ("10:20 AM", "Roomed", "Procedure", "Follow-up")]  # fmt: skip
TITLES = ["Appt", "Status", "Room", "Type"]


@pytest.fixture
def table(qtbot, styled):
    model = QStandardItemModel(0, len(TITLES))
    model.setHorizontalHeaderLabels(TITLES)
    for row in ROWS:
        model.appendRow([QStandardItem(text) for text in row])
    holder = QWidget()
    view = make_table("t", "t")
    view.setParent(holder)
    view.setModel(model)
    fit_columns(view, stretch=("Status", "Room", "Type"), hide_first=("Room",))
    qtbot.addWidget(holder)
    holder.show()
    view.holder = holder  # pytest-qt keeps only a weak reference
    return view


def settle(view, width: int) -> None:
    view.resize(width, 300)
    QApplication.processEvents()
    assert not cut_words(view.parentWidget())  # at every width: no word cut


def test_a_roomy_table_reads_one_line_per_row(table):
    settle(table, comfortable_width(table) + 40)
    assert not table.wordWrap()
    heights = {table.rowHeight(r) for r in range(len(ROWS))}
    assert heights == {table.verticalHeader().defaultSectionSize()}
    assert table.horizontalHeader().toolTip() == ""


def test_a_narrow_table_wraps_words_and_rows_grow_to_them(table):
    settle(table, comfortable_width(table) - 30)
    assert table.wordWrap()
    assert (
        max(table.rowHeight(r) for r in range(len(ROWS)))
        > table.verticalHeader().defaultSectionSize()
    )
    assert not any(table.isColumnHidden(c) for c in range(len(TITLES)))
    settle(table, comfortable_width(table) + 1)  # back to one line once it fits again
    assert not table.wordWrap()


def test_without_room_for_first_words_the_named_column_hides_and_the_header_says_so(table):
    settle(table, table.minimumWidth())  # room for the others' longest words
    settle(table, 160)
    assert table.isColumnHidden(2)
    assert "Room" in table.horizontalHeader().toolTip()
    assert all(not table.isColumnHidden(c) for c in (0, 1, 3))
    settle(table, comfortable_width(table))
    assert not table.isColumnHidden(2) and table.horizontalHeader().toolTip() == ""


def test_keys_move_between_rows_of_a_wrapped_table(table, qtbot):
    settle(table, comfortable_width(table) - 30)
    table.setFocus()
    table.setCurrentIndex(table.model().index(0, 0))
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert table.currentIndex().row() == 1
    qtbot.keyClick(table, Qt.Key.Key_Up)
    assert table.currentIndex().row() == 0


def test_a_long_table_wraps_every_row_to_the_same_lines(qtbot, styled):
    """Beyond MEASURED_ROWS rows are not laid out one by one on each resize: all get
    the lines the plan needs (a year of checklist runs stays quick to resize)."""
    from ma_desk.ui.common.fit import MEASURED_ROWS

    model = QStandardItemModel(0, len(TITLES))
    model.setHorizontalHeaderLabels(TITLES)
    for number in range(MEASURED_ROWS + 1):
        model.appendRow([QStandardItem(text) for text in ROWS[number % len(ROWS)]])
    holder = QWidget()
    view = make_table("long", "long")
    view.setParent(holder)
    view.setModel(model)
    fit_columns(view, stretch=("Status", "Room", "Type"))
    qtbot.addWidget(holder)
    holder.show()
    settle(view, comfortable_width(view) - 30)
    assert view.wordWrap()
    heights = {view.rowHeight(r) for r in range(model.rowCount())}
    assert len(heights) == 1 and heights.pop() > view.fontMetrics().lineSpacing() * 2
