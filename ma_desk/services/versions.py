"""Refusing a save over a newer version of a record (two workstations, one record).

A form remembers the version it loaded and passes it as ``expected_version``;
when the stored record has moved on, the save is refused with the name, time
and workstation of the change that won, and the record as it is now, so the
user can compare and save again. Rows are locked for the rest of the
transaction when loaded for an edit: on PostgreSQL a second workstation waits
and then sees the first one's change (and its version) instead of overwriting it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from ma_desk.db.versioning import Versioned
from ma_desk.errors import StaleVersionError

R = TypeVar("R", bound=Versioned)


def locked(session: Session, model: type[R], row_id: object) -> R | None:
    """The row as committed now, locked until the transaction ends (SQLite: its write lock)."""
    return session.get(model, row_id, with_for_update=True, populate_existing=True)


def check_version(
    row: Versioned,
    expected: int | None,
    *,
    what: str,
    current: Callable[[], object],
    now: dt.datetime,
) -> None:
    """Refuse (StaleVersionError, nothing written) when ``row`` is newer than ``expected``."""
    if expected is None or row.version == expected:
        return
    raise stale_error(row, what=what, current=current(), now=now)


def stale_error(
    row: Versioned, *, what: str, current: object, now: dt.datetime
) -> StaleVersionError:
    """The refusal naming who changed ``row`` last, when and where, with ``current``."""
    return StaleVersionError(
        changed_message(what, row.updated_by, row.updated_at, row.updated_on, now),
        current=current,
        version=row.version,
        changed_by=row.updated_by,
        changed_at=row.updated_at,
        changed_on=row.updated_on,
    )


def changed_message(what: str, by: str, at: dt.datetime | None, on: str, now: dt.datetime) -> str:
    """The refusal text: who won the race, when and on which workstation, and what to do."""
    who = by or "someone else"
    when = ""
    if at is not None:
        when = f" at {at:%H:%M}" if at.date() == now.date() else f" at {at:%H:%M} on {at:%m/%d/%Y}"
    where = f" on {on}" if on else ""
    if at is not None and at.date() != now.date() and on:
        where = f" (workstation {on})"
    return (
        f"Not saved: this {what} was changed by {who}{when}{where} after you opened it. "
        "What you typed is still in the form: compare it with the saved version, then save again."
    )


RACE_MESSAGE = (
    "Not saved: someone else saved this record at the same moment. What you typed is still "
    "in the form: open the record again to see their change, then save again."
)
