"""Shortcut keys are shown where staff look (issue 15 item 3): F1 lists exactly the keys
installed in the window, each with what it does, by tab."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QApplication, QPushButton

from ma_desk.ui.common.shortcut_sheet import ShortcutSheet
from ma_desk.ui.common.shortcuts import HELP_PROPERTY
from ma_desk.ui.main_window import MainWindow
from tests.window_helpers import show_main_window


@pytest.fixture
def window(qtbot, demo_services, sign_in_as, tmp_path) -> MainWindow:
    sign_in_as("ma")
    win = show_main_window(qtbot, demo_services, tmp_path, build_all_tabs=True)
    return win


def test_f1_opens_the_sheet_from_anywhere(qtbot, window) -> None:
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeWindow(), ShortcutSheet))
    sheet = QApplication.activeWindow()
    rows = {(e.area, e.keys, e.description) for e in sheet.model.rows()}
    assert ("Everywhere", "Ctrl+3", "Go to Vitals") in rows
    assert ("Everywhere", "F1", "This list of keyboard shortcuts") in rows
    assert ("Check-in", "Ctrl+N", "Register a new patient") in rows
    assert ("Schedule", "Ins or Ctrl+N", "Book at the cursor") in rows
    assert any(e.area == "Schedule" and e.keys == "A" and "Arrived" in e.description
               for e in sheet.model.rows())  # fmt: skip
    assert any(e.area == "Vitals" and e.keys == "Ctrl+U" for e in sheet.model.rows())
    assert any(e.area == "Vitals" and e.keys == "Enter" for e in sheet.model.rows())
    assert any(e.area == "Room prep" and e.keys == "Space" for e in sheet.model.rows())
    qtbot.keyClick(sheet.table, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not sheet.isVisible())


def test_help_menu_offers_the_sheet(window) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Help" in titles
    assert window.shortcuts_action.text() == "&Keyboard shortcuts…"
    assert window.shortcuts_action.shortcut().toString() == "F1"


def test_every_installed_key_says_what_it_does(window) -> None:
    """One source of truth: nothing in the window has a key the sheet cannot explain."""
    silent = []
    for shortcut in window.findChildren(QShortcut):
        if not shortcut.property(HELP_PROPERTY):
            silent.append(shortcut.key().toString())
    for action in window.findChildren(QAction):
        if action.shortcuts() and not (action.property(HELP_PROPERTY) or action.text().strip()):
            silent.append(action.objectName())
    assert not silent, f"shortcuts without a description: {silent}"


def test_sheet_lists_every_installed_key_once(window) -> None:
    entries = window.shortcut_entries()
    assert len(entries) == len(set(entries))
    shortcut_keys = {s.key().toString() for s in window.findChildren(QShortcut)}
    listed = {part for e in entries for part in e.keys.split(" or ")}
    assert shortcut_keys <= listed
    assert entries[0].area == "Everywhere"  # then the tabs in order


def test_buttons_show_their_keys(window) -> None:
    texts = {b.objectName(): b.text() for b in window.findChildren(QPushButton)}
    assert texts["schedule_flow_arrived"] == "Arrive (A)"
    assert texts["schedule_cancel"] == "Cancel visit (Del)"
    assert "(Ctrl+N)" in texts["checkin_new_patient"]
    assert "(Enter)" in texts["vitals_save"] and "(Esc)" in texts["vitals_cancel"]


def _mnemonic(text: str) -> str | None:
    """The letter after a single '&' ('Move &up' -> 'u'); '&&' is a literal ampersand."""
    plain = text.replace("&&", "")
    at = plain.find("&")
    return plain[at + 1].lower() if 0 <= at < len(plain) - 1 else None


def _mnemonics_shown(window: MainWindow) -> dict[str, list[str]]:
    """Every Alt+letter a user can press on the tab shown now: the menu bar's, the
    visible buttons', labels' (with a buddy) and inner tab titles'."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QTabWidget

    found: dict[str, list[str]] = {}

    def add(text: str) -> None:
        letter = _mnemonic(text)
        if letter:
            found.setdefault(letter, []).append(text)

    for action in window.menuBar().actions():
        add(action.text())
    page = window.tabs.currentWidget()
    for button in page.findChildren(QAbstractButton):
        if button.isVisible():
            add(button.text())
    for label in page.findChildren(QLabel):
        if label.isVisible() and label.buddy() is not None:
            add(label.text())
    for inner in page.findChildren(QTabWidget):
        if inner.isVisible():
            for index in range(inner.count()):
                add(inner.tabText(index))
    return found


def test_no_two_alt_letters_clash_on_any_tab(qtbot, window) -> None:
    """Alt+letter must do one thing: two on screen make Qt alternate between them."""
    clashes = {}
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qtbot.waitUntil(lambda i=index: window.tabs.currentIndex() == i)
        QApplication.processEvents()
        for inner, page in [(None, 0)] + _inner_pages(window.tabs.currentWidget()):
            if inner is not None:
                inner.setCurrentIndex(page)
                QApplication.processEvents()
            shown = _mnemonics_shown(window)
            double = {letter: texts for letter, texts in shown.items() if len(texts) > 1}
            if double:
                where = window.tabs.tabText(index) + (f" / {inner.tabText(page)}" if inner else "")
                clashes[where] = double
    assert not clashes, "\n".join(f"{where}: {found}" for where, found in clashes.items())


def _inner_pages(tab) -> list:
    from PySide6.QtWidgets import QTabWidget

    return [(w, i) for w in tab.findChildren(QTabWidget) if w.isVisible() for i in range(w.count())]
