"""The critical value reaches the provider (issue 15 item 4), service and report side:
one 'notify provider' item per critical vital set, marked done once (who, when, how) in
one audited call, and the end-of-day open items read from the same query."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ma_desk.clinical import flow, units
from ma_desk.clinical import vitals as v
from ma_desk.db.models import AuditEvent, Provider, VisitTask
from ma_desk.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from ma_desk.reports.end_of_day import OPEN_ITEM_TITLES
from ma_desk.services import Services
from ma_desk.services.notify import IN_PERSON, MESSAGE, PHONE
from tests.pdf_extract import have_pdftotext, pdftotext_region

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

CRITICAL_SET = v.VitalsForm(entries={v.SPO2: v.Entry("87")}, bp=(v.BPEntry("184/122"),))
NORMAL_SET = v.VitalsForm(entries={v.PULSE: v.Entry("72"), v.TEMPERATURE: v.Entry("98.6", units.DEGF)})  # fmt: skip


def in_clinic(services: Services, skip: int = 0):
    rows = [
        r
        for r in services.schedule.day(services.ctx.clock.now().date())
        if r.status in flow.IN_CLINIC_STATUSES and r.visit_id and r.patient_age >= 20
    ]
    return rows[skip]


def critical(services: Services, appt) -> int:
    """Save a critical set for the visit; the id of its notify-provider item."""
    result = services.vitals.save(
        appt.patient_id, CRITICAL_SET, appointment_id=appt.id, acknowledge_critical=True
    )
    assert result.task_id is not None
    return result.task_id


@pytest.fixture
def ma(demo_services, sign_in_as) -> Services:
    sign_in_as("ma")
    return demo_services


def row_of(services: Services, appt_id: int):
    return next(r for r in services.schedule.flow_board() if r.appointment.id == appt_id)


def audits(services: Services, action: str) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_each_critical_set_gets_its_own_item_on_the_flow_board(ma, clock) -> None:
    appt = in_clinic(ma)
    first = critical(ma, appt)
    clock.advance(minutes=5)
    second = critical(ma, appt)
    marker = row_of(ma, appt.id).marker
    assert [t.id for t in marker.open] == [first, second]
    assert marker.text == "⚠ CRITICAL: notify provider" and "SpO2 87" in marker.details
    assert ma.vitals.open_tasks(appt.visit_id) == [(t.id, t.message) for t in marker.open]
    block = next(r for r in ma.schedule.day(clock.now().date()) if r.id == appt.id)
    assert block.critical.short == "⚠ CRITICAL"


def test_mark_done_records_who_when_how_in_one_audited_call(ma, clock) -> None:
    appt = in_clinic(ma)
    task_id = critical(ma, appt)
    clock.advance(minutes=7)
    told = clock.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=2)
    before = len(audits(ma, "notify_provider_done"))
    done = ma.vitals.mark_provider_notified(
        task_id, provider_id=appt.provider_id, how=PHONE, at=told
    )
    assert done.done_at == told and done.how == PHONE and done.provider_name
    assert done.done_text == f"Provider notified {told:%H:%M} ({done.provider_name}, by phone)"
    marker = row_of(ma, appt.id).marker
    assert not marker.needs_notifying
    assert marker.text == f"✓ provider notified {told:%H:%M} ({done.provider_name}, by phone)"
    assert row_of(ma, appt.id).critical == ""
    assert ma.vitals.open_tasks(appt.visit_id) == []
    events = audits(ma, "notify_provider_done")
    assert len(events) == before + 1
    assert events[-1].entity_id == str(task_id) and events[-1].patient_id == appt.patient_id
    with ma.ctx.db.read() as s:
        task = s.get(VisitTask, task_id)
        assert task.done_by_id == ma.actor.user_id and task.notified_how == PHONE


def test_when_defaults_to_now(ma, clock) -> None:
    appt = in_clinic(ma)
    task_id = critical(ma, appt)
    done = ma.vitals.mark_provider_notified(task_id, provider_id=appt.provider_id, how=IN_PERSON)
    assert done.done_at == clock.now().replace(second=0, microsecond=0)


def test_done_twice_is_refused_and_changes_nothing(ma) -> None:
    appt = in_clinic(ma)
    task_id = critical(ma, appt)
    ma.vitals.mark_provider_notified(task_id, provider_id=appt.provider_id, how=MESSAGE)
    with pytest.raises(ConflictError, match="already recorded as notified"):
        ma.vitals.mark_provider_notified(task_id, provider_id=appt.provider_id, how=PHONE)
    with ma.ctx.db.read() as s:
        assert s.get(VisitTask, task_id).notified_how == MESSAGE


def test_a_non_critical_set_has_no_item_and_cannot_be_marked(ma) -> None:
    appt = in_clinic(ma, 1)
    result = ma.vitals.save(appt.patient_id, NORMAL_SET, appointment_id=appt.id)
    assert result.task_id is None and not result.criticals
    assert not row_of(ma, appt.id).marker.text
    # An item pointing at a set without a critical value (never made by the app) is refused.
    with ma.ctx.db.write() as s:
        task = VisitTask(visit_id=appt.visit_id, vital_set_id=result.set_id,
                         kind="notify_provider", message="x", created_at=ma.ctx.clock.now())  # fmt: skip
        s.add(task)
        s.flush()
        task_id = task.id
    with pytest.raises(ValidationError, match="no critical value"):
        ma.vitals.mark_provider_notified(task_id, provider_id=appt.provider_id, how=PHONE)


def test_unknown_or_inactive_provider_is_refused(ma) -> None:
    appt = in_clinic(ma)
    task_id = critical(ma, appt)
    with pytest.raises(ValidationError, match="Choose the provider") as caught:
        ma.vitals.mark_provider_notified(task_id, provider_id=987654, how=PHONE)
    assert caught.value.field == "provider"
    with ma.ctx.db.write() as s:
        s.get(Provider, appt.provider_id).active = False
    with pytest.raises(ValidationError, match="Choose the provider"):
        ma.vitals.mark_provider_notified(task_id, provider_id=appt.provider_id, how=PHONE)
    assert ma.vitals.open_tasks(appt.visit_id)


def test_unknown_item_is_refused(ma) -> None:
    appt = in_clinic(ma)
    with pytest.raises(NotFoundError, match="no longer exists"):
        ma.vitals.mark_provider_notified(10_000_000, provider_id=appt.provider_id, how=PHONE)


@pytest.mark.parametrize(
    ("offset", "ok"),
    [  # relative to the moment the critical value was saved, and to now (10 min later)
        (dt.timedelta(minutes=-1), False),
        (dt.timedelta(0), True),
        (dt.timedelta(minutes=1), True),
        (dt.timedelta(minutes=10), True),  # now
        (dt.timedelta(minutes=11), False),  # one minute in the future
    ],
)
def test_time_told_between_the_critical_value_and_now(ma, clock, offset, ok) -> None:
    appt = in_clinic(ma)
    saved_at = clock.now().replace(second=0, microsecond=0)
    task_id = critical(ma, appt)
    clock.advance(minutes=10)
    call = lambda: ma.vitals.mark_provider_notified(  # noqa: E731
        task_id, provider_id=appt.provider_id, how=PHONE, at=saved_at + offset
    )
    if ok:
        assert call().done_at == saved_at + offset
    else:
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.field == "at"
        assert ma.vitals.open_tasks(appt.visit_id)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(how=st.text(max_size=30).filter(lambda t: t not in (IN_PERSON, PHONE, MESSAGE)))
def test_any_other_how_is_refused(ma, how) -> None:
    appt = in_clinic(ma)
    tasks = ma.vitals.open_tasks(appt.visit_id)
    task_id = tasks[0][0] if tasks else critical(ma, appt)
    with pytest.raises(ValidationError, match="in person, by phone or by message"):
        ma.vitals.mark_provider_notified(task_id, provider_id=appt.provider_id, how=how)
    assert any(t[0] == task_id for t in ma.vitals.open_tasks(appt.visit_id))


@pytest.mark.parametrize("username", ["frontdesk", "provider"])
def test_roles_without_vitals_write_cannot_mark_done(demo_services, sign_in_as, username):
    sign_in_as("ma")
    appt = in_clinic(demo_services)
    task_id = critical(demo_services, appt)
    sign_in_as(username)
    with pytest.raises(PermissionDenied):
        demo_services.vitals.mark_provider_notified(
            task_id, provider_id=appt.provider_id, how=PHONE
        )
    sign_in_as("ma")
    assert demo_services.vitals.open_tasks(appt.visit_id)


@pytest.mark.skipif(not have_pdftotext(), reason="poppler-utils (pdftotext) not installed; CI installs it")  # fmt: skip
def test_end_of_day_lists_the_unnotified_critical_not_the_notified_one(ma, sign_in_as, clock):
    told, untold = in_clinic(ma), in_clinic(ma, 1)
    told_task = critical(ma, told)
    critical(ma, untold)
    ma.vitals.mark_provider_notified(told_task, provider_id=told.provider_id, how=IN_PERSON)
    sign_in_as("admin")
    pdf = ma.reports.end_of_day_pdf(clock.now().date())
    text = " ".join("\n".join(pdftotext_region(pdf, 0, 0, 2000, 2000)).split())
    assert "Provider not yet notified" in text
    untold_line = f"{untold.patient_name} ({untold.mrn})"
    told_line = f"{told.patient_name} ({told.mrn})"
    section = text[text.index(OPEN_ITEM_TITLES["notify_provider"]) :]
    later = [section.find(t) for k, t in OPEN_ITEM_TITLES.items() if k != "notify_provider"]
    section = section[: min([i for i in later if i > 0], default=len(section))]
    assert untold_line in section and told_line not in section
    items = ma.reports.end_of_day_data(clock.now().date()).open_items
    notify_items = [i.description for i in items if i.kind == "notify_provider"]
    assert any(untold_line in t for t in notify_items)
    assert not any(told_line in t for t in notify_items)
