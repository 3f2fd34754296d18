"""What every service shares: the open store, the clock, the acting user.

A service method that writes does it in one ``_write`` block: permission
check, validation, the change and its audit entry commit together or not at
all. A refused permission is itself audited (in its own small transaction)
and raised as ``PermissionDenied``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.clock import Clock, SystemClock
from ma_desk.db.engine import Database
from ma_desk.errors import PermissionDenied
from ma_desk.permissions import allowed


class ServiceContext:
    """Shared by all services of one open store; ``actor`` changes on sign-in/switch user."""

    def __init__(self, db: Database, clock: Clock | None = None, actor: Actor | None = None):
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.actor: Actor = actor or Actor.system()
        self.elevated_until = None  # break-glass expiry (set by the accounts service)


class Service:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def actor(self) -> Actor:
        return self.ctx.actor

    def now(self):
        return self.ctx.clock.now()

    def check(self, permission: str, *, patient_id: int | None = None) -> None:
        """Raise PermissionDenied (and audit the refusal) unless the actor may do this."""
        if allowed(self.actor.role, permission) or self._elevated():
            return
        with self.ctx.db.write() as session:
            audit.record(
                session,
                self.actor,
                "permission_refused",
                "permission",
                permission,
                patient_id=patient_id,
                outcome="refused",
            )
        raise PermissionDenied(
            f"Your role ({self.actor.role.replace('_', ' ')}) does not allow this "
            f"({permission.replace('.', ' ')}). Ask an administrator."
        )

    def _elevated(self) -> bool:
        until = self.ctx.elevated_until
        return until is not None and self.now() < until

    @contextmanager
    def _write(self, permission: str, *, patient_id: int | None = None) -> Iterator[Session]:
        self.check(permission, patient_id=patient_id)
        with self.ctx.db.write() as session:
            yield session

    @contextmanager
    def _read(self, permission: str | None = None) -> Iterator[Session]:
        if permission:
            self.check(permission)
        with self.ctx.db.read() as session:
            yield session

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
