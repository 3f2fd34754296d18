"""The audit trail: append-only, hash-chained, written in the caller's transaction.

Each entry's hash covers its own fields and the previous entry's hash, so
editing, deleting or reordering any entry breaks the chain at that entry.
Details carry field names and old/new values; they are inside the encrypted
store and never logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent

GENESIS = "0" * 64


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def canonical_details(details: dict[str, Any] | None) -> str:
    return json.dumps(details or {}, sort_keys=True, separators=(",", ":"), default=_default)


def entry_hash(event: AuditEvent, prev_hash: str) -> str:
    payload = "\x1f".join(
        [
            prev_hash,
            str(event.id),
            event.at,
            "" if event.user_id is None else str(event.user_id),
            event.username,
            event.workstation,
            event.action,
            event.entity,
            event.entity_id,
            "" if event.patient_id is None else str(event.patient_id),
            event.outcome,
            event.details,
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    patient_id: int | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry inside ``session``'s transaction (which must be a write)."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    event = AuditEvent(
        id=prev_id + 1,
        at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        user_id=actor.user_id,
        username=actor.username,
        workstation=actor.workstation,
        action=action,
        entity=entity,
        entity_id="" if entity_id is None else str(entity_id),
        patient_id=patient_id,
        outcome=outcome,
        details=canonical_details(details),
        prev_hash=prev_hash,
    )
    event.hash = entry_hash(event, prev_hash)
    session.add(event)
    session.flush()
    return event


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Old and new value of each field that differs, for an audit entry's details."""
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    position: int
    problem: str

    def __str__(self) -> str:
        return f"audit entry {self.entry_id} (position {self.position}): {self.problem}"


def verify_chain(events: Iterable[AuditEvent]) -> list[ChainProblem]:
    """Walk the entries in id order; report every entry whose link or hash is wrong."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_id = 1
    for position, event in enumerate(events, start=1):
        if event.id != expected_id:
            problems.append(
                ChainProblem(
                    event.id, position, f"expected entry {expected_id}: entries missing or moved"
                )
            )
        if event.prev_hash != prev_hash:
            problems.append(ChainProblem(event.id, position, "link to previous entry broken"))
        if entry_hash(event, event.prev_hash) != event.hash:
            problems.append(ChainProblem(event.id, position, "contents changed after writing"))
        prev_hash = event.hash
        expected_id = event.id + 1
    return problems


def verify_store(session: Session) -> list[ChainProblem]:
    events = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    return verify_chain(events)
