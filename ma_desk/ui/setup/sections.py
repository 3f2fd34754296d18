"""The clinic's set-up, one section per subject: the first-run wizard's pages and the
administrator's "Clinic settings" dialog show the same sections.

Each section reads what was typed into the plan's dataclasses, checks it with
``ma_desk.clinic_setup_rules`` and shows the messages under its fields.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ma_desk import clinic_setup_rules as rules
from ma_desk.clinical.checklist_templates import ROOM_TYPES
from ma_desk.display_format import typed_time_text
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.table_model import Column, RowTableModel
from ma_desk.ui.common.widgets import make_table, named


def _intro(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class Section(QWidget):
    """One subject: ``problems()`` checks what was typed and shows every message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.messages: dict[str, FieldMessage] = {}

    def message(self, key: str) -> FieldMessage:
        self.messages[key] = FieldMessage(key)
        return self.messages[key]

    def show_problems(self, problems: dict[str, str]) -> None:
        for key, label in self.messages.items():
            label.show_message(problems.get(key, ""))
        for key in problems:
            if key not in self.messages:  # a message the page has no field for
                self.messages[next(iter(self.messages))].show_message(problems[key])
                break

    def problems(self) -> dict[str, str]:
        raise NotImplementedError

    def check(self) -> bool:
        """Show what is wrong (nothing when all is well); True when the section is valid."""
        problems = self.problems()
        self.show_problems(problems)
        return not problems


# ------------------------------------------------------------------ clinic
class ClinicSection(Section):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = named(QLineEdit(), "clinic_name", "Clinic name")
        self.address = named(QLineEdit(), "clinic_address", "Clinic address")
        self.phone = named(QLineEdit(), "clinic_phone", "Clinic phone")
        self.name.setPlaceholderText("e.g. Riverbend Family Practice")
        self.address.setPlaceholderText("street, town, state, ZIP (printed on documents)")
        self.phone.setPlaceholderText("(555) 010-0100")
        self.time_zone = named(QComboBox(), "clinic_time_zone", "Time zone")
        self.time_zone.setEditable(True)
        self.time_zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.time_zone.addItems(sorted(rules.time_zones()))
        completer = QCompleter(sorted(rules.time_zones()), self.time_zone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.time_zone.setCompleter(completer)
        self.time_zone.setCurrentText(rules.system_time_zone())
        form = QFormLayout(self)
        form.addRow(_intro("The clinic's name, address and phone appear on every printed "
                           "document; the time zone sets the schedule's clock."))  # fmt: skip
        for label, key, widget in (("Clinic name", "clinic_name", self.name),
                                   ("Address", "address", self.address),
                                   ("Phone", "phone", self.phone),
                                   ("Time zone", "time_zone", self.time_zone)):  # fmt: skip
            form.addRow(label, widget)
            form.addRow("", self.message(key))

    def details(self) -> rules.ClinicDetails:
        return rules.ClinicDetails(self.name.text(), self.address.text(), self.phone.text(),
                                   self.time_zone.currentText().strip())  # fmt: skip

    def set_details(self, details: rules.ClinicDetails) -> None:
        self.name.setText(details.name)
        self.address.setText(details.address)
        self.phone.setText(details.phone)
        self.time_zone.setCurrentText(details.time_zone or rules.system_time_zone())

    def problems(self) -> dict[str, str]:
        return rules.clinic_problems(self.details())


# ------------------------------------------------------------------ lists of rows
class RowsSection(Section):
    """Inputs for one row, Add (Enter in any input), the rows so far, Remove (Delete)."""

    list_key = ""

    def __init__(
        self,
        intro: str,
        inputs: Sequence[tuple[str, QWidget]],
        columns: Sequence[Column],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.inputs = list(inputs)
        self.model: RowTableModel = RowTableModel(columns, self)
        rows = self.list_key.replace("_", " ")  # "visit types"
        self.view = make_table(f"{self.list_key}_table", rows.capitalize())
        self.view.setModel(self.model)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().hide()
        self.add_button = named(QPushButton("&Add"), f"{self.list_key}_add", f"Add the {rows[:-1]}")
        self.remove_button = named(QPushButton("&Remove"), f"{self.list_key}_remove",
                                   f"Remove the selected {rows[:-1]}")  # fmt: skip
        self.add_button.clicked.connect(self.add_typed)
        self.remove_button.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        for label, widget in self.inputs:
            row.addWidget(QLabel(label))
            row.addWidget(widget, 1)
            widget.installEventFilter(self)
            if isinstance(widget, QComboBox):  # keys reach the combo or its line edit
                widget.lineEdit().installEventFilter(self)
        row.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addWidget(_intro(intro))
        layout.addLayout(row)
        layout.addWidget(self.message(self.list_key))
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        self.view.installEventFilter(self)

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
        """Enter in an input adds the row (and is not passed on to press the dialog's
        default button); Delete in the list removes the chosen row."""
        if event.type() != event.Type.KeyPress:
            return super().eventFilter(watched, event)
        if watched is self.view and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_selected()
            return True
        if watched is not self.view and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if not self.anything_typed():
                return False  # Enter on an empty row goes on to the next page
            self.add_typed()
            return True
        return super().eventFilter(watched, event)

    # -- what subclasses say
    def typed_row(self) -> Any:
        raise NotImplementedError

    def clear_inputs(self) -> None:
        raise NotImplementedError

    def rows_problems(self, rows: tuple) -> dict[str, str]:
        raise NotImplementedError

    # -- behaviour
    def rows(self) -> tuple:
        return tuple(self.model.rows())

    def anything_typed(self) -> bool:
        return any(w.text().strip() for _, w in self.inputs if isinstance(w, QLineEdit))

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.model.set_rows(list(rows))

    def add_typed(self) -> None:
        """Add the typed row unless it makes the list wrong; the message says why."""
        candidate = (*self.rows(), self.typed_row())
        problems = self.rows_problems(candidate)
        self.show_problems(problems)
        if problems:
            return
        self.model.set_rows(list(candidate))
        self.clear_inputs()
        self.inputs[0][1].setFocus()

    def remove_selected(self) -> None:
        rows = self.model.rows()
        index = self.view.currentIndex()
        if not index.isValid() or not 0 <= index.row() < len(rows):
            self.messages[self.list_key].show_message("Choose the row to remove first.")
            return
        del rows[index.row()]
        self.model.set_rows(rows)
        self.show_problems({})

    def problems(self) -> dict[str, str]:
        return self.rows_problems(self.rows())


class ProvidersSection(RowsSection):
    list_key = "providers"

    def __init__(self, parent: QWidget | None = None) -> None:
        self.name = named(QLineEdit(), "provider_name", "Provider name")
        self.credentials = named(QLineEdit(), "provider_credentials", "Provider credentials")
        self.name.setPlaceholderText("Dr. Amara Okafor")
        self.credentials.setPlaceholderText("MD, DO, FNP-C …")
        super().__init__(
            "The clinicians patients are booked with, each with the credentials printed "
            "after the name. Type a name, Tab, the credentials, Enter; Enter on an empty "
            "row goes on.",
            [("Name", self.name), ("Credentials", self.credentials)],
            [Column("Name", lambda r: r.name), Column("Credentials", lambda r: r.credentials)],
            parent,
        )

    def typed_row(self) -> rules.ProviderPlan:
        return rules.ProviderPlan(rules.clean_text(self.name.text()),
                                  rules.clean_text(self.credentials.text()))  # fmt: skip

    def clear_inputs(self) -> None:
        self.name.clear()
        self.credentials.clear()

    def rows_problems(self, rows: tuple) -> dict[str, str]:
        return rules.providers_problems(rows)


class RoomsSection(RowsSection):
    list_key = "rooms"

    def __init__(self, parent: QWidget | None = None) -> None:
        self.name = named(QLineEdit(), "room_name", "Room name")
        self.name.setPlaceholderText("Exam 1")
        self.room_type = named(QComboBox(), "room_type", "Room type")
        self.room_type.setEditable(True)
        self.room_type.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.room_type.addItems(list(ROOM_TYPES))
        super().__init__(
            "The rooms patients are roomed in. The type chooses the room's cleaning "
            "checklists (exam or procedure, or a type of your own such as lab).",
            [("Name", self.name), ("Type", self.room_type)],
            [Column("Room", lambda r: r.name), Column("Type", lambda r: r.room_type)],
            parent,
        )

    def typed_row(self) -> rules.RoomPlan:
        return rules.RoomPlan(rules.clean_text(self.name.text()),
                              rules.room_type_key(self.room_type.currentText()))  # fmt: skip

    def clear_inputs(self) -> None:
        self.name.clear()

    def rows_problems(self, rows: tuple) -> dict[str, str]:
        return rules.rooms_problems(rows)


DEFAULT_VISIT_TYPES = (
    rules.VisitTypePlan("Follow-up", 15),
    rules.VisitTypePlan("Sick visit", 15),
    rules.VisitTypePlan("Annual physical", 30),
    rules.VisitTypePlan("New patient", 45),
)


class VisitTypesSection(RowsSection):
    list_key = "visit_types"

    def __init__(self, slot_minutes: Callable[[], int], parent: QWidget | None = None) -> None:
        self.slot_minutes = slot_minutes
        self.name = named(QLineEdit(), "visit_type_name", "Visit type name")
        self.name.setPlaceholderText("Well child")
        self.minutes = named(QLineEdit(), "visit_type_minutes", "Visit length in minutes")
        self.minutes.setPlaceholderText("minutes")
        super().__init__(
            "What patients are booked for and how long each takes (a whole number of "
            "slots). Change the suggestions or remove what the clinic does not offer.",
            [("Name", self.name), ("Minutes", self.minutes)],
            [
                Column("Visit type", lambda r: r.name),
                Column("Minutes", lambda r: r.minutes, align_right=True),
            ],  # fmt: skip
            parent,
        )
        self.set_rows(DEFAULT_VISIT_TYPES)

    def typed_row(self) -> rules.VisitTypePlan:
        text = self.minutes.text().strip()
        minutes = int(text) if text.isascii() and text.isdigit() else -1
        return rules.VisitTypePlan(rules.clean_text(self.name.text()), minutes)

    def clear_inputs(self) -> None:
        self.name.clear()
        self.minutes.clear()

    def rows_problems(self, rows: tuple) -> dict[str, str]:
        problems = rules.visit_types_problems(rows, self.slot_minutes())
        if "slot_minutes" in problems:  # the slot size is chosen on the hours page
            return {"visit_types": "Choose a valid slot size first (opening hours page)."}
        return problems


# ------------------------------------------------------------------ hours and slot size
class HoursSection(Section):
    """Seven weekdays (open or closed, opening and closing time) and the slot size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.open_boxes: list[QCheckBox] = []
        self.opens: list[QLineEdit] = []
        self.closes: list[QLineEdit] = []
        grid = QGridLayout()
        grid.addWidget(QLabel("Day"), 0, 0)
        grid.addWidget(QLabel("Opens"), 0, 2)
        grid.addWidget(QLabel("Closes"), 0, 3)
        for i, day in enumerate(rules.WEEKDAYS):
            key = day.lower()
            is_open = named(QCheckBox("Open"), f"{key}_open", f"Open on {day}")
            opens = named(QLineEdit("08:00"), f"{key}_opens", f"{day} opens at")
            closes = named(QLineEdit("17:00"), f"{key}_closes", f"{day} closes at")
            for edit in (opens, closes):
                edit.setPlaceholderText("08:00")
                edit.setMaxLength(8)
            is_open.toggled.connect(opens.setEnabled)
            is_open.toggled.connect(closes.setEnabled)
            is_open.setChecked(i < 5)
            opens.setEnabled(i < 5)
            closes.setEnabled(i < 5)
            grid.addWidget(QLabel(day), i + 1, 0)
            grid.addWidget(is_open, i + 1, 1)
            grid.addWidget(opens, i + 1, 2)
            grid.addWidget(closes, i + 1, 3)
            self.open_boxes.append(is_open)
            self.opens.append(opens)
            self.closes.append(closes)
        self.slot = named(QSpinBox(), "slot_minutes", "Slot size in minutes")
        self.slot.setRange(0, 999)  # out-of-range sizes are typed and refused in words
        self.slot.setValue(15)
        self.slot.setSuffix(" min")
        layout = QVBoxLayout(self)
        layout.addWidget(_intro("When the clinic sees patients (times like 08:00 or 17:30), "
                                "and the schedule's slot size."))  # fmt: skip
        layout.addLayout(grid)
        layout.addWidget(self.message("hours"))
        slot_row = QFormLayout()
        slot_row.addRow("Slot size", self.slot)
        slot_row.addRow("", self.message("slot_minutes"))
        layout.addLayout(slot_row)
        layout.addStretch(1)

    def slot_minutes(self) -> int:
        return self.slot.value()

    def hours(self) -> tuple[rules.DayHours, ...] | dict[str, str]:
        """The week's hours, or the message for the first time that is not a time."""
        days = []
        for day, is_open, opens, closes in zip(rules.WEEKDAYS, self.open_boxes, self.opens,
                                               self.closes, strict=True):  # fmt: skip
            if not is_open.isChecked():
                days.append(rules.DayHours(None, None))
                continue
            start, end = rules.parse_time(opens.text()), rules.parse_time(closes.text())
            if start is None or end is None:
                which = "opening" if start is None else "closing"
                return {"hours": f"{day}: type the {which} time like 08:00 or 17:30."}
            days.append(rules.DayHours(start, end))
        return tuple(days)

    def set_hours(self, hours: tuple[rules.DayHours, ...], slot_minutes: int) -> None:
        for day, is_open, opens, closes in zip(hours, self.open_boxes, self.opens, self.closes,
                                               strict=True):  # fmt: skip
            is_open.setChecked(day.is_open)
            if day.opens is not None and day.closes is not None:
                opens.setText(typed_time_text(day.opens))
                closes.setText(typed_time_text(day.closes))
        self.slot.setValue(slot_minutes)

    def problems(self) -> dict[str, str]:
        slot = rules.slot_problem(self.slot_minutes())
        hours = self.hours()
        if isinstance(hours, dict):
            problems = dict(hours)
        else:
            problems = rules.hours_problems(hours, self.slot_minutes())
        if slot:
            problems["slot_minutes"] = slot
        return problems
