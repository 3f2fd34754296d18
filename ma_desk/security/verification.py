"""Checking the audit trail against everything that vouches for it, before anything is written.

The chain of hashes and the in-store head anchor catch an edit, a deletion, a
reordering or an insertion by someone who did not recompute the hashes. Whoever
holds the store key can recompute them; what they cannot change is what lives
outside the store: the witness files (moved forward after every commit), the
head each backup recorded when it was made, the head printed on every
end-of-day report, and the seals an administrator's key put into the chain
(ma_desk/security/seal.py). Each is an anchor: "entry N had hash H". A
rewritten history no longer has hash H at entry N.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ma_desk import audit
from ma_desk.db.engine import Database
from ma_desk.db.models import AuditEvent
from ma_desk.errors import ValidationError
from ma_desk.security.witness import witness_problems

WITNESS_SETTLE_SECONDS = 0.25
# Printed anchors carry the first 16 hex digits of the hash: 64 bits, far beyond guessing.
PRINTED_HASH_DIGITS = 16
_ANCHOR = re.compile(r"^\s*#?\s*(\d{1,12})\s*[:\s]\s*([0-9a-fA-F]{16,64})\s*$")
ANCHOR_SUFFIX = ".anchor.json"


@dataclass(frozen=True)
class Anchor:
    """Something outside the store that remembers entry ``entry_id``'s hash (or its start)."""

    source: str
    entry_id: int
    hash_prefix: str

    def __str__(self) -> str:
        return f"#{self.entry_id} {self.hash_prefix[:PRINTED_HASH_DIGITS]} ({self.source})"


def printed_anchor(head: tuple[int, str] | None) -> str:
    """The form printed on paper and typed back with ``--anchor``: ``12345:a1b2c3d4e5f6a7b8``."""
    if head is None:
        return ""
    return f"{head[0]}:{head[1][:PRINTED_HASH_DIGITS]}"


def parse_anchor(text: str, source: str = "given on the command line") -> Anchor:
    match = _ANCHOR.match(text or "")
    if match is None:
        raise ValidationError(
            f"'{text}' is not an audit anchor. Type it as printed on the end-of-day report, "
            "for example 12345:a1b2c3d4e5f6a7b8 (entry number, colon, at least 16 hex digits).",
            field="anchor",
        )
    return Anchor(source, int(match.group(1)), match.group(2).lower())


def backup_anchor_path(backup: Path) -> Path:
    return backup.with_name(backup.name + ANCHOR_SUFFIX)


def read_backup_anchor(path: Path) -> Anchor | None:
    """The head a backup recorded beside itself, or None when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        last_id, last_hash = int(data["audit_head"][0]), str(data["audit_head"][1])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    backup_name = path.name[: -len(ANCHOR_SUFFIX)]
    return Anchor(f"backup {backup_name}", last_id, last_hash.lower())


def backup_anchors(folders: list[Path]) -> list[Anchor]:
    anchors = []
    for folder in folders:
        if folder.is_dir():
            for path in sorted(folder.glob(f"*{ANCHOR_SUFFIX}")):
                anchor = read_backup_anchor(path)
                if anchor is not None:
                    anchors.append(anchor)
    return anchors


@dataclass
class TrailReport:
    """What ``audit verify`` found, computed before it writes anything."""

    entries: int = 0
    head: tuple[int, str] | None = None
    problems: list[audit.ChainProblem] = field(default_factory=list)
    anchors_checked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def anchor_problems(session: Session, anchor: Anchor) -> list[audit.ChainProblem]:
    stored = session.execute(
        select(AuditEvent.hash).where(AuditEvent.id == anchor.entry_id)
    ).scalar()
    if stored is None:
        return [
            audit.ChainProblem(
                anchor.entry_id, anchor.entry_id,
                f"recorded by {anchor.source} but missing from the log",
            )
        ]  # fmt: skip
    if not stored.startswith(anchor.hash_prefix):
        return [
            audit.ChainProblem(
                anchor.entry_id, anchor.entry_id,
                f"differs from the copy recorded by {anchor.source}: the history was rewritten",
            )
        ]  # fmt: skip
    return []


def superseded_by_restore(session: Session, anchor: Anchor) -> str | None:
    """A backup newer than a later restore no longer describes this chain: say so, not alarm."""
    for details, at in session.execute(
        select(AuditEvent.details, AuditEvent.at)
        .where(AuditEvent.action == "restore")
        .order_by(AuditEvent.id)
    ):
        try:
            restored_head = int(json.loads(details).get("restored_head", [0])[0])
        except (ValueError, TypeError, AttributeError, IndexError):
            continue
        if restored_head < anchor.entry_id:
            return f"{anchor.source} was made before the restore of {at[:10]}; not compared"
    return None


def earlier_failures(session: Session) -> list[audit.ChainProblem]:
    """A verification that once failed keeps failing: what it found stays in the trail even
    after the entries it wrote on top have hidden the evidence (a truncation, say)."""
    problems = []
    for entry_id, at, who, details in session.execute(
        select(AuditEvent.id, AuditEvent.at, AuditEvent.username, AuditEvent.details)
        .where(AuditEvent.action == "verify", AuditEvent.outcome == "failure")
        .order_by(AuditEvent.id)
    ):
        try:
            found = [str(x) for x in json.loads(details).get("found", [])]
        except (ValueError, AttributeError):
            found = []
        first = f": {found[0]}" if found else ""
        problems.append(audit.ChainProblem(
            entry_id, entry_id,
            f"the verification of {at[:16].replace('T', ' ')} UTC by {who} failed{first}",
        ))  # fmt: skip
    return problems


def _witness_problems_settled(db: Database, data_dir: Path | None) -> list[audit.ChainProblem]:
    """Witness problems, asked twice when there are any: MA Desk open on this computer may
    have been between its commit and its witness update at the first look."""
    for attempt in range(2):
        with db.read() as session:
            problems = witness_problems(session, data_dir)
        if not problems or attempt:
            return problems
        time.sleep(WITNESS_SETTLE_SECONDS)
    return problems


def _server_guard_problems(session: Session) -> list[audit.ChainProblem]:
    """On a clinic server: the append-only trigger and grants that protect the trail."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    from ma_desk.db.server_setup import guard_problems

    return list(guard_problems(session.connection()))


def check_trail(
    db: Database, data_dir: Path | None, *, anchors: list[Anchor] | None = None
) -> TrailReport:
    """Every check of the trail, reading only: chain, head anchor, witnesses, other anchors."""
    report = TrailReport()
    if db.kind != "sqlcipher":  # a server's workstations share the chain: no file witness
        data_dir = None
    report.problems.extend(_witness_problems_settled(db, data_dir))
    with db.read() as session:
        report.problems.extend(audit.verify_store(session))
        report.problems.extend(_server_guard_problems(session))
        report.entries = session.scalar(select(func.count(AuditEvent.id))) or 0
        report.problems.extend(earlier_failures(session))
        missing = session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "witness_missing")
        )
        if missing:
            report.notes.append(
                f"The witness file was missing when the store was opened ({missing} time(s); "
                "see the entries 'witness_missing'): entries added before each of those "
                "openings were not compared with a witness."
            )
        report.head = audit.chain_head(session)
        if data_dir is not None:
            report.anchors_checked.append("witness files")
        found = list(anchors or [])
        if data_dir is not None:
            found += backup_anchors([data_dir / "backups"])
        for anchor in found:
            problems = anchor_problems(session, anchor)
            if problems and anchor.source.startswith("backup "):
                note = superseded_by_restore(session, anchor)
                if note:
                    report.notes.append(note)
                    continue
            report.problems.extend(problems)
            report.anchors_checked.append(anchor.source)
    return report
