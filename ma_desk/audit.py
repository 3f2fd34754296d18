"""The audit trail: append-only, hash-chained, written in the caller's transaction.

Each entry's hash covers its own fields and the previous entry's hash, so
editing, deleting or reordering any entry breaks the chain at that entry. A
one-row head anchor (``audit_head``) is rewritten with every entry, so deleting
the newest entries or emptying the log is detected as well; a witness file
beside the store (written by the app and by backups) catches a truncation that
also rewrote the anchor.
Details carry field names and old/new values; they are inside the encrypted
store and never logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ma_desk.actor import Actor
from ma_desk.audit_details import scrub_details
from ma_desk.db.models import AuditEvent, AuditHead
from ma_desk.db.server import lock_audit_chain

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
    lock_audit_chain(session)  # on a shared server: one append at a time
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    event = AuditEvent(
        id=prev_id + 1,
        at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        user_id=actor.user_id,
        username=_no_nul(actor.username),
        workstation=_no_nul(actor.workstation),
        action=action,
        entity=entity,
        entity_id="" if entity_id is None else _no_nul(str(entity_id)),
        patient_id=patient_id,
        outcome=outcome,
        details=canonical_details(details if patient_id is None else scrub_details(details)),
        prev_hash=prev_hash,
    )
    event.hash = entry_hash(event, prev_hash)
    session.add(event)
    head = session.get(AuditHead, 1)
    if head is None:
        session.add(AuditHead(id=1, last_id=event.id, last_hash=event.hash))
    else:
        head.last_id, head.last_hash = event.id, event.hash
    session.flush()
    session.info["audit_head"] = (event.id, event.hash)  # for the witness, after commit
    return event


def _no_nul(text: str) -> str:
    """The trail records whatever was typed (a user name at a failed sign-in), except NUL,
    which no store keeps: recording must never fail because of garbage input."""
    return text.replace("\x00", "\ufffd")


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
    return _verify_batch(list(events), None, 0)[0]


def verify_head(
    last: tuple[int, str] | None, head: tuple[int, str] | None, position: int
) -> list[ChainProblem]:
    """Compare the newest entry with the head anchor; a mismatch means truncation or tampering."""
    if head is None:
        if last is None:
            return []
        return [ChainProblem(last[0], position, "the chain's head anchor is missing")]
    head_id, head_hash = head
    if last is None:
        return [
            ChainProblem(head_id, 0, f"entries 1 to {head_id} are missing: the log was emptied")
        ]
    last_id, last_hash = last
    if last_id < head_id:
        return [
            ChainProblem(
                head_id,
                position + 1,
                f"entries {last_id + 1} to {head_id} are missing: the log was truncated",
            )
        ]
    if last_id > head_id or last_hash != head_hash:
        return [ChainProblem(last_id, position, "does not match the chain's head anchor")]
    return []


def verify_witness(session: Session, witness: tuple[int, str] | None) -> list[ChainProblem]:
    """The entry a witness file remembers must still be there, unchanged."""
    if witness is None:
        return []
    wid, whash = witness
    stored = session.execute(select(AuditEvent.hash).where(AuditEvent.id == wid)).scalar()
    if stored is None:
        return [ChainProblem(wid, wid, "recorded by the witness file but missing from the log")]
    if stored != whash:
        return [ChainProblem(wid, wid, "differs from the copy recorded by the witness file")]
    return []


def verify_store(session: Session, *, witness: tuple[int, str] | None = None) -> list[ChainProblem]:
    """Every problem in the store's audit trail: chain links, hashes, head anchor, witness."""
    problems: list[ChainProblem] = []
    last: tuple[int, str] | None = None
    count = 0
    for batch in (
        session.execute(
            select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=2000)
        )
        .scalars()
        .partitions()
    ):
        pass_problems, last_seen, n = _verify_batch(batch, last, count)
        problems.extend(pass_problems)
        if last_seen is not None:
            last = last_seen
        count += n
    head_row = session.get(AuditHead, 1)
    head = (head_row.last_id, head_row.last_hash) if head_row else None
    problems.extend(verify_head(last, head, count))
    problems.extend(verify_witness(session, witness))
    return problems


def _verify_batch(
    events: Sequence[AuditEvent], last: tuple[int, str] | None, count: int
) -> tuple[list[ChainProblem], tuple[int, str] | None, int]:
    problems: list[ChainProblem] = []
    prev_hash = last[1] if last else GENESIS
    expected_id = last[0] + 1 if last else 1
    seen = None
    for position, event in enumerate(events, start=count + 1):
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
        seen = (event.id, event.hash)
    return problems, seen, len(events)


def chain_head(session: Session) -> tuple[int, str] | None:
    """The newest entry's id and hash (what a witness file records)."""
    row = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None
