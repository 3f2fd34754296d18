"""Every SQLite failure that is a known store problem, mapped to a message, in one place.

sqlcipher3 exceptions carry ``sqlite_errorcode`` (the extended result code)
and ``sqlite_errorname``; SQLAlchemy wraps them in ``DBAPIError.orig``. The
primary code (low byte) says what went wrong with the disk or the file;
anything not listed here (a constraint, an SQL mistake) is a bug and is left
to crash loudly. Each message says what is wrong and what to do, and never
blames the key for a disk problem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ma_desk.db.store_file import RESTORE_ADVICE, disk_is_full, disk_is_read_only
from ma_desk.errors import (
    DiskFullError,
    DiskReadOnlyError,
    StoreAccessError,
    StoreDamagedError,
    StoreError,
    StoreIOError,
    StoreLockedError,
)

SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_NOMEM = 7
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_PROTOCOL = 15
SQLITE_AUTH = 23
SQLITE_NOTADB = 26
SQLITE_IOERR_CORRUPTFS = SQLITE_IOERR | (33 << 8)
SQLITE_READONLY_DBMOVED = SQLITE_READONLY | (4 << 8)

DAMAGE_CODES = frozenset({SQLITE_CORRUPT, SQLITE_NOTADB})


def result_code(exc: BaseException) -> int | None:
    """The extended SQLite result code of ``exc`` (or of the DB-API error it wraps)."""
    code = getattr(getattr(exc, "orig", exc), "sqlite_errorcode", None)
    return code if isinstance(code, int) else None


def result_name(exc: BaseException) -> str:
    name = getattr(getattr(exc, "orig", exc), "sqlite_errorname", None)
    return name if isinstance(name, str) else "SQLITE_ERROR"


def is_damage(exc: BaseException) -> bool:
    """True when SQLite found the file itself damaged (not a disk or lock problem)."""
    code = result_code(exc)
    return code is not None and ((code & 0xFF) in DAMAGE_CODES or code == SQLITE_IOERR_CORRUPTFS)


def damaged_message(path: Path | None, cause: str) -> str:
    where = f" ({path})" if path else ""
    return f"The clinic store{where} is damaged: {cause}. {RESTORE_ADVICE}"


def _damaged(path: Path | None, name: str) -> StoreError:
    return StoreDamagedError(
        damaged_message(path, "a part of it can no longer be read")
        + " MA Desk switched to read-only, so nothing more is written to it.",
        details=[f"SQLite reported {name}"],
    )


def _full(path: Path | None, name: str) -> StoreError:
    return DiskFullError(
        f"The disk holding the clinic store{_in(path)} is full: MA Desk cannot write to it. "
        "Nothing was half-saved. Free some space on that disk (or ask your support contact "
        "to), then try again."
    )


def _read_only(path: Path | None, name: str) -> StoreError:
    if path is not None and not path.exists():
        cause = "the store file was moved or deleted while MA Desk had it open"
    elif path is not None and disk_is_read_only(path.parent):
        cause = "the disk holding it has become read-only"
    else:
        cause = "the file or its folder cannot be written (read-only or permissions)"
    return DiskReadOnlyError(
        f"MA Desk cannot write to the clinic store{_in(path)}: {cause}. Nothing was saved. "
        "Call your support contact to fix this, then restart MA Desk."
    )


def _io(path: Path | None, name: str) -> StoreError:
    return StoreIOError(
        f"The disk holding the clinic store{_in(path)} reported a read or write error "
        f"({name}). Nothing was half-saved. Try again; if it happens again the disk may be "
        "failing: call your support contact."
    )


def _locked(path: Path | None, name: str) -> StoreError:
    return StoreLockedError(
        f"The clinic store{_in(path)} is locked by another program (another MA Desk, a "
        "backup or a database tool) and stayed locked while MA Desk waited. Nothing was "
        "saved. Close that program or wait a moment, then try again."
    )


def _cannot_open(path: Path | None, name: str) -> StoreError:
    return StoreAccessError(
        f"The clinic store{_in(path)} cannot be opened ({name}): the file or its folder is "
        "missing, was moved, or may not be opened by this computer's user. Nothing was "
        "changed. Check the folder or call your support contact."
    )


def _refused(path: Path | None, name: str) -> StoreError:
    return StoreAccessError(
        f"The operating system refused MA Desk access to the clinic store{_in(path)} "
        f"({name}). Nothing was changed. Ask your support contact to give this computer's "
        "user access to the store's folder."
    )


def _no_memory(path: Path | None, name: str) -> StoreError:
    return StoreError(
        "This computer ran out of memory while using the clinic store. Nothing was "
        "half-saved. Close other programs and try again."
    )


def _in(path: Path | None) -> str:
    return f" in {path.parent}" if path is not None else ""


_BY_PRIMARY_CODE: dict[int, Callable[[Path | None, str], StoreError]] = {
    SQLITE_CORRUPT: _damaged,
    SQLITE_NOTADB: _damaged,
    SQLITE_FULL: _full,
    SQLITE_READONLY: _read_only,
    SQLITE_IOERR: _io,
    SQLITE_BUSY: _locked,
    SQLITE_LOCKED: _locked,
    SQLITE_PROTOCOL: _locked,
    SQLITE_CANTOPEN: _cannot_open,
    SQLITE_PERM: _refused,
    SQLITE_AUTH: _refused,
    SQLITE_NOMEM: _no_memory,
}


# An I/O or open failure on a full or read-only disk is reported as that, not as "I/O".
_DISK_STATE_FIRST = frozenset({SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY})


def store_error_for(exc: BaseException, path: Path | None) -> StoreError | None:
    """The known store problem behind ``exc``, or None when it is a bug."""
    code = result_code(exc)
    if code is None:
        return None
    name = result_name(exc)
    if code == SQLITE_IOERR_CORRUPTFS:
        return _damaged(path, name)
    primary = code & 0xFF
    if primary in _DISK_STATE_FIRST and path is not None:
        if disk_is_full(path.parent):
            return _full(path, name)
        if primary != SQLITE_READONLY and disk_is_read_only(path.parent):
            return _read_only(path, name)
    make = _BY_PRIMARY_CODE.get(primary)
    return make(path, name) if make else None
