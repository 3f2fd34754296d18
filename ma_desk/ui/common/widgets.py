"""Small helpers so every input gets an objectName and an accessibleName."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QAbstractItemView, QHeaderView, QTableView, QWidget

from ma_desk.ui.common.fit import eliding_header


def named(widget: QWidget, object_name: str, accessible: str | None = None) -> QWidget:
    """Without ``accessible``, a button with text keeps no fixed name: Qt reads its text,
    also after the text changes."""
    widget.setObjectName(object_name)
    if accessible is None and isinstance(widget, QAbstractButton) and widget.text():
        return widget
    widget.setAccessibleName(accessible or object_name.replace("_", " "))
    return widget


def make_table(object_name: str, accessible: str) -> QTableView:
    view = eliding_header(QTableView())
    named(view, object_name, accessible)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setWordWrap(False)
    return view
