"""Writing, scheduling and pruning backups, and cleaning what a killed one left, at their
exact rules (the mutation run of ma_desk/backup.py's writing half): which files are daily
backups, when one is due, which go at pruning, which leftovers a note may name, and what a
refused backup says and leaves."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ma_desk import audit, backup
from ma_desk.actor import Actor
from ma_desk.backup import BackupError
from ma_desk.db.models import AuditEvent
from ma_desk.db.store import create_store
from ma_desk.security.verification import backup_anchor_path
from tests.conftest import PASSPHRASE

DAY = dt.date(2026, 11, 30)


def touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ------------------------------------------------------------------ which files are daily backups
def test_only_clinic_date_time_madesk_names_are_daily_backups(tmp_path):
    folder = tmp_path / "backups"
    daily = [touch(folder / f"clinic-2026112{d}-0700{d}0.madesk") for d in (9, 7, 8)]
    for name in ("clinic-20261130-070000.madesk.sha256", "clinic-2026113-070000.madesk",
                 "clinic-20261130-07000.madesk", "xclinic-20261130-070000.madesk",
                 "clinic-20261130-070000.madeskx", "clinic-20261130_070000.madesk",
                 "clinic-2026113a-070000.madesk", "mine.madesk"):  # fmt: skip
        touch(folder / name)
    assert backup.scheduled_backups(tmp_path) == sorted(daily)  # oldest first
    assert backup.backup_dir(tmp_path) == folder


def test_no_backups_folder_means_no_daily_backups_and_one_is_due(tmp_path):
    assert backup.scheduled_backups(tmp_path) == []
    assert backup.backup_due(tmp_path, DAY)
    touch(tmp_path / "backups")  # a file where the folder should be
    assert backup.scheduled_backups(tmp_path) == []


@pytest.mark.parametrize(
    ("existing", "due"),
    [
        ("clinic-20261130-000000.madesk", False),  # today, at midnight
        ("clinic-20261130-235959.madesk", False),
        ("clinic-20261129-235959.madesk", True),  # yesterday's
        ("clinic-20261201-000000.madesk", True),  # tomorrow's (a clock set back) is not today's
        ("clinic-20261130-000000.madesk.sha256", True),  # a checksum alone is no backup
    ],
)
def test_a_backup_is_due_unless_one_was_made_today(tmp_path, existing, due):
    touch(tmp_path / "backups" / existing)
    assert backup.backup_due(tmp_path, DAY) is due


# ------------------------------------------------------------------ pruning
def daily_with_sidecars(data_dir: Path, days: int) -> list[Path]:
    made = []
    for day in range(1, days + 1):
        path = touch(data_dir / "backups" / f"clinic-202611{day:02d}-070000.madesk")
        touch(backup.sidecar_path(path))
        touch(backup_anchor_path(path))
        made.append(path)
    return made


@pytest.mark.parametrize(("keep", "kept"), [(3, 3), (4, 4), (5, 4), (1, 1), (0, 1), (-2, 1)])
def test_pruning_keeps_the_newest_n_with_their_sidecars(tmp_path, keep, kept):
    made = daily_with_sidecars(tmp_path, 4)
    mine = touch(tmp_path / "backups" / "before-upgrade.madesk")
    removed = backup.prune_backups(tmp_path, keep)
    assert removed == made[: 4 - kept]
    assert backup.scheduled_backups(tmp_path) == made[4 - kept :]
    for path in made:
        gone = path in removed
        assert path.exists() is not gone
        assert backup.sidecar_path(path).exists() is not gone
        assert backup_anchor_path(path).exists() is not gone
    assert mine.exists()  # a backup staff named is never pruned


def test_pruning_takes_a_setting_read_as_text(tmp_path):
    made = daily_with_sidecars(tmp_path, 3)
    assert backup.prune_backups(tmp_path, "2") == made[:1]  # type: ignore[arg-type]


# ------------------------------------------------------------------ a killed backup's note
def note_and_partial(folder: Path, pid: int, token: str, named: str) -> tuple[Path, Path]:
    note = touch(folder / f".backup-{pid}-{token}.pending", str(folder / named))
    return note, folder / named


@pytest.mark.parametrize(
    ("named", "ours"),
    [
        ("b.madesk.4242-beef.partial", True),
        ("b.madesk.4243-beef.partial", False),  # another process
        ("b.madesk.4242-bee0.partial", False),  # another backup of the same process
        ("b.madesk.4242-beef.partialx", False),
        ("b.madesk.4242-BEEF.partial", False),  # tokens are lower-case hex
        ("clinic.madesk", False),  # the live store is never a partial file
        ("b.madesk", False),
    ],
)
def test_a_note_names_only_its_own_partial_file(tmp_path, named, ours):
    note, partial = note_and_partial(tmp_path, 4242, "beef", named)
    assert backup._partial_named_by(note) == (partial if ours else None)


def test_an_unreadable_or_badly_named_note_names_nothing(tmp_path):
    binary = tmp_path / ".backup-4242-beef.pending"
    binary.write_bytes(b"\xff\xfe/b.madesk.4242-beef.partial")
    assert backup._partial_named_by(binary) is None
    assert backup._partial_named_by(tmp_path / ".backup-1-ab.pending") is None  # missing
    wrong = touch(tmp_path / ".backup-4242-beef.pendingx", str(tmp_path / "b.4242-beef.partial"))
    assert backup._partial_named_by(wrong) is None


def test_the_next_start_removes_a_dead_backups_partial_files_and_its_note(tmp_path):
    dead_pid = 2**22 + 12345  # above any pid_max Linux hands out by default
    elsewhere = tmp_path / "usb"
    partial = touch(elsewhere / f"b.madesk.{dead_pid}-ab12.partial")
    wal = touch(elsewhere / f"b.madesk.{dead_pid}-ab12.partial-wal")
    data_dir = tmp_path / "clinic"
    note = touch(data_dir / f".backup-{dead_pid}-ab12.pending", str(partial))
    bystander = touch(elsewhere / "b.madesk")
    removed = backup.clean_leftovers(data_dir)
    assert set(removed) == {partial, wal, note}
    assert not partial.exists() and not wal.exists() and not note.exists()
    assert bystander.exists()


def test_a_live_backups_note_and_partial_file_stay(tmp_path):
    partial = touch(tmp_path / "usb" / f"b.madesk.{os.getpid()}-ab12.partial")
    note = touch(tmp_path / "clinic" / f".backup-{os.getpid()}-ab12.pending", str(partial))
    assert backup.clean_leftovers(tmp_path / "clinic") == []
    assert partial.exists() and note.exists()


# ------------------------------------------------------------------ writing one
@pytest.fixture
def small_store(tmp_path):
    opened = create_store(tmp_path / "clinic", passphrase=PASSPHRASE)
    yield opened
    opened.db.close()


def folder_names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_backup_writes_the_copy_its_checksum_and_its_audit_anchor(small_store, tmp_path):
    with small_store.db.write() as s:
        audit.record(s, Actor.system(), "settings", "clinic", "1")  # an entry to anchor
    out = tmp_path / "out" / "b.madesk"
    out.parent.mkdir()
    result = backup.backup_store(small_store.db, out, actor=Actor.system())
    assert folder_names(out.parent) == {"b.madesk", "b.madesk.sha256", "b.madesk.anchor.json"}
    assert (result.path, result.size) == (out, out.stat().st_size)
    assert result.sha256 == backup.file_sha256(out)
    assert out.with_name("b.madesk.sha256").read_text("utf-8") == f"{result.sha256}  b.madesk\n"
    with small_store.db.read() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    backed_up = events[-1]
    assert (backed_up.action, backed_up.entity, backed_up.entity_id) == ("backup", "store",
                                                                          "b.madesk")  # fmt: skip
    assert result.audit_entries == len(events) - 1  # the copy holds what came before
    assert json.loads(backed_up.details) == {"file": str(out), "sha256": result.sha256,
                                             "bytes": result.size}  # fmt: skip
    anchor = json.loads(backup_anchor_path(out).read_text("ascii"))
    assert anchor["audit_head"] == [events[-2].id, events[-2].hash]
    assert dt.datetime.fromisoformat(anchor["made_at"]).tzinfo is not None
    for written in (out, backup.sidecar_path(out)):
        assert stat.S_IMODE(written.stat().st_mode) & 0o077 == 0  # owner-only
    assert not [p for p in (tmp_path / "clinic").iterdir() if p.name.endswith(".pending")]


def test_a_backup_without_an_actor_is_not_audited(small_store, tmp_path):
    with small_store.db.read() as s:
        before = len(s.scalars(select(AuditEvent.id)).all())
    backup.backup_store(small_store.db, tmp_path / "b.madesk")
    with small_store.db.read() as s:
        assert len(s.scalars(select(AuditEvent.id)).all()) == before


def test_a_backup_with_a_name_in_any_language_gets_a_utf8_checksum(small_store, tmp_path):
    out = tmp_path / "Sauvegarde-été.madesk"
    result = backup.backup_store(small_store.db, out)
    assert backup.sidecar_path(out).read_bytes() == f"{result.sha256}  {out.name}\n".encode()


@pytest.mark.parametrize(
    ("make_target", "words"),
    [
        (lambda tmp: touch(tmp / "b.madesk"), "already exists; choose a new file name"),
        (lambda tmp: tmp / "missing" / "b.madesk", "does not exist. Nothing was written."),
    ],
)
def test_a_refused_backup_says_why_and_writes_nothing(small_store, tmp_path, make_target, words):
    out = make_target(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(BackupError, match=words):
        backup.backup_store(small_store.db, out)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_a_backup_never_overwrites_the_live_store(small_store):
    live = small_store.db.path
    before = live.read_bytes()
    with pytest.raises(BackupError, match="already exists"):
        backup.backup_store(small_store.db, live)
    assert live.read_bytes() == before


def test_a_store_without_an_audit_entry_gets_no_anchor(small_store, tmp_path):
    result = backup.backup_store(small_store.db, tmp_path / "b.madesk")
    assert folder_names(tmp_path) == {"clinic", "b.madesk", "b.madesk.sha256"}
    assert result.audit_entries == 0


def test_a_dangling_symlink_counts_as_an_existing_file(small_store, tmp_path):
    link = tmp_path / "b.madesk"
    link.symlink_to(tmp_path / "nowhere.madesk")
    with pytest.raises(BackupError, match="already exists"):
        backup.backup_store(small_store.db, link)
    assert not (tmp_path / "nowhere.madesk").exists()


def test_a_failed_write_names_the_cause_and_leaves_no_partial_file(
    small_store, tmp_path, monkeypatch
):
    def disk_full(path: Path) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup, "_fsync_file", disk_full)
    out = tmp_path / "b.madesk"
    with pytest.raises(BackupError) as refusal:
        backup.backup_store(small_store.db, out)
    assert str(refusal.value) == (
        f"The backup to {out} failed (No space left on device). The clinic store was not changed."
    )
    assert folder_names(tmp_path) == {"clinic"}
    assert not [p for p in (tmp_path / "clinic").iterdir() if p.name.endswith(".pending")]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OSError(errno.EACCES, "Permission denied"), "Permission denied"),
        (OSError("no strerror"), "no strerror"),
        (ValueError("first line\nsecond line"), "first line"),
        (ValueError("x" * 300), "x" * 200),
        (ValueError(""), "ValueError"),
        (RuntimeError(), "RuntimeError"),
    ],
)
def test_the_reason_shown_is_one_short_line(error, reason):
    assert backup._reason(error) == reason


def test_the_daily_backup_is_named_by_the_clock_and_made_once(small_store):
    data_dir = small_store.db.path.parent
    now = dt.datetime(2026, 11, 30, 7, 5, 9)
    made = backup.run_scheduled_backup(small_store.db, data_dir, keep=2, now=now)
    assert made is not None and made.path == data_dir / "backups" / "clinic-20261130-070509.madesk"
    assert stat.S_IMODE(made.path.parent.stat().st_mode) == 0o700
    assert backup.run_scheduled_backup(small_store.db, data_dir, keep=2, now=now) is None
    later = backup.run_scheduled_backup(
        small_store.db, data_dir, keep=1, now=now + dt.timedelta(days=1)
    )
    assert later is not None and backup.scheduled_backups(data_dir) == [later.path]


def test_a_clinic_server_is_not_copied_as_a_file(tmp_path):
    server = SimpleNamespace(kind="postgresql", path=None)
    with pytest.raises(BackupError) as refusal:
        backup.backup_store(server, tmp_path / "b.madesk")  # type: ignore[arg-type]
    assert str(refusal.value) == (
        "This copies a store file; a clinic server is backed up with ma-desk backup "
        "--database-url URL. Nothing was written."
    )
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ restore: putting it in place
OTHER_PASSPHRASE = "a different passphrase 7731"


def store_key(data_dir: Path, passphrase: str = PASSPHRASE):
    from ma_desk.db import keys

    return keys.find_key(data_dir, keys.read_keyinfo(data_dir), passphrase=passphrase)


RESTORED_AT = dt.datetime(2026, 11, 30, 7, 5, 9)


def backed_up(small_store, tmp_path: Path) -> tuple[Path, list]:
    """A backup of a store with one audit entry; returns it and the entries it holds."""
    with small_store.db.write() as s:
        audit.record(s, Actor.system(), "settings", "clinic", "1")
    made = backup.backup_store(small_store.db, tmp_path / "b.madesk").path
    with small_store.db.read() as s:
        held = [(e.id, e.hash) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    return made, held


def restore(made: Path, data_dir: Path, key) -> backup.RestoreResult:
    verified = backup.verify_backup_copy(made, data_dir, [key])
    return backup.install_verified(verified, data_dir, live_key=key, actor=Actor.system(),
                                   restored_from=made, now=RESTORED_AT)  # fmt: skip


def test_a_restore_keeps_the_old_store_and_records_what_it_restored(small_store, tmp_path):
    data_dir = small_store.db.path.parent
    made, held = backed_up(small_store, tmp_path)
    key = store_key(data_dir)
    small_store.db.close()
    result = restore(made, data_dir, key)
    kept = data_dir / "clinic.madesk.replaced-20261130-070509"
    assert result == backup.RestoreResult(made, kept, len(held) + 1)
    assert kept.exists() and not [p for p in data_dir.iterdir() if p.name.startswith(".restore-")]
    reopened = backup.Database(backup.make_engine(small_store.db.path, key), small_store.db.path)
    try:
        with reopened.read() as s:
            restored = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    finally:
        reopened.close()
    assert [(e.id, e.hash) for e in restored[:-1]] == held
    entry = restored[-1]
    assert (entry.action, entry.entity, entry.entity_id) == ("restore", "store", "b.madesk")
    assert json.loads(entry.details) == {"file": str(made), "sha256": backup.file_sha256(made),
                                         "restored_head": list(held[-1])}  # fmt: skip


def test_a_restore_into_an_empty_data_folder_replaces_nothing(small_store, tmp_path):
    data_dir = small_store.db.path.parent
    made, held = backed_up(small_store, tmp_path)
    key = store_key(data_dir)
    small_store.db.close()
    verified = backup.verify_backup_copy(made, data_dir, [key])
    small_store.db.path.unlink()  # the live store is gone (a lost disk)
    result = backup.install_verified(verified, data_dir, live_key=key, actor=Actor.system(),
                                     restored_from=made, now=RESTORED_AT)  # fmt: skip
    assert result == backup.RestoreResult(made, None, len(held) + 1)
    assert small_store.db.path.exists()


def test_a_restore_over_an_unreadable_store_moves_it_aside(small_store, tmp_path):
    data_dir = small_store.db.path.parent
    live = small_store.db.path
    made, held = backed_up(small_store, tmp_path)
    key = store_key(data_dir)
    small_store.db.close()
    verified = backup.verify_backup_copy(made, data_dir, [key])
    live.write_bytes(b"\0" * 4096)  # damaged beyond reading
    result = backup.install_verified(verified, data_dir, live_key=key, actor=Actor.system(),
                                     restored_from=made, now=RESTORED_AT)  # fmt: skip
    kept = data_dir / "clinic.madesk.replaced-20261130-070509"
    assert result == backup.RestoreResult(made, kept, len(held) + 1)
    assert kept.read_bytes() == b"\0" * 4096
    assert live.read_bytes()[:16] != b"\0" * 16  # the restored store is in its place


# ------------------------------------------------------------------ restore: is the store in use
def test_a_store_open_in_ma_desk_is_not_restored_over(small_store):
    live = small_store.db.path
    with small_store.db.write() as s:  # an open connection keeps the -shm file
        audit.record(s, Actor.system(), "settings", "clinic", "1")
    assert live.with_name(live.name + "-shm").exists()
    with pytest.raises(BackupError) as refusal:
        backup.refuse_if_in_use(live, store_key(live.parent))
    assert str(refusal.value) == (
        f"The clinic store in {live.parent} is open in MA Desk (or another program). "
        "Close MA Desk on this computer, then restore again. Nothing was changed."
    )
    with pytest.raises(BackupError, match="is open in MA Desk"):
        backup.refuse_if_in_use(live, None)  # no key to look closer: refused all the same


def test_a_closed_store_or_none_at_all_may_be_restored_over(small_store, tmp_path):
    live = small_store.db.path
    key = store_key(live.parent)
    small_store.db.close()
    assert not live.with_name(live.name + "-shm").exists()
    assert backup.refuse_if_in_use(live, key) is None
    touch(tmp_path / "none.madesk-shm")  # a -shm without its store holds nothing
    assert backup.refuse_if_in_use(tmp_path / "none.madesk", key) is None


def test_only_a_closed_readable_store_counts_as_checkpointed(small_store, tmp_path):
    live = small_store.db.path
    key = store_key(live.parent)
    with small_store.db.write() as s:
        audit.record(s, Actor.system(), "settings", "clinic", "1")
    assert backup._checkpointed(live, key) is False  # open here: its -shm is in use
    small_store.db.close()
    assert backup._checkpointed(live, key) is True
    other = create_store(tmp_path / "other", passphrase=OTHER_PASSPHRASE)
    other.db.close()
    assert backup._checkpointed(live, store_key(tmp_path / "other", OTHER_PASSPHRASE)) is False


# ------------------------------------------------------------------ small writers
def test_the_pending_note_names_the_partial_file_and_never_replaces_one(tmp_path):
    live = tmp_path / "clinic" / "clinic.madesk"
    live.parent.mkdir()
    db = SimpleNamespace(path=live)
    partial = tmp_path / "usb" / "b.madesk.1-ab.partial"
    note = backup._note_pending(db, partial, "ab")  # type: ignore[arg-type]
    assert note == live.parent / f".backup-{os.getpid()}-ab.pending"
    assert note.read_text("utf-8") == str(partial.absolute())
    with pytest.raises(FileExistsError):
        backup._note_pending(db, partial, "ab")  # type: ignore[arg-type]
    assert backup._note_pending(SimpleNamespace(path=None), partial, "cd") is None  # type: ignore[arg-type]


def test_pruning_a_backup_whose_checksum_was_lost_still_removes_it(tmp_path):
    made = daily_with_sidecars(tmp_path, 3)
    backup.sidecar_path(made[0]).unlink()
    backup_anchor_path(made[0]).unlink()
    assert backup.prune_backups(tmp_path, 2) == made[:1]
    assert not made[0].exists()


def test_the_daily_backup_is_audited_as_the_actor_given(small_store):
    data_dir = small_store.db.path.parent
    backup.run_scheduled_backup(small_store.db, data_dir, keep=2, now=RESTORED_AT,
                                actor=Actor.system())  # fmt: skip
    with small_store.db.read() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.action, last.entity_id) == ("backup", "clinic-20261130-070509.madesk")
