"""Arrive and walk-in: one transaction each, validated, audited, nothing half-saved."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from ma_desk.actor import Actor
from ma_desk.db.models import (
    Appointment,
    AppointmentStatusChange,
    AuditEvent,
    InsuranceCoverage,
    Visit,
)
from ma_desk.errors import ConflictError, NeedsConfirmation, PermissionDenied, ValidationError
from ma_desk.services.checkin import ArrivalInput, format_cents, parse_copay, validate_arrival

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

NOW = dt.datetime(2026, 11, 23, 10, 30)
FORMS = ["HIPAA notice of privacy practices", "Financial policy"]


@pytest.fixture
def open_appt(demo_services):
    """A patient still to arrive today, verified at the desk."""
    hit = next(
        h for h in demo_services.patients.booked_today() if h.appointment_status == "scheduled"
    )
    demo_services.patients.mark_verified(hit.id)
    return hit


def _visit_count(services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count(Visit.id)))


def _audit(services, action: str) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


GOOD = ArrivalInput(copay="$25.00", method="Card", receipt=" R-1001 ",
                    chief_complaint="  cough   for 3 days ", forms_signed=tuple(FORMS))  # fmt: skip


# ------------------------------------------------------------------ money and validation
@pytest.mark.parametrize(
    "typed, cents",
    [("", 0), ("0", 0), ("25", 2500), ("25.5", 2550), ("$25.00", 2500), ("1,250.00", 125000),
     (".75", 75), ("25.", 2500), (3000, 3000)],
)  # fmt: skip
def test_parse_copay(typed, cents):
    assert parse_copay(typed) == cents


@pytest.mark.parametrize("typed", ["-5", "abc", "25.999", "$", "1e3", "99999999", 2_000_000])
def test_parse_copay_refuses_with_a_message(typed):
    with pytest.raises(ValidationError) as caught:
        parse_copay(typed)
    assert caught.value.field == "copay" and str(caught.value)


def test_format_cents():
    assert format_cents(125050) == "$1,250.50"
    assert format_cents(5) == "$0.05"


def test_validate_arrival_names_every_bad_field():
    with pytest.raises(ValidationError) as caught:
        validate_arrival(
            ArrivalInput(
                copay="20",
                method="",
                receipt="",
                chief_complaint=" ",
                forms_signed=("Made-up form",),
            ),  # fmt: skip
            FORMS,
        )
    assert set(caught.value.errors) == {"method", "receipt", "chief_complaint", "forms"}
    assert all(caught.value.errors.values())


def test_nothing_collected_needs_no_method_or_receipt():
    clean = validate_arrival(ArrivalInput(copay="", method="card", chief_complaint="rash"), FORMS)
    assert clean["copay_collected_cents"] == 0 and clean["copay_method"] == ""


# ------------------------------------------------------------------ arriving
def test_arrive_creates_the_visit_with_copay_complaint_and_forms(demo_services, open_appt):
    s = demo_services
    [today] = [a for a in s.checkin.todays_appointments(open_appt.id) if a.can_arrive][:1]
    result = s.checkin.arrive(today.id, GOOD)
    assert result.copay_collected_cents == 2500
    assert result.copay_expected_cents == today.expected_copay_cents
    with s.ctx.db.read() as session:
        appt = session.get(Appointment, today.id)
        visit = session.get(Visit, result.visit_id)
        assert appt.status == "arrived"
        assert visit.appointment_id == today.id and visit.patient_id == open_appt.id
        assert visit.arrived_at == NOW
        assert visit.copay_method == "card" and visit.copay_receipt == "R-1001"
        assert visit.chief_complaint == "cough for 3 days"
        assert visit.forms_signed == FORMS
        change = session.scalars(
            select(AppointmentStatusChange).where(
                AppointmentStatusChange.appointment_id == today.id
            )
        ).one()
        assert (change.from_status, change.to_status) == (open_appt.appointment_status, "arrived")
    [checkin] = _audit(s, "checkin")
    details = json.loads(checkin.details)
    assert details["copay_collected_cents"] == {"old": 0, "new": 2500}
    assert details["chief_complaint"] == "changed"  # no clinical content in the audit trail
    assert "cough" not in checkin.details
    assert checkin.patient_id == open_appt.id
    assert any(e.entity_id == str(today.id) for e in _audit(s, "status_change"))


def test_expected_copay_comes_from_the_primary_coverage(demo_services, open_appt):
    s = demo_services
    with s.ctx.db.write() as session:
        for c in session.scalars(
            select(InsuranceCoverage).where(InsuranceCoverage.patient_id == open_appt.id)
        ):
            c.active = False
        session.add(
            InsuranceCoverage(
                patient_id=open_appt.id,
                priority=1,
                payer="Demo Payer",
                member_id="X1",
                default_copay_cents=4000,
                copays_cents={"Annual physical": 0},
                created_at=NOW,
                updated_at=NOW,
            )  # fmt: skip
        )
    assert s.checkin.expected_copay(open_appt.id, "Sick visit") == 4000
    assert s.checkin.expected_copay(open_appt.id, "Annual physical") == 0
    result = s.checkin.arrive(open_appt.appointment_id, GOOD)
    expected = 0 if "physical" in s.schedule.get(result.appointment_id).type_name.lower() else 4000
    assert result.copay_expected_cents == expected


def test_bad_input_saves_nothing(demo_services, open_appt):
    s = demo_services
    before = _visit_count(s)
    with pytest.raises(ValidationError) as caught:
        s.checkin.arrive(open_appt.appointment_id, ArrivalInput(copay="lots", chief_complaint=""))
    assert set(caught.value.errors) == {"copay", "chief_complaint"}
    assert _visit_count(s) == before
    assert s.schedule.get(open_appt.appointment_id).status == open_appt.appointment_status
    assert _audit(s, "checkin") == []


def test_arriving_twice_is_refused_and_rolled_back(demo_services, open_appt):
    s = demo_services
    s.checkin.arrive(open_appt.appointment_id, GOOD)
    count = _visit_count(s)
    with pytest.raises(ConflictError):
        s.checkin.arrive(open_appt.appointment_id, GOOD)
    assert _visit_count(s) == count
    assert len(_audit(s, "checkin")) == 1


def test_unverified_patient_needs_confirmation(demo_services):
    s = demo_services
    hit = next(h for h in s.patients.booked_today() if h.appointment_status == "scheduled")
    with pytest.raises(NeedsConfirmation):
        s.checkin.arrive(hit.appointment_id, GOOD)
    assert s.schedule.get(hit.appointment_id).status == "scheduled"
    s.checkin.arrive(hit.appointment_id, GOOD, confirm_unverified=True)
    assert s.schedule.get(hit.appointment_id).status == "arrived"


def test_only_todays_appointments_can_be_arrived(demo_services):
    s = demo_services
    tomorrow = s.schedule.day(NOW.date() + dt.timedelta(days=1))[0]
    s.patients.mark_verified(tomorrow.patient_id)
    with pytest.raises(ValidationError) as caught:
        s.checkin.arrive(tomorrow.id, GOOD)
    assert caught.value.field == "appointment"


def test_walk_in_books_now_and_arrives_in_one_go(demo_services, open_appt):
    s = demo_services
    provider = s.schedule.providers()[0]
    sick = next(t for t in s.schedule.appointment_types() if t.name == "Sick visit")
    result = s.checkin.walk_in(open_appt.id, provider_id=provider.id, type_id=sick.id,
                               data=ArrivalInput(chief_complaint="Sore throat"))  # fmt: skip
    assert result.is_walk_in
    row = s.schedule.get(result.appointment_id)
    assert row.start == NOW and row.status == "arrived" and row.is_walk_in
    assert row.provider_id == provider.id and row.reason == "Sore throat"
    assert row.visit_id == result.visit_id
    created = [e for e in _audit(s, "create") if e.entity == "appointment"]
    assert json.loads(created[-1].details)["walk_in"] is True


def test_walk_in_with_bad_provider_saves_nothing(demo_services, open_appt):
    s = demo_services
    with s.ctx.db.read() as session:
        appts = session.scalar(select(func.count(Appointment.id)))
    with pytest.raises(ValidationError) as caught:
        s.checkin.walk_in(open_appt.id, provider_id=9999, type_id=1,
                          data=ArrivalInput(chief_complaint="Rash"))  # fmt: skip
    assert caught.value.field == "provider"
    with s.ctx.db.read() as session:
        assert session.scalar(select(func.count(Appointment.id))) == appts


def test_providers_cannot_check_patients_in(demo_services, open_appt):
    s = demo_services
    s.set_actor(Actor(None, "drx", "Dr. X", "provider", "test"))
    with pytest.raises(PermissionDenied):
        s.checkin.arrive(open_appt.appointment_id, GOOD)
    assert s.schedule.get(open_appt.appointment_id).status == open_appt.appointment_status


def test_forms_come_from_settings(demo_services, open_appt):
    s = demo_services
    s.settings.update(forms=["Consent to treat"])
    assert s.checkin.forms() == ["Consent to treat"]
    with pytest.raises(ValidationError) as caught:
        s.checkin.arrive(open_appt.appointment_id, GOOD)
    assert "forms" in caught.value.errors
    ok = ArrivalInput(chief_complaint="Rash", forms_signed=("Consent to treat",))
    result = s.checkin.arrive(open_appt.appointment_id, ok)
    with s.ctx.db.read() as session:
        assert session.get(Visit, result.visit_id).forms_signed == ["Consent to treat"]
