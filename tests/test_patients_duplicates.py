"""Duplicate detection before registration, the recorded choice, and the desk's name alert."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from ma_desk.db.models import Appointment, AuditEvent, Patient
from ma_desk.errors import NeedsConfirmation, ValidationError
from ma_desk.names import (
    could_be_confused,
    edit_distance,
    nickname_related,
    same_person_name,
    similar_given_name,
    similar_surname,
)
from ma_desk.services.patients import DuplicateCandidate, PatientInput

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

NOW = dt.datetime(2026, 11, 23, 10, 30)


# ------------------------------------------------------------------ name rules
@pytest.mark.parametrize(
    "a, b", [("Bob", "Robert"), ("bill", "William"), ("Liz", "Elizabeth"), ("Peggy", "Margaret"),
             ("Chuck", "Charles"), ("Kate", "Katherine")],
)  # fmt: skip
def test_nicknames_are_related(a, b):
    assert nickname_related(a, b)
    assert similar_given_name(a, b)


def test_unrelated_given_names_are_not_similar():
    assert not similar_given_name("Robert", "William")
    assert not similar_given_name("Ann", "Amy")  # short names need an exact match
    assert not nickname_related("Bob", "")


def test_edit_distance_counts_a_transposition_as_one():
    assert edit_distance("jonhson", "johnson") == 1
    assert edit_distance("smith", "smyth") == 1
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3


def test_surnames_with_typos_and_hyphens():
    assert similar_surname("Johnson", "Jonhson")
    assert similar_surname("Garcia-Lopez", "Garcia")
    assert similar_surname("O'Brien", "OBRIEN")
    assert not similar_surname("Smith", "Jones")
    assert not similar_surname("Li", "Lu")


def test_same_person_name_explains_itself():
    assert same_person_name("Robert", "Smith", "Robert", "Smith") == "same name"
    assert same_person_name("Bob", "Smith", "Robert", "Smith") == "similar name"
    assert same_person_name("Smith", "Robert", "Robert", "Smith") == "first and last name swapped"
    assert same_person_name("Chris", "Nguyen", "Christopher", "Nguyen") == "similar name"
    assert same_person_name("Mary", "Jones", "Robert", "Smith") is None


def test_name_alert_rule_needs_the_same_last_name():
    assert could_be_confused("Jon", "Smith", "John", "Smith")
    assert not could_be_confused("Jon", "Smith", "John", "Smyth")
    assert not could_be_confused("Ann", "Smith", "Zoe", "Smith")


# ------------------------------------------------------------------ service
@pytest.fixture
def robert(services):
    return services.patients.register(
        PatientInput(
            first_name="Robert", last_name="Smith", dob="03/14/1962", phone="(503) 555-0142"
        )  # fmt: skip
    )


def _count(services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count(Patient.id)))


def _events(services, action: str) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize(
    "first, last, dob, phone, reason",
    [
        ("Bob", "Smith", "03/14/1962", "", "same date of birth, similar name"),
        ("Robret", "Smith", "1962-03-14", "", "same date of birth, similar name"),
        ("Robert", "Smyth", "03141962", "", "same date of birth, similar name"),
        ("Smith", "Robert", "03/14/1962", "", "first and last name swapped"),
        ("Alice", "Walker", "01/01/1990", "503.555.0142", "same phone number"),
    ],
)
def test_possible_duplicates_are_found(services, robert, first, last, dob, phone, reason):
    data = PatientInput(first_name=first, last_name=last, dob=dob, phone=phone)
    found = services.patients.find_duplicates(data)
    assert [c.id for c in found] == [robert.id]
    assert reason in found[0].reason


def test_same_name_with_another_dob_and_phone_is_not_a_duplicate(services, robert):
    data = PatientInput(first_name="Robert", last_name="Smith", dob="03/15/1962")
    assert services.patients.find_duplicates(data) == []


def test_register_stops_on_a_duplicate_and_saves_nothing(services, robert):
    before = _count(services)
    with pytest.raises(NeedsConfirmation) as caught:
        services.patients.register(
            PatientInput(first_name="Bobby", last_name="Smith", dob="03/14/1962")
        )
    assert _count(services) == before
    candidates = caught.value.candidates
    assert [c.id for c in candidates] == [robert.id]
    assert isinstance(candidates[0], DuplicateCandidate)
    assert caught.value.warnings and robert.mrn in caught.value.warnings[0]
    assert str(caught.value)


def test_create_anyway_is_saved_and_recorded(services, robert):
    record = services.patients.register(
        PatientInput(first_name="Bobby", last_name="Smith", dob="03/14/1962"),
        duplicate_override=True,
    )
    assert record.id != robert.id and record.mrn
    created = [e for e in _events(services, "create") if e.entity_id == str(record.id)]
    details = json.loads(created[0].details)
    assert details["duplicate_choice"] == "create_anyway"
    assert details["duplicate_candidates"] == [robert.id]
    assert details["first_name"] == "changed" and "Bobby" not in created[0].details


def test_use_existing_is_recorded(services, robert):
    services.patients.use_existing(robert.id, [robert.id])
    [event] = _events(services, "duplicate_use_existing")
    assert event.patient_id == robert.id
    assert json.loads(event.details)["duplicate_choice"] == "use_existing"


def test_invalid_input_is_refused_before_the_duplicate_check(services, robert):
    with pytest.raises(ValidationError) as caught:
        services.patients.find_duplicates(PatientInput(first_name="Bob", last_name="Smith"))
    assert caught.value.errors["dob"]


def test_update_and_verify_are_audited_with_old_and_new_values(services, robert, clock):
    services.patients.update(robert.id, phone="503 555 0199", preferred_language="Spanish")
    [event] = _events(services, "update")
    details = json.loads(event.details)
    assert details == {"phone": "changed", "preferred_language": "changed"}
    assert "0199" not in event.details and "Spanish" not in event.details
    clock.advance(minutes=5)  # registering verified him at NOW; the desk verifies again
    services.patients.mark_verified(robert.id)
    [verify] = _events(services, "verify")
    assert json.loads(verify.details)["verified_at"]["new"] == clock.now().isoformat()
    mark = services.patients.verification(robert.id)
    assert mark.today and mark.at == clock.now()


def test_bad_edit_changes_nothing(services, robert):
    with pytest.raises(ValidationError) as caught:
        services.patients.update(robert.id, phone="call me", zip="abc")
    assert set(caught.value.errors) == {"phone", "zip"}
    assert services.patients.get(robert.id).phone == "(503) 555-0142"
    assert _events(services, "update") == []


# ------------------------------------------------------------------ name alert
def test_name_alert_for_similar_patients_booked_today(demo_services):
    s = demo_services
    day = NOW.date()
    booked = s.patients.booked_today(day)
    target = booked[0]
    twin = s.patients.register(
        PatientInput(
            first_name=target.first_name + "e", last_name=target.last_name, dob="01/01/1950"
        ),  # fmt: skip
        duplicate_override=True,
    )
    assert s.patients.name_alert(twin.id, day).startswith("Name alert")  # a walk-in: not booked
    assert target.id not in s.patients.name_alerts(day)
    with s.ctx.db.write() as session:
        other = session.get(Appointment, target.appointment_id)
        session.add(
            Appointment(
                patient_id=twin.id,
                provider_id=other.provider_id,
                type_id=other.type_id,
                start=other.start + dt.timedelta(minutes=5),
                minutes=15,
                status="scheduled",
                created_at=NOW,
            )  # fmt: skip
        )
    alerts = s.patients.name_alerts(day)
    assert target.first_name in alerts[twin.id]
    assert "Confirm name and DOB" in alerts[target.id]
    assert s.patients.name_alert(target.id, day) == alerts[target.id]
