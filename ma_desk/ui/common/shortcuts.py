"""One registry of keyboard shortcuts: the code that installs a shortcut also says what it
does, and the F1 cheat sheet lists exactly what is installed in the window.

``add_shortcut`` installs a QShortcut with its description; ``describe`` gives a QAction
(or a QShortcut made elsewhere) its words; ``document_key`` names a key a widget handles
itself (Enter/Esc in the vitals form). ``installed`` walks the window and returns all of
them, grouped by the tab they work in, so the sheet can never list a key that does not
work or miss one that does (tests/test_focus_shortcuts.py checks both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QWidget

HELP_PROPERTY = "shortcut_help"
EXPLAINS_PROPERTY = "explains_refusal"  # a held action's key that only says why (role_gate)
EVERYWHERE = "Everywhere"
Described = TypeVar("Described", QAction, QShortcut)


@dataclass(frozen=True)
class ShortcutEntry:
    area: str  # the tab the keys work in, or "Everywhere"
    keys: str  # as printed on the keyboard, e.g. "Ctrl+3"
    description: str


def add_shortcut(
    parent: QWidget,
    keys: str | QKeySequence | Qt.Key,
    slot: Callable[[], object],
    description: str,
    *,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetWithChildrenShortcut,
) -> QShortcut:
    """Install a shortcut on ``parent`` and record what it does."""
    shortcut = QShortcut(QKeySequence(keys), parent)
    shortcut.setContext(context)
    shortcut.activated.connect(slot)
    return describe(shortcut, description)


def describe(obj: Described, description: str) -> Described:
    """Give an action or shortcut the words the cheat sheet and its tooltip show."""
    obj.setProperty(HELP_PROPERTY, description)
    return obj


class _KeyNote(QObject):
    """A key a widget handles in its own key events, listed like a shortcut."""


def document_key(widget: QWidget, keys: str, description: str) -> None:
    note = _KeyNote(widget)
    note.setObjectName(f"key_note_{keys}")
    note.setProperty("keys", keys)
    note.setProperty(HELP_PROPERTY, description)


def _key_text(sequences: list[QKeySequence]) -> str:
    texts = [
        s.toString(QKeySequence.SequenceFormat.NativeText) for s in sequences if not s.isEmpty()
    ]
    return " or ".join(dict.fromkeys(texts))


def _area(obj: QObject, tab_titles: dict[QWidget, str]) -> str:
    node: QObject | None = obj
    if isinstance(obj, QAction):
        widgets = [w for w in obj.associatedObjects() if isinstance(w, QWidget)]
        node = widgets[0] if widgets else obj.parent()
        if node is not None and obj.parent() in tab_titles:
            node = obj.parent()
    while node is not None:
        if node in tab_titles:
            return tab_titles[node]
        node = node.parent()
    return EVERYWHERE


def _description(obj: QObject) -> str:
    text = obj.property(HELP_PROPERTY)
    if text:
        return str(text)
    if isinstance(obj, QAction):  # a menu entry: "Print: Visit summary"
        text = obj.text().replace("&", "").rstrip("…").strip()
        menus = [m for m in obj.associatedObjects() if isinstance(m, QMenu)]
        return f"{menus[0].title().replace('&', '')}: {text}" if menus else text
    return ""


def installed(window: QWidget, tab_titles: dict[QWidget, str]) -> list[ShortcutEntry]:
    """Every shortcut, action key and documented key in ``window``, in the order found."""
    entries: list[ShortcutEntry] = []
    for obj in window.findChildren(QObject):
        if obj.property(EXPLAINS_PROPERTY):
            continue  # the action it stands in for is listed already
        if isinstance(obj, QShortcut):
            keys = _key_text([obj.key()])
        elif isinstance(obj, QAction):
            keys = _key_text(obj.shortcuts())
        elif isinstance(obj, _KeyNote):
            keys = str(obj.property("keys"))
        else:
            continue
        if keys:
            entries.append(ShortcutEntry(_area(obj, tab_titles), keys, _description(obj)))
    return list(dict.fromkeys(entries))
