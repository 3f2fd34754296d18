"""Issue 15 item 7, check-in: a patient registered a minute ago is not asked to be
verified again (registering at the desk is today's verification of the demographics)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from ma_desk.db.models import AuditEvent
from ma_desk.errors import NeedsConfirmation
from ma_desk.services.checkin import ArrivalInput
from ma_desk.services.patients import PatientInput
from ma_desk.ui.common import dialogs as dialogs_module
from tests.test_checkin_ui import desk, focused, press, tab, type_in  # noqa: F401 (fixtures)

NEW_PATIENT = PatientInput(
    first_name="Ottilie", last_name="Brandvold", dob="07/02/1991", phone="(503) 555-0177"
)


def walk_in(services, patient_id: int, **kwargs):
    provider = services.schedule.providers()[0]
    sick = next(t for t in services.schedule.appointment_types() if t.name == "Sick visit")
    return services.checkin.walk_in(patient_id, provider_id=provider.id, type_id=sick.id,
                                    data=ArrivalInput(chief_complaint="Sore throat"), **kwargs)  # fmt: skip


def test_a_patient_registered_a_minute_ago_arrives_without_the_verify_prompt(
    demo_services, clock
) -> None:
    patient = demo_services.patients.register(NEW_PATIENT)
    mark = demo_services.patients.verification(patient.id)
    assert mark.today and mark.at == clock.now()
    clock.advance(minutes=1)
    result = walk_in(demo_services, patient.id)  # no NeedsConfirmation
    assert demo_services.schedule.get(result.appointment_id).status == "arrived"


def test_registration_is_recorded_as_the_verification(demo_services, clock) -> None:
    patient = demo_services.patients.register(NEW_PATIENT)
    with demo_services.ctx.db.read() as s:
        event = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "create",
                AuditEvent.entity == "patient",
                AuditEvent.entity_id == str(patient.id),
            )  # fmt: skip
        ).one()
    assert json.loads(event.details)["verified_at"]["new"] == clock.now().isoformat()


def test_registered_yesterday_is_asked_again_today(demo_services, clock) -> None:
    patient = demo_services.patients.register(NEW_PATIENT)
    clock.advance(days=1)
    with pytest.raises(NeedsConfirmation, match="not been verified today"):
        walk_in(demo_services, patient.id)
    assert walk_in(demo_services, patient.id, confirm_unverified=True).is_walk_in


# ------------------------------------------------------------------ by keyboard


def test_register_then_arrive_by_keyboard_asks_no_verification(
    qtbot,
    tab,  # noqa: F811 (the check-in tab fixture)
    desk,  # noqa: F811 (a signed-in medical assistant)
    monkeypatch,
):
    asked: list[str] = []
    monkeypatch.setattr(dialogs_module.dialogs, "confirm",
                        lambda _p, _t, text: asked.append(text) or False)  # fmt: skip
    press(qtbot, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # register a new patient
    reg = tab.registration
    assert focused() is reg.form.editors["last_name"]
    type_in(qtbot, "Brandvold")
    press(qtbot, Qt.Key.Key_Tab)
    type_in(qtbot, "Ottilie")
    reg.form.editors["dob"].setFocus()
    type_in(qtbot, "07/02/1991")
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.stack.currentIndex() == 0)
    patient_id = tab.selection.patient_id
    assert desk.patients.get(patient_id).last_name == "Brandvold"
    assert tab.verify.verified_today
    assert "Verified today" in tab.verify.verified_label.text()
    tab.arrive.complaint.setFocus()
    type_in(qtbot, "Sprained wrist")
    press(qtbot, Qt.Key.Key_Return)
    assert asked == []  # registered a minute ago: not asked to verify again
    assert "Walk-in arrived" in tab.arrive.result_label.text()
    [appt] = desk.checkin.todays_appointments(patient_id)
    assert appt.status == "arrived"
