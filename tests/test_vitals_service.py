"""The vitals service: one audited transaction per save, refusals write nothing, criticals
need acknowledgement and create a 'notify provider' task, corrections never delete."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from ma_desk.actor import Actor
from ma_desk.clinical import codes, flow, units
from ma_desk.clinical import vitals as v
from ma_desk.db.models import AuditEvent, VisitTask, VitalSet
from ma_desk.errors import (
    ConflictError,
    NeedsConfirmation,
    PermissionDenied,
    ValidationError,
)
from ma_desk.services import Services

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

NORMAL_SET = v.VitalsForm(
    entries={
        v.HEIGHT: v.Entry("67", units.IN),
        v.WEIGHT: v.Entry("154", units.LB),
        v.PULSE: v.Entry("72"),
        v.RESPIRATORY_RATE: v.Entry("16"),
        v.TEMPERATURE: v.Entry("98.6", units.DEGF),
        v.SPO2: v.Entry("98"),
        v.PAIN: v.Entry("2"),
    },
    bp=(v.BPEntry("118/76"), v.BPEntry("116/74", "sitting", "left")),
)
CRITICAL_SET = v.VitalsForm(entries={v.SPO2: v.Entry("87")}, bp=(v.BPEntry("184/122"),))


def as_user(services: Services, role: str, username: str = "kchen") -> Actor:
    system = services.actor
    user = services.accounts.create_user(username, "Kim Chen", role, "correct horse battery 9")
    services.set_actor(system)
    actor = Actor(user.id, username, "Kim Chen", role, "ws1")
    services.set_actor(actor)
    return actor


def arrived_adult(services: Services):
    """A demo appointment today whose patient has arrived (a visit exists) and is adult."""
    today = services.ctx.clock.now().date()
    for row in services.schedule.day(today):
        if row.status == flow.ARRIVED and row.visit_id and row.patient_age >= 20:
            return row
    raise AssertionError("demo has no arrived adult")


def count(services: Services, model) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def ma(demo_services: Services) -> Services:
    as_user(demo_services, "medical_assistant")
    return demo_services


def test_save_a_full_set_in_canonical_units_attached_to_the_visit(ma: Services) -> None:
    appt = arrived_adult(ma)
    audits = count(ma, AuditEvent)
    result = ma.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    assert count(ma, AuditEvent) == audits + 1  # the save's own entry, nothing else
    assert result.visit_id == appt.visit_id and result.task_id is None
    row = ma.vitals.history(appt.patient_id)[0]
    assert row.id == result.set_id and row.taken_by == "Kim Chen"
    assert row.get(codes.WEIGHT) == pytest.approx(69.853, abs=1e-3)
    assert row.get(codes.HEIGHT) == pytest.approx(170.18)
    assert row.get(codes.TEMPERATURE) == pytest.approx(37.0)
    assert row.get(codes.BMI) == pytest.approx(24.1, abs=0.05)
    weight = row.observation(codes.WEIGHT)
    assert (weight.unit, weight.entered_value, weight.entered_unit) == ("kg", "154", "[lb_av]")
    assert len(row.bp_readings) == 2 and row.bp_readings[1][2]["arm"] == "left"
    assert row.blood_pressure == "118/76"
    with ma.ctx.db.read() as s:
        event = s.get(AuditEvent, audits + 1)
        assert (event.action, event.patient_id) == ("vitals_record", appt.patient_id)


def test_previous_values_come_back_exactly_as_typed(ma: Services) -> None:
    appt = arrived_adult(ma)
    ma.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    previous = ma.vitals.previous_values(appt.patient_id)
    assert v.display_previous(v.WEIGHT, previous[v.WEIGHT], units.LB).startswith("Last 154 lb")
    assert v.display_previous(v.WEIGHT, previous[v.WEIGHT], units.KG).startswith("Last 69.9 kg")
    assert "98.6 °F" in v.display_previous(v.TEMPERATURE, previous[v.TEMPERATURE], units.DEGF)


def test_refused_values_write_nothing_and_name_the_field(ma: Services) -> None:
    appt = arrived_adult(ma)
    before = (count(ma, VitalSet), count(ma, AuditEvent))
    bad = v.VitalsForm(entries={v.TEMPERATURE: v.Entry("98.6", units.CEL), v.PULSE: v.Entry("72")})
    with pytest.raises(ValidationError) as caught:
        ma.vitals.save(appt.patient_id, bad, appointment_id=appt.id)
    assert set(caught.value.errors) == {v.TEMPERATURE}
    assert "looks like °F" in caught.value.errors[v.TEMPERATURE]
    with pytest.raises(ValidationError, match="at least one"):
        ma.vitals.save(appt.patient_id, v.VitalsForm(), appointment_id=appt.id)
    assert (count(ma, VitalSet), count(ma, AuditEvent)) == before


def test_unit_mixup_against_last_visit_is_refused(ma: Services) -> None:
    appt = arrived_adult(ma)
    ma.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    slip = v.VitalsForm(entries={v.WEIGHT: v.Entry("70", units.LB)})
    with pytest.raises(ValidationError) as caught:
        ma.vitals.save(appt.patient_id, slip, appointment_id=appt.id)
    assert "Switch the unit to kg" in caught.value.errors[v.WEIGHT]


def test_critical_values_need_acknowledgement_and_create_a_task(ma: Services) -> None:
    appt = arrived_adult(ma)
    sets, tasks = count(ma, VitalSet), count(ma, VisitTask)
    with pytest.raises(NeedsConfirmation) as caught:
        ma.vitals.save(appt.patient_id, CRITICAL_SET, appointment_id=appt.id)
    assert any("SpO2" in w for w in caught.value.warnings)
    assert (count(ma, VitalSet), count(ma, VisitTask)) == (sets, tasks)
    result = ma.vitals.save(
        appt.patient_id, CRITICAL_SET, appointment_id=appt.id, acknowledge_critical=True
    )
    assert result.task_id is not None and len(result.criticals) == 2
    tasks_open = ma.vitals.open_tasks(appt.visit_id)
    assert tasks_open[-1][0] == result.task_id
    assert "notify provider" in tasks_open[-1][1] and "Hypertensive crisis" in tasks_open[-1][1]
    row = ma.vitals.get_set(result.set_id)
    assert row.critical_acknowledged_by == "Kim Chen"
    assert row.flag(codes.SPO2) == "LL" and row.flag(codes.SYSTOLIC) == "HH"


def test_amend_keeps_the_original_with_who_and_why(ma: Services) -> None:
    appt = arrived_adult(ma)
    saved = ma.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    fixed = v.VitalsForm(entries={**NORMAL_SET.entries, v.PULSE: v.Entry("84")}, bp=NORMAL_SET.bp)
    with pytest.raises(ValidationError, match="reason"):
        ma.vitals.amend(saved.set_id, fixed, reason="  ")
    amended = ma.vitals.amend(saved.set_id, fixed, reason="Pulse re-counted")
    current = ma.vitals.history(appt.patient_id)
    assert current[0].id == amended.set_id and current[0].get(codes.HEART_RATE) == 84
    assert saved.set_id not in [r.id for r in current]
    everything = {r.id: r for r in ma.vitals.history(appt.patient_id, include_voided=True)}
    original = everything[saved.set_id]
    assert original.status == "amended" and original.reason == "Pulse re-counted"
    assert original.changed_by == "Kim Chen" and original.get(codes.HEART_RATE) == 72
    assert everything[amended.set_id].replaces_id == saved.set_id
    assert everything[amended.set_id].taken_at == original.taken_at
    with pytest.raises(ConflictError):
        ma.vitals.amend(saved.set_id, fixed, reason="again")
    with ma.ctx.db.read() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action != "view")
                          .order_by(AuditEvent.id.desc())).first()  # fmt: skip
    assert event.action == "vitals_amend"
    assert json.loads(event.details)["fields"] == ["pulse"]  # which field, never its value
    assert (
        "72" not in event.details
        and "84" not in event.details
        and "re-counted" not in event.details
    )


def test_entered_in_error_hides_the_set_but_keeps_it(ma: Services) -> None:
    appt = arrived_adult(ma)
    saved = ma.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    ma.vitals.mark_entered_in_error(saved.set_id, "Wrong patient")
    assert saved.set_id not in [r.id for r in ma.vitals.history(appt.patient_id)]
    row = ma.vitals.get_set(saved.set_id)
    assert (row.status, row.reason, row.changed_by) == (
        "entered-in-error",
        "Wrong patient",
        "Kim Chen",
    )
    assert v.WEIGHT not in ma.vitals.previous_values(appt.patient_id) or (
        ma.vitals.previous_values(appt.patient_id)[v.WEIGHT].taken_at < row.taken_at
    )
    with pytest.raises(ConflictError):
        ma.vitals.mark_entered_in_error(saved.set_id, "again")


def test_front_desk_is_refused(demo_services: Services) -> None:
    appt = arrived_adult(demo_services)
    system = demo_services.actor
    before = len(demo_services.vitals.history(appt.patient_id))
    as_user(demo_services, "front_desk", "desk")
    with pytest.raises(PermissionDenied):
        demo_services.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    demo_services.set_actor(system)
    assert len(demo_services.vitals.history(appt.patient_id)) == before  # nothing saved


def test_appointment_of_another_patient_is_refused(ma: Services) -> None:
    appt = arrived_adult(ma)
    other = next(r for r in ma.schedule.day(appt.start.date()) if r.patient_id != appt.patient_id)
    before = [len(ma.vitals.history(p)) for p in (appt.patient_id, other.patient_id)]
    with pytest.raises(ConflictError):
        ma.vitals.save(other.patient_id, NORMAL_SET, appointment_id=appt.id)
    assert [len(ma.vitals.history(p)) for p in (appt.patient_id, other.patient_id)] == before


def test_weight_change_uses_the_clinic_setting(ma: Services) -> None:
    appt = arrived_adult(ma)
    ma.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    heavier = v.VitalsForm(entries={v.WEIGHT: v.Entry("166", units.LB)})  # +7.8 %
    assert v.WEIGHT not in ma.vitals.assess(appt.patient_id, heavier).findings
    system = ma.actor
    ma.set_actor(Actor.system())
    ma.settings.update(weight_change_percent=5.0)
    ma.set_actor(system)
    finding = ma.vitals.assess(appt.patient_id, heavier).findings[v.WEIGHT]
    assert finding.level == v.ABNORMAL and finding.words.startswith("Up 7.8 %")


def test_history_keeps_the_shape_reports_use(ma: Services) -> None:
    appt = arrived_adult(ma)
    rows = ma.vitals.history(appt.patient_id)
    for row in rows:
        assert isinstance(row.taken_at, dt.datetime) and row.status == "final"
        assert isinstance(row.values, dict)


def test_clinic_thresholds_from_settings_apply_on_save(ma: Services) -> None:
    appt = arrived_adult(ma)
    form = v.VitalsForm(bp=(v.BPEntry("172/96"),))
    assert not ma.vitals.assess(appt.patient_id, form).criticals
    system = ma.actor
    ma.set_actor(Actor.system())
    ma.settings.update(vitals_thresholds={"systolic_critical": 170})
    ma.set_actor(system)
    with pytest.raises(NeedsConfirmation):
        ma.vitals.save(appt.patient_id, form, appointment_id=appt.id)
