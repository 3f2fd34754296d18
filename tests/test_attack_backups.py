"""Backups attacked like a failing disk or a careless copy would: a flipped byte in every
page, truncation, wrong and swapped checksums, swapped files; owner-only files even under a
permissive umask; and real backup and restore processes stopped and killed mid-way."""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.backup import (
    PARTIAL,
    BackupError,
    backup_store,
    file_sha256,
    run_scheduled_backup,
    sidecar_path,
    verify_backup_copy,
)
from ma_desk.cli import main
from ma_desk.db import keys
from ma_desk.db.store import create_store, open_store
from ma_desk.security.demo_accounts import DEMO_PASSWORD
from tests.conftest import NOW, PASSPHRASE

PAGE = 4096
MA_DESK = str(Path(sys.executable).with_name("ma-desk"))
CLEAR_REFUSAL = re.compile(r"Nothing was changed|not changed")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def folder_state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}  # fmt: skip


def key_of(data_dir: Path) -> keys.StoreKey:
    return keys.find_key(data_dir, keys.read_keyinfo(data_dir), passphrase=PASSPHRASE)


def with_sidecar(path: Path, data: bytes) -> Path:
    """``data`` at ``path`` with a checksum that matches it (damage from before the checksum)."""
    path.write_bytes(data)
    sidecar_path(path).write_text(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n")
    return path


@pytest.fixture
def open_umask():
    """A umask that lets everyone read new files: MA Desk must not depend on the user's."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture(scope="module")
def small_backup(tmp_path_factory):
    """A small store (a few pages) with a backup and the key that opens it."""
    folder = tmp_path_factory.mktemp("small")
    opened = create_store(folder / "clinic", passphrase=PASSPHRASE)
    try:
        backup = backup_store(opened.db, folder / "good.madesk").path
    finally:
        opened.db.close()
    return folder / "clinic", backup.read_bytes(), key_of(folder / "clinic")


def refused(bad: Path, data_dir: Path, key: keys.StoreKey) -> str:
    """Verify ``bad``; it must be refused with a BackupError and leave the folder as it was."""
    before = folder_state(data_dir)
    with pytest.raises(BackupError) as refusal:
        verify_backup_copy(bad, data_dir, [key])
    message = str(refusal.value)
    assert CLEAR_REFUSAL.search(message) and bad.name in message, message
    assert "Traceback" not in message and "[SQL:" not in message and "sqlcipher3" not in message
    assert folder_state(data_dir) == before
    return message


# ------------------------------------------------------------------ damage
def test_a_flipped_byte_in_every_page_is_refused_clearly(small_backup, tmp_path):
    data_dir, good, key = small_backup
    pages = len(good) // PAGE
    assert pages >= 20 and len(good) % PAGE == 0
    rng = random.Random(2026)
    messages = []
    for page in range(pages):
        flipped = bytearray(good)
        flipped[page * PAGE + rng.randrange(PAGE)] ^= 1 << rng.randrange(8)
        bad = with_sidecar(tmp_path / f"page{page}.madesk", bytes(flipped))
        messages.append(refused(bad, data_dir, key))
    damaged = [m for m in messages if "is damaged" in m]
    assert len(damaged) >= pages - 1, messages  # page 1 carries the salt: it reads as a wrong key
    assert all(f"page {n + 1}" in m for n, m in enumerate(messages) if "is damaged" in m)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(offset=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_any_flipped_byte_anywhere_is_refused(small_backup, tmp_path, offset, mask):
    data_dir, good, key = small_backup
    flipped = bytearray(good)
    flipped[offset % len(good)] ^= mask
    refused(with_sidecar(tmp_path / "flip.madesk", bytes(flipped)), data_dir, key)


def test_a_flipped_byte_with_the_old_checksum_is_refused_by_the_checksum(small_backup, tmp_path):
    data_dir, good, key = small_backup
    bad = with_sidecar(tmp_path / "b.madesk", good)
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x10
    bad.write_bytes(bytes(flipped))
    assert "SHA-256" in refused(bad, data_dir, key)


def test_truncation_at_every_page_boundary_and_inside_pages_is_refused(small_backup, tmp_path):
    data_dir, good, key = small_backup
    pages = len(good) // PAGE
    cuts = [n * PAGE for n in range(1, pages)] + [n * PAGE + 1 for n in range(pages)]
    cuts += [len(good) - 1, 16, 100]
    for cut in cuts:
        refused(with_sidecar(tmp_path / f"cut{cut}.madesk", good[:cut]), data_dir, key)


def test_appended_garbage_is_refused(small_backup, tmp_path):
    data_dir, good, key = small_backup
    refused(with_sidecar(tmp_path / "long.madesk", good + os.urandom(PAGE)), data_dir, key)
    refused(with_sidecar(tmp_path / "tail.madesk", good + b"x"), data_dir, key)


@pytest.mark.parametrize(
    "sidecar, words",
    [("", "not a SHA-256"), ("not a checksum\n", "not a SHA-256"),
     ("0" * 64 + "  b.madesk\n", "does not match"), ("f" * 63 + "  b.madesk\n", "not a SHA-256"),
     ("\x00\xff\xfe binary", "missing or unreadable"), (None, "missing or unreadable"),
     ("DIR", "missing or unreadable")],
    ids=["empty", "words", "zeros", "short", "binary", "missing", "a folder"],
)  # fmt: skip
def test_a_wrong_sidecar_is_refused(small_backup, tmp_path, sidecar, words):
    data_dir, good, key = small_backup
    bad = tmp_path / "b.madesk"
    bad.write_bytes(good)
    side = sidecar_path(bad)
    if sidecar == "DIR":
        side.mkdir()
    elif sidecar is not None:
        side.write_bytes(sidecar.encode("latin-1"))
    assert words in refused(bad, data_dir, key)


def test_swapped_sidecars_of_two_good_backups_are_refused(demo_store, tmp_path):
    first = backup_store(demo_store.db, tmp_path / "first.madesk").path
    with demo_store.db.write() as s:  # the store changes between the two backups
        audit.record(s, Actor.system(), "lock", "session")
    second = backup_store(demo_store.db, tmp_path / "second.madesk").path
    first_side, second_side = sidecar_path(first).read_text(), sidecar_path(second).read_text()
    sidecar_path(first).write_text(second_side)
    sidecar_path(second).write_text(first_side)
    for bad in (first, second):
        assert "SHA-256" in refused(bad, demo_store.data_dir, key_of(demo_store.data_dir))


def test_swapped_files_are_refused(small_backup, tmp_path):
    data_dir, good, key = small_backup
    other = create_store(tmp_path / "other clinic", passphrase="another clinic's passphrase")
    try:
        foreign = backup_store(other.db, tmp_path / "foreign.madesk").path
    finally:
        other.db.close()
    assert "does not open with this store's key" in refused(foreign, data_dir, key)
    pdf = with_sidecar(tmp_path / "scan.madesk", b"%PDF-1.7\n" + os.urandom(3 * PAGE))
    refused(pdf, data_dir, key)
    pages = [good[i : i + PAGE] for i in range(0, len(good), PAGE)]
    pages[3], pages[4] = pages[4], pages[3]  # two pages swapped inside the file
    assert "is damaged" in refused(with_sidecar(tmp_path / "swap.madesk", b"".join(pages)),
                                   data_dir, key)  # fmt: skip


def test_the_cli_refuses_a_damaged_backup_in_one_line(demo_store, tmp_path, monkeypatch, capsys):
    good = backup_store(demo_store.db, tmp_path / "b.madesk").path
    demo_store.db.close()
    flipped = bytearray(good.read_bytes())
    flipped[7 * PAGE + 123] ^= 0x04
    bad = with_sidecar(tmp_path / "bad.madesk", bytes(flipped))
    before = folder_state(demo_store.data_dir)
    monkeypatch.setenv("MA_DESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("MA_DESK_PASSWORD", DEMO_PASSWORD)
    code = main(["restore", str(bad), "--data-dir", str(demo_store.data_dir), "--user", "admin"])
    err = capsys.readouterr().err
    assert code == 1 and "is damaged: HMAC verification failed for page 8" in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert folder_state(demo_store.data_dir) == before


# ------------------------------------------------------------------ permissions
def test_backups_and_sidecars_are_owner_only(demo_store, tmp_path, open_umask):
    result = backup_store(demo_store.db, tmp_path / "b.madesk")
    daily = run_scheduled_backup(demo_store.db, demo_store.data_dir, keep=3, now=NOW)
    for path in (result.path, daily.path):
        assert mode(path) == 0o600 and mode(sidecar_path(path)) == 0o600
    assert mode(daily.path.parent) == 0o700


def test_a_restored_store_is_owner_only(demo_store, tmp_path, open_umask):
    from ma_desk.backup import install_verified

    backup = backup_store(demo_store.db, tmp_path / "b.madesk").path
    backup.chmod(0o644)  # copied around with loose permissions meanwhile
    key = key_of(demo_store.data_dir)
    verified = verify_backup_copy(backup, demo_store.data_dir, [key])
    assert mode(verified.path) == 0o600
    demo_store.db.close()
    result = install_verified(verified, demo_store.data_dir, live_key=key, actor=Actor.system(),
                              restored_from=backup, now=NOW)  # fmt: skip
    assert mode(demo_store.data_dir / "clinic.madesk") == 0o600 and mode(result.replaced) == 0o600


def test_a_backup_never_replaces_a_file_or_follows_a_symlink(demo_store, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    link = tmp_path / "b.madesk"
    link.symlink_to(precious)
    dangling = tmp_path / "d.madesk"
    dangling.symlink_to(tmp_path / "nowhere.madesk")
    for target in (link, dangling):
        with pytest.raises(BackupError, match="already exists"):
            backup_store(demo_store.db, target)
    assert precious.read_text() == "keep me" and not (tmp_path / "nowhere.madesk").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith((".partial", ".sha256"))]


# ------------------------------------------------------------------ leftovers
def dead_pid() -> int:
    """The id of a process that has ended and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_ended_processes_go_and_those_of_live_ones_stay(demo_dir, tmp_path):
    gone, elsewhere = dead_pid(), tmp_path / "usb"
    elsewhere.mkdir()
    live = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                            stdin=subprocess.PIPE)  # fmt: skip
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        files = {}
        for who, pid in (("gone", gone), ("live", live.pid), ("zombie", zombie.pid)):
            partial = elsewhere / f"b.madesk.{pid}-0a1b2c3d.partial"
            partial.write_bytes(b"half a backup")
            note = demo_dir / f".backup-{pid}-0a1b2c3d.pending"
            note.write_text(str(partial))
            copy = demo_dir / f".restore-{pid}.madesk"
            files[who] = [partial, note, copy, copy.with_name(copy.name + "-wal")]
            for path in files[who][2:]:
                path.write_bytes(b"half a restore")
        wait_until(lambda: zombie_state(zombie.pid))
        unrelated = demo_dir / f".restore-{gone}.txt"
        unrelated.write_text("not ours")
        open_store(demo_dir, passphrase=PASSPHRASE).db.close()
        assert not any(p.exists() for p in files["gone"] + files["zombie"])
        assert all(p.exists() for p in files["live"]) and unrelated.exists()
    finally:
        live.communicate(b"")
        zombie.wait()
    open_store(demo_dir, passphrase=PASSPHRASE).db.close()
    assert not any(p.exists() for p in files["live"])


def test_a_note_never_makes_the_cleanup_remove_another_file(demo_dir, tmp_path):
    precious = tmp_path / "precious.madesk"
    precious.write_bytes(b"a real backup")
    pid = dead_pid()
    (demo_dir / f".backup-{pid}-00ff00ff.pending").write_text(str(precious))
    other_pid = tmp_path / f"x.madesk.{pid + 1}-11ff11ff.partial"
    other_pid.write_bytes(b"someone else's")
    (demo_dir / f".backup-{pid}-11ff11ff.pending").write_text(str(other_pid))
    other_backup = tmp_path / f"y.madesk.{pid}-33ff33ff.partial"
    other_backup.write_bytes(b"another backup of the same process")
    (demo_dir / f".backup-{pid}-22ff22ff.pending").write_text(str(other_backup))
    open_store(demo_dir, passphrase=PASSPHRASE).db.close()
    assert precious.exists() and other_pid.exists() and other_backup.exists()
    assert not list(demo_dir.glob(".backup-*.pending"))


def zombie_state(pid: int) -> bool:
    import psutil

    return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def cli_env() -> dict[str, str]:
    return {**os.environ, "MA_DESK_PASSPHRASE": PASSPHRASE, "MA_DESK_USER": "admin",
            "MA_DESK_PASSWORD": DEMO_PASSWORD, "QT_QPA_PLATFORM": "offscreen"}  # fmt: skip


def stop_when(argv: list[str], appeared, attempts: int = 8) -> tuple[subprocess.Popen, list[Path]]:
    """Run ``argv`` (umask 0) and SIGSTOP it once ``appeared()`` lists files (retry if it ended)."""
    for _ in range(attempts):
        process = subprocess.Popen(argv, env=cli_env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, umask=0)  # fmt: skip
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if appeared():
                process.send_signal(signal.SIGSTOP)
                found = appeared()
                if found:
                    return process, found
                break
        process.kill()
        process.wait()
    pytest.fail(f"never caught {argv[1]} mid-way in {attempts} attempts")


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    process.stderr.close()


def test_a_backup_killed_mid_way_leaves_nothing_after_the_next_start(demo_dir, tmp_path):
    out_dir = tmp_path / "usb stick"
    out_dir.mkdir()
    out = out_dir / "clinic.madesk"
    process, partials = stop_when(
        [MA_DESK, "backup", "--data-dir", str(demo_dir), "--out", str(out)],
        lambda: [p for p in out_dir.iterdir() if PARTIAL.match(p.name)],
    )
    try:
        notes = list(demo_dir.glob(".backup-*.pending"))
        assert len(partials) == 1 and len(notes) == 1 and not out.exists()
        assert {mode(p) for p in out_dir.iterdir()} == {0o600}  # the partial and its journal
        open_store(demo_dir, passphrase=PASSPHRASE).db.close()  # while it is stopped, alive
        assert partials[0].exists() and notes[0].exists()
    finally:
        kill(process)
    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    try:
        with opened.db.read() as s:
            assert audit.verify_store(s) == []
        assert opened.db.engine.connect().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        opened.db.close()
    assert list(out_dir.iterdir()) == [] and not list(demo_dir.glob(".backup-*"))
    done = subprocess.run([MA_DESK, "backup", "--data-dir", str(demo_dir), "--out", str(out)],
                          env=cli_env(), capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "clinic.madesk",
        "clinic.madesk.anchor.json",
        "clinic.madesk.sha256",
    ]


def test_a_daily_backup_killed_mid_way_is_cleaned_too(demo_dir):
    folder = demo_dir / "backups"
    process, partials = stop_when(
        [MA_DESK, "backup", "--data-dir", str(demo_dir), "--daily"],
        lambda: [p for p in folder.iterdir() if PARTIAL.match(p.name)] if folder.exists() else [],
    )
    kill(process)
    open_store(demo_dir, passphrase=PASSPHRASE).db.close()
    assert not partials[0].exists() and list(folder.iterdir()) == []


def test_a_restore_killed_mid_way_leaves_nothing_after_the_next_start(demo_dir, tmp_path):
    opened = open_store(demo_dir, passphrase=PASSPHRASE)
    try:
        backup = backup_store(opened.db, tmp_path / "b.madesk").path
    finally:
        opened.db.close()
    live_before = file_sha256(demo_dir / "clinic.madesk")
    process, copies = stop_when(
        [MA_DESK, "restore", str(backup), "--data-dir", str(demo_dir)],
        lambda: list(demo_dir.glob(".restore-*.madesk")),
    )
    try:
        assert copies == [demo_dir / f".restore-{process.pid}.madesk"]
        assert {mode(p) for p in demo_dir.glob(".restore-*")} == {0o600}
        assert file_sha256(demo_dir / "clinic.madesk") == live_before
        open_store(demo_dir, passphrase=PASSPHRASE).db.close()
        assert copies[0].exists()  # its process is alive (stopped): not touched
    finally:
        kill(process)
    open_store(demo_dir, passphrase=PASSPHRASE).db.close()
    assert not list(demo_dir.glob(".restore-*"))


def test_the_cli_backup_does_not_follow_a_symlink_to_a_new_place(demo_dir, tmp_path, capsys):
    link = tmp_path / "b.madesk"
    link.symlink_to(tmp_path / "where the link points.madesk")
    env = {k: v for k, v in cli_env().items() if k.startswith("MA_DESK_")}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        code = main(["backup", "--data-dir", str(demo_dir), "--out", str(link)])
    assert code == 1 and "already exists" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.madesk", "demo"]
