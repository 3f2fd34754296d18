"""Every control a screen reader reaches has a name it can read (issue 15 item 8).

Checked through QAccessible, as assistive technology sees the app: for every tab of the
main window and every dialog in ``test_focus_dialogs._factories()``, each focusable
control has a non-empty name that a person wrote (not its object name) and no two controls that can be on screen together
share a name.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical import units
from ma_desk.clinical import vitals as rules
from ma_desk.ui.common.accessibility import name_unnamed_controls, plain
from ma_desk.ui.main_window import MainWindow
from ma_desk.ui.vitals.descriptions import field_description
from tests.test_focus_dialogs import _factories
from tests.test_vitals_ui import ma, type_into  # noqa: F401 - ma: a fixture used below
from tests.test_vitals_ui import tab as vitals_tab  # noqa: F401 - a fixture used below

QT_INNER_PARENTS = {"QComboBox", "QComboBoxPrivateContainer", "QAbstractSpinBox", "QSpinBox",
                    "QDoubleSpinBox", "QDateEdit", "QTimeEdit", "QDateTimeEdit",
                    "QCalendarWidget", "QTabBar", "QAbstractScrollArea"}  # fmt: skip


def accessible_name(widget: QWidget) -> str:
    """The name assistive technology reads. A drop-down's own name is what Windows and
    macOS read; on Linux Qt reports its value as the name and names it through its label
    relation, so the drop-down is asked directly."""
    if isinstance(widget, QComboBox):
        return widget.accessibleName().strip()
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def _is_qt_inner(widget: QWidget) -> bool:
    """Parts Qt builds inside a control (a drop-down's list, a view's viewport)."""
    parent = widget.parentWidget()
    if widget.objectName().startswith("qt_"):
        return True
    if type(parent).__name__ in QT_INNER_PARENTS:
        return True
    if isinstance(parent, QAbstractScrollArea) and parent.viewport() is widget:
        return True
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False


def focusable_controls(root: QWidget) -> list[QWidget]:
    return [
        w for w in root.findChildren(QWidget)
        if w.focusPolicy() != Qt.FocusPolicy.NoFocus and not _is_qt_inner(w)
    ]  # fmt: skip


def _pages(widget: QWidget, root: QWidget) -> dict[int, int]:
    """id(stack) -> page index, for every stacked page (tab page) widget lies on."""
    found: dict[int, int] = {}
    child, parent = widget, widget.parentWidget()
    while parent is not None and child is not root:
        if isinstance(parent, QStackedWidget):
            found[id(parent)] = parent.indexOf(child)
        child, parent = parent, parent.parentWidget()
    return found


def _seen_together(first: QWidget, second: QWidget, root: QWidget) -> bool:
    a, b = _pages(first, root), _pages(second, root)
    return all(a[stack] == b[stack] for stack in a.keys() & b.keys())


def _label(widget: QWidget) -> str:
    return f"{type(widget).__name__} {widget.objectName() or '(no object name)'}"


def naming_problems(root: QWidget) -> list[str]:
    problems = []
    controls = focusable_controls(root)
    names = {id(w): accessible_name(w) for w in controls}
    for widget in controls:
        name = names[id(widget)]
        if not name:
            problems.append(f"{_label(widget)} has no accessible name")
        elif widget.objectName() and name == widget.objectName().replace("_", " "):
            problems.append(f"{_label(widget)} is named after its object name: {name!r}")
    for index, widget in enumerate(controls):
        for other in controls[index + 1 :]:
            name = names[id(widget)]
            if name and name == names[id(other)] and _seen_together(widget, other, root):
                problems.append(f"{_label(widget)} and {_label(other)} are both {name!r}")
    return problems


@pytest.fixture
def main_window(qtbot, demo_services, sign_in_as, tmp_path) -> MainWindow:
    sign_in_as("admin")  # the role that sees every control
    window = MainWindow(demo_services, store_label="demo", settings_file=tmp_path / "w.ini")
    qtbot.addWidget(window)
    window.build_all_tabs()
    return window


def test_every_control_in_every_tab_has_a_unique_readable_name(main_window) -> None:
    problems = []
    for index, page in enumerate(main_window.tab_widgets):
        title = main_window.tabs.tabText(index)
        problems += [f"{title}: {p}" for p in naming_problems(page)]
    problems += [f"main window: {p}" for p in naming_problems(main_window.tabs)
                 if "are both" in p]  # fmt: skip
    assert not problems, "\n".join(problems)


def accessible_description(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Description).strip() if interface is not None else ""


def test_every_field_with_a_hint_keeps_it_as_its_description(main_window) -> None:
    """A placeholder such as 'MM/DD/YYYY' is gone once typing starts; the description stays."""
    hinted = [e for e in main_window.findChildren(QLineEdit)
              if e.placeholderText() and not _is_qt_inner(e)]  # fmt: skip
    assert len(hinted) > 5
    bare = [e.objectName() for e in hinted if not accessible_description(e)]
    assert not bare, bare


@pytest.mark.parametrize("name", sorted(_factories()))
def test_every_control_in_every_dialog_has_a_unique_readable_name(
    qtbot, demo_services, sign_in_as, name
) -> None:
    sign_in_as("admin")
    dialog = _factories()[name][0](demo_services)
    qtbot.addWidget(dialog)
    problems = naming_problems(dialog)
    assert not problems, f"{name}:\n" + "\n".join(problems)


# ------------------------------------------------------------ the naming helper
def test_unnamed_controls_take_the_name_a_sighted_user_reads(qtbot) -> None:
    root = QWidget()
    qtbot.addWidget(root)
    form = QFormLayout()
    in_form, in_row, by_buddy = QComboBox(), QLineEdit(), QSpinBox()
    row = QHBoxLayout()
    row.addWidget(in_row)
    form.addRow("&Provider:", in_form)
    form.addRow("Member ID *", row)
    buddy = QLabel("&Minutes")
    buddy.setBuddy(by_buddy)
    table, placeholder, tipped = QTableView(), QLineEdit(), QLineEdit()
    placeholder.setPlaceholderText("Find patient…")
    tipped.setToolTip("Receipt number")
    named_already = QLineEdit()
    named_already.setAccessibleName("Copay collected")
    button = QPushButton("&Save")
    layout = QVBoxLayout(root)
    layout.addLayout(form)
    for widget in (buddy, by_buddy, QLabel("Columns (type a field name):"), table, placeholder,
                   tipped, named_already, button):  # fmt: skip
        layout.addWidget(widget)

    name_unnamed_controls(root)

    assert [w.accessibleName() for w in (in_form, in_row, by_buddy, table, placeholder, tipped,
                                         named_already)] == [
        "Provider", "Member ID", "Minutes", "Columns", "Find patient", "Receipt number",
        "Copay collected",
    ]  # fmt: skip
    assert placeholder.accessibleDescription() == "Find patient…"  # kept while typing
    assert tipped.accessibleDescription() == ""  # Qt reads the tooltip itself
    assert button.accessibleName() == ""  # Qt reads the button's text, also when it changes
    button.setText("&Save again")
    assert accessible_name(button) == "Save again"


@pytest.mark.parametrize(
    ("text", "name"),
    [("&Save", "Save"), ("Salt && pepper:", "Salt & pepper"), ("<b>Date</b> *", "Date"),
     ("Browse…", "Browse"), ("", "")],
)  # fmt: skip
def test_plain_turns_visible_text_into_a_name(text, name) -> None:
    assert plain(text) == name


# ------------------------------------------------------------ vitals descriptions
@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(rules.ENTRY_FIELDS + (rules.HEAD_CIRCUMFERENCE, "bp.0", "bp.2")),
    days_old=st.integers(min_value=0, max_value=100 * 365),
    imperial=st.booleans(),
)
def test_every_vitals_field_description_gives_unit_and_accepted_range(key, days_old, imperial):
    day = dt.date(2026, 11, 30)
    ctx = rules.PatientContext.on(day - dt.timedelta(days=days_old), day, "female")
    unit = rules.default_units().get(key, "")
    if imperial and unit:
        unit = units.other_unit(unit)
    text = field_description(key, unit, ctx)
    assert "Accepted" in text and text.endswith(".")
    if unit:
        assert f"In {units.label(unit)}; Ctrl+U switches to" in text
    assert field_description(key, unit, None) in text  # without a patient: unit only


def test_vitals_fields_describe_flag_unit_and_limits_to_a_screen_reader(qtbot, vitals_tab):  # noqa: F811
    tab = vitals_tab
    weight = tab.entry.rows[rules.WEIGHT]
    assert weight.edit.accessibleDescription().startswith(f"In {units.label(weight.unit)};")
    assert "Accepted (adult)" in weight.edit.accessibleDescription()
    tab.entry.toggle_unit(rules.WEIGHT)
    assert weight.edit.accessibleDescription().startswith(f"In {units.label(weight.unit)};")
    type_into(qtbot, tab, rules.SPO2, "88")
    spo2 = tab.entry.rows[rules.SPO2].edit
    assert spo2.accessibleDescription().startswith("Critically low (below 90 %) In percent.")
    type_into(qtbot, tab, rules.SPO2, "98")
    assert spo2.accessibleDescription().startswith("In percent.")
