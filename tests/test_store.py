"""The encrypted store: what is on disk, wrong keys, foreign files, keyring and recovery."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from ma_desk.actor import Actor
from ma_desk.db import keys
from ma_desk.db.engine import SQLITE_PLAIN_HEADER
from ma_desk.db.network_fs import network_filesystem
from ma_desk.db.store import create_store, open_store
from ma_desk.errors import (
    KeyUnavailableError,
    NotAStoreError,
    StoreError,
    ValidationError,
    WrongKeyError,
)
from ma_desk.paths import keyinfo_path, store_path
from ma_desk.services import Services
from ma_desk.services.patients import PatientInput
from tests.conftest import PASSPHRASE

MARKER_FIRST = "Zebulonia"
MARKER_LAST = "Quillfeatherstone"


def store_files(data_dir: Path) -> list[Path]:
    return [p for p in data_dir.iterdir() if p.is_file()]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(data_dir: Path) -> dict[str, str]:
    return {p.name: digest(p) for p in store_files(data_dir)}


def test_new_store_is_encrypted_on_disk_including_wal(store, clock):
    services = Services(store.db, clock, actor=Actor.system())
    record = services.patients.register(
        PatientInput(first_name=MARKER_FIRST, last_name=MARKER_LAST, dob="02/03/1971")
    )
    # Keep the WAL populated: read while it still holds the last commit.
    wal = store.path.with_name(store.path.name + "-wal")
    assert wal.exists()
    for path in store_files(store.data_dir):
        data = path.read_bytes()
        for marker in (MARKER_FIRST, MARKER_LAST, record.mrn):
            assert marker.encode() not in data, f"{marker} readable in {path.name}"
            assert marker.encode("utf-16-le") not in data
    assert store.path.read_bytes()[:16] != SQLITE_PLAIN_HEADER


def test_store_file_permissions_are_private(store):
    assert store.path.stat().st_mode & 0o077 == 0


def test_demo_store_holds_no_readable_names(demo_dir, demo_services):
    names = [h.last_name for h in demo_services.patients.search("a", limit=20)]
    names += [h.last_name for h in demo_services.patients.search("m", limit=20)]
    assert names
    blobs = [p.read_bytes() for p in store_files(demo_dir)]
    # A 3-letter name ("Cox") turns up by chance in a few MB of ciphertext (~1 in 16M per
    # offset); from 4 letters on a hit means plaintext, not luck.
    for name in {n for n in names if len(n) >= 4}:
        assert all(name.encode() not in blob for blob in blobs)


def test_wrong_passphrase_fails_cleanly_and_changes_nothing(store, data_dir):
    store.db.close()
    before = snapshot(data_dir)
    with pytest.raises(WrongKeyError) as excinfo:
        open_store(data_dir, passphrase="not the passphrase")
    message = str(excinfo.value)
    assert str(store_path(data_dir)) in message
    assert "not changed" in message
    assert snapshot(data_dir) == before


def test_wrong_recovery_key_changes_nothing(store, data_dir):
    store.db.close()
    before = snapshot(data_dir)
    other = keys.format_recovery_key(bytes(32))
    with pytest.raises(WrongKeyError):
        open_store(data_dir, recovery_key=other)
    assert snapshot(data_dir) == before


def test_plain_sqlite_file_is_refused_untouched(tmp_path):
    data_dir = tmp_path / "plain"
    data_dir.mkdir()
    path = store_path(data_dir)
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (x)")
    keys.write_keyinfo(data_dir, keys.KeyInfo(source=keys.SOURCE_KEYRING))
    before = digest(path)
    with pytest.raises(NotAStoreError, match="unencrypted SQLite"):
        open_store(data_dir, passphrase=PASSPHRASE)
    assert digest(path) == before


def test_random_bytes_file_is_refused_untouched(tmp_path):
    data_dir = tmp_path / "junk"
    data_dir.mkdir()
    path = store_path(data_dir)
    path.write_bytes(bytes(range(256)) * 64)
    salt = "00" * 16
    keys.write_keyinfo(data_dir, keys.KeyInfo(source=keys.SOURCE_PASSPHRASE, salt=salt,
                                              kdf_params=dict(keys.ARGON2_PARAMS)))  # fmt: skip
    before = snapshot(data_dir)
    with pytest.raises(WrongKeyError):
        open_store(data_dir, passphrase=PASSPHRASE)
    assert snapshot(data_dir) == before


def test_missing_store_is_reported_not_created(tmp_path):
    with pytest.raises(StoreError, match="no clinic store"):
        open_store(tmp_path / "nothing-here", passphrase=PASSPHRASE)
    assert not (tmp_path / "nothing-here").exists()


def test_create_refuses_existing_store(store, data_dir):
    before = digest(store.path)
    with pytest.raises(StoreError, match="already holds"):
        create_store(data_dir, passphrase=PASSPHRASE)
    assert digest(store.path) == before


def test_damaged_keyinfo_is_reported(store, data_dir):
    store.db.close()
    keyinfo_path(data_dir).write_text("{not json")
    before = digest(store.path)
    with pytest.raises(NotAStoreError, match="damaged"):
        open_store(data_dir, passphrase=PASSPHRASE)
    assert digest(store.path) == before and keyinfo_path(data_dir).read_text() == "{not json"


def test_no_keyring_and_no_passphrase_asks_clearly(tmp_path):
    with pytest.raises(KeyUnavailableError, match="passphrase"):
        create_store(tmp_path / "c")
    assert not store_path(tmp_path / "c").exists()


def test_short_passphrase_refused(tmp_path):
    with pytest.raises(ValidationError, match="at least"):
        create_store(tmp_path / "c", passphrase="short")
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())  # nothing made


def test_passphrase_is_asked_when_not_given(store, data_dir):
    store.db.close()
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return PASSPHRASE

    reopened = open_store(data_dir, ask_passphrase=ask)
    reopened.db.close()
    assert asked and str(data_dir) in asked[0]


def test_keyring_keeps_the_key_and_recovery_key_restores_it(memory_keyring, tmp_path):
    data_dir = tmp_path / "kr"
    created = create_store(data_dir)
    assert created.key_source == keys.SOURCE_KEYRING
    assert "key_source" in keyinfo_path(data_dir).read_text()
    raw_hex = next(iter(memory_keyring.entries.values()))
    assert raw_hex not in keyinfo_path(data_dir).read_text()
    created.db.close()

    reopened = open_store(data_dir)  # key from the keyring, no passphrase
    reopened.db.close()

    memory_keyring.entries.clear()  # the keyring entry is lost
    with pytest.raises(KeyUnavailableError, match="recovery key"):
        open_store(data_dir)
    recovered = open_store(data_dir, recovery_key=created.recovery_key)
    recovered.db.close()
    assert memory_keyring.entries, "opening with the recovery key puts the key back"
    open_store(data_dir).db.close()


def test_recovery_key_format_and_typo_detection():
    raw = bytes(range(32))
    text = keys.format_recovery_key(raw)
    groups = text.split("-")
    assert len(groups) == 11 and all(1 <= len(g) <= 5 for g in groups)
    assert keys.parse_recovery_key(text.lower().replace("-", " ")) == raw
    typo = ("B" if text[0] != "B" else "C") + text[1:]
    with pytest.raises(ValidationError, match="typo"):
        keys.parse_recovery_key(typo)
    with pytest.raises(ValidationError):
        keys.parse_recovery_key("!!!")


def test_store_key_repr_hides_key():
    key = keys.StoreKey(bytes(32), "keyring")
    assert "00" * 8 not in repr(key)


def test_connection_pragmas(store):
    with store.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
        assert conn.exec_driver_sql("PRAGMA cipher_version").scalar()


def test_failed_write_leaves_nothing_half_written(services, clock):
    import datetime as dt

    from ma_desk.db.models import Patient

    now = clock.now()
    with pytest.raises(RuntimeError), services.ctx.db.write() as session:
        session.add(Patient(mrn="X1", first_name="A", last_name="B", dob=dt.date(2000, 1, 1),
                            search_last="b", search_first="a", created_at=now, updated_at=now))  # fmt: skip
        session.flush()
        raise RuntimeError("boom")
    assert services.patients.count() == 0


def test_network_paths_are_recognised(tmp_path):
    assert network_filesystem(Path("//server/share/clinic")) == "UNC path"
    assert network_filesystem(tmp_path) is None


def test_a_new_passphrase_is_asked_for_once(tmp_path):
    """The prompt (CLI or dialog) has it typed twice; the store asks once and checks it."""
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "first orbit pickle meadow"

    created = create_store(tmp_path / "asked", ask_new_passphrase=ask)
    created.db.close()
    assert len(prompts) == 1 and "passphrase" in prompts[0]
    open_store(tmp_path / "asked", passphrase="first orbit pickle meadow").db.close()


def test_a_weak_asked_passphrase_creates_nothing(tmp_path):
    with pytest.raises(ValidationError, match="guess"):
        create_store(tmp_path / "weak", ask_new_passphrase=lambda _prompt: "first passphrase")
    assert not store_path(tmp_path / "weak").exists()
