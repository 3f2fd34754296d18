"""The backup calls the screens make, and what they may know of the store (issue 17 item 5).

``Back up now…`` and the daily backup reach the store only through
``services.backups``; the read-only banner and server mode through
``services.store``. Each backup leaves one "backup" entry; a role without
``backup.run`` is refused before a byte is written.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ma_desk.backup import BackupError, file_sha256, scheduled_backups, sidecar_path
from ma_desk.db.models import AuditEvent
from ma_desk.errors import PermissionDenied


def backup_entries(services) -> list[AuditEvent]:
    with services.ctx.db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == "backup")))


@pytest.mark.parametrize("username", ["admin", "ma", "frontdesk"])
def test_back_up_now_writes_a_checked_copy_recorded_as_the_user(
    demo_services, sign_in_as, tmp_path, username
):
    sign_in_as(username)
    result = demo_services.backups.back_up_to(tmp_path / "now.madesk")
    assert result.path == tmp_path / "now.madesk"
    assert file_sha256(result.path) == result.sha256
    assert sidecar_path(result.path).read_text().split() == [result.sha256, "now.madesk"]
    [entry] = backup_entries(demo_services)
    assert (entry.username, entry.outcome) == (username, "success")


def test_a_provider_may_not_back_up_and_nothing_is_written(demo_services, sign_in_as, tmp_path):
    sign_in_as("provider")
    with pytest.raises(PermissionDenied, match="Ask an administrator"):
        demo_services.backups.back_up_to(tmp_path / "no.madesk")
    assert list(tmp_path.glob("no.madesk*")) == []
    assert backup_entries(demo_services) == []


def test_back_up_now_never_overwrites_a_file(demo_services, sign_in_as, tmp_path):
    sign_in_as("admin")
    target = tmp_path / "kept.madesk"
    target.write_bytes(b"precious")
    with pytest.raises(BackupError, match="already exists"):
        demo_services.backups.back_up_to(target)
    assert target.read_bytes() == b"precious" and backup_entries(demo_services) == []


def test_the_daily_backup_is_made_once_a_day_as_the_system(
    demo_services, demo_dir, sign_in_as, clock
):
    sign_in_as("provider")  # any signed-in user's app keeps the clinic's daily backup
    now = clock.now()
    first = demo_services.backups.daily_backup(demo_dir, keep=2, now=now)
    assert first is not None and first.path.parent == demo_dir / "backups"
    assert (
        demo_services.backups.daily_backup(demo_dir, keep=2, now=now + dt.timedelta(hours=9))
        is None
    )
    for day in (1, 2):
        assert demo_services.backups.daily_backup(
            demo_dir, keep=2, now=now + dt.timedelta(days=day)
        )
    assert len(scheduled_backups(demo_dir)) == 2  # the oldest was pruned
    assert [e.username for e in backup_entries(demo_services)] == ["system"] * 3


def test_the_store_state_follows_a_switch_to_read_only(demo_services):
    store = demo_services.store
    assert (store.kind, store.on_server) == ("sqlcipher", False)
    assert (store.read_only, store.read_only_reason) == (False, "")
    heard: list[str] = []
    stop = store.watch_read_only(heard.append)
    demo_services.ctx.db.switch_to_read_only("A page failed its check (test).")
    assert heard == ["A page failed its check (test)."]
    assert (store.read_only, store.read_only_reason) == (True, "A page failed its check (test).")
    stop()
    stop()  # a second stop (a window closed twice) is harmless
    assert heard == ["A page failed its check (test)."]
    assert heard.append not in demo_services.ctx.db.read_only_listeners
