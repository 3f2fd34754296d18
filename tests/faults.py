"""What an attacker or a failing disk does to a store, for the fault tests.

Real faults only: bytes flipped in the file, files cut short, a tiny tmpfs
that fills up or is remounted read-only, another process holding a lock.
Mounting needs root (as in CI); without it those tests are skipped and say why.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ma_desk.db import keys
from ma_desk.paths import store_path
from tests.conftest import PASSPHRASE

PAGE = 4096
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(
    not IS_ROOT, reason="mounting a small tmpfs (full or read-only disk) needs root, as in CI"
)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_state(folder: Path) -> dict[str, str]:
    """Every file's SHA-256, by name: compare before and after an attack."""
    return {p.name: digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def store_state(data_dir: Path) -> dict[str, str]:
    """The store and its WAL (the files holding records), whatever else SQLite adds."""
    path = store_path(data_dir)
    files = [path, path.with_name(path.name + "-wal")]
    return {p.name: digest(p) for p in files if p.exists() and p.stat().st_size}


def flip(path: Path, offset: int, count: int = 4) -> None:
    """Invert ``count`` bytes at ``offset``, as a failing disk or an editor would."""
    with open(path, "r+b") as fh:
        fh.seek(offset)
        data = fh.read(count)
        fh.seek(offset)
        fh.write(bytes(b ^ 0xFF for b in data))


def store_key(data_dir: Path) -> keys.StoreKey:
    info = keys.read_keyinfo(data_dir)
    assert info is not None
    return keys.find_key(data_dir, info, passphrase=PASSPHRASE)


def root_pages(data_dir: Path) -> dict[str, int]:
    """The root page of every table and index (read on a private copy, so nothing is touched)."""
    from ma_desk.db.engine import connect_raw

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.madesk"
        shutil.copy(store_path(data_dir), copy)
        conn = connect_raw(copy, store_key(data_dir), read_only=True)
        try:
            rows = conn.execute("SELECT name, rootpage FROM sqlite_master WHERE rootpage > 0")
            return {name: page for name, page in rows}
        finally:
            conn.close()


class Tmpfs:
    """A small tmpfs of its own: filled up, or remounted read-only, on demand."""

    def __init__(self, mount_point: Path, size: str) -> None:
        self.path = mount_point
        mount_point.mkdir(parents=True, exist_ok=True)
        _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point))

    def read_only(self) -> None:
        _run("mount", "-o", "remount,ro", str(self.path))

    def writable(self) -> None:
        _run("mount", "-o", "remount,rw", str(self.path))

    def fill(self) -> Path:
        """Take every free byte; returns the filler file (delete it to free the space)."""
        filler = self.path / "filler.bin"
        with open(filler, "ab", buffering=0) as fh:  # unbuffered: nothing left to flush
            for size in (1 << 16, 1):  # big chunks, then the last few bytes
                with contextlib.suppress(OSError):
                    while True:
                        fh.write(b"\0" * size)
        return filler

    def unmount(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.writable()
        result = subprocess.run(["umount", str(self.path)], capture_output=True)
        if result.returncode:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@contextlib.contextmanager
def tmpfs(mount_point: Path, size: str) -> Iterator[Tmpfs]:
    disk = Tmpfs(mount_point, size)
    try:
        yield disk
    finally:
        disk.unmount()


@contextlib.contextmanager
def as_user(uid: int = 65534) -> Iterator[None]:
    """Run the block with another effective user id, so file permissions apply to root too."""
    if not IS_ROOT:
        yield
        return
    os.seteuid(uid)
    try:
        yield
    finally:
        os.seteuid(0)


def hold_lock(path: Path, key: keys.StoreKey, *, how: str) -> subprocess.Popen:
    """Another process holding the store: ``exclusive`` (nobody may read) or ``write``
    (a write transaction left open). Returns once the lock is held."""
    statements = {
        "exclusive": ["PRAGMA locking_mode = EXCLUSIVE", "BEGIN EXCLUSIVE",
                      "CREATE TABLE IF NOT EXISTS lock_probe (x)"],
        "write": ["BEGIN IMMEDIATE", "CREATE TABLE IF NOT EXISTS lock_probe (x)"],
    }[how]  # fmt: skip
    pragma_key = f'PRAGMA key = "{key.pragma_value()}"'
    script = (
        "import sqlcipher3, sys\n"
        f"c = sqlcipher3.connect({str(path)!r}, isolation_level=None)\n"
        f"c.execute({pragma_key!r})\n"
        + "".join(f"c.execute({s!r})\n" for s in statements)
        + "print('locked', flush=True)\nsys.stdin.read()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "locked"
    return proc


def release(proc: subprocess.Popen) -> None:
    """End the lock holder without committing (closing stdin lets it exit)."""
    proc.stdin.close()
    proc.wait(timeout=30)
