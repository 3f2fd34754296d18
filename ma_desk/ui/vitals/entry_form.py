"""One screen for a full set of vitals, typed by keyboard alone.

The form only gathers text, units and qualifiers: every judgement (refused, abnormal,
critical, BMI, categories) comes from :func:`ma_desk.clinical.vitals.evaluate`, called on
each keystroke for live flags. Tab moves field to field in reading order, Enter saves,
Esc cancels (the tab asks before discarding typed values). A unit toggle never drifts:
the field remembers what was typed and in which unit, and converts from that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ma_desk.clinical import units
from ma_desk.clinical import vitals as rules
from ma_desk.display_format import date_text
from ma_desk.services.vitals import VitalSetRow
from ma_desk.ui.common import palette
from ma_desk.ui.common.errors import FieldMessage
from ma_desk.ui.common.fit import ReservedLine, button_row
from ma_desk.ui.common.shortcuts import add_shortcut, document_key
from ma_desk.ui.common.widgets import named
from ma_desk.ui.vitals.descriptions import field_description

MAX_BP_READINGS = 3

# Colour AND words: the flag label always carries the words; colour only reinforces.
# A 2px border takes 1px of padding back, so a flagged field keeps its size.
STYLE = f"""
QLineEdit[flag="abnormal"] {{ background: {palette.AMBER_LIGHT}; border: 2px solid {palette.ABNORMAL_BORDER}; padding: 3px 5px; }}
QLineEdit[flag="critical"] {{ background: {palette.CRITICAL_FILL_LIGHT}; border: 2px solid {palette.CRITICAL_FILL}; padding: 3px 5px; }}
QLineEdit[flag="refused"] {{ background: {palette.SURFACE}; border: 2px solid {palette.CRITICAL_FILL}; padding: 3px 5px; }}
QLabel[flag="abnormal"] {{ color: {palette.WARNING_TEXT}; background: {palette.AMBER_LIGHT}; border-radius: 3px;
                          padding: 1px 6px; font-weight: bold; }}
QLabel[flag="critical"] {{ color: {palette.ON_COLOUR}; background: {palette.CRITICAL_FILL}; border-radius: 3px;
                          padding: 1px 6px; font-weight: bold; }}
QLabel[flag="normal"] {{ color: {palette.OK_TEXT}; }}
QLabel[role="previous"] {{ color: {palette.PREVIOUS}; }}
QLabel[role="field-error"] {{ color: {palette.CRITICAL_TEXT}; }}
QLabel[role="computed"] {{ font-weight: bold; }}
"""


def _set_flag(widget: QWidget, flag: str) -> None:
    if widget.property("flag") != flag:
        widget.setProperty("flag", flag)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def _combo(object_name: str, accessible: str, items: tuple[str, ...]) -> QComboBox:
    box = QComboBox()
    named(box, object_name, accessible)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    for item in items:
        box.addItem(item[:1].upper() + item[1:], item)
    return box


@dataclass
class FieldRow:
    """The widgets of one measured field and what was typed in it."""

    key: str
    edit: QLineEdit
    flag: QLabel
    previous: QLabel
    message: FieldMessage
    unit_button: QToolButton | None = None
    unit: str = ""
    origin_text: str = ""
    origin_unit: str = ""
    qualifiers: dict[str, QWidget] = field(default_factory=dict)
    widgets: list[QWidget] = field(default_factory=list)


class VitalsEntryForm(QFrame):
    """The entry grid. Emits ``save_requested`` on Enter and ``cancel_requested`` on Esc."""

    save_requested = Signal()
    cancel_requested = Signal()
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vitals_entry")
        self.setStyleSheet(STYLE)
        self.context: rules.PatientContext | None = None
        self.weight_change_percent = 10.0
        self.limits = rules.DEFAULT_THRESHOLDS
        self.default_units = rules.default_units()
        self.assessment = rules.Assessment()
        self._touched: set[str] = set()
        self._show_all_errors = False
        self.rows: dict[str, FieldRow] = {}

        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(8)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnStretch(5, 1)
        outer.addLayout(self.grid)
        self._line = 0

        self._add_quantity(rules.HEIGHT, "H&eight")
        self._add_quantity(rules.WEIGHT, "&Weight")
        self._add_bmi_row()
        for i in range(MAX_BP_READINGS):
            self._add_bp_row(i)
        self.add_reading = named(QPushButton("Add BP readin&g"), "vitals_add_bp", "Add BP reading")
        self.add_reading.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.add_reading.clicked.connect(self.add_bp_reading)
        self.grid.addWidget(self.add_reading, self._line, 1, 1, 2)
        self._line += 1
        self._add_count(rules.PULSE, "P&ulse", "/min")
        self._add_qualifier(rules.PULSE, "rhythm", _combo("vitals_pulse_rhythm", "Pulse rhythm", rules.RHYTHMS))  # fmt: skip
        self._add_count(rules.RESPIRATORY_RATE, "&Resp. rate", "/min")
        self._add_quantity(rules.TEMPERATURE, "&Temperature")
        self._add_qualifier(rules.TEMPERATURE, "route", _combo("vitals_temperature_route", "Temperature route", rules.ROUTES))  # fmt: skip
        self._add_count(rules.SPO2, "&SpO2", "%")
        oxygen = _combo("vitals_oxygen", "Oxygen: room air or on O2", rules.OXYGEN)
        flow = named(QLineEdit(), "vitals_o2_flow", "O2 flow in litres per minute")
        flow.setPlaceholderText("L/min")
        flow.setMaximumWidth(60)
        flow.setEnabled(False)
        flow.setMaxLength(units.MAX_TEXT)
        oxygen.currentIndexChanged.connect(
            lambda _i: flow.setEnabled(oxygen.currentData() == "on O2")
        )
        flow.textChanged.connect(self._on_edit)
        self._add_qualifier(rules.SPO2, "oxygen", oxygen)
        self._add_qualifier(rules.SPO2, "flow", flow)
        self._add_count(rules.PAIN, "Pai&n (0-10)", "")
        self._add_quantity(rules.HEAD_CIRCUMFERENCE, "Head &circ.")

        self.save_button = named(QPushButton("Save  (Enter)"), "vitals_save", "Save vitals")
        self.cancel_button = named(QPushButton("Cancel  (Esc)"), "vitals_cancel", "Cancel entry")
        for button in (self.save_button, self.cancel_button):
            button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
            button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.action_row = button_row((self.save_button, self.cancel_button))
        outer.addWidget(self.action_row)
        outer.addStretch(1)
        self._fix_tab_order()
        document_key(self, "Enter", "Save the vital signs (or the correction)")
        document_key(self, "Esc", "Discard what is typed (asks first)")
        self.set_head_circumference_visible(False)
        self._refresh()

    # ------------------------------------------------------------------ building
    def _new_row(self, key: str, label_text: str, edit: QLineEdit) -> FieldRow:
        label = QLabel(label_text)
        label.setBuddy(edit)
        flag = named(QLabel(""), f"vitals_{key}_flag", f"{key} flag")
        previous = named(QLabel(""), f"vitals_{key}_previous", f"{key} previous value")
        previous.setProperty("role", "previous")
        message = FieldMessage(f"vitals_{key}")
        row = FieldRow(key, edit, flag, previous, message)
        # Flag words, errors and the last value share the line below: its space is kept free.
        under = ReservedLine(flag, message, previous, stretch=1)
        row.widgets = [label, edit, under]
        self.grid.addWidget(label, self._line, 0)
        self.grid.addWidget(edit, self._line, 1)
        self.grid.addWidget(under, self._line + 1, 1, 1, 5)
        self._line += 2
        self.rows[key] = row
        return row

    def _make_edit(self, key: str, accessible: str, width: int = 90) -> QLineEdit:
        edit = named(QLineEdit(), f"vitals_{key}", accessible)
        edit.setMaxLength(units.MAX_TEXT)
        edit.setFixedWidth(width)
        edit.textEdited.connect(lambda text, k=key: self._on_typed(k, text))
        edit.textChanged.connect(self._on_edit)
        edit.editingFinished.connect(lambda k=key: self._on_finished(k))
        return edit

    def _add_quantity(self, key: str, label_text: str) -> None:
        edit = self._make_edit(key, rules.LABELS[key])
        row = self._new_row(key, label_text, edit)
        unit = self.default_units[key]
        button = named(QToolButton(), f"vitals_{key}_unit", f"{rules.LABELS[key]} unit")
        button.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        button.setToolTip("Switch unit (Ctrl+U while typing, or type the unit: 70 kg)")
        button.clicked.connect(lambda _c=False, k=key: self.toggle_unit(k))
        add_shortcut(edit, "Ctrl+U", lambda k=key: self.toggle_unit(k),
                     "Switch the unit of the field being typed (lb/kg, in/cm, °F/°C)",
                     context=Qt.ShortcutContext.WidgetShortcut)  # fmt: skip
        row.unit_button, row.unit, row.origin_unit = button, unit, unit
        row.widgets.append(button)
        button.setText(units.label(unit))
        self.grid.addWidget(button, self._line - 2, 2)

    def _add_count(self, key: str, label_text: str, unit_text: str) -> None:
        edit = self._make_edit(key, rules.LABELS[key], 60)
        row = self._new_row(key, label_text, edit)
        unit_label = QLabel(unit_text)
        row.widgets.append(unit_label)
        self.grid.addWidget(unit_label, self._line - 2, 2)

    def _add_qualifier(self, key: str, name: str, widget: QWidget) -> None:
        row = self.rows[key]
        holder = self.grid.itemAtPosition(self._line - 2, 3)
        if holder is None:
            box = QWidget()
            layout = QHBoxLayout(box)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(4)
            self.grid.addWidget(box, self._line - 2, 3, Qt.AlignmentFlag.AlignLeft)
            row.widgets.append(box)
        else:
            box = holder.widget()
        box.layout().addWidget(widget)
        row.qualifiers[name] = widget
        if isinstance(widget, QComboBox):
            widget.currentIndexChanged.connect(self._on_edit)

    def _add_bmi_row(self) -> None:
        label = QLabel("BMI")
        self.bmi_value = named(QLabel("-"), "vitals_bmi", "BMI (computed)")
        self.bmi_value.setProperty("role", "computed")
        self.bmi_value.setToolTip("Computed from height and weight; never typed")
        self.bmi_flag = named(QLabel(""), "vitals_bmi_flag", "BMI flag")
        self.bmi_previous = named(QLabel(""), "vitals_bmi_previous", "BMI previous value")
        self.bmi_previous.setProperty("role", "previous")
        self.bmi_message = FieldMessage("vitals_bmi")
        self.grid.addWidget(label, self._line, 0)
        self.grid.addWidget(self.bmi_value, self._line, 1)
        self.grid.addWidget(QLabel("kg/m²"), self._line, 2)
        under = ReservedLine(self.bmi_flag, self.bmi_message, self.bmi_previous, stretch=1)
        self.grid.addWidget(under, self._line + 1, 1, 1, 5)
        self._line += 2

    def _add_bp_row(self, i: int) -> None:
        key = f"{rules.BP}.{i}"
        text = "&Blood pressure" if i == 0 else f"BP reading {i + 1}"
        edit = self._make_edit(key, rules.key_label(key))
        edit.setPlaceholderText("120/80")
        row = self._new_row(key, text, edit)
        self.grid.addWidget(QLabel("mmHg"), self._line - 2, 2)
        self._add_qualifier(key, "position", _combo(f"vitals_bp{i}_position", f"BP {i + 1} position", rules.POSITIONS))  # fmt: skip
        self._add_qualifier(key, "arm", _combo(f"vitals_bp{i}_arm", f"BP {i + 1} arm", rules.ARMS))
        self._add_qualifier(key, "cuff", _combo(f"vitals_bp{i}_cuff", f"BP {i + 1} cuff size", rules.CUFFS))  # fmt: skip
        if i > 0:
            for widget in [*row.widgets, self.grid.itemAtPosition(self._line - 2, 2).widget()]:
                widget.setVisible(False)

    def _fix_tab_order(self) -> None:
        """Down the value column first (one Tab from BP to Pulse), then the qualifier
        column row by row: the qualifiers keep their defaults in most sets, so they must
        not stand between two values, yet stay reachable by keyboard."""
        values = [row.edit for row in self.rows.values()]
        qualifiers = [q for row in self.rows.values() for q in row.qualifiers.values()]
        chain = values + qualifiers
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self.first_input = chain[0]

    def focus_first_empty(self) -> None:
        """Put the cursor in the first empty value field shown, so a value typed next
        cannot land in the field used last (a height once went into SpO2)."""
        shown = [r.edit for r in self.rows.values() if r.edit.isVisibleTo(self)]
        empty = [e for e in shown if e.isEnabled() and not e.text().strip()]
        target = empty[0] if empty else self.first_input
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------------ state
    def set_context(
        self,
        context: rules.PatientContext | None,
        *,
        weight_change_percent: float = 10.0,
        limits: rules.Thresholds = rules.DEFAULT_THRESHOLDS,
        default_units: dict[str, str] | None = None,
    ) -> None:
        """A new patient: clear the form, set units and age-dependent rows."""
        self.context = context
        self.weight_change_percent = weight_change_percent
        self.limits = limits
        if default_units:
            self.default_units = dict(default_units)
        self.clear()
        show_head = context is not None and context.age_years < 3
        self.set_head_circumference_visible(show_head)
        for row in self.rows.values():
            row.edit.setEnabled(context is not None)
        self._refresh()

    def set_head_circumference_visible(self, visible: bool) -> None:
        row = self.rows[rules.HEAD_CIRCUMFERENCE]
        for widget in row.widgets:
            widget.setVisible(visible)
        if not visible:
            row.edit.clear()
            row.message.show_message("")

    def clear(self) -> None:
        for row in self.rows.values():
            row.edit.blockSignals(True)
            row.edit.clear()
            row.edit.blockSignals(False)
            row.origin_text = ""
            if row.unit_button is not None:
                row.unit = row.origin_unit = self.default_units.get(row.key, row.unit)
                row.unit_button.setText(units.label(row.unit))
            for name, widget in row.qualifiers.items():
                if isinstance(widget, QComboBox):
                    default = rules.default_cuff(self.context) if name == "cuff" else None
                    widget.setCurrentIndex(max(0, widget.findData(default)) if default else 0)
                elif isinstance(widget, QLineEdit):
                    widget.clear()
            row.message.show_message("")
        for i in range(1, MAX_BP_READINGS):
            self._show_bp_row(i, False)
        self._touched.clear()
        self._show_all_errors = False
        self._refresh()

    def take_action_row(self) -> QWidget:
        """The Save / Cancel row, for a screen that pins it below the scrolling form
        (a 1280x720 laptop shows no more than half the form)."""
        self.layout().removeWidget(self.action_row)
        return self.action_row

    def has_input(self) -> bool:
        return any(row.edit.text().strip() for row in self.rows.values())

    def add_bp_reading(self) -> None:
        """Show the next BP row (repeat readings) and move the cursor into it."""
        for i in range(1, MAX_BP_READINGS):
            row = self.rows[f"{rules.BP}.{i}"]
            if not row.edit.isVisible() and not row.edit.isVisibleTo(self):
                self._show_bp_row(i, True)
                previous = self.rows[f"{rules.BP}.{i - 1}"]
                for name in ("position", "arm", "cuff"):
                    source = previous.qualifiers[name]
                    target = row.qualifiers[name]
                    assert isinstance(source, QComboBox) and isinstance(target, QComboBox)
                    target.setCurrentIndex(source.currentIndex())
                row.edit.setFocus()
                return

    def _show_bp_row(self, i: int, visible: bool) -> None:
        row = self.rows[f"{rules.BP}.{i}"]
        line = self.grid.getItemPosition(self.grid.indexOf(row.edit))[0]
        for widget in [*row.widgets, self.grid.itemAtPosition(line, 2).widget()]:
            widget.setVisible(visible)
        if not visible:
            row.edit.blockSignals(True)
            row.edit.clear()
            row.edit.blockSignals(False)
            row.message.show_message("")

    def toggle_unit(self, key: str) -> None:
        """Switch a field between its two units, converting from what was typed."""
        row = self.rows[key]
        if row.unit_button is None:
            return
        row.unit = units.other_unit(row.unit)
        row.unit_button.setText(units.label(row.unit))
        if row.origin_text.strip():
            row.edit.setText(units.shown_after_toggle(row.origin_text, row.origin_unit, row.unit))
        else:
            row.origin_unit = row.unit
        self._refresh()

    def _on_typed(self, key: str, text: str) -> None:
        row = self.rows[key]
        row.origin_text, row.origin_unit = text, row.unit
        self._touched.discard(key)

    def _on_finished(self, key: str) -> None:
        """Leaving a field: adopt a typed unit suffix ('70 kg') and show any refusal."""
        row = self.rows[key]
        if row.unit_button is not None and row.origin_text.strip():
            try:
                parsed = units.parse_quantity(row.origin_text, row.origin_unit)
            except units.UnitError:
                parsed = None
            if parsed is not None and parsed.unit != row.unit:
                row.unit = row.origin_unit = parsed.unit
                row.origin_text = parsed.text
                row.unit_button.setText(units.label(row.unit))
                row.edit.setText(parsed.text)
        if row.edit.text().strip():
            self._touched.add(key)
        self._refresh()

    def _on_edit(self, *_args: object) -> None:
        self._refresh()
        self.changed.emit()

    # ------------------------------------------------------------------ the form
    def form(self) -> rules.VitalsForm:
        """What was typed, as the rules and the service take it."""
        entries: dict[str, rules.Entry] = {}
        for key in rules.ENTRY_FIELDS:
            row = self.rows[key]
            if not row.edit.text().strip():
                continue
            if row.unit_button is not None:
                entries[key] = rules.Entry(row.origin_text or row.edit.text(), row.origin_unit)
            else:
                entries[key] = rules.Entry(row.edit.text(), "")
        bp = []
        for i in range(MAX_BP_READINGS):
            row = self.rows[f"{rules.BP}.{i}"]
            bp.append(
                rules.BPEntry(
                    row.edit.text(),
                    self._data(row, "position"),
                    self._data(row, "arm"),
                    self._data(row, "cuff"),
                )
            )
        while bp and not bp[-1].text.strip():
            bp.pop()
        spo2 = self.rows[rules.SPO2]
        flow = spo2.qualifiers["flow"]
        assert isinstance(flow, QLineEdit)
        return rules.VitalsForm(
            entries=entries,
            bp=tuple(bp),
            pulse_rhythm=self._data(self.rows[rules.PULSE], "rhythm"),
            temperature_route=self._data(self.rows[rules.TEMPERATURE], "route"),
            oxygen=self._data(spo2, "oxygen"),
            o2_flow=flow.text() if flow.isEnabled() else "",
        )

    @staticmethod
    def _data(row: FieldRow, name: str) -> str:
        widget = row.qualifiers[name]
        assert isinstance(widget, QComboBox)
        return str(widget.currentData())

    def load(self, row: VitalSetRow) -> None:
        """Fill the form from a saved set (to amend it), as it was typed."""
        self.clear()
        for obs in row.observations:
            name = obs.field
            if name in (rules.SYSTOLIC, rules.DIASTOLIC, rules.BMI) or name not in self.rows:
                continue
            field_row = self.rows[name]
            if field_row.unit_button is not None:
                unit = obs.entered_unit if obs.entered_unit in units.ALTERNATIVES else obs.unit
                text = obs.entered_value or units.format_in(obs.value, unit)
                field_row.unit = field_row.origin_unit = unit
                field_row.unit_button.setText(units.label(unit))
            else:
                text = units.format_number(obs.value, 0)
            field_row.origin_text = text
            field_row.edit.setText(text)
            if name == rules.HEAD_CIRCUMFERENCE:
                self.set_head_circumference_visible(True)
            for q_name, q_value in obs.qualifiers.items():
                self._select(field_row, {"route": "route", "rhythm": "rhythm", "oxygen": "oxygen"}.get(q_name, ""), q_value)  # fmt: skip
            if "o2_flow_l_min" in obs.qualifiers:
                flow = field_row.qualifiers["flow"]
                assert isinstance(flow, QLineEdit)
                flow.setText(units.format_number(float(obs.qualifiers["o2_flow_l_min"]), 1))
        for i, (systolic, diastolic, qualifiers, _flag) in enumerate(row.bp_readings[:MAX_BP_READINGS]):  # fmt: skip
            if i > 0:
                self._show_bp_row(i, True)
            bp_row = self.rows[f"{rules.BP}.{i}"]
            bp_row.edit.setText(f"{systolic:.0f}/{diastolic:.0f}")
            for name in ("position", "arm", "cuff"):
                self._select(bp_row, name, qualifiers.get(name))
        self._refresh()

    @staticmethod
    def _select(row: FieldRow, name: str, value: object) -> None:
        widget = row.qualifiers.get(name)
        if isinstance(widget, QComboBox):
            index = widget.findData(value)
            if index >= 0:
                widget.setCurrentIndex(index)

    # ------------------------------------------------------------------ flags
    def show_errors(self, errors: dict[str, str]) -> None:
        """Service refusals next to their fields; focus the first one."""
        self._show_all_errors = True
        self._refresh()
        for key, message in errors.items():
            if key in self.rows:
                self.rows[key].message.show_message(message)
            elif key == rules.BMI:
                self.bmi_message.show_message(message)
        first = next((self.rows[k].edit for k in self.rows if k in errors), None)
        if first is not None:
            first.setFocus()
            first.selectAll()

    def _refresh(self) -> None:
        context = self.context
        if context is None:
            self.assessment = rules.Assessment()
        else:
            self.assessment = rules.evaluate(
                self.form(),
                context,
                weight_change_percent=self.weight_change_percent,
                limits=self.limits,
            )
        for row in self.rows.values():
            self._paint(row, context)
        bmi = self.assessment.bmi
        self.bmi_value.setText("-" if bmi is None else f"{bmi:.1f}")
        bmi_finding = self.assessment.findings.get(rules.BMI)
        self._paint_flag(self.bmi_flag, bmi_finding)
        self.bmi_message.show_message(self.assessment.refusals.get(rules.BMI, ""))
        previous = context.previous.get(rules.BMI) if context else None
        self.bmi_previous.setText(
            "" if context is None else rules.display_previous(rules.BMI, previous)
        )

    def _paint(self, row: FieldRow, context: rules.PatientContext | None) -> None:
        key = row.key
        refusal = self.assessment.refusals.get(key, "")
        visible_refusal = refusal if (key in self._touched or self._show_all_errors) else ""
        row.message.show_message(visible_refusal)
        finding = self.assessment.findings.get(key)
        if refusal:
            _set_flag(row.edit, "refused" if visible_refusal else "")
            self._paint_flag(row.flag, None)
        else:
            _set_flag(row.edit, finding.level if finding and finding.flagged else "")
            self._paint_flag(row.flag, finding)
        # A screen reader on the field hears its flag or refusal, then unit and limits.
        state = visible_refusal or row.flag.text()
        described = field_description(key, row.unit, context)
        row.edit.setAccessibleDescription(f"{state} {described}" if state else described)
        if context is None:
            row.previous.setText("")
            return
        if key.startswith(rules.BP + "."):
            if key == f"{rules.BP}.0":
                s = context.previous.get(rules.SYSTOLIC)
                d = context.previous.get(rules.DIASTOLIC)
                row.previous.setText(
                    "Last: none"
                    if s is None or d is None
                    else f"Last {s.value:.0f}/{d.value:.0f} ({date_text(s.taken_at)})"
                )
            return
        row.previous.setText(rules.display_previous(key, context.previous.get(key), row.unit))

    @staticmethod
    def _paint_flag(label: QLabel, finding: rules.Finding | None) -> None:
        if finding is None or not (finding.flagged or finding.words):
            label.setText("")
            _set_flag(label, "")
            return
        text = rules.flag_text(finding)
        label.setText(text)
        label.setAccessibleDescription(text)
        _set_flag(label, finding.level)

    # ------------------------------------------------------------------ keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.save_requested.emit()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.cancel_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)
