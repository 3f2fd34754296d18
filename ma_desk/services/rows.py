"""The one way a service loads a row the desk asked for by id.

Another workstation may have removed it since the screen showed it; the desk
then reads "That <what> no longer exists." rather than an unexpected error.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from ma_desk.errors import NotFoundError

M = TypeVar("M")


def existing(
    session: Session, model: type[M], row_id: object, what: str, *, lock: bool = False
) -> M:
    """The row with ``row_id``, or NotFoundError naming ``what`` ("patient", "room").

    ``lock`` loads it as committed now and holds it until the transaction ends, for an
    edit (services/versions.py: SQLite's write lock, PostgreSQL's row lock).
    """
    row = session.get(model, row_id, with_for_update=lock or None, populate_existing=lock)
    if row is None:
        raise NotFoundError(gone_message(what))
    return row


def gone_message(what: str) -> str:
    return f"That {what} no longer exists."
