"""``ma-desk backup`` in server mode, through the real CLI on a real server.

server -> backup file (+ .sha256, .anchor.json) -> ``ma-desk check`` ok -> opened as an
ordinary store -> the same rows -> migrated back into an empty server -> the same again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shutil
import stat

import pytest
from sqlalchemy import select

from ma_desk.cli import main
from ma_desk.db.models import AuditEvent, Patient
from ma_desk.db.store import open_store
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from tests.conftest import PASSPHRASE
from tests.test_server_move import ServerHandle, assert_same_rows, file_digests

_names = itertools.count()


@pytest.fixture
def make_server(pg_cluster, pg_templates):
    """``make_server("demo" | "empty" | None)``: a new database (None: not initialised)."""
    made: list[ServerHandle] = []

    def make(template: str | None = "demo") -> ServerHandle:
        name = f"bk{next(_names)}_{os.getpid()}"
        clause = f" TEMPLATE {pg_templates[template]}" if template else ""
        pg_cluster.psql(f"CREATE DATABASE {name}{clause}")
        handle = ServerHandle(pg_cluster, name)
        made.append(handle)
        return handle

    yield make
    for handle in made:
        handle.close()
        pg_cluster.psql(f"DROP DATABASE IF EXISTS {handle.name} WITH (FORCE)")


@pytest.fixture
def workstation(tmp_path, monkeypatch):
    """This workstation's data folder, no keyring (a passphrase keeps its key), admin signs in."""
    folder = tmp_path / "workstation"
    monkeypatch.setenv("MA_DESK_DATA_DIR", str(folder))
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_USER", "admin")
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    return folder


def backup(server: ServerHandle, *target: str) -> int:
    return main(["backup", "--database-url", server.url, *target])


def as_store_folder(backup_file, folder, keyinfo=None):
    """The backup placed as an ordinary store folder (what a workstation does in a disaster)."""
    folder.mkdir()
    shutil.copy2(backup_file, folder / "clinic.madesk")
    if keyinfo is not None:
        shutil.copy2(keyinfo, folder / "keyinfo.json")
    return folder


def test_backup_check_open_and_migrate_back(make_server, workstation, tmp_path, capsys):
    server = make_server("demo")
    out = tmp_path / "clinic-server.madesk"
    assert backup(server, "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert "RECOVERY KEY" in printed and "SHA-256" in printed
    recovery_key = printed.split("shown once): ", 1)[1].split()[0]

    # The sidecars of a file backup, owner-only, and nothing readable inside.
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert (out.parent / f"{out.name}.sha256").read_text().split()[0] == digest
    anchor = json.loads((out.parent / f"{out.name}.anchor.json").read_text())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with server.db.read() as s:
        name = s.scalar(select(Patient.last_name).order_by(Patient.id).limit(1))
        backed_up = s.scalar(select(AuditEvent).where(AuditEvent.action == "backup"))
    assert name.encode() not in out.read_bytes()
    assert backed_up is not None and backed_up.username == "admin"  # audited on the server
    assert not list(tmp_path.glob("*.partial*"))

    # ma-desk check on it, as an ordinary store folder with this workstation's keyinfo.
    folder = as_store_folder(out, tmp_path / "disaster", workstation / "keyinfo.json")
    assert main(["check", "--data-dir", str(folder)]) == 0
    report = capsys.readouterr().out
    assert re.search(r"integrity check\s+ok", report) and re.search(r"page check\s+ok", report)

    # Opened on its own: the same rows as the server had at the backup.
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        with opened.db.engine.connect() as mine, server.db.engine.connect() as theirs:
            assert anchor["audit_head"][0] == mine.scalar(select(AuditEvent.id).order_by(
                AuditEvent.id.desc()).limit(1))  # fmt: skip
            assert_same_rows(mine, theirs, anchor["audit_head"][0])
    finally:
        opened.db.close()

    # Loaded back into an empty server from the file alone, with its recovery key.
    alone = as_store_folder(out, tmp_path / "alone")
    before = file_digests(alone)
    empty = make_server("empty")
    assert main(["migrate-to-server", "--data-dir", str(alone), "--database-url", empty.url,
                 "--recovery-key", recovery_key]) == 0  # fmt: skip
    assert file_digests(alone) == before
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        with opened.db.engine.connect() as mine, empty.db.engine.connect() as theirs:
            assert_same_rows(mine, theirs, anchor["audit_head"][0])
    finally:
        opened.db.close()


def test_daily_server_backups_go_into_backups_once_a_day(make_server, workstation, capsys):
    server = make_server("demo")
    assert backup(server, "--daily") == 0
    assert "RECOVERY KEY" in capsys.readouterr().out
    made = sorted((workstation / "backups").glob("clinic-*.madesk"))
    assert len(made) == 1
    assert backup(server, "--daily") == 0
    out = capsys.readouterr().out
    assert "already exists" in out and "RECOVERY KEY" not in out  # the key is kept
    assert sorted((workstation / "backups").glob("clinic-*.madesk")) == made


def test_a_second_backup_uses_the_same_workstation_key(make_server, workstation, tmp_path, capsys):
    server = make_server("demo")
    first, second = tmp_path / "one.madesk", tmp_path / "two.madesk"
    assert backup(server, "--out", str(first)) == 0
    capsys.readouterr()
    assert backup(server, "--out", str(second)) == 0
    assert "RECOVERY KEY" not in capsys.readouterr().out
    folder = as_store_folder(second, tmp_path / "two", workstation / "keyinfo.json")
    assert main(["check", "--data-dir", str(folder)]) == 0


def test_an_existing_file_is_never_replaced(make_server, workstation, tmp_path, capsys):
    server = make_server("demo")
    out = tmp_path / "taken.madesk"
    out.write_bytes(b"someone else's file")
    assert backup(server, "--out", str(out)) == 1
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"someone else's file"


def test_a_provider_may_not_back_up_the_server(make_server, workstation, tmp_path, capsys,
                                              monkeypatch):  # fmt: skip
    """The same role rule as a file backup (backup.run): a provider is refused."""
    server = make_server("demo")
    monkeypatch.setenv("MA_DESK_USER", "provider")
    out = tmp_path / "no.madesk"
    assert backup(server, "--out", str(out)) == 1
    capsys.readouterr()
    assert not out.exists()


def test_the_backup_is_one_snapshot_while_a_workstation_keeps_registering(
    make_server, workstation, tmp_path, capsys
):
    """Patients and their audit entries are committed together; a backup copied table by
    table at different moments would hold patients without entries (audit_events is copied
    before patients). One snapshot holds exactly as many of each, and its chain verifies."""
    import threading
    import time

    from sqlalchemy import func

    from ma_desk import audit
    from ma_desk.services import Services
    from tests.test_server_move import _new_patient

    server = make_server("demo")
    with server.db.read() as s:
        demo_patients = s.scalar(select(func.count()).select_from(Patient))
    desk = Services(server.db)
    desk.accounts.sign_in("frontdesk", DEMO_PASSWORD)
    stop, registered = threading.Event(), []

    def keep_registering() -> None:
        while not stop.is_set():
            registered.append(desk.patients.register(_new_patient(), duplicate_override=True))

    writer = threading.Thread(target=keep_registering)
    writer.start()
    try:
        deadline = time.monotonic() + 60
        while len(registered) < 3:
            assert time.monotonic() < deadline, "the workstation registered nobody"
            time.sleep(0.01)
        out = tmp_path / "busy.madesk"
        assert backup(server, "--out", str(out)) == 0
        during = len(registered)
    finally:
        stop.set()
        writer.join(timeout=60)
    capsys.readouterr()
    folder = as_store_folder(out, tmp_path / "busy", workstation / "keyinfo.json")
    opened = open_store(folder, passphrase=PASSPHRASE)
    try:
        with opened.db.read() as s:
            new_patients = s.scalar(select(func.count()).select_from(Patient)) - demo_patients
            created = s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "create", AuditEvent.entity == "patient"))  # fmt: skip
            assert audit.verify_store(s) == []
    finally:
        opened.db.close()
    assert 3 <= new_patients == created <= len(registered)
    assert during >= 3


def test_a_missing_folder_is_refused_before_anything_is_written(make_server, workstation,
                                                                tmp_path, capsys):  # fmt: skip
    server = make_server("demo")
    assert backup(server, "--out", str(tmp_path / "nowhere" / "b.madesk")) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nowhere").exists()


def test_kill_during_a_server_backup_leaves_nothing_under_its_name(make_server, workstation,
                                                                   tmp_path):  # fmt: skip
    """kill -9 while the snapshot is being read: no file (or sidecar) appears under the
    backup's name, so nobody mistakes a partial copy for a backup."""
    import signal
    import subprocess
    import sys
    import time

    import psycopg

    server = make_server("demo")
    out = tmp_path / "killed.madesk"
    with psycopg.connect(server.url) as holder:
        holder.execute("LOCK TABLE vital_observations IN ACCESS EXCLUSIVE MODE")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ma_desk", "backup", "--database-url", server.url,
             "--out", str(out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not server.cluster.psql(
                f"SELECT 1 FROM pg_stat_activity WHERE datname = '{server.name}' "
                "AND wait_event_type = 'Lock'"
            ).strip():
                assert time.monotonic() < deadline, "the backup never reached the snapshot"
                time.sleep(0.05)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        holder.rollback()
    assert proc.returncode == -signal.SIGKILL
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("killed.madesk")
                and ".partial" not in p.name]  # fmt: skip


def test_a_connected_workstation_backs_the_server_up_without_naming_it(
    make_server, workstation, tmp_path, capsys
):
    """The profile written by ``server connect`` selects server mode for ``backup`` too
    (it used to fall through to the store-file copy and fail with a driver error)."""
    server = make_server("demo")
    assert main(["server", "connect", "--database-url", server.url]) == 0
    capsys.readouterr()
    out = tmp_path / "from-profile.madesk"
    assert main(["backup", "--out", str(out)]) == 0
    assert "Backup of the clinic server written" in capsys.readouterr().out
    assert out.exists() and (out.parent / f"{out.name}.anchor.json").exists()


def test_the_store_file_copy_refuses_a_server_in_words(make_server, tmp_path):
    from ma_desk.backup import BackupError, backup_store

    server = make_server("demo")
    out = tmp_path / "wrong-path.madesk"
    with pytest.raises(BackupError, match="clinic server is backed up with"):
        backup_store(server.db, out)
    assert not list(tmp_path.iterdir())
