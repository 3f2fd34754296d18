"""Fitting screens of 1280x720 and smaller (125 % / 150 % scaling) without cutting words.

One place for the few ways a tab gives way when space runs out: rows of buttons that
wrap, names that shorten to what still identifies, sentences that wrap, long
panels that scroll instead of widening the window, whole tab pages that scroll when
even their minimum is bigger than the screen (1280x720 at 150 %), one-line labels that
elide with the whole text in a tooltip, splitters that never collapse a panel, and
table columns that share the width by wrapping words instead of cutting them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QHelpEvent, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLayoutItem,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QStyleOptionHeader,
    QTableView,
    QToolTip,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

from ma_desk.ui.common.column_plan import (
    CellNeed,
    ColumnNeed,
    column_need,
    first_word,
    plan_columns,
    text_need,
)

FLOOR_LINES = 2  # a table asks the layout for room for two lines a row before three
MEASURED_ROWS = 500  # rows fit_columns measures: a day's board, a search's results, and more
SIDEWAYS = "scrolls_sideways"  # property: a table of many equal columns, scrolled by design


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps to a new row when the width runs out
    (Qt's flow layout example), so a row of buttons never sets the window's width."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt override)
        self._items.append(item)

    def insert_widget(self, index: int, widget: QWidget) -> None:
        """Puts widget at position index (a search box before the buttons)."""
        self.addChildWidget(widget)
        self._items.insert(index, QWidgetItem(widget))
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802
        size = QSize()
        for item in self._shown():
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _shown(self) -> list[QLayoutItem]:
        return [item for item in self._items if not item.isEmpty()]

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        """Places the items row by row; returns the height used."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, row_height = area.x(), area.y(), 0
        for item in self._shown():
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and row_height > 0:
                x, y, row_height = area.x(), y + row_height + self._gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._gap
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + margins.bottom()


def button_row(widgets: Iterable[QWidget], parent: QWidget | None = None) -> QWidget:
    """A row of buttons (and small inputs) that wraps onto a second line when narrow."""
    holder = QWidget(parent)
    flow = FlowLayout(holder)
    for widget in widgets:
        flow.addWidget(widget)
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    holder.setSizePolicy(policy)
    return holder


class ReservedLine(QWidget):
    """One line under a field that holds its flag words and its error message.

    Its height is fixed from the start (one line of its labels plus their padding),
    so a flag or an error appearing never moves the fields below.
    """

    PADDING = 8  # the flag labels' padding and border (clinic.qss), top and bottom

    def __init__(self, *labels: QLabel, stretch: int = -1, parent: QWidget | None = None) -> None:
        """``stretch``: the index of the label that takes the spare width (the message)."""
        super().__init__(parent)
        self._labels = labels
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        wide = labels[stretch]
        for label in labels:
            label.setWordWrap(False)
            row.addWidget(label, 1 if label is wide else 0)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def _height(self) -> int:
        return max(label.fontMetrics().lineSpacing() for label in self._labels) + self.PADDING

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().sizeHint().width(), self._height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().minimumSizeHint().width(), self._height())


def wrapping(label: QLabel) -> QLabel:
    """A label that holds a sentence: wraps instead of widening its panel."""
    label.setWordWrap(True)
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    label.setSizePolicy(policy)
    label.setMinimumWidth(0)
    return label


class _HeightFollowsWidth(QObject):
    """Keeps a wrapped label at least as tall as its text at its width now: a dialog's
    layout sizes a wrapped label for fewer lines than large system text needs."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize and isinstance(watched, QLabel):
            needed = watched.heightForWidth(watched.width())
            if needed > 0 and needed != watched.minimumHeight():
                watched.setMinimumHeight(needed)
        return False


def wrapping_in_dialog(label: QLabel) -> QLabel:
    """A sentence in a dialog: wraps, and the dialog grows to show every line of it."""
    wrapping(label)
    label.installEventFilter(_HeightFollowsWidth(label))
    return label


class FittingLabel(QLabel):
    """One line that shows the longest of its forms that fits (a long date, then a short
    one, then the time alone) and asks for no more width than it must: its last form
    whole when ``keep_last`` (the clock), else a few letters and "…" (the clinic's name).
    ``text()`` stays the whole first form; when cut, the tooltip shows it."""

    def __init__(self, text: str = "", *, keep_last: bool = False,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(text, parent)
        self._forms: tuple[str, ...] = (text,)
        self._keep_last = keep_last

    def set_forms(self, forms: Sequence[str]) -> None:
        """Longest first; every form must still say what the label is for."""
        self._forms = tuple(forms) or ("",)
        super().setText(self._forms[0])
        self._update_tip()
        self.updateGeometry()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        self.set_forms((text,))

    def shown_text(self) -> str:
        """What the label paints at its width now."""
        return first_that_fits(self._forms, self.fontMetrics(), self.contentsRect().width())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        metrics = self.fontMetrics()
        last = self._forms[-1]
        least = last if self._keep_last else last[:3] + "…"
        margins = self.contentsMargins()
        width = metrics.horizontalAdvance(least) + margins.left() + margins.right()
        return QSize(width, super().minimumSizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()),
                                  self.palette(), self.isEnabled(), self.shown_text(),
                                  self.foregroundRole())  # fmt: skip

    def _update_tip(self) -> None:
        self.setToolTip(self._forms[0] if self.shown_text() != self._forms[0] else "")


class _VerticalScroll(QScrollArea):
    """Scrolls up and down only; as wide as its panel needs, so nothing is cut sideways.

    Unrolled (inside a tab page that scrolls, see PageScroll), it is as tall as its
    panel and never scrolls: the page's one scroll bar reaches the whole panel.
    """

    _unrolled = False
    _unrolled_height = 0  # the height asked for when last measured, unrolled

    def set_unrolled(self, unrolled: bool) -> None:
        if unrolled == self._unrolled:
            return
        self._unrolled = unrolled
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
            if unrolled
            else Qt.ScrollBarPolicy.ScrollBarAsNeeded
        )
        self.verticalScrollBar().setValue(0)
        self.updateGeometry()

    def is_unrolled(self) -> bool:
        return self._unrolled

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        panel = self.widget()
        needed = panel.minimumSizeHint().expandedTo(panel.minimumSize()).width() if panel else 0
        bar = self.verticalScrollBar().sizeHint().width()
        height = self._panel_height() if self._unrolled else 0
        return QSize(needed + bar + 2 * self.frameWidth(), height)

    def _panel_height(self) -> int:
        """The panel's whole height at the area's width now (wrapped text included)."""
        panel = self.widget()
        if panel is None:
            return 0
        width = self.viewport().width() if self.width() > 0 else panel.sizeHint().width()
        wrapped = panel.heightForWidth(width) if panel.hasHeightForWidth() else -1
        whole = wrapped if wrapped > 0 else panel.sizeHint().height()
        self._unrolled_height = max(whole, _least(panel).height()) + 2 * self.frameWidth()
        return self._unrolled_height

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._unrolled and event.size().width() != event.oldSize().width():
            before = self._unrolled_height
            if self._panel_height() != before:
                self.updateGeometry()  # wrapped text takes more (or fewer) lines now

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the panel grew (a patient was chosen): widen the area
        return super().eventFilter(watched, event)


def scrolling(panel: QWidget, name: str) -> QScrollArea:
    """Puts a long panel in a vertical scroll area so it never makes the window taller."""
    area = _VerticalScroll()
    area.setObjectName(name)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields, never the frame
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(panel)
    return area


STACKED_PANEL_FLOOR = 200  # px of height each panel keeps once stacked: rows, not slivers
SIDE_PANEL_FLOOR = 200  # px of width a panel needs to stay side by side (a grid, not a sliver)


class PageScroll(QScrollArea):
    """A whole tab page that gives way on a screen smaller than it (1280x720 at 150 %).

    While the page is wider than the area (each side-by-side panel counted at least
    SIDE_PANEL_FLOOR wide), its side-by-side panels (horizontal splitters not inside
    another one) stack top to bottom, each at least
    STACKED_PANEL_FLOOR high, the first (where the work is: the vitals form and its
    Save) as high as the area leaves it, and the page scrolls up and down to the
    others; back side by side once the area is as wide as they need. A page that still does not fit scrolls both
    ways. On a big screen the page fills the area: no scroll bar, panels as before.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stacked: dict[QSplitter, tuple[list[int], int]] = {}  # sizes, min height
        self._wide_need = 0  # the page's minimum width with its panels side by side
        self._rolled_need = 0  # the page's minimum height with its inner panels scrolling

    def page(self) -> QWidget:
        """The page inside (the tab itself)."""
        return self.widget().layout().itemAt(0).widget()

    def sizeHint(self) -> QSize:  # noqa: N802
        """The page's own wish (QScrollArea caps it at 36x24 characters)."""
        return self.page().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """Room for the scroll bars only: the page never sets the window's minimum."""
        bar = self.verticalScrollBar().sizeHint().width()
        return QSize(4 * bar, 4 * bar)

    def is_stacked(self) -> bool:
        return bool(self._stacked)

    def follow_focus(self, _old: QWidget | None, now: QWidget | None) -> None:
        """Scrolls a control that gets the cursor into view, however it got it (Tab,
        a mnemonic, Ctrl+Tab, a tab's first field): never typing below the fold."""
        if now is not None and self.widget() is not None and self.widget().isAncestorOf(now):
            self.ensureWidgetVisible(now)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit_page()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.fit_page()  # the page's needs changed (a patient chosen, a panel shown)
        return super().eventFilter(watched, event)

    def fit_page(self) -> None:
        """Stacks or unstacks the page's panels for the area's width now."""
        if self.widget() is None:
            return
        room = self.width() - self.verticalScrollBar().sizeHint().width()
        before = self.is_stacked()
        if not self._stacked:
            panels = _side_by_side(self.page())
            self._wide_need = _least(self.widget()).width() + sum(map(_narrowness, panels))
            if self._wide_need > room:
                for splitter in panels:
                    self._stacked[splitter] = (splitter.sizes(), splitter.minimumHeight())
                    splitter.setOrientation(Qt.Orientation.Vertical)
                    splitter.setSizes([STACKED_PANEL_FLOOR] * splitter.count())
        elif room >= self._wide_need:
            for splitter, (sizes, least) in self._stacked.items():
                splitter.setOrientation(Qt.Orientation.Horizontal)
                splitter.setMinimumHeight(least)
                splitter.setSizes(sizes)
            self._stacked.clear()
        restacked = before != self.is_stacked()
        unrolled = self._unroll_inner_panels(restacked)
        grown = [
            _keep_rows(splitter, self._first_panel_room(splitter)) for splitter in self._stacked
        ]
        if restacked or any(grown) or unrolled:
            changed = [*self._stacked, *unrolled] or self.page().findChildren(QSplitter)
            _relayout_up_to(self.widget(), changed)
            self.setWidgetResizable(True)  # sizes the page for its new shape at once

    def _unroll_inner_panels(self, restacked: bool) -> list[QWidget]:
        """While the page scrolls up and down, its scrolling panels unroll (one scroll
        bar to find, the wheel never caught by an inner one); they scroll again once
        the area is as tall as the page needs with them scrolling. Returns the panels
        changed. Just (un)stacked, they scroll, to be measured again on the next pass."""
        panels = self.page().findChildren(_VerticalScroll)
        inner = [area for area in panels if area.window() is self.window()]  # not a dialog's
        room = self.height() - 2 * self.frameWidth()
        if self.horizontalScrollBar().isVisible():
            room -= self.horizontalScrollBar().height()
        if restacked or any(area.is_unrolled() for area in inner):
            unroll = not restacked and room < self._rolled_need
        else:
            self._rolled_need = _least(self.widget()).height()
            unroll = self._rolled_need > room
        changed = [area for area in inner if area.is_unrolled() != unroll]
        for area in changed:
            area.set_unrolled(unroll)
            _forget_sizes_up_to(area, self.widget())
        return changed

    def _first_panel_room(self, splitter: QSplitter) -> int:
        """The height the area leaves a stacked splitter's first panel: the area's
        height less what the page needs above and below the splitter (from minimum
        sizes, not geometry, so it cannot feed on itself)."""
        splitter_least = max(splitter.minimumHeight(), splitter.minimumSizeHint().height())
        around = _least(self.page()).height() - splitter_least
        return self.height() - self.horizontalScrollBar().sizeHint().height() - around


def _relayout_up_to(holder: QWidget, splitters: list[QSplitter]) -> None:
    """Lays out at once every widget from the changed splitters up to holder (a
    hidden page's layouts would otherwise keep their old minimum for a few passes)."""
    chain: list[QWidget] = []
    for splitter in splitters:
        widget = splitter.parentWidget()
        while widget is not None and widget not in chain:
            chain.append(widget)
            if widget is holder:
                break
            widget = widget.parentWidget()
    for widget in chain:
        if widget.layout() is not None:
            widget.layout().invalidate()
    for widget in chain:
        if widget.layout() is not None:
            widget.layout().activate()


def _wrapping_extra(layout: QLayout, width: int) -> int:
    """The height a layout's rows of buttons and sentences take at ``width`` beyond
    the one line their minimum counts (panels inside are left to their own minimum)."""
    extra = 0
    for index in range(layout.count()):
        item = layout.itemAt(index)
        if item.isEmpty() or not item.hasHeightForWidth():
            continue
        inner = item.layout() or (item.widget().layout() if item.widget() else None)
        if isinstance(inner, FlowLayout) or isinstance(item.widget(), QLabel):
            extra += max(0, item.heightForWidth(width) - item.minimumSize().height())
    return extra


def _forget_sizes_up_to(widget: QWidget, holder: QWidget) -> None:
    """Drops the sizes the layouts from widget up to holder keep for each widget (a
    splitter's parent layout would otherwise measure the page with the old panel)."""
    while widget is not None and widget is not holder:
        widget.updateGeometry()
        widget = widget.parentWidget()


def _least(widget: QWidget) -> QSize:
    """The size a layout gives a widget at the least."""
    return widget.minimumSizeHint().expandedTo(widget.minimumSize())


def _narrowness(splitter: QSplitter) -> int:
    """How much wider the splitter's panels must be to each get SIDE_PANEL_FLOOR."""
    panels = [splitter.widget(i) for i in range(splitter.count())]
    return sum(
        max(0, SIDE_PANEL_FLOOR - _least(panel).width()) for panel in panels if not panel.isHidden()
    )


def _side_by_side(page: QWidget) -> list[QSplitter]:
    """The page's horizontal splitters that are not inside another horizontal one."""
    found = []
    for splitter in page.findChildren(QSplitter):
        if splitter.orientation() != Qt.Orientation.Horizontal:
            continue
        outer = splitter.parentWidget()
        while outer is not None and outer is not page:
            if isinstance(outer, QSplitter) and outer.orientation() == Qt.Orientation.Horizontal:
                break
            outer = outer.parentWidget()
        else:
            found.append(splitter)
    return found


def _keep_rows(splitter: QSplitter, first_room: int) -> bool:
    """A stacked splitter tall enough for each panel's floor, its first panel's room;
    True when that changed its height."""
    shown = [splitter.widget(i) for i in range(splitter.count())]
    shown = [panel for panel in shown if not panel.isHidden()]
    floors = [max(STACKED_PANEL_FLOOR, _least(panel).height()) for panel in shown]
    if floors:
        floors[0] = max(floors[0], first_room)
    least = sum(floors) + splitter.handleWidth() * max(len(shown) - 1, 0)
    changed = least != splitter.minimumHeight()
    splitter.setMinimumHeight(least)
    return changed


class _FillLayout(QVBoxLayout):
    """Holds the page at the viewport's size. It hides the page's height-for-width
    from the scroll area, which would otherwise stretch the page to its preferred
    height and scroll a page that fits; its minimum counts only the lines that rows
    of buttons and sentences wrap onto at the width now (left out, they pushed the
    page's last rows out of reach once the page scrolled)."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return False

    def minimumSize(self) -> QSize:  # noqa: N802
        least = super().minimumSize()
        page = self.itemAt(0).widget() if self.count() else None
        inner = page.layout() if page is not None else None
        if inner is None or self.parentWidget() is None:
            return least
        margins = inner.contentsMargins()
        width = self.parentWidget().width() - margins.left() - margins.right()
        return QSize(least.width(), least.height() + _wrapping_extra(inner, width))


def scrolling_page(page: QWidget) -> PageScroll:
    """Wraps a tab page so a screen smaller than its minimum scrolls it instead of
    making the window bigger than the screen (issue 15: 1280x720 at 150 %)."""
    area = PageScroll()
    QApplication.instance().focusChanged.connect(area.follow_focus)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the page's fields
    holder = QWidget()
    holder.setObjectName("page_holder")
    _FillLayout(holder).setContentsMargins(0, 0, 0, 0)
    area.setWidget(holder)
    set_page(area, page)
    return area


def set_page(area: PageScroll, page: QWidget) -> QWidget | None:
    """Puts page in the area in place of the one there (returned, for deleting)."""
    layout = area.widget().layout()
    old = layout.takeAt(0)
    layout.addWidget(page)
    area.setObjectName(f"{page.objectName() or 'page'}_scroll")
    return old.widget() if old is not None else None


class ElidingLabel(QLabel):
    """One line of text (a status-bar entry) that gives way when the window is narrow:
    it ends in "…" and its tooltip gives the whole text; ``text()`` stays whole."""

    MIN_LETTERS = "Mmmm…"  # the narrowest it gets: a few letters still say what it is

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self._update_tip()

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        least = self.fontMetrics().horizontalAdvance(self.MIN_LETTERS)
        return QSize(min(hint.width(), least + margins.left() + margins.right()), hint.height())

    def shown_text(self) -> str:
        """What fits the label's width now (the whole text when it fits)."""
        room = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, room)

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment()),
                                  self.palette(), self.isEnabled(), self.shown_text(),
                                  self.foregroundRole())  # fmt: skip

    def _update_tip(self) -> None:
        self.setToolTip(self.text() if self.is_elided() else "")


def keep_panels(splitter: QSplitter, stretches: Iterable[int]) -> QSplitter:
    """No panel of the splitter can be dragged away to nothing; space is shared by stretch."""
    splitter.setChildrenCollapsible(False)
    for index, stretch in enumerate(stretches):
        splitter.setStretchFactor(index, stretch)
    return splitter


def fit_columns(view: QTableView, stretch: Iterable[str], minimum: int = 40,
                hide_first: Sequence[str] = ()) -> None:  # fmt: skip
    """Columns that give way by wrapping words, never by cutting them: one line per row
    while the columns fit (the named text columns share the spare width), else the
    fewest lines per row that keep every word whole (column_plan.py), each cell's
    whole text in a tooltip when it is cut all the same.

    Only when even each cell's first word does not fit do the ``hide_first`` columns
    hide, in that order (the header's tooltip names them); the table asks the layout
    for room for the others' longest words.

    Call after the model is set; columns are found by their header text. ``minimum``
    is the least section a column can be dragged to.
    """
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setMinimumSectionSize(minimum)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    if view.viewport().property("elided_tips") is None:
        view.viewport().installEventFilter(_ElidedCellTips(view))
        view.viewport().setProperty("elided_tips", True)
        fitter = _ColumnFitter(view, set(stretch), tuple(hide_first))
        view.viewport().installEventFilter(fitter)
        model = view.model()
        for signal in (
            model.modelReset,
            model.rowsInserted,
            model.rowsRemoved,
            model.dataChanged,
            model.layoutChanged,
            model.headerDataChanged,
        ):
            signal.connect(fitter.measure)
        fitter.measure()


class ElidingHeader(QHeaderView):
    """Column titles that do not fit their section end in "…" (the clinic style sheet's
    headers clip a long title in the middle instead: 'Critical' read 'ritica'); the
    model's header tooltip gives the whole title."""

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, index: int) -> None:  # noqa: N802
        super().initStyleOptionForIndex(option, index)
        section = QStyleOptionHeader(option)
        section.rect = QRect(0, 0, self.sectionSize(index), max(self.height(), 1))
        room = self.style().subElementRect(QStyle.SubElement.SE_HeaderLabel, section, self).width()
        option.text = self.fontMetrics().elidedText(option.text, Qt.TextElideMode.ElideRight, room)


def eliding_header(view: QAbstractItemView | QTableView) -> QTableView:
    """Gives a table the eliding header (before its model and resize modes are set)."""
    header = ElidingHeader(Qt.Orientation.Horizontal, view)
    header.setSectionsClickable(view.horizontalHeader().sectionsClickable())
    header.setHighlightSections(view.horizontalHeader().highlightSections())
    view.setHorizontalHeader(header)
    return view


class _ColumnFitter(QObject):
    """Measures a table's columns when its rows change and shares the viewport's width
    among them whenever it changes (column_plan.plan_columns); keeps the table at
    least as wide as two lines a row need (its longest words at the least), so the
    layout gives it room before its rows grow taller."""

    SLACK = 2  # px per cell beyond Qt's own padding: rounding at 125 % / 150 % scaling

    def __init__(self, view: QTableView, stretch: set[str], hide_first: tuple[str, ...]) -> None:
        super().__init__(view)
        self._view, self._stretch, self._hide_first = view, stretch, hide_first
        self._needs: list[ColumnNeed] = []
        self._titles: list[str] = []
        self._hidden: set[int] = set()  # columns this fitter hid for lack of room
        self._cells: dict[str, CellNeed] = {}  # each distinct text measured once
        self._fitting = False
        self._one_line = view.verticalHeader().defaultSectionSize()
        self._rows = (False, self._one_line)  # rows sized to their text, their height

    def measure(self, *_args: object) -> None:
        """Measures every column (each distinct text once), then fits."""
        view, model = self._view, self._view.model()
        padding = self._cell_padding()
        rows = range(min(model.rowCount(), MEASURED_ROWS))
        self._needs = []
        self._titles = [
            str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            for column in range(model.columnCount())
        ]
        for column, title in enumerate(self._titles):
            texts = [str(model.index(row, column).data() or "") for row in rows]
            self._needs.append(column_need(texts, self._title(column, title), padding,
                                           self._cell_need, stretch=title in self._stretch))  # fmt: skip
        kept = [c for c in self._columns() if self._titles[c] not in self._hide_first]
        chrome = view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth()
        view.setMinimumWidth(sum(self._needs[c].at(FLOOR_LINES) for c in kept) + chrome)
        self.fit()

    def comfortable_width(self) -> int:
        """The table's width with every column on one line."""
        view = self._view
        chrome = view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth()
        return sum(self._needs[c].at(1) for c in self._columns()) + chrome

    def _columns(self) -> list[int]:
        """The columns the table shows when there is room (not hidden by its owner)."""
        header = self._view.horizontalHeader()
        return [
            column
            for column in range(len(self._needs))
            if column in self._hidden or not header.isSectionHidden(column)
        ]

    def _cell_need(self, text: str) -> CellNeed:
        if text not in self._cells:
            self._cells[text] = text_need(text, self._view.fontMetrics().horizontalAdvance)
        return self._cells[text]

    def _title(self, column: int, title: str) -> tuple[int, int]:
        """The title's width whole and cut to its first word and "…" (titles never wrap)."""
        header = self._view.horizontalHeader()
        if header.isHidden() or not title:
            return 0, 0
        whole = header.sectionSizeFromContents(column).width()
        metrics = header.fontMetrics()
        cut = metrics.horizontalAdvance(first_word(title) + "…") - metrics.horizontalAdvance(title)
        return whole, min(whole, whole + cut)

    def _cell_padding(self) -> int:
        """What the item delegate adds around a cell's text (its margins and the grid)."""
        view = self._view
        margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view)
        grid = 1 if view.showGrid() else 0
        return 2 * (margin + 1) + grid + self.SLACK

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        """Shares the viewport's width now: hidden columns, widths, lines per row."""
        if self._fitting or not self._needs:
            return
        self._fitting = True
        try:
            view, header = self._view, self._view.horizontalHeader()
            room = view.viewport().width()
            shown = self._columns()
            hidden = []
            for title in self._hide_first:
                if sum(self._needs[c].least for c in shown) <= room:
                    break
                hidden += [c for c in shown if self._titles[c] == title]
                shown = [c for c in shown if self._titles[c] != title]
            self._hide(hidden)
            plan = plan_columns([self._needs[c] for c in shown], room)
            for column, width in zip(shown, plan.widths, strict=True):
                if header.sectionSize(column) != width:
                    header.resizeSection(column, width)
            self._wrap_rows(plan.lines)
        finally:
            self._fitting = False

    def _wrap_rows(self, lines: int) -> None:
        """One line a row while one fits (as before); else words wrap and each row grows
        to its wrapped words (in a table longer than MEASURED_ROWS every row is as tall
        as the lines the plan needs, so a resize never lays out every row's text)."""
        view, rows = self._view, self._view.verticalHeader()
        view.setWordWrap(lines > 1)
        each_row = lines > 1 and view.model().rowCount() <= MEASURED_ROWS
        height = self._one_line + (0 if each_row else lines - 1) * view.fontMetrics().lineSpacing()
        if (each_row, height) == self._rows:
            return
        self._rows = (each_row, height)
        mode = QHeaderView.ResizeMode
        rows.setSectionResizeMode(mode.ResizeToContents if each_row else mode.Interactive)
        rows.setDefaultSectionSize(height)
        if not each_row:
            rows.reset()  # every row at the height the plan needs

    def _hide(self, columns: list[int]) -> None:
        """Hides these columns (shows the others this fitter hid) and names them in the
        header's tooltip."""
        header = self._view.horizontalHeader()
        for column in self._hidden | set(columns):
            header.setSectionHidden(column, column in columns)
        self._hidden = set(columns)
        names = ", ".join(self._titles[c] for c in sorted(columns))
        header.setToolTip(f"Not shown for lack of room: {names}. A wider window shows them."
                          if names else "")  # fmt: skip


def comfortable_width(view: QTableView) -> int:
    """The width at which a fit_columns table reads one line per row (0 for another)."""
    fitter = view.findChild(_ColumnFitter)
    return fitter.comfortable_width() if fitter is not None else 0


class _ElidedCellTips(QObject):
    """Hovering a cell whose text is cut shows the whole text, unless the model has
    its own tooltip for it."""

    def __init__(self, view: QTableView) -> None:
        super().__init__(view)
        self._view = view

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ToolTip or not isinstance(event, QHelpEvent):
            return False
        index = self._view.indexAt(event.pos())
        if not index.isValid() or index.data(Qt.ItemDataRole.ToolTipRole):
            return False
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        room = self._view.visualRect(index).width() - 8
        if text and self._view.fontMetrics().horizontalAdvance(text) > room:
            QToolTip.showText(event.globalPos(), text, self._view)
            return True
        return False


def scrolls_sideways(view: QTableView) -> QTableView:
    """A table with a column per measurement (the vitals history): too many columns
    for any laptop, so it scrolls sideways by design instead of squeezing numbers."""
    view.setProperty(SIDEWAYS, True)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    return view


def keeps_rows(view: QTableView, rows: int) -> QTableView:
    """A table never squeezed below ``rows`` rows under its titles (a page that
    scrolls gives each panel only its minimum height)."""
    titles = view.horizontalHeader().sizeHint().height()
    row = view.verticalHeader().defaultSectionSize()
    view.setMinimumHeight(titles + rows * row + 2 * view.frameWidth())
    return view


def wrap_rows(view: QTableView) -> QTableView:
    """Rows grow to their wrapped text whenever the width changes (checklist wording)."""
    view.setWordWrap(True)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return view


def narrow_combo(combo: QComboBox, characters: int = 14) -> QComboBox:
    """A drop-down as wide as ``characters`` at least, not as its longest choice: long
    choices show in full in the open list and in the tooltip."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    combo.currentTextChanged.connect(combo.setToolTip)
    return combo


def name_forms(name: str) -> tuple[str, ...]:
    """A "Last, First" name from longest to shortest, each still naming the patient:
    "Hayes, Jordan", "Hayes, J.", "Hayes" (the surname is never cut before these)."""
    last, _, first = name.partition(", ")
    forms = [name]
    if first:
        forms.append(f"{last}, {first[:1]}.")
    forms.append(last)
    return tuple(dict.fromkeys(forms))


def first_that_fits(texts: Sequence[str], metrics: QFontMetrics, width: int) -> str:
    """The longest form that fits the width; the shortest, elided, when none does."""
    for text in texts:
        if metrics.horizontalAdvance(text) <= width:
            return text
    elided = metrics.elidedText(texts[-1], Qt.TextElideMode.ElideRight, max(0, width))
    return elided if metrics.horizontalAdvance(elided) <= width else ""  # Qt keeps 1 letter
