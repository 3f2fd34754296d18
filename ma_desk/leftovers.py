"""Files a killed MA Desk process left half-written, and removing them safely.

Every such file carries the id of the process writing it in its name. A file whose
process is gone (or is a zombie waiting to be reaped) is a leftover and may go; a file
whose process id is running is never touched, even when that id now belongs to another
program (the leftover is then removed at a later start).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from pathlib import Path

log = logging.getLogger("ma_desk.files")


def process_running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    import psutil  # imported only when a leftover is found

    if pid == os.getpid():
        return True
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except (psutil.NoSuchProcess, ValueError, OverflowError):  # gone, or never a valid id
        return False
    except psutil.Error:
        return True  # cannot tell (access denied): leave the file alone


def stale_files(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Files in ``folder`` whose name matches ``pattern`` (group ``pid``) of a gone process."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    owners = {name: int(m["pid"]) for name in names if (m := pattern.match(name))}
    gone = {pid for pid in set(owners.values()) if not process_running(pid)}
    return [folder / name for name, pid in owners.items() if pid in gone]


def remove_stale(folder: Path, pattern: re.Pattern[str]) -> list[Path]:
    """Remove the stale files ``stale_files`` finds; returns what was removed."""
    removed = []
    for path in stale_files(folder, pattern):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    if removed:
        log.info("removed %d file(s) left by ended MA Desk processes", len(removed))
    return removed
