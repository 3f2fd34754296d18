"""Patient flow: legal moves, refusals, late arrival, rooms, undo, the flow board."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ma_desk.clinical import flow
from ma_desk.db.models import Visit
from ma_desk.errors import ConflictError, ValidationError
from tests.test_schedule_service import TOMORROW, book, clinic  # noqa: F401 (fixture)

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

NOW = dt.datetime(2026, 11, 23, 10, 30)


def room_state(c, room_id):
    return {r.id: r.state for r in c.services.rooms.board()}[room_id]


def test_walk_through_every_status_with_timestamps(clinic, clock):  # noqa: F811
    schedule = clinic.services.schedule
    row = book(clinic, start=NOW + dt.timedelta(minutes=5))
    room = clinic.rooms[0]
    steps = [(flow.CONFIRMED, {}), (flow.ARRIVED, {}), (flow.ROOMED, {"room_id": room}),
             (flow.WITH_PROVIDER, {}), (flow.CHECKED_OUT, {})]  # fmt: skip
    for target, kwargs in steps:
        clock.advance(minutes=4)
        row = schedule.transition(row.id, target, **kwargs)
        assert row.status == target
    assert row.arrived_at == NOW + dt.timedelta(minutes=8)
    assert row.roomed_at == NOW + dt.timedelta(minutes=12)
    assert row.provider_at == NOW + dt.timedelta(minutes=16)
    assert row.checked_out_at == NOW + dt.timedelta(minutes=20)
    assert room_state(clinic, room) == "needs_turnover"
    history = schedule.history(row.id)
    assert [(h.from_status, h.to_status) for h in history] == [
        (flow.SCHEDULED, flow.CONFIRMED), (flow.CONFIRMED, flow.ARRIVED),
        (flow.ARRIVED, flow.ROOMED), (flow.ROOMED, flow.WITH_PROVIDER),
        (flow.WITH_PROVIDER, flow.CHECKED_OUT)]  # fmt: skip
    assert [h.at.minute for h in history] == [34, 38, 42, 46, 50]


@pytest.mark.parametrize("final", [flow.NO_SHOW, flow.CANCELLED])
def test_no_show_and_cancelled_are_final(clinic, final):  # noqa: F811
    row = book(clinic)
    clinic.services.schedule.transition(row.id, final, reason="called")
    with pytest.raises(ConflictError) as err:
        clinic.services.schedule.transition(row.id, flow.ROOMED, room_id=clinic.rooms[0])
    assert "cannot be marked roomed" in str(err.value)
    assert room_state(clinic, clinic.rooms[0]) == "ready"


def test_left_without_being_seen_frees_the_room(clinic):  # noqa: F811
    schedule = clinic.services.schedule
    row = book(clinic, start=NOW + dt.timedelta(minutes=5))
    schedule.transition(row.id, flow.ARRIVED)
    schedule.transition(row.id, flow.ROOMED, room_id=clinic.rooms[1])
    assert room_state(clinic, clinic.rooms[1]) == "occupied"
    schedule.transition(row.id, flow.LEFT_WITHOUT_BEING_SEEN)
    assert room_state(clinic, clinic.rooms[1]) == "needs_turnover"


def test_rooming_needs_a_ready_room(clinic):  # noqa: F811
    schedule = clinic.services.schedule
    a = book(clinic, start=NOW + dt.timedelta(minutes=5))
    b = book(clinic, patient=1, start=NOW + dt.timedelta(minutes=5), provider=1)
    for r in (a, b):
        schedule.transition(r.id, flow.ARRIVED)
    with pytest.raises(ValidationError):
        schedule.transition(a.id, flow.ROOMED)
    schedule.transition(a.id, flow.ROOMED, room_id=clinic.rooms[0])
    with pytest.raises(ConflictError) as err:
        schedule.transition(b.id, flow.ROOMED, room_id=clinic.rooms[0])
    assert "Exam 1 is not ready (occupied)" in str(err.value)


def test_late_uses_the_clinic_setting(clinic, clock):  # noqa: F811
    schedule = clinic.services.schedule
    clinic.services.settings.update(late_after_minutes=20)
    a = book(clinic, start=NOW + dt.timedelta(minutes=1))
    b = book(clinic, patient=1, provider=1, start=NOW + dt.timedelta(minutes=1))
    clock.advance(minutes=16)
    assert not schedule.transition(a.id, flow.ARRIVED).is_late
    clock.advance(minutes=10)
    assert schedule.transition(b.id, flow.ARRIVED).is_late


def test_undo_takes_back_each_step_and_its_side_effects(clinic, clock):  # noqa: F811
    schedule = clinic.services.schedule
    row = book(clinic, start=NOW + dt.timedelta(minutes=5))
    room = clinic.rooms[0]
    schedule.transition(row.id, flow.ARRIVED)
    schedule.transition(row.id, flow.ROOMED, room_id=room)
    schedule.transition(row.id, flow.CHECKED_OUT)
    assert room_state(clinic, room) == "needs_turnover"
    back = schedule.undo_last_transition(row.id)
    assert back.status == flow.ROOMED and back.checked_out_at is None
    assert room_state(clinic, room) == "occupied"
    back = schedule.undo_last_transition(row.id)
    assert back.status == flow.ARRIVED and back.room_id is None and back.roomed_at is None
    assert room_state(clinic, room) == "ready"
    back = schedule.undo_last_transition(row.id)
    assert back.status == flow.SCHEDULED and back.visit_id is None
    with pytest.raises(ConflictError):
        schedule.undo_last_transition(row.id)
    assert [h.undone for h in schedule.history(row.id)] == [True, True, True]


def test_undo_of_a_cancellation_restores_the_booking(clinic):  # noqa: F811
    schedule = clinic.services.schedule
    row = book(clinic)
    schedule.cancel(row.id, "wrong patient called")
    back = schedule.undo_last_transition(row.id)
    assert back.status == flow.SCHEDULED and back.cancel_reason == ""


def test_undo_of_check_out_refused_once_the_room_is_turned_over(clinic):  # noqa: F811
    schedule = clinic.services.schedule
    row = book(clinic, start=NOW + dt.timedelta(minutes=5))
    schedule.transition(row.id, flow.ARRIVED)
    schedule.transition(row.id, flow.ROOMED, room_id=clinic.rooms[0])
    schedule.transition(row.id, flow.CHECKED_OUT)
    clinic.services.rooms.set_state(clinic.rooms[0], "out_of_service", "Broken table")
    with pytest.raises(ConflictError) as err:
        schedule.undo_last_transition(row.id)
    assert "turned over" in str(err.value)
    assert schedule.get(row.id).status == flow.CHECKED_OUT


def test_flow_board_waits(clinic, clock):  # noqa: F811
    schedule = clinic.services.schedule
    a = book(clinic, start=NOW + dt.timedelta(minutes=1))
    b = book(clinic, patient=1, provider=1, start=NOW + dt.timedelta(minutes=1))
    book(clinic, patient=2, start=NOW + dt.timedelta(minutes=30))
    schedule.transition(a.id, flow.ARRIVED)
    clock.advance(minutes=10)
    schedule.transition(b.id, flow.ARRIVED)
    clock.advance(minutes=8)
    schedule.transition(a.id, flow.ROOMED, room_id=clinic.rooms[0])
    clock.advance(minutes=20)
    board = schedule.flow_board()
    assert [f.appointment.id for f in board] == [a.id, b.id]
    first, second = board
    assert (first.waiting_minutes, first.in_room_minutes, first.total_minutes) == (18, 20, 38)
    assert (second.waiting_minutes, second.in_room_minutes, second.total_minutes) == (28, 0, 28)


def test_wait_levels_and_minutes():
    assert flow.wait_level(14) == flow.WAIT_OK
    assert flow.wait_level(15) == flow.WAIT_WARN
    assert flow.wait_level(30) == flow.WAIT_ALERT
    assert flow.wait_level(9, 5, 10) == flow.WAIT_WARN
    t = dt.datetime(2026, 1, 1, 9)
    assert flow.minutes_between(t, t - dt.timedelta(minutes=3)) == 0
    assert flow.minutes_between(None, t) == 0


@given(current=st.sampled_from(flow.STATUSES), target=st.sampled_from(flow.STATUSES))
def test_every_pair_is_allowed_or_refused_with_a_message(current, target):
    refusal = flow.transition_refusal(current, target)
    assert (refusal is None) == flow.can_transition(current, target)
    if refusal:
        assert flow.LABELS[target].lower() in refusal.lower()


def test_undo_of_arrival_refused_once_check_in_work_is_on_the_visit(clinic):  # noqa: F811
    schedule = clinic.services.schedule
    row = book(clinic, start=NOW + dt.timedelta(minutes=5))
    schedule.transition(row.id, flow.ARRIVED)
    with clinic.services.ctx.db.write() as s:
        s.get(Visit, schedule.get(row.id).visit_id).forms_signed = ["HIPAA notice"]
    with pytest.raises(ConflictError) as err:
        schedule.undo_last_transition(row.id)
    assert "cannot be un-arrived" in str(err.value)
    assert schedule.get(row.id).status == flow.ARRIVED


def _arrived(clinic, patient=0, provider=0):  # noqa: F811
    row = book(clinic, patient=patient, provider=provider, start=NOW + dt.timedelta(minutes=5))
    clinic.services.schedule.transition(row.id, flow.ARRIVED)
    return row, clinic.services.schedule.get(row.id).visit_id


def _record_work(clinic, visit_id: int, work: str) -> None:  # noqa: F811
    from ma_desk.db.models import VisitTask, VitalSet

    with clinic.services.ctx.db.write() as s:
        visit = s.get(Visit, visit_id)
        if work == "vitals":
            s.add(VitalSet(patient_id=visit.patient_id, visit_id=visit_id, taken_at=NOW))
        elif work == "task":
            s.add(VisitTask(visit_id=visit_id, kind="notify_provider", message="Call",
                            created_at=NOW))  # fmt: skip
        elif work == "copay":
            visit.copay_collected_cents = 2500


@pytest.mark.parametrize("work", ["vitals", "task", "copay"])
def test_undo_of_arrival_refused_for_each_kind_of_work(clinic, work):  # noqa: F811
    row, visit_id = _arrived(clinic)
    _record_work(clinic, visit_id, work)
    with pytest.raises(ConflictError) as err:
        clinic.services.schedule.undo_last_transition(row.id)
    assert str(err.value) == (
        "Work was already recorded on this visit (vitals, forms, tasks or a copay); "
        "it cannot be un-arrived."
    )
    assert clinic.services.schedule.get(row.id).status == flow.ARRIVED


@pytest.mark.parametrize("work", ["vitals", "task"])
def test_work_on_another_visit_does_not_block_an_undo(clinic, work):  # noqa: F811
    row, _ = _arrived(clinic)
    _, other_visit = _arrived(clinic, patient=1, provider=1)
    _record_work(clinic, other_visit, work)
    back = clinic.services.schedule.undo_last_transition(row.id)
    assert back.status == flow.SCHEDULED and back.visit_id is None


def test_undo_of_a_late_arrival_clears_late(clinic, clock):  # noqa: F811
    clinic.services.settings.update(late_after_minutes=5)
    row = book(clinic, start=NOW + dt.timedelta(minutes=1))
    clock.advance(minutes=20)
    assert clinic.services.schedule.transition(row.id, flow.ARRIVED).is_late
    back = clinic.services.schedule.undo_last_transition(row.id)
    assert back.status == flow.SCHEDULED and not back.is_late
