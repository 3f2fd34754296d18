"""Version counters on the records people edit from a form (optimistic concurrency).

Each editable table carries ``version`` (1 when created, +1 for every committed
change) and who changed it last, when and on which workstation. SQLAlchemy's
``version_id_col`` puts ``WHERE version = n`` on every UPDATE, so a change that
lost a race with another workstation hits no row and raises ``StaleDataError``
instead of silently overwriting. The counter is bumped here, once per changed
row and transaction, rather than by SQLAlchemy at each flush: a row created in
the same transaction (a new patient gets its MRN right after its id) stays at 1.

Services put the acting user and the time in ``session.info`` ("actor", "now")
so that every change is stamped without each method remembering to do it.
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Any

from sqlalchemy import DateTime, Integer, String, event
from sqlalchemy.orm import Mapped, Session, SessionTransaction, declared_attr, mapped_column

SETTLED = "versioning_settled"  # rows whose version this transaction already set


class Versioned:
    """Mixin: the version counter and the last change's who, when and where."""

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_by: Mapped[str] = mapped_column(String(120), default="", server_default="")
    updated_on: Mapped[str] = mapped_column(String(120), default="", server_default="")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version, "version_id_generator": False}


def _settled(session: Session) -> weakref.WeakSet[Any]:
    settled = session.info.get(SETTLED)
    if settled is None:
        settled = session.info[SETTLED] = weakref.WeakSet()
    return settled


def _stamp(session: Session, row: Versioned) -> None:
    actor = session.info.get("actor")
    now = session.info.get("now")
    if actor is not None:
        row.updated_by = actor.display_name or actor.username
        row.updated_on = actor.workstation
    if now is not None:
        row.updated_at = now


@event.listens_for(Session, "before_flush")
def stamp_versions(session: Session, _context: object, _instances: object) -> None:
    """New rows start at version 1; each changed row moves one version on, stamped."""
    settled = _settled(session)
    for row in session.new:
        if isinstance(row, Versioned):
            settled.add(row)
            row.version = 1
            _stamp(session, row)
    for row in session.dirty:
        if not isinstance(row, Versioned) or row in settled:
            continue
        if session.is_modified(row, include_collections=False):
            settled.add(row)
            row.version = (row.version or 1) + 1
            _stamp(session, row)


@event.listens_for(Session, "after_transaction_end")
def forget_settled(session: Session, transaction: SessionTransaction) -> None:
    """The next transaction of the same session counts its own change again."""
    if transaction.parent is None:
        session.info.pop(SETTLED, None)
