"""A store or restore on a network share is refused with the reason; the daily backup
scheduler of the app writes today's backup off the UI thread and keeps the last N."""

from __future__ import annotations

from pathlib import Path

import pytest

from ma_desk.db import network_fs
from ma_desk.db.network_fs import network_filesystem, parse_mount_table, refuse_network_path
from ma_desk.db.store import create_store, open_store
from ma_desk.errors import StoreError
from tests.conftest import PASSPHRASE


@pytest.fixture
def fake_mounts(monkeypatch, tmp_path):
    """/proc/mounts saying that tmp_path/share is an SMB (cifs) mount."""
    share = tmp_path / "share"
    share.mkdir()
    mounts = parse_mount_table(
        f"/dev/sda1 / ext4 rw 0 0\n//fileserver/clinic {share.resolve()} cifs rw,vers=3.0 0 0\n"
    )
    monkeypatch.setattr(network_fs, "read_mount_table", lambda: mounts)
    return share


@pytest.mark.parametrize("unc", ["\\\\fileserver\\clinic\\data", "//fileserver/clinic/data"])
def test_unc_paths_are_network_shares(unc):
    assert network_filesystem(Path(unc)) == "UNC path"


def test_refusal_explains_why_and_where_to_go(fake_mounts):
    assert network_filesystem(fake_mounts / "clinic") == "cifs"
    with pytest.raises(StoreError) as refused:
        refuse_network_path(fake_mounts / "clinic")
    message = str(refused.value)
    assert "network share (cifs)" in message
    assert "locking is unreliable" in message and "own disk" in message


def test_no_store_is_created_on_a_share(fake_mounts):
    target = fake_mounts / "clinic"
    with pytest.raises(StoreError):
        create_store(target, passphrase=PASSPHRASE)
    assert not (target / "clinic.madesk").exists()
    assert not (target / "keyinfo.json").exists()


def test_an_existing_store_on_a_share_is_not_opened(fake_mounts, tmp_path, monkeypatch):
    local = tmp_path / "local"
    create_store(local, passphrase=PASSPHRASE).db.close()
    target = fake_mounts / "clinic"
    target.mkdir()
    for p in local.iterdir():
        (target / p.name).write_bytes(p.read_bytes())
    before = (target / "clinic.madesk").read_bytes()
    with pytest.raises(StoreError, match="network share"):
        open_store(target, passphrase=PASSPHRASE)
    assert (target / "clinic.madesk").read_bytes() == before


def test_restore_into_a_share_is_refused(fake_mounts, demo_store, tmp_path):
    from ma_desk.backup import backup_store, verify_backup_copy
    from ma_desk.db import keys

    backup = backup_store(demo_store.db, tmp_path / "b.madesk").path
    key = keys.find_key(demo_store.data_dir, keys.read_keyinfo(demo_store.data_dir),
                        passphrase=PASSPHRASE)  # fmt: skip
    target = fake_mounts / "restored"
    with pytest.raises(StoreError, match="network share"):
        verify_backup_copy(backup, target, [key])
    assert not list(target.glob("*.madesk"))


def test_daily_backup_scheduler_writes_once_and_keeps_the_setting(
    qtbot, demo_services, demo_dir, clock
):
    from PySide6.QtWidgets import QMainWindow

    from ma_desk.backup import scheduled_backups
    from ma_desk.ui.security.backup_schedule import BackupScheduler

    demo_services.settings.update(backup_keep=2)
    window = QMainWindow()
    qtbot.addWidget(window)
    scheduler = BackupScheduler(demo_services, demo_dir, window)
    messages = []
    for _day in range(3):
        messages.append(scheduler.run_now_blocking())
        assert scheduler.run_now_blocking() == ""  # already done today
        clock.advance(days=1)
    assert all(m.startswith("Daily backup written") for m in messages)
    assert len(scheduled_backups(demo_dir)) == 2
    with qtbot.waitSignal(scheduler.finished, timeout=30_000) as signal:
        scheduler.check()  # due: runs on a worker thread and reports in the status bar
    assert signal.args[0].startswith("Daily backup written")
    scheduler.stop()
    assert len(scheduled_backups(demo_dir)) == 2
