"""The appointment book's service: booking rules, moves, series, waitlist, next open slot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ma_desk.actor import Actor
from ma_desk.clinical import flow
from ma_desk.db.models import AppointmentType, Provider, Room
from ma_desk.db.store import open_store
from ma_desk.errors import ConflictError, NeedsConfirmation, NotFoundError, ValidationError
from ma_desk.services import Services
from ma_desk.services.patients import PatientInput
from ma_desk.services.schedule import add_months, occurrences
from tests.conftest import NOW, PASSPHRASE

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL

TOMORROW = (NOW + dt.timedelta(days=1)).replace(hour=9, minute=0)


@dataclass
class Clinic:
    services: Services
    providers: list[int]
    types: dict[str, int]
    rooms: list[int]
    patients: list[int]


def build_small_clinic(services: Services) -> Clinic:
    """Two providers (one works Mon-Thu 9-15), three types, two rooms, four patients."""
    with services.ctx.db.write() as s:
        okafor = Provider(
            display_name="Dr. Test Okafor",
            credentials="MD",
            color="#2e86c1",
            work_start=dt.time(8),
            work_end=dt.time(17),
            work_days="01234",
        )
        lee = Provider(
            display_name="Dr. Test Lee",
            credentials="DO",
            color="#28a745",
            work_start=dt.time(9),
            work_end=dt.time(15),
            work_days="0123",
        )
        follow = AppointmentType(name="Follow-up", default_minutes=15, color="#aed6f1")
        physical = AppointmentType(name="Annual physical", default_minutes=30, color="#a9dfbf")
        new = AppointmentType(name="New patient", default_minutes=45, color="#d7bde2")
        rooms = [
            Room(name="Exam 1", state="ready", sort_order=0),
            Room(name="Exam 2", state="ready", sort_order=1),
        ]
        s.add_all([okafor, lee, follow, physical, new, *rooms])
        s.flush()
        ids = ([okafor.id, lee.id], {"Follow-up": follow.id, "Annual physical": physical.id,
               "New patient": new.id}, [r.id for r in rooms])  # fmt: skip
    patients = [
        services.patients.register(
            PatientInput(first_name=f, last_name=last, dob=dob, phone=f"555-010-01{n}"),
            duplicate_override=True,
        ).id
        for f, last, dob, n in [
            ("Ada", "Testperson", dt.date(1980, 4, 5), 11),
            ("Ben", "Sample", dt.date(2019, 6, 1), 22),
            ("Cora", "Example", dt.date(1950, 1, 20), 33),
            ("Dev", "Fixture", dt.date(1995, 9, 9), 44),
        ]
    ]
    return Clinic(services, ids[0], ids[1], ids[2], patients)


@pytest.fixture
def clinic(services) -> Clinic:
    return build_small_clinic(services)


def book(c: Clinic, start=TOMORROW, patient=0, provider=0, kind="Follow-up", **kw):
    return c.services.schedule.book(
        patient_id=c.patients[patient], provider_id=c.providers[provider],
        type_id=c.types[kind], start=start, **kw,
    )  # fmt: skip


# ------------------------------------------------------------------ booking
def test_book_uses_type_default_length_and_reads_back_in_the_day(clinic):
    row = book(clinic, kind="Annual physical", reason="  yearly   check ")
    assert row.minutes == 30 and row.reason == "yearly check"
    day = clinic.services.schedule.day(TOMORROW.date())
    assert [r.id for r in day] == [row.id]
    assert day[0].patient_name == "Testperson, Ada" and day[0].patient_age == 46
    assert day[0].status == flow.SCHEDULED and day[0].type_color == "#a9dfbf"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": NOW - dt.timedelta(hours=1)}, "start"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": -15}, "minutes"),
        ({"minutes": 8 * 60 + 1}, "minutes"),
        ({"reason": "x" * 201}, "reason"),
    ],
)
def test_errors_refuse_even_when_confirmed(clinic, kwargs, field):
    with pytest.raises(ValidationError) as err:
        book(clinic, confirm=True, **kwargs)
    assert err.value.field == field
    assert clinic.services.schedule.day(TOMORROW.date()) == []


def test_unknown_patient_is_an_error_not_a_warning(clinic):
    with pytest.raises(ValidationError) as err:
        clinic.services.schedule.book(patient_id=9999, provider_id=clinic.providers[0],
                                      type_id=clinic.types["Follow-up"], start=TOMORROW,
                                      confirm=True)  # fmt: skip
    assert err.value.field == "patient"


def test_double_booking_and_patient_clash_warn_and_can_be_overridden(clinic):
    book(clinic)
    with pytest.raises(NeedsConfirmation) as warn:
        book(clinic, patient=1, start=TOMORROW + dt.timedelta(minutes=5))
    assert any("Double booking" in w for w in warn.value.warnings)
    with pytest.raises(NeedsConfirmation) as warn:
        book(clinic, provider=1, start=TOMORROW + dt.timedelta(minutes=10))
    assert warn.value.warnings == ["The patient is already booked at 09:00."]
    book(clinic, patient=1, start=TOMORROW + dt.timedelta(minutes=5), confirm=True)
    assert len(clinic.services.schedule.day(TOMORROW.date())) == 2


def test_outside_hours_and_days_off_warn(clinic):
    with pytest.raises(NeedsConfirmation) as warn:
        book(clinic, provider=1, start=TOMORROW.replace(hour=16))
    assert "Outside Dr. Test Lee's hours (09:00-15:00)." in warn.value.warnings
    friday = TOMORROW + dt.timedelta(days=3)
    with pytest.raises(NeedsConfirmation) as warn:
        book(clinic, provider=1, start=friday)
    assert warn.value.warnings == ["Dr. Test Lee does not work on Fridays."]


def test_a_cancelled_slot_is_free_again(clinic):
    first = book(clinic)
    with pytest.raises(NeedsConfirmation):  # taken while the first visit stands
        book(clinic, patient=1)
    clinic.services.schedule.cancel(first.id, "Patient called")
    second = book(clinic, patient=1)  # no warning now
    assert (second.start, second.provider_id) == (first.start, first.provider_id)
    day = {r.id: r.status for r in clinic.services.schedule.day(TOMORROW.date())}
    assert day == {first.id: flow.CANCELLED, second.id: flow.SCHEDULED}


# ------------------------------------------------------------------ edit and move
def test_reschedule_to_other_slot_and_provider(clinic):
    row = book(clinic)
    moved = clinic.services.schedule.update(
        row.id, start=TOMORROW.replace(hour=10), provider_id=clinic.providers[1]
    )[0]
    assert moved.start.hour == 10 and moved.provider_id == clinic.providers[1]
    assert moved.minutes == 15


def test_moving_onto_another_booking_warns(clinic):
    a = book(clinic)
    b = book(clinic, patient=1, start=TOMORROW.replace(hour=11))
    with pytest.raises(NeedsConfirmation):
        clinic.services.schedule.update(b.id, start=a.start)
    assert clinic.services.schedule.get(b.id).start == b.start  # asked, not moved
    # moving a booking onto itself (same slot) is not a clash
    kept = clinic.services.schedule.update(a.id, start=a.start, reason="Lab results")[0]
    assert (kept.start, kept.reason) == (a.start, "Lab results")


def test_edit_changes_type_length_and_reason(clinic):
    row = book(clinic)
    edited = clinic.services.schedule.update(
        row.id, type_id=clinic.types["New patient"], reason="Establish care"
    )[0]
    assert (edited.type_name, edited.minutes, edited.reason) == (
        "New patient", 45, "Establish care")  # fmt: skip


def test_cannot_move_into_the_past_or_edit_a_finished_visit(clinic):
    row = book(clinic, reason="Cough")
    with pytest.raises(ValidationError):
        clinic.services.schedule.update(row.id, start=NOW - dt.timedelta(days=1))
    assert clinic.services.schedule.get(row.id).start == row.start
    clinic.services.schedule.transition(row.id, flow.ARRIVED)
    with pytest.raises(ConflictError):
        clinic.services.schedule.update(row.id, reason="changed")
    assert clinic.services.schedule.get(row.id).reason == "Cough"


def test_cancel_needs_a_reason_and_keeps_it(clinic):
    row = book(clinic)
    with pytest.raises(ValidationError):
        clinic.services.schedule.cancel(row.id, "   ")
    result = clinic.services.schedule.cancel(row.id, "Feeling better")
    assert result.cancelled[0].status == flow.CANCELLED
    assert result.cancelled[0].cancel_reason == "Feeling better"
    with pytest.raises(ConflictError):
        clinic.services.schedule.cancel(row.id, "again")
    with pytest.raises(NotFoundError):
        clinic.services.schedule.cancel(999999, "gone")


def test_follow_up_in_weeks_keeps_patient_provider_and_time(clinic):
    row = book(clinic, kind="Annual physical")
    follow = clinic.services.schedule.book_follow_up(row.id, weeks=2)
    assert follow.start == row.start + dt.timedelta(weeks=2)
    assert (follow.patient_id, follow.provider_id, follow.minutes) == (
        row.patient_id, row.provider_id, 30)  # fmt: skip
    with pytest.raises(ValidationError):
        clinic.services.schedule.book_follow_up(row.id, days=0)


# ------------------------------------------------------------------ series
def test_occurrences_rules():
    start = dt.datetime(2027, 1, 31, 9)
    assert [d.date() for d in occurrences(start, "months", 1, count=3)] == [
        dt.date(2027, 1, 31), dt.date(2027, 2, 28), dt.date(2027, 3, 31)]  # fmt: skip
    assert len(occurrences(start, "weeks", 2, until=dt.date(2027, 3, 31))) == 5
    with pytest.raises(ValidationError):
        occurrences(start, "weeks", 1)
    with pytest.raises(ValidationError):
        occurrences(start, "weeks", 1, count=3, until=dt.date(2027, 3, 1))
    with pytest.raises(ValidationError):
        occurrences(start, "days", 1, until=dt.date(2030, 1, 1))
    with pytest.raises(ValidationError):
        occurrences(start, "years", 1, count=2)
    assert add_months(dt.datetime(2027, 11, 30), 3) == dt.datetime(2028, 2, 29)


def test_series_books_all_cancels_rest_and_moves_rest(clinic):
    rows = clinic.services.schedule.book_series(
        patient_id=clinic.patients[0], provider_id=clinic.providers[0],
        type_id=clinic.types["Follow-up"], start=TOMORROW, frequency="weeks", interval=1, count=4,
    )  # fmt: skip
    assert len(rows) == 4 and len({r.series_id for r in rows}) == 1
    moved = clinic.services.schedule.update(
        rows[1].id, start=rows[1].start + dt.timedelta(hours=1), scope="following"
    )
    assert [r.start.hour for r in moved] == [10, 10, 10]
    assert clinic.services.schedule.get(rows[0].id).start.hour == 9
    result = clinic.services.schedule.cancel(rows[2].id, "Stopping therapy", scope="following")
    assert [r.id for r in result.cancelled] == [rows[2].id, rows[3].id]
    statuses = [r.status for r in clinic.services.schedule.series(rows[0].series_id)]
    assert statuses == [flow.SCHEDULED, flow.SCHEDULED, flow.CANCELLED, flow.CANCELLED]


def test_series_warns_per_date_and_books_nothing_unconfirmed(clinic):
    book(clinic, start=TOMORROW + dt.timedelta(weeks=1), patient=2)
    with pytest.raises(NeedsConfirmation) as warn:
        clinic.services.schedule.book_series(
            patient_id=clinic.patients[0], provider_id=clinic.providers[0],
            type_id=clinic.types["Follow-up"], start=TOMORROW, frequency="weeks", count=3,
        )  # fmt: skip
    assert len(warn.value.warnings) == 1 and "Double booking" in warn.value.warnings[0]
    assert len(clinic.services.schedule.range(TOMORROW.date(), TOMORROW.date() + dt.timedelta(
        days=30))) == 1  # fmt: skip


# ------------------------------------------------------------------ waitlist and open slots
def test_cancellation_offers_matching_waitlist_entries_and_booking_resolves_them(clinic):
    row = book(clinic, kind="Annual physical")
    wl = clinic.services.waitlist
    match = wl.add(
        patient_id=clinic.patients[1],
        provider_id=clinic.providers[0],
        preferred_days="0123456",
        preferred_from=dt.time(8),
        preferred_to=dt.time(12),
    )
    wl.add(patient_id=clinic.patients[2], provider_id=clinic.providers[1])  # other provider
    wl.add(patient_id=clinic.patients[3], preferred_from=dt.time(13))  # afternoons only
    wl.add(patient_id=clinic.patients[3], type_id=clinic.types["New patient"])  # too long
    result = clinic.services.schedule.cancel(row.id, "Out of town")
    assert [o.id for o in result.offers] == [match.id]
    clinic.services.schedule.book(
        patient_id=match.patient_id, provider_id=clinic.providers[0],
        type_id=clinic.types["Follow-up"], start=row.start, waitlist_entry_id=match.id,
    )  # fmt: skip
    assert match.id not in [e.id for e in wl.entries()]
    with pytest.raises(ValidationError):
        wl.add(patient_id=clinic.patients[0], preferred_days="")
    with pytest.raises(ValidationError):
        wl.add(patient_id=clinic.patients[0], preferred_from=dt.time(12),
               preferred_to=dt.time(9))  # fmt: skip


def test_next_open_slot_skips_busy_times_days_off_and_the_past(services, clinic):
    schedule = clinic.services.schedule
    lee = clinic.providers[1]
    # now is Monday 10:30: Lee's first free 15 minutes today is 10:30
    assert schedule.next_open_slot(lee, 15) == NOW
    book(clinic, provider=1, start=NOW + dt.timedelta(minutes=1), confirm=True)
    assert schedule.next_open_slot(lee, 15) == NOW.replace(hour=11, minute=0)
    # Friday for Lee is off: from Thursday 14:50 for 30 minutes -> next Monday 9:00
    thursday = dt.datetime(2026, 11, 26, 14, 50)
    assert schedule.next_open_slot(lee, 30, after=thursday) == dt.datetime(2026, 11, 30, 9)
    with pytest.raises(ValidationError):
        schedule.next_open_slot(lee, 0)


def test_everything_survives_closing_and_reopening(store, clock, data_dir):
    services = Services(store.db, clock, actor=Actor.system())
    clinic = build_small_clinic(services)
    row = book(clinic)
    services.schedule.transition(row.id, flow.CONFIRMED)
    series = services.schedule.book_series(
        patient_id=clinic.patients[1], provider_id=clinic.providers[0],
        type_id=clinic.types["Follow-up"], start=TOMORROW.replace(hour=14), frequency="days",
        count=2,
    )  # fmt: skip
    services.waitlist.add(patient_id=clinic.patients[2])
    store.db.close()
    reopened = open_store(data_dir, passphrase=PASSPHRASE)
    try:
        again = Services(reopened.db, clock, actor=Actor.system())
        assert again.schedule.get(row.id).status == flow.CONFIRMED
        assert len(again.schedule.series(series[0].series_id)) == 2
        assert [e.patient_id for e in again.waitlist.entries()] == [clinic.patients[2]]
        assert [c.to_status for c in again.schedule.history(row.id)] == [flow.CONFIRMED]
    finally:
        reopened.db.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reason=st.text(max_size=250))
def test_any_typed_reason_is_saved_cleaned_or_refused(clinic, reason):
    try:
        row = book(clinic, reason=reason, confirm=True)
    except ValidationError as err:
        assert err.field == "reason"
        assert len(" ".join(reason.split())) > 200 or "\x00" in reason
        return
    assert row.reason == " ".join(reason.split())
    clinic.services.schedule.cancel(row.id, "test cleanup")


def test_demo_books_age_appropriate_visits_once_per_patient_a_day(demo_services, clock):
    schedule = demo_services.schedule
    rows = schedule.range(clock.now().date() - dt.timedelta(days=7),
                          clock.now().date() + dt.timedelta(days=8))  # fmt: skip
    assert rows
    for r in rows:
        if r.type_name == "Well child":
            assert r.patient_age < 18, r
        if r.reason == "Medicare wellness visit":
            assert r.patient_age >= 65, r
    per_day = [(r.start.date(), r.patient_id) for r in rows]
    assert len(per_day) == len(set(per_day))
    assert 1 <= len(demo_services.waitlist.entries()) <= 4
