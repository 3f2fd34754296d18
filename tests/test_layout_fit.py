"""Every tab fits the screens clinics have (issue 15 items 1-2).

Display scaling is simulated by its logical size: Qt lays out in device-independent
pixels and fonts in points, so a 1366x768 laptop at 125 % lays out exactly like a
1093x614 screen at 100 %. The window gets the screen minus a taskbar and a title bar.
For every tab at every size: the window's minimum size fits, every control needed
for the task lies inside the window (or inside a scroll area that reaches it) and is
not squeezed to nothing, every table shows all its columns, and no label or button
text is cut.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics, QTextLayout, QTextOption
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QStyle,
    QStyleOptionHeader,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QTextEdit,
    QWidget,
)

from ma_desk.ui.common.fit import SIDEWAYS, ElidingHeader, first_that_fits, name_forms
from ma_desk.ui.main_window import MainWindow

# Windows laptops' logical screens: (physical size, scaling) -> logical size.
SCREENS = {
    "1280x720@100": (1280, 720),
    "1366x768@100": (1366, 768),
    "1366x768@125": (1093, 614),
    "1920x1080@150": (1280, 720),
    "1920x1080@100": (1920, 1080),
    "1280x720@125": (1024, 576),
    "1280x720@150": (853, 480),
    "1366x768@150": (911, 512),
}
TASKBAR_AND_TITLE = 48 + 32  # logical px the window never gets
CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractSpinBox, QPlainTextEdit, QTextEdit,
            QAbstractItemView)  # fmt: skip
QT_INNER_PARENTS = ("QComboBox", "QAbstractSpinBox", "QCalendarWidget", "QTabBar", "QDateEdit",
                    "QDateTimeEdit", "QSpinBox", "QDoubleSpinBox", "QTimeEdit", "QScrollBar",
                    "QLineEdit", "QHeaderView")  # fmt: skip


def client_size(screen: str) -> tuple[int, int]:
    width, height = SCREENS[screen]
    return width, height - TASKBAR_AND_TITLE


@pytest.fixture
def window(qtbot, demo_services, sign_in_as, clock, tmp_path, styled) -> MainWindow:
    sign_in_as("ma")
    made = MainWindow(demo_services, store_label="demo", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(made)
    made.build_all_tabs()
    # A patient in the rooms, so every panel shows what it shows on a real morning.
    day = demo_services.schedule.day(clock.now().date())
    visit = next(row for row in day if row.status in ("with_provider", "roomed", "checked_out"))
    made.selection.select_appointment(visit.id, visit.patient_id)
    with qtbot.waitExposed(made):
        made.show()
    return made


def show_at(window: MainWindow, screen: str, tab_index: int) -> None:
    window.tabs.setCurrentIndex(tab_index)
    window.resize(*client_size(screen))
    for _ in range(3):  # layouts settle over a few passes (word-wrapped labels)
        QApplication.processEvents()


def _is_qt_inner(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    return widget.objectName().startswith("qt_") or (
        parent is not None and type(parent).__name__ in QT_INNER_PARENTS
    )


def _scroll_ancestor(widget: QWidget, stop: QWidget) -> QScrollArea | None:
    """The outermost scroll area (between widget and stop) that brings widget into
    view, if any: a panel that scrolls inside a page that scrolls is reached by both."""
    found = None
    parent = widget.parentWidget()
    while parent is not None and parent is not stop:
        inner = parent.widget() if isinstance(parent, QScrollArea) else None
        if inner is not None and inner.isAncestorOf(widget):
            found = parent
        parent = parent.parentWidget()
    return found


def _on_screen_rect(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def visible_widgets(tab: QWidget, kind) -> list:
    return [
        w for w in tab.findChildren(QWidget)
        if isinstance(w, kind) and w.isVisible() and not _is_qt_inner(w)
    ]  # fmt: skip


def outside_window(window: MainWindow, tab: QWidget, screen: str) -> list[str]:
    problems = []
    frame = QRect(0, 0, *client_size(screen))
    for widget in visible_widgets(tab, CONTROLS):
        scroller = _scroll_ancestor(widget, window)
        holder = scroller if scroller is not None else widget
        rect = _on_screen_rect(holder, window)
        name = widget.objectName() or type(widget).__name__
        if not frame.contains(rect):
            problems.append(f"{name} at {rect.getRect()} outside window {frame.getRect()}")
        elif widget.width() < 8 or widget.height() < 8:
            problems.append(f"{name} squeezed to {widget.width()}x{widget.height()}")
    return problems


def hidden_columns(tab: QWidget) -> list[str]:
    """Tables whose columns run past their viewport (staff would have to scroll sideways)."""
    problems = []
    for view in visible_widgets(tab, QTableView):
        header = view.horizontalHeader()
        if header.isHidden() or view.model() is None or view.property(SIDEWAYS):
            continue
        shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        total = sum(header.sectionSize(c) for c in shown)
        if total > view.viewport().width() + 2:
            problems.append(f"{view.objectName()}: columns {total} px > {view.viewport().width()}")
        for column in shown:
            if header.sectionSize(column) < 24:
                problems.append(f"{view.objectName()}: column {column} squeezed")
    return problems


def clipped_headers(tab: QWidget) -> list[str]:
    """Column titles cut by their section (the Check-in titles read half at 125 %):
    each visible title fits its section, or it ends in "…" (the eliding header) and the
    header's tooltip gives the whole title."""
    problems = []
    for view in visible_widgets(tab, QTableView):
        header = view.horizontalHeader()
        model = view.model()
        if header.isHidden() or model is None:
            continue
        for column in range(header.count()):
            if header.isSectionHidden(column):
                continue
            title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            tip = model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
            need = header.sectionSizeFromContents(column).width()
            elided = isinstance(header, ElidingHeader) and tip == title
            if title and need > header.sectionSize(column) + 1 and not elided:
                problems.append(
                    f"{view.objectName()}: title {title!r} needs {need} px, has "
                    f"{header.sectionSize(column)}"
                )
    return problems


def first_word(text: str) -> str:
    """The text up to the end of its first word with a letter or digit ("⚠ Latex", not
    "⚠"): what a cut cell must still show whole."""
    words = text.split()
    for count, word in enumerate(words, 1):
        if any(ch.isalnum() for ch in word):
            return " ".join(words[:count])
    return " ".join(words)


def _wrapped_lines(text: str, option: QStyleOptionViewItem, room: int) -> list[tuple[str, float]]:
    """The lines Qt's item painter lays the text out in at width room: text, width."""
    layout = QTextLayout(text, option.font)
    text_option = QTextOption()
    text_option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(text_option)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(room)
        lines.append(
            (text[line.textStart() : line.textStart() + line.textLength()], line.naturalTextWidth())
        )
    layout.endLayout()
    return lines


def shown_cell_text(text: str, option: QStyleOptionViewItem, room: int, height: int) -> str:
    """What an item view paints of text in a room x height text rectangle (after
    QCommonStyle's calculateElidedText): every line that fits, the last one elided."""
    metrics = option.fontMetrics
    elide = Qt.TextElideMode.ElideRight
    if metrics.horizontalAdvance(text) <= room:
        return text
    if not option.features & QStyleOptionViewItem.ViewItemFeature.WrapText:
        return metrics.elidedText(text, elide, room)
    lines = _wrapped_lines(text, option, room)
    shown, used = [], 0.0
    for number, (line, width) in enumerate(lines):
        used += metrics.height()
        if number + 1 < len(lines) and used + metrics.height() / 2 > height:
            shown.append(metrics.elidedText(line.rstrip() + "…", elide, room))
            break
        cut = metrics.elidedText(line.rstrip(), elide, room) + line[len(line.rstrip()) :]
        shown.append(cut if width > room else line)
    return "".join(shown)  # a line keeps the space it broke at ("Follow-" "up" has none)


def _keeps_first_word(text: str, shown: str) -> bool:
    whole, seen = " ".join(text.split()), " ".join(shown.split())
    if seen == whole:
        return True
    kept = seen.removesuffix("…").rstrip()
    return whole.startswith(kept) and len(kept) >= len(first_word(whole))


def _cell_option(view: QTableView, index) -> QStyleOptionViewItem:
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    view.itemDelegateForIndex(index).initStyleOption(option, index)
    option.rect = view.visualRect(index)
    return option


def cut_words(tab: QWidget) -> list[str]:
    """Cells and column titles that show less than their first whole word ("Wit…",
    "S…"): a word cut to its first letters cannot be read, tooltip or not."""
    problems = []
    for view in visible_widgets(tab, QTableView):
        model, header = view.model(), view.horizontalHeader()
        if model is None or view.property(SIDEWAYS):
            continue
        margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
        columns = [c for c in range(model.columnCount()) if not header.isSectionHidden(c)]
        for column in columns:
            title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            if not header.isHidden() and title:
                option = QStyleOptionHeader()
                header.initStyleOptionForIndex(option, column)
                if not _keeps_first_word(title, option.text):
                    problems.append(f"{view.objectName()}: title {title!r} shows {option.text!r}")
            for row in range(model.rowCount()):
                index = model.index(row, column)
                text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
                if not text.strip():
                    continue
                option = _cell_option(view, index)
                rect = view.style().subElementRect(
                    QStyle.SubElement.SE_ItemViewItemText, option, view
                )
                shown = shown_cell_text(text, option, rect.width() - 2 * margin, rect.height())
                if not _keeps_first_word(text, shown):
                    problems.append(f"{view.objectName()}: {text!r} shows {shown!r}")
                    break  # one cell per column says it
    return problems


def _label_cut(label: QLabel) -> bool:
    text = label.text().replace("&&", "\0").replace("&", "").replace("\0", "&")
    if not text or label.pixmap() is not None and not label.pixmap().isNull():
        return False
    room = label.contentsRect()
    if label.wordWrap() or label.textFormat().name == "RichText" or "<" in text:
        need = label.heightForWidth(label.width())
        return need > label.height() + 1 if need > 0 else False
    widest = max(label.fontMetrics().horizontalAdvance(line) for line in text.split("\n"))
    return widest > room.width() + 1


def clipped_texts(tab: QWidget) -> list[str]:
    problems = []
    for label in visible_widgets(tab, QLabel):
        if _label_cut(label):
            name = label.objectName() or "label"
            problems.append(f"{name} {label.text()[:40]!r} cut at {label.width()} px")
    for button in visible_widgets(tab, QAbstractButton):
        if button.text() and button.sizeHint().width() > button.width() + 1:
            problems.append(
                f"button {button.text()!r} {button.width()} < {button.sizeHint().width()}"
            )
    return problems


@pytest.mark.parametrize("screen", list(SCREENS))
def test_window_minimum_fits_the_screen(window, screen):
    width, height = client_size(screen)
    show_at(window, screen, 0)
    minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
    assert minimum.width() <= width and minimum.height() <= height, (
        f"window needs at least {minimum.width()}x{minimum.height()}, {screen} gives {width}x{height}"
    )
    assert (window.width(), window.height()) == (width, height)


ROOMY_SCREENS = ["1920x1080@100", "1366x768@100", "1280x720@100", "1366x768@125"]


@pytest.mark.parametrize("screen", ROOMY_SCREENS)
def test_tab_pages_scroll_only_on_screens_smaller_than_them(window, screen):
    """Where every tab fitted before pages could scroll, none shows a scroll bar: the
    page fills the window and its panels share the space as before."""
    scrolled = []
    for index in range(window.tabs.count()):
        show_at(window, screen, index)
        holder = window.tabs.widget(index)
        bars = [holder.horizontalScrollBar(), holder.verticalScrollBar()]
        if any(bar.isVisible() for bar in bars):
            scrolled.append(window.tabs.tabText(index))
        assert holder.page().size() == holder.viewport().size()
    assert not scrolled, f"{screen}: pages scroll on {scrolled}"


def problems_on(window: MainWindow, tab: QWidget, screen: str) -> list[str]:
    problems = outside_window(window, tab, screen) + hidden_columns(tab) + clipped_texts(tab)
    problems += clipped_headers(tab) + cut_words(tab)
    need = tab.minimumSizeHint()
    if need.width() > tab.width() or need.height() > tab.height():
        problems.insert(
            0, f"needs {need.width()}x{need.height()}, has {tab.width()}x{tab.height()}"
        )
    return problems


def inner_pages(tab: QWidget) -> list[tuple[QTabWidget, int]]:
    """The pages of the tabs inside a tab (flow board / waitlist, restock, notes ...)."""
    return [(pages, i) for pages in visible_widgets(tab, QTabWidget) for i in range(pages.count())]


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_tab_fits_without_cut_controls_columns_or_words(window, screen):
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
            report[title] += [
                f"{pages.tabText(page)}: {p}" for p in found if p not in report[title]
            ]
            pages.setCurrentIndex(0)
    report = {title: found for title, found in report.items() if found}
    assert not report, "\n".join(f"{tab}: {p}" for tab, found in report.items() for p in found)


@pytest.mark.parametrize("width", [20, 40, 60, 200])
def test_a_cut_column_title_ends_in_an_ellipsis_from_its_first_letter(qtbot, styled, width):
    """The style sheet's headers clipped a long title in the middle ('Critical' read
    'ritica'); the eliding header shows its start and "…", whole when it fits."""
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QStyleOptionHeader

    from ma_desk.ui.common.widgets import make_table

    view = make_table("t", "t")
    model = QStandardItemModel(1, 2)
    model.setHorizontalHeaderLabels(["Critical", "Provider"])
    view.setModel(model)
    qtbot.addWidget(view)
    header = view.horizontalHeader()
    header.resizeSection(0, width)
    view.show()
    option = QStyleOptionHeader()
    header.initStyleOptionForIndex(option, 0)
    shown = option.text
    if header.sectionSizeFromContents(0).width() <= width:
        assert shown == "Critical"
    else:
        assert shown in ("", "…") or (shown.endswith("…") and "Critical".startswith(shown[:-1]))
        assert header.fontMetrics().horizontalAdvance(shown) <= width
    assert header.font().bold()  # the titles elide in the font they are painted in


# ------------------------------------------------------------------ flags and errors (item 2)
def field_geometry(panel: QWidget) -> dict[str, tuple[int, int, int, int]]:
    inputs = (QLineEdit, QComboBox, QAbstractButton)
    return {
        w.objectName(): QRect(w.mapTo(panel, QPoint(0, 0)), w.size()).getRect()
        for w in visible_widgets(panel, inputs)
        if w.objectName()
    }


def vitals_at_1280(window: MainWindow, qtbot):
    show_at(window, "1280x720@100", 2)
    tab = window.tab_page(2)
    qtbot.waitUntil(lambda: tab.entry.rows["bp.0"].edit.isEnabled(), timeout=5000)
    return tab


@pytest.mark.parametrize(
    ("key", "typed", "words"),
    [
        ("bp.0", "142/92", "HIGH: Stage 2 hypertension"),
        ("bp.0", "190/125", "CRITICAL"),
        ("spo2", "88", "Critically low (below 90 %)"),
        ("pulse", "31", ""),  # any flag: its words must fit
    ],
)
def test_vitals_flag_words_read_in_full_at_1280_and_move_no_field(window, qtbot, key, typed, words):
    tab = vitals_at_1280(window, qtbot)
    row = tab.entry.rows[key]
    before = field_geometry(tab.entry)
    row.edit.setFocus()
    qtbot.keyClicks(row.edit, typed)
    qtbot.waitUntil(lambda: bool(row.flag.text()) and words in row.flag.text(), timeout=5000)
    QApplication.processEvents()
    window.findChild(QScrollArea, "vitals_entry_scroll").ensureWidgetVisible(row.flag)
    flag = row.flag
    assert flag.isVisible() and not flag.visibleRegion().isEmpty()
    assert flag.fontMetrics().horizontalAdvance(flag.text()) <= flag.contentsRect().width()
    assert QRect(flag.mapTo(window, QPoint(0, 0)), flag.size()).right() < 1280
    assert field_geometry(tab.entry) == before


def test_vitals_error_line_moves_no_field(window, qtbot):
    tab = vitals_at_1280(window, qtbot)
    row = tab.entry.rows["temperature"]
    before = field_geometry(tab.entry)
    row.message.show_message("Temperature 986 is not possible: a missing decimal point (98.6)?")
    QApplication.processEvents()
    assert row.message.isVisible()
    assert field_geometry(tab.entry) == before
    row.message.show_message("")
    QApplication.processEvents()
    assert field_geometry(tab.entry) == before


@pytest.mark.parametrize("screen", ["1280x720@100", "1280x720@125"])
def test_registration_errors_move_no_field(window, qtbot, screen):
    show_at(window, screen, 1)
    checkin = window.tab_page(1)
    checkin.stack.setCurrentIndex(1)
    QApplication.processEvents()
    form = checkin.registration.form
    before = field_geometry(form)
    first = form.show_errors(
        {name: "Required: type it as on the ID card." for name in form.messages}
    )
    QApplication.processEvents()
    assert first is not None and all(m.isVisible() for m in form.messages.values())
    assert field_geometry(form) == before
    form.clear_errors()
    QApplication.processEvents()
    assert field_geometry(form) == before


# ------------------------------------------------------------------ drop-down highlight
def test_highlighted_drop_down_choice_is_readable(qtbot, styled):
    from PySide6.QtGui import QPalette

    from tests.contrast import AA_TEXT, contrast_ratio

    combo = QComboBox()
    combo.addItems(["Sitting", "Standing", "Lying"])
    qtbot.addWidget(combo)
    combo.show()
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=5000)
    palette = view.palette()
    highlight = palette.color(QPalette.ColorRole.Highlight)
    chosen_text = palette.color(QPalette.ColorRole.HighlightedText)
    base = palette.color(QPalette.ColorRole.Base)
    assert contrast_ratio(highlight, chosen_text) >= AA_TEXT
    assert contrast_ratio(palette.color(QPalette.ColorRole.Text), base) >= AA_TEXT
    assert contrast_ratio(highlight, base) >= 3  # the highlight itself is seen (non-text 3:1)
    combo.hidePopup()


# ------------------------------------------------------------------ schedule block names
names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(last=names, first=names, width=st.integers(min_value=0, max_value=400))
def test_block_names_shorten_to_surname_and_initial_never_past_the_width(qapp, last, first, width):
    metrics = QFontMetrics(QApplication.font())
    name = f"{last}, {first}"
    forms = name_forms(name)
    shown = first_that_fits(("09:15 " + name, *forms), metrics, width)
    assert metrics.horizontalAdvance(shown) <= max(width, 0) or shown == ""
    surname_fits = metrics.horizontalAdvance(forms[-1]) <= width
    if surname_fits:  # the surname is never cut while it fits
        assert last in shown or name in shown


def test_block_name_forms_boundaries(qapp):
    metrics = QFontMetrics(QApplication.font())
    forms = name_forms("Hayes, Jordan")
    assert forms == ("Hayes, Jordan", "Hayes, J.", "Hayes")
    initial = metrics.horizontalAdvance("Hayes, J.")
    assert first_that_fits(forms, metrics, initial) == "Hayes, J."  # at the width
    assert first_that_fits(forms, metrics, initial - 1) == "Hayes"  # just below
    assert first_that_fits(forms, metrics, metrics.horizontalAdvance("Hayes, Jordan")) == (
        "Hayes, Jordan"
    )


# ------------------------------------------------------------------ vitals Save row
@pytest.mark.parametrize("screen", ["1280x720@100", "1366x768@125", "1280x720@125"])
def test_vitals_save_row_is_in_view_without_scrolling(window, qtbot, screen):
    """Save and Cancel are pinned under the scrolling form: in the window, whole, and
    outside any scroll area, however far the form is scrolled."""
    show_at(window, screen, 2)
    tab = window.tab_page(2)
    qtbot.waitUntil(lambda: tab.entry.rows["bp.0"].edit.isEnabled(), timeout=5000)
    area = window.findChild(QScrollArea, "vitals_entry_scroll")
    page = window.tabs.widget(2)  # the page's own scroll area: no bar at these sizes
    assert not page.verticalScrollBar().isVisible()
    for position in (0, area.verticalScrollBar().maximum()):
        area.verticalScrollBar().setValue(position)
        QApplication.processEvents()
        for button in (tab.entry.save_button, tab.entry.cancel_button):
            assert button.isVisible() and _scroll_ancestor(button, page) is None
            rect = _on_screen_rect(button, window)
            assert QRect(0, 0, *client_size(screen)).contains(rect), (screen, rect.getRect())
            assert button.visibleRegion().boundingRect().size() == button.size()


# ------------------------------------------------------------------ dialogs and the week view
DIALOG_SCREENS = ["1280x720@100", "1280x720@125", "1280x720@150"]


def dialog_problems(dialog: QWidget) -> list[str]:
    """Controls outside the dialog or squeezed, cut words and column titles."""
    problems = []
    frame = dialog.rect()
    for widget in visible_widgets(dialog, CONTROLS):
        if isinstance(widget, QHeaderView):  # a table's part: its titles are checked below
            continue
        scroller = _scroll_ancestor(widget, dialog)
        rect = _on_screen_rect(scroller if scroller is not None else widget, dialog)
        name = widget.objectName() or type(widget).__name__
        if not frame.contains(rect):
            problems.append(f"{name} at {rect.getRect()} outside {frame.getRect()}")
        elif widget.width() < 8 or widget.height() < 8:
            problems.append(f"{name} squeezed to {widget.width()}x{widget.height()}")
    return problems + clipped_texts(dialog) + clipped_headers(dialog)


@pytest.mark.parametrize("screen", DIALOG_SCREENS)
def test_every_dialog_fits_the_screen_without_cut_words(
    qtbot, demo_services, sign_in_as, styled, monkeypatch, screen
):
    from ma_desk.ui.common.dialogs import dialogs
    from tests.test_focus_dialogs import _factories

    sign_in_as("admin")
    monkeypatch.setattr(dialogs, "confirm", lambda *_a: False)
    width, height = client_size(screen)
    report = {}
    for name, (build, _enter) in sorted(_factories().items()):
        dialog = build(demo_services)
        qtbot.addWidget(dialog)
        dialog.show()
        QApplication.processEvents()
        need = dialog.minimumSizeHint().expandedTo(dialog.minimumSize())
        found = []
        if need.width() > width or need.height() > height:
            found.append(f"needs {need.width()}x{need.height()}, the screen gives {width}x{height}")
        hint = dialog.sizeHint()
        dialog.resize(min(max(hint.width(), need.width()), width),
                      min(max(hint.height(), need.height()), height))  # fmt: skip
        for _ in range(3):
            QApplication.processEvents()
        found += dialog_problems(dialog)
        if found:
            report[name] = found
        dialog.close()
    assert not report, "\n".join(f"{d}: {p}" for d, found in report.items() for p in found)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_schedule_week_view_fits(window, demo_services, screen):
    """A week for one provider: seven day columns share the book's width (their
    titles whole or elided with a tooltip), every control in the window."""
    schedule = window.tab_page(0)
    provider = demo_services.schedule.providers()[0]
    show_at(window, screen, 0)
    schedule.show_week(provider.id)
    for _ in range(3):
        QApplication.processEvents()
    assert schedule.model.columnCount() == 7
    assert not problems_on(window, schedule, screen)
    schedule.show_week(None)


# ------------------------------------------------------------------ real device-pixel scaling
@pytest.mark.parametrize(("factor", "screens", "cases"), [("1.25", "125", 9), ("1.5", "150", 10)])
def test_scaled_screens_fit_with_real_device_pixel_scaling(factor, screens, cases, tmp_path):
    """The scaled cases again in a Qt that paints at QT_SCALE_FACTOR (fonts and metrics
    rounded in device pixels, as on a Windows laptop at 125 % / 150 %), not only at
    the logical sizes."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, QT_SCALE_FACTOR=factor, QT_QPA_PLATFORM="offscreen")
    chosen = f"{screens} and (every_tab or every_dialog or save_row or week or one_scroll)"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", __file__,
         "-k", chosen, "--basetemp", str(tmp_path / "t")],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:]
    assert run.stdout.split("[")[0].strip() == "." * cases, run.stdout  # each case passed


# ------------------------------------------------------------------ one scroll bar per page
def covered_visit(services, day):
    """Today's visit of a patient with a coverage that has an eligibility history."""
    for row in day:
        for coverage in services.insurance.coverages(row.patient_id):
            if services.insurance.verification_log(coverage.id):
                return row
    raise AssertionError("the demo has no covered patient with a check today")


@pytest.fixture
def covered_window(window, demo_services, clock) -> MainWindow:
    """The window with a patient chosen whose insurance has coverage and checks."""
    visit = covered_visit(demo_services, demo_services.schedule.day(clock.now().date()))
    window.selection.select_appointment(visit.id, visit.patient_id)
    return window


def nested_scrolling(window: MainWindow, index: int, screen: str) -> list[str]:
    """A panel that scrolls up and down inside a page that scrolls (two bars, the wheel
    caught by the inner one), and inner tab bars that neither the window shows nor the
    page's own scrolling reaches."""
    holder = window.tabs.widget(index)
    page_scrolls = holder.verticalScrollBar().isVisible()
    problems = []
    if page_scrolls:
        for area in visible_widgets(holder.page(), QScrollArea):
            if area.verticalScrollBar().isVisible():
                problems.append(f"{area.objectName()} scrolls inside the scrolling page")
    frame = QRect(0, 0, *client_size(screen))
    content = holder.widget()
    for pages in visible_widgets(holder.page(), QTabWidget):
        bar = pages.tabBar()
        scroller = _scroll_ancestor(bar, window)
        if scroller is None and not frame.contains(_on_screen_rect(bar, window)):
            problems.append(f"{pages.objectName()} tabs outside the window")
        elif scroller is not None and scroller is not holder:
            problems.append(f"{pages.objectName()} tabs inside {scroller.objectName()}")
        elif not content.rect().contains(
            place := QRect(bar.mapTo(content, QPoint(0, 0)), bar.size())
        ):
            problems.append(
                f"{pages.objectName()} tabs at {place.getRect()} past the page's end {content.size().toTuple()}"
            )
    for widget in visible_widgets(holder.page(), CONTROLS):
        if _scroll_ancestor(widget, holder) is None:  # not inside an inner scroll area
            place = QRect(widget.mapTo(content, QPoint(0, 0)), widget.size())
            if not content.rect().contains(place):
                name = widget.objectName() or type(widget).__name__
                problems.append(f"{name} at {place.getRect()} past the page's end")
    return problems


@pytest.mark.parametrize("screen", list(SCREENS))
def test_one_scroll_bar_per_page_and_inner_tabs_reached(covered_window, screen):
    """Issue 15: the Insurance page scrolled and so did the card panel inside it, with
    the Eligibility / Notes tabs below the fold. On every tab, at every size: while the
    page scrolls nothing inside it scrolls up and down too, and every inner tab bar is
    in the window or reached by the page's own scrolling."""
    window = covered_window
    report = {}
    for index in range(window.tabs.count()):
        show_at(window, screen, index)
        title = window.tabs.tabText(index)
        found = nested_scrolling(window, index, screen)
        for pages, page in inner_pages(window.tab_page(index)):
            pages.setCurrentIndex(page)
            QApplication.processEvents()
            found += [p for p in nested_scrolling(window, index, screen) if p not in found]
            pages.setCurrentIndex(0)
        if found:
            report[title] = found
    assert not report, "\n".join(
        f"{screen} {tab}: {p}" for tab, found in report.items() for p in found
    )


def _in_page_view(widget: QWidget, holder: QScrollArea) -> bool:
    """The widget lies in what the page's scroll area shows now (its top at least, for
    a widget taller than the view)."""
    view = holder.viewport().rect()
    place = QRect(widget.mapTo(holder.viewport(), QPoint(0, 0)), widget.size())
    if place.height() > view.height():
        return view.contains(place.topLeft())
    return view.contains(place)


SHORT = "1280x720@150"  # the smallest screen: the Insurance page scrolls


def test_tabbing_through_the_insurance_page_scrolls_each_control_into_view(covered_window, qtbot):
    window = covered_window
    show_at(window, SHORT, 4)
    holder, tab = window.tabs.widget(4), window.tab_page(4)
    assert holder.verticalScrollBar().isVisible()
    tab.actions["add"].setFocus()
    below_fold, visited = set(), []
    for _ in range(40):
        widget = QApplication.focusWidget()
        if not tab.isAncestorOf(widget):
            break
        visited.append(widget)
        if holder.verticalScrollBar().value() > 0:
            below_fold.add(widget)
        assert _in_page_view(widget, holder), (
            widget.objectName(),
            holder.verticalScrollBar().value(),
        )
        qtbot.keyClick(widget, Qt.Key.Key_Tab)
        QApplication.processEvents()
    assert tab.pages.tabBar() in below_fold or any(tab.pages.isAncestorOf(w) for w in below_fold)
    assert tab.checks.verify_button in visited  # the Eligibility page's own Verify


@pytest.mark.parametrize(
    ("key", "page"), [(Qt.Key.Key_S, "notes"), (Qt.Key.Key_I, "auths"), (Qt.Key.Key_G, "checks")]
)
def test_insurance_pages_open_by_mnemonic_and_come_into_view(covered_window, qtbot, key, page):
    """Alt+G / Alt+S / Alt+I choose Eligibility / Notes / Prior authorizations from
    anywhere on the tab; the cursor goes to the tabs and the page scrolls to them."""
    window = covered_window
    show_at(window, SHORT, 4)
    holder, tab = window.tabs.widget(4), window.tab_page(4)
    if page == "checks":
        tab.pages.setCurrentWidget(tab.notes)
    tab.actions["add"].setFocus()
    holder.verticalScrollBar().setValue(0)
    assert not _in_page_view(tab.pages.tabBar(), holder)  # below the fold at first
    qtbot.keyClick(tab.actions["add"], key, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: tab.pages.currentWidget() is getattr(tab, page), timeout=5000)
    assert QApplication.focusWidget() is tab.pages.tabBar()
    assert _in_page_view(tab.pages.tabBar(), holder)
    current = tab.pages.currentIndex()
    qtbot.keyClick(tab.pages.tabBar(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert tab.pages.currentIndex() == (current + 1) % tab.pages.count()  # Ctrl+Tab goes on


@pytest.mark.parametrize(
    ("screen", "side_by_side"), [("1366x768@150", True), ("1366x768@125", False)]
)
def test_card_sides_side_by_side_only_where_the_panel_is_wide(covered_window, screen, side_by_side):
    """On a short screen the card panel has the page's whole width: front and back
    share a row and the tabs below come a card's height sooner; in the narrow left
    pane the back goes under the front, nothing cut."""
    show_at(covered_window, screen, 4)
    cards = covered_window.tab_page(4).cards
    front, back = (cards.findChild(QWidget, f"card_{side}_box") for side in ("front", "back"))
    assert (front.y() == back.y()) is side_by_side
    assert side_by_side or back.y() >= front.y() + front.height()
    assert cards.rect().contains(QRect(back.mapTo(cards, QPoint(0, 0)), back.size()))
