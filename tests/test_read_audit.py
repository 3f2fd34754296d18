"""Every read of patient data is audited (ASTM E2147 "view/query"), once per opening.

Each method declared READ, PRINT or EXPORT is called here with real arguments
on the demo clinic: it must leave an entry that names who, the patient where
there is one, and what kind of data; a refresh of the same view (a repaint,
the flow board's 30-second tick) must not add another; prints and exports are
recorded every time. A new READ method without a line here fails the test.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from ma_desk.db.models import (
    AuditEvent,
    InsuranceCoverage,
    Visit,
    VitalSet,
)
from ma_desk.services import Services
from ma_desk.services.base import VIEW_REPEAT_WINDOW
from ma_desk.services.insurance_rules import PriorAuthInput
from ma_desk.services.patients import PatientInput
from ma_desk.services.policy import EXPORT, PRINT, READ, policy_of
from tests.test_service_policies import public_methods

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL


@dataclass
class Clinic:
    services: Services
    today: dt.date
    patient: int
    appointment: int
    visit: int
    vital_set: int
    coverage: int
    note: int
    series: int


@pytest.fixture
def clinic(demo_services: Services, sign_in_as, clock, tmp_path) -> Clinic:
    """Signed in as the administrator, with one of each kind of record to read."""
    sign_in_as("admin")
    with demo_services.ctx.db.read() as s:
        visit = s.scalars(
            select(Visit).join(VitalSet, VitalSet.visit_id == Visit.id).order_by(Visit.id)
        ).first()
        vital_set = s.scalar(select(VitalSet.id).where(VitalSet.visit_id == visit.id))
        coverage = s.scalars(
            select(InsuranceCoverage).where(InsuranceCoverage.card_front.is_not(None))
        ).first()
    patient = coverage.patient_id
    note = demo_services.insurance.add_note(patient, "Called the payer about the deductible")
    demo_services.insurance.add_prior_auth(
        patient,
        PriorAuthInput(service="Physical therapy", auth_number="PA-1", units_approved=6, payer="Acme",
                       start_date="11/01/2026", end_date="12/31/2026"),
    )  # fmt: skip
    provider = demo_services.schedule.providers()[0]
    kind = demo_services.schedule.appointment_types()[0]
    series = demo_services.schedule.book_series(
        patient_id=patient, provider_id=provider.id, type_id=kind.id,
        start=dt.datetime.combine(clock.now().date() + dt.timedelta(days=30), dt.time(9)),
        frequency="weeks", interval=1, count=2, confirm=True,
    )  # fmt: skip
    demo_services.ctx.views_recorded.clear()
    return Clinic(demo_services, clock.now().date(), patient, visit.appointment_id, visit.id,
                  vital_set, coverage.id, note.id, series[0].series_id)  # fmt: skip


# method -> (call, the patient the entry must name: an attribute of Clinic, or None)
CALLS: dict[str, tuple[Any, str | None]] = {
    "patients.get": (lambda c: c.services.patients.get(c.patient), "patient"),
    "patients.open_chart": (lambda c: c.services.patients.open_chart(c.patient, "banner"),
                            "patient"),
    "patients.verification": (lambda c: c.services.patients.verification(c.patient), "patient"),
    "patients.name_alert": (lambda c: c.services.patients.name_alert(c.patient), "patient"),
    "patients.name_alerts": (lambda c: c.services.patients.name_alerts(c.today), None),
    "patients.search": (lambda c: c.services.patients.search("smith"), None),
    "patients.booked_today": (lambda c: c.services.patients.booked_today(), None),
    "patients.find_duplicates": (
        lambda c: c.services.patients.find_duplicates(
            PatientInput(first_name="Ann", last_name="Doe", dob="01/02/1980")
        ),
        None,
    ),
    "checkin.todays_appointments": (
        lambda c: c.services.checkin.todays_appointments(c.patient), "patient"),
    "checkin.expected_copay": (
        lambda c: c.services.checkin.expected_copay(c.patient, "Follow-up"), "patient"),
    "schedule.day": (lambda c: c.services.schedule.day(c.today), None),
    "schedule.week": (lambda c: c.services.schedule.week(1, c.today), None),
    "schedule.range": (
        lambda c: c.services.schedule.range(c.today, c.today + dt.timedelta(days=3)), None),
    "schedule.flow_board": (lambda c: c.services.schedule.flow_board(c.today), None),
    "schedule.export_calendar": (lambda c: c.services.schedule.export_calendar(
        1, c.today, 7, c.tmp / f"week-{c.calls}.ics", include_names=True), None),
    "schedule.get": (lambda c: c.services.schedule.get(c.appointment), "visit_patient"),
    "schedule.history": (lambda c: c.services.schedule.history(c.appointment), "visit_patient"),
    "schedule.series": (lambda c: c.services.schedule.series(c.series), "patient"),
    "rooms.board": (lambda c: c.services.rooms.board(), None),
    "insurance.coverages": (lambda c: c.services.insurance.coverages(c.patient), "patient"),
    "insurance.coverage": (lambda c: c.services.insurance.coverage(c.coverage), "patient"),
    "insurance.card_image": (
        lambda c: c.services.insurance.card_image(c.coverage, "front"), "patient"),
    "insurance.verification_log": (
        lambda c: c.services.insurance.verification_log(c.coverage), "patient"),
    "insurance.verification_flags": (
        lambda c: c.services.insurance.verification_flags([c.patient]), None),
    "insurance.notes": (lambda c: c.services.insurance.notes(c.patient), "patient"),
    "insurance.note_history": (lambda c: c.services.insurance.note_history(c.note), "patient"),
    "insurance.prior_auths": (lambda c: c.services.insurance.prior_auths(c.patient), "patient"),
    "insurance.record_card_print": (
        lambda c: c.services.insurance.record_card_print(c.coverage, ["front"]), "patient"),
    "vitals.history": (lambda c: c.services.vitals.history(c.visit_patient), "visit_patient"),
    "vitals.get_set": (lambda c: c.services.vitals.get_set(c.vital_set), "visit_patient"),
    "vitals.previous_values": (
        lambda c: c.services.vitals.previous_values(c.visit_patient), "visit_patient"),
    "vitals.context": (lambda c: c.services.vitals.context(c.visit_patient), "visit_patient"),
    "vitals.assess": (
        lambda c: c.services.vitals.assess(c.visit_patient, _pulse_form()), "visit_patient"),
    "vitals.open_tasks": (lambda c: _open_tasks(c), "visit_patient"),
    "audit_log.search": (lambda c: c.services.audit_log.search(_everything()), None),
    "audit_log.verify": (lambda c: c.services.audit_log.verify(), None),
    "audit_log.record_verification": (
        lambda c: c.services.audit_log.record_verification(_report(c)), None),
    "audit_log.export_csv": (lambda c: c.services.audit_log.export_csv(
        _everything(), c.tmp / f"audit-{c.calls}.csv"), None),
    "waitlist.entries": (lambda c: c.services.waitlist.entries(), None),
    "waitlist.matches": (lambda c: _matches(c), None),
    "reports.visit_summary_data": (
        lambda c: c.services.reports.visit_summary_data(c.visit), "visit_patient"),
    "reports.visit_summary": (lambda c: c.services.reports.visit_summary(c.visit), "visit_patient"),
    "reports.end_of_day_data": (lambda c: c.services.reports.end_of_day_data(c.today), None),
    "reports.end_of_day_pdf": (lambda c: c.services.reports.end_of_day_pdf(c.today), None),
    "reports.end_of_day_csv": (lambda c: c.services.reports.end_of_day_csv(c.today), None),
    "reports.label_data": (
        lambda c: c.services.reports.label_data(kind="patient", patient_id=c.patient), "patient"),
    "reports.labels": (lambda c: c.services.reports.labels(
        c.services.reports.label_data(kind="patient", patient_id=c.patient)), "patient"),
    "handouts.given_on_visit": (
        lambda c: c.services.handouts.given_on_visit(c.visit), "visit_patient"),
    "handouts.documents_for_visit": (
        lambda c: c.services.handouts.documents_for_visit(c.visit, [_handout(c)]),
        "visit_patient"),
    "handouts.pdf_for_visit": (
        lambda c: c.services.handouts.pdf_for_visit(c.visit, [_handout(c)]), "visit_patient"),
    "handouts.record_given": (
        lambda c: c.services.handouts.record_given(c.visit, [_handout(c)]), "visit_patient"),
    "interchange.dry_run_csv": (lambda c: c.services.interchange.dry_run_csv(
        "patients", b"ID,Last,First,DOB\n1,Doe,Ann,01/02/1980\n", _import_options()), None),
    "interchange.dry_run_fhir": (lambda c: c.services.interchange.dry_run_fhir(
        b'{"resourceType": "Patient", "id": "1"}', _import_options()), None),
    "interchange.export_patient_fhir": (lambda c: c.services.interchange.export_patient_fhir(
        c.patient, c.tmp / f"patient-{c.calls}.json"), "patient"),
    "interchange.export_clinic_fhir": (lambda c: c.services.interchange.export_clinic_fhir(
        c.tmp / f"bulk-{c.calls}"), None),
}  # fmt: skip
# Recorded on every call: each is its own disclosure, or a new question asked.
EVERY_CALL = {"patients.find_duplicates", "audit_log.search", "audit_log.verify",
              "audit_log.record_verification"}  # fmt: skip


def _report(c):
    from ma_desk.security.verification import check_trail

    return check_trail(c.services.ctx.db, None)


def _import_options():
    from ma_desk.services.interchange import ImportOptions

    return ImportOptions(source="oldpm")


def _pulse_form():
    from ma_desk.clinical import vitals as v

    return v.VitalsForm(entries={v.PULSE: v.Entry("72")})


def _everything():
    from ma_desk.services.audit_log import AuditFilter

    return AuditFilter()


def _open_tasks(c) -> list:
    return c.services.vitals.open_tasks(c.visit)


def _matches(c) -> list:
    entries = c.services.waitlist.entries()
    entry = entries[0]
    start = dt.datetime.combine(c.today + dt.timedelta(days=1), dt.time(9))
    for day in range(1, 8):
        start = dt.datetime.combine(c.today + dt.timedelta(days=day), dt.time(9))
        if str(start.weekday()) in entry.preferred_days:
            break
    return c.services.waitlist.matches(entry.provider_id or 1, start, 15)


def _handout(c) -> int:
    return c.services.handouts.list()[0].id


def audited_methods() -> list[str]:
    return sorted(
        name
        for name, fn in public_methods().items()
        if policy_of(fn).audit in (READ, PRINT, EXPORT)
    )


def test_every_read_print_and_export_method_is_exercised_here():
    assert sorted(CALLS) == audited_methods()


def entries_since(services: Services, since: int) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.id > since)
                              .order_by(AuditEvent.id)))  # fmt: skip


def last_entry_id(services: Services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(func.max(AuditEvent.id))) or 0


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_read_leaves_its_entry_and_a_refresh_does_not(clinic: Clinic, name, tmp_path):
    call, patient_attr = CALLS[name]
    clinic.tmp, clinic.calls = tmp_path, 0
    with clinic.services.ctx.db.read() as s:
        clinic.visit_patient = s.scalar(select(Visit.patient_id).where(Visit.id == clinic.visit))
    kind = policy_of(public_methods()[name]).audit
    before = last_entry_id(clinic.services)
    call(clinic)
    first = [e for e in entries_since(clinic.services, before) if e.action != "permission_refused"]
    assert first, f"{name} left no audit entry"
    mine = [e for e in first if e.username == "admin"]
    assert mine == first and all(e.workstation and e.at and e.hash for e in first)
    expected_actions = {READ: {"view", "query"}, PRINT: {"print"}, EXPORT: {"export"}}[kind]
    if name in ("audit_log.verify", "audit_log.record_verification"):
        expected_actions = {"verify"}  # a query of the trail itself, named for what it does
    assert expected_actions & {e.action for e in first}, (name, [e.action for e in first])
    if patient_attr is not None:
        patient = getattr(clinic, patient_attr)
        assert patient in {e.patient_id for e in first}, name
    for entry in first:
        json.loads(entry.details)  # canonical JSON, always
    clinic.calls = 1
    middle = last_entry_id(clinic.services)
    call(clinic)
    again = [e for e in entries_since(clinic.services, middle) if e.action in ("view",)]
    if kind == READ and name not in EVERY_CALL:
        assert again == [], f"{name}: a refresh of the same view was recorded again"
    if kind in (PRINT, EXPORT) or name in EVERY_CALL:
        assert entries_since(clinic.services, middle), f"{name}: the repeat was not recorded"


def test_a_view_is_recorded_again_after_the_window_and_after_a_lock(clinic: Clinic, clock):
    services = clinic.services
    before = last_entry_id(services)
    services.patients.get(clinic.patient)
    services.patients.get(clinic.patient)
    assert len(entries_since(services, before)) == 1
    clock.advance(seconds=VIEW_REPEAT_WINDOW.total_seconds() - 1)
    services.patients.get(clinic.patient)
    assert len(entries_since(services, before)) == 1
    clock.advance(seconds=1)
    services.patients.get(clinic.patient)
    assert len(entries_since(services, before)) == 2
    services.accounts.record_lock("Ctrl+L")
    services.patients.get(clinic.patient)
    views = [e for e in entries_since(services, before) if e.action == "view"]
    assert len(views) == 3


def test_each_user_has_their_own_openings(clinic: Clinic, sign_in_as):
    services = clinic.services
    before = last_entry_id(services)
    services.patients.get(clinic.patient)
    sign_in_as("ma")
    services.patients.get(clinic.patient)
    views = [(e.username, e.patient_id) for e in entries_since(services, before)
             if e.action == "view"]  # fmt: skip
    assert views == [("admin", clinic.patient), ("ma", clinic.patient)]


def test_a_search_records_who_how_many_and_keeps_the_text_in_the_store(clinic: Clinic, tmp_path):
    from ma_desk.services.audit_log import AuditFilter

    services = clinic.services
    before = last_entry_id(services)
    hits = services.patients.search("smi")
    [entry] = entries_since(services, before)
    details = json.loads(entry.details)
    assert (entry.action, entry.entity) == ("query", "patient")
    assert details["results"] == len(hits) and details["query"] == "smi"
    out = tmp_path / "audit.csv"
    services.audit_log.export_csv(AuditFilter(), out)
    assert '"query":"smi"' not in out.read_text(encoding="utf-8")
    assert "[in the store]" in out.read_text(encoding="utf-8")


def test_a_damaged_store_open_read_only_records_nothing_and_still_reads(clinic: Clinic):
    services = clinic.services
    before = last_entry_id(services)
    services.ctx.db.read_only = True
    try:
        assert services.patients.get(clinic.patient).id == clinic.patient
    finally:
        services.ctx.db.read_only = False
    assert last_entry_id(services) == before


def test_sign_in_on_a_read_only_store_writes_nothing_and_still_throttles(demo_services):
    from ma_desk.errors import AuthenticationError
    from ma_desk.security.demo_accounts import DEMO_PASSWORD

    services = demo_services
    before = last_entry_id(services)
    services.ctx.db.read_only = True
    try:
        messages = []
        for _ in range(6):
            with pytest.raises(AuthenticationError) as refused:
                services.accounts.sign_in("ma", "not the password at all")
            messages.append(str(refused.value))
        assert "Try again in" in messages[-1]  # the same lock-out, counted in memory
        services.ctx.read_only_failures.clear()
        actor = services.accounts.sign_in("ma", DEMO_PASSWORD)
        assert actor.username == "ma"
        services.accounts.record_lock("Ctrl+L")
        services.accounts.sign_out()
    finally:
        services.ctx.db.read_only = False
    assert last_entry_id(services) == before
