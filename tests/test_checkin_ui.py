"""The Check-in tab driven like the desk drives it: keyboard only, then checked in the store."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QPushButton, QWidget
from sqlalchemy import select

from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent, Patient, User, Visit
from ma_desk.services.patients import PatientInput
from ma_desk.ui.checkin.tab import CheckinTab
from ma_desk.ui.common import dialogs as dialogs_module
from ma_desk.ui.selection import Selection

NOW = dt.datetime(2026, 11, 23, 10, 30)


@pytest.fixture
def desk(demo_services):
    """Services acting as a signed-in medical assistant."""
    with demo_services.ctx.db.write() as s:
        user = User(username="maria", display_name="Maria Lopez", role="medical_assistant",
                    active=True, created_at=NOW)  # fmt: skip
        s.add(user)
        s.flush()
        user_id = user.id
    demo_services.set_actor(Actor(user_id, "maria", "Maria Lopez", "medical_assistant", "desk-1"))
    return demo_services


@pytest.fixture
def tab(qtbot, desk):
    widget = CheckinTab(desk, Selection())
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    with qtbot.waitActive(widget):
        widget.show()
        widget.activateWindow()
    widget.activated()
    return widget


def focused():
    return QApplication.focusWidget()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed wherever the focus is now (no clicking, no choosing widgets)."""
    qtbot.keyClick(focused(), key, modifier)


def type_in(qtbot, text: str) -> None:
    qtbot.keyClicks(focused(), text)


def test_full_check_in_by_keyboard_alone(qtbot, tab, desk, monkeypatch):
    monkeypatch.setattr(dialogs_module.dialogs, "confirm", lambda *a: pytest.fail("no prompt"))
    target = next(h for h in desk.patients.booked_today() if h.appointment_status == "scheduled")
    assert focused() is tab.search

    type_in(qtbot, f"{target.last_name.lower()}, {target.first_name[:2]}")
    qtbot.waitUntil(lambda: target.id in [h.id for h in tab.model.rows()])
    press(qtbot, Qt.Key.Key_Down)
    assert focused() is tab.results
    while tab.model.row_at(tab.results.currentIndex().row()).id != target.id:
        press(qtbot, Qt.Key.Key_Down)
    first_hit = tab.model.row_at(tab.results.currentIndex().row())
    assert first_hit.appointment_time == target.appointment_time  # shown with its time

    press(qtbot, Qt.Key.Key_Return)  # open: the two identifiers, then verification
    assert tab.banner.name_label.text().startswith(f"{target.last_name}, {target.first_name}")
    assert f"{target.dob:%m/%d/%Y}" in tab.banner.dob_label.text()
    assert focused() is tab.verify.verify_button
    assert "verified" in tab.verify.verified_label.text().lower()

    press(qtbot, Qt.Key.Key_Return)  # the patient confirmed every line
    assert "Verified today 10:30 AM by Maria Lopez" in tab.verify.verified_label.text()
    assert focused() is tab.arrive.copay

    type_in(qtbot, "20")  # replaces the expected amount, which is pre-selected
    press(qtbot, Qt.Key.Key_Tab)
    assert isinstance(focused(), QComboBox)
    press(qtbot, Qt.Key.Key_Down)  # cash
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is tab.arrive.receipt
    type_in(qtbot, "R-4471")
    for _form in tab.arrive.form_checks:
        press(qtbot, Qt.Key.Key_Tab)
        assert isinstance(focused(), QCheckBox)
        press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is tab.arrive.complaint
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_in(qtbot, "Cough and fever since Friday")
    press(qtbot, Qt.Key.Key_Return)

    assert "Arrived at 10:30" in tab.arrive.result_label.text()
    assert not tab.arrive.arrive_button.isEnabled()  # no second check-in by a stray Enter
    assert focused() is tab.search  # ready for the next patient
    with desk.ctx.db.read() as s:
        visit = s.scalars(select(Visit).where(Visit.appointment_id == target.appointment_id)).one()
        assert visit.patient_id == target.id
        assert visit.copay_collected_cents == 2000 and visit.copay_method == "cash"
        assert visit.copay_receipt == "R-4471"
        assert visit.chief_complaint == "Cough and fever since Friday"
        assert visit.forms_signed == desk.checkin.forms()
        verify = s.scalars(select(AuditEvent).where(AuditEvent.action == "verify")).one()
        assert verify.username == "maria" and verify.patient_id == target.id
    assert desk.schedule.get(target.appointment_id).status == "arrived"
    assert tab.selection.appointment_id == target.appointment_id
    row = next(h for h in tab.model.rows() if h.id == target.id)
    assert row.appointment_status == "arrived"


def test_registration_trips_the_duplicate_check(qtbot, tab, desk):
    existing = desk.patients.get(next(iter(desk.patients.booked_today())).id)
    nickname = {"Robert": "Bob", "William": "Bill"}.get(existing.first_name, existing.first_name)
    typo = nickname if nickname != existing.first_name else existing.first_name + "a"
    type_in(qtbot, f"{existing.last_name}, {typo}")
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    reg = tab.registration
    assert tab.stack.currentWidget() is reg
    assert reg.form.value("last_name") == existing.last_name.title()
    assert focused() is reg.form.editors["dob"]  # names came from the search box
    type_in(qtbot, f"{existing.dob:%m/%d/%Y}")
    press(qtbot, Qt.Key.Key_Return)

    assert reg.showing_duplicates
    assert [c.id for c in reg.candidates.rows()] == [existing.id]
    assert "similar name" in reg.candidates.rows()[0].reason
    assert focused() is reg.candidate_view
    with desk.ctx.db.read() as s:
        count = len(s.scalars(select(Patient.id)).all())

    press(qtbot, Qt.Key.Key_Return)  # Enter on the candidate: use the existing patient
    assert tab.stack.currentIndex() == 0
    assert tab.selection.patient_id == existing.id
    assert focused() is tab.verify.verify_button
    with desk.ctx.db.read() as s:
        assert len(s.scalars(select(Patient.id)).all()) == count
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "duplicate_use_existing")
        ).one()
        assert json.loads(event.details)["duplicate_candidates"] == [existing.id]


def test_create_anyway_saves_a_new_patient_and_records_it(qtbot, tab, desk):
    existing = desk.patients.get(1)
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    reg = tab.registration
    assert focused() is reg.form.editors["last_name"]
    type_in(qtbot, existing.last_name)
    press(qtbot, Qt.Key.Key_Tab)
    type_in(qtbot, existing.first_name)
    for name in ("phone",):
        reg.form.editors[name].setFocus()
        type_in(qtbot, existing.phone)
    reg.form.editors["dob"].setFocus()
    type_in(qtbot, "01/02/2003")
    press(qtbot, Qt.Key.Key_Return)
    assert reg.showing_duplicates
    assert "same phone number" in reg.candidates.rows()[0].reason
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # Create new anyway
    assert tab.stack.currentIndex() == 0
    new_id = tab.selection.patient_id
    assert new_id is not None and new_id != existing.id
    assert tab.banner.mrn_label.text().endswith(desk.patients.get(new_id).mrn)
    with desk.ctx.db.read() as s:
        created = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "create", AuditEvent.entity_id == str(new_id)
            )  # fmt: skip
        ).one()
    assert json.loads(created.details)["duplicate_choice"] == "create_anyway"


def test_registration_errors_show_next_to_the_fields(qtbot, tab, desk):
    before = desk.patients.count()
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    reg = tab.registration
    type_in(qtbot, "Nguyen")
    reg.form.editors["dob"].setFocus()
    type_in(qtbot, "13/45/2090")
    reg.form.editors["zip"].setFocus()
    type_in(qtbot, "ABCDE")
    press(qtbot, Qt.Key.Key_Return)
    messages = reg.form.messages
    assert not messages["first_name"].isHidden() and "required" in messages["first_name"].text()
    assert not messages["dob"].isHidden() and messages["dob"].text()
    assert not messages["zip"].isHidden() and "ZIP" in messages["zip"].text()
    assert messages["last_name"].isHidden()
    assert focused() is reg.form.editors["first_name"]
    assert desk.patients.count() == before
    press(qtbot, Qt.Key.Key_Escape)
    assert tab.stack.currentIndex() == 0 and focused() is tab.search


def test_fields_are_edited_in_place_and_audited(qtbot, tab, desk):
    hit = desk.patients.booked_today()[0]
    tab.search.setText(hit.mrn)
    tab.run_search()
    tab.search.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)
    language = tab.verify.contact_form.editors["preferred_language"]
    assert isinstance(language, QLineEdit)
    language.setFocus()
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_in(qtbot, "Tagalog")
    press(qtbot, Qt.Key.Key_Return)
    assert desk.patients.get(hit.id).preferred_language == "Tagalog"

    phone = tab.verify.form.editors["phone"]
    phone.setFocus()
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_in(qtbot, "12345")
    press(qtbot, Qt.Key.Key_Return)
    message = tab.verify.form.messages["phone"]
    assert not message.isHidden() and "10-digit" in message.text()
    assert phone.text() == "12345"  # kept for correction
    assert desk.patients.get(hit.id).phone == hit.phone  # nothing saved
    with desk.ctx.db.read() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == "update")).all()
    assert json.loads(event.details)["preferred_language"] == "changed"
    assert desk.patients.get(hit.id).preferred_language == "Tagalog"


def test_arrive_refusals_show_next_to_the_fields(qtbot, tab, desk, monkeypatch):
    asked: list[str] = []
    answer = {"value": False}

    def confirm(_parent, _title, text):
        asked.append(text)
        return answer["value"]

    monkeypatch.setattr(dialogs_module.dialogs, "confirm", confirm)
    hit = next(h for h in desk.patients.booked_today() if h.appointment_status == "scheduled")
    tab.search.setText(hit.mrn)
    tab.run_search()
    tab.search.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)  # open the patient; focus on "mark verified"
    tab.arrive.copay.setFocus()
    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    type_in(qtbot, "12.345")
    tab.arrive.complaint.clear()
    tab.arrive.complaint.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    assert not tab.arrive.form.messages["copay"].isHidden()
    assert not tab.arrive.complaint_form.messages["chief_complaint"].isHidden()
    assert "Not arrived" in tab.arrive.result_label.text()
    assert focused() is tab.arrive.copay  # the first bad field
    assert desk.schedule.get(hit.appointment_id).status == "scheduled"

    press(qtbot, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, Qt.Key.Key_Backspace)  # nothing collected today
    tab.arrive.complaint.setFocus()
    type_in(qtbot, "Rash on both arms")
    press(qtbot, Qt.Key.Key_Return)
    assert len(asked) == 1 and "not been verified today" in asked[0]
    assert tab.arrive.form.messages["copay"].isHidden()
    assert "verify" in tab.arrive.result_label.text()
    assert desk.schedule.get(hit.appointment_id).status == "scheduled"

    answer["value"] = True  # the desk confirms identity another way and arrives anyway
    press(qtbot, Qt.Key.Key_Return)
    assert desk.schedule.get(hit.appointment_id).status == "arrived"


def test_name_alert_is_shown_with_the_identifiers(qtbot, tab, desk):
    target = desk.patients.booked_today()[0]
    twin = desk.patients.register(
        PatientInput(first_name=target.first_name, last_name=target.last_name, dob="01/01/1940"),
        duplicate_override=True,
    )
    tab.search.setText(twin.mrn)
    tab.run_search()
    tab.search.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)
    alert = tab.banner.alert_label
    assert not alert.isHidden() and "Name alert" in alert.text()
    assert f"{target.dob:%m/%d/%Y}" in alert.text()


def test_walk_in_without_an_appointment(qtbot, tab, desk):
    record = desk.patients.register(
        PatientInput(first_name="Walker", last_name="Inman", dob="05/06/1977")
    )
    tab.search.setText(record.mrn)
    tab.run_search()
    tab.search.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)  # verified; focus on copay
    assert tab.arrive.appointment.currentText().startswith("Walk-in")
    tab.arrive.complaint.setFocus()
    type_in(qtbot, "Twisted ankle")
    press(qtbot, Qt.Key.Key_Return)
    assert "Walk-in arrived" in tab.arrive.result_label.text()
    [appt] = desk.checkin.todays_appointments(record.id)
    assert appt.status == "arrived" and appt.start == NOW


def test_search_keeps_the_list_stable_and_the_choice(qtbot, tab, desk):
    tab.search.setFocus()
    type_in(qtbot, "s")
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0)
    press(qtbot, Qt.Key.Key_Down)
    chosen = tab.model.row_at(tab.results.currentIndex().row())
    tab.run_search()  # the same answer again: rows untouched, choice kept
    assert tab.model.row_at(tab.results.currentIndex().row()) == chosen
    assert tab.selection.patient_id == chosen.id
    press(qtbot, Qt.Key.Key_Escape)
    assert focused() is tab.search
    assert isinstance(tab.arrive.arrive_button, QPushButton)


def test_todays_list_flags_insurance_and_name_alerts(qtbot, tab, desk):
    rows = tab.model.rows()
    assert rows and all(h.appointment_time is not None for h in rows)  # empty box: today's list
    flags = desk.insurance.verification_flags([h.id for h in rows])
    assert flags, "the demo day has patients whose insurance needs a check"
    alerts_column = tab.model.columnCount() - 1
    for number, hit in enumerate(rows):
        shown = tab.model.index(number, alerts_column).data()
        assert ("insurance" in shown) == (hit.id in flags)
    flagged = next(h for h in rows if h.id in flags)
    tab.search.setText(flagged.mrn)
    tab.run_search()
    tab.search.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Return)
    assert not tab.verify.insurance_flag.isHidden()
    assert flags[flagged.id] in tab.verify.insurance_flag.text()


def test_every_input_is_named_for_tests_and_screen_readers(tab):
    from PySide6.QtWidgets import QTableView

    from tests.test_accessibility import accessible_name

    kinds = (QLineEdit, QComboBox, QPushButton, QCheckBox, QTableView)  # what staff operate
    inputs = [w for w in tab.findChildren(QWidget) if isinstance(w, kinds)]
    assert len(inputs) > 40
    unnamed = [w for w in inputs if not (w.objectName() and accessible_name(w))]
    assert not unnamed, [type(w).__name__ + ":" + w.objectName() for w in unnamed]
    names = [w.objectName() for w in inputs]
    assert len(names) == len(set(names)), "objectNames are unique"
