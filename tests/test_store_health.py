"""The pieces that keep the store honest about its health, one by one, on real stores.

The SQLite failure map, the file checks before SQLite, the page check that
tells a damaged first page from a wrong key, and Database's read-only mode:
refused before touching the file, query_only underneath, no checkpoint on
close, listeners told once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlcipher3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError as SAOperationalError

from ma_desk.actor import Actor
from ma_desk.db import sqlite_errors
from ma_desk.db.engine import open_database, store_uri
from ma_desk.db.health import (
    BackgroundCheck,
    integrity_problems,
    read_only_reason,
    structure_problems,
)
from ma_desk.db.sqlcipher_pages import PAGE_SIZE, authenticated_pages, key_fits_file
from ma_desk.db.store import create_store, open_store
from ma_desk.db.store_file import check_store_file, store_traces
from ma_desk.errors import (
    DiskFullError,
    DiskReadOnlyError,
    StoreAccessError,
    StoreDamagedError,
    StoreError,
    StoreIOError,
    StoreLockedError,
    StoreReadOnlyError,
)
from ma_desk.paths import store_path
from ma_desk.services import Services
from ma_desk.services.patients import PatientInput
from tests.conftest import PASSPHRASE
from tests.faults import PAGE, flip, root_pages, store_key, store_state

REASON = "The clinic store is damaged (a test). Restore the last good backup."
NEW_PATIENT = PatientInput(first_name="Ada", last_name="Healthcheck", dob="04/05/1990",
                           phone="(555) 201-0103")  # fmt: skip


def sqlite_error(code: int, name: str = "SQLITE_X") -> sqlcipher3.OperationalError:
    error = sqlcipher3.OperationalError("from SQLite")
    error.sqlite_errorcode, error.sqlite_errorname = code, name
    return error


# ------------------------------------------------------------------ the failure map
@pytest.mark.parametrize(
    ("code", "expected", "words"),
    [
        (13, DiskFullError, "is full"),  # SQLITE_FULL
        (10, StoreIOError, "read or write error"),  # SQLITE_IOERR
        (10 | (4 << 8), StoreIOError, "read or write error"),  # SQLITE_IOERR_FSYNC
        (10 | (33 << 8), StoreDamagedError, "damaged"),  # SQLITE_IOERR_CORRUPTFS
        (8, DiskReadOnlyError, "cannot write"),  # SQLITE_READONLY
        (8 | (4 << 8), DiskReadOnlyError, "cannot write"),  # SQLITE_READONLY_DBMOVED
        (11, StoreDamagedError, "damaged"),  # SQLITE_CORRUPT
        (26, StoreDamagedError, "damaged"),  # SQLITE_NOTADB during use
        (5, StoreLockedError, "locked by another program"),  # SQLITE_BUSY
        (6, StoreLockedError, "locked by another program"),  # SQLITE_LOCKED
        (14, StoreAccessError, "cannot be opened"),  # SQLITE_CANTOPEN
        (3, StoreAccessError, "refused MA Desk access"),  # SQLITE_PERM
        (23, StoreAccessError, "refused MA Desk access"),  # SQLITE_AUTH
        (7, StoreError, "out of memory"),  # SQLITE_NOMEM
    ],
)
def test_each_store_failure_has_its_own_class_and_words(code, expected, words, store):
    error = sqlite_errors.store_error_for(sqlite_error(code), store.path)
    assert type(error) is expected and words in str(error)
    wrapped = SAOperationalError("INSERT ...", {}, sqlite_error(code))
    assert type(sqlite_errors.store_error_for(wrapped, store.path)) is expected


@pytest.mark.parametrize("code", [1, 19, 19 | (5 << 8), 20, 21, 25])  # SQL, constraint, misuse
def test_bugs_are_not_turned_into_store_messages(code, store):
    assert sqlite_errors.store_error_for(sqlite_error(code), store.path) is None
    assert sqlite_errors.store_error_for(ValueError("no code"), store.path) is None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(code=st.integers(min_value=0, max_value=(1 << 16) - 1))
def test_no_sqlite_failure_is_worded_as_a_key_problem(code, store):
    error = sqlite_errors.store_error_for(sqlite_error(code), store.path)
    if error is None:
        return
    message = str(error)
    assert "key" not in message.lower() and "passphrase" not in message.lower()
    assert any(w in message for w in ("try again", "support", "Free some space", "Restore"))


def test_a_moved_store_is_named_as_moved(tmp_path):
    gone = tmp_path / "elsewhere" / "clinic.madesk"
    error = sqlite_errors.store_error_for(sqlite_error(8 | (4 << 8)), gone)
    assert "moved or deleted while MA Desk had it open" in str(error)


# ------------------------------------------------------------------ the file before SQLite
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(size=st.one_of(st.sampled_from([0, 1, 15, 16, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE - 1,
                                       3 * PAGE, 3 * PAGE + 1]),
                      st.integers(min_value=0, max_value=12 * PAGE)))  # fmt: skip
def test_only_a_file_of_whole_pages_reaches_sqlite(size, tmp_path):
    path = tmp_path / "clinic.madesk"
    data = os.urandom(size)
    path.write_bytes(data)
    if size == 0:
        with pytest.raises(StoreDamagedError, match="empty"):
            check_store_file(path)
    elif size % PAGE:
        with pytest.raises(StoreDamagedError, match="whole number of 4096-byte pages"):
            check_store_file(path)
    else:
        check_store_file(path)
    assert path.read_bytes() == data


def test_a_folder_and_a_missing_file_are_named(tmp_path):
    folder = tmp_path / "clinic.madesk"
    folder.mkdir()
    with pytest.raises(StoreError, match="is a folder"):
        check_store_file(folder)
    with pytest.raises(StoreAccessError, match="cannot be examined"):
        check_store_file(tmp_path / "nothing.madesk")


def test_traces_of_a_store(tmp_path):
    path = tmp_path / "clinic.madesk"
    assert store_traces(path) == []
    for name in ("clinic.madesk-wal", "keyinfo.json", "clinic.madesk.replaced-1"):
        (tmp_path / name).write_text("x")
    assert {p.name for p in store_traces(path)} == {
        "clinic.madesk-wal", "keyinfo.json", "clinic.madesk.replaced-1"
    }  # fmt: skip


# ------------------------------------------------------------------ page authentication
def test_the_key_authenticates_every_page_and_a_wrong_key_none(demo_dir):
    path, key = store_path(demo_dir), store_key(demo_dir)
    pages = path.stat().st_size // PAGE_SIZE
    assert authenticated_pages(path, key.raw, range(1, pages + 1)) == list(range(1, pages + 1))
    assert key_fits_file(path, key.raw)
    assert not key_fits_file(path, bytes(32))
    assert not key_fits_file(path, bytes(reversed(key.raw)))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=0, max_value=PAGE - 1))
def test_any_flipped_byte_of_a_page_fails_its_check(offset, demo_dir, tmp_path_factory):
    copy = tmp_path_factory.mktemp("flip") / "clinic.madesk"
    shutil.copy(store_path(demo_dir), copy)
    flip(copy, PAGE + offset, 1)  # page 2
    assert authenticated_pages(copy, store_key(demo_dir).raw, range(1, 4)) == [1, 3]


# ------------------------------------------------------------------ read-only mode
def test_write_is_refused_before_the_file_is_touched(demo_store, clock):
    demo_store.db.checkpoint()
    before = store_state(demo_store.data_dir)
    began: list[object] = []
    event.listen(demo_store.db.engine, "begin", began.append)
    demo_store.db.switch_to_read_only(REASON)
    with pytest.raises(StoreReadOnlyError, match="Not saved: the clinic store is open read-only"):
        Services(demo_store.db, clock, actor=Actor.system()).patients.register(NEW_PATIENT)
    assert began == [] and demo_store.db.engine.pool.checkedout() == 0
    assert store_state(demo_store.data_dir) == before


def test_connections_are_query_only_after_the_switch(demo_store):
    demo_store.db.switch_to_read_only(REASON)
    with pytest.raises(StoreReadOnlyError, match="damaged"), demo_store.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM patients"))
    with demo_store.db.read() as s:
        assert s.execute(text("SELECT count(*) FROM patients")).scalar() > 0


def test_a_read_only_store_never_checkpoints_its_wal_into_the_file(demo_store, clock):
    """The WAL of a damaged store is evidence: closing must not fold it into the file."""
    services = Services(demo_store.db, clock, actor=Actor.system())
    services.patients.register(NEW_PATIENT)
    before = store_state(demo_store.data_dir)
    assert "clinic.madesk-wal" in before
    demo_store.db.switch_to_read_only(REASON)
    demo_store.db.close()
    assert store_state(demo_store.data_dir) == before


def test_without_the_switch_closing_does_checkpoint(demo_store, clock):
    """The control for the test above: the guard is what keeps the WAL."""
    Services(demo_store.db, clock, actor=Actor.system()).patients.register(NEW_PATIENT)
    demo_store.db.close()
    assert "clinic.madesk-wal" not in store_state(demo_store.data_dir)


def test_listeners_hear_the_first_switch_once_even_if_one_fails(demo_store):
    heard: list[str] = []

    def broken(_reason: str) -> None:
        raise RuntimeError("a window that is gone")

    demo_store.db.read_only_listeners += [broken, heard.append]
    demo_store.db.switch_to_read_only(REASON)
    demo_store.db.switch_to_read_only("a second reason")
    assert heard == [REASON] and demo_store.db.read_only_reason == REASON
    with pytest.raises(StoreReadOnlyError):
        demo_store.db.checkpoint()


def test_setting_read_only_and_back(demo_store, clock):
    services = Services(demo_store.db, clock, actor=Actor.system())
    demo_store.db.read_only = True
    assert "set read-only" in demo_store.db.read_only_reason
    with pytest.raises(StoreReadOnlyError):
        services.patients.register(NEW_PATIENT)
    with demo_store.db.read() as s:  # a connection handed out now is query_only
        assert s.execute(text("PRAGMA query_only")).scalar() == 1
    demo_store.db.read_only = False
    with demo_store.db.read() as s:
        assert s.execute(text("PRAGMA query_only")).scalar() == 0
    services.patients.register(NEW_PATIENT)


def test_a_database_opened_read_only_cannot_write_even_underneath(demo_dir):
    before = store_state(demo_dir)
    db = open_database(store_path(demo_dir), store_key(demo_dir), read_only_reason=REASON)
    try:
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA query_only = OFF")
            with pytest.raises(sqlcipher3.OperationalError, match="readonly"):
                raw.driver_connection.execute("DELETE FROM patients")
        finally:
            raw.close()
    finally:
        db.close()
    assert store_state(demo_dir) == before


# ------------------------------------------------------------------ the checks
def test_a_healthy_store_passes_every_check(demo_store):
    path = demo_store.path
    assert structure_problems(demo_store.db, path, wal_had_content=False) == []
    assert integrity_problems(demo_store.db) == []
    assert not demo_store.db.read_only and demo_store.damage == []


def test_the_background_check_of_a_healthy_store_changes_nothing(demo_store):
    check = BackgroundCheck(demo_store.db)
    check.start()
    assert check.finished.wait(60)
    assert check.problems == [] and not demo_store.db.read_only


def test_stopping_the_background_check_at_once_leaves_the_store_writable(demo_store, clock):
    check = BackgroundCheck(demo_store.db)
    check.start()
    check.stop()
    assert check.finished.is_set()
    assert not demo_store.db.read_only
    Services(demo_store.db, clock, actor=Actor.system()).patients.register(NEW_PATIENT)


def test_read_only_reasons_put_damage_first():
    assert read_only_reason([], [], None) == ""
    assert "damaged" in read_only_reason(["page 3"], ["gone"], "disk read-only")
    assert "missing" in read_only_reason([], ["gone"], "disk read-only")
    assert read_only_reason([], [], "The disk is read-only.").startswith("The disk is")
    assert "nothing can be saved" in read_only_reason([], [], "The disk is read-only.")


def test_full_check_at_open_finds_what_the_cheap_check_does_not(demo_dir):
    pages = root_pages(demo_dir)
    name = next(n for n in pages if n.startswith("ix_patients"))
    flip(store_path(demo_dir), (pages[name] - 1) * PAGE + 900)
    cheap = open_store(demo_dir, passphrase=PASSPHRASE)
    cheap.db.close()
    assert not cheap.db.read_only
    full = open_store(demo_dir, passphrase=PASSPHRASE, full_check=True)
    full.db.close()
    assert full.db.read_only and full.damage


# ------------------------------------------------------------------ folder names typed by users
SAFE_NAME = st.text(
    alphabet=st.sampled_from("abcXYZ019 #?%&=+,;'()[]{}!~_-.é"), min_size=1, max_size=16
).filter(lambda s: s.strip(" .") == s and s not in (".", ".."))


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=SAFE_NAME)
def test_any_folder_name_holds_its_store_where_it_says(name, tmp_path_factory):
    """'#', '?' and '%' in a folder name once cut the SQLite URI short."""
    data_dir = tmp_path_factory.mktemp("names") / name
    created = create_store(data_dir, passphrase=PASSPHRASE)
    created.db.close()
    assert [p.name for p in data_dir.parent.iterdir()] == [name]  # nothing at a cut-off path
    assert {"clinic.madesk", "keyinfo.json"} <= {p.name for p in data_dir.iterdir()}
    open_store(data_dir, passphrase=PASSPHRASE).db.close()
    assert "?" not in store_uri(Path("/x") / name).split("?mode=")[0]
