"""Two workstations, one record: a save over a newer version is refused, never lost.

Each test runs two desks (their own Services and signed-in person, same clinic
store) on SQLCipher and on a real PostgreSQL server. Desk A loads a record,
desk B saves a change, desk A saves what it typed against the version it
loaded: refused with who/when/where and the record as it is now, and nothing
written (neither the record nor an audit entry).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.clinical import flow
from ma_desk.db.models import AuditEvent, Patient
from ma_desk.errors import ConflictError, StaleVersionError
from ma_desk.services import Services
from ma_desk.services.insurance_rules import CoverageInput, PriorAuthInput
from ma_desk.services.patients import PatientInput
from ma_desk.services.versions import changed_message

pytestmark = pytest.mark.both_stores

FRONT = Actor(None, "frontdesk-a", "Alma Front", "administrator", "FRONT-DESK-1")
NURSE = Actor(None, "nurse-b", "Bea Nurse", "administrator", "NURSE-STATION")
STALE_FORM = "Alma's typing"


@pytest.fixture
def desks(demo_services: Services) -> tuple[Services, Services]:
    """Desk A (front desk) and desk B (nurses' station) on the same clinic store."""
    a = Services(demo_services.ctx.db, demo_services.ctx.clock, actor=FRONT)
    b = Services(demo_services.ctx.db, demo_services.ctx.clock, actor=NURSE)
    return a, b


def audit_entries(services: Services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent))


def chain_verifies(services: Services) -> bool:
    with services.ctx.db.read() as s:
        return audit.verify_store(s) == []


def a_patient(services: Services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(Patient.id).order_by(Patient.id).limit(1))


def an_open_appointment(services: Services):
    today = services.ctx.clock.now().date()
    for day in (today + dt.timedelta(days=n) for n in range(1, 8)):
        rows = [r for r in services.schedule.day(day) if r.status == "scheduled"]
        if rows:
            return rows[0]
    raise AssertionError("the demo clinic has no scheduled visit next week")


def refused(call, *args, **kwargs) -> StaleVersionError:
    with pytest.raises(StaleVersionError) as caught:
        call(*args, **kwargs)
    return caught.value


def assert_names_nurse(error: StaleVersionError, what: str) -> None:
    message = str(error)
    assert f"this {what} was changed by Bea Nurse at 10:3" in message
    assert "on NURSE-STATION" in message and "still in the form" in message
    assert (error.changed_by, error.changed_on) == ("Bea Nurse", "NURSE-STATION")


# ------------------------------------------------------------------ patients
def test_a_new_patient_starts_at_version_1_and_each_save_moves_it_one_on(desks):
    a, b = desks
    created = a.patients.register(PatientInput(first_name="Vera", last_name="Sion", dob="1/2/1990"))
    assert (created.version, created.updated_by, created.updated_on) == (1, "Alma Front",
                                                                         "FRONT-DESK-1")  # fmt: skip
    saved = b.patients.update(created.id, phone="(555) 201-0101", expected_version=1)
    assert (saved.version, saved.updated_by, saved.updated_on) == (2, "Bea Nurse", "NURSE-STATION")
    same = b.patients.update(created.id, phone="(555) 201-0101", expected_version=2)
    assert same.version == 2  # nothing changed: no new version
    assert a.patients.get(created.id).version == 2


def test_a_patient_save_over_a_newer_version_is_refused_with_who_when_where(desks):
    a, b = desks
    pid = a_patient(a)
    loaded = a.patients.get(pid)
    b.patients.update(pid, phone="(555) 201-0142", expected_version=loaded.version)
    entries = audit_entries(a)
    error = refused(a.patients.update, pid, phone="(555) 201-0199", city=STALE_FORM,
                    expected_version=loaded.version)  # fmt: skip
    assert_names_nurse(error, "patient")
    assert error.current.phone == "(555) 201-0142"
    assert error.version == loaded.version + 1 == error.current.version
    stored = a.patients.get(pid)
    assert stored.city != STALE_FORM and stored.phone == error.current.phone
    assert audit_entries(a) == entries  # no update entry (the view above was already recorded)
    again = a.patients.update(pid, phone="(555) 201-0199", expected_version=error.version)
    assert again.version == loaded.version + 2 and again.phone.endswith("0199")
    assert chain_verifies(a)


def test_marking_verified_against_an_old_version_is_refused(desks):
    a, b = desks
    pid = a_patient(a)
    loaded = a.patients.get(pid)
    b.patients.update(pid, email="moved@example.com", expected_version=loaded.version)
    error = refused(a.patients.mark_verified, pid, expected_version=loaded.version)
    assert error.current.email == "moved@example.com"
    assert a.patients.get(pid).verified_at == loaded.verified_at


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(offset=st.integers(min_value=-(2**31), max_value=2**31).filter(lambda n: n != 0))
def test_any_version_but_the_stored_one_is_refused_and_writes_nothing(desks, offset):
    a, _b = desks
    pid = a_patient(a)
    stored = a.patients.get(pid)
    with pytest.raises(StaleVersionError):
        a.patients.update(pid, city=STALE_FORM, expected_version=stored.version + offset)
    assert a.patients.get(pid) == stored


@pytest.mark.parametrize("offset, accepted", [(-1, False), (0, True), (1, False)])
def test_version_boundaries_just_below_at_and_just_above(desks, offset, accepted):
    a, b = desks
    pid = a_patient(a)
    b.patients.update(pid, city="Springfield")  # the stored version is now 2 or more
    version = a.patients.get(pid).version
    if accepted:
        assert a.patients.update(pid, city="Shelbyville", expected_version=version).version == (
            version + 1
        )
    else:
        refused(a.patients.update, pid, city="Shelbyville", expected_version=version + offset)
        assert a.patients.get(pid).city == "Springfield"


# ------------------------------------------------------------------ appointments
def test_an_appointment_edit_over_a_newer_version_is_refused(desks):
    a, b = desks
    loaded = an_open_appointment(a)
    b.schedule.update(loaded.id, reason="Ear pain, left", confirm=True,
                      expected_version=loaded.version)  # fmt: skip
    error = refused(a.schedule.update, loaded.id, reason=STALE_FORM, minutes=loaded.minutes + 15,
                    confirm=True, expected_version=loaded.version)  # fmt: skip
    assert_names_nurse(error, "appointment")
    assert error.current.reason == "Ear pain, left" and error.current.id == loaded.id
    stored = a.schedule.get(loaded.id)
    assert (stored.reason, stored.minutes) == ("Ear pain, left", loaded.minutes)
    saved = a.schedule.update(loaded.id, reason=STALE_FORM, confirm=True,
                              expected_version=error.version)  # fmt: skip
    assert saved[0].reason == STALE_FORM and saved[0].version == error.version + 1


def test_cancel_and_status_changes_on_an_old_version_are_refused(desks):
    a, b = desks
    loaded = an_open_appointment(a)
    b.schedule.transition(loaded.id, flow.CONFIRMED, expected_version=loaded.version)
    refused(a.schedule.cancel, loaded.id, "Patient called", expected_version=loaded.version)
    refused(a.schedule.transition, loaded.id, flow.NO_SHOW, expected_version=loaded.version)
    assert a.schedule.get(loaded.id).status == flow.CONFIRMED
    current = a.schedule.get(loaded.id)
    result = a.schedule.cancel(loaded.id, "Patient called", expected_version=current.version)
    assert result.cancelled[0].status == flow.CANCELLED


# ------------------------------------------------------------------ insurance
def coverage_of(services: Services):
    """A coverage of the first patient (added when the demo gave them none)."""
    pid = a_patient(services)
    existing = services.insurance.coverages(pid)
    if existing:
        return existing[0]
    form = CoverageInput(payer="Demo Health", member_id="VER123", effective_date="01/01/2025")
    return services.insurance.add_coverage(pid, form)


def test_a_coverage_edit_over_a_newer_version_is_refused(desks):
    a, b = desks
    loaded = coverage_of(a)
    form = CoverageInput(payer=loaded.payer, member_id="BNEW1", priority=loaded.priority,
                         effective_date=loaded.effective_date)  # fmt: skip
    b.insurance.update_coverage(loaded.id, form, expected_version=loaded.version)
    mine = CoverageInput(payer=loaded.payer, member_id="ATYPED", priority=loaded.priority,
                         effective_date=loaded.effective_date, plan=STALE_FORM)  # fmt: skip
    error = refused(a.insurance.update_coverage, loaded.id, mine, expected_version=loaded.version)
    assert_names_nurse(error, "coverage")
    assert error.current.member_id == "BNEW1"
    assert a.insurance.coverage(loaded.id).member_id == "BNEW1"
    refused(a.insurance.end_coverage, loaded.id, "12/31/2026", expected_version=loaded.version)
    refused(a.insurance.remove_coverage, loaded.id, "entered in error",
            expected_version=loaded.version)  # fmt: skip
    refused(a.insurance.move_coverage, loaded.id, 1, expected_version=loaded.version)
    assert a.insurance.coverage(loaded.id).end_date == loaded.end_date
    saved = a.insurance.update_coverage(loaded.id, mine, expected_version=error.version)
    assert saved.member_id == "ATYPED" and saved.version == error.version + 1


def test_two_corrections_of_the_same_note_conflict(desks):
    a, b = desks
    pid = a_patient(a)
    note = a.insurance.add_note(pid, "Deductible met")
    assert note.version == 1
    b_fix = b.insurance.edit_note(note.id, "Deductible met in October", expected_version=1)
    error = refused(a.insurance.edit_note, note.id, STALE_FORM, expected_version=1)
    assert_names_nurse(error, "note")
    assert error.current.id == b_fix.id and error.current.text == "Deductible met in October"
    texts = [n.text for n in a.insurance.notes(pid, include_superseded=True)]
    assert STALE_FORM not in texts
    fixed = a.insurance.edit_note(b_fix.id, STALE_FORM, expected_version=b_fix.version)
    assert fixed.supersedes_id == b_fix.id


def test_a_prior_authorisation_edit_over_a_newer_version_is_refused(desks):
    a, b = desks
    pid = a_patient(a)
    form = dict(service="MRI lumbar", payer="Demo Health", auth_number="PA-1",
                units_approved="3", start_date="11/01/2026", end_date="12/31/2026")  # fmt: skip
    auth = a.insurance.add_prior_auth(pid, PriorAuthInput(**form))
    b.insurance.use_auth_units(auth.id, 1)
    error = refused(a.insurance.update_prior_auth, auth.id,
                    PriorAuthInput(**{**form, "units_approved": "5"}),
                    expected_version=auth.version)  # fmt: skip
    assert error.current.units_used == 1
    assert a.insurance.prior_auths(pid)[0].units_approved == 3


# ------------------------------------------------------------------ rooms, checklists, settings
def test_a_room_change_over_a_newer_version_is_refused(desks):
    a, b = desks
    room = next(r for r in a.rooms.board() if r.state != "occupied")
    b.rooms.set_state(room.id, "out_of_service", "Exam table broken", expected_version=room.version)
    error = refused(a.rooms.set_state, room.id, "needs_turnover", expected_version=room.version)
    assert_names_nurse(error, "room")
    assert error.current.state == "out_of_service"
    assert next(r for r in a.rooms.board() if r.id == room.id).state_note == "Exam table broken"


def test_finishing_a_checklist_someone_abandoned_meanwhile_is_refused(desks):
    a, b = desks
    a.checklists.ensure_default_templates()
    room = next(r for r in a.rooms.board() if r.state in ("ready", "needs_turnover"))
    run = a.checklists.start_run(room.id, "between")
    b.checklists.abandon_run(run.id, "Room needed for a walk-in", expected_version=run.version)
    error = refused(a.checklists.finish_run, run.id, expected_version=run.version)
    assert_names_nurse(error, "checklist")
    assert error.current.status == "abandoned"
    with pytest.raises(ConflictError, match="already closed"):
        a.checklists.finish_run(run.id, expected_version=error.version)


def test_a_setting_saved_meanwhile_is_refused_and_other_settings_still_save(desks):
    a, b = desks
    versions = a.settings.versions()
    loaded = a.settings.get()
    b.settings.update(clinic_name="Maple Grove Family Care", expected_versions=versions)
    error = refused(a.settings.update, clinic_name=STALE_FORM, expected_versions=versions)
    assert_names_nurse(error, "setting (clinic_name)")
    assert error.current.clinic_name == "Maple Grove Family Care"
    assert a.settings.get().clinic_name == "Maple Grove Family Care"
    other = next(k for k, v in loaded.to_store().items() if isinstance(v, int) and k in versions)
    value = loaded.to_store()[other]
    a.settings.update(**{other: value + 1}, expected_versions=versions)
    assert a.settings.versions()[other] == versions[other] + 1
    assert chain_verifies(a)


# ------------------------------------------------------------------ the message itself
NOON = dt.datetime(2026, 11, 23, 12, 0)


@pytest.mark.parametrize(
    "at, expected",
    [
        (NOON.replace(hour=0, minute=0), "changed by Bea Nurse at 00:00 on NURSE-STATION after"),
        (NOON, "changed by Bea Nurse at 12:00 on NURSE-STATION after"),
        (NOON - dt.timedelta(minutes=1), "at 11:59 on NURSE-STATION"),
        (NOON.replace(hour=0) - dt.timedelta(minutes=1),
         "changed by Bea Nurse at 23:59 on 11/22/2026 (workstation NURSE-STATION)"),
    ],
)  # fmt: skip
def test_the_refusal_says_who_when_and_where(at, expected):
    assert expected in changed_message("patient", "Bea Nurse", at, "NURSE-STATION", NOON)


def test_a_change_without_a_known_author_still_reads_well():
    message = changed_message("room", "", None, "", NOON)
    assert message.startswith("Not saved: this room was changed by someone else after you opened")
