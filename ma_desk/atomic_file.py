"""Writing a file so that readers see the old or the new version, never half of one.

A private temp file beside the target (owner-only, 0600 on POSIX, before any byte is
written), fsync, then an atomic rename and an fsync of the folder; on any failure the
temp file is removed, so no partial copy of patient data is left behind. A process
killed mid-write cannot remove its temp file: the name carries the process id, and the
next write into that folder removes temp files of processes that are gone.

``replace=False`` never replaces an existing file, even one that appeared while the
data was being written: the temp file is hard-linked to the target, which fails if the
target exists (where a filesystem has no hard links, it checks and renames).

Used for exports, reports, the iCalendar file, backup checksums, the key description
and the audit witness.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from ma_desk.leftovers import remove_stale

PRIVATE_MODE = 0o600
TEMP_PREFIX = ".ma-desk-"
TEMP_SUFFIX = ".part"
TEMP_PATTERN = re.compile(rf"^{re.escape(TEMP_PREFIX)}(?P<pid>\d+)-.*{re.escape(TEMP_SUFFIX)}$")


def write_bytes_atomic(
    path: str | os.PathLike[str], data: bytes, *, durable: bool = True, replace: bool = True
) -> Path:
    """``durable=False`` skips the fsyncs, for small files that may lag but never tear.

    Raises FileExistsError when ``replace`` is False and the target exists.
    """
    target = Path(path)
    remove_stale(target.parent, TEMP_PATTERN)
    fd, tmp = tempfile.mkstemp(
        prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX, dir=target.parent
    )
    try:
        os.chmod(tmp, PRIVATE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        publish(tmp, target, replace=replace)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_folder(target.parent)
    return target


def write_text_atomic(
    path: str | os.PathLike[str],
    text: str,
    encoding: str = "utf-8",
    *,
    durable: bool = True,
    replace: bool = True,
) -> Path:
    return write_bytes_atomic(path, text.encode(encoding), durable=durable, replace=replace)


def open_private(path: Path) -> BinaryIO:
    """A new file, owner-only from the start, open for writing; FileExistsError if it exists."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.fdopen(os.open(path, flags, PRIVATE_MODE), "wb")


def publish(tmp: str | os.PathLike[str], target: Path, *, replace: bool) -> None:
    """Give the finished temp file its name (see the module docstring for ``replace``)."""
    if replace:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:  # no hard links on this filesystem (FAT, some shares)
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.replace(tmp, target)
    else:
        os.unlink(tmp)


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` survive a power cut (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
