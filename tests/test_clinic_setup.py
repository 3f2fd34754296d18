"""A new clinic's plan: the pure rules, the one-transaction service, the all-or-nothing
store, the administrator's later changes and the recovery-key sheet."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ma_desk import clinic_setup
from ma_desk import clinic_setup_rules as rules
from ma_desk.actor import Actor
from ma_desk.db import keys
from ma_desk.db.models import AppointmentType, AuditEvent, Provider, Room, Setting, User
from ma_desk.errors import ConflictError, StaleVersionError, StoreError, ValidationError
from ma_desk.paths import store_path
from ma_desk.reports.recovery_key import INSTRUCTIONS, recovery_key_pdf
from ma_desk.services import Services
from tests.pdf_extract import have_pdftotext

PASSWORD = "copper tundra whistle ballad"
PASSPHRASE = "harbor velvet cactus mosaic lantern"
OPEN = rules.DayHours(dt.time(8), dt.time(17))
CLOSED = rules.DayHours(None, None)
WEEK = (OPEN,) * 5 + (CLOSED,) * 2


def a_plan(**changes) -> rules.ClinicPlan:
    plan = rules.ClinicPlan(
        clinic=rules.ClinicDetails(
            "Riverbend Clinic", "1 Example St", "(555) 010-0142", "America/Chicago"
        ),  # fmt: skip
        providers=(rules.ProviderPlan("Dr. Ada Quill", "MD"),),
        rooms=(rules.RoomPlan("Exam 1", "exam"), rules.RoomPlan("Procedure", "procedure")),
        hours=WEEK,
        slot_minutes=15,
        visit_types=(rules.VisitTypePlan("Follow-up", 15), rules.VisitTypePlan("New patient", 45)),
        admin=rules.AdminPlan("chief", "Cora Lindqvist", PASSWORD),
    )
    return dataclasses.replace(plan, **changes)


def folder_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------------ the pure rules
@given(st.text(max_size=200))
def test_any_clinic_name_is_judged_by_its_cleaned_length(name):
    details = rules.ClinicDetails(name, "", "(555) 010-0142", "America/Chicago")
    problems = rules.clinic_problems(details)
    assert ("clinic_name" in problems) == (not 1 <= len(rules.clean_text(name)) <= 120)


@pytest.mark.parametrize(("length", "ok"), [(0, False), (1, True), (120, True), (121, False)])
def test_clinic_name_length_boundaries(length, ok):
    details = rules.ClinicDetails("x" * length, "", "5550100142", "America/Chicago")
    assert ("clinic_name" not in rules.clinic_problems(details)) is ok


@given(st.text(max_size=40))
def test_any_phone_text_gets_an_answer_and_never_raises(text):
    problem = rules.phone_problem(text)
    if problem is None:
        digits = "".join(ch for ch in text if ch.isdigit())
        assert len(digits) >= 10


@given(st.from_regex(r"\A\(?[2-9][0-9]{2}\)?[ .-]?[0-9]{3}[ .-]?[0-9]{4}\Z"))
def test_every_written_form_of_a_us_number_is_accepted(text):
    assert rules.phone_problem(text) is None


@pytest.mark.parametrize("text", ["", "555-CALL-NOW", "010-0142", "12345678901234567",
                                  "+1 555 010 01", "5+55 010 0142"])  # fmt: skip
def test_bad_phones_are_refused_in_words(text):
    assert rules.phone_problem(text)


def test_the_time_zone_must_be_a_real_zone():
    good = rules.ClinicDetails("Riverbend", "", "5550100142", "Europe/Berlin")
    assert rules.clinic_problems(good) == {}
    for zone in ("", "Mars/Olympus", "CET; drop table"):
        bad = dataclasses.replace(good, time_zone=zone)
        assert "time_zone" in rules.clinic_problems(bad)


@given(st.text(max_size=12))
def test_any_typed_time_parses_or_is_refused(text):
    parsed = rules.parse_time(text)
    assert parsed is None or isinstance(parsed, dt.time)


@given(st.integers(0, 23), st.integers(0, 59))
def test_times_round_trip(hour, minute):
    for text in (f"{hour}:{minute:02d}", f"{hour:02d}{minute:02d}", f"{hour:02d}:{minute:02d}"):
        assert rules.parse_time(text) == dt.time(hour, minute)


@pytest.mark.parametrize("text", ["24:00", "8:60", "8:5", "8.30", "noon", "-1:00"])
def test_impossible_times_are_refused(text):
    assert rules.parse_time(text) is None


@pytest.mark.parametrize(("slot", "ok"), [(0, False), (4, False), (5, True), (120, True),
                                          (121, False), (True, False)])  # fmt: skip
def test_slot_size_boundaries(slot, ok):
    assert (rules.slot_problem(slot) is None) is ok


@pytest.mark.parametrize(("closes", "ok"), [(dt.time(8, 0), False), (dt.time(7, 59), False),
                                            (dt.time(8, 14), False), (dt.time(8, 15), True)])  # fmt: skip
def test_a_day_needs_one_whole_slot_after_opening(closes, ok):
    week = (rules.DayHours(dt.time(8), closes),) + (CLOSED,) * 6
    assert (rules.hours_problems(week, 15) == {}) is ok


def test_a_week_with_no_open_day_or_half_a_day_is_refused():
    assert "at least one day" in rules.hours_problems((CLOSED,) * 7, 15)["hours"]
    half = (rules.DayHours(dt.time(8), None),) + (CLOSED,) * 6
    assert "both the opening and the closing" in rules.hours_problems(half, 15)["hours"]
    assert "each day" in rules.hours_problems(WEEK[:6], 15)["hours"]


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 23 * 60), st.integers(1, 600)),
                min_size=7, max_size=7),
       st.integers(5, 120))  # fmt: skip
def test_hours_are_valid_exactly_when_every_open_day_holds_a_slot(days, slot):
    week = tuple(
        rules.DayHours(dt.time(start // 60, start % 60),
                       dt.time(min(start + length, 1439) // 60, min(start + length, 1439) % 60))
        if is_open else CLOSED
        for is_open, start, length in days
    )  # fmt: skip
    spans = [(d.opens, d.closes) for d in week if d.is_open]
    expected = bool(spans) and all(
        (c.hour * 60 + c.minute) - (o.hour * 60 + o.minute) >= slot for o, c in spans
    )
    assert (rules.hours_problems(week, slot) == {}) is expected


@pytest.mark.parametrize(("minutes", "ok"), [(0, False), (14, False), (15, True), (45, True),
                                             (480, True), (495, False), (-15, False)])  # fmt: skip
def test_visit_lengths_are_whole_slots(minutes, ok):
    types = (rules.VisitTypePlan("Follow-up", minutes),)
    assert (rules.visit_types_problems(types, 15) == {}) is ok


@given(st.text(max_size=50), st.text(max_size=30))
def test_any_room_row_is_judged_without_raising(name, room_type):
    problems = rules.rooms_problems((rules.RoomPlan(name, room_type),))
    cleaned = rules.clean_text(name)
    if 1 <= len(cleaned) <= 40 and rules.ROOM_TYPE_PATTERN.match(rules.room_type_key(room_type)):
        assert problems == {}
    else:
        assert problems


@pytest.mark.parametrize(("length", "ok"), [(40, True), (41, False)])
def test_room_name_length_boundary(length, ok):
    assert (rules.rooms_problems((rules.RoomPlan("R" * length, "exam"),)) == {}) is ok


@given(st.text(min_size=1, max_size=30).filter(lambda t: rules.clean_text(t)))
def test_the_same_room_twice_is_refused_whatever_the_case(name):
    shouted = f"  {name.upper()} "
    rooms = (rules.RoomPlan(name, "exam"), rules.RoomPlan(shouted, "exam"))
    same = rules.clean_text(name).casefold() == rules.clean_text(shouted).casefold()
    if same and len(rules.clean_text(shouted)) <= rules.MAX_ROOM_NAME:
        assert "two rooms called" in rules.rooms_problems(rooms)["rooms"]


def test_duplicate_providers_and_visit_types_are_refused():
    twice = (rules.ProviderPlan("Dr. Ada Quill"), rules.ProviderPlan("dr. ada  quill", "MD"))
    assert "listed twice" in rules.providers_problems(twice)["providers"]
    types = (rules.VisitTypePlan("Follow-up", 15), rules.VisitTypePlan("FOLLOW-UP", 30))
    assert "listed twice" in rules.visit_types_problems(types, 15)["visit_types"]
    assert "Add at least one provider" in rules.providers_problems(())["providers"]


@settings(deadline=None)  # the strength estimator is slow on a busy machine
@given(st.text(max_size=80))
def test_admin_rules_never_raise(password):
    problems = rules.admin_problems(rules.AdminPlan("chief", "Cora", password), password, [])
    assert set(problems) <= {"password"}


def test_the_admin_password_may_not_be_the_clinics_words():
    admin = rules.AdminPlan("chief", "Cora Lindqvist", "Riverbend Quill 2024!")
    words = rules.plan_words(a_plan(providers=(rules.ProviderPlan("Dr. Ada Quill"),)))
    assert "password" in rules.admin_problems(admin, admin.password, words)
    assert rules.admin_problems(rules.AdminPlan("chief", "Cora", PASSWORD), PASSWORD, words) == {}
    assert "repeat" in rules.admin_problems(rules.AdminPlan("chief", "Cora", PASSWORD), "x", [])
    assert "username" in rules.admin_problems(rules.AdminPlan("a b", "Cora", PASSWORD), PASSWORD,
                                              [])  # fmt: skip


@settings(deadline=None)  # the strength estimator is slow on a busy machine
@given(st.text(max_size=40), st.text(max_size=40))
def test_passphrase_rules_never_raise(passphrase, repeat):
    problems = rules.passphrase_problems(passphrase, repeat)
    if not problems:
        assert passphrase == repeat and keys.passphrase_problem(passphrase) is None


def test_hours_go_to_the_store_and_back():
    stored = rules.hours_to_store(WEEK)
    assert stored == {str(d): ["08:00", "17:00"] for d in range(5)}
    assert rules.hours_from_store(stored, dt.time(8), dt.time(17)) == WEEK
    every_day = rules.hours_from_store({}, dt.time(9), dt.time(12))
    assert every_day == (rules.DayHours(dt.time(9), dt.time(12)),) * 7
    assert rules.open_days(WEEK) == "01234"


# ------------------------------------------------------------------ the service
def counts(services: Services) -> tuple[int, ...]:
    with services.ctx.db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m))
                     for m in (User, Provider, Room, AppointmentType, Setting, AuditEvent))  # fmt: skip


def test_set_up_clinic_writes_the_whole_plan_in_one_go(store, clock):
    services = Services(store.db, clock, actor=Actor.nobody())
    actor = services.clinic_setup.set_up_clinic(a_plan())
    assert services.actor.username == "chief" and actor.role == "administrator"
    assert services.settings.get().clinic_name == "Riverbend Clinic"
    assert counts(services)[:4] == (1, 1, 2, 2)
    with store.db.read() as s:
        entry = s.scalars(select(AuditEvent).where(AuditEvent.action == "clinic_setup")).one()
        assert json.loads(entry.details)["rooms"] == ["Exam 1 (exam)", "Procedure (procedure)"]
        assert PASSWORD not in entry.details
    assert services.accounts.sign_in("chief", PASSWORD).username == "chief"


def test_a_bad_plan_or_a_second_set_up_changes_nothing(store, clock):
    services = Services(store.db, clock, actor=Actor.nobody())
    before = counts(services)
    with pytest.raises(ValidationError, match="closes|close after it opens"):
        services.clinic_setup.set_up_clinic(
            a_plan(hours=(rules.DayHours(dt.time(17), dt.time(8)),) + (CLOSED,) * 6)
        )
    assert counts(services) == before
    services.clinic_setup.set_up_clinic(a_plan())
    after = counts(services)
    services.ctx.new_session(Actor.nobody())
    with pytest.raises(ConflictError, match="already has accounts"):
        services.clinic_setup.set_up_clinic(a_plan(admin=rules.AdminPlan("other", "O", PASSWORD)))
    assert counts(services) == after


# ------------------------------------------------------------------ all or nothing on disk
def test_create_clinic_with_a_keyring(tmp_path, memory_keyring, clock):
    folder = tmp_path / "clinic"
    key = clinic_setup.prepare_key(None)
    assert memory_keyring.entries == {}  # nothing is kept before Finish
    opened = clinic_setup.create_clinic(folder, a_plan(), key, clock=clock)
    try:
        assert opened.key_source == keys.SOURCE_KEYRING
        assert keys.keyring_get(folder) == key.key.raw
        assert "clinic.madesk" in folder_listing(folder)
        assert clinic_setup.STAGING_FILENAME not in folder_listing(folder)
        assert keys.parse_recovery_key(key.recovery_key) == key.key.raw
    finally:
        opened.db.close()


def test_a_failure_the_rules_missed_leaves_nothing(tmp_path, memory_keyring, monkeypatch):
    monkeypatch.setattr(rules, "rooms_problems", lambda rooms: {})  # the rules miss it
    plan = a_plan(rooms=(rules.RoomPlan("Exam 1", "exam"), rules.RoomPlan("Exam 1", "exam")))
    folder = tmp_path / "clinic"
    with pytest.raises(IntegrityError):
        clinic_setup.create_clinic(folder, plan, clinic_setup.prepare_key(None))
    assert folder_listing(folder) == [] and not folder.exists()
    assert memory_keyring.entries == {}


def test_a_failure_in_an_existing_folder_keeps_the_folder_and_what_else_is_there(tmp_path):
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "notes.txt").write_text("the clinic's own file")
    plan = a_plan(admin=rules.AdminPlan("chief", "Cora", "weak"))
    with pytest.raises(ValidationError):
        clinic_setup.create_clinic(folder, plan, clinic_setup.prepare_key(PASSPHRASE),
                                   passphrase=PASSPHRASE)  # fmt: skip
    assert folder_listing(folder) == ["notes.txt"]


def test_a_folder_holding_a_store_is_refused_unchanged(store):
    before = folder_listing(store.data_dir)
    with pytest.raises(StoreError, match="already holds a clinic store"):
        clinic_setup.create_clinic(store.data_dir, a_plan(), clinic_setup.prepare_key(PASSPHRASE),
                                   passphrase=PASSPHRASE)  # fmt: skip
    assert folder_listing(store.data_dir) == before


def test_a_folder_with_only_traces_of_a_store_is_refused_and_the_traces_kept(tmp_path):
    folder = tmp_path / "clinic"
    folder.mkdir()
    (folder / "keyinfo.json").write_text('{"app": "ma-desk"}')
    (folder / "audit-witness.json").write_text("{}")
    with pytest.raises(StoreError, match="what is left of one"):
        clinic_setup.create_clinic(folder, a_plan(), clinic_setup.prepare_key(PASSPHRASE),
                                   passphrase=PASSPHRASE)  # fmt: skip
    assert folder_listing(folder) == ["audit-witness.json", "keyinfo.json"]


def test_a_folder_that_cannot_be_made_is_reported_in_words(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="could not be created"):
        clinic_setup.create_clinic(blocker / "clinic", a_plan(),
                                   clinic_setup.prepare_key(PASSPHRASE), passphrase=PASSPHRASE)  # fmt: skip
    assert blocker.read_text() == "not a folder"  # the file in the way is left alone


def test_a_staging_file_left_by_a_killed_set_up_is_no_store_and_is_replaced(tmp_path):
    folder = tmp_path / "clinic"
    folder.mkdir()
    clinic_setup.staging_path(folder).write_bytes(b"half made")
    opened = clinic_setup.create_clinic(folder, a_plan(), clinic_setup.prepare_key(PASSPHRASE),
                                        passphrase=PASSPHRASE)  # fmt: skip
    try:
        assert clinic_setup.STAGING_FILENAME not in folder_listing(folder)
        assert store_path(folder).exists()
    finally:
        opened.db.close()


# ------------------------------------------------------------------ later changes (administrator)
def test_administrator_changes_the_set_up_in_one_audited_save(store, clock):
    services = Services(store.db, clock, actor=Actor.nobody())
    services.clinic_setup.set_up_clinic(a_plan())
    setup = services.clinic_setup.current_setup()
    assert setup.clinic.name == "Riverbend Clinic" and setup.hours == WEEK
    versions = services.settings.versions()
    saturday = rules.DayHours(dt.time(9), dt.time(12))
    services.clinic_setup.update_setup(
        dataclasses.replace(
            setup,
            clinic=dataclasses.replace(setup.clinic, phone="(555) 010-0199"),
            providers=(rules.ProviderPlan("Dr. Ada Quill", "MD, PhD"),
                       rules.ProviderPlan("Ben Oyelaran", "NP")),
            rooms=(rules.RoomPlan("Exam 2", "exam"), rules.RoomPlan("Exam 1", "exam")),
            hours=WEEK[:5] + (saturday, CLOSED),
            visit_types=(rules.VisitTypePlan("Follow-up", 30),),
        ),
        expected_versions=versions,
    )  # fmt: skip
    after = services.clinic_setup.current_setup()
    assert after.providers == (rules.ProviderPlan("Dr. Ada Quill", "MD, PhD"),
                               rules.ProviderPlan("Ben Oyelaran", "NP"))  # fmt: skip
    assert after.rooms == (rules.RoomPlan("Exam 2", "exam"), rules.RoomPlan("Exam 1", "exam"))
    assert after.visit_types == (rules.VisitTypePlan("Follow-up", 30),)
    assert after.hours[5] == saturday and after.clinic.phone == "(555) 010-0199"
    assert [p.work_days for p in services.schedule.providers()] == ["012345", "012345"]
    with store.db.read() as s:
        audited = {e.entity: json.loads(e.details) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(("change", "settings_change"))))}  # fmt: skip
        assert s.scalar(select(Room).where(Room.name == "Procedure")).active is False
    assert audited["rooms"]["rooms"] == {"old": ["Exam 1 (exam)", "Procedure (procedure)"],
                                         "new": ["Exam 2 (exam)", "Exam 1 (exam)"]}  # fmt: skip
    assert audited["visit_types"]["visit_types"]["new"] == ["Follow-up (30 min)"]
    assert audited["settings"]["phone"] == {"old": "(555) 010-0142", "new": "(555) 010-0199"}


def test_a_bad_or_stale_settings_save_changes_nothing(store, clock):
    services = Services(store.db, clock, actor=Actor.nobody())
    services.clinic_setup.set_up_clinic(a_plan())
    setup = services.clinic_setup.current_setup()
    versions = services.settings.versions()
    before = counts(services)
    twice = (rules.RoomPlan("A", "exam"), rules.RoomPlan("a", "lab"))
    with pytest.raises(ValidationError, match="two rooms called"):
        services.clinic_setup.update_setup(dataclasses.replace(setup, rooms=twice))
    services.settings.update(phone="(555) 010-0177")  # another workstation saves first
    renamed = dataclasses.replace(setup, clinic=dataclasses.replace(setup.clinic, phone="5550100188"),
                                  rooms=(rules.RoomPlan("Exam 9", "exam"),))  # fmt: skip
    with pytest.raises(StaleVersionError):
        services.clinic_setup.update_setup(renamed, expected_versions=versions)
    assert counts(services)[:5] == before[:5]
    assert services.clinic_setup.current_setup().rooms == setup.rooms


# ------------------------------------------------------------------ the recovery-key sheet
KEY = keys.format_recovery_key(bytes(range(32)))


def pdf_text(pdf: bytes) -> str:
    if not have_pdftotext():
        pytest.skip("pdftotext (poppler-utils) is not installed; CI installs it")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "key.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                              capture_output=True, check=True).stdout.decode()  # fmt: skip


def test_the_recovery_key_sheet_is_one_page_with_the_key_and_what_to_do():
    pdf = recovery_key_pdf(KEY, clinic_name="Riverbend Clinic", data_dir="/srv/clinic",
                           created=dt.datetime(2026, 11, 23, 9, 0))  # fmt: skip
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    text = " ".join(pdf_text(pdf).split())
    assert " ".join(KEY.split("-")) in text  # every group, in order
    assert "keep locked away" in text.casefold() or "locked away" in text
    for instruction in INSTRUCTIONS:
        assert " ".join(instruction.split())[:40] in text
    assert "Riverbend Clinic" in text and "/srv/clinic" in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200), st.text(max_size=200))
def test_any_clinic_name_and_folder_keep_the_sheet_on_one_page(name, folder):
    pdf = recovery_key_pdf(KEY, clinic_name=name, data_dir=folder,
                           created=dt.datetime(2026, 11, 23, 9, 0))  # fmt: skip
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
