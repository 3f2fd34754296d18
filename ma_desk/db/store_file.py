"""What the store file and its disk look like before SQLite touches them.

SQLite itself must never see a file that is empty or cut short: it treats an
empty file as a new database (and deletes a ``-wal`` beside it), so an
emptied store would quietly become a new, empty clinic. These checks read
the file system only and never write.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from ma_desk.db.sqlcipher_pages import PAGE_SIZE
from ma_desk.errors import NotAStoreError, StoreAccessError, StoreDamagedError

FULL_BELOW_BYTES = 64 * 1024  # SQLite's -shm alone needs 32 KiB
WAL_SUFFIX = "-wal"
SHM_SUFFIX = "-shm"
RESTORE_ADVICE = (
    "Restore the last good backup (Administration, or ma-desk restore FILE) and call "
    "your support contact."
)


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + WAL_SUFFIX)


def shm_path(path: Path) -> Path:
    return path.with_name(path.name + SHM_SUFFIX)


def wal_has_content(path: Path) -> bool:
    """True when the store's ``-wal`` holds bytes (possibly committed records)."""
    try:
        return wal_path(path).stat().st_size > 0
    except OSError:
        return False


def store_traces(path: Path) -> list[Path]:
    """Files showing that a store lived at ``path``: its -wal/-shm, key description,
    audit witness, copies set aside (``clinic.madesk.replaced-...``, ``.before-...``)."""
    from ma_desk.paths import KEYINFO_FILENAME
    from ma_desk.security.witness import WITNESS_FILENAME

    folder = path.parent
    named = [wal_path(path), shm_path(path), folder / KEYINFO_FILENAME, folder / WITNESS_FILENAME]
    return [p for p in named if p.exists()] + sorted(folder.glob(f"{path.name}.*"))


def check_store_file(path: Path) -> None:
    """Refuse a store that is not a readable regular file of whole pages.

    Raises before SQLite opens anything, so nothing is created or changed.
    """
    try:
        info = path.stat()
    except OSError as exc:
        raise StoreAccessError(
            f"The clinic store {path} cannot be examined ({exc.strerror}). Nothing was "
            "changed. Check that the folder is reachable, or call your support contact."
        ) from exc
    if stat.S_ISDIR(info.st_mode):
        raise NotAStoreError(
            f"{path} is a folder, not a clinic store file. Nothing was changed. Move it away "
            "and put the store file (or a restored backup) in its place, or call your support "
            "contact."
        )
    if not stat.S_ISREG(info.st_mode):
        raise NotAStoreError(
            f"{path} is not a regular file, so it is not a clinic store. Nothing was changed. "
            "Call your support contact."
        )
    _check_readable(path)
    if info.st_size == 0:
        raise StoreDamagedError(
            f"The clinic store {path} is empty (0 bytes): its contents were lost. MA Desk "
            f"will not treat it as a new clinic and did not change it. {RESTORE_ADVICE}",
            details=["file size: 0 bytes"],
        )
    if info.st_size % PAGE_SIZE:
        raise StoreDamagedError(
            f"The clinic store {path} is damaged: its size ({info.st_size:,} bytes) is not a "
            f"whole number of {PAGE_SIZE}-byte pages, so it was cut short or had bytes added. "
            f"It was not changed. {RESTORE_ADVICE}",
            details=[
                f"file size: {info.st_size} bytes = {info.st_size // PAGE_SIZE} pages "
                f"+ {info.st_size % PAGE_SIZE} bytes"
            ],
        )


def _check_readable(path: Path) -> None:
    """Reading the first bytes tells a permission problem from damage before SQLite does."""
    try:
        with open(path, "rb") as fh:
            fh.read(16)
    except PermissionError as exc:
        raise StoreAccessError(
            f"MA Desk may not read the clinic store {path} (permission denied). Nothing was "
            f"changed. Ask your support contact to give this computer's user access to "
            f"{path.parent}."
        ) from exc
    except OSError as exc:
        raise StoreAccessError(
            f"The clinic store {path} cannot be read ({exc.strerror}). Nothing was changed. "
            "If this happens again the disk may be failing: call your support contact."
        ) from exc


def disk_is_read_only(folder: Path) -> bool:
    """True when the file system holding ``folder`` is mounted read-only."""
    statvfs = getattr(os, "statvfs", None)  # not on Windows
    if statvfs is None:
        return False
    try:
        return bool(statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def disk_is_full(folder: Path) -> bool:
    """True when the disk holding ``folder`` has no room for SQLite's next files and pages."""
    try:
        return shutil.disk_usage(folder).free < FULL_BELOW_BYTES
    except OSError:
        return False


def write_problem(path: Path) -> str | None:
    """Why MA Desk could not write the store here (read-only disk, permissions), or None."""
    folder = path.parent
    if disk_is_read_only(folder):
        return (
            f"The disk holding the clinic store ({folder}) is read-only. Call your support "
            "contact to make it writable again, then restart MA Desk."
        )
    effective = os.access in os.supports_effective_ids  # the user MA Desk runs as
    writable = [os.access(p, os.W_OK, effective_ids=effective) for p in (path, folder)]
    if not all(writable):
        return (
            f"MA Desk may not write to the clinic store in {folder} (file or folder "
            "permissions). Ask your support contact to give this computer's user write "
            "access there, then restart MA Desk."
        )
    return None
