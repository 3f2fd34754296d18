"""Keeping and checking the audit seals in the store (the crypto is ma_desk/security/seal.py).

Used by the accounts service (an administrator's sign-in opens the seal key,
checks every seal, then seals the head) and by the audit-trail service
(``verify`` reports the seals). Nothing here is a public service method.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import Result, delete, func, select
from sqlalchemy.orm import Session

from ma_desk import audit
from ma_desk.actor import Actor
from ma_desk.db.models import AuditEvent, AuditSealKey
from ma_desk.security import seal

SEAL_ACTION = "seal"


@dataclass
class SealReport:
    seals: int = 0
    problems: list[audit.ChainProblem] = field(default_factory=list)
    newest: tuple[int, str, str] | None = None  # entry id, time, who

    def describe_newest(self) -> str:
        if self.newest is None:
            return "no seal yet"
        entry_id, at, who = self.newest
        return f"entry {entry_id}, {at[:16].replace('T', ' ')} UTC, by {who}"


def copy_for(session: Session, user_id: int) -> seal.WrappedSealKey | None:
    row = session.get(AuditSealKey, user_id)
    return None if row is None else seal.WrappedSealKey(row.salt, row.wrapped, row.key_id)


def any_copy(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(AuditSealKey)))


def give_copy(session: Session, user_id: int, key: bytes, password: str, now: dt.datetime) -> None:
    """Wrap ``key`` for this administrator's password (replacing any older copy)."""
    copy = seal.wrap(key, password)
    row = session.get(AuditSealKey, user_id)
    if row is None:
        session.add(AuditSealKey(user_id=user_id, salt=copy.salt, wrapped=copy.wrapped,
                                 key_id=copy.key_id, created_at=now))  # fmt: skip
    else:
        row.salt, row.wrapped, row.key_id, row.created_at = (
            copy.salt, copy.wrapped, copy.key_id, now
        )  # fmt: skip


def take_copy(session: Session, user_id: int) -> None:
    session.execute(delete(AuditSealKey).where(AuditSealKey.user_id == user_id))


def _seal_rows(session: Session) -> Result[int, str, str, str]:
    return session.execute(
        select(AuditEvent.id, AuditEvent.details, AuditEvent.at, AuditEvent.username)
        .where(AuditEvent.action == SEAL_ACTION)
        .order_by(AuditEvent.id)
    )


def check_seals(session: Session, key: bytes) -> SealReport:
    """Every seal must be made with ``key``, be unforged, follow the previous seal, and the
    entry it sealed must still have the hash it had."""
    report = SealReport()
    expected_key = seal.key_id(key)
    previous = 0
    for entry_id, details_json, at, who in _seal_rows(session):
        report.seals += 1
        report.newest = (entry_id, at, who)
        try:
            details = json.loads(details_json)
            sealed_id, sealed_hash = int(details["sealed_id"]), str(details["sealed_hash"])
            claimed_previous, mac = int(details["previous_seal"]), str(details["mac"])
            kid = str(details["key_id"])
        except (ValueError, KeyError, TypeError):
            report.problems.append(audit.ChainProblem(entry_id, entry_id, "seal is unreadable"))
            previous = entry_id
            continue
        if kid != expected_key:
            report.problems.append(audit.ChainProblem(
                entry_id, entry_id, "was sealed with another seal key: the key was replaced"))  # fmt: skip
        elif not seal.mac_matches(key, sealed_id, sealed_hash, claimed_previous, mac):
            report.problems.append(audit.ChainProblem(
                entry_id, entry_id, "seal does not match its key: it was forged or changed"))  # fmt: skip
        if claimed_previous != previous:
            report.problems.append(audit.ChainProblem(
                entry_id, entry_id, f"follows seal {claimed_previous}, but the seal before it "
                f"is {previous or 'none'}: seals were removed"))  # fmt: skip
        stored = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == sealed_id))
        if stored != sealed_hash:
            report.problems.append(audit.ChainProblem(
                sealed_id, sealed_id, f"changed or removed after it was sealed on "
                f"{at[:10]} by {who}"))  # fmt: skip
        previous = entry_id
    return report


def append_seal(session: Session, actor: Actor, key: bytes) -> None:
    """Seal the chain's current head (an entry of its own, in this transaction); nothing to
    do when the head is already a seal."""
    head = audit.chain_head(session)
    if head is None:
        return
    if session.scalar(select(AuditEvent.action).where(AuditEvent.id == head[0])) == SEAL_ACTION:
        return
    previous = (
        session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.action == SEAL_ACTION)) or 0
    )
    audit.record(session, actor, SEAL_ACTION, "audit", head[0], details={
        "sealed_id": head[0], "sealed_hash": head[1], "previous_seal": previous,
        "key_id": seal.key_id(key), "mac": seal.seal_mac(key, head[0], head[1], previous),
    })  # fmt: skip
