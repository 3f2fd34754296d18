"""Names for assistive technology (issue 15 item 8).

A screen reader announces a control by its accessible name. Most controls get theirs
where they are made (``widgets.named``); ``name_unnamed_controls`` fills the rest when a
screen is built, from what a sighted user reads beside the control: the label whose
buddy it is or its form row's label, the caption just above a table, a line edit's
placeholder, or its tooltip. (Qt itself reads a button's text.)
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QBoxLayout,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QWidget,
)

_TAGS = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Visible text as a name: no mnemonic '&', markup, second line or trailing ':'/'*'/'…'."""
    text = _TAGS.sub("", text).replace("&&", "\0").replace("&", "").replace("\0", "&")
    text = text.split("\n")[0].strip()
    return text.rstrip(":*…").strip()


def _layouts(layout: QLayout | None):
    """A layout and every layout nested in it."""
    if layout is None:
        return
    yield layout
    for index in range(layout.count()):
        yield from _layouts(layout.itemAt(index).layout())


def _form_label(widget: QWidget, layout: QLayout) -> str:
    if not isinstance(layout, QFormLayout):
        return ""
    label = layout.labelForField(widget)
    if label is None:  # the field may sit in a row layout of its own
        for row in range(layout.rowCount()):
            field = layout.itemAt(row, QFormLayout.ItemRole.FieldRole)
            row_layout = field.layout() if field is not None else None
            if row_layout is not None and row_layout.indexOf(widget) >= 0:
                label = layout.labelForField(row_layout)
                break
    return plain(label.text()) if isinstance(label, QLabel) else ""


def _caption(widget: QWidget, layout: QLayout) -> str:
    """The label placed just above a table in a column layout."""
    if not isinstance(layout, QBoxLayout) or layout.direction() not in (
        QBoxLayout.Direction.TopToBottom,
        QBoxLayout.Direction.BottomToTop,
    ):
        return ""
    index = layout.indexOf(widget)
    if index <= 0:
        return ""
    above = layout.itemAt(index - 1).widget()
    # "Columns (type a field name to change ...)": the words before the aside name it
    return plain(above.text()).split(" (")[0] if isinstance(above, QLabel) else ""


def label_for(widget: QWidget) -> str:
    """What a sighted user reads as the control's label, or ''."""
    parent = widget.parentWidget()
    if parent is None:
        return ""
    for label in parent.findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if label.buddy() is widget and label.text():
            return plain(label.text())
    for layout in _layouts(parent.layout()):
        text = _form_label(widget, layout)
        if not text and isinstance(widget, QAbstractItemView):
            text = _caption(widget, layout)
        if text:
            return text
    return ""


def derived_name(widget: QWidget) -> str:
    name = label_for(widget)
    if not name and isinstance(widget, QLineEdit):
        name = plain(widget.placeholderText())
    return name or plain(widget.toolTip())


def describe_from_placeholder(widget: QWidget) -> None:
    """A placeholder ('MM/DD/YYYY') vanishes once typing starts; as the description a
    screen reader keeps it (Qt already reads a tooltip as the description)."""
    if (
        isinstance(widget, QLineEdit)
        and widget.placeholderText()
        and not widget.accessibleDescription()
        and not widget.toolTip()
    ):
        widget.setAccessibleDescription(widget.placeholderText())


def name_unnamed_controls(root: QWidget) -> None:
    """Give every focusable control under root that has no accessible name the name a
    sighted user reads beside it, and keep placeholders as descriptions (called once a
    screen is built)."""
    for widget in root.findChildren(QWidget):
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        describe_from_placeholder(widget)
        if widget.accessibleName():
            continue
        if isinstance(widget, QAbstractButton) and plain(widget.text()):
            continue  # Qt reads a button's text, also after the text changes
        name = derived_name(widget)
        if name:
            widget.setAccessibleName(name)
