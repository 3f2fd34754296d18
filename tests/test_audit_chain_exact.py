"""The audit chain's rules stated exactly: the hash format every stored chain relies on,
the details text, and each verification finding (entry, position and words) for every
kind of break, including where the batch walk of a long log hands over."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
import time

import pytest
from sqlalchemy import select, text

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent, AuditHead
from tests.tamper import append_only_lifted

HASH_OF_UPDATE = "874fd3b77ca8a97c99f9d5a28cbfcaee14a13fefba9b90a84cf3b3adfd184275"
HASH_OF_ANONYMOUS = "c72a6dd33fb0a899b470e73ef566bc8474e97824d232200bd12ba0fde41afdcd"


def _update_entry() -> AuditEvent:
    return AuditEvent(id=7, at="2026-11-30T09:00:00.000000Z", user_id=3, username="ma",
                      workstation="front-1", action="update", entity="patient", entity_id="42",
                      patient_id=42, outcome="success", details='{"phone":"changed"}',
                      prev_hash="a" * 64)  # fmt: skip


def _anonymous_entry() -> AuditEvent:
    return AuditEvent(id=1, at="2026-11-30T09:00:00.000000Z", user_id=None, username="",
                      workstation="ws", action="sign_in_failed", entity="user", entity_id="",
                      patient_id=None, outcome="failure", details="{}",
                      prev_hash=audit.GENESIS)  # fmt: skip


def _chain(n: int) -> list[AuditEvent]:
    events, prev = [], audit.GENESIS
    for i in range(1, n + 1):
        e = AuditEvent(id=i, at=f"2026-11-23T10:{i % 60:02d}:00.000000Z", user_id=1,
                       username="ma", workstation="ws", action="view", entity="patient",
                       entity_id=str(i), patient_id=i, outcome="success",
                       details=json.dumps({"n": i}), prev_hash=prev)  # fmt: skip
        e.hash = audit.entry_hash(e, prev)
        prev = e.hash
        events.append(e)
    return events


def _found(problems: list[audit.ChainProblem]) -> list[tuple[int, int, str]]:
    return [(p.entry_id, p.position, p.problem) for p in problems]


# ------------------------------------------------------------------ the hash format
def test_entry_hash_is_sha256_of_the_fields_joined_by_unit_separators():
    """Stores written by every earlier version must still verify: the format never changes."""
    payload = "\x1f".join(["a" * 64, "7", "2026-11-30T09:00:00.000000Z", "3", "ma", "front-1",
                           "update", "patient", "42", "42", "success", '{"phone":"changed"}'])  # fmt: skip
    assert hashlib.sha256(payload.encode("utf-8")).hexdigest() == HASH_OF_UPDATE
    assert audit.entry_hash(_update_entry(), "a" * 64) == HASH_OF_UPDATE


def test_entry_hash_writes_a_missing_user_and_patient_as_empty_fields():
    assert audit.entry_hash(_anonymous_entry(), audit.GENESIS) == HASH_OF_ANONYMOUS


def test_genesis_is_sixty_four_zeros():
    assert audit.GENESIS == "0000000000000000000000000000000000000000000000000000000000000000"


@pytest.mark.parametrize(
    "field, value",
    [("id", 8), ("at", "2026-11-30T09:00:00.000001Z"), ("user_id", 4), ("user_id", None),
     ("username", "mb"), ("workstation", "front-2"), ("action", "view"), ("entity", "visit"),
     ("entity_id", "43"), ("patient_id", 43), ("patient_id", None), ("outcome", "failure"),
     ("details", "{}")],
)  # fmt: skip
def test_every_field_is_covered_by_the_hash(field, value):
    event = _update_entry()
    setattr(event, field, value)
    assert audit.entry_hash(event, "a" * 64) != HASH_OF_UPDATE


def test_the_previous_hash_is_covered_by_the_hash():
    assert audit.entry_hash(_update_entry(), "b" * 64) != HASH_OF_UPDATE


# ------------------------------------------------------------------ details
def test_details_are_compact_sorted_json():
    assert audit.canonical_details(None) == "{}"
    assert audit.canonical_details({}) == "{}"
    assert audit.canonical_details({"b": 1, "a": [1, 2]}) == '{"a":[1,2],"b":1}'


def test_details_write_dates_times_and_bytes_readably():
    details = {
        "d": dt.date(2026, 11, 30),
        "t": dt.datetime(2026, 11, 30, 9, 5, 1),
        "h": dt.time(9, 5),
        "b": b"\x00\x01\x02",
        "o": dt.timedelta(minutes=1),
    }
    assert audit.canonical_details(details) == (
        '{"b":"<3 bytes>","d":"2026-11-30","h":"09:05:00","o":"0:01:00","t":"2026-11-30T09:05:01"}'
    )


def test_changes_lists_only_the_fields_that_differ_with_old_and_new():
    before = {"phone": "1", "email": "a@x", "gone": 5}
    after = {"phone": "2", "email": "a@x", "new": None, "added": 1}
    assert audit.changes(before, after) == {
        "added": {"old": None, "new": 1},
        "gone": {"old": 5, "new": None},
        "phone": {"old": "1", "new": "2"},
    }
    assert list(audit.changes(before, after)) == ["added", "gone", "phone"]
    assert audit.changes(before, before) == {}


def test_a_problem_reads_entry_position_and_words():
    problem = audit.ChainProblem(12, 11, "contents changed after writing")
    assert str(problem) == "audit entry 12 (position 11): contents changed after writing"


# ------------------------------------------------------------------ the chain walk
def test_an_intact_chain_has_no_problems_and_an_empty_one_neither():
    assert audit.verify_chain(_chain(5)) == []
    assert audit.verify_chain([]) == []


def test_an_edited_entry_is_named_once_at_its_position():
    events = [copy.copy(e) for e in _chain(5)]
    events[2].details = '{"n":999}'
    assert _found(audit.verify_chain(events)) == [(3, 3, "contents changed after writing")]


def test_an_edited_entry_with_its_hash_recomputed_breaks_the_next_link():
    events = [copy.copy(e) for e in _chain(5)]
    events[2].details = '{"n":999}'
    events[2].hash = audit.entry_hash(events[2], events[2].prev_hash)
    assert _found(audit.verify_chain(events)) == [(4, 4, "link to previous entry broken")]


def test_the_first_entry_must_link_to_genesis():
    events = [copy.copy(e) for e in _chain(3)]
    events[0].prev_hash = "f" * 64
    events[0].hash = audit.entry_hash(events[0], events[0].prev_hash)
    found = _found(audit.verify_chain(events))
    assert found == [
        (1, 1, "link to previous entry broken"),
        (2, 2, "link to previous entry broken"),
    ]


def test_a_deleted_entry_is_named_by_the_one_after_it():
    events = _chain(5)
    del events[1]
    assert _found(audit.verify_chain(events)) == [
        (3, 2, "expected entry 2: entries missing or moved"),
        (3, 2, "link to previous entry broken"),
    ]


def test_a_missing_first_entry_is_named():
    events = _chain(3)[1:]
    assert _found(audit.verify_chain(events)) == [
        (2, 1, "expected entry 1: entries missing or moved"),
        (2, 1, "link to previous entry broken"),
    ]


def test_swapped_entries_are_both_named():
    events = _chain(4)
    events[1], events[2] = events[2], events[1]
    assert _found(audit.verify_chain(events)) == [
        (3, 2, "expected entry 2: entries missing or moved"),
        (3, 2, "link to previous entry broken"),
        (2, 3, "expected entry 4: entries missing or moved"),
        (2, 3, "link to previous entry broken"),
        (4, 4, "expected entry 3: entries missing or moved"),
        (4, 4, "link to previous entry broken"),
    ]


def test_a_batch_continues_from_the_last_entry_of_the_one_before():
    events = _chain(6)
    first, last, count = audit._verify_batch(events[:3], None, 0)
    assert (first, last, count) == ([], (3, events[2].hash), 3)
    assert audit._verify_batch(events[3:], last, count) == ([], (6, events[5].hash), 3)
    found, _, _ = audit._verify_batch(events[4:], last, count)
    assert _found(found) == [
        (5, 4, "expected entry 4: entries missing or moved"),
        (5, 4, "link to previous entry broken"),
    ]
    assert audit._verify_batch([], last, count) == ([], None, 0)


# ------------------------------------------------------------------ the head anchor
def test_head_and_last_entry_agreeing_is_no_problem():
    assert audit.verify_head(None, None, 0) == []
    assert audit.verify_head((9, "h9"), (9, "h9"), 9) == []


def test_a_missing_head_anchor_is_named_at_the_last_entry():
    assert _found(audit.verify_head((9, "h9"), None, 9)) == [
        (9, 9, "the chain's head anchor is missing")
    ]


def test_an_emptied_log_is_named():
    assert _found(audit.verify_head(None, (9, "h9"), 0)) == [
        (9, 0, "entries 1 to 9 are missing: the log was emptied")
    ]


@pytest.mark.parametrize("last_id", [1, 7, 8])
def test_a_truncated_log_names_the_missing_entries(last_id):
    assert _found(audit.verify_head((last_id, "h"), (9, "h9"), last_id)) == [
        (9, last_id + 1, f"entries {last_id + 1} to 9 are missing: the log was truncated")
    ]


@pytest.mark.parametrize("last", [(10, "h10"), (9, "other"), (10, "h9")])
def test_a_last_entry_beyond_or_unlike_the_head_is_named(last):
    assert _found(audit.verify_head(last, (9, "h9"), 9)) == [
        (last[0], 9, "does not match the chain's head anchor")
    ]


# ------------------------------------------------------------------ in a store
def _entries(db) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_recording_links_each_entry_to_the_one_before_and_moves_the_head(store):
    actor = Actor(None, "ma\x00b", "MA", "ma", "front\x00")
    assert _entries(store.db) == []
    with store.db.read() as s:
        assert audit.chain_head(s) is None
    with store.db.write() as s:
        first = audit.record(s, actor, "lock", "session", None)
        assert s.info["audit_head"] == (1, first.hash)
        second = audit.record(s, actor, "view", "patient", 42, patient_id=42,
                              details={"phone": {"old": "1", "new": "2"}})  # fmt: skip
        assert s.info["audit_head"] == (2, second.hash)
    first, second = _entries(store.db)
    assert (first.id, first.prev_hash, first.entity_id, first.outcome) == (
        1, audit.GENESIS, "", "success"
    )  # fmt: skip
    assert (second.id, second.prev_hash, second.entity_id, second.patient_id) == (
        2, first.hash, "42", 42
    )  # fmt: skip
    assert first.username == "ma\ufffdb" and first.workstation == "front\ufffd"
    assert first.hash == audit.entry_hash(first, audit.GENESIS)
    assert second.hash == audit.entry_hash(second, first.hash)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", first.at)
    assert first.details == "{}"
    assert json.loads(second.details) == {"phone": "changed"}  # a patient's values never kept
    with store.db.read() as s:
        head = s.get(AuditHead, 1)
        assert (head.last_id, head.last_hash) == (2, second.hash)
        assert audit.chain_head(s) == (2, second.hash)
        assert audit.verify_store(s) == []


def test_an_entry_keeps_who_recorded_it_and_an_empty_entity_id_by_default(store):
    with store.db.write() as s:
        audit.record(s, Actor(7, "ma", "MA", "ma", "front-1"), "lock", "session")
    (entry,) = _entries(store.db)
    assert (entry.user_id, entry.username, entry.workstation, entry.entity_id) == (
        7, "ma", "front-1", ""
    )  # fmt: skip


def test_entry_times_are_utc_whatever_the_workstations_zone(store, monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: no day is the same
    time.tzset()
    try:
        before = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with store.db.write() as s:
            audit.record(s, Actor.system(), "lock", "session")
        after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    finally:
        monkeypatch.undo()
        time.tzset()
    (entry,) = _entries(store.db)
    assert before <= dt.datetime.strptime(entry.at, "%Y-%m-%dT%H:%M:%S.%fZ") <= after


def test_details_without_a_patient_are_kept_as_given(store):
    with store.db.write() as s:
        audit.record(s, Actor.system(), "update", "setting", "clinic_name", outcome="failure",
                     details={"field": "clinic_name", "new": "North"})  # fmt: skip
    (entry,) = _entries(store.db)
    assert entry.details == '{"field":"clinic_name","new":"North"}'
    assert (entry.outcome, entry.entity_id, entry.patient_id) == ("failure", "clinic_name", None)


def test_the_witness_must_still_find_its_entry_unchanged(store):
    with store.db.write() as s:
        for _ in range(3):
            audit.record(s, Actor.system(), "lock", "session")
    entries = _entries(store.db)
    with store.db.read() as s:
        assert audit.verify_witness(s, None) == []
        assert audit.verify_witness(s, (2, entries[1].hash)) == []
        assert audit.verify_store(s, witness=(3, entries[2].hash)) == []
        assert _found(audit.verify_witness(s, (2, "f" * 64))) == [
            (2, 2, "differs from the copy recorded by the witness file")
        ]
        assert _found(audit.verify_store(s, witness=(9, "f" * 64))) == [
            (9, 9, "recorded by the witness file but missing from the log")
        ]


def test_a_log_longer_than_one_batch_is_checked_across_the_batches(store):
    """verify_store reads 2,000 entries at a time: the links, positions and the head must
    carry over from one batch to the next."""
    events = _chain(2003)
    with store.db.write() as s:
        s.add_all(events)
        s.add(AuditHead(id=1, last_id=2003, last_hash=events[-1].hash))
    with store.db.read() as s:
        assert audit.verify_store(s) == []
    with store.db.engine.begin() as conn, append_only_lifted(conn):
        conn.execute(text("UPDATE audit_head SET last_hash = 'f' WHERE id = 1"))
    with store.db.read() as s:  # positions count on across batches
        assert _found(audit.verify_store(s)) == [
            (2003, 2003, "does not match the chain's head anchor")
        ]
    with store.db.engine.begin() as conn, append_only_lifted(conn):
        conn.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"),
                     {"h": events[-1].hash})  # fmt: skip
        conn.execute(text("UPDATE audit_events SET username = 'x' WHERE id = 2002"))
    with store.db.read() as s:
        assert _found(audit.verify_store(s)) == [(2002, 2002, "contents changed after writing")]
    with store.db.engine.begin() as conn, append_only_lifted(conn):
        conn.execute(text("DELETE FROM audit_events WHERE id >= 2001"))
    with store.db.read() as s:
        assert _found(audit.verify_store(s)) == [
            (2003, 2001, "entries 2001 to 2003 are missing: the log was truncated")
        ]


def test_a_store_without_its_head_anchor_names_the_last_entry(store):
    with store.db.write() as s:
        for _ in range(2):
            audit.record(s, Actor.system(), "lock", "session")
    with store.db.engine.begin() as conn, append_only_lifted(conn):
        conn.execute(text("DELETE FROM audit_head"))
    with store.db.read() as s:
        assert _found(audit.verify_store(s)) == [(2, 2, "the chain's head anchor is missing")]
