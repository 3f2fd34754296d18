"""Core service behaviour: one transaction per action, audited; clear refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.clinical import flow
from ma_desk.db.models import AuditEvent, Patient
from ma_desk.errors import ConflictError, NeedsConfirmation, PermissionDenied, ValidationError
from ma_desk.services.patients import PatientInput, parse_query
from tests.tamper import append_only_lifted

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL


def audit_entries(services) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def register(services, **overrides):
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "dob": "12/10/1985",
        "phone": "555-010-2233",
    }
    return services.patients.register(PatientInput(**{**data, **overrides}))


def test_register_is_audited_in_the_same_transaction(services):
    before = len(audit_entries(services))
    record = register(services)
    entries = audit_entries(services)
    assert len(entries) == before + 1
    assert (entries[-1].action, entries[-1].entity, entries[-1].patient_id) == (
        "create",
        "patient",
        record.id,
    )
    assert record.mrn.startswith("M")


def test_update_audits_which_fields_changed_never_their_values(services):
    record = register(services)
    services.patients.update(record.id, phone="(555) 010-9999", city="Salem")
    entry = audit_entries(services)[-1]
    assert json.loads(entry.details) == {"phone": "changed", "city": "changed"}
    assert entry.patient_id == record.id
    assert "010-9999" not in entry.details and "Salem" not in entry.details
    assert services.patients.get(record.id).city == "Salem"


def test_invalid_update_changes_nothing(services):
    record = register(services)
    count = len(audit_entries(services))
    with pytest.raises(ValidationError) as excinfo:
        services.patients.update(record.id, email="not-an-email", city="Salem")
    assert excinfo.value.field == "email"
    assert len(audit_entries(services)) == count
    assert services.patients.get(record.id).city == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "  ", "First name is required"),
        ("dob", "13/45/2000", "not understood"),
        ("dob", "01/01/2099", "future"),
        ("dob", "01/01/1880", "120 years"),
        ("phone", "12345", "10-digit"),
        ("state", "ZZ", "state code"),
        ("zip", "9720", "ZIP"),
    ],
)
def test_registration_refusals_name_the_field(services, field, value, message):
    with pytest.raises(ValidationError) as excinfo:
        register(services, **{field: value})
    assert message in excinfo.value.errors[field]
    assert services.patients.count() == 0


@pytest.mark.parametrize(
    ("text", "kind"),
    [("smi", "name"), ("Smith, Jo", "name"), ("04/05/1980", "dob"), ("1980-04-05", "dob"),
     ("(555) 010-2233", "phone"), ("M100001", "mrn"), ("100001", "mrn"), ("", "empty")],
)  # fmt: skip
def test_query_kinds(text, kind):
    assert parse_query(text).kind == kind


def test_search_finds_by_each_identifier(services):
    record = register(services, last_name="Ñúñez", first_name="José")
    assert [h.id for h in services.patients.search("nun")] == [record.id]
    assert [h.id for h in services.patients.search("jose nunez")] == [record.id]
    assert [h.id for h in services.patients.search("12/10/1985")] == [record.id]
    assert [h.id for h in services.patients.search("5550102233")] == [record.id]
    assert [h.id for h in services.patients.search(record.mrn)] == [record.id]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=40))
def test_search_never_crashes(services, ada, text):
    hits = [h.id for h in services.patients.search(text)]
    assert hits in ([], [ada.id])  # only registered patients, each once
    assert services.patients.count() == 1  # searching changes nothing


@pytest.fixture
def ada(services):
    """One registered patient for searches to find or not."""
    return register(services)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=st.text(max_size=90), last=st.text(max_size=90), dob=st.text(max_size=12),
       phone=st.text(max_size=20))  # fmt: skip
def test_registration_of_arbitrary_text_saves_or_explains(services, first, last, dob, phone):
    before = services.patients.count()
    try:
        record = register(services, first_name=first, last_name=last, dob=dob, phone=phone)
    except ValidationError as exc:
        assert exc.errors and all(msg.strip() for msg in exc.errors.values())
        assert services.patients.count() == before
    else:
        assert services.patients.get(record.id).last_name == " ".join(last.split())
        assert services.patients.count() == before + 1


def test_booking_errors_and_overridable_warnings(demo_services, clock):
    svc = demo_services.schedule
    provider = svc.providers()[0]
    follow_up = next(t for t in svc.appointment_types() if t.name == "Follow-up")
    patient_id = demo_services.patients.search("a")[0].id
    tomorrow_9 = dt.datetime.combine(clock.now().date() + dt.timedelta(days=1), dt.time(9, 0))
    with pytest.raises(ValidationError, match="past"):
        svc.book(patient_id=patient_id, provider_id=provider.id, type_id=follow_up.id,
                 start=clock.now() - dt.timedelta(hours=2))  # fmt: skip
    with pytest.raises(ValidationError, match="at least one minute"):
        svc.book(patient_id=patient_id, provider_id=provider.id, type_id=follow_up.id,
                 start=tomorrow_9, minutes=0)  # fmt: skip
    with pytest.raises(ValidationError, match="registered"):
        svc.book(
            patient_id=999_999, provider_id=provider.id, type_id=follow_up.id, start=tomorrow_9
        )
    late = tomorrow_9.replace(hour=19)
    with pytest.raises(NeedsConfirmation) as excinfo:
        svc.book(patient_id=patient_id, provider_id=provider.id, type_id=follow_up.id, start=late)
    assert any("Outside" in w for w in excinfo.value.warnings)
    row = svc.book(patient_id=patient_id, provider_id=provider.id, type_id=follow_up.id,
                   start=late, confirm=True)  # fmt: skip
    assert row.status == flow.SCHEDULED and row.minutes == follow_up.default_minutes


def seed_minimal_clinic(services, clock):
    from ma_desk.db.models import AppointmentType, Provider, Room

    with services.ctx.db.write() as s:
        s.add_all([
            Provider(display_name="Dr. Test", work_days="0123456"),
            Room(name="Exam 9", state="ready", state_since=clock.now()),
            AppointmentType(name="Follow-up", default_minutes=15),
        ])  # fmt: skip
    patient = register(services)
    provider = services.schedule.providers()[0]
    type_id = services.schedule.appointment_types()[0].id
    return patient, provider, type_id


def test_flow_through_every_status_and_refusals(services, clock):
    patient, provider, type_id = seed_minimal_clinic(services, clock)
    svc = services.schedule
    appt = svc.book(patient_id=patient.id, provider_id=provider.id, type_id=type_id,
                    start=clock.now() + dt.timedelta(minutes=5))  # fmt: skip
    with pytest.raises(ConflictError, match="cannot be marked roomed"):
        svc.transition(appt.id, flow.ROOMED)
    svc.transition(appt.id, flow.ARRIVED)
    room = services.rooms.board()[0]
    row = svc.transition(appt.id, flow.ROOMED, room_id=room.id)
    assert row.room_name == room.name and row.visit_id is not None
    assert services.rooms.board()[0].state == "occupied"
    svc.transition(appt.id, flow.WITH_PROVIDER)
    svc.transition(appt.id, flow.CHECKED_OUT)
    assert services.rooms.board()[0].state == "needs_turnover"
    with pytest.raises(ConflictError, match="final"):
        svc.transition(appt.id, flow.ARRIVED)


def test_every_transition_rule_has_a_message():
    for current in flow.STATUSES:
        for target in flow.STATUSES:
            refusal = flow.transition_refusal(current, target)
            assert (refusal is None) == flow.can_transition(current, target)


def test_permission_refusal_is_audited_and_changes_nothing(services):
    services.set_actor(Actor(42, "pat", "Pat Provider", "provider", "ws-1"))
    with pytest.raises(PermissionDenied, match="does not allow"):
        register(services)
    entries = audit_entries(services)
    assert entries[-1].action == "permission_refused" and entries[-1].outcome == "refused"
    assert entries[-1].username == "pat"
    with services.ctx.db.read() as s:
        assert s.scalar(select(Patient.id)) is None


def test_audit_chain_verifies_and_detects_an_edited_entry(services):
    register(services)
    register(services, first_name="Grace", last_name="Hopper", phone="")
    with services.ctx.db.read() as s:
        assert audit.verify_store(s) == []
    with services.ctx.db.write() as s, append_only_lifted(s.connection()):
        entry = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).first()
        entry.username = "someone-else"
        s.flush()
    with services.ctx.db.read() as s:
        problems = audit.verify_store(s)
    assert problems and problems[0].entry_id == 1 and "changed" in str(problems[0])
