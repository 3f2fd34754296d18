"""The audit trail: expected entries per action, and tampering (edit, delete, reorder,
truncate) detected by verify, which names the entry."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from ma_desk import audit
from ma_desk.clock import FixedClock
from ma_desk.db.models import AuditEvent
from ma_desk.errors import AuthenticationError
from ma_desk.security.witness import data_dir_of, read_witness, write_witness
from ma_desk.services.audit_log import AuditFilter
from tests.tamper import append_only_lifted

pytestmark = pytest.mark.both_stores  # services run on SQLCipher and PostgreSQL


def last_id(services) -> int:
    with services.ctx.db.read() as s:
        return s.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0


def new_entries(services, since: int) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.id > since)
                              .order_by(AuditEvent.id)))  # fmt: skip


def sql(services, statement: str, **params) -> None:
    with services.ctx.db.engine.begin() as conn, append_only_lifted(conn):
        conn.execute(text(statement), params)


def problems(services) -> list[audit.ChainProblem]:
    with services.ctx.db.read() as s:
        return audit.verify_store(s, witness=read_witness(data_dir_of(services.ctx.db)))


# ------------------------------------------------------------------ expected entries
def test_each_audited_action_leaves_exactly_its_entry(demo_services, sign_in_as, tmp_path):
    sign_in_as("admin")
    cases = [
        (lambda: demo_services.patients.open_chart(7), [("view", "patient", 7, "success")]),
        (lambda: demo_services.patients.update(7, phone="(555) 010-0142"),
         [("update", "patient", 7, "success")]),
        (lambda: demo_services.settings.update(idle_lock_minutes=3),
         [("settings_change", "settings", None, "success")]),
        (lambda: demo_services.audit_log.search(AuditFilter(username="ma")),
         [("query", "audit", None, "success")]),
        (lambda: demo_services.audit_log.export_csv(AuditFilter(), tmp_path / "a.csv"),
         [("export", "audit", None, "success")]),
        (lambda: demo_services.accounts.record_lock("Ctrl+L"),
         [("lock", "session", None, "success")]),
        (lambda: demo_services.accounts.sign_out(),  # an administrator seals on the way out
         [("seal", "audit", None, "success"), ("sign_out", "session", None, "success")]),
    ]  # fmt: skip
    for action, expected in cases:
        before = last_id(demo_services)
        action()
        got = [
            (e.action, e.entity, e.patient_id, e.outcome)
            for e in new_entries(demo_services, before)
        ]
        assert got == expected
    update = next(e for e in new_entries(demo_services, 0) if e.action == "update")
    assert json.loads(update.details) == {"phone": "changed"}  # the field, never the value
    assert "010-0142" not in update.details
    for e in new_entries(demo_services, 0):
        assert e.at and e.workstation and e.username and e.hash and e.prev_hash


@pytest.mark.sqlcipher_only  # a backup of the store file
def test_backup_and_failed_sign_in_are_audited(demo_services, demo_dir, sign_in_as, tmp_path):
    from ma_desk.backup import backup_store

    actor = sign_in_as("ma")
    before = last_id(demo_services)
    backup_store(demo_services.ctx.db, tmp_path / "b.madesk", actor=actor)
    with pytest.raises(AuthenticationError):
        demo_services.accounts.sign_in("ma", "wrong password here")
    got = [(e.action, e.username, e.outcome) for e in new_entries(demo_services, before)]
    assert got == [("backup", "ma", "success"), ("sign_in_failed", "ma", "failure")]


# ------------------------------------------------------------------ tampering in the store
def test_intact_chain_verifies(demo_services, sign_in_as):
    sign_in_as("admin")
    assert demo_services.audit_log.verify().problems == []


def test_edited_entry_is_named(demo_services):
    sql(demo_services, "UPDATE audit_events SET details = :d WHERE id = 3", d='{"x": 1}')
    found = problems(demo_services)
    assert [p.entry_id for p in found] == [3]
    assert "changed" in str(found[0]) and "audit entry 3" in str(found[0])


def test_edited_entry_with_recomputed_hash_breaks_the_next_link(demo_services):
    with demo_services.ctx.db.write() as s, append_only_lifted(s.connection()):
        event = s.get(AuditEvent, 4)
        event.username = "somebody else"
        event.hash = audit.entry_hash(event, event.prev_hash)
        s.flush()
    found = problems(demo_services)
    assert 5 in [p.entry_id for p in found]


def test_deleted_entry_is_named(demo_services):
    sql(demo_services, "DELETE FROM audit_events WHERE id = 5")
    found = problems(demo_services)
    assert found and found[0].entry_id == 6
    assert "missing" in found[0].problem


def test_reordered_entries_are_named(demo_services):
    sql(demo_services, "UPDATE audit_events SET id = -1 WHERE id = 2")
    sql(demo_services, "UPDATE audit_events SET id = 2 WHERE id = 3")
    sql(demo_services, "UPDATE audit_events SET id = 3 WHERE id = -1")
    ids = {p.entry_id for p in problems(demo_services)}
    assert {2, 3} <= ids


def test_truncated_log_is_detected_by_the_head_anchor(demo_services, sign_in_as):
    sign_in_as("ma")
    demo_services.accounts.record_lock("idle")
    last = last_id(demo_services)
    sql(demo_services, "DELETE FROM audit_events WHERE id > :keep", keep=last - 2)
    found = problems(demo_services)
    assert found[0].entry_id == last
    assert f"entries {last - 1} to {last} are missing" in str(found[0])
    if demo_services.ctx.db.kind == "sqlcipher":  # the witness file beside the store
        assert [p.problem for p in found[1:]] == [
            "recorded by the witness file but missing from the log"
        ]


def test_emptied_log_is_detected(demo_services):
    sql(demo_services, "DELETE FROM audit_events")
    found = problems(demo_services)
    assert found and "emptied" in found[0].problem


@pytest.mark.sqlcipher_only  # the witness files live beside the store file
def test_truncation_that_also_rewrites_the_anchor_is_caught_by_the_witness(demo_services):
    data_dir = demo_services.ctx.db.path.parent
    write_witness(data_dir, demo_services.ctx.db)
    last = last_id(demo_services)
    sql(demo_services, "DELETE FROM audit_events WHERE id = :last", last=last)
    with demo_services.ctx.db.read() as s:
        head = audit.chain_head(s)
    sql(demo_services, "UPDATE audit_head SET last_id = :i, last_hash = :h", i=head[0], h=head[1])
    found = problems(demo_services)
    assert [p.entry_id for p in found] == [last]
    assert "witness" in found[0].problem


def test_removed_head_anchor_is_detected(demo_services):
    sql(demo_services, "DELETE FROM audit_head")
    assert "anchor is missing" in problems(demo_services)[0].problem


# ------------------------------------------------------------------ 1,000 random tamperings
def _chain(n: int) -> list[AuditEvent]:
    events, prev = [], audit.GENESIS
    for i in range(1, n + 1):
        e = AuditEvent(id=i, at=f"2026-11-23T10:{i % 60:02d}:00.000000Z", user_id=1,
                       username=f"user{i % 3}", workstation="ws", action="view",
                       entity="patient", entity_id=str(i), patient_id=i, outcome="success",
                       details=json.dumps({"n": i}), prev_hash=prev)  # fmt: skip
        e.hash = audit.entry_hash(e, prev)
        prev = e.hash
        events.append(e)
    return events


def _check(events: list[AuditEvent], head: tuple[int, str]) -> list[audit.ChainProblem]:
    found = audit.verify_chain(events)
    last = (events[-1].id, events[-1].hash) if events else None
    return found + audit.verify_head(last, head, len(events))


def test_a_thousand_random_edits_deletions_reorders_and_truncations_are_all_detected():
    rng = random.Random(2026)
    original = _chain(60)
    head = (original[-1].id, original[-1].hash)
    assert _check(original, head) == []
    fields = ["at", "username", "workstation", "action", "entity", "entity_id", "outcome",
              "details", "patient_id", "user_id"]  # fmt: skip
    missed = 0
    for _ in range(1000):
        events = [copy.copy(e) for e in original]
        kind = rng.choice(["edit", "delete", "swap", "truncate"])
        if kind == "edit":
            target = rng.choice(events)
            field = rng.choice(fields)
            value = getattr(target, field)
            setattr(target, field, (value or 0) + 1 if isinstance(value, int) else f"{value}x")
        elif kind == "delete":
            del events[rng.randrange(len(events))]
        elif kind == "swap":
            i, j = rng.sample(range(len(events)), 2)
            events[i], events[j] = events[j], events[i]
        else:
            del events[rng.randrange(len(events)) :]
        if not _check(events, head):
            missed += 1
    assert missed == 0


def test_named_entry_points_at_the_tampered_place():
    events = [copy.copy(e) for e in _chain(20)]
    head = (events[-1].id, events[-1].hash)
    events[11].details = '{"n":999}'
    assert [p.entry_id for p in _check(events, head)] == [12]


# ------------------------------------------------------------------ the clinic's time zone
@pytest.mark.parametrize("clinic_zone", ["Asia/Kolkata", "Pacific/Auckland"])
def test_entries_show_and_filter_in_the_clinics_zone_not_the_computers(
    demo_services, sign_in_as, clock, monkeypatch, computer_in_new_york, clinic_zone
):
    """A workstation set to New York showing a clinic elsewhere: each entry's time is the
    clinic's wall clock (as on the schedule), and a day filter means the clinic's day."""
    zone = ZoneInfo(clinic_zone)
    monkeypatch.setattr(demo_services.ctx, "clock", FixedClock(clock.now(), zone))
    sign_in_as("admin")
    newest = demo_services.audit_log.search(AuditFilter(), limit=1)[0]
    utc = dt.datetime.strptime(newest.at_utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    assert newest.at_local == utc.astimezone(zone).replace(tzinfo=None, microsecond=0)
    clinic_day = newest.at_local.date()
    same_day = demo_services.audit_log.search(AuditFilter(start=clinic_day, end=clinic_day))
    assert newest.id in {r.id for r in same_day}
    before = clinic_day - dt.timedelta(days=1)
    assert newest.id not in {
        r.id for r in demo_services.audit_log.search(AuditFilter(start=before, end=before))
    }
