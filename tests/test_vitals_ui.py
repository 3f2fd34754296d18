"""The Vitals tab driven like an MA drives it: keyboard only, Enter saves, Esc cancels,
critical values acknowledged, entries corrected, trend charts updated."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from ma_desk.actor import Actor
from ma_desk.clinical import codes, flow
from ma_desk.clinical import vitals as rules
from ma_desk.services import Services
from ma_desk.services.patients import PatientInput
from ma_desk.ui.common.dialogs import dialogs
from ma_desk.ui.selection import Selection
from ma_desk.ui.vitals.acknowledge import acknowledgement
from ma_desk.ui.vitals.tab import VitalsTab


class Answers:
    """Stands in for the modal dialogs; records what was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.confirm_answer = True
        self.text_answer: str | None = "re-measured"
        self.confirms: list[str] = []
        self.acknowledge_answer = True
        self.acknowledgements: list[str] = []
        self.warnings: list[str] = []
        self.asked: list[str] = []
        monkeypatch.setattr(dialogs, "confirm", self._confirm)
        monkeypatch.setattr(dialogs, "warn", lambda _p, _t, text: self.warnings.append(text))
        monkeypatch.setattr(dialogs, "ask_text", self._ask)
        monkeypatch.setattr(acknowledgement, "ask", self._acknowledge)

    def _acknowledge(self, _parent, text) -> bool:
        self.acknowledgements.append(text)
        return self.acknowledge_answer

    def _confirm(self, _parent, _title, text) -> bool:
        self.confirms.append(text)
        return self.confirm_answer

    def _ask(self, _parent, _title, label, default="") -> str | None:
        self.asked.append(label)
        return self.text_answer


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    return Answers(monkeypatch)


def sign_in(services: Services, role: str = "medical_assistant") -> None:
    user = services.accounts.create_user(f"u_{role}", "Kim Chen", role, "correct horse battery 9")
    services.set_actor(Actor(user.id, f"u_{role}", "Kim Chen", role, "ws1"))


@pytest.fixture
def ma(demo_services: Services) -> Services:
    sign_in(demo_services)
    return demo_services


def arrived_adult(services: Services):
    today = services.ctx.clock.now().date()
    return next(
        r
        for r in services.schedule.day(today)
        if r.status == flow.ARRIVED and r.visit_id and r.patient_age >= 20
    )


def shown_vitals_tab(qtbot, services: Services, selection: Selection, size: tuple[int, int]):
    """A Vitals tab on screen at ``size``, active, with no patient chosen yet."""
    widget = VitalsTab(services, selection)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    return widget


@pytest.fixture
def tab(qtbot, ma: Services) -> VitalsTab:
    selection = Selection()
    widget = shown_vitals_tab(qtbot, ma, selection, (1400, 800))
    appt = arrived_adult(ma)
    selection.select_appointment(appt.id, appt.patient_id)
    widget.entry.first_input.setFocus()
    qtbot.waitUntil(lambda: widget.entry.first_input.hasFocus())
    return widget


def edit(tab: VitalsTab, key: str) -> QLineEdit:
    return tab.entry.rows[key].edit


def type_into(qtbot, tab: VitalsTab, key: str, text: str) -> None:
    widget = edit(tab, key)
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


class Keyboard:
    """Sends keys to whatever has focus, counting every keystroke."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot
        self.count = 0
        self.visited: list[str] = []

    def type(self, text: str) -> None:
        focused = QApplication.focusWidget()
        self.visited.append(focused.objectName())
        self.qtbot.keyClicks(focused, text)
        self.count += len(text)

    def key(self, key: Qt.Key) -> None:
        self.qtbot.keyClick(QApplication.focusWidget(), key)
        self.count += 1


def test_full_adult_set_by_keyboard_alone(qtbot, tab: VitalsTab, ma: Services) -> None:
    patient_id = tab.patient.id
    before = len(ma.vitals.history(patient_id))
    keys = Keyboard(qtbot)
    # One Tab from each value to the next: the qualifiers (position, arm, cuff, rhythm,
    # route, oxygen) keep their defaults and come after the values in the Tab order.
    for text in ["67", "154", "118/76", "72", "16", "98.6", "98"]:
        keys.type(text)
        keys.key(Qt.Key.Key_Tab)
    keys.type("2")  # pain
    keys.key(Qt.Key.Key_Return)

    assert keys.visited == [
        "vitals_height", "vitals_weight", "vitals_bp.0", "vitals_pulse",
        "vitals_respiratory_rate", "vitals_temperature", "vitals_spo2", "vitals_pain",
    ]  # fmt: skip
    assert keys.count == 30  # a full adult set, Enter included (36 before issue 15)
    history = ma.vitals.history(patient_id)
    assert len(history) == before + 1
    saved = history[0]
    assert saved.blood_pressure == "118/76" and saved.get(codes.HEART_RATE) == 72
    assert saved.get(codes.WEIGHT) == pytest.approx(69.853, abs=1e-3)
    assert saved.get(codes.TEMPERATURE) == pytest.approx(37.0)
    assert saved.observation(codes.WEIGHT).entered_value == "154"
    assert "Vitals saved" in tab.status_label.text()
    assert not tab.entry.has_input()
    assert tab.entry.first_input.hasFocus()  # ready for the next patient
    assert "Last 154 lb" in tab.entry.rows[rules.WEIGHT].previous.text()


def test_flags_show_in_colour_and_words_while_typing(qtbot, tab: VitalsTab) -> None:
    type_into(qtbot, tab, "bp.0", "142/92")
    flag = tab.entry.rows["bp.0"].flag
    assert flag.text() == "HIGH: Stage 2 hypertension"
    assert flag.property("flag") == "abnormal"
    assert edit(tab, "bp.0").property("flag") == "abnormal"
    type_into(qtbot, tab, rules.SPO2, "88")
    spo2_flag = tab.entry.rows[rules.SPO2].flag
    assert (
        spo2_flag.text() == "Critically low (below 90 %)"
        and spo2_flag.property("flag") == "critical"
    )
    type_into(qtbot, tab, rules.HEIGHT, "67")
    type_into(qtbot, tab, rules.WEIGHT, "154")
    assert tab.entry.bmi_value.text() == "24.1"
    assert tab.entry.bmi_flag.text() == "Healthy weight"


def test_critical_values_are_acknowledged_and_create_a_task(
    qtbot, tab: VitalsTab, ma: Services, answers: Answers
) -> None:
    appt = arrived_adult(ma)
    before = len(ma.vitals.history(appt.patient_id))
    type_into(qtbot, tab, "bp.0", "186/124")
    type_into(qtbot, tab, rules.SPO2, "88")

    answers.acknowledge_answer = False  # first: the MA goes back
    qtbot.keyClick(edit(tab, rules.SPO2), Qt.Key.Key_Return)
    asked = answers.acknowledgements[-1]
    assert "Hypertensive crisis" in asked and "SpO2 88 %: Critically low" in asked
    assert len(ma.vitals.history(appt.patient_id)) == before
    assert "not acknowledged" in tab.status_label.text()

    answers.acknowledge_answer = True
    qtbot.keyClick(edit(tab, rules.SPO2), Qt.Key.Key_Return)
    assert len(ma.vitals.history(appt.patient_id)) == before + 1
    tasks = ma.vitals.open_tasks(appt.visit_id)
    assert tasks and "notify provider" in tasks[-1][1]
    assert "'notify provider' added to the visit" in tab.status_label.text()
    assert tab.tasks_label.isVisible() and "notify provider" in tab.tasks_label.text()
    assert ma.vitals.history(appt.patient_id)[0].critical_acknowledged_by == "Kim Chen"


def test_refused_value_is_shown_beside_the_field_and_nothing_saved(
    qtbot, tab: VitalsTab, ma: Services, answers: Answers
) -> None:
    before = len(ma.vitals.history(tab.patient.id))
    temperature = edit(tab, rules.TEMPERATURE)
    temperature.setFocus()
    qtbot.keyClick(temperature, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)  # °F -> °C
    assert tab.entry.rows[rules.TEMPERATURE].unit_button.text() == "°C"
    qtbot.keyClicks(temperature, "98.6")
    qtbot.keyClick(temperature, Qt.Key.Key_Return)
    message = tab.entry.rows[rules.TEMPERATURE].message
    assert message.isVisible() and "looks like °F" in message.text()
    assert temperature.hasFocus()
    assert len(ma.vitals.history(tab.patient.id)) == before
    assert not answers.confirms


def test_unit_toggle_round_trips_without_drift(qtbot, tab: VitalsTab) -> None:
    weight = edit(tab, rules.WEIGHT)
    type_into(qtbot, tab, rules.WEIGHT, "154.2")
    for _ in range(6):
        qtbot.keyClick(weight, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert weight.text() == "154.2"
    qtbot.keyClick(weight, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert weight.text() == "69.9" and tab.entry.rows[rules.WEIGHT].unit_button.text() == "kg"
    assert tab.entry.form().entries[rules.WEIGHT] == rules.Entry("154.2", "[lb_av]")
    # a typed unit suffix switches the field when leaving it
    type_into(qtbot, tab, rules.HEIGHT, "170 cm")
    qtbot.keyClick(edit(tab, rules.HEIGHT), Qt.Key.Key_Tab)
    assert tab.entry.rows[rules.HEIGHT].unit_button.text() == "cm"
    assert edit(tab, rules.HEIGHT).text() == "170"


def test_escape_asks_before_discarding(qtbot, tab: VitalsTab, answers: Answers) -> None:
    qtbot.keyClick(edit(tab, rules.HEIGHT), Qt.Key.Key_Escape)
    assert answers.confirms == []  # nothing typed: nothing to ask
    type_into(qtbot, tab, rules.PULSE, "80")
    answers.confirm_answer = False
    qtbot.keyClick(edit(tab, rules.PULSE), Qt.Key.Key_Escape)
    assert len(answers.confirms) == 1 and edit(tab, rules.PULSE).text() == "80"
    answers.confirm_answer = True
    qtbot.keyClick(edit(tab, rules.PULSE), Qt.Key.Key_Escape)
    assert edit(tab, rules.PULSE).text() == "" and not tab.entry.has_input()


def test_second_bp_reading_keeps_position_and_is_saved(qtbot, tab: VitalsTab, ma: Services) -> None:
    type_into(qtbot, tab, "bp.0", "150/95")
    position = tab.entry.rows["bp.0"].qualifiers["position"]
    position.setCurrentIndex(position.findData("standing"))
    qtbot.keyClick(edit(tab, "bp.0"), Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
    second = edit(tab, "bp.1")
    qtbot.waitUntil(second.isVisible)  # the mnemonic "clicks" the button (animated)
    assert second.hasFocus()
    qtbot.keyClicks(second, "144/90")
    qtbot.keyClick(second, Qt.Key.Key_Return)
    saved = ma.vitals.history(tab.patient.id)[0]
    assert [(s, d, q["position"]) for s, d, q, _f in saved.bp_readings] == [
        (150, 95, "standing"),
        (144, 90, "standing"),
    ]


def test_correct_an_entry_amend_then_entered_in_error(
    qtbot, tab: VitalsTab, ma: Services, answers: Answers
) -> None:
    type_into(qtbot, tab, rules.PULSE, "72")
    type_into(qtbot, tab, "bp.0", "120/80")
    qtbot.keyClick(edit(tab, rules.PULSE), Qt.Key.Key_Return)
    saved_id = ma.vitals.history(tab.patient.id)[0].id

    tab.table.selectRow(0)
    assert tab.selected_set().id == saved_id and tab.amend_button.isEnabled()
    qtbot.mouseClick(tab.amend_button, Qt.MouseButton.LeftButton)
    assert edit(tab, rules.PULSE).text() == "72" and edit(tab, "bp.0").text() == "120/80"
    assert "Correcting" in tab.status_label.text()
    type_into(qtbot, tab, rules.PULSE, "84")
    answers.text_answer = "Pulse re-counted"
    qtbot.keyClick(edit(tab, rules.PULSE), Qt.Key.Key_Return)
    assert "Correction saved" in tab.status_label.text()
    current = ma.vitals.history(tab.patient.id)[0]
    assert current.get(codes.HEART_RATE) == 84 and current.replaces_id == saved_id
    assert tab.model.row_at(0).id == current.id
    tab.show_all.setChecked(True)
    statuses = {r.id: r.status for r in tab.model.rows()}
    assert statuses[saved_id] == "amended"
    original = next(r for r in tab.model.rows() if r.id == saved_id)
    assert original.reason == "Pulse re-counted" and original.changed_by == "Kim Chen"

    tab.table.selectRow([r.id for r in tab.model.rows()].index(current.id))
    answers.text_answer = "Wrong patient"
    qtbot.mouseClick(tab.error_button, Qt.MouseButton.LeftButton)
    assert ma.vitals.get_set(current.id).status == "entered-in-error"
    tab.show_all.setChecked(False)
    assert current.id not in [r.id for r in tab.model.rows()]


def test_trend_chart_updates_after_save(qtbot, tab: VitalsTab, ma: Services) -> None:
    charts = tab.charts
    systolic_before = charts.systolic_series.count()
    weight_before = charts.weight_series.count()
    type_into(qtbot, tab, "bp.0", "132/84")
    type_into(qtbot, tab, rules.HEIGHT, "67")
    type_into(qtbot, tab, rules.WEIGHT, "160")
    qtbot.keyClick(edit(tab, rules.WEIGHT), Qt.Key.Key_Return)
    assert charts.systolic_series.count() == systolic_before + 1
    assert charts.weight_series.count() == weight_before + 1
    last = charts.systolic_series.at(charts.systolic_series.count() - 1)
    assert last.y() == 132
    assert charts.bmi_band_label == "Healthy BMI 18.5-25"
    assert charts.weight_series.at(charts.weight_series.count() - 1).y() == pytest.approx(160)


def test_front_desk_cannot_save(qtbot, demo_services: Services, answers: Answers) -> None:
    sign_in(demo_services, "front_desk")
    selection = Selection()
    widget = VitalsTab(demo_services, selection)
    qtbot.addWidget(widget)
    appt = arrived_adult(demo_services)
    selection.select_appointment(appt.id, appt.patient_id)
    before = len(demo_services.vitals.history(appt.patient_id))
    widget.entry.rows[rules.PULSE].edit.setText("72")
    widget.save()
    assert answers.warnings and "does not allow" in answers.warnings[-1]
    assert len(demo_services.vitals.history(appt.patient_id)) == before


def test_head_circumference_only_for_children_under_three(
    qtbot, tab: VitalsTab, ma: Services
) -> None:
    assert not edit(tab, rules.HEAD_CIRCUMFERENCE).isVisible()
    system = ma.actor
    ma.set_actor(Actor.system())
    baby = ma.patients.register(
        PatientInput(first_name="Test", last_name="Baby", dob=dt.date(2025, 8, 1), sex="female")
    )
    ma.set_actor(system)
    tab.selection.select_appointment(None, baby.id)
    assert edit(tab, rules.HEAD_CIRCUMFERENCE).isVisible()
    assert tab.entry.rows["bp.0"].qualifiers["cuff"].currentData() == "child"
    assert "(15 mo)" in tab.banner.dob_label.text()
    type_into(qtbot, tab, rules.HEAD_CIRCUMFERENCE, "18.1")
    type_into(qtbot, tab, rules.WEIGHT, "22 lb 4 oz")
    qtbot.keyClick(edit(tab, rules.WEIGHT), Qt.Key.Key_Return)
    saved = ma.vitals.history(baby.id)[0]
    assert saved.get(codes.HEAD_CIRCUMFERENCE) == pytest.approx(18.1 * 2.54)
    assert saved.get(codes.WEIGHT) == pytest.approx(22.25 * 0.45359237)
    assert saved.visit_id is None
    assert "No visit today" in tab.visit_label.text()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(texts=st.lists(st.text(max_size=24), min_size=10, max_size=10))
def test_arbitrary_text_in_every_widget_field_never_crashes(
    qtbot, tab: VitalsTab, answers: Answers, texts: list[str]
) -> None:
    answers.acknowledge_answer = False
    keys = [*rules.ENTRY_FIELDS, "bp.0", "bp.1"]
    for key, text in zip(keys, texts, strict=False):
        tab.entry.rows[key].edit.setText(text)
    tab.entry.rows[rules.WEIGHT].edit.textEdited.emit(texts[1])
    before = len(tab.services.vitals.history(tab.patient.id))
    tab.save()
    status = tab.status_label.text()
    after = len(tab.services.vitals.history(tab.patient.id))
    if status.startswith("Vitals saved"):
        assert after == before + 1
    else:  # refused or not acknowledged: said on screen, nothing written
        assert after == before and (status or answers.warnings)
        assert "unexpected" not in (status + " ".join(answers.warnings)).lower()
    tab.entry.clear()
    assert not tab.entry.has_input()


def test_acknowledgement_defaults_to_go_back(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enter on the acknowledgement box must not acknowledge: 'Go back' is the default."""
    from PySide6.QtWidgets import QMessageBox

    seen: dict[str, object] = {}

    def fake_exec(box: QMessageBox) -> int:
        seen["default"] = box.defaultButton().text()
        seen["escape"] = box.escapeButton().text()
        box.defaultButton().click()  # what Enter does
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    assert acknowledgement.ask(None, "SpO2 87 %: Critically low (below 90 %)") is False
    assert seen == {"default": "&Go back", "escape": "&Go back"}


def test_amend_with_a_refused_value_does_not_ask_for_a_reason(
    qtbot, tab: VitalsTab, ma: Services, answers: Answers
) -> None:
    type_into(qtbot, tab, rules.PULSE, "72")
    qtbot.keyClick(edit(tab, rules.PULSE), Qt.Key.Key_Return)
    tab.table.selectRow(0)
    tab.start_amend()
    type_into(qtbot, tab, rules.PULSE, "7272")
    qtbot.keyClick(edit(tab, rules.PULSE), Qt.Key.Key_Return)
    assert answers.asked == []
    assert "two numbers run together" in tab.entry.rows[rules.PULSE].message.text()
    assert tab.amending is not None


def test_enter_on_a_qualifier_list_also_saves(qtbot, tab: VitalsTab, ma: Services) -> None:
    before = len(ma.vitals.history(tab.patient.id))
    type_into(qtbot, tab, rules.TEMPERATURE, "99.1")
    route = tab.entry.rows[rules.TEMPERATURE].qualifiers["route"]
    route.setFocus()
    qtbot.keyClicks(route, "t")  # keyboard search picks "Temporal"
    qtbot.keyClick(route, Qt.Key.Key_Return)
    saved = ma.vitals.history(tab.patient.id)
    assert len(saved) == before + 1
    assert saved[0].observation(codes.TEMPERATURE).qualifiers == {"route": "temporal"}


def test_history_model_passes_qt_model_checks(qtbot, tab: VitalsTab, qtmodeltester) -> None:
    type_into(qtbot, tab, "bp.0", "150/95")
    qtbot.keyClick(edit(tab, "bp.0"), Qt.Key.Key_Return)
    tab.show_all.setChecked(True)
    assert tab.model.rowCount() >= 1
    qtmodeltester.check(tab.model)


# ------------------------------------------------------------------ no patient chosen (issue 15)
def test_no_patient_disables_entry_with_the_reason_then_a_patient_enables_it(
    qtbot, ma: Services
) -> None:
    selection = Selection()
    widget = shown_vitals_tab(qtbot, ma, selection, (1093, 534))
    note = widget.no_patient_note
    assert not widget.entry.isEnabled() and not widget.entry.save_button.isEnabled()
    assert not edit(widget, rules.PULSE).isEnabled()
    assert note.isVisible() and "Choose a patient on the Schedule or Check-in tab" in note.text()
    assert note.accessibleName() == "Why vitals entry is disabled"
    appt = arrived_adult(ma)
    selection.select_appointment(appt.id, appt.patient_id)
    assert widget.entry.isEnabled() and widget.entry.save_button.isEnabled()
    assert not note.isVisible()
    first_empty = next(r.edit for r in widget.entry.rows.values()
                       if r.edit.isVisibleTo(widget.entry) and not r.edit.text())  # fmt: skip
    qtbot.waitUntil(first_empty.hasFocus, timeout=5000)
    selection.select_appointment(None, None)  # the patient is cleared again
    assert not widget.entry.isEnabled() and note.isVisible()


def test_a_role_without_vitals_stays_read_only_when_a_patient_is_chosen(
    qtbot, demo_services: Services
) -> None:
    sign_in(demo_services, "front_desk")
    selection = Selection()
    widget = VitalsTab(demo_services, selection)
    qtbot.addWidget(widget)
    appt = arrived_adult(demo_services)
    selection.select_appointment(appt.id, appt.patient_id)
    assert not widget.entry.isEnabled() and not widget.entry.save_button.isEnabled()
    assert not widget.no_patient_note.isVisibleTo(widget)  # the role note says why instead
