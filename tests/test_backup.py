"""Backups while in use, restore that verifies first, refusals that change nothing, rekey."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ma_desk.actor import Actor
from ma_desk.backup import (
    BackupError,
    backup_store,
    file_sha256,
    install_verified,
    prune_backups,
    run_scheduled_backup,
    scheduled_backups,
    sidecar_path,
    verify_backup_copy,
)
from ma_desk.db import keys
from ma_desk.db.models import AuditEvent, Patient
from ma_desk.db.store import create_store, open_store
from ma_desk.errors import StoreError, WrongKeyError
from ma_desk.security.rekey import rotate_key
from ma_desk.services import Services
from tests.conftest import NOW, PASSPHRASE


def folder_state(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def key_of(data_dir: Path, passphrase: str = PASSPHRASE) -> keys.StoreKey:
    return keys.find_key(data_dir, keys.read_keyinfo(data_dir), passphrase=passphrase)


def audit_hashes(db) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)))


def test_backup_is_encrypted_consistent_and_has_a_checksum(demo_services, tmp_path):
    with demo_services.ctx.db.read() as s:
        name = s.scalar(select(Patient.last_name).limit(1))
    result = backup_store(demo_services.ctx.db, tmp_path / "b.madesk", actor=Actor.system())
    raw = result.path.read_bytes()
    assert name.encode() not in raw and b"SQLite format 3" not in raw[:16]
    assert sidecar_path(result.path).read_text().split() == [result.sha256, "b.madesk"]
    assert file_sha256(result.path) == result.sha256
    assert not (tmp_path / "b.madesk.partial").exists()


def test_backup_refuses_to_overwrite(demo_services, tmp_path):
    target = tmp_path / "b.madesk"
    target.write_bytes(b"precious")
    with pytest.raises(BackupError, match="already exists"):
        backup_store(demo_services.ctx.db, target)
    assert target.read_bytes() == b"precious"


def test_backup_while_writing_then_restore_loses_no_committed_row(
    demo_services, demo_dir, tmp_path, sign_in_as
):
    sign_in_as("ma")
    db = demo_services.ctx.db
    stop = threading.Event()
    committed: list[int] = []

    def writer() -> None:
        writer_services = Services(db, demo_services.ctx.clock, demo_services.actor)
        while not stop.is_set():
            writer_services.accounts.record_lock("load test")
            committed.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 60  # a dead writer fails here instead of hanging
        while len(committed) < 5:
            assert thread.is_alive() and time.monotonic() < deadline, "the writer stopped"
            stop.wait(0.01)  # poll the writer's progress, not a wait for a result
        before = len(audit_hashes(db))
        result = backup_store(db, tmp_path / "live.madesk")
        after = len(audit_hashes(db))
    finally:
        stop.set()
        thread.join()
    live = audit_hashes(db)
    key = key_of(demo_dir)
    verified = verify_backup_copy(result.path, demo_dir, [key])
    db.close()
    install_verified(verified, demo_dir, live_key=key, actor=Actor.system(),
                     restored_from=result.path, now=NOW)  # fmt: skip
    reopened = open_store(demo_dir, passphrase=PASSPHRASE)
    try:
        restored = audit_hashes(reopened.db)
        with reopened.db.read() as s:
            from ma_desk import audit

            assert audit.verify_store(s) == []
    finally:
        reopened.db.close()
    in_backup = restored[:-1]  # the last entry is the restore itself
    assert before <= len(in_backup) <= after
    assert in_backup == live[: len(in_backup)]  # every committed row up to the snapshot


def test_restore_replaces_the_store_and_keeps_the_old_one(demo_store, tmp_path, clock):
    services = Services(demo_store.db, clock, actor=Actor.system())
    result = backup_store(demo_store.db, tmp_path / "b.madesk")
    with demo_store.db.read() as s:
        patients = s.scalar(select(func.count(Patient.id)))
    services.settings.update(clinic_name="Changed after the backup")
    key = key_of(demo_store.data_dir)
    verified = verify_backup_copy(result.path, demo_store.data_dir, [key])
    demo_store.db.close()
    outcome = install_verified(verified, demo_store.data_dir, live_key=key,
                               actor=Actor.system(), restored_from=result.path, now=NOW)  # fmt: skip
    assert outcome.replaced is not None and outcome.replaced.exists()
    reopened = open_store(demo_store.data_dir, passphrase=PASSPHRASE)
    try:
        again = Services(reopened.db, clock, actor=Actor.system())
        assert again.settings.get().clinic_name != "Changed after the backup"
        with reopened.db.read() as s:
            assert s.scalar(select(func.count(Patient.id))) == patients
            last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert last.action == "restore"
    finally:
        reopened.db.close()
    assert outcome.replaced.read_bytes()[:16] != b"SQLite format 3\x00"  # kept encrypted


def _with_sidecar(path: Path) -> Path:
    sidecar_path(path).write_text(f"{file_sha256(path)}  {path.name}\n")
    return path


@pytest.mark.parametrize("damage", ["truncated", "bitflip", "foreign", "plain", "no_sidecar",
                                    "wrong_sidecar", "empty", "audit_tampered"])  # fmt: skip
def test_bad_backups_are_refused_and_change_nothing(demo_store, tmp_path, damage):
    good = backup_store(demo_store.db, tmp_path / "good.madesk").path
    bad = tmp_path / "bad.madesk"
    data = good.read_bytes()
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 3])
    elif damage == "bitflip":
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0x40
        bad.write_bytes(bytes(flipped))
    elif damage == "foreign":
        other = create_store(tmp_path / "other", passphrase="velvet harbor quilt sprocket")
        other.db.close()
        bad.write_bytes((tmp_path / "other" / "clinic.madesk").read_bytes())
    elif damage == "plain":
        import sqlite3

        conn = sqlite3.connect(bad)
        conn.execute("create table t(x)")
        conn.commit()
        conn.close()
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "audit_tampered":
        from sqlalchemy import text

        with demo_store.db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET username = 'x' WHERE id = 2"))
        bad = backup_store(demo_store.db, tmp_path / "tampered.madesk").path
        with demo_store.db.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET username = 'system' WHERE id = 2"))
    else:
        bad.write_bytes(data)
    if damage == "wrong_sidecar":
        sidecar_path(bad).write_text("0" * 64 + "  bad.madesk\n")
    elif damage not in ("no_sidecar", "audit_tampered"):
        _with_sidecar(bad)
    key = key_of(demo_store.data_dir)
    demo_store.db.checkpoint()
    before = folder_state(demo_store.data_dir)
    with pytest.raises(StoreError) as refused:
        verify_backup_copy(bad, demo_store.data_dir, [key])
    assert "Nothing was changed" in str(refused.value) or "not changed" in str(refused.value)
    assert folder_state(demo_store.data_dir) == before


def test_backup_from_before_a_key_change_restores_with_its_recovery_key(tmp_path, clock):
    data_dir = tmp_path / "clinic"
    opened = create_store(data_dir, passphrase=PASSPHRASE)
    old_recovery = opened.recovery_key
    Services(opened.db, clock, actor=Actor.system()).settings.update(clinic_name="Before rekey")
    old_backup = backup_store(opened.db, tmp_path / "old.madesk").path
    opened.db.close()
    old_key = key_of(data_dir)
    result = rotate_key(data_dir, old_key, new_passphrase="a new store passphrase")
    new_key = key_of(data_dir, "a new store passphrase")
    with pytest.raises(WrongKeyError):
        open_store(data_dir, passphrase=PASSPHRASE)
    with pytest.raises(BackupError, match="recovery key"):
        verify_backup_copy(old_backup, data_dir, [new_key])
    recovery = keys.StoreKey(keys.parse_recovery_key(old_recovery), "recovery key")
    verified = verify_backup_copy(old_backup, data_dir, [new_key, recovery])
    install_verified(verified, data_dir, live_key=new_key, actor=Actor.system(),
                     restored_from=old_backup, now=NOW)  # fmt: skip
    reopened = open_store(data_dir, passphrase="a new store passphrase")
    try:
        assert (
            Services(reopened.db, clock, actor=Actor.system()).settings.get().clinic_name
            == "Before rekey"
        )
    finally:
        reopened.db.close()
    assert keys.parse_recovery_key(result.recovery_key) == new_key.raw


def test_rekey_with_keyring_updates_the_entry_and_recovery_key(memory_keyring, tmp_path):
    data_dir = tmp_path / "kr"
    opened = create_store(data_dir)
    assert opened.key_source == "keyring"
    opened.db.close()
    old = keys.StoreKey(keys.keyring_get(data_dir), "keyring")
    result = rotate_key(data_dir, old)
    new_raw = keys.keyring_get(data_dir)
    assert new_raw != old.raw and keys.parse_recovery_key(result.recovery_key) == new_raw
    open_store(data_dir).db.close()
    keys.keyring_delete(data_dir)
    reopened = open_store(data_dir, recovery_key=result.recovery_key)
    reopened.db.close()
    assert keys.keyring_get(data_dir) == new_raw  # put back after opening with the recovery key


def test_daily_backup_runs_once_a_day_and_keeps_the_last_n(demo_store, clock):
    import datetime as dt

    made = []
    for day in range(5):
        now = clock.now() + dt.timedelta(days=day)
        made.append(run_scheduled_backup(demo_store.db, demo_store.data_dir, keep=3, now=now))
        assert run_scheduled_backup(demo_store.db, demo_store.data_dir, keep=3, now=now) is None
    kept = scheduled_backups(demo_store.data_dir)
    assert [p.name for p in kept] == [r.path.name for r in made[-3:]]
    assert all(sidecar_path(p).exists() for p in kept)
    assert not sidecar_path(made[0].path).exists()
    assert prune_backups(demo_store.data_dir, 1) == kept[:2]
