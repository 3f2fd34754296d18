"""What every service shares: the open store, the clock, the acting user.

Public methods declare their permissions with ``@policy`` (ma_desk/services/
policy.py), which checks them before the body runs. A method that writes does
it in one ``_write`` block: validation, the change and its audit entry commit
together or not at all. A method that reads patient data records a view or
query entry with ``_record_read``. A refused permission is itself audited (in
its own small transaction) and raised as ``PermissionDenied``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.clock import Clock, SystemClock
from ma_desk.db.engine import Database
from ma_desk.errors import PermissionDenied, StaleVersionError
from ma_desk.permissions import ROLES, allowed, permitted
from ma_desk.services.versions import RACE_MESSAGE

# A view shown again (a refresh, a repaint, the same patient chosen again) within this
# time of the same session is not recorded again; a new opening after it is.
VIEW_REPEAT_WINDOW = dt.timedelta(minutes=10)


class ServiceContext:
    """Shared by all services of one open store; ``actor`` changes on sign-in/switch user."""

    def __init__(self, db: Database, clock: Clock | None = None, actor: Actor | None = None):
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.actor: Actor = actor or Actor.nobody()
        self.elevated_until: dt.datetime | None = (
            None  # break-glass expiry (set by the accounts service)
        )
        self.views_recorded: dict[
            tuple[Hashable, ...], dt.datetime
        ] = {}  # read entries of this session
        # The audit seal key, opened by an administrator's password at sign-in; never stored.
        self.seal_key: bytes | None = None
        # Failed sign-ins per name while the store is read-only (nothing can be written).
        self.read_only_failures: dict[str, Any] = {}

    def new_session(self, actor: Actor) -> None:
        """Someone signed in, out or unlocked: the next view of anything is a new opening."""
        self.actor = actor
        self.elevated_until = None
        self.views_recorded.clear()
        self.seal_key = None


class Service:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def actor(self) -> Actor:
        return self.ctx.actor

    def now(self) -> dt.datetime:
        return self.ctx.clock.now()

    # ------------------------------------------------------------ permissions
    def require(self, permissions: tuple[str, ...], *, patient_id: int | None = None) -> None:
        """Every permission in ``permissions``, or a signed-in user when there are none."""
        if not permissions:
            if self.actor.role not in ROLES:
                self._refuse("signed_in", patient_id)
            return
        for permission in permissions:
            self.check(permission, patient_id=patient_id)

    def check(self, permission: str, *, patient_id: int | None = None) -> None:
        """Raise PermissionDenied (and audit the refusal) unless the actor may do this."""
        if permitted(self.actor.role, permission, elevated=self._elevated()):
            return
        self._refuse(permission, patient_id)

    def _refuse(self, permission: str, patient_id: int | None) -> None:
        if not getattr(self.ctx.db, "read_only", False):
            with self.ctx.db.write() as session:
                audit.record(session, self.actor, "permission_refused", "permission", permission,
                             patient_id=patient_id, outcome="refused")  # fmt: skip
        if self.actor.role not in ROLES:
            raise PermissionDenied("Sign in first.")
        raise PermissionDenied(
            f"Your role ({self.actor.role.replace('_', ' ')}) does not allow this "
            f"({permission.replace('.', ' ')}). Ask an administrator."
        )

    def _elevated(self) -> bool:
        until = self.ctx.elevated_until
        return until is not None and self.now() < until

    # ------------------------------------------------------------ transactions
    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One write transaction; the caller's ``@policy`` has checked the permissions.

        Changed records are stamped with this user, workstation and time (ma_desk/db/
        versioning.py). An UPDATE that found its row at a newer version (another
        workstation won a race) is refused as a StaleVersionError; nothing is written.
        """
        try:
            with self.ctx.db.write() as session:
                session.info["actor"] = self.actor
                session.info["now"] = self.now()
                yield session
        except StaleDataError as exc:
            raise StaleVersionError(RACE_MESSAGE) from exc

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self.ctx.db.read() as session:
            yield session

    # ------------------------------------------------------------ audit
    def _audit(
        self,
        session: Session,
        action: str,
        entity: str,
        entity_id: object = "",
        *,
        patient_id: int | None = None,
        details: dict[str, Any] | None = None,
        outcome: str = "success",
    ) -> None:
        if self._elevated() and not allowed(self.actor.role, "users.admin"):
            details = {**(details or {}), "break_glass": True}
        audit.record(
            session,
            self.actor,
            action,
            entity,
            entity_id,
            patient_id=patient_id,
            details=details,
            outcome=outcome,
        )

    def _record_read(
        self,
        action: str,
        entity: str,
        entity_id: object = "",
        *,
        patient_id: int | None = None,
        details: dict[str, Any] | None = None,
        view: Hashable | None = None,
    ) -> None:
        """Record a view or query of patient data, in its own small transaction.

        ``view`` names what is on screen (a patient's chart, a day's schedule): the
        same view shown again within ``VIEW_REPEAT_WINDOW`` of this session (a
        refresh or repaint) is not recorded again. A store opened read-only
        (damaged) records nothing; its banner says so.
        """
        if getattr(self.ctx.db, "read_only", False):
            return
        now = self.now()
        key = None if view is None else (self.actor.user_id, action, entity, view)
        if key is not None:
            last = self.ctx.views_recorded.get(key)
            if last is not None and dt.timedelta(0) <= now - last < VIEW_REPEAT_WINDOW:
                return
        with self.ctx.db.write() as session:
            self._audit(session, action, entity, entity_id, patient_id=patient_id,
                        details=details)  # fmt: skip
        if key is not None:
            self.ctx.views_recorded[key] = now
